// UserOrder: every phase user goes to exactly one rank per epoch, ranks get equal shares,
// reads are contiguous within one shard and cover the users, and the order is a function of
// (seed, epoch, world size): the same for the same inputs, different for another epoch.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "core/error.hpp"
#include "data/user_order.hpp"

namespace slatetrain {
namespace {

std::vector<int64_t> all_rows(int64_t n) {
  std::vector<int64_t> rows(static_cast<size_t>(n));
  std::iota(rows.begin(), rows.end(), 0);
  return rows;
}

// The rank's users in delivery order, after checking its windows' reads.
std::vector<int64_t> delivered_rows(const std::vector<UserWindow>& windows,
                                    const std::vector<int64_t>& shard_first_rows) {
  std::vector<int64_t> rows;
  for (const UserWindow& window : windows) {
    for (size_t i = 0; i < window.reads.size(); ++i) {
      const RowRange& read = window.reads[i];
      EXPECT_LT(read.begin_row, read.end_row);
      EXPECT_GE(read.begin_row, shard_first_rows[static_cast<size_t>(read.shard)]);
      EXPECT_LE(read.end_row, shard_first_rows[static_cast<size_t>(read.shard) + 1]);
      if (i > 0) {
        EXPECT_LE(window.reads[i - 1].end_row, read.begin_row) << "reads overlap";
      }
    }
    for (const int64_t row : window.rows) {
      const bool covered = std::any_of(
          window.reads.begin(), window.reads.end(),
          [&](const RowRange& read) { return read.begin_row <= row && row < read.end_row; });
      EXPECT_TRUE(covered) << "row " << row << " is not read by its window";
      rows.push_back(row);
    }
  }
  return rows;
}

TEST(UserOrder, EveryUserOnceBalancedAndDeterministic) {
  const std::vector<int64_t> shards{0, 250, 500, 1003};
  UserOrderOptions options;
  options.block_users = 64;
  options.window_blocks = 3;
  const UserOrder order(all_rows(1003), shards, options);
  for (const int world : {1, 3, 4}) {
    for (const int64_t epoch : {0, 1}) {
      std::vector<int64_t> everyone;
      for (int rank = 0; rank < world; ++rank) {
        const auto rows = delivered_rows(order.plan_epoch(9, epoch, true, rank, world), shards);
        EXPECT_EQ(static_cast<int64_t>(rows.size()), order.users_on_rank(rank, world));
        EXPECT_LE(static_cast<int64_t>(rows.size()), order.max_users_per_rank(world));
        EXPECT_GE(static_cast<int64_t>(rows.size()), 1003 / world);
        EXPECT_EQ(rows, delivered_rows(order.plan_epoch(9, epoch, true, rank, world), shards))
            << "same seed and epoch, rank " << rank;
        everyone.insert(everyone.end(), rows.begin(), rows.end());
      }
      std::sort(everyone.begin(), everyone.end());
      EXPECT_EQ(everyone, all_rows(1003)) << "world " << world << ", epoch " << epoch;
    }
  }
  const auto epoch0 = delivered_rows(order.plan_epoch(9, 0, true, 1, 3), shards);
  EXPECT_NE(epoch0, delivered_rows(order.plan_epoch(9, 1, true, 1, 3), shards));
  EXPECT_NE(epoch0, delivered_rows(order.plan_epoch(10, 0, true, 1, 3), shards));
}

TEST(UserOrder, ShuffleOffGivesSourceOrder) {
  const std::vector<int64_t> shards{0, 100, 230};
  const UserOrder order(all_rows(230), shards);
  std::vector<int64_t> everyone;
  for (int rank = 0; rank < 3; ++rank) {
    const auto rows = delivered_rows(order.plan_epoch(1, 5, false, rank, 3), shards);
    everyone.insert(everyone.end(), rows.begin(), rows.end());
  }
  EXPECT_EQ(everyone, all_rows(230));
}

TEST(UserOrder, ShuffleMixesWithinWindows) {
  const std::vector<int64_t> shards{0, 2000};
  UserOrderOptions options;
  options.block_users = 100;
  options.window_blocks = 4;
  const UserOrder order(all_rows(2000), shards, options);
  const auto rows = delivered_rows(order.plan_epoch(3, 0, true, 0, 1), shards);
  // Neighbours in delivery order are rarely neighbours in the source.
  int adjacent = 0;
  for (size_t i = 1; i < rows.size(); ++i) adjacent += std::abs(rows[i] - rows[i - 1]) == 1;
  EXPECT_LT(adjacent, 100);
}

TEST(UserOrder, SparsePhaseUsersMergeSmallGapsOnly) {
  // Users at rows 0, 2, 4 (gaps of 1) and 100, 101 (gap of 95): two reads with max_gap_rows 8.
  const std::vector<int64_t> shards{0, 200};
  UserOrderOptions options;
  options.max_gap_rows = 8;
  const UserOrder order({0, 2, 4, 100, 101}, shards, options);
  const auto windows = order.plan_epoch(0, 0, false, 0, 1);
  ASSERT_EQ(windows.size(), 1u);
  ASSERT_EQ(windows[0].reads.size(), 2u);
  EXPECT_EQ(windows[0].reads[0].begin_row, 0);
  EXPECT_EQ(windows[0].reads[0].end_row, 5);
  EXPECT_EQ(windows[0].reads[1].begin_row, 100);
  EXPECT_EQ(windows[0].reads[1].end_row, 102);
  EXPECT_EQ(windows[0].rows, (std::vector<int64_t>{0, 2, 4, 100, 101}));
}

TEST(UserOrder, BlocksNeverCrossShards) {
  const std::vector<int64_t> shards{0, 10, 20, 30};
  UserOrderOptions options;
  options.block_users = 1000;  // one block per shard
  const UserOrder order(all_rows(30), shards, options);
  EXPECT_EQ(order.num_blocks(), 3);
}

TEST(UserOrder, MoreRanksThanUsers) {
  const std::vector<int64_t> shards{0, 2};
  const UserOrder order(all_rows(2), shards);
  EXPECT_EQ(order.max_users_per_rank(5), 1);
  int64_t total = 0;
  for (int rank = 0; rank < 5; ++rank) {
    total += order.users_on_rank(rank, 5);
    EXPECT_EQ(delivered_rows(order.plan_epoch(0, 0, true, rank, 5), shards).size(),
              static_cast<size_t>(order.users_on_rank(rank, 5)));
  }
  EXPECT_EQ(total, 2);
}

TEST(UserOrder, RefusesUnsortedRowsAndBadRanks) {
  const std::vector<int64_t> shards{0, 10};
  EXPECT_THROW(UserOrder({3, 2}, shards), Error);
  EXPECT_THROW(UserOrder({3, 10}, shards), Error);
  const UserOrder order(all_rows(10), shards);
  EXPECT_THROW(order.plan_epoch(0, 0, true, 3, 3), Error);
}

}  // namespace
}  // namespace slatetrain
