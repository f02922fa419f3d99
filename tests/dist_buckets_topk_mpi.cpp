// Fused-bucket gradient allreduce and the distributed top-k merge, at 2 and 4 ranks.
// Data come from formulas of (rank, index) so each rank computes the expected result itself.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "core/backend.hpp"
#include "core/error.hpp"
#include "core/random.hpp"
#include "dist/gradient_buckets.hpp"
#include "dist/mpi_communicator.hpp"
#include "dist/topk_merge.hpp"

namespace slatetrain {
namespace {

// Integer-valued, so sums over ranks are exact in float.
float gradient_value(int rank, int span, int64_t index) {
  return static_cast<float>(static_cast<int>(hash_mix(55, rank * 100 + span, index) % 41) - 20);
}

// One flat buffer holding spans 0..2 back to back, and two separate buffers (spans 3, 4).
struct Gradients {
  std::vector<float> flat = std::vector<float>(10 + 37 + 5);
  std::vector<float> separate_a = std::vector<float>(23);
  std::vector<float> separate_b = std::vector<float>(3);
  std::vector<GradientSpan> spans() {
    return {{flat.data(), 10},
            {flat.data() + 10, 37},
            {flat.data() + 47, 5},
            {separate_a.data(), 23},
            {separate_b.data(), 3}};
  }
};

void fill_gradients(std::vector<GradientSpan> spans, int rank) {
  for (size_t s = 0; s < spans.size(); ++s)
    for (int64_t i = 0; i < spans[s].count; ++i)
      spans[s].data[i] = gradient_value(rank, static_cast<int>(s), i);
}

void check_sums(std::vector<GradientSpan> spans, int world) {
  for (size_t s = 0; s < spans.size(); ++s) {
    for (int64_t i = 0; i < spans[s].count; ++i) {
      float expected = 0.0f;
      for (int r = 0; r < world; ++r) expected += gradient_value(r, static_cast<int>(s), i);
      ASSERT_EQ(spans[s].data[i], expected) << "span " << s << " index " << i;
    }
  }
}

TEST(GradientBuckets, SmallBucketsSplitAndPackPieces) {
  auto backend = make_backend(Device::kCpu);
  MpiCommunicator world;
  Gradients gradients;
  fill_gradients(gradients.spans(), world.rank());
  // 16 floats per bucket: spans are cut, and buckets mixing the separate buffers get packed.
  GradientBuckets buckets(world, *backend, gradients.spans(), 16 * sizeof(float));
  EXPECT_EQ(buckets.bucket_count(), (10 + 37 + 5 + 23 + 3 + 15) / 16u);
  EXPECT_GT(buckets.packed_bucket_count(), 0u);
  buckets.allreduce_sum();
  check_sums(gradients.spans(), world.world_size());
}

TEST(GradientBuckets, OneFlatBufferIsReducedInPlace) {
  auto backend = make_backend(Device::kCpu);
  MpiCommunicator world;
  Gradients gradients;
  const std::vector<GradientSpan> all_spans = gradients.spans();
  const std::vector<GradientSpan> flat_spans(all_spans.begin(), all_spans.begin() + 3);
  fill_gradients(flat_spans, world.rank());
  GradientBuckets buckets(world, *backend, flat_spans);
  EXPECT_EQ(buckets.bucket_count(), 1u);
  EXPECT_EQ(buckets.packed_bucket_count(), 0u);
  buckets.allreduce_sum();
  check_sums(flat_spans, world.world_size());
  EXPECT_THROW(GradientBuckets(world, *backend, flat_spans, 2), Error);
}

// Scores with many ties (a few distinct values) so the tie-break matters.
float score_of(int64_t user, int64_t item) {
  return static_cast<float>(hash_mix(9, user, item) % 7);
}

::testing::AssertionResult same_top_k(const TopK& expected, const TopK& actual) {
  for (size_t i = 0; i < expected.items.size(); ++i) {
    if (expected.items[i] != actual.items[i] || expected.scores[i] != actual.scores[i]) {
      return ::testing::AssertionFailure()
             << "first difference at user " << i / expected.k << " rank " << i % expected.k
             << ": expected item " << expected.items[i] << " (score " << expected.scores[i]
             << "), actual item " << actual.items[i] << " (score " << actual.scores[i] << ")";
    }
  }
  return ::testing::AssertionSuccess();
}

// Brute force over the whole catalogue: sort every item by (score desc, item asc).
TopK brute_force(int64_t users, int64_t items, int64_t k) {
  TopK top;
  top.users = users;
  top.k = k;
  for (int64_t u = 0; u < users; ++u) {
    std::vector<int64_t> order(items);
    for (int64_t i = 0; i < items; ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      return score_of(u, a) != score_of(u, b) ? score_of(u, a) > score_of(u, b) : a < b;
    });
    for (int64_t j = 0; j < k; ++j) {
      const bool real = j < items;
      top.scores.push_back(real ? score_of(u, order[j]) : -std::numeric_limits<float>::infinity());
      top.items.push_back(real ? static_cast<int32_t>(order[j]) : -1);
    }
  }
  return top;
}

void check_merge(int64_t users, int64_t items, int64_t k) {
  auto backend = make_backend(Device::kCpu);
  MpiCommunicator world;
  const int rank = world.rank();
  const int ranks = world.world_size();
  // This rank's columns: its owned items (item % world == rank), as the sharded table holds them.
  const int64_t columns = items > rank ? (items - rank + ranks - 1) / ranks : 0;
  std::vector<float> scores(users * columns);
  for (int64_t u = 0; u < users; ++u)
    for (int64_t c = 0; c < columns; ++c) scores[u * columns + c] = score_of(u, c * ranks + rank);
  TopK local;
  local.users = users;
  local.k = k;
  local.scores.resize(users * k);
  local.items.resize(users * k);
  backend->top_k(local.scores.data(), local.items.data(), scores.data(), users, columns, k, nullptr,
                 nullptr);
  columns_to_items(local.items, rank, ranks);
  const TopK merged = merge_top_k(world, *backend, local);
  EXPECT_TRUE(same_top_k(brute_force(users, items, k), merged))
      << users << " users, " << items << " items, k " << k << ", rank " << rank;
}

TEST(TopKMerge, EqualsBruteForceWithTies) {
  check_merge(6, 101, 10);
}

TEST(TopKMerge, KLargerThanARanksShareAndThanTheCatalogue) {
  check_merge(3, 30, 20);  // at 4 ranks a rank holds 7 or 8 items
  check_merge(2, 9, 12);   // fewer items than k: the tail is empty everywhere
}

TEST(TopKMerge, BestKOrdersEmptyAndNaNLast) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> scores = {1.0f, nan, 3.0f, 3.0f,
                                     -std::numeric_limits<float>::infinity()};
  const std::vector<int32_t> items = {4, 8, 9, 2, -1};
  std::vector<float> top_scores(4);
  std::vector<int32_t> top_items(4);
  best_k(scores.data(), items.data(), 5, 4, top_scores.data(), top_items.data());
  EXPECT_EQ(top_items, std::vector<int32_t>({2, 9, 4, -1}));
  EXPECT_EQ(top_scores[0], 3.0f);
  EXPECT_TRUE(std::isinf(top_scores[3]));
}

TEST(TopKMerge, MismatchedShapesAreAnError) {
  auto backend = make_backend(Device::kCpu);
  MpiCommunicator world;
  TopK local;
  local.users = world.rank() == 0 ? 2 : 1;
  local.k = 1;
  local.scores.assign(local.users, 0.0f);
  local.items.assign(local.users, 0);
  EXPECT_THROW(merge_top_k(world, *backend, local), Error);
}

}  // namespace
}  // namespace slatetrain
