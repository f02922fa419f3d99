// `slatetrain index`: a FAISS index over a checkpoint's item vectors, for `recommend --index`
// (docs/ITEM_INDEX.md). The checkpoint stores the item table in global item order, so rank 0
// reads the rows it indexes straight from the file in chunks (checkpoint.chunk_rows): a
// sharded load followed by a gather to rank 0 would move the same bytes twice. Every rank of
// a launch checks the inputs and the output alike, so that a refusal ends the job with one
// message; rank 0 builds and writes, and tells the others how it went.
#include "launch/index_command.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "data/hdf5_library_mutex.hpp"
#include "data/output_ownership.hpp"
#include "dist/checkpoint_file.hpp"
#include "dist/mpi_communicator.hpp"
#include "dist/mpi_session.hpp"
#include "launch/checkpoint_model.hpp"
#include "launch/checkpoint_model_options.hpp"
#include "launch/command_line.hpp"
#include "launch/item_index.hpp"
#include "launch/item_index_file.hpp"
#include "launch/rank_gather.hpp"
#include "launch/run_config.hpp"

namespace slatetrain {

namespace {

struct Arguments {
  std::string config_path;
  std::string checkpoint;
  std::string output;
  std::string kind = "hnsw";
  ItemIndexParameters parameters;
  int threads = 0;
  bool force = false;
  std::vector<std::string> overrides;
};

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Rank 0: the item rows [first_item, num_items) of the checkpoint, in item order, and their
// CRC-32 (recorded in the index's header).
std::vector<float> read_item_rows(const CheckpointFileReader& reader, int64_t first_item,
                                  int64_t chunk_rows, std::string& rows_crc32) {
  const int64_t count = reader.num_items() - first_item;
  const int64_t dim = reader.dim();
  std::vector<float> rows(static_cast<size_t>(count * dim));
  for (int64_t first = 0; first < count; first += chunk_rows) {
    const int64_t n = std::min(chunk_rows, count - first);
    std::lock_guard<std::mutex> lock(hdf5_library_mutex());
    reader.read_embedding_rows("rows", first_item + first, n, rows.data() + first * dim);
  }
  rows_crc32 = crc32_hex(crc32_update(0, rows.data(), rows.size() * sizeof(float)));
  return rows;
}

int build_index(const Arguments& arguments) {
  const RunConfig config = load_run_config(arguments.config_path, arguments.overrides);
  // Inputs and output, on every rank (a refusal is the same everywhere).
  CheckedCheckpoint checked = open_checked_checkpoint(config, arguments.checkpoint, "index");
  const Manifest& manifest = checked.manifest;
  const std::string& dataset_id = checked.dataset_id;
  std::unique_ptr<CheckpointFileReader>& reader = checked.reader;
  ItemIndexParameters parameters = arguments.parameters;
  parameters.kind = parse_item_index_kind(arguments.kind);

  std::error_code error;
  require_apart_from_inputs(arguments.output, {arguments.checkpoint, config.data.path});
  if (std::filesystem::symlink_status(arguments.output, error).type() !=
      std::filesystem::file_type::not_found) {
    const std::string why_not = why_not_an_item_index(arguments.output);
    REQUIRE(why_not.empty(), arguments.output << ": the output exists and is not ours to replace ("
                                              << why_not
                                              << "); --force replaces only an item index");
    REQUIRE(arguments.force,
            arguments.output << ": the output exists; --force replaces an item index");
  }
  const int64_t first_item = manifest.ids.first_item;
  REQUIRE(first_item >= 0 && first_item < reader->num_items(),
          config.data.path << ": no items (ids from " << first_item << ", " << reader->num_items()
                           << " ids in the table)");

  MpiCommunicator host;
  std::string failure;
  nlohmann::json summary;
  if (host.rank() == 0) {
    try {
      set_item_index_threads(arguments.threads);
      ItemIndexSource source;
      source.num_items = reader->num_items();
      source.dim = reader->dim();
      source.dataset_id = dataset_id;
      source.dataset_path = config.data.path;
      source.checkpoint = arguments.checkpoint;
      source.run_id = reader->header().run_id;
      source.step = reader->header().step;
      const double read_start = now_seconds();
      std::vector<float> rows =
          read_item_rows(*reader, first_item, config.checkpoint.chunk_rows, source.rows_crc32);
      const double build_start = now_seconds();
      ItemIndex index = ItemIndex::build(rows.data(), source.num_items - first_item, source.dim,
                                         first_item, parameters);
      const double build_seconds = now_seconds() - build_start;
      std::vector<float>().swap(rows);  // the index holds its own copy
      write_item_index_file(arguments.output, index, source, build_seconds, arguments.force);
      summary["index"] = arguments.output;
      summary["kind"] = item_index_kind_name(parameters.kind);
      summary["items"] = index.count();
      summary["first_item"] = first_item;
      summary["dim"] = index.dim();
      summary["checkpoint"] = arguments.checkpoint;
      summary["run_id"] = source.run_id;
      summary["step"] = source.step;
      summary["dataset_id"] = dataset_id;
      summary["rows_crc32"] = source.rows_crc32;
      summary["bytes"] = std::filesystem::file_size(arguments.output);
      summary["read_s"] = build_start - read_start;
      summary["build_s"] = build_seconds;
      summary["threads"] = item_index_threads();
      summary["world_size"] = host.world_size();
      const ItemIndexParameters& used = index.parameters();
      if (used.kind == ItemIndexKind::kHnsw) {
        summary["hnsw"] = {{"m", used.hnsw_m},
                           {"ef_construction", used.hnsw_ef_construction},
                           {"ef_search", used.hnsw_ef_search}};
      } else if (used.kind == ItemIndexKind::kIvf) {
        summary["ivf"] = {{"lists", used.ivf_lists},
                          {"probes", used.ivf_probes},
                          {"training_items", used.ivf_training}};
      }
    } catch (const std::exception& exception) {
      failure = exception.what();
      if (failure.empty()) failure = "building the index failed";
    }
  }
  reader.reset();
  throw_root_failure(host, failure);
  if (host.rank() == 0) {
    std::printf("%s\n", summary.dump().c_str());
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace

int index_command(int argc, char** argv) {
  Arguments arguments;
  const auto command_line = make_command_line(
      "slatetrain index",
      "Builds a FAISS index over the item vectors of a checkpoint, searched by inner product as\n"
      "the model scores items, for `slatetrain recommend --index FILE` (docs/ITEM_INDEX.md).\n"
      "flat is exact (every item scored); hnsw and ivf are approximate and much faster.\n"
      "The index records the checkpoint's run and step and the dataset, so it is refused with\n"
      "another checkpoint. Under mpirun every rank checks the inputs, rank 0 builds.\n"
      "The last line on stdout is JSON: index, kind, items, dim, bytes, build_s, ...");
  CLI::App& app = *command_line;
  add_checkpoint_model_options(app, arguments.config_path, arguments.checkpoint,
                               arguments.overrides);
  app.add_option("--output", arguments.output, "the index file to write (atomically)")->required();
  app.add_option("--kind", arguments.kind, "flat (exact), hnsw or ivf (approximate)")
      ->check(one_of({"flat", "hnsw", "ivf"}))
      ->capture_default_str();
  add_number_option(app, "--hnsw-m", arguments.parameters.hnsw_m, "hnsw: graph links per item", "N")
      ->check(within(between(2, 512)));
  add_number_option(app, "--hnsw-ef-construction", arguments.parameters.hnsw_ef_construction,
                    "hnsw: candidates kept while inserting (build time vs recall)", "N")
      ->check(within(between(1, 1048576)));
  add_number_option(app, "--hnsw-ef-search", arguments.parameters.hnsw_ef_search,
                    "hnsw: candidates kept while searching (stored; recommend may override)", "N")
      ->check(within(between(1, 1048576)));
  add_number_option(app, "--ivf-lists", arguments.parameters.ivf_lists,
                    "ivf: k-means cells (0: 4 sqrt(items))", "N")
      ->check(within(between(0, 2147483648.0)));
  add_number_option(app, "--ivf-probes", arguments.parameters.ivf_probes,
                    "ivf: cells scanned per query (stored; recommend may override)", "N")
      ->check(within(between(1, 2147483648.0)));
  add_number_option(app, "--ivf-training", arguments.parameters.ivf_training,
                    "ivf: items k-means trains on, a seeded sample (0: 64 per cell)", "N")
      ->check(within(between(0, 1099511627776.0)));
  add_number_option(app, "--seed", arguments.parameters.seed, "ivf: the training sample's seed",
                    "S");
  add_number_option(app, "--threads", arguments.threads,
                    "build threads on rank 0 (0: every core it may use; mpirun binds a rank to "
                    "one)",
                    "N")
      ->check(within(between(0, 4096)));
  app.add_flag("--force", arguments.force,
               "replace an existing --output if it is an item index (nothing else is replaced)");
  if (const auto exit_code = parse_command_line(app, argc, argv)) return *exit_code;
  MpiSession mpi(&argc, &argv);
  return run_or_abort([&] { return build_index(arguments); });
}

}  // namespace slatetrain
