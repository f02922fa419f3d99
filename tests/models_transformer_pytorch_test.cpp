// The TransformerEncoder's output and every gradient (input and parameters) against PyTorch:
// tests/fixtures/make_transformer_fixtures.py built the same encoder from torch.nn modules on
// the same parameters, inputs and key mask, with dropout off, and on with the hash masks.
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/backend.hpp"
#include "core/tensor.hpp"
#ifdef SLATETRAIN_HAVE_CUDA
#include "core/cuda_device.hpp"
#endif
#include "models/parameter_buffer.hpp"
#include "models/transformer_encoder.hpp"
#include "tests/models_test_support.hpp"

namespace slatetrain {
namespace {

using nlohmann::json;
using testing::all_near;

constexpr double kTolerance = 1e-5;

json load_fixture(const std::string& name) {
  const std::string path = std::string(SLATETRAIN_TEST_DATA) + "/transformer/" + name + ".json";
  std::ifstream file(path);
  if (!file) throw std::runtime_error("cannot open fixture " + path);
  return json::parse(file);
}

template <typename T>
std::vector<T> array(const json& entry) {
  return entry.at("data").get<std::vector<T>>();
}

template <typename T>
Tensor on_device(Backend& backend, const std::vector<T>& values) {
  Tensor tensor(backend, {static_cast<int64_t>(values.size())}, dtype_of<T>());
  tensor.copy_from_host(values);
  return tensor;
}

void run_fixture(const std::string& name, Device device) {
  SCOPED_TRACE(name + " on " + device_name(device));
  const json fixture = load_fixture(name);
  const json& config = fixture.at("config");
  const json& inputs = fixture.at("inputs");
  const int64_t B = config.at("batch").get<int64_t>(), T = config.at("steps").get<int64_t>();
  TransformerEncoderConfig encoder_config;
  encoder_config.dim = config.at("dim").get<int64_t>();
  encoder_config.heads = config.at("heads").get<int64_t>();
  encoder_config.layers = config.at("layers").get<int64_t>();
  encoder_config.ffn = config.at("ffn").get<int64_t>();
  encoder_config.dropout = config.at("dropout").get<float>();
  encoder_config.attention_dropout = config.at("attention_dropout").get<float>();
  encoder_config.layer_norm_epsilon = config.at("layer_norm_epsilon").get<float>();

  std::unique_ptr<Backend> backend_owner = make_backend(device);
  Backend& backend = *backend_owner;
  ParameterBuffer parameters;
  TransformerEncoder encoder(encoder_config, parameters, config.at("prefix").get<std::string>());
  parameters.allocate(backend);
  const json& values = fixture.at("parameters");
  ASSERT_EQ(values.size(), parameters.views().size()) << "parameters in the fixture";
  for (const ParameterView& view : parameters.views())
    parameters.set_values(view.name, array<float>(values.at(view.name)));

  const Tensor x = on_device(backend, array<float>(inputs.at("x")));
  const Tensor key_mask = on_device(backend, array<uint8_t>(inputs.at("key_mask")));
  const Tensor upstream = on_device(backend, array<float>(inputs.at("upstream")));
  const std::vector<uint64_t> row_keys = array<uint64_t>(inputs.at("row_keys"));
  const DropoutContext context{config.at("training").get<bool>(),
                               config.at("dropout_seed").get<uint64_t>(), row_keys.data()};
  const int64_t D = encoder_config.dim;
  Tensor out = on_device(backend, std::vector<float>(B * T * D, -7.0f));
  encoder.forward(backend, out.data<float>(), x.data<float>(), key_mask.data<uint8_t>(), B, T,
                  context);
  EXPECT_TRUE(all_near("out", out.to_host<float>(), array<double>(fixture.at("outputs").at("out")),
                       kTolerance));

  Tensor dx = on_device(backend, std::vector<float>(B * T * D, -7.0f));  // overwritten
  parameters.zero_gradients();
  encoder.backward(backend, dx.data<float>(), upstream.data<float>());
  const json& grads = fixture.at("grads");
  EXPECT_TRUE(all_near("dx", dx.to_host<float>(), array<double>(grads.at("x")), kTolerance));
  for (const ParameterView& view : parameters.views()) {
    EXPECT_TRUE(all_near(view.name + " grad", parameters.get_gradients(view.name),
                         array<double>(grads.at(view.name)), kTolerance));
  }
}

const char* const kFixtures[] = {"dropout_off", "dropout_on"};

TEST(TransformerEncoderAgainstPyTorch, DropoutOff) {
  run_fixture("dropout_off", Device::kCpu);
}

TEST(TransformerEncoderAgainstPyTorch, DropoutOnWithHashMasks) {
  run_fixture("dropout_on", Device::kCpu);
}

// The same encoder through the CUDA backend (the layers are unchanged; only the ops differ).
TEST(TransformerEncoderAgainstPyTorch, BothCasesOnCuda) {
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
