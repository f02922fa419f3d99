// DenseAdam against steps worked out by hand (numbers in the comments), Adam vs AdamW.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/backend.hpp"
#include "core/error.hpp"
#include "models/optimizer_adam.hpp"

namespace slatetrain {
namespace {

::testing::AssertionResult near_values(const std::vector<double>& expected,
                                       const std::vector<float>& actual, double tolerance) {
  if (expected.size() != actual.size())
    return ::testing::AssertionFailure() << "sizes " << expected.size() << " vs " << actual.size();
  for (size_t i = 0; i < expected.size(); ++i) {
    if (std::fabs(expected[i] - actual[i]) > tolerance) {
      return ::testing::AssertionFailure()
             << "first bad index " << i << ": expected " << expected[i] << ", actual " << actual[i];
    }
  }
  return ::testing::AssertionSuccess();
}

TEST(DenseAdam, TwoStepsByHand) {
  auto backend = make_backend(Device::kCpu);
  std::vector<float> parameters = {1.0f, -2.0f};
  DenseAdam adam(*backend, 2, AdamOptions{});
  // Step 1: m = 0.1 g, v = 0.001 g^2, m^ = g, v^ = g^2: each parameter moves by lr * sign(g).
  adam.step(parameters.data(), std::vector<float>{0.5f, -3.0f}.data(), 0.1f);
  EXPECT_TRUE(near_values({0.9, -1.9}, parameters, 1e-6));
  // Step 2 on parameter 0 with g = -0.25:
  //   m = 0.9*0.05 - 0.025 = 0.02; v = 0.999*0.00025 + 0.001*0.0625 = 0.00031225
  //   m^ = 0.02/0.19 = 0.1052632; v^ = 0.00031225/0.001999 = 0.1562031; sqrt = 0.3952254
  //   p = 0.9 - 0.1 * 0.1052632/0.3952254 = 0.8733666
  // Parameter 1 with g = -3 again: m^ = -3, v^ = 9, p = -1.9 + 0.1 = -1.8.
  adam.step(parameters.data(), std::vector<float>{-0.25f, -3.0f}.data(), 0.1f);
  EXPECT_TRUE(near_values({0.8733666, -1.8}, parameters, 2e-6));
  EXPECT_EQ(adam.step_count(), 2);
  EXPECT_TRUE(near_values({0.02, -0.57}, adam.first_moment().to_host<float>(), 1e-6));
}

TEST(DenseAdam, DecoupledWeightDecayAgainstL2) {
  auto backend = make_backend(Device::kCpu);
  AdamOptions options;
  options.weight_decay = 0.1f;
  options.decoupled = true;
  // AdamW: p = 1 - lr * wd * 1 - lr * sign(g) = 1 - 0.01 - 0.1 = 0.89.
  std::vector<float> adamw_parameters = {1.0f};
  DenseAdam adamw(*backend, 1, options);
  adamw.step(adamw_parameters.data(), std::vector<float>{0.5f}.data(), 0.1f);
  EXPECT_TRUE(near_values({0.89}, adamw_parameters, 1e-6));
  // Adam + L2: g' = 0.5 + 0.1 * 1 = 0.6, first step still lr * sign: 0.9; the moment holds
  // the decayed gradient: m = 0.1 * 0.6 = 0.06.
  options.decoupled = false;
  std::vector<float> l2_parameters = {1.0f};
  DenseAdam adam_l2(*backend, 1, options);
  adam_l2.step(l2_parameters.data(), std::vector<float>{0.5f}.data(), 0.1f);
  EXPECT_TRUE(near_values({0.9}, l2_parameters, 1e-6));
  EXPECT_TRUE(near_values({0.06}, adam_l2.first_moment().to_host<float>(), 1e-7));
}

TEST(DenseAdam, RestoredStateContinuesIdentically) {
  auto backend = make_backend(Device::kCpu);
  const std::vector<float> gradients = {0.3f, -0.7f, 1.1f};
  std::vector<float> straight = {0.1f, 0.2f, 0.3f};
  DenseAdam first(*backend, 3, AdamOptions{});
  for (int i = 0; i < 3; ++i) first.step(straight.data(), gradients.data(), 0.01f);
  // A second optimizer resumed from the first's state after 3 steps.
  DenseAdam resumed(*backend, 3, AdamOptions{});
  resumed.set_step_count(first.step_count());
  resumed.first_moment().copy_from_host(first.first_moment().to_host<float>());
  resumed.second_moment().copy_from_host(first.second_moment().to_host<float>());
  std::vector<float> continued = straight;
  first.step(straight.data(), gradients.data(), 0.01f);
  resumed.step(continued.data(), gradients.data(), 0.01f);
  for (size_t i = 0; i < straight.size(); ++i) EXPECT_EQ(straight[i], continued[i]) << i;
  EXPECT_THROW(resumed.set_step_count(-1), Error);
}

}  // namespace
}  // namespace slatetrain
