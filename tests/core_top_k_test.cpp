// Per-row top k with exclusions against a full sort.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <numeric>
#include <vector>

#include "core/cpu_backend.hpp"
#include "tests/core_test_util.hpp"

namespace slatetrain {
namespace {

using testing_core::arrays_near;
using testing_core::random_values;

TEST(CoreTopK, MatchesFullSortWithExclusionsAndTies) {
  CpuBackend backend(2);
  const int rows = 4, columns = 50, k = 6;
  auto scores = random_values(rows * columns, 100);
  scores[1 * columns + 10] = scores[1 * columns + 3] = 5.0f;  // a tie: column 3 comes first
  const std::vector<int64_t> offsets = {0, 2, 2, 5, 5};
  // Row 0 excludes its two best columns; row 2 excludes one out-of-range column and two others.
  std::vector<int32_t> order(columns);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int a, int b) { return scores[a] > scores[b]; });
  const std::vector<int32_t> excluded = {order[1], order[0], 7, 99, 20};

  std::vector<float> top_scores(rows * k);
  std::vector<int32_t> top_columns(rows * k);
  backend.top_k(top_scores.data(), top_columns.data(), scores.data(), rows, columns, k,
                offsets.data(), excluded.data());
  for (int u = 0; u < rows; ++u) {
    std::vector<int32_t> candidates;
    for (int c = 0; c < columns; ++c) {
      const bool skip = std::find(excluded.begin() + offsets[u], excluded.begin() + offsets[u + 1],
                                  c) != excluded.begin() + offsets[u + 1];
      if (!skip) candidates.push_back(c);
    }
    std::stable_sort(candidates.begin(), candidates.end(), [&](int a, int b) {
      return scores[u * columns + a] > scores[u * columns + b];
    });
    for (int i = 0; i < k; ++i) {
      EXPECT_EQ(top_columns[u * k + i], candidates[i]) << "row " << u << " rank " << i;
      EXPECT_EQ(top_scores[u * k + i], scores[u * columns + candidates[i]]);
    }
  }
  EXPECT_EQ(top_columns[1 * k + 0], 3);
  EXPECT_EQ(top_columns[1 * k + 1], 10);
}

TEST(CoreTopK, FewerColumnsThanKPadsWithMinusOne) {
  CpuBackend backend(1);
  const std::vector<float> scores = {0.5f, 2.0f, 1.0f};
  const std::vector<int64_t> offsets = {0, 1};
  const std::vector<int32_t> excluded = {1};
  std::vector<float> top_scores(4);
  std::vector<int32_t> top_columns(4);
  backend.top_k(top_scores.data(), top_columns.data(), scores.data(), 1, 3, 4, offsets.data(),
                excluded.data());
  EXPECT_EQ(top_columns, (std::vector<int32_t>{2, 0, -1, -1}));
  EXPECT_TRUE(arrays_near(top_scores,
                          {1.0f, 0.5f, -std::numeric_limits<float>::infinity(),
                           -std::numeric_limits<float>::infinity()},
                          0.0));
}

}  // namespace
}  // namespace slatetrain
