// Ranking metrics on hand-worked cases.
#include <gtest/gtest.h>

#include <cmath>

#include "models/ranking_metrics.hpp"

namespace slatetrain {
namespace {

TEST(RankingMetrics, HandWorkedUsers) {
  RankingMetrics metrics({1, 3}, 10, 3);
  // User A: ranking 5,7,9; later clicks 7,7,4 -> at 3: 2 hits (7 twice), hit, first hit rank 2.
  const int64_t a[] = {5, 7, 9};
  metrics.add_user(a, 3, {7, 7, 4});
  // User B: ranking 4,3,6; later clicks 4 -> at 1 and 3: 1 hit at rank 1.
  const int64_t b[] = {4, 3, 6};
  metrics.add_user(b, 3, {4});
  // User C: no later clicks: not counted.
  metrics.add_user(b, 3, {});
  const auto r = metrics.results();
  EXPECT_EQ(r.at("users"), 2);
  EXPECT_DOUBLE_EQ(r.at("hits@1"), 0.5);
  EXPECT_DOUBLE_EQ(r.at("hits@3"), 1.5);  // (2 + 1) / 2
  EXPECT_DOUBLE_EQ(r.at("hitrate@1"), 0.5);
  EXPECT_DOUBLE_EQ(r.at("hitrate@3"), 1.0);
  EXPECT_DOUBLE_EQ(r.at("mrr@3"), (0.5 + 1.0) / 2);
  // Recall over distinct items: A finds 7 of {7, 4}; B finds 4 of {4}.
  EXPECT_DOUBLE_EQ(r.at("recall@3"), (0.5 + 1.0) / 2);
  // NDCG@3: A: dcg 1/log2(3), ideal 1 + 1/log2(3); B: 1.
  const double ndcg_a = (1 / std::log2(3.0)) / (1 + 1 / std::log2(3.0));
  EXPECT_NEAR(r.at("ndcg@3"), (ndcg_a + 1.0) / 2, 1e-12);
  // Coverage@3: items {5,7,9,4,3,6} minus id <3 -> all six are >= 3; catalogue 7 items.
  EXPECT_NEAR(r.at("coverage@3"), 6.0 / 7.0, 1e-12);
  EXPECT_NEAR(r.at("coverage@1"), 2.0 / 7.0, 1e-12);
}

TEST(RankingMetrics, SumsRoundTripForReduction) {
  RankingMetrics first({2}, 8, 3), second({2}, 8, 3);
  const int64_t top[] = {3, 4};
  first.add_user(top, 2, {4});
  second.set_sums(first.sums());
  EXPECT_EQ(second.results().at("hitrate@2"), 1.0);
  EXPECT_EQ(second.users(), 1);
}

// A split with no user to rank has no metrics: NaN (null in JSON), never 0.0 (a score).
TEST(RankingMetrics, NoUsersGiveUndefinedMetricsNotZero) {
  RankingMetrics metrics({1, 3}, 10, 3);
  const auto results = metrics.results();
  EXPECT_EQ(results.at("users"), 0.0);
  for (const auto& [name, value] : results) {
    if (name != "users") {
      EXPECT_TRUE(std::isnan(value)) << name << " = " << value;
    }
  }
  EXPECT_EQ(results.count("hitrate@3"), 1u);
  EXPECT_EQ(results.count("coverage@1"), 1u);
}

}  // namespace
}  // namespace slatetrain
