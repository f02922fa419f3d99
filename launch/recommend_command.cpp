// `slatetrain recommend`: the top k items of users in the dataset's own ids, with their scores,
// from a saved checkpoint, on the ranks of a launch (any world size). The users are a split of
// CONFIG's data (the evaluator's users, vectors and exclusions: its hitrate@k can be recomputed
// from this output) or histories read from a JSON lines file (users the training never saw).
// The scoring is an ItemRanker (launch/catalogue_ranker.hpp): the exact distributed ranking of
// the sharded table, local top k and merge, as evaluation does. Rank 0 writes the output, in
// dataset row (or input line) order, so it is the same on any number of ranks.
#include "launch/recommend_command.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <numeric>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "data/hdf5_library_mutex.hpp"
#include "data/output_file.hpp"
#include "dist/mpi_session.hpp"
#include "launch/candidate_rescoring.hpp"
#include "launch/checkpoint_model.hpp"
#include "launch/checkpoint_model_options.hpp"
#include "launch/command_line.hpp"
#include "launch/dataset_names.hpp"
#include "launch/history_input.hpp"
#include "launch/history_vectors.hpp"
#include "launch/index_ranker.hpp"
#include "launch/rank_gather.hpp"

namespace slatetrain {

namespace {

struct Arguments {
  std::string config_path;
  std::string checkpoint;
  int k = 10;
  std::string split;
  std::string input;
  std::string output;
  std::string exclude_seen;  // "", "true" or "false"
  std::string index;         // --index: an item index instead of the exact ranking
  int ef_search = 0;         // its search knobs (0: the file's)
  int64_t probes = 0;
  std::vector<std::string> overrides;
};

// One rank's users' results, or (after gather_results) every rank's. key: the dataset row
// (split) or the index of the history in the input (--input).
struct Results {
  int k = 0;
  std::vector<int64_t> keys;
  std::vector<int32_t> items;          // [users, k] global item ids, -1: none
  std::vector<float> scores;           // [users, k]
  std::vector<int64_t> target_counts;  // split only: [users]
  std::vector<int64_t> targets;        // the held-out items, flat

  void add(int64_t key, const TopK& top, size_t u) {
    keys.push_back(key);
    items.insert(items.end(), top.items.begin() + u * k, top.items.begin() + (u + 1) * k);
    scores.insert(scores.end(), top.scores.begin() + u * k, top.scores.begin() + (u + 1) * k);
  }
};

Results gather_results(Communicator& host, const Results& mine) {
  Results all;
  all.k = mine.k;
  all.keys = gather_all(host, mine.keys);
  all.items = gather_all(host, mine.items);
  all.scores = gather_all(host, mine.scores);
  all.target_counts = gather_all(host, mine.target_counts);
  all.targets = gather_all(host, mine.targets);
  return all;
}

// Where rank 0 writes: stdout, or FILE written whole under an unused temporary name beside it
// and renamed into place (data/output_file; never over an existing file: checked before any
// work and by the rename itself).
class Output {
 public:
  explicit Output(const std::string& path) {
    if (!path.empty()) file_ = std::make_unique<OutputFile>(path);
  }
  void write_line(const std::string& line) {
    if (file_) {
      file_->write(line + "\n");
    } else {
      std::fputs(line.c_str(), stdout);
      std::fputc('\n', stdout);
    }
  }
  void commit() {
    if (file_) {
      file_->commit();
    } else {
      std::fflush(stdout);
    }
  }

