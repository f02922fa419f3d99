// The whole GruSlateModel against central finite differences: every dense parameter in the
// flat buffer and every item row, for both losses, with interaction types and H != D.
#include <gtest/gtest.h>

#include <vector>

#include "core/cpu_backend.hpp"
#include "core/error.hpp"
#include "core/random.hpp"
#include "models/gru_slate_model.hpp"
#include "tests/models_test_support.hpp"

namespace slatetrain {
namespace {

using testing::matches_finite_differences;

// shapes: B = 2, T = 4, S = 4; items 3..9.
SequenceBatch random_batch(Random& random) {
  SequenceBatch batch;
  batch.batch_users = batch.valid_users = 2;
  batch.max_steps = 4;
  batch.slate_slots = 4;
  batch.user_row = {0, 1};
  batch.split = {0, 0};
  for (int step = 0; step < 8; ++step) {
    const bool padded = step == 7;
    const bool no_click = step == 2 || step == 5;
    std::vector<int32_t> slate = {1, static_cast<int32_t>(3 + random.below(7)),
                                  static_cast<int32_t>(3 + random.below(7)), step == 4 ? 2 : 0};
    if (padded) slate = {0, 0, 0, 0};
    const int index = no_click || padded ? 0 : 1 + static_cast<int>(random.below(2));
    batch.slate.insert(batch.slate.end(), slate.begin(), slate.end());
    batch.item.push_back(padded ? 0 : slate[index]);
    batch.click_idx.push_back(static_cast<uint8_t>(index));
    batch.slate_length.push_back(padded ? 0 : 3);
    batch.interaction_type.push_back(padded ? 0 : static_cast<uint8_t>(1 + step % 2));
    batch.step_mask.push_back(!padded);
  }
  return batch;
}

void check_model_gradients(LossKind loss_kind) {
  CpuBackend backend(1);
  Random random(41);
  GruSlateModelConfig config;
  config.dim = 3;
  config.hidden = 4;
  config.interaction_type_embedding = true;
  config.loss = loss_kind;
  GruSlateModel model(backend, config);
  model.initialize(5);
  // Non-zero no-click biases, so their gradients are not trivially at zero weights.
  std::vector<float> bias(kNoClickBiasSize);
  for (float& value : bias) value = static_cast<float>(0.3 * random.normal());
  model.parameters().set_values("no_click_bias", bias);

  const SequenceBatch batch = random_batch(random);
  const int K = loss_kind == LossKind::kSampledSoftmax ? 3 : 0;
  const std::vector<int32_t> negatives = draw_negatives(batch, K, 10, 3);
  const ModelBatch model_batch = build_model_batch(batch, {false, K}, &negatives);
  const ModelInputs inputs = model_batch.inputs();
  std::vector<float> rows(static_cast<size_t>(inputs.num_rows * config.dim));
  for (float& value : rows) value = static_cast<float>(0.7 * random.normal());

  const float scale = 0.5f;
  model.forward(inputs, rows.data());
  std::vector<float> drows(rows.size());
  model.parameters().zero_gradients();
  model.backward(drows.data(), scale);
  auto loss = [&] { return scale * model.forward(inputs, rows.data()); };
  EXPECT_TRUE(matches_finite_differences("rows", rows, drows, loss));

  // Each parameter through a host copy written back before every forward.
  for (const ParameterView& view : model.parameters().views()) {
    std::vector<float> values = model.parameters().get_values(view.name);
    const std::vector<float> gradient = model.parameters().get_gradients(view.name);
    auto parameter_loss = [&] {
      model.parameters().set_values(view.name, values);
      return loss();
    };
    EXPECT_TRUE(matches_finite_differences(view.name, values, gradient, parameter_loss));
    model.parameters().set_values(view.name, values);
  }
}

TEST(GruSlateModelGradients, SlateLossMatchesFiniteDifferences) {
  check_model_gradients(LossKind::kSlate);
}

TEST(GruSlateModelGradients, SampledSoftmaxLossMatchesFiniteDifferences) {
  check_model_gradients(LossKind::kSampledSoftmax);
}

TEST(GruSlateModelGradients, GradientsAccumulateAcrossBackwards) {
  CpuBackend backend(1);
  Random random(42);
  GruSlateModelConfig config;
  config.dim = 3;
  config.hidden = 4;
  GruSlateModel model(backend, config);
  model.initialize(6);
  const ModelBatch model_batch = build_model_batch(random_batch(random), {});
  std::vector<float> rows(model_batch.unique_ids.size() * 3, 0.2f);
  std::vector<float> drows(rows.size());
  model.parameters().zero_gradients();
  model.forward(model_batch.inputs(), rows.data());
  model.backward(drows.data(), 1.0f);
  const std::vector<float> once = model.parameters().get_gradients("gru.weight_hh");
  model.forward(model_batch.inputs(), rows.data());
  model.backward(drows.data(), 1.0f);
  const std::vector<float> twice = model.parameters().get_gradients("gru.weight_hh");
  std::vector<float> doubled;
  for (const float value : once) doubled.push_back(2 * value);
  EXPECT_TRUE(testing::all_near("accumulated gru.weight_hh grad", twice, doubled, 1e-6));
  EXPECT_THROW(model.backward(drows.data(), 1.0f), Error);  // one backward per forward
}

}  // namespace
}  // namespace slatetrain

namespace slatetrain {
namespace {

TEST(GruSlateModelGradients, BatchShapeChangeWithTheSameStepCount) {
  CpuBackend backend(1);
  Random random(43);
  GruSlateModelConfig config;
  config.dim = 3;
  config.hidden = 4;
  SequenceBatch long_users = random_batch(random);  // B = 2, T = 4
  SequenceBatch short_users = long_users;           // the same arrays read as B = 4, T = 2
  short_users.batch_users = short_users.valid_users = 4;
  short_users.max_steps = 2;
  short_users.user_row = {0, 1, 2, 3};
  short_users.split = {0, 0, 0, 0};
  const ModelBatch first = build_model_batch(long_users, {});
  const ModelBatch second = build_model_batch(short_users, {});
  std::vector<float> rows(second.unique_ids.size() * 3, 0.3f);
  rows[1] = -0.4f;

  GruSlateModel reused(backend, config), fresh(backend, config);
  reused.initialize(9);
  fresh.initialize(9);
  std::vector<float> first_rows(first.unique_ids.size() * 3, 0.1f);
  reused.forward(first.inputs(), first_rows.data());
  EXPECT_EQ(reused.forward(second.inputs(), rows.data()),
            fresh.forward(second.inputs(), rows.data()));
}

}  // namespace
}  // namespace slatetrain
