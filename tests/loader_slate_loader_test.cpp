// SlateLoader over shards written with ShardWriter: batches are exactly the dataset's users
// (every phase user once per epoch, padding rows and padding batches empty), every simulated
// rank yields the same number of batches, resume skips exactly the batches already seen,
// restarts and early destruction are clean, and a broken shard is named in the error.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <numeric>

#include "core/error.hpp"
#include "data/slate_loader.hpp"
#include "tests/loader_test_dataset.hpp"
#include "tests/loader_test_expect.hpp"

namespace slatetrain {
namespace {

using testing::TestDataset;

constexpr int64_t kUsers = 230;

class SlateLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    split_.seed = 7;
    split_.valid_fraction = 0.1;
    split_.test_fraction = 0.1;
    dataset_ = testing::make_test_dataset(kUsers, 21, split_);
    directory_ = std::string(SLATETRAIN_BINARY_DIR) + "/loader_test_data/" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name();
    testing::write_test_directory(dataset_, directory_, 3, /*gzip_level=*/1);
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  LoaderOptions options(LoaderPhase phase, int64_t batch_users) const {
    LoaderOptions options;
    options.directory = directory_;
    options.phase = phase;
    options.batch_users = batch_users;
    options.seed = 99;
    options.order.block_users = 16;
    options.order.window_blocks = 2;
    return options;
  }

  // Runs an epoch, checks every batch against the dataset, returns the rows in order.
  std::vector<int64_t> run_epoch(SlateLoader& loader, int64_t epoch, LoaderPhase phase,
                                 int64_t skip = 0) {
    loader.start_epoch(epoch, skip);
    std::vector<int64_t> rows;
    SequenceBatch batch;
    int64_t batches = skip;
    while (loader.next(batch)) {
      ++batches;
      std::vector<int64_t> batch_rows(batch.user_row.begin(),
                                      batch.user_row.begin() + batch.valid_users);
      EXPECT_TRUE(testing::batch_matches(batch, dataset_, batch_rows, phase, split_.t_testsplit))
          << "batch " << batches - 1;
      rows.insert(rows.end(), batch_rows.begin(), batch_rows.end());
    }
    EXPECT_EQ(batches, loader.batches_per_epoch());
    EXPECT_FALSE(loader.next(batch)) << "still false after the end";
    return rows;
  }

  std::vector<int64_t> rows_of_split(int split) const {
    std::vector<int64_t> rows;
    for (const auto& user : dataset_.users)
      if (split < 0 || user.split == split) rows.push_back(user.row);
    return rows;
  }

  SplitParameters split_;
  TestDataset dataset_;
  std::string directory_;
};

TEST_F(SlateLoaderTest, TrainEpochDeliversEveryUserOnceExactly) {
  SlateLoader loader(options(LoaderPhase::kTrain, 32), nullptr);
  EXPECT_EQ(loader.batches_per_epoch(), (kUsers + 31) / 32);
  EXPECT_EQ(loader.users_on_this_rank(), kUsers);
  const auto rows = run_epoch(loader, 0, LoaderPhase::kTrain);
  auto sorted = rows;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, rows_of_split(-1));
  EXPECT_NE(rows, rows_of_split(-1)) << "shuffled";
  const auto stats = loader.stats();
  EXPECT_EQ(stats.users, kUsers);
  EXPECT_EQ(stats.steps, dataset_.interactions());
  EXPECT_EQ(stats.batches, loader.batches_per_epoch());

  // Same epoch again: the same order; another epoch: another order, same users.
  EXPECT_EQ(run_epoch(loader, 0, LoaderPhase::kTrain), rows);
  const auto epoch1 = run_epoch(loader, 1, LoaderPhase::kTrain);
  EXPECT_NE(epoch1, rows);
  // A second loader with the same options gives the same order.
  SlateLoader again(options(LoaderPhase::kTrain, 32), nullptr);
  EXPECT_EQ(run_epoch(again, 1, LoaderPhase::kTrain), epoch1);
}

TEST_F(SlateLoaderTest, ShuffleOffGivesSourceOrder) {
  auto opts = options(LoaderPhase::kTrain, 50);
  opts.shuffle = false;
  SlateLoader loader(opts, nullptr);
  EXPECT_EQ(run_epoch(loader, 3, LoaderPhase::kTrain), rows_of_split(-1));
}

TEST_F(SlateLoaderTest, EvaluationPhasesDeliverOnlyTheirUsers) {
  for (const auto& [phase, split] :
       {std::pair{LoaderPhase::kValid, 1}, std::pair{LoaderPhase::kTest, 2}}) {
    auto opts = options(phase, 8);
    opts.shuffle = false;
    SlateLoader loader(opts, nullptr);
    const auto expected = rows_of_split(split);
    ASSERT_EQ(static_cast<int64_t>(expected.size()), kUsers / 10);
    EXPECT_EQ(loader.phase_users(), static_cast<int64_t>(expected.size()));
    EXPECT_EQ(run_epoch(loader, 0, phase), expected) << loader_phase_name(phase);
    EXPECT_GT(loader.stats().masked_steps, 0);
  }
}

