// The catalogue softmax pieces (core/ops/softmax_ops.hpp): one warp per row.
#include <cmath>

#include "core/cuda/launchers.hpp"
#include "core/cuda_error.hpp"

namespace slatetrain {
namespace cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kRowsPerBlock = kThreads / 32;

__device__ inline float warp_max(float value) {
  for (int offset = 16; offset > 0; offset /= 2)
    value = fmaxf(value, __shfl_xor_sync(0xffffffffu, value, offset));
  return value;
}

__device__ inline float warp_sum(float value) {
  for (int offset = 16; offset > 0; offset /= 2)
    value += __shfl_xor_sync(0xffffffffu, value, offset);
  return value;
}

unsigned int blocks_for_rows(int64_t rows) {
  const int64_t blocks = (rows + kRowsPerBlock - 1) / kRowsPerBlock;
  return static_cast<unsigned int>(blocks < 65535 ? blocks : 65535);
}

__global__ void logsumexp_update_kernel(float* running_max, float* running_sum, const float* scores,
                                        int64_t rows, int64_t columns) {
  const int lane = threadIdx.x % 32;
  for (int64_t r = blockIdx.x * static_cast<int64_t>(kRowsPerBlock) + threadIdx.x / 32; r < rows;
       r += static_cast<int64_t>(gridDim.x) * kRowsPerBlock) {
    const float* row = scores + r * columns;
    float largest = -INFINITY;
    for (int64_t j = lane; j < columns; j += 32) largest = fmaxf(largest, row[j]);
    largest = fmaxf(warp_max(largest), running_max[r]);
    if (largest == -INFINITY) continue;
    float sum = 0.0f;
    for (int64_t j = lane; j < columns; j += 32) sum += expf(row[j] - largest);
    sum = warp_sum(sum);
    if (lane == 0) {
      running_sum[r] = running_sum[r] * expf(running_max[r] - largest) + sum;
      running_max[r] = largest;
    }
  }
}

__global__ void softmax_from_logsumexp_kernel(float* scores, const float* logsumexp, int64_t rows,
                                              int64_t columns, float scale) {
  const int64_t n = rows * columns;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    scores[i] = scale * expf(scores[i] - logsumexp[i / columns]);
  }
}

__global__ void rowwise_dot_kernel(float* out, const float* a, const float* b, int64_t rows,
                                   int64_t dim) {
  const int lane = threadIdx.x % 32;
  for (int64_t r = blockIdx.x * static_cast<int64_t>(kRowsPerBlock) + threadIdx.x / 32; r < rows;
       r += static_cast<int64_t>(gridDim.x) * kRowsPerBlock) {
    float sum = 0.0f;
    for (int64_t d = lane; d < dim; d += 32) sum += a[r * dim + d] * b[r * dim + d];
    sum = warp_sum(sum);
    if (lane == 0) out[r] = sum;
  }
}

}  // namespace

void launch_logsumexp_update(float* running_max, float* running_sum, const float* scores,
                             int64_t rows, int64_t columns, cudaStream_t stream) {
  if (rows <= 0 || columns <= 0) return;
  logsumexp_update_kernel<<<blocks_for_rows(rows), kThreads, 0, stream>>>(running_max, running_sum,
                                                                          scores, rows, columns);
  CHECK_CUDA_LAUNCH();
}

void launch_softmax_from_logsumexp(float* scores, const float* logsumexp, int64_t rows,
                                   int64_t columns, float scale, cudaStream_t stream) {
  const int64_t n = rows * columns;
  if (n <= 0) return;
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  softmax_from_logsumexp_kernel<<<static_cast<unsigned int>(blocks < 65535 ? blocks : 65535),
                                  kThreads, 0, stream>>>(scores, logsumexp, rows, columns, scale);
  CHECK_CUDA_LAUNCH();
}

void launch_rowwise_dot(float* out, const float* a, const float* b, int64_t rows, int64_t dim,
                        cudaStream_t stream) {
  if (rows <= 0) return;
  rowwise_dot_kernel<<<blocks_for_rows(rows), kThreads, 0, stream>>>(out, a, b, rows, dim);
  CHECK_CUDA_LAUNCH();
}

}  // namespace cuda
}  // namespace slatetrain
