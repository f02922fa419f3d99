// Sampled softmax: the clicked item's logit against K sampled negatives per step.
// One block per step: warps compute the K + 1 logits (dot products), the block reduces max and
// sum, then the gradient coefficients c_k = scale * (p_k - [k == 0]) are spread to the user
// vector (overwrite) and to the rows (atomic accumulate).
#include <cmath>

#include "core/cuda/launchers.hpp"
#include "core/cuda_error.hpp"

namespace slatetrain {
namespace cuda {
namespace {

constexpr int kThreads = 128;
constexpr int kWarps = kThreads / 32;

__device__ inline float warp_sum(float value) {
  for (int offset = 16; offset > 0; offset /= 2)
    value += __shfl_xor_sync(0xffffffffu, value, offset);
  return value;
}

// Reduces over the block; every thread gets the result. shared: kWarps floats.
template <bool kMax>
__device__ float block_reduce(float value, float* shared) {
  for (int offset = 16; offset > 0; offset /= 2) {
    const float other = __shfl_xor_sync(0xffffffffu, value, offset);
    value = kMax ? fmaxf(value, other) : value + other;
  }
  if (threadIdx.x % 32 == 0) shared[threadIdx.x / 32] = value;
  __syncthreads();
  float result = shared[0];
  for (int w = 1; w < kWarps; ++w) result = kMax ? fmaxf(result, shared[w]) : result + shared[w];
  __syncthreads();
  return result;
}

// The row of logit k of step i: the positive for k = 0, else a negative (-1: left out).
__device__ inline int32_t logit_row(const int32_t* positive, const int32_t* negative, int64_t i,
                                    int64_t k, int64_t negatives) {
  return k == 0 ? positive[i] : negative[i * negatives + (k - 1)];
}

__global__ void sampled_softmax_kernel(float* duser, float* drows, float* step_loss, float* logits,
                                       const float* user, const float* rows,
                                       const int32_t* positive, const int32_t* negative,
                                       const float* logit_offset, const uint8_t* step_mask,
                                       int64_t n, int64_t negatives, int64_t dim, int64_t row_count,
                                       float gradient_scale, DeviceFault* fault) {
  __shared__ float shared[kWarps];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int64_t width = negatives + 1;
  for (int64_t i = blockIdx.x; i < n; i += gridDim.x) {
    const int32_t positive_row = positive[i];
    bool valid = step_mask[i] != 0;
    if (valid && (positive_row < 0 || positive_row >= row_count)) {
      if (threadIdx.x == 0) report_fault(fault, kSampledPositiveRow, i, positive_row, row_count);
      valid = false;
    }
    if (!valid) {
      if (threadIdx.x == 0) step_loss[i] = 0.0f;
      if (duser != nullptr)
        for (int64_t d = threadIdx.x; d < dim; d += kThreads) duser[i * dim + d] = 0.0f;
      continue;
    }
    float* logit = logits + i * width;
    for (int64_t k = warp; k < width; k += kWarps) {
      const int32_t row = logit_row(positive, negative, i, k, negatives);
      if (row < 0 || row >= row_count) {
        if (lane == 0) {
          if (row != -1)
            report_fault(fault, kSampledNegativeRow, i * negatives + k - 1, row, row_count);
          logit[k] = -INFINITY;
        }
        continue;
      }
      float sum = 0.0f;
      for (int64_t d = lane; d < dim; d += 32) sum += user[i * dim + d] * rows[row * dim + d];
      sum = warp_sum(sum);
      if (lane == 0)
        logit[k] = sum + (logit_offset != nullptr ? logit_offset[i * width + k] : 0.0f);
    }
    __syncthreads();
    float largest = -INFINITY;
    for (int64_t k = threadIdx.x; k < width; k += kThreads) largest = fmaxf(largest, logit[k]);
    largest = block_reduce<true>(largest, shared);
    float total = 0.0f;
    for (int64_t k = threadIdx.x; k < width; k += kThreads) total += expf(logit[k] - largest);
    total = block_reduce<false>(total, shared);
    const float log_total = logf(total);
    if (threadIdx.x == 0) step_loss[i] = log_total + largest - logit[0];
    __syncthreads();  // logit[0] is read above before it is overwritten below
    // Logits become gradient coefficients in place.
    for (int64_t k = threadIdx.x; k < width; k += kThreads) {
      const float probability = logit[k] == -INFINITY ? 0.0f : expf(logit[k] - largest - log_total);
      logit[k] = gradient_scale * (probability - (k == 0 ? 1.0f : 0.0f));
    }
    __syncthreads();
    for (int64_t d = threadIdx.x; d < dim; d += kThreads) {
      const float u = user[i * dim + d];
      float sum = 0.0f;
      for (int64_t k = 0; k < width; ++k) {
        const int32_t row = logit_row(positive, negative, i, k, negatives);
        if (row < 0 || row >= row_count) continue;
        sum += logit[k] * rows[row * dim + d];
        if (drows != nullptr) atomicAdd(&drows[row * dim + d], logit[k] * u);
      }
      if (duser != nullptr) duser[i * dim + d] = sum;
    }
    __syncthreads();  // the next step reuses shared memory
  }
}

}  // namespace

void launch_sampled_softmax(float* duser, float* drows, float* step_loss, float* logits,
                            const float* user, const float* rows, const int32_t* positive,
                            const int32_t* negative, const float* logit_offset,
                            const uint8_t* step_mask, int64_t n, int64_t negatives, int64_t dim,
                            int64_t row_count, float gradient_scale, DeviceFault* fault,
                            cudaStream_t stream) {
  if (n <= 0) return;
  const unsigned int blocks = static_cast<unsigned int>(n < 65536 ? n : 65536);
  sampled_softmax_kernel<<<blocks, kThreads, 0, stream>>>(
      duser, drows, step_loss, logits, user, rows, positive, negative, logit_offset, step_mask, n,
      negatives, dim, row_count, gradient_scale, fault);
  CHECK_CUDA_LAUNCH();
}

}  // namespace cuda
}  // namespace slatetrain