TEST_F(SlateLoaderTest, SimulatedRanksShareTheUsersAndTheBatchCount) {
  const int world = 4;
  std::vector<int64_t> everyone;
  int64_t batches = -1;
  for (int rank = 0; rank < world; ++rank) {
    auto opts = options(LoaderPhase::kTrain, 16);
    opts.rank = rank;
    opts.world_size = world;
    SlateLoader loader(opts, nullptr);
    if (batches < 0) batches = loader.batches_per_epoch();
    EXPECT_EQ(loader.batches_per_epoch(), batches) << "rank " << rank;
    const auto rows = run_epoch(loader, 2, LoaderPhase::kTrain);
    EXPECT_EQ(static_cast<int64_t>(rows.size()), loader.users_on_this_rank());
    everyone.insert(everyone.end(), rows.begin(), rows.end());
  }
  std::sort(everyone.begin(), everyone.end());
  EXPECT_EQ(everyone, rows_of_split(-1));
}

TEST_F(SlateLoaderTest, RanksThatRunOutYieldEmptyBatches) {
  // 23 validation users over 4 ranks: 5 or 6 each; batches of 4 users: 2 batches everywhere,
  // and on a rank with 5 users the second batch holds one user.
  auto opts = options(LoaderPhase::kValid, 4);
  opts.rank = 0;
  opts.world_size = 4;
  SlateLoader loader(opts, nullptr);
  ASSERT_EQ(loader.users_on_this_rank(), 5);
  ASSERT_EQ(loader.batches_per_epoch(), 2);
  // Batches of one user: 6 per epoch, and rank 0 with 5 users ends on an empty one.
  auto wide = options(LoaderPhase::kValid, 1);
  wide.rank = 0;
  wide.world_size = 4;
  SlateLoader thin(wide, nullptr);
  EXPECT_EQ(thin.batches_per_epoch(), 6);
  thin.start_epoch(0);
  SequenceBatch batch;
  std::vector<int64_t> valid_users;
  while (thin.next(batch)) {
    valid_users.push_back(batch.valid_users);
    if (batch.valid_users == 0) {
      EXPECT_EQ(batch.masked_steps, 0);
      EXPECT_EQ(batch.user_row[0], -1);
      EXPECT_TRUE(std::all_of(batch.step_mask.begin(), batch.step_mask.end(),
                              [](uint8_t m) { return m == 0; }));
    }
  }
  EXPECT_EQ(valid_users, (std::vector<int64_t>{1, 1, 1, 1, 1, 0}));
}

TEST_F(SlateLoaderTest, ResumeSkipsExactlyTheBatchesSeen) {
  SlateLoader loader(options(LoaderPhase::kTrain, 20), nullptr);
  const auto full = run_epoch(loader, 4, LoaderPhase::kTrain);
  for (const int64_t skip : {int64_t{1}, int64_t{5}, loader.batches_per_epoch()}) {
    const auto tail = run_epoch(loader, 4, LoaderPhase::kTrain, skip);
    const auto skipped = std::min<size_t>(full.size(), static_cast<size_t>(skip * 20));
    EXPECT_EQ(tail, std::vector<int64_t>(full.begin() + static_cast<long>(skipped), full.end()))
        << "skip " << skip;
  }
  EXPECT_THROW(loader.start_epoch(4, loader.batches_per_epoch() + 1), Error);
}

TEST_F(SlateLoaderTest, RestartMidEpochAndDestroyWhileTheThreadWaits) {
  auto opts = options(LoaderPhase::kTrain, 8);
  opts.prefetch_batches = 1;
  SlateLoader loader(opts, nullptr);
  SequenceBatch batch;
  for (int round = 0; round < 5; ++round) {
    loader.start_epoch(round % 2);
    ASSERT_TRUE(loader.next(batch));
    ASSERT_TRUE(loader.next(batch));
  }
  const auto full = run_epoch(loader, 0, LoaderPhase::kTrain);
  EXPECT_EQ(static_cast<int64_t>(full.size()), kUsers);
  {
    SlateLoader abandoned(opts, nullptr);
    abandoned.start_epoch(0);
    ASSERT_TRUE(abandoned.next(batch));
  }  // the destructor stops the blocked thread
  EXPECT_THROW(SlateLoader(opts, nullptr).next(batch), Error) << "next before start_epoch";
}

TEST_F(SlateLoaderTest, ABrokenShardIsNamedInTheError) {
  SlateLoader loader(options(LoaderPhase::kTrain, 32), nullptr);
  // Shards are opened by the thread when first needed: truncate one now.
  const std::string broken = directory_ + "/shard-00001-of-00003.h5";
  std::filesystem::resize_file(broken, 100);
  loader.start_epoch(0);
  SequenceBatch batch;
  try {
    while (loader.next(batch)) {
    }
    FAIL() << "no error for a truncated shard";
  } catch (const Error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("shard-00001-of-00003.h5"), std::string::npos) << message;
    EXPECT_NE(message.find("rank 0"), std::string::npos) << message;
  }
}

TEST_F(SlateLoaderTest, MissingDirectoryIsAnError) {
  auto opts = options(LoaderPhase::kTrain, 32);
  opts.directory = directory_ + "/nothing-here";
  EXPECT_THROW(SlateLoader(opts, nullptr), Error);
}

}  // namespace
}  // namespace slatetrain
