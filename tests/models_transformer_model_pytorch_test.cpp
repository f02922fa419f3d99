// The transformer user model with the slate objective against PyTorch, dropout off and on
// (tests/fixtures/make_transformer_model_fixtures.py wrote the reference on the same weights,
// batch and dropout masks): the training loss, every parameter's and item's gradient, the
// held-out slate loss and the user vectors after t_testsplit steps.
#include <gtest/gtest.h>

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
#include "models/recommender_model.hpp"
#include "tests/models_run_support.hpp"
#include "tests/models_test_support.hpp"

namespace slatetrain {
namespace {

using nlohmann::json;
using testing::all_near;

constexpr double kTolerance = 1e-5;

json load_fixture(const std::string& name) {
  const std::string path =
      std::string(SLATETRAIN_TEST_DATA) + "/transformer_model/" + name + ".json";
  std::ifstream file(path);
  if (!file) throw std::runtime_error("cannot open fixture " + path);
  return json::parse(file);
}

template <typename T>
std::vector<T> array(const json& entry) {
  return entry.at("data").get<std::vector<T>>();
}

// The fixture batch as the loader would deliver it for `phase`.
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
    }
  }
  return out;
}

std::unique_ptr<RecommenderModel> fixture_model(Backend& backend, const json& fixture) {
  const json& config = fixture.at("config");
  UserModelSpec user;
  user.kind = "transformer";
  user.dim = config.at("dim").get<int64_t>();
  user.heads = config.at("heads").get<int>();
  user.layers = config.at("layers").get<int>();
  user.ffn = config.at("ffn").get<int>();
  user.dropout = config.at("dropout").get<double>();
  user.attention_dropout = config.at("attention_dropout").get<double>();
  user.interaction_type_embedding = true;
  DatasetFacts data;
  data.num_items = config.at("num_items").get<int64_t>();
  data.slate_slots = config.at("slate_slots").get<int>();
  data.slate_lengths =
      static_cast<int64_t>(fixture.at("weights").at("no_click_bias").at("data").size());
  data.max_steps = config.at("max_steps").get<int>();
  data.name = "fixture";
  auto model = std::make_unique<RecommenderModel>(backend, user, ObjectiveSpec{"slate"}, data);
  for (const ParameterView& view : model->parameters().views()) {
    model->parameters().set_values(view.name, array<float>(fixture.at("weights").at(view.name)));
  }
  return model;
}

std::vector<float> gather_rows(const std::vector<float>& table, const std::vector<int64_t>& ids,
                               int64_t dim) {
  std::vector<float> rows;
  for (const int64_t id : ids)
    rows.insert(rows.end(), table.begin() + id * dim, table.begin() + (id + 1) * dim);
  return rows;
}

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
  const int64_t D = config.at("dim").get<int64_t>();
  const int64_t num_items = config.at("num_items").get<int64_t>();
  std::unique_ptr<Backend> backend_owner = make_backend(device);
  Backend& backend = *backend_owner;
  std::unique_ptr<RecommenderModel> model = fixture_model(backend, fixture);
  const std::vector<float> table = array<float>(fixture.at("weights").at("item_embedding"));

  const SequenceBatch train = fixture_batch(fixture, LoaderPhase::kTrain);
  const ModelBatch batch = build_model_batch(train, model->input_options(), &model->objective(), 0);
  ASSERT_EQ(batch.loss_steps(), results.at("loss_steps").get<int64_t>());
  const Tensor rows = on_device(backend, gather_rows(table, batch.unique_ids, D));
  Tensor drows = on_device(backend, std::vector<float>(batch.unique_ids.size() * D, -7.0f));
  const double loss = testing::model_loss_and_gradients(
      backend, *model, batch, rows.data<float>(), drows.data<float>(),
      1.0f / static_cast<float>(batch.loss_steps()), config.at("dropout_seed").get<uint64_t>());
  EXPECT_NEAR(loss, results.at("loss_sum").get<double>(), kTolerance);
  const std::vector<float> host_drows = drows.to_host<float>();
  std::vector<double> dtable(static_cast<size_t>(num_items * D), 0.0);
  for (size_t r = 0; r < batch.unique_ids.size(); ++r)
    for (int64_t d = 0; d < D; ++d) dtable[batch.unique_ids[r] * D + d] += host_drows[r * D + d];
  const json& grads = fixture.at("grads");
  EXPECT_TRUE(all_near("item_embedding grad", dtable, array<double>(grads.at("item_embedding")),
                       kTolerance));
  for (const ParameterView& view : model->parameters().views()) {
    EXPECT_TRUE(all_near(view.name + " grad", model->parameters().get_gradients(view.name),
                         array<double>(grads.at(view.name)), kTolerance));
  }

  // Evaluation: no dropout.
  const SequenceBatch held_out = fixture_batch(fixture, LoaderPhase::kValid);
  const ModelBatch held_out_batch =
      build_model_batch(held_out, model->input_options(), &model->objective(), 0);
  ASSERT_EQ(held_out_batch.loss_steps(), results.at("held_out_steps").get<int64_t>());
  const Tensor held_out_rows = on_device(backend, gather_rows(table, held_out_batch.unique_ids, D));
  EXPECT_NEAR(testing::model_loss(*model, held_out_batch, held_out_rows.data<float>(), false),
              results.at("held_out_loss_sum").get<double>(), kTolerance);
  Tensor user = on_device(backend, std::vector<float>(train.batch_users * D, -7.0f));
  const std::vector<int32_t> steps_seen(static_cast<size_t>(train.batch_users),
                                        config.at("t_testsplit").get<int>());
  model->user_model().user_vectors_after(user.data<float>(), held_out_batch.sequence_inputs(),
                                         held_out_rows.data<float>(), steps_seen.data());
  EXPECT_TRUE(all_near("user vectors", user.to_host<float>(),
                       array<double>(results.at("user_vectors")), kTolerance));
}

TEST(TransformerModelAgainstPyTorch, DropoutOff) {
  run_fixture("dropout_off", Device::kCpu);
}

TEST(TransformerModelAgainstPyTorch, DropoutOnWithHashMasks) {
  run_fixture("dropout_on", Device::kCpu);
}

TEST(TransformerModelAgainstPyTorch, BothCasesOnCuda) {
#ifdef SLATETRAIN_HAVE_CUDA
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  run_fixture("dropout_off", Device::kCuda);
  run_fixture("dropout_on", Device::kCuda);
#else
  GTEST_SKIP() << "built without the CUDA backend";
#endif
}

}  // namespace
}  // namespace slatetrain
