// Helpers shared by the core_* tests: random data, array comparisons that name the first bad
// index and both values, and central finite differences of a scalar function.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <vector>

#include "core/random.hpp"

namespace slatetrain {
namespace testing_core {

inline std::vector<float> random_values(size_t count, uint64_t seed, float scale = 1.0f) {
  Random random(seed);
  std::vector<float> values(count);
  for (auto& value : values) value = static_cast<float>((random.uniform() * 2.0 - 1.0) * scale);
  return values;
}

// |actual - expected| <= absolute + relative * |expected| element by element.
inline ::testing::AssertionResult arrays_near(const std::vector<float>& actual,
                                              const std::vector<float>& expected, double absolute,
                                              double relative = 0.0) {
  if (actual.size() != expected.size()) {
    return ::testing::AssertionFailure()
           << "sizes differ: actual " << actual.size() << ", expected " << expected.size();
  }
  for (size_t i = 0; i < actual.size(); ++i) {
    const double difference = std::fabs(double(actual[i]) - double(expected[i]));
    const bool both_infinite = std::isinf(actual[i]) && actual[i] == expected[i];
    if (!both_infinite && !(difference <= absolute + relative * std::fabs(double(expected[i])))) {
      return ::testing::AssertionFailure()
             << "first bad index " << i << ": actual " << actual[i] << ", expected " << expected[i]
             << " (|difference| " << difference << ")";
    }
  }
  return ::testing::AssertionSuccess();
}

// Central differences of loss() with respect to each entry of `values` (changed in place and
// restored). Step `epsilon` in float; the loss is accumulated in double by the caller.
inline std::vector<float> finite_differences(std::vector<float>& values,
                                             const std::function<double()>& loss,
                                             float epsilon = 1e-2f) {
  std::vector<float> gradient(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const float original = values[i];
    values[i] = original + epsilon;
    const double plus = loss();
    values[i] = original - epsilon;
    const double minus = loss();
    values[i] = original;
    gradient[i] = static_cast<float>((plus - minus) / (2.0 * double(epsilon)));
  }
  return gradient;
}

// sum_i weights[i] * values[i] in double: a scalar loss with a known output gradient.
inline double weighted_sum(const std::vector<float>& values, const std::vector<float>& weights) {
  double sum = 0.0;
  for (size_t i = 0; i < values.size(); ++i) sum += double(values[i]) * weights[i];
  return sum;
}

}  // namespace testing_core
}  // namespace slatetrain
