// Shared by the models tests: element-wise comparison with an absolute tolerance that names
// the first bad index and both values, and a central finite-difference gradient check.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace slatetrain::testing {

template <typename Actual, typename Expected>
::testing::AssertionResult all_near(const std::string& what, const std::vector<Actual>& actual,
                                    const std::vector<Expected>& expected, double tolerance) {
  if (actual.size() != expected.size()) {
    return ::testing::AssertionFailure()
           << what << ": " << actual.size() << " values, expected " << expected.size();
  }
  for (size_t i = 0; i < actual.size(); ++i) {
    const double a = static_cast<double>(actual[i]), e = static_cast<double>(expected[i]);
    if (!(std::fabs(a - e) <= tolerance)) {
      return ::testing::AssertionFailure()
             << what << ": first bad index " << i << ": got " << a << ", expected " << e
             << " (|difference| " << std::fabs(a - e) << " > " << tolerance << ")";
    }
  }
  return ::testing::AssertionSuccess();
}

// Compares analytic[i] with (loss(x + eps e_i) - loss(x - eps e_i)) / (2 eps) for every i.
// loss reads x (float, so the perturbation is rounded to float) and accumulates in double.
inline ::testing::AssertionResult matches_finite_differences(
    const std::string& what, std::vector<float>& x, const std::vector<float>& analytic,
    const std::function<double()>& loss, double eps = 1e-2, double tolerance = 2e-3) {
  if (x.size() != analytic.size()) {
    return ::testing::AssertionFailure()
           << what << ": " << analytic.size() << " gradient values for " << x.size() << " inputs";
  }
  for (size_t i = 0; i < x.size(); ++i) {
    const float saved = x[i];
    x[i] = static_cast<float>(saved + eps);
    const double plus = loss();
    const double up = static_cast<double>(x[i]) - saved;
    x[i] = static_cast<float>(saved - eps);
    const double minus = loss();
    const double down = saved - static_cast<double>(x[i]);
    x[i] = saved;
    const double numeric = (plus - minus) / (up + down);
    if (!(std::fabs(numeric - analytic[i]) <= tolerance)) {
      return ::testing::AssertionFailure()
             << what << ": first bad index " << i << ": backward " << analytic[i]
             << ", finite differences " << numeric << " (|difference| "
             << std::fabs(numeric - analytic[i]) << " > " << tolerance << ")";
    }
  }
  return ::testing::AssertionSuccess();
}

}  // namespace slatetrain::testing
