// CudaBackend: layer norm over the last dimension. One warp per row for the forward pass and
// for dx (two-pass mean and variance, as the CPU reference); the parameter gradients are
// column sums over the rows in a fixed order (blocks of 32 columns x 8 row lanes), so they
// are deterministic.
#include "core/cuda/launchers.hpp"
#include "core/cuda/warp_reduce.cuh"
#include "core/cuda_backend.hpp"
#include "core/cuda_error.hpp"

namespace slatetrain {
namespace cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kWarpsPerBlock = kThreads / 32;

unsigned int blocks_for_rows(int64_t rows) {
  return blocks_for(rows, kWarpsPerBlock);
}

__global__ void layer_norm_forward_kernel(float* out, float* mean, float* rstd, const float* x,
                                          const float* weight, const float* bias, int64_t rows,
                                          int64_t dim, float epsilon) {
  const int lane = threadIdx.x % 32;
  for (int64_t r = (blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x) / 32; r < rows;
       r += static_cast<int64_t>(blockDim.x) * gridDim.x / 32) {
    const float* row = x + r * dim;
    float sum = 0.0f;
    for (int64_t c = lane; c < dim; c += 32) sum += row[c];
    const float row_mean = warp_reduce_sum(sum) / static_cast<float>(dim);
    float squares = 0.0f;
    for (int64_t c = lane; c < dim; c += 32) {
      const float centred = row[c] - row_mean;
      squares += centred * centred;
    }
    const float variance = warp_reduce_sum(squares) / static_cast<float>(dim);
    const float row_rstd = rsqrtf(variance + epsilon);
    if (lane == 0) {
      mean[r] = row_mean;
      rstd[r] = row_rstd;
    }
    float* y = out + r * dim;
    for (int64_t c = lane; c < dim; c += 32)
      y[c] = (row[c] - row_mean) * row_rstd * weight[c] + bias[c];
  }
}

__global__ void layer_norm_input_gradient_kernel(float* dx, const float* dout, const float* x,
                                                 const float* weight, const float* mean,
                                                 const float* rstd, int64_t rows, int64_t dim) {
  const int lane = threadIdx.x % 32;
  for (int64_t r = (blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x) / 32; r < rows;
       r += static_cast<int64_t>(blockDim.x) * gridDim.x / 32) {
    const float* row = x + r * dim;
    const float* grad = dout + r * dim;
    const float m = mean[r], s = rstd[r];
    float sum_g = 0.0f, sum_g_xhat = 0.0f;
    for (int64_t c = lane; c < dim; c += 32) {
      const float g = weight[c] * grad[c];
      sum_g += g;
      sum_g_xhat += g * ((row[c] - m) * s);
    }
    const float mean_g = warp_reduce_sum(sum_g) / static_cast<float>(dim);
    const float mean_g_xhat = warp_reduce_sum(sum_g_xhat) / static_cast<float>(dim);
    float* out = dx + r * dim;
    for (int64_t c = lane; c < dim; c += 32) {
      const float xhat = (row[c] - m) * s;
      out[c] = s * (weight[c] * grad[c] - mean_g - xhat * mean_g_xhat);
    }
  }
}

// Block (32 columns x 8 row lanes): lane y sums every 8th row of its column, then the partial
// sums are added in shared memory (coalesced reads along a row).
__global__ void layer_norm_parameter_gradient_kernel(float* dweight, float* dbias,
                                                     const float* dout, const float* x,
                                                     const float* mean, const float* rstd,
                                                     int64_t rows, int64_t dim) {
  __shared__ float weight_partial[8][33];
  __shared__ float bias_partial[8][33];
  const int64_t c = blockIdx.x * 32 + threadIdx.x;
  float weight_sum = 0.0f, bias_sum = 0.0f;
  if (c < dim) {
    for (int64_t r = threadIdx.y; r < rows; r += 8) {
      const float grad = dout[r * dim + c];
      weight_sum += grad * ((x[r * dim + c] - mean[r]) * rstd[r]);
      bias_sum += grad;
    }
  }
  weight_partial[threadIdx.y][threadIdx.x] = weight_sum;
  bias_partial[threadIdx.y][threadIdx.x] = bias_sum;
  __syncthreads();
  if (threadIdx.y == 0 && c < dim) {
    for (int lane = 1; lane < 8; ++lane) {
      weight_sum += weight_partial[lane][threadIdx.x];
      bias_sum += bias_partial[lane][threadIdx.x];
    }
    if (dweight != nullptr) dweight[c] += weight_sum;
    if (dbias != nullptr) dbias[c] += bias_sum;
  }
}

void require_layer_norm_sizes(const char* op, int64_t rows, int64_t dim) {
  REQUIRE(rows >= 0 && dim > 0, op << ": bad sizes rows=" << rows << " dim=" << dim);
}

}  // namespace
}  // namespace cuda

void CudaBackend::layer_norm_forward(float* out, float* mean, float* rstd, const float* x,
                                     const float* weight, const float* bias, int64_t rows,
                                     int64_t dim, float epsilon) {
  cuda::require_layer_norm_sizes("layer_norm_forward", rows, dim);
  REQUIRE(epsilon >= 0.0f, "layer_norm_forward: epsilon " << epsilon << " < 0");
  if (rows == 0) return;
  cuda::layer_norm_forward_kernel<<<cuda::blocks_for_rows(rows), cuda::kThreads, 0, stream_>>>(
      out, mean, rstd, x, weight, bias, rows, dim, epsilon);
  CHECK_CUDA_LAUNCH();
}

void CudaBackend::layer_norm_backward(float* dx, float* dweight, float* dbias, const float* dout,
                                      const float* x, const float* weight, const float* mean,
                                      const float* rstd, int64_t rows, int64_t dim) {
  cuda::require_layer_norm_sizes("layer_norm_backward", rows, dim);
  if (rows == 0) return;
  if (dx != nullptr) {
    cuda::layer_norm_input_gradient_kernel<<<cuda::blocks_for_rows(rows), cuda::kThreads, 0,
                                             stream_>>>(dx, dout, x, weight, mean, rstd, rows, dim);
    CHECK_CUDA_LAUNCH();
  }
  if (dweight != nullptr || dbias != nullptr) {
    const unsigned int blocks = static_cast<unsigned int>((dim + 31) / 32);
    cuda::layer_norm_parameter_gradient_kernel<<<blocks, dim3(32, 8), 0, stream_>>>(
        dweight, dbias, dout, x, mean, rstd, rows, dim);
    CHECK_CUDA_LAUNCH();
  }
}

}  // namespace slatetrain
