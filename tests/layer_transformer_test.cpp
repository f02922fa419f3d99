// The transformer's layers (LayerNorm, Dropout, CausalSelfAttention, FeedForward) and the
// TransformerEncoder: every backward against central finite differences, with dropout off and
// on (a fixed seed: the perturbed forwards drop the same elements); the encoder's parameter
// names, initial values, configuration checks, evaluation mode and masks that follow the
// row keys rather than the batch composition.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "core/cpu_backend.hpp"
#include "core/error.hpp"
#include "core/random.hpp"
#include "models/causal_self_attention.hpp"
#include "models/dropout.hpp"
#include "models/feed_forward.hpp"
#include "models/layer_norm.hpp"
#include "models/parameter_buffer.hpp"
#include "models/transformer_encoder.hpp"
#include "tests/models_test_support.hpp"

namespace slatetrain {
namespace {

using testing::all_near;
using testing::matches_finite_differences;

std::vector<float> random_values(Random& random, size_t n, double scale) {
  std::vector<float> values(n);
  for (float& value : values) value = static_cast<float>(scale * random.normal());
  return values;
}

double weighted_sum(const std::vector<float>& values, const std::vector<float>& weights) {
  double sum = 0.0;
  for (size_t i = 0; i < values.size(); ++i) sum += static_cast<double>(values[i]) * weights[i];
  return sum;
}

std::vector<uint64_t> make_row_keys(size_t rows, uint64_t seed) {
  std::vector<uint64_t> keys(rows);
  for (size_t r = 0; r < rows; ++r) keys[r] = hash_mix(seed, r, 1);
  return keys;
}

// B = 3 users of T = 5 steps; user 1 has no input at its first two steps, user 2 at step 3.
constexpr int64_t B = 3, T = 5, D = 8, H = 2, F = 12, N = B * T;
std::vector<uint8_t> key_mask() {
  std::vector<uint8_t> mask(N, 1);
  mask[1 * T + 0] = mask[1 * T + 1] = 0;
  mask[2 * T + 3] = 0;
  return mask;
}

TEST(LayerNormLayer, BackwardMatchesFiniteDifferences) {
  CpuBackend backend(1);
  Random random(1);
  LayerNorm layer{D, 1e-5f};
  auto x = random_values(random, N * D, 1.5);
  auto weight = random_values(random, D, 1.0);
  auto bias = random_values(random, D, 1.0);
  const auto w = random_values(random, N * D, 1.0);
  std::vector<float> out(N * D), mean(N), rstd(N);
  auto loss = [&] {
    layer.forward(backend, out.data(), mean.data(), rstd.data(), x.data(), weight.data(),
                  bias.data(), N);
    return weighted_sum(out, w);
  };
  loss();
  std::vector<float> dx(N * D, 9.0f), dweight(D, 0.0f), dbias(D, 0.0f);
  layer.backward(backend, dx.data(), dweight.data(), dbias.data(), w.data(), x.data(),
                 weight.data(), mean.data(), rstd.data(), N);
  EXPECT_TRUE(matches_finite_differences("dx", x, dx, loss));
  EXPECT_TRUE(matches_finite_differences("dweight", weight, dweight, loss));
  EXPECT_TRUE(matches_finite_differences("dbias", bias, dbias, loss));
}

TEST(DropoutLayer, BackwardMatchesFiniteDifferencesAndEvaluationIsTheIdentity) {
  CpuBackend backend(1);
  Random random(2);
  Dropout layer{0.4f};
  const auto keys = make_row_keys(N, 3);
  const DropoutMask mask = layer.mask(true, 11, keys.data());
  ASSERT_TRUE(mask.active());
  auto x = random_values(random, N * D, 1.0);
  const auto w = random_values(random, N * D, 1.0);
  std::vector<float> y(N * D);
  auto loss = [&] {
    layer.forward(backend, y.data(), x.data(), N, D, mask);
    return weighted_sum(y, w);
  };
  std::vector<float> dx(N * D, 9.0f);
  layer.backward(backend, dx.data(), w.data(), N, D, mask);
  EXPECT_TRUE(matches_finite_differences("dx", x, dx, loss));
  // Not training, or probability 0: nothing dropped.
  EXPECT_FALSE(layer.mask(false, 11, keys.data()).active());
  EXPECT_FALSE(Dropout{0.0f}.mask(true, 11, keys.data()).active());
  layer.forward(backend, y.data(), x.data(), N, D, layer.mask(false, 11, keys.data()));
  EXPECT_TRUE(all_near("evaluation", y, x, 0.0));
}

struct AttentionLayerCase {
  Random random{4};
  CausalSelfAttention layer{D, H};
  std::vector<float> x = random_values(random, N* D, 1.0);
  std::vector<float> in_weight = random_values(random, 3 * D * D, 0.4);
  std::vector<float> in_bias = random_values(random, 3 * D, 0.2);
  std::vector<float> out_weight = random_values(random, D* D, 0.4);
  std::vector<float> out_bias = random_values(random, D, 0.2);
  std::vector<float> w = random_values(random, N* D, 1.0);
  std::vector<uint8_t> mask = key_mask();
  std::vector<uint64_t> keys = make_row_keys(N, 5);
  std::vector<float> qkv = std::vector<float>(N * 3 * D), attended = std::vector<float>(N * D),
                     probabilities = std::vector<float>(B * H * T * T),
                     scratch_attention = std::vector<float>(B * H * T * T),
                     dattended = std::vector<float>(N * D), dqkv = std::vector<float>(N * 3 * D),
                     dbias = std::vector<float>(3 * D), out = std::vector<float>(N * D);

