// The model's view of a batch: id dedup, input events (clicks only / every step), the slate
// objective's targets (anomalies and masked slots left out, slates fetched for loss steps
// only), the sampled softmax's positives and counter-based negatives, and the refusal of
// interaction types outside the dataset's.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "core/cpu_backend.hpp"
#include "core/error.hpp"
#include "models/batch_ids.hpp"
#include "models/model_batch.hpp"
#include "models/parameter_buffer.hpp"
#include "models/sampled_softmax_objective.hpp"
#include "models/slate_objective.hpp"

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

// A slate objective and a sampled softmax over the ids of small_batch.
struct Objectives {
  CpuBackend backend{1};
  ParameterBuffer parameters;
  SlateObjective slate{backend, parameters, SlateObjectiveConfig{IdConventions{}, 2, 27}};
  SampledSoftmaxObjective sampled{backend,
                                  SampledSoftmaxObjectiveConfig{IdConventions{}, 10, 2, 2}};
};

const SlateObjectiveBatch& slate_part(const ModelBatch& batch) {
  return dynamic_cast<const SlateObjectiveBatch&>(*batch.objective);
}

TEST(BuildModelBatch, SlateTargetsInputsAndRows) {
  Objectives objectives;
  const ModelBatch model_batch = build_model_batch(small_batch(), {}, &objectives.slate, 0);
  EXPECT_EQ(model_batch.unique_ids, (std::vector<int64_t>{4, 5, 6, 7}));
  const SlateObjectiveBatch& slate = slate_part(model_batch);
  EXPECT_EQ(slate.loss_step, (std::vector<uint8_t>{1, 0, 1, 0, 0, 0}));
  EXPECT_EQ(slate.target, (std::vector<int32_t>{2, 0, 0, 0, 0, 0}));
  EXPECT_EQ(model_batch.loss_steps(), 2);
  EXPECT_EQ(model_batch.has_input, (std::vector<uint8_t>{1, 1, 0, 0, 0, 0}));
  EXPECT_EQ(model_batch.input_rows, (std::vector<int32_t>{1, 3, -1, -1, -1, -1}));
  // Slot 0 and ids <= 2 are -1; the anomaly step's slate is not fetched; padding is -1.
  const std::vector<int32_t> expected_slate_rows = {-1, 0,  1,  -1, -1, -1, -1, -1, -1, 2,  -1, -1,
                                                    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1};
  EXPECT_EQ(slate.slate_rows, expected_slate_rows);
  EXPECT_EQ(slate.slate_length, (std::vector<int32_t>{4, 2, 3, 0, 0, 0}));
  const SequenceInputs inputs = model_batch.sequence_inputs();
  EXPECT_EQ(inputs.num_rows, 4);
  EXPECT_EQ(inputs.user_row[0], 17);
}

TEST(BuildModelBatch, EveryStepInputFeedsTheNoClickId) {
  SequenceInputOptions options;
  options.input_every_step = true;
  const ModelBatch model_batch = build_model_batch(small_batch(), options, nullptr, 0);
  EXPECT_EQ(model_batch.unique_ids, (std::vector<int64_t>{1, 5, 7}));
  EXPECT_EQ(model_batch.has_input, (std::vector<uint8_t>{1, 1, 1, 0, 0, 0}));
  EXPECT_EQ(model_batch.input_rows[2], 0);  // id 1
  EXPECT_EQ(model_batch.objective, nullptr);
  EXPECT_EQ(model_batch.loss_steps(), 0);
}

TEST(BuildModelBatch, HeldOutPhaseReplaysHistoryWithoutItsSlates) {
  Objectives objectives;
  SequenceBatch batch = small_batch();
  batch.step_mask = {0, 0, 1, 0, 0, 0};  // only step 2 is evaluated
  const ModelBatch model_batch = build_model_batch(batch, {}, &objectives.slate, 0);
  EXPECT_EQ(model_batch.has_input, (std::vector<uint8_t>{1, 1, 0, 0, 0, 0}));
  EXPECT_EQ(slate_part(model_batch).loss_step, (std::vector<uint8_t>{0, 0, 1, 0, 0, 0}));
  EXPECT_EQ(model_batch.unique_ids, (std::vector<int64_t>{5, 6, 7}));
  for (int s = 0; s < 4; ++s)
    EXPECT_EQ(slate_part(model_batch).slate_rows[s], -1) << "step 0 slot " << s;
}

TEST(BuildModelBatch, SampledSoftmaxPositivesAndNegatives) {
  Objectives objectives;
  const SequenceBatch batch = small_batch();
  const int K = 2;
  const ModelBatch model_batch = build_model_batch(batch, {}, &objectives.sampled, 99);
  const auto& sampled = dynamic_cast<const SampledSoftmaxBatch&>(*model_batch.objective);
  const std::vector<int32_t> negatives = draw_uniform_negatives(batch, K, {}, 10, 99);
  // Real clicks (5 at step 0, 7 at step 1, the anomaly included) are loss steps.
  EXPECT_EQ(model_batch.loss_steps(), 2);
  const auto& ids = model_batch.unique_ids;
  EXPECT_EQ(ids[sampled.positive[0]], 5);
  EXPECT_EQ(ids[sampled.positive[1]], 7);
  EXPECT_EQ(sampled.positive[2], -1);
  for (int step = 0; step < 2; ++step) {
    for (int k = 0; k < K; ++k) {
      EXPECT_EQ(ids[sampled.negative[step * K + k]], negatives[step * K + k]);
    }
  }
  EXPECT_EQ(sampled.negative[2 * K], -1);
  // No slate rows are fetched for a sampled softmax: only inputs, positives and negatives.
  for (const int64_t id : ids) {
    const bool drawn =
        std::find(negatives.begin(), negatives.begin() + 2 * K, id) != negatives.begin() + 2 * K;
    EXPECT_TRUE(id == 5 || id == 7 || drawn) << "row of id " << id;
  }
}

TEST(BuildModelBatch, InteractionTypesOutsideTheDatasetAreRefused) {
  SequenceInputOptions options;
  options.interaction_types = 2;  // types 0 and 1: the batch's type 2 at step 1 is refused
  EXPECT_THROW(build_model_batch(small_batch(), options, nullptr, 0), Error);
}

TEST(DrawNegatives, UniformItemsThatDependOnTheUserNotThePosition) {
  SequenceBatch batch = small_batch();
  const std::vector<int32_t> first = draw_uniform_negatives(batch, 4, {}, 50, 7);
  ASSERT_EQ(first.size(), 2u * 3 * 4);
  for (size_t i = 0; i < 12; ++i) {
    EXPECT_GE(first[i], 3) << i;
    EXPECT_LT(first[i], 50) << i;
  }
  for (size_t i = 12; i < first.size(); ++i) EXPECT_EQ(first[i], 0) << "padding user, " << i;
  // The same user in the other batch position draws the same ids; another seed differs.
  batch.user_row = {-1, 17};
  const std::vector<int32_t> moved = draw_uniform_negatives(batch, 4, {}, 50, 7);
  EXPECT_EQ(std::vector<int32_t>(moved.begin() + 12, moved.end()),
            std::vector<int32_t>(first.begin(), first.begin() + 12));
  EXPECT_NE(draw_uniform_negatives(small_batch(), 4, {}, 50, 8), first);
}

}  // namespace
}  // namespace slatetrain
