// CudaBackend: GELU, the exact erf form (as core/cpu/gelu.cpp).
#include "core/cuda/launchers.hpp"
#include "core/cuda_backend.hpp"
#include "core/cuda_error.hpp"

namespace slatetrain {
namespace cuda {
namespace {

constexpr int kThreads = 256;
constexpr float kInverseSqrt2 = 0.70710678118654752f;
constexpr float kInverseSqrt2Pi = 0.39894228040143268f;

__global__ void gelu_forward_kernel(float* y, const float* x, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const float value = x[i];
    y[i] = 0.5f * value * (1.0f + erff(value * kInverseSqrt2));
  }
}

__global__ void gelu_backward_kernel(float* dx, const float* dy, const float* x, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const float value = x[i];
    const float cdf = 0.5f * (1.0f + erff(value * kInverseSqrt2));
    const float pdf = kInverseSqrt2Pi * expf(-0.5f * value * value);
    dx[i] = dy[i] * (cdf + value * pdf);
  }
}

}  // namespace
}  // namespace cuda

void CudaBackend::gelu_forward(float* y, const float* x, int64_t n) {
  REQUIRE(n >= 0, "gelu_forward: n = " << n);
  if (n == 0) return;
  cuda::gelu_forward_kernel<<<cuda::blocks_for(n, cuda::kThreads), cuda::kThreads, 0, stream_>>>(
      y, x, n);
  CHECK_CUDA_LAUNCH();
}

void CudaBackend::gelu_backward(float* dx, const float* dy, const float* x, int64_t n) {
  REQUIRE(n >= 0, "gelu_backward: n = " << n);
  if (n == 0) return;
  cuda::gelu_backward_kernel<<<cuda::blocks_for(n, cuda::kThreads), cuda::kThreads, 0, stream_>>>(
      dx, dy, x, n);
  CHECK_CUDA_LAUNCH();
}

}  // namespace slatetrain
