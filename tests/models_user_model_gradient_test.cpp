// Each user model with each objective against central finite differences: every dense
// parameter in the flat buffer (the objective's included) and every item row, with
// interaction types (the GRU with H != D; the transformer with dropout on, its masks the same
// in every perturbed forward); gradients accumulate over backwards; one backward per forward.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "core/cpu_backend.hpp"
#include "core/error.hpp"
#include "core/random.hpp"
#include "models/recommender_model.hpp"
#include "tests/models_run_support.hpp"
#include "tests/models_test_support.hpp"

namespace slatetrain {
namespace {

using testing::matches_finite_differences;
using testing::model_loss;
using testing::model_loss_and_gradients;

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

DatasetFacts small_dataset() {
  DatasetFacts data;
  data.num_items = 10;
  data.slate_slots = 4;
  data.max_steps = 4;
  data.interaction_types = 3;
  data.name = "test data";
  return data;
}

// The GRU of these tests, and a small transformer with dropout.
UserModelSpec gru_spec() {
  return UserModelSpec{"gru", 3, 4};
}
UserModelSpec transformer_spec(double dropout) {
  UserModelSpec spec;
  spec.kind = "transformer";
  spec.dim = 4;
  spec.heads = 2;
  spec.layers = 2;
  spec.ffn = 6;
  spec.dropout = dropout;
  spec.attention_dropout = dropout;
  return spec;
}

// fd_eps: the finite differences' step; the transformer's layer norms over 4 values curve
// enough that 1e-2 leaves a truncation error of ~0.3% (it shrinks as eps^2: checked).
void check_model_gradients(const ObjectiveSpec& objective, const UserModelSpec& user = gru_spec(),
                           double fd_eps = 1e-2) {
  SCOPED_TRACE(user.kind + " with " + objective.kind + " " + objective.sampler);
  CpuBackend backend(1);
  Random random(41);
  DatasetFacts data = small_dataset();
  auto counts = std::make_shared<std::vector<int64_t>>(10, 0);
  for (int64_t item = 3; item < 10; ++item)
    (*counts)[item] = static_cast<int64_t>(random.below(20));
  data.item_counts = counts;
  RecommenderModel model(backend, user, objective, data);
  model.initialize(5);
  ParameterBuffer& parameters = model.parameters();
  if (objective.kind != "sampled_softmax") {
    // Non-zero no-click biases, so their gradients are not trivially at zero weights.
    std::vector<float> bias(static_cast<size_t>(parameters.view("no_click_bias").numel));
    for (float& value : bias) value = static_cast<float>(0.3 * random.normal());
    parameters.set_values("no_click_bias", bias);
  }
  for (const ParameterView& view : parameters.views()) {
    // The slate head away from its identity start, so that every path through it counts.
    if (view.name.rfind("slate_head.", 0) != 0) continue;
    std::vector<float> values = parameters.get_values(view.name);
    for (float& value : values) value += static_cast<float>(0.4 * random.normal());
    parameters.set_values(view.name, values);
  }

  const SequenceBatch batch = random_batch(random);
  const ModelBatch model_batch =
      build_model_batch(batch, model.input_options(), &model.objective(), 3);
  const int64_t dim = user.dim;
  std::vector<float> rows(model_batch.unique_ids.size() * dim);
  for (float& value : rows) value = static_cast<float>(0.7 * random.normal());

  const float scale = 0.5f;
  std::vector<float> drows(rows.size());
  const uint64_t dropout_seed = 17;  // the same masks in every forward below
  model_loss_and_gradients(backend, model, model_batch, rows.data(), drows.data(), scale,
                           dropout_seed);
  auto loss = [&] {
    return scale * model_loss(model, model_batch, rows.data(), true, dropout_seed);
  };
  EXPECT_TRUE(matches_finite_differences("rows", rows, drows, loss, fd_eps));

  // Each parameter through a host copy written back before every forward.
  for (const ParameterView& view : parameters.views()) {
    std::vector<float> values = parameters.get_values(view.name);
    const std::vector<float> gradient = parameters.get_gradients(view.name);
    auto parameter_loss = [&] {
      parameters.set_values(view.name, values);
      return loss();
    };
    EXPECT_TRUE(matches_finite_differences(view.name, values, gradient, parameter_loss, fd_eps));
    parameters.set_values(view.name, values);
  }
}

TEST(GruUserModelGradients, SlateObjectiveMatchesFiniteDifferences) {
  check_model_gradients(ObjectiveSpec{"slate", 3});
}

TEST(GruUserModelGradients, SampledSoftmaxMatchesFiniteDifferences) {
  ObjectiveSpec spec{"sampled_softmax", 3};
  for (const char* sampler : {"uniform", "popularity", "in_batch", "mixed"}) {
    spec.sampler = sampler;  // the non-uniform ones with the log-Q correction
    check_model_gradients(spec);
  }
  spec.sampler = "popularity";
  spec.shared_negatives = true;  // one set of draws for every step of the batch
  check_model_gradients(spec);
}

TEST(GruUserModelGradients, MixedObjectiveMatchesFiniteDifferences) {
  ObjectiveSpec spec{"mixed", 3};
  spec.sampler = "popularity";
  spec.slate_weight = 0.7;
  spec.catalogue_weight = 1.6;
  check_model_gradients(spec);
}

TEST(GruUserModelGradients, SlateHeadMatchesFiniteDifferences) {
  for (const char* kind : {"slate", "mixed"}) {
    ObjectiveSpec spec{kind, 3};
    spec.sampler = "popularity";
    spec.slate_head = "linear";
    check_model_gradients(spec);
  }
}

TEST(TransformerUserModelGradients, EveryObjectiveMatchesFiniteDifferences) {
  for (const double dropout : {0.0, 0.3}) {
    check_model_gradients(ObjectiveSpec{"slate", 3}, transformer_spec(dropout), 1e-3);
    ObjectiveSpec sampled{"sampled_softmax", 3};
    sampled.sampler = "popularity";
    check_model_gradients(sampled, transformer_spec(dropout), 1e-3);
    check_model_gradients(ObjectiveSpec{"mixed", 3}, transformer_spec(dropout), 1e-3);
  }
}

TEST(GruUserModelGradients, GradientsAccumulateAcrossBackwards) {
  CpuBackend backend(1);
  Random random(42);
  RecommenderModel model(backend, UserModelSpec{"gru", 3, 4}, ObjectiveSpec{"slate", 3},
                         small_dataset());
  model.initialize(6);
  const ModelBatch batch =
      build_model_batch(random_batch(random), model.input_options(), &model.objective(), 0);
  const SequenceInputs inputs = batch.sequence_inputs();
  std::vector<float> rows(batch.unique_ids.size() * 3, 0.2f);
  std::vector<float> drows(rows.size()), duser(static_cast<size_t>(inputs.steps() * 3));
  // One training forward and backward, adding to the parameter gradients.
  auto forward_backward = [&] {
    const float* user = model.user_model().encode(inputs, rows.data(), EncodeContext{true, 0});
    model.objective().forward(*batch.objective, user, rows.data(), inputs.num_rows);
    model.objective().backward(duser.data(), drows.data(), 1.0f);
    model.user_model().backward(drows.data(), duser.data());
  };
  model.parameters().zero_gradients();
  forward_backward();
  const std::vector<float> once = model.parameters().get_gradients("gru.weight_hh");
  forward_backward();
  std::vector<float> doubled;
  for (const float value : once) doubled.push_back(2 * value);
  EXPECT_TRUE(testing::all_near("accumulated gru.weight_hh grad",
                                model.parameters().get_gradients("gru.weight_hh"), doubled, 1e-6));
  // One backward per forward, and none after an evaluation encode.
  EXPECT_THROW(model.user_model().backward(drows.data(), duser.data()), Error);
  EXPECT_THROW(model.objective().backward(duser.data(), drows.data(), 1.0f), Error);
  model.user_model().encode(inputs, rows.data(), EncodeContext{});
  EXPECT_THROW(model.user_model().backward(drows.data(), duser.data()), Error);
}

TEST(GruUserModelGradients, BatchShapeChangeWithTheSameStepCount) {
  CpuBackend backend(1);
  Random random(43);
  SequenceBatch long_users = random_batch(random);  // B = 2, T = 4
  SequenceBatch short_users = long_users;           // the same arrays read as B = 4, T = 2
  short_users.batch_users = short_users.valid_users = 4;
  short_users.max_steps = 2;
  short_users.user_row = {0, 1, 2, 3};
  short_users.split = {0, 0, 0, 0};

  RecommenderModel reused(backend, UserModelSpec{"gru", 3, 4}, ObjectiveSpec{"slate", 3},
                          small_dataset());
  RecommenderModel fresh(backend, UserModelSpec{"gru", 3, 4}, ObjectiveSpec{"slate", 3},
                         small_dataset());
  reused.initialize(9);
  fresh.initialize(9);
  const ModelBatch first =
      build_model_batch(long_users, reused.input_options(), &reused.objective(), 0);
  const ModelBatch second =
      build_model_batch(short_users, reused.input_options(), &reused.objective(), 0);
  std::vector<float> rows(second.unique_ids.size() * 3, 0.3f);
  rows[1] = -0.4f;
  std::vector<float> first_rows(first.unique_ids.size() * 3, 0.1f);
  model_loss(reused, first, first_rows.data(), false);
  EXPECT_EQ(model_loss(reused, second, rows.data(), false),
            model_loss(fresh, second, rows.data(), false));
}

}  // namespace
}  // namespace slatetrain