 private:
  std::unique_ptr<OutputFile> file_;
};

nlohmann::ordered_json recommendations(const Results& results, size_t user,
                                       const ItemNames& names) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  const int k = results.k;
  for (int i = 0; i < k; ++i) {
    const int32_t item = results.items[user * k + i];
    if (item < 0) break;  // the catalogue ran out
    nlohmann::ordered_json entry = {{"item", names.id(item)}, {"group", names.group(item)}};
    if (names.has_locales()) entry["locale"] = names.locale(item);
    entry["score"] = results.scores[user * k + i];
    list.push_back(std::move(entry));
  }
  return list;
}

// The users of a split, as evaluation ranks them (launch/evaluator.hpp): every user of the
// split with a held-out item, the vector after the steps before the first held-out one.
Results recommend_split(CheckpointModel& loaded, ItemRanker& ranker, LoaderPhase phase, int k) {
  TrainedModel& trained = *loaded.trained;
  Results mine;
  mine.k = k;
  trained.evaluator().rank_phase(
      trained.model(), phase, k + kRescoringMargin, nullptr,
      std::string("recommend ") + loader_phase_name(phase),
      [&](const Evaluator::RankedBatch& ranked) {
        const TopK top = rescore_exactly(trained.embedding(), ranked.vectors, ranked.top, k);
        for (size_t u = 0; u < ranked.users.size(); ++u) {
          mine.add(ranked.batch->user_row[static_cast<size_t>(ranked.batch_rows[u])], top, u);
          const auto& targets = ranked.users[u].targets;
          mine.target_counts.push_back(static_cast<int64_t>(targets.size()));
          mine.targets.insert(mine.targets.end(), targets.begin(), targets.end());
        }
      },
      &ranker);
  return mine;
}

// The histories of the input in batches of evaluation.batch_users, batch b on rank b % world:
// a history's batch (and so its vector, to the last bit) does not depend on the world size.
Results recommend_histories(CheckpointModel& loaded, ItemRanker& ranker,
                            const std::vector<History>& histories, int k) {
  TrainedModel& trained = *loaded.trained;
  Communicator& host = loaded.devices->host();
  const int64_t world = host.world_size(), rank = host.rank();
  const int64_t total = static_cast<int64_t>(histories.size());
  const int64_t batch_users = std::max<int64_t>(1, loaded.config.evaluation.batch_users);
  const int64_t batches = (total + batch_users - 1) / batch_users;
  const int64_t rounds = (batches + world - 1) / world;  // the same on every rank
  const bool exclude_seen = loaded.config.evaluation.exclude_seen;
  Results mine;
  mine.k = k;
  for (int64_t round = 0; round < rounds; ++round) {
    const int64_t batch = round * world + rank;
    const int64_t first = std::min(total, batch * batch_users);
    const int64_t last = std::min(total, first + batch_users);
    std::vector<const History*> users;
    std::vector<std::vector<int64_t>> excluded;
    for (int64_t h = first; h < last; ++h) {
      const History& history = histories[static_cast<size_t>(h)];
      users.push_back(&history);
      std::vector<int64_t> seen;
      if (exclude_seen) seen = history.items;
      std::sort(seen.begin(), seen.end());
      seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
      excluded.push_back(std::move(seen));
    }
    const std::vector<float> vectors = history_user_vectors(trained.model(), trained.embedding(),
                                                            loaded.devices->backend(), users);
    const TopK candidates = ranker.rank(vectors, excluded, k + kRescoringMargin);
    const TopK top = rescore_exactly(trained.embedding(), vectors, candidates, k);
    for (int64_t h = first; h < last; ++h) mine.add(h, top, static_cast<size_t>(h - first));
  }
  return mine;
}

int recommend(const Arguments& arguments) {
  RunConfig config = load_run_config(arguments.config_path, arguments.overrides);
  if (!arguments.exclude_seen.empty()) {
    config.evaluation.exclude_seen = arguments.exclude_seen == "true";
  }
  config.evaluation.max_users = 0;  // every user of the split
  if (!arguments.output.empty()) {
    std::error_code error;
    REQUIRE(!std::filesystem::exists(std::filesystem::symlink_status(arguments.output, error)),
            arguments.output << ": already exists; recommend writes a new file only (remove it or "
                                "choose another --output)");
    const std::filesystem::path parent =
        std::filesystem::absolute(arguments.output, error).parent_path();
    REQUIRE(std::filesystem::is_directory(parent, error),
            arguments.output << ": its directory " << parent.string() << " does not exist");
  }
  const auto loaded = load_checkpoint_model(config, arguments.checkpoint, "recommend");
  const Manifest& manifest = loaded->trained->manifest();
  std::unique_ptr<ItemNames> names;
  {
    std::lock_guard<std::mutex> lock(hdf5_library_mutex());
    names = std::make_unique<ItemNames>(manifest, config.data.path);
  }
  Communicator& host = loaded->devices->host();
  // The scoring step: the exact distributed ranking of the sharded table (evaluation's), or
  // with --index the item index's candidates (rescored exactly as the exact ones are).
  std::unique_ptr<IndexRanker> index_ranker;
  if (!arguments.index.empty()) {
    index_ranker = std::make_unique<IndexRanker>(
        host, arguments.index, arguments.checkpoint, loaded->header, loaded->dataset_id,
        manifest.num_items, config.model.dim, arguments.ef_search, arguments.probes);
  }
  ItemRanker& ranker = index_ranker ? static_cast<ItemRanker&>(*index_ranker)
                                    : loaded->trained->evaluator().ranker();
  const bool from_input = !arguments.input.empty();
  std::vector<History> histories;
  Results mine;
  if (from_input) {
    histories = read_histories(arguments.input, manifest, *names);
    mine = recommend_histories(*loaded, ranker, histories, arguments.k);
  } else {
    const LoaderPhase phase = arguments.split == "valid" ? LoaderPhase::kValid : LoaderPhase::kTest;
    mine = recommend_split(*loaded, ranker, phase, arguments.k);
  }
  const Results all = gather_results(host, mine);
  if (host.rank() != 0) return 0;

  // In dataset row (input line) order, whatever the world size.
  std::vector<size_t> order(all.keys.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return all.keys[a] < all.keys[b]; });
  std::vector<int64_t> target_offsets(all.target_counts.size() + 1, 0);
  std::partial_sum(all.target_counts.begin(), all.target_counts.end(), target_offsets.begin() + 1);
  UserNames users(manifest, config.data.path);
  Output output(arguments.output);
  std::lock_guard<std::mutex> lock(hdf5_library_mutex());
  for (const size_t u : order) {
    nlohmann::ordered_json line;
    if (from_input) {
      const History& history = histories[static_cast<size_t>(all.keys[u])];
      line["user"] = history.user;
      line["line"] = history.line;
    } else {
      line["user"] = users.id(all.keys[u]);
      line["row"] = all.keys[u];
    }
    line["recommendations"] = recommendations(all, u, *names);
    if (!from_input) {
      nlohmann::ordered_json held_out = nlohmann::ordered_json::array();
      for (int64_t t = target_offsets[u]; t < target_offsets[u + 1]; ++t) {
        held_out.push_back(nlohmann::ordered_json(names->id(all.targets[static_cast<size_t>(t)])));
      }
      line["held_out"] = std::move(held_out);
    }
    output.write_line(line.dump());
  }
  output.commit();
  return 0;
}

}  // namespace

