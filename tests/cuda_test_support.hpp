// Helpers of the cuda_* tests: a fixture that skips without a GPU and holds a CpuBackend (the
// reference) beside a CudaBackend, and Twin arrays: the same host values uploaded to both, so
// one op can run on each and the results be compared element by element.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "core/cpu_backend.hpp"
#include "core/cuda_backend.hpp"
#include "core/cuda_device.hpp"
#include "core/random.hpp"
#include "core/tensor.hpp"
#include "tests/core_test_util.hpp"

namespace slatetrain {
namespace testing_cuda {

using testing_core::arrays_near;
using testing_core::random_values;

class CudaBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (cuda_device_count() == 0)
      GTEST_SKIP() << "no CUDA device visible: this GPU test needs one (skipped, not passed)";
    gpu = std::make_unique<CudaBackend>(0);
  }
  CpuBackend cpu{1};
  std::unique_ptr<CudaBackend> gpu;
};

// The same values on the CPU backend and on the GPU backend.
template <typename T>
class Twin {
 public:
  Twin(Backend& cpu_backend, Backend& gpu_backend, const std::vector<T>& values)
      : on_cpu_(cpu_backend, {static_cast<int64_t>(values.size())}, dtype_of<T>()),
        on_gpu_(gpu_backend, {static_cast<int64_t>(values.size())}, dtype_of<T>()) {
    on_cpu_.copy_from_host(values);
    on_gpu_.copy_from_host(values);
  }
  T* cpu() { return on_cpu_.data<T>(); }
  T* gpu() { return on_gpu_.data<T>(); }
  std::vector<T> cpu_values() const { return on_cpu_.to_host<T>(); }
  std::vector<T> gpu_values() const { return on_gpu_.to_host<T>(); }

 private:
  Tensor on_cpu_;
  Tensor on_gpu_;
};

// Uniform integers in [low, high).
inline std::vector<int32_t> random_integers(size_t count, uint64_t seed, int32_t low,
                                            int32_t high) {
  Random random(seed);
  std::vector<int32_t> values(count);
  for (auto& value : values)
    value = low + static_cast<int32_t>(random.below(static_cast<uint64_t>(high - low)));
  return values;
}

inline std::vector<uint8_t> random_mask(size_t count, uint64_t seed, double share_of_ones) {
  Random random(seed);
  std::vector<uint8_t> values(count);
  for (auto& value : values) value = random.uniform() < share_of_ones ? 1 : 0;
  return values;
}

// Element by element equality for integer arrays, naming the first difference.
template <typename T>
::testing::AssertionResult arrays_equal(const std::vector<T>& actual,
                                        const std::vector<T>& expected) {
  if (actual.size() != expected.size())
    return ::testing::AssertionFailure()
           << "sizes differ: actual " << actual.size() << ", expected " << expected.size();
  for (size_t i = 0; i < actual.size(); ++i)
    if (actual[i] != expected[i])
      return ::testing::AssertionFailure() << "first bad index " << i << ": actual " << +actual[i]
                                           << ", expected " << +expected[i];
  return ::testing::AssertionSuccess();
}

}  // namespace testing_cuda
}  // namespace slatetrain
