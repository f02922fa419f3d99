// CpuBackend: GELU, the exact erf form.
#include <cmath>

#include "core/cpu_backend.hpp"

namespace slatetrain {

namespace {
constexpr int64_t kElementGrain = 1 << 14;
constexpr float kInverseSqrt2 = 0.70710678118654752f;
constexpr float kInverseSqrt2Pi = 0.39894228040143268f;
}  // namespace

void CpuBackend::gelu_forward(float* y, const float* x, int64_t n) {
  parallel_for(n, kElementGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const float value = x[i];
      y[i] = 0.5f * value * (1.0f + std::erf(value * kInverseSqrt2));
    }
  });
}

void CpuBackend::gelu_backward(float* dx, const float* dy, const float* x, int64_t n) {
  parallel_for(n, kElementGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const float value = x[i];
      const float cdf = 0.5f * (1.0f + std::erf(value * kInverseSqrt2));
      const float pdf = kInverseSqrt2Pi * std::exp(-0.5f * value * value);
      dx[i] = dy[i] * (cdf + value * pdf);
    }
  });
}

}  // namespace slatetrain
