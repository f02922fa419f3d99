// The loader over session shards (no slates): under leave-one-out every phase's window, mask
// and earlier items, written out by hand for one user and computed from the dataset for many;
// users with fewer than 3 events only train; the users protocol with positions by index and
// its refusal of a window shorter than the longest history; the same batch count on every
// simulated rank, resume, and determinism per seed.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "core/error.hpp"
#include "data/batch_decoder.hpp"
#include "data/slate_loader.hpp"
#include "tests/loader_session_dataset.hpp"

namespace slatetrain {
namespace {

using testing::SessionTestDataset;

// One session user of 7 events (items 10..16), in the session layout.
UserBlock seven_events() {
  UserBlock block;
  block.row = {0};
  block.user_id = {5};
  block.split = {0};
  block.click = {10, 11, 12, 13, 14, 15, 16};
  block.interaction_type = {1, 0, 1, 0, 1, 0, 2};
  block.step_offsets = {0, 7};
  block.original_id_offsets = {0, 1};
  block.original_ids = "u";
  return block;
}

std::vector<int32_t> items_of(const SequenceBatch& batch) {
  return std::vector<int32_t>(batch.item.begin(), batch.item.begin() + batch.max_steps);
}
std::vector<uint8_t> mask_of(const SequenceBatch& batch) {
  return std::vector<uint8_t>(batch.step_mask.begin(), batch.step_mask.begin() + batch.max_steps);
}

TEST(LeaveOneOutDecoder, WindowsMasksAndEarlierItemsByHand) {
  const UserBlock block = seven_events();
  SequenceBatch batch;
  // T = 3: train is the last 3 of e0..e4, valid ends at e5, test at e6.
  {
    const BatchDecoder decoder(LoaderPhase::kTrain, 3, 0, 0, Protocol::kLeaveOneOut);
    decoder.reset(batch, 2);
    decoder.append_user(block, 0, batch);
    EXPECT_EQ(items_of(batch), (std::vector<int32_t>{12, 13, 14}));
    EXPECT_EQ(mask_of(batch), (std::vector<uint8_t>{1, 1, 1}));
    EXPECT_TRUE(batch.earlier_offsets.empty() && batch.earlier_items.empty());
    EXPECT_EQ(batch.interaction_type[0], 1);
  }
  {
    const BatchDecoder decoder(LoaderPhase::kValid, 3, 0, 0, Protocol::kLeaveOneOut);
    decoder.reset(batch, 2);
    decoder.append_user(block, 0, batch);
    EXPECT_EQ(items_of(batch), (std::vector<int32_t>{13, 14, 15}));
    EXPECT_EQ(mask_of(batch), (std::vector<uint8_t>{0, 0, 1}));
    EXPECT_EQ(batch.earlier_offsets, (std::vector<int64_t>{0, 3, 3}));
    EXPECT_EQ(batch.earlier_items, (std::vector<int32_t>{10, 11, 12}));
  }
  {
    const BatchDecoder decoder(LoaderPhase::kTest, 3, 0, 0, Protocol::kLeaveOneOut);
    decoder.reset(batch, 2);
    decoder.append_user(block, 0, batch);
    EXPECT_EQ(items_of(batch), (std::vector<int32_t>{14, 15, 16}));
    EXPECT_EQ(mask_of(batch), (std::vector<uint8_t>{0, 0, 1}));
    EXPECT_EQ(batch.earlier_items, (std::vector<int32_t>{10, 11, 12, 13}));
    EXPECT_EQ(batch.masked_steps, 1);
    EXPECT_EQ(batch.real_steps, 3);
    EXPECT_EQ(batch.interaction_type[2], 2);
  }
  // T = 10: left-aligned, padding after; nothing earlier.
  {
    const BatchDecoder decoder(LoaderPhase::kTest, 10, 0, 0, Protocol::kLeaveOneOut);
    decoder.reset(batch, 1);
    decoder.append_user(block, 0, batch);
    EXPECT_EQ(items_of(batch), (std::vector<int32_t>{10, 11, 12, 13, 14, 15, 16, 0, 0, 0}));
    EXPECT_EQ(mask_of(batch), (std::vector<uint8_t>{0, 0, 0, 0, 0, 0, 1, 0, 0, 0}));
    EXPECT_EQ(batch.earlier_offsets, (std::vector<int64_t>{0, 0}));
    EXPECT_TRUE(batch.earlier_items.empty());
  }
  {
    const BatchDecoder decoder(LoaderPhase::kTrain, 10, 0, 0, Protocol::kLeaveOneOut);
    decoder.reset(batch, 1);
    decoder.append_user(block, 0, batch);
    EXPECT_EQ(items_of(batch), (std::vector<int32_t>{10, 11, 12, 13, 14, 0, 0, 0, 0, 0}));
    EXPECT_EQ(mask_of(batch), (std::vector<uint8_t>{1, 1, 1, 1, 1, 0, 0, 0, 0, 0}));
  }
}

TEST(LeaveOneOutDecoder, ShortUsersOnlyTrainOnEverything) {
  UserBlock block = seven_events();
  block.click = {20, 21};
  block.interaction_type = {0, 0};
  block.step_offsets = {0, 2};
  SequenceBatch batch;
  const BatchDecoder train(LoaderPhase::kTrain, 4, 0, 0, Protocol::kLeaveOneOut);
  train.reset(batch, 1);
  train.append_user(block, 0, batch);
  EXPECT_EQ(items_of(batch), (std::vector<int32_t>{20, 21, 0, 0}));
  EXPECT_EQ(mask_of(batch), (std::vector<uint8_t>{1, 1, 0, 0}));
  const BatchDecoder valid(LoaderPhase::kValid, 4, 0, 0, Protocol::kLeaveOneOut);
  valid.reset(batch, 1);
  try {
    valid.append_user(block, 0, batch);
    FAIL() << "a user of 2 events was given a validation event";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("2 events, fewer than the 3"), std::string::npos)
        << error.what();
  }
}

TEST(LeaveOneOutDecoder, UsersProtocolPlacesSessionStepsByIndexAndRefusesLongRows) {
  const UserBlock block = seven_events();
  SequenceBatch batch;
  const BatchDecoder decoder(LoaderPhase::kTrain, 9, 0, 0);
  decoder.reset(batch, 1);
  decoder.append_user(block, 0, batch);
  EXPECT_EQ(items_of(batch), (std::vector<int32_t>{10, 11, 12, 13, 14, 15, 16, 0, 0}));
  const BatchDecoder narrow(LoaderPhase::kTrain, 6, 0, 0);
  narrow.reset(batch, 1);
  EXPECT_THROW(narrow.append_user(block, 0, batch), Error);
}

class SessionLoaderTest : public ::testing::Test {
 protected:
  void make(Protocol protocol) {
    SplitParameters split;
    split.seed = 4;
    split.valid_fraction = split.test_fraction = 0.15;
    split.t_testsplit = 6;
    dataset_ = testing::make_session_test_dataset(170, 13, protocol, split);
    directory_ = std::string(SLATETRAIN_BINARY_DIR) + "/loader_session_data/" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name();
    testing::write_session_test_directory(dataset_, directory_, 3);
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  LoaderOptions options(LoaderPhase phase, int64_t batch_users, int window) const {
    LoaderOptions options;
    options.directory = directory_;
    options.phase = phase;
    options.batch_users = batch_users;
    options.seed = 31;
    options.window_steps = window;
    options.order.block_users = 16;
    options.order.window_blocks = 2;
    return options;
  }

  // Runs an epoch, checks every batch, returns the rows in delivery order.
  std::vector<int64_t> run_epoch(SlateLoader& loader, int64_t epoch, LoaderPhase phase,
                                 int64_t skip = 0) {
    loader.start_epoch(epoch, skip);
    std::vector<int64_t> rows;
    SequenceBatch batch;
    int64_t batches = skip;
    while (loader.next(batch)) {
      ++batches;
      const std::vector<int64_t> batch_rows(batch.user_row.begin(),
                                            batch.user_row.begin() + batch.valid_users);
      EXPECT_TRUE(
          testing::session_batch_matches(batch, dataset_, batch_rows, phase, loader.window_steps()))
          << loader_phase_name(phase) << " batch " << batches - 1;
      rows.insert(rows.end(), batch_rows.begin(), batch_rows.end());
    }
    EXPECT_EQ(batches, loader.batches_per_epoch());
    return rows;
  }

  SessionTestDataset dataset_;
  std::string directory_;
};

TEST_F(SessionLoaderTest, LeaveOneOutPhasesDeliverTheirUsersOnceWithTheirWindows) {
  make(Protocol::kLeaveOneOut);
  for (const int window : {0, 7}) {
    for (const LoaderPhase phase : {LoaderPhase::kTrain, LoaderPhase::kValid, LoaderPhase::kTest}) {
      SlateLoader loader(options(phase, 12, window), nullptr);
      EXPECT_EQ(loader.protocol(), Protocol::kLeaveOneOut);
      EXPECT_EQ(loader.window_steps(), window == 0 ? dataset_.max_steps() : window);
      std::vector<int64_t> rows = run_epoch(loader, 1, phase);
      std::sort(rows.begin(), rows.end());
      EXPECT_EQ(rows, testing::session_phase_rows(dataset_, phase))
          << loader_phase_name(phase) << " window " << window;
    }
  }
  const auto train_only = std::count_if(dataset_.users.begin(), dataset_.users.end(),
                                        [](const auto& user) { return user.items.size() < 3; });
  EXPECT_GT(train_only, 0) << "the dataset should have users that only train";
}

TEST_F(SessionLoaderTest, LeaveOneOutRanksShareUsersAndBatchCountsAndResume) {
  make(Protocol::kLeaveOneOut);
  for (const LoaderPhase phase : {LoaderPhase::kTrain, LoaderPhase::kTest}) {
    std::vector<int64_t> everyone;
    int64_t batches = -1;
    for (int rank = 0; rank < 3; ++rank) {
      LoaderOptions o = options(phase, 9, 5);
      o.rank = rank;
      o.world_size = 3;
      SlateLoader loader(o, nullptr);
      if (batches < 0) batches = loader.batches_per_epoch();
      EXPECT_EQ(loader.batches_per_epoch(), batches) << "rank " << rank;
      const std::vector<int64_t> rows = run_epoch(loader, 0, phase);
      everyone.insert(everyone.end(), rows.begin(), rows.end());
    }
    std::sort(everyone.begin(), everyone.end());
    EXPECT_EQ(everyone, testing::session_phase_rows(dataset_, phase));
  }
  SlateLoader loader(options(LoaderPhase::kTrain, 10, 5), nullptr);
  const std::vector<int64_t> whole = run_epoch(loader, 2, LoaderPhase::kTrain);
  const std::vector<int64_t> again = run_epoch(loader, 2, LoaderPhase::kTrain);
  EXPECT_EQ(whole, again) << "the same epoch and seed give the same order";
  const std::vector<int64_t> tail = run_epoch(loader, 2, LoaderPhase::kTrain, 4);
  EXPECT_TRUE(std::equal(tail.begin(), tail.end(), whole.end() - tail.size()))
      << "resume delivers exactly the rest";
  EXPECT_EQ(whole.size() - tail.size(), 40u);
}

TEST_F(SessionLoaderTest, UsersProtocolOnSessionsNeedsTheWholeHistory) {
  make(Protocol::kUsers);
  for (const LoaderPhase phase : {LoaderPhase::kTrain, LoaderPhase::kValid, LoaderPhase::kTest}) {
    SlateLoader loader(options(phase, 16, 0), nullptr);
    std::vector<int64_t> rows = run_epoch(loader, 0, phase);
    std::sort(rows.begin(), rows.end());
    EXPECT_EQ(rows, testing::session_phase_rows(dataset_, phase));
  }
  SlateLoader wider(options(LoaderPhase::kTrain, 16, dataset_.max_steps() + 4), nullptr);
  run_epoch(wider, 0, LoaderPhase::kTrain);
  try {
    SlateLoader narrow(options(LoaderPhase::kTrain, 16, dataset_.max_steps() - 1), nullptr);
    FAIL() << "a window shorter than the longest row was accepted";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("protocol users"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find(directory_), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace slatetrain
