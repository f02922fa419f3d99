// BatchDecoder: a UserBlock decodes into exactly the padded batch the dataset describes, with
// the step mask of each phase, and inconsistent blocks are refused with the user's row.
#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"
#include "data/batch_decoder.hpp"
#include "data/split.hpp"
#include "tests/loader_test_dataset.hpp"
#include "tests/loader_test_expect.hpp"

namespace slatetrain {
namespace {

using testing::make_test_dataset;
using testing::TestDataset;
using testing::user_block_of;

constexpr int kT = 20, kS = 25, kTestsplit = 5;

TEST(BatchDecoder, DecodesEveryUserExactlyAndPads) {
  SplitParameters split;
  split.seed = 11;
  split.valid_fraction = split.test_fraction = 0.2;
  const TestDataset dataset = make_test_dataset(40, 5, split);
  const UserBlock block = user_block_of(dataset, 0, 40);
  for (const LoaderPhase phase : {LoaderPhase::kTrain, LoaderPhase::kValid, LoaderPhase::kTest}) {
    const BatchDecoder decoder(phase, kT, kS, kTestsplit);
    SequenceBatch batch;
    decoder.reset(batch, 16);
    // Users 30..39 in reverse, so the batch rows are not the block order; 6 padding rows.
    for (int64_t u = 39; u >= 30; --u) decoder.append_user(block, u, batch);
    ASSERT_EQ(batch.valid_users, 10);
    std::vector<int64_t> rows;
    for (int64_t u = 39; u >= 30; --u) rows.push_back(u);
    EXPECT_TRUE(testing::batch_matches(batch, dataset, rows, phase, kTestsplit))
        << loader_phase_name(phase);
  }
}

TEST(BatchDecoder, StepMaskFollowsThePhase) {
  // One validation user: a training-part step (t 3), a held-out step (t 7), a held-out no-click
  // (t 9), and a stored step with click 0 (t 12) that never counts.
  UserBlock block;
  block.row = {4};
  block.user_id = {104};
  block.split = {static_cast<uint8_t>(Split::kValid)};
  block.t = {3, 7, 9, 12};
  block.click = {5, 6, 1, 0};
  block.click_idx = {1, 2, 0, 0};
  block.slate_length = {2, 3, 1, 1};
  block.interaction_type = {1, 2, 1, 2};
  block.slate_item = {1, 5, 1, 4, 6, 1, 1};
  block.slate_offsets = {0, 2, 5, 6, 7};
  block.step_offsets = {0, 4};

  auto mask_of = [&](LoaderPhase phase, int64_t& masked, int64_t& real) {
    const BatchDecoder decoder(phase, kT, kS, kTestsplit);
    SequenceBatch batch;
    decoder.reset(batch, 2);
    decoder.append_user(block, 0, batch);
    masked = batch.masked_steps;
    real = batch.real_steps;
    std::string mask;
    for (int t = 0; t < kT; ++t) mask += batch.step_mask[batch.step_index(0, t)] ? '1' : '.';
    for (int t = 0; t < kT; ++t)
      EXPECT_EQ(batch.step_mask[batch.step_index(1, t)], 0) << "padding row, t " << t;
    return mask;
  };
  int64_t masked = 0, real = 0;
  EXPECT_EQ(mask_of(LoaderPhase::kTrain, masked, real), "...1................");
  EXPECT_EQ(masked, 1);
  EXPECT_EQ(real, 3);
  EXPECT_EQ(mask_of(LoaderPhase::kValid, masked, real), ".......1.1..........");
  EXPECT_EQ(masked, 2);
  // The test phase applies the same held-out rule; the loader gives it only test users.
  EXPECT_EQ(mask_of(LoaderPhase::kTest, masked, real), ".......1.1..........");

  // A training user: every real step trains, none is held out.
  block.split = {static_cast<uint8_t>(Split::kTrain)};
  EXPECT_EQ(mask_of(LoaderPhase::kTrain, masked, real), "...1...1.1..........");
  EXPECT_EQ(mask_of(LoaderPhase::kValid, masked, real), "....................");
}

TEST(BatchDecoder, ResetClearsAReusedBatch) {
  SplitParameters split;
  const TestDataset dataset = make_test_dataset(8, 2, split);
  const UserBlock block = user_block_of(dataset, 0, 8);
  const BatchDecoder decoder(LoaderPhase::kTrain, kT, kS, kTestsplit);
  SequenceBatch batch;
  decoder.reset(batch, 8);
  for (int64_t u = 0; u < 8; ++u) decoder.append_user(block, u, batch);
  decoder.reset(batch, 4);
  decoder.append_user(block, 2, batch);
  EXPECT_TRUE(testing::batch_matches(batch, dataset, {2}, LoaderPhase::kTrain, kTestsplit));
}

TEST(BatchDecoder, RefusesInconsistentBlocksNamingTheRow) {
  UserBlock block;
  block.row = {77};
  block.user_id = {1};
  block.split = {0};
  block.t = {4, 4};  // not increasing
  block.click = {1, 1};
  block.click_idx = {0, 0};
  block.slate_length = {1, 1};
  block.interaction_type = {1, 1};
  block.slate_item = {1, 1};
  block.slate_offsets = {0, 1, 2};
  block.step_offsets = {0, 2};
  const BatchDecoder decoder(LoaderPhase::kTrain, kT, kS, kTestsplit);
  SequenceBatch batch;
  decoder.reset(batch, 1);
  auto message_of = [&](const UserBlock& bad) -> std::string {
    decoder.reset(batch, 1);
    try {
      decoder.append_user(bad, 0, batch);
    } catch (const Error& error) {
      return error.what();
    }
    return "no error";
  };
  std::string message = message_of(block);
  EXPECT_NE(message.find("user row 77"), std::string::npos) << message;
  EXPECT_NE(message.find("t = 4"), std::string::npos) << message;

  block.t = {4, 20};  // beyond max_steps
  message = message_of(block);
  EXPECT_NE(message.find("t = 20"), std::string::npos) << message;

  block.t = {4, 5};
  block.slate_item.assign(27, 1);  // a slate of 26 items for 25 slots
  block.slate_offsets = {0, 1, 27};
  message = message_of(block);
  EXPECT_NE(message.find("user row 77, step t=5: slate of 26 items"), std::string::npos) << message;

  block.slate_offsets = {0, 1, 30};  // past the slate items
  message = message_of(block);
  EXPECT_NE(message.find("outside the block's 27 slate items"), std::string::npos) << message;
}

}  // namespace
}  // namespace slatetrain
