// The GRU user model with the slate (with and without its linear head) and the sampled softmax
// objectives: loss, held-out slate loss, user vectors and every gradient against PyTorch
// (tests/fixtures/make_gru_fixtures.py wrote the reference on the same weights and batch).
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/backend.hpp"
#include "core/tensor.hpp"
#ifdef SLATETRAIN_HAVE_CUDA
#include "core/cuda_device.hpp"
#endif
#include "data/split.hpp"
#include "models/model_batch.hpp"
#include "models/negative_sampler.hpp"
#include "models/recommender_model.hpp"
#include "models/sampled_softmax_objective.hpp"
#include "tests/models_run_support.hpp"
#include "tests/models_test_support.hpp"

namespace slatetrain {
namespace {

using nlohmann::json;
using testing::all_near;

constexpr double kTolerance = 1e-5;

json load_fixture(const std::string& name) {
  const std::string path = std::string(SLATETRAIN_TEST_DATA) + "/gru/" + name + ".json";
  std::ifstream file(path);
  if (!file) throw std::runtime_error("cannot open fixture " + path);
  return json::parse(file);
}

template <typename T>
std::vector<T> array(const json& entry) {
  return entry.at("data").get<std::vector<T>>();
}

// The fixture batch as the loader would deliver it for `phase` (step_mask per data/split.hpp).
SequenceBatch fixture_batch(const json& fixture, LoaderPhase phase) {
  const json& config = fixture.at("config");
  const json& batch = fixture.at("batch");
  SequenceBatch out;
  out.batch_users = out.valid_users = config.at("batch_users").get<int64_t>();
  out.max_steps = config.at("max_steps").get<int>();
  out.slate_slots = config.at("slate_slots").get<int>();
  const int t_testsplit = config.at("t_testsplit").get<int>();
  out.slate = array<int32_t>(batch.at("slate"));
  out.item = array<int32_t>(batch.at("click"));
  for (const int value : array<int>(batch.at("click_idx"))) out.click_idx.push_back(value);
  for (const int value : array<int>(batch.at("slate_length"))) out.slate_length.push_back(value);
  for (const int value : array<int>(batch.at("interaction_type")))
    out.interaction_type.push_back(value);
  for (const int value : array<int>(batch.at("split"))) out.split.push_back(value);
  for (int64_t b = 0; b < out.batch_users; ++b) out.user_row.push_back(b);
  for (int64_t b = 0; b < out.batch_users; ++b) {
    const auto split = static_cast<Split>(out.split[b]);
    for (int t = 0; t < out.max_steps; ++t) {
      const bool real = out.item[out.step_index(b, t)] != 0;
      const bool counts = phase == LoaderPhase::kTrain ? is_training_step(split, t, t_testsplit)
                                                       : is_held_out_step(split, t, t_testsplit);
      out.step_mask.push_back(real && counts);
      out.masked_steps += out.step_mask.back();
      out.real_steps += real;
    }
  }
  return out;
}

// The fixture's model with `objective` ("slate" or "sampled_softmax"), its weights loaded.
std::unique_ptr<RecommenderModel> fixture_model(Backend& backend, const json& fixture,
                                                const std::string& objective) {
  const json& config = fixture.at("config");
  UserModelSpec user;
  user.kind = "gru";
  user.dim = config.at("dim").get<int64_t>();
  user.hidden = config.at("hidden").get<int64_t>();
  user.interaction_type_embedding = config.at("interaction_type_embedding").get<bool>();
  user.input_every_step = config.at("update_every_step").get<bool>();
  ObjectiveSpec spec;
  spec.kind = objective;
  spec.negatives = config.at("negatives").get<int>();
  spec.slate_head = config.value("slate_head", "none");
  DatasetFacts data;
  data.num_items = config.at("num_items").get<int64_t>();
  data.slate_slots = config.at("slate_slots").get<int>();
  data.slate_lengths =
      static_cast<int64_t>(fixture.at("weights").at("no_click_bias").at("data").size());
  data.max_steps = config.at("max_steps").get<int>();
  data.name = "fixture";
  auto model = std::make_unique<RecommenderModel>(backend, user, spec, data);
  for (const ParameterView& view : model->parameters().views()) {
    model->parameters().set_values(view.name, array<float>(fixture.at("weights").at(view.name)));
  }
  return model;
}

// rows [U, D]: the fixture table's rows of the batch's unique ids (what dist/ would gather).
std::vector<float> gather_rows(const std::vector<float>& table, const std::vector<int64_t>& ids,
                               int64_t dim) {
  std::vector<float> rows;
  for (const int64_t id : ids) {
    rows.insert(rows.end(), table.begin() + id * dim, table.begin() + (id + 1) * dim);
  }
  return rows;
}

// Device copies of host values (rows, and buffers the model writes).
Tensor on_device(Backend& backend, const std::vector<float>& values) {
  Tensor tensor(backend, {static_cast<int64_t>(values.size())}, DType::kFloat32);
  tensor.copy_from_host(values);
  return tensor;
}

void run_fixture(const std::string& name, Device device) {
  SCOPED_TRACE(name + " on " + device_name(device));
  const json fixture = load_fixture(name);
  const json& config = fixture.at("config");
  const json& results = fixture.at("results");
  const bool sampled = config.at("loss").get<std::string>() == "sampled_softmax";
  const int64_t D = config.at("dim").get<int64_t>();
  const int64_t num_items = config.at("num_items").get<int64_t>();

  std::unique_ptr<Backend> backend_owner = make_backend(device);
  Backend& backend = *backend_owner;
  const std::string objective = sampled ? "sampled_softmax" : "slate";
  std::unique_ptr<RecommenderModel> model = fixture_model(backend, fixture, objective);
  const std::vector<float> table = array<float>(fixture.at("weights").at("item_embedding"));

  // Training: loss and every gradient. The sampled softmax's negatives are the fixture's: the
  // script drew them as the uniform sampler does, with the fixture's seed.
  const SequenceBatch train = fixture_batch(fixture, LoaderPhase::kTrain);
  const uint64_t seed = sampled ? config.at("negatives_seed").get<uint64_t>() : 0;
  const ModelBatch batch =
      build_model_batch(train, model->input_options(), &model->objective(), seed);
  if (sampled) {
    NegativeSamplerConfig uniform;
    uniform.num_items = num_items;
    const int K = config.at("negatives").get<int>();
    const std::vector<int32_t> drawn =
        make_negative_sampler(uniform)->draw(train, batch.objective->loss_step, K, seed).ids;
    const std::vector<int32_t> expected = array<int32_t>(fixture.at("batch").at("negatives"));
    for (size_t i = 0; i < drawn.size(); ++i) {
      if (batch.objective->loss_step[i / K]) {
        ASSERT_EQ(drawn[i], expected[i]) << "draw " << i;
      }
    }
  }
  ASSERT_EQ(batch.loss_steps(), results.at("loss_steps").get<int64_t>());
  const std::vector<float> rows = gather_rows(table, batch.unique_ids, D);
  const Tensor device_rows = on_device(backend, rows);
  Tensor device_drows = on_device(backend, std::vector<float>(rows.size(), -7.0f));  // overwritten
  const double loss = testing::model_loss_and_gradients(
      backend, *model, batch, device_rows.data<float>(), device_drows.data<float>(),
      1.0f / static_cast<float>(batch.loss_steps()));
  EXPECT_NEAR(loss, results.at("loss_sum").get<double>(), kTolerance);
  const std::vector<float> drows = device_drows.to_host<float>();
  std::vector<double> dtable(static_cast<size_t>(num_items * D), 0.0);
  for (size_t r = 0; r < batch.unique_ids.size(); ++r) {
    for (int64_t d = 0; d < D; ++d) dtable[batch.unique_ids[r] * D + d] += drows[r * D + d];
  }
  const json& grads = fixture.at("grads");
  EXPECT_TRUE(all_near("item_embedding grad", dtable, array<double>(grads.at("item_embedding")),
                       kTolerance));
  for (const ParameterView& view : model->parameters().views()) {
    EXPECT_TRUE(all_near(view.name + " grad", model->parameters().get_gradients(view.name),
                         array<double>(grads.at(view.name)), kTolerance));
  }

  // Held-out log-likelihood: the slate loss over the validation user's later steps, of the
  // same user model with the slate objective (the fixture's no-click bias).
  std::unique_ptr<RecommenderModel> slate_model = fixture_model(backend, fixture, "slate");
  const SequenceBatch held_out = fixture_batch(fixture, LoaderPhase::kValid);
  const ModelBatch held_out_batch =
      build_model_batch(held_out, slate_model->input_options(), &slate_model->objective(), 0);
  ASSERT_EQ(held_out_batch.loss_steps(), results.at("held_out_steps").get<int64_t>());
  const Tensor held_out_rows = on_device(backend, gather_rows(table, held_out_batch.unique_ids, D));
  EXPECT_NEAR(testing::model_loss(*slate_model, held_out_batch, held_out_rows.data<float>(), false),
              results.at("held_out_loss_sum").get<double>(), kTolerance);

  // The user vectors after t_testsplit steps (evaluation's z).
  Tensor user = on_device(backend, std::vector<float>(train.batch_users * D, -7.0f));
  const std::vector<int32_t> steps_seen(static_cast<size_t>(train.batch_users),
                                        config.at("t_testsplit").get<int>());
  model->user_model().user_vectors_after(user.data<float>(), held_out_batch.sequence_inputs(),
                                         held_out_rows.data<float>(), steps_seen.data());
  EXPECT_TRUE(all_near("user vectors", user.to_host<float>(),
                       array<double>(results.at("user_vectors")), kTolerance));
}

const char* const kFixtures[] = {"slate_click_advance", "slate_every_step", "sampled_softmax",
                                 "slate_head"};

TEST(GruSlateModelAgainstPyTorch, SlateLossClickAdvanceWithInteractionTypes) {
  run_fixture("slate_click_advance", Device::kCpu);
}

TEST(GruSlateModelAgainstPyTorch, SlateLossEveryStepAdvance) {
  run_fixture("slate_every_step", Device::kCpu);
}

TEST(GruSlateModelAgainstPyTorch, SampledSoftmaxLoss) {
  run_fixture("sampled_softmax", Device::kCpu);
}

TEST(GruSlateModelAgainstPyTorch, SlateLossThroughTheLinearSlateHead) {
  run_fixture("slate_head", Device::kCpu);
}

// The same model through the CUDA backend (the layers are unchanged; only the ops differ).
TEST(GruSlateModelAgainstPyTorch, AllCasesOnCuda) {
#ifdef SLATETRAIN_HAVE_CUDA
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  for (const char* name : kFixtures) run_fixture(name, Device::kCuda);
#else
  (void)kFixtures;
  GTEST_SKIP() << "built without the CUDA backend";
#endif
}

}  // namespace
}  // namespace slatetrain
