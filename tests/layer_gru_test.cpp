// Gru over a sequence with the advance mask: the state holds where advance = 0, and backward
// (input and all four weights) matches central finite differences.
#include <gtest/gtest.h>

#include <vector>

#include "core/cpu_backend.hpp"
#include "core/random.hpp"
#include "models/gru.hpp"
#include "tests/models_test_support.hpp"

namespace slatetrain {
namespace {

using testing::matches_finite_differences;

std::vector<float> random_values(Random& random, size_t n, double scale) {
  std::vector<float> values(n);
  for (float& value : values) value = static_cast<float>(scale * random.normal());
  return values;
}

struct GruCase {
  static constexpr int64_t B = 2, T = 5, I = 3, H = 4;
  Random random{21};
  std::vector<float> input = random_values(random, B* T* I, 1.0);
  std::vector<float> weight_ih = random_values(random, 3 * H * I, 0.5);
  std::vector<float> weight_hh = random_values(random, 3 * H * H, 0.5);
  std::vector<float> bias_ih = random_values(random, 3 * H, 0.5);
  std::vector<float> bias_hh = random_values(random, 3 * H, 0.5);
  std::vector<float> w = random_values(random, B* T* H, 1.0);
  // user 0 holds at steps 1 and 3; user 1 never advances at step 0 nor 4.
  std::vector<uint8_t> advance = {1, 0, 1, 0, 1, 0, 1, 1, 1, 0};
  std::vector<float> output = std::vector<float>(B * T * H);
  Gru::Weights weights() const {
    return {weight_ih.data(), weight_hh.data(), bias_ih.data(), bias_hh.data()};
  }
};

TEST(GruLayer, StateHoldsWhereItDoesNotAdvance) {
  CpuBackend backend(1);
  GruCase c;
  Gru gru(GruCase::I, GruCase::H);
  gru.forward(backend, c.output.data(), c.input.data(), c.advance.data(), c.weights(), GruCase::B,
              GruCase::T);
  const int64_t T = GruCase::T, H = GruCase::H;
  for (int64_t b = 0; b < GruCase::B; ++b) {
    for (int64_t t = 0; t < T; ++t) {
      if (c.advance[b * T + t]) continue;
      for (int64_t h = 0; h < H; ++h) {
        const float before = t == 0 ? 0.0f : c.output[(b * T + t - 1) * H + h];
        ASSERT_EQ(c.output[(b * T + t) * H + h], before) << "user " << b << " step " << t;
      }
    }
  }
}

TEST(GruLayer, BackwardMatchesFiniteDifferences) {
  CpuBackend backend(1);
  GruCase c;
  Gru gru(GruCase::I, GruCase::H);
  const int64_t B = GruCase::B, T = GruCase::T, I = GruCase::I, H = GruCase::H;
  auto loss = [&] {
    gru.forward(backend, c.output.data(), c.input.data(), c.advance.data(), c.weights(), B, T);
    double sum = 0.0;
    for (size_t i = 0; i < c.output.size(); ++i) sum += static_cast<double>(c.output[i]) * c.w[i];
    return sum;
  };
  loss();
  std::vector<float> dinput(B * T * I, 9.0f), dweight_ih(3 * H * I, 0.0f),
      dweight_hh(3 * H * H, 0.0f), dbias_ih(3 * H, 0.0f), dbias_hh(3 * H, 0.0f);
  gru.backward(backend, dinput.data(),
               {dweight_ih.data(), dweight_hh.data(), dbias_ih.data(), dbias_hh.data()}, c.w.data(),
               c.input.data(), c.advance.data(), c.weights(), c.output.data(), B, T);
  // Inputs of held steps do not matter: their gradient is exactly zero.
  for (int64_t i = 0; i < B * T; ++i) {
    if (c.advance[i]) continue;
    for (int64_t d = 0; d < I; ++d) ASSERT_EQ(dinput[i * I + d], 0.0f) << "held step " << i;
  }
  EXPECT_TRUE(matches_finite_differences("dinput", c.input, dinput, loss));
  EXPECT_TRUE(matches_finite_differences("dweight_ih", c.weight_ih, dweight_ih, loss));
  EXPECT_TRUE(matches_finite_differences("dweight_hh", c.weight_hh, dweight_hh, loss));
  EXPECT_TRUE(matches_finite_differences("dbias_ih", c.bias_ih, dbias_ih, loss));
  EXPECT_TRUE(matches_finite_differences("dbias_hh", c.bias_hh, dbias_hh, loss));
}

}  // namespace
}  // namespace slatetrain
