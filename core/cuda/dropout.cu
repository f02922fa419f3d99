// CudaBackend: dropout with the counter-based mask of core/ops/dropout_ops.hpp; the hash is
// core/random.hpp's, compiled for the device, so the mask is the CPU reference's bit for bit.
#include "core/cuda/launchers.hpp"
#include "core/cuda_backend.hpp"
#include "core/cuda_error.hpp"
#include "core/random.hpp"

namespace slatetrain {
namespace cuda {
namespace {

constexpr int kThreads = 256;

__global__ void dropout_kernel(float* y, const float* x, const uint64_t* row_keys, int64_t rows,
                               int64_t width, uint64_t threshold, float keep_scale, uint64_t seed) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < rows * width;
       i += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const int64_t r = i / width, e = i % width;
    const bool keep = hash_mix(seed, row_keys[r], static_cast<uint64_t>(e)) >= threshold;
    y[i] = x[i] * (keep ? keep_scale : 0.0f);
  }
}

void require_dropout(const char* op, int64_t rows, int64_t width, const DropoutMask& mask) {
  REQUIRE(rows >= 0 && width >= 0, op << ": bad sizes rows=" << rows << " width=" << width);
  REQUIRE(mask.probability >= 0.0f && mask.probability < 1.0f,
          op << ": probability " << mask.probability << " outside [0, 1)");
  REQUIRE(!mask.active() || rows == 0 || mask.row_keys != nullptr,
          op << ": probability " << mask.probability << " without row keys");
}

}  // namespace
}  // namespace cuda

void CudaBackend::dropout_forward(float* y, const float* x, int64_t rows, int64_t width,
                                  const DropoutMask& mask) {
  cuda::require_dropout("dropout_forward", rows, width, mask);
  const int64_t n = rows * width;
  if (n == 0) return;
  if (!mask.active()) {
    if (y != x) copy_on_device(y, x, sizeof(float) * n);
    return;
  }
  cuda::dropout_kernel<<<cuda::blocks_for(n, cuda::kThreads), cuda::kThreads, 0, stream_>>>(
      y, x, mask.row_keys, rows, width, unit_double_threshold(mask.probability),
      1.0f / (1.0f - mask.probability), mask.seed);
  CHECK_CUDA_LAUNCH();
}

void CudaBackend::dropout_backward(float* dx, const float* dy, int64_t rows, int64_t width,
                                   const DropoutMask& mask) {
  // The same mask and scale applied to the gradient.
  cuda::require_dropout("dropout_backward", rows, width, mask);
  dropout_forward(dx, dy, rows, width, mask);
}

}  // namespace slatetrain