  CausalSelfAttention::Weights weights() const {
    return {in_weight.data(), in_bias.data(), out_weight.data(), out_bias.data()};
  }
  CausalSelfAttention::Activations activations() {
    return {qkv.data(), attended.data(), probabilities.data()};
  }
  CausalSelfAttention::Scratch scratch() {
    return {scratch_attention.data(), dattended.data(), dqkv.data(), dbias.data()};
  }
};

void check_attention_layer(float attention_dropout) {
  CpuBackend backend(1);
  AttentionLayerCase c;
  const DropoutMask mask = Dropout{attention_dropout}.mask(true, 21, c.keys.data());
  auto loss = [&] {
    c.layer.forward(backend, c.out.data(), c.activations(), c.scratch(), c.x.data(), c.mask.data(),
                    c.weights(), B, T, mask);
    return weighted_sum(c.out, c.w);
  };
  loss();
  std::vector<float> dx(N * D, 9.0f), din_weight(3 * D * D, 0.0f), din_bias(3 * D, 0.0f),
      dout_weight(D * D, 0.0f), dout_bias(D, 0.0f);
  c.layer.backward(backend, dx.data(),
                   {din_weight.data(), din_bias.data(), dout_weight.data(), dout_bias.data()},
                   c.scratch(), c.w.data(), c.x.data(), c.activations(), c.weights(), B, T, mask);
  EXPECT_TRUE(matches_finite_differences("dx", c.x, dx, loss));
  EXPECT_TRUE(matches_finite_differences("in_projection.weight", c.in_weight, din_weight, loss));
  EXPECT_TRUE(matches_finite_differences("in_projection.bias", c.in_bias, din_bias, loss));
  // The key bias cannot change a softmax over keys: its gradient is exactly zero.
  for (int64_t d = D; d < 2 * D; ++d) EXPECT_EQ(din_bias[d], 0.0f) << "key bias " << d - D;
  EXPECT_TRUE(matches_finite_differences("out_projection.weight", c.out_weight, dout_weight, loss));
  EXPECT_TRUE(matches_finite_differences("out_projection.bias", c.out_bias, dout_bias, loss));
}

TEST(CausalSelfAttentionLayer, BackwardMatchesFiniteDifferences) {
  check_attention_layer(0.0f);
}

TEST(CausalSelfAttentionLayer, BackwardWithAttentionDropoutMatchesFiniteDifferences) {
  check_attention_layer(0.3f);
}

void check_feed_forward_layer(float dropout) {
  CpuBackend backend(1);
  Random random(6);
  FeedForward layer{D, F};
  auto x = random_values(random, N * D, 1.0);
  auto in_weight = random_values(random, F * D, 0.5);
  auto in_bias = random_values(random, F, 0.3);
  auto out_weight = random_values(random, D * F, 0.5);
  auto out_bias = random_values(random, D, 0.3);
  const auto w = random_values(random, N * D, 1.0);
  const auto keys = make_row_keys(N, 7);
  const DropoutMask mask = Dropout{dropout}.mask(true, 31, keys.data());
  std::vector<float> pre(N * F), hidden(N * F), dhidden(N * F), out(N * D);
  const FeedForward::Weights weights{in_weight.data(), in_bias.data(), out_weight.data(),
                                     out_bias.data()};
  auto loss = [&] {
    layer.forward(backend, out.data(), {pre.data(), hidden.data()}, x.data(), weights, N, mask);
    return weighted_sum(out, w);
  };
  loss();
  std::vector<float> dx(N * D, 9.0f), din_weight(F * D, 0.0f), din_bias(F, 0.0f),
      dout_weight(D * F, 0.0f), dout_bias(D, 0.0f);
  layer.backward(backend, dx.data(),
                 {din_weight.data(), din_bias.data(), dout_weight.data(), dout_bias.data()},
                 dhidden.data(), w.data(), x.data(), {pre.data(), hidden.data()}, weights, N, mask);
  EXPECT_TRUE(matches_finite_differences("dx", x, dx, loss));
  EXPECT_TRUE(matches_finite_differences("in_projection.weight", in_weight, din_weight, loss));
  EXPECT_TRUE(matches_finite_differences("in_projection.bias", in_bias, din_bias, loss));
  EXPECT_TRUE(matches_finite_differences("out_projection.weight", out_weight, dout_weight, loss));
  EXPECT_TRUE(matches_finite_differences("out_projection.bias", out_bias, dout_bias, loss));
}

TEST(FeedForwardLayer, BackwardMatchesFiniteDifferences) {
  check_feed_forward_layer(0.0f);
}

TEST(FeedForwardLayer, BackwardWithDropoutMatchesFiniteDifferences) {
  check_feed_forward_layer(0.25f);
}

// ---- the encoder ----------------------------------------------------------------------------

TransformerEncoderConfig small_config(float dropout) {
  TransformerEncoderConfig config;
  config.dim = D;
  config.heads = H;
  config.layers = 2;
  config.ffn = F;
  config.dropout = dropout;
  config.attention_dropout = dropout;
  return config;
}

// Random parameters (not the initial ones: layer norms of weight 1 and bias 0 would hide
// mistakes in their gradients).
void randomise(ParameterBuffer& parameters, uint64_t seed) {
  Random random(seed);
  for (const ParameterView& view : parameters.views())
    parameters.set_values(view.name, random_values(random, size_t(view.numel), 0.4));
}

void check_encoder(float dropout) {
  CpuBackend backend(1);
  ParameterBuffer parameters;
  TransformerEncoder encoder(small_config(dropout), parameters, "transformer");
  parameters.allocate(backend);
  randomise(parameters, 8);
  Random random(9);
  auto x = random_values(random, N * D, 1.0);
  const auto w = random_values(random, N * D, 1.0);
  const auto mask = key_mask();
  const auto keys = make_row_keys(N, 10);
  const DropoutContext context{true, 12345, keys.data()};
  std::vector<float> out(N * D);
  auto loss = [&] {
    encoder.forward(backend, out.data(), x.data(), mask.data(), B, T, context);
    return weighted_sum(out, w);
  };
  loss();
  std::vector<float> dx(N * D, 9.0f);
  parameters.zero_gradients();
  encoder.backward(backend, dx.data(), w.data());
  EXPECT_TRUE(matches_finite_differences("dx", x, dx, loss));
  for (const ParameterView& view : parameters.views()) {
    const std::vector<float> gradient = parameters.get_gradients(view.name);
    std::vector<float> values = parameters.get_values(view.name);
    auto parameter_loss = [&] {
      parameters.set_values(view.name, values);
      return loss();
    };
    EXPECT_TRUE(matches_finite_differences(view.name, values, gradient, parameter_loss));
    parameters.set_values(view.name, values);
  }
}

TEST(TransformerEncoder, BackwardMatchesFiniteDifferences) {
  check_encoder(0.0f);
}

TEST(TransformerEncoder, BackwardWithDropoutMatchesFiniteDifferences) {
  check_encoder(0.2f);
}

TEST(TransformerEncoder, ParameterNamesAndInitialValuesAsPyTorch) {
  CpuBackend backend(1);
  ParameterBuffer parameters;
  TransformerEncoderConfig config = small_config(0.1f);
  config.dim = 16;
  config.ffn = 40;
  TransformerEncoder encoder(config, parameters, "transformer");
  parameters.allocate(backend);
  encoder.initialize(3);
  const std::vector<std::string> block_names = {
      "layer_norm1.weight",
      "layer_norm1.bias",
      "attention.in_projection.weight",
      "attention.in_projection.bias",
      "attention.out_projection.weight",
      "attention.out_projection.bias",
      "layer_norm2.weight",
      "layer_norm2.bias",
      "feed_forward.in_projection.weight",
      "feed_forward.in_projection.bias",
      "feed_forward.out_projection.weight",
      "feed_forward.out_projection.bias",
  };
  std::vector<std::string> expected;
  for (int l = 0; l < 2; ++l)
    for (const auto& name : block_names)
      expected.push_back("transformer.blocks." + std::to_string(l) + "." + name);
  expected.push_back("transformer.final_layer_norm.weight");
  expected.push_back("transformer.final_layer_norm.bias");
  ASSERT_EQ(parameters.views().size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(parameters.views()[i].name, expected[i]);
  EXPECT_EQ(parameters.view("transformer.blocks.1.attention.in_projection.weight").shape,
            (std::vector<int64_t>{48, 16}));
  EXPECT_EQ(parameters.view("transformer.blocks.0.feed_forward.out_projection.weight").shape,
            (std::vector<int64_t>{16, 40}));

  // Constants, and uniform values within (and filling) PyTorch's bounds.
  auto check_constant = [&](const std::string& name, float value) {
    for (float v : parameters.get_values(name)) ASSERT_EQ(v, value) << name;
  };
  auto check_uniform = [&](const std::string& name, double bound) {
    double largest = 0.0;
    for (float v : parameters.get_values(name)) {
      ASSERT_LE(std::fabs(v), bound) << name;
      largest = std::max(largest, double(std::fabs(v)));
    }
    EXPECT_GT(largest, 0.75 * bound) << name;
  };
  for (const char* block : {"transformer.blocks.0.", "transformer.blocks.1."}) {
    const std::string b = block;
    check_constant(b + "layer_norm1.weight", 1.0f);
    check_constant(b + "layer_norm1.bias", 0.0f);
    check_constant(b + "layer_norm2.weight", 1.0f);
    check_constant(b + "layer_norm2.bias", 0.0f);
    check_uniform(b + "attention.in_projection.weight", std::sqrt(6.0 / (16 + 48)));
    check_constant(b + "attention.in_projection.bias", 0.0f);
    check_uniform(b + "attention.out_projection.weight", 1.0 / std::sqrt(16.0));
    check_constant(b + "attention.out_projection.bias", 0.0f);
    check_uniform(b + "feed_forward.in_projection.weight", 1.0 / std::sqrt(16.0));
    check_uniform(b + "feed_forward.in_projection.bias", 1.0 / std::sqrt(16.0));
    check_uniform(b + "feed_forward.out_projection.weight", 1.0 / std::sqrt(40.0));
    check_uniform(b + "feed_forward.out_projection.bias", 1.0 / std::sqrt(40.0));
  }
  check_constant("transformer.final_layer_norm.weight", 1.0f);
  check_constant("transformer.final_layer_norm.bias", 0.0f);
  // The same seed gives the same values.
  const auto first = parameters.get_values("transformer.blocks.1.attention.in_projection.weight");
  encoder.initialize(3);
  EXPECT_TRUE(all_near("same seed",
                       parameters.get_values("transformer.blocks.1.attention.in_projection.weight"),
                       first, 0.0));
}

std::string validation_error(TransformerEncoderConfig config) {
  try {
    config.validate();
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

TEST(TransformerEncoder, ConfigurationErrorsNameTheKey) {
  TransformerEncoderConfig config = small_config(0.1f);
  EXPECT_EQ(validation_error(config), "");
  auto with = [&](auto change) {
    TransformerEncoderConfig changed = config;
    change(changed);
    return validation_error(changed);
  };
  EXPECT_NE(with([](auto& c) { c.heads = 3; }).find("model.heads = 3 does not divide model.dim"),
            std::string::npos);
  EXPECT_NE(with([](auto& c) { c.heads = 0; }).find("model.heads"), std::string::npos);
  EXPECT_NE(with([](auto& c) { c.dim = 0; }).find("model.dim"), std::string::npos);
  EXPECT_NE(with([](auto& c) { c.layers = 0; }).find("model.layers"), std::string::npos);
  EXPECT_NE(with([](auto& c) { c.ffn = -1; }).find("model.ffn"), std::string::npos);
  EXPECT_NE(with([](auto& c) { c.dropout = 1.0f; }).find("model.dropout"), std::string::npos);
  EXPECT_NE(with([](auto& c) { c.attention_dropout = -0.1f; }).find("model.attention_dropout"),
            std::string::npos);
  EXPECT_NE(with([](auto& c) { c.layer_norm_epsilon = 0.0f; }).find("model.layer_norm_epsilon"),
            std::string::npos);
  ParameterBuffer parameters;
  TransformerEncoderConfig bad = config;
  bad.heads = 3;
  EXPECT_THROW(TransformerEncoder(bad, parameters, "transformer"), Error);
}

TEST(TransformerEncoder, EvaluationHasNoDropoutAndBackwardNeedsAForward) {
  CpuBackend backend(1);
  ParameterBuffer parameters;
  TransformerEncoder encoder(small_config(0.3f), parameters, "transformer");
  parameters.allocate(backend);
  encoder.initialize(4);
  Random random(13);
  const auto x = random_values(random, N * D, 1.0);
  const auto mask = key_mask();
  const auto keys = make_row_keys(N, 14);
  std::vector<float> evaluation(N * D), training(N * D), without_dropout(N * D), dx(N * D);
  encoder.forward(backend, evaluation.data(), x.data(), mask.data(), B, T, {false, 1, nullptr});
  encoder.forward(backend, training.data(), x.data(), mask.data(), B, T, {true, 1, keys.data()});
  EXPECT_FALSE(all_near("training differs", training, evaluation, 1e-3));
  ParameterBuffer same_parameters;
  TransformerEncoder no_dropout(small_config(0.0f), same_parameters, "transformer");
  same_parameters.allocate(backend);
  no_dropout.initialize(4);
  no_dropout.forward(backend, without_dropout.data(), x.data(), mask.data(), B, T,
                     {true, 1, keys.data()});
  EXPECT_TRUE(all_near("evaluation = no dropout", evaluation, without_dropout, 0.0));

  encoder.backward(backend, dx.data(), x.data());
  EXPECT_THROW(encoder.backward(backend, dx.data(), x.data()), Error);  // one per forward
  ParameterBuffer other;
  TransformerEncoder fresh(small_config(0.3f), other, "transformer");
  other.allocate(backend);
  EXPECT_THROW(fresh.backward(backend, dx.data(), x.data()), Error);
}

TEST(TransformerEncoder, DropoutFollowsRowKeysNotTheBatchComposition) {
  // Users 0..2 in one batch, then users 2 and 0 alone: with their row keys, each user's
  // output (dropout on) is the same wherever it sits in the batch.
  CpuBackend backend(1);
  ParameterBuffer parameters;
  TransformerEncoder encoder(small_config(0.3f), parameters, "transformer");
  parameters.allocate(backend);
  encoder.initialize(5);
  Random random(15);
  const auto x = random_values(random, N * D, 1.0);
  const auto mask = key_mask();
  const auto keys = make_row_keys(N, 16);
  std::vector<float> all(N * D);
  encoder.forward(backend, all.data(), x.data(), mask.data(), B, T, {true, 9, keys.data()});
  const int64_t order[2] = {2, 0};
  std::vector<float> x2, out2(2 * T * D);
  std::vector<uint8_t> mask2;
  std::vector<uint64_t> keys2;
  for (int64_t b : order) {
    x2.insert(x2.end(), x.begin() + b * T * D, x.begin() + (b + 1) * T * D);
    mask2.insert(mask2.end(), mask.begin() + b * T, mask.begin() + (b + 1) * T);
    keys2.insert(keys2.end(), keys.begin() + b * T, keys.begin() + (b + 1) * T);
  }
  encoder.forward(backend, out2.data(), x2.data(), mask2.data(), 2, T, {true, 9, keys2.data()});
  for (int64_t i = 0; i < 2; ++i) {
    const int64_t b = order[i];
    const std::vector<float> expected(all.begin() + b * T * D, all.begin() + (b + 1) * T * D);
    const std::vector<float> actual(out2.begin() + i * T * D, out2.begin() + (i + 1) * T * D);
    EXPECT_TRUE(all_near("user " + std::to_string(b), actual, expected, 1e-6));
  }
}

}  // namespace
}  // namespace slatetrain