int recommend_command(int argc, char** argv) {
  Arguments arguments;
  const auto command_line = make_command_line(
      "slatetrain recommend",
      "The top K items for users, in the dataset's own ids with their group names and scores,\n"
      "from a saved checkpoint, on the ranks of an mpirun / srun launch (any number: the item\n"
      "table is re-sharded, each rank scores its rows, the top K are merged). The users are a\n"
      "split of CONFIG's data.path (the users evaluation ranks, with their held-out items) or\n"
      "the histories of --input (users the training never saw). Output: one JSON object per\n"
      "user and line (docs/USING_A_MODEL.md), in dataset row or input line order, the same on\n"
      "any number of ranks. Read-only: run.dir is neither needed nor touched.");
  CLI::App& app = *command_line;
  add_checkpoint_model_options(app, arguments.config_path, arguments.checkpoint,
                               arguments.overrides);
  add_number_option(app, "--k", arguments.k, "items per user", "N")
      ->required()
      ->check(within(between(1, 100000)));
  auto* split = app.add_option("--split", arguments.split,
                               "the users of this split of data.path (default: test)")
                    ->check(one_of({"test", "valid"}));
  auto* input = app.add_option("--input", arguments.input,
                               "JSON lines {\"user\": ..., \"items\": [ID, ...], "
                               "\"interaction_types\": [TYPE, ...]}, items in the source's ids, "
                               "oldest first; an unknown id is an error naming the line")
                    ->check(CLI::ExistingFile)
                    ->type_name("FILE");
  split->excludes(input);
  app.add_option("--output", arguments.output,
                 "write here (a new file, written whole then renamed into place) instead of "
                 "stdout")
      ->type_name("FILE");
  app.add_option("--exclude-seen", arguments.exclude_seen,
                 "leave the user's own items out (default: the configuration's "
                 "evaluation.exclude_seen, true)")
      ->check(one_of({"true", "false"}));
  auto* index =
      app.add_option("--index", arguments.index,
                     "rank with this item index (`slatetrain index`, docs/ITEM_INDEX.md) instead "
                     "of scoring the whole catalogue; it must be of this checkpoint and dataset")
          ->check(CLI::ExistingFile)
          ->type_name("FILE");
  add_number_option(app, "--ef-search", arguments.ef_search,
                    "with an hnsw --index: candidates kept while searching (default: the file's)",
                    "N")
      ->check(within(between(1, 1048576)))
      ->needs(index);
  add_number_option(app, "--probes", arguments.probes,
                    "with an ivf --index: cells scanned per user (default: the file's)", "N")
      ->check(within(between(1, 2147483648.0)))
      ->needs(index);
  app.footer(
      "\nExamples:\n"
      "  mpirun -np 2 slatetrain recommend configs/gru.yaml --checkpoint runs/gru/checkpoints/"
      "best.h5 --k 10 --output test-top10.jsonl\n"
      "  slatetrain recommend configs/gru.yaml --checkpoint best.h5 --k 5 --input users.jsonl\n"
      "\nOutput lines:\n"
      "  --split: {\"user\": ID, \"row\": R, \"recommendations\": [{\"item\": ID, \"group\": "
      "NAME, \"score\": S}, ...], \"held_out\": [ID, ...]}\n"
      "  --input: {\"user\": AS GIVEN, \"line\": N, \"recommendations\": [...]}");
  if (const auto exit_code = parse_command_line(app, argc, argv)) return *exit_code;
  if (arguments.split.empty()) arguments.split = "test";
  MpiSession mpi(&argc, &argv);
  return run_or_abort([&] { return recommend(arguments); });
}

}  // namespace slatetrain
