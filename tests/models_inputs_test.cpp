// The model's view of a batch: id dedup, slate-loss targets (anomalies and masked slots left
// out), click-only / every-step advance, slates fetched for loss steps only, and the
// counter-based negatives.
#include <gtest/gtest.h>

#include <vector>

#include "core/error.hpp"
#include "models/batch_ids.hpp"
#include "models/model_inputs.hpp"

namespace slatetrain {
namespace {

TEST(UniqueIds, SortsDeduplicatesAndRemaps) {
  const UniqueIds unique = unique_ids({5, 3, 5, 9, 3});
  EXPECT_EQ(unique.ids, (std::vector<int64_t>{3, 5, 9}));
  EXPECT_EQ(unique.index, (std::vector<int32_t>{1, 0, 1, 2, 0}));
  EXPECT_TRUE(unique_ids({}).ids.empty());
  EXPECT_THROW(unique_ids({4, -1}), Error);
}

// shapes: B = 2 (user 1 is padding), T = 3, S = 4.
SequenceBatch small_batch() {
  SequenceBatch batch;
  batch.batch_users = 2;
  batch.valid_users = 1;
  batch.max_steps = 3;
  batch.slate_slots = 4;
  batch.user_row = {17, -1};
  batch.split = {0, 0};
  batch.slate = {1, 4, 5, 2, 1, 4, 0, 0, 1, 6, 2, 0,  // user 0
                 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  batch.item = {5, 7, 1, 0, 0, 0};  // step 1: the clicked 7 is not at slate[0] (anomaly)
  batch.click_idx = {2, 0, 0, 0, 0, 0};
  batch.slate_length = {4, 2, 3, 0, 0, 0};
  batch.interaction_type = {1, 2, 1, 0, 0, 0};
  batch.step_mask = {1, 1, 1, 0, 0, 0};
  batch.masked_steps = 3;
  batch.real_steps = 3;
  return batch;
}

TEST(BuildModelBatch, SlateTargetsAdvanceAndRows) {
  const SequenceBatch batch = small_batch();
  const ModelBatch model_batch = build_model_batch(batch, {});
  EXPECT_EQ(model_batch.unique_ids, (std::vector<int64_t>{4, 5, 6, 7}));
  EXPECT_EQ(model_batch.target, (std::vector<int32_t>{2, -1, 0, -1, -1, -1}));
  EXPECT_EQ(model_batch.slate_loss_steps, 2);
  EXPECT_EQ(model_batch.advance, (std::vector<uint8_t>{1, 1, 0, 0, 0, 0}));
  EXPECT_EQ(model_batch.click_rows, (std::vector<int32_t>{1, 3, -1, -1, -1, -1}));
  // Slot 0 and ids <= 2 are -1; the anomaly step's slate is not fetched; padding is -1.
  const std::vector<int32_t> expected_slate_rows = {-1, 0,  1,  -1, -1, -1, -1, -1, -1, 2,  -1, -1,
                                                    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1};
  EXPECT_EQ(model_batch.slate_rows, expected_slate_rows);
  EXPECT_EQ(model_batch.slate_length, (std::vector<int32_t>{4, 2, 3, 0, 0, 0}));
  const ModelInputs inputs = model_batch.inputs();
  EXPECT_EQ(inputs.num_rows, 4);
  EXPECT_EQ(inputs.negative_rows, nullptr);
}

TEST(BuildModelBatch, EveryStepAdvanceFeedsTheNoClickId) {
  const ModelBatch model_batch = build_model_batch(small_batch(), {true, 0});
  EXPECT_EQ(model_batch.unique_ids, (std::vector<int64_t>{1, 4, 5, 6, 7}));
  EXPECT_EQ(model_batch.advance, (std::vector<uint8_t>{1, 1, 1, 0, 0, 0}));
  EXPECT_EQ(model_batch.click_rows[2], 0);  // id 1
}

TEST(BuildModelBatch, HeldOutPhaseReplaysHistoryWithoutItsSlates) {
  SequenceBatch batch = small_batch();
  batch.step_mask = {0, 0, 1, 0, 0, 0};  // only step 2 is evaluated
  const ModelBatch model_batch = build_model_batch(batch, {});
  EXPECT_EQ(model_batch.advance, (std::vector<uint8_t>{1, 1, 0, 0, 0, 0}));
  EXPECT_EQ(model_batch.target, (std::vector<int32_t>{-1, -1, 0, -1, -1, -1}));
  EXPECT_EQ(model_batch.unique_ids, (std::vector<int64_t>{5, 6, 7}));
  for (int s = 0; s < 4; ++s) EXPECT_EQ(model_batch.slate_rows[s], -1) << "step 0 slot " << s;
}

TEST(BuildModelBatch, SampledSoftmaxPositivesAndNegatives) {
  const SequenceBatch batch = small_batch();
  const int K = 2;
  const std::vector<int32_t> negatives = draw_negatives(batch, K, 10, 99);
  const ModelBatch model_batch = build_model_batch(batch, {false, K}, &negatives);
  // Real clicks (5 at step 0, 7 at step 1, the anomaly included) are loss steps.
  EXPECT_EQ(model_batch.sampled_loss_steps, 2);
  const auto& ids = model_batch.unique_ids;
  EXPECT_EQ(ids[model_batch.positive_rows[0]], 5);
  EXPECT_EQ(ids[model_batch.positive_rows[1]], 7);
  EXPECT_EQ(model_batch.positive_rows[2], -1);
  for (int step = 0; step < 2; ++step) {
    for (int k = 0; k < K; ++k) {
      EXPECT_EQ(ids[model_batch.negative_rows[step * K + k]], negatives[step * K + k]);
    }
  }
  EXPECT_EQ(model_batch.negative_rows[2 * K], -1);
  EXPECT_THROW(build_model_batch(batch, {false, K}, nullptr), Error);
}

TEST(DrawNegatives, UniformItemsThatDependOnTheUserNotThePosition) {
  SequenceBatch batch = small_batch();
  const std::vector<int32_t> first = draw_negatives(batch, 4, 50, 7);
  ASSERT_EQ(first.size(), 2u * 3 * 4);
  for (size_t i = 0; i < 12; ++i) {
    EXPECT_GE(first[i], 3) << i;
    EXPECT_LT(first[i], 50) << i;
  }
  for (size_t i = 12; i < first.size(); ++i) EXPECT_EQ(first[i], 0) << "padding user, " << i;
  // The same user in the other batch position draws the same ids; another seed differs.
  batch.user_row = {-1, 17};
  const std::vector<int32_t> moved = draw_negatives(batch, 4, 50, 7);
  EXPECT_EQ(std::vector<int32_t>(moved.begin() + 12, moved.end()),
            std::vector<int32_t>(first.begin(), first.begin() + 12));
  EXPECT_NE(draw_negatives(small_batch(), 4, 50, 8), first);
}

}  // namespace
}  // namespace slatetrain
