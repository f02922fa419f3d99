// item_index_check INDEX CHECKPOINT [--users N] [--k K] [--seed S] [--exact | --min-recall R]
//
// Checks an index that `slatetrain index` wrote against the checkpoint it names, independently
// of the command: the header's run, step and shape are the checkpoint's, the CRC-32 of the
// checkpoint's item rows is the header's rows_crc32, and for N seeded random user vectors the
// index's top-k is compared with the exact top-k computed here by brute force over the rows.
// --exact: every rank's item and score must be the exact one (an item may differ only where
// two scores tie); --min-recall R: recall@k must be at least R. Prints one JSON line (recall,
// kind, items); exit 0 when the check holds, 1 otherwise. Used by tests/index_command_test.py.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "dist/checkpoint_file.hpp"
#include "launch/item_index.hpp"
#include "launch/item_index_file.hpp"

namespace {

using namespace slatetrain;

int check(int argc, char** argv) {
  REQUIRE(argc >= 3,
          "usage: item_index_check INDEX CHECKPOINT [--users N] [--k K] [--seed S] "
          "[--exact | --min-recall R]");
  const std::string index_path = argv[1];
  const std::string checkpoint_path = argv[2];
  int64_t users = 64, k = 10;
  unsigned seed = 5;
  bool exact = false;
  double min_recall = 0;
  for (int i = 3; i < argc; ++i) {
    const std::string option = argv[i];
    const auto next = [&] {
      REQUIRE(i + 1 < argc, option << " needs a value");
      return std::string(argv[++i]);
    };
    if (option == "--users")
      users = std::stoll(next());
    else if (option == "--k")
      k = std::stoll(next());
    else if (option == "--seed")
      seed = static_cast<unsigned>(std::stoul(next()));
    else if (option == "--exact")
      exact = true;
    else if (option == "--min-recall")
      min_recall = std::stod(next());
    else
      RAISE("unknown option " << option);
  }

  const CheckpointFileReader checkpoint(checkpoint_path);
  const ItemIndexFile file = read_item_index_file(index_path);
  const ItemIndexHeader& header = file.header;
  const int64_t dim = checkpoint.dim();
  require_index_of_checkpoint(header, index_path, checkpoint_path, checkpoint.header().run_id,
                              checkpoint.header().step, header.source.dataset_id,
                              checkpoint.num_items(), dim);
  REQUIRE(header.count == checkpoint.num_items() - header.first_item,
          "the index holds " << header.count << " items from " << header.first_item
                             << ", the checkpoint " << checkpoint.num_items());
  std::vector<float> rows(static_cast<size_t>(header.count * dim));
  checkpoint.read_embedding_rows("rows", header.first_item, header.count, rows.data());
  const std::string rows_crc32 = crc32_hex(crc32_update(0, rows.data(), rows.size() * 4));
  REQUIRE(rows_crc32 == header.source.rows_crc32, "the checkpoint's item rows have CRC-32 "
                                                      << rows_crc32 << ", the index header says "
                                                      << header.source.rows_crc32);

  std::mt19937 generator(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> queries(static_cast<size_t>(users * dim));
  for (float& value : queries) value = normal(generator);
  const ItemRanking ranking = file.index.search(queries.data(), users, k);

  int64_t found = 0, wrong = 0;
  for (int64_t u = 0; u < users; ++u) {
    std::vector<std::pair<float, int64_t>> scored(static_cast<size_t>(header.count));
    for (int64_t r = 0; r < header.count; ++r) {
      double score = 0;
      for (int64_t j = 0; j < dim; ++j) score += double(queries[u * dim + j]) * rows[r * dim + j];
      scored[r] = {-static_cast<float>(score), r + header.first_item};
    }
    const int64_t kept = std::min<int64_t>(k, header.count);
    std::partial_sort(scored.begin(), scored.begin() + kept, scored.end());
    std::set<int64_t> truth;
    for (int64_t j = 0; j < kept; ++j) truth.insert(scored[j].second);
    for (int64_t j = 0; j < kept; ++j) {
      const int64_t item = ranking.items[u * k + j];
      found += truth.count(item);
      if (!exact) continue;
      const float expected = -scored[j].first;
      const float tolerance = 1e-4f * std::max(1.0f, std::fabs(expected));
      const bool same_score = std::fabs(ranking.scores[u * k + j] - expected) <= tolerance;
      // A different item is allowed only where its exact score ties the expected one.
      const bool tie = item != scored[j].second && j + 1 < header.count &&
                       std::fabs(-scored[j + 1].first - expected) <= tolerance;
      if (!same_score || (item != scored[j].second && !tie)) {
        if (wrong++ < 5) {
          std::fprintf(stderr, "user %lld rank %lld: index %lld (%.6f), exact %lld (%.6f)\n",
                       (long long)u, (long long)j, (long long)item, ranking.scores[u * k + j],
                       (long long)scored[j].second, expected);
        }
      }
    }
  }
  const double recall = double(found) / double(users * std::min<int64_t>(k, header.count));
  std::printf(
      "{\"kind\": \"%s\", \"items\": %lld, \"users\": %lld, \"k\": %lld, "
      "\"recall\": %.6f, \"wrong\": %lld}\n",
      item_index_kind_name(header.parameters.kind), (long long)header.count, (long long)users,
      (long long)k, recall, (long long)wrong);
  if (exact && wrong > 0) return 1;
  if (recall < min_recall) {
    std::fprintf(stderr, "recall@%lld %.4f is below %.4f\n", (long long)k, recall, min_recall);
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return check(argc, argv);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "item_index_check: %s\n", error.what());
    return 1;
  }
}
