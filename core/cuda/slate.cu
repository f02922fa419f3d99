// Slate scoring (dot products of user vectors with slate rows, the no-click bias at position
// 0, masked positions -inf) and the masked softmax cross-entropy over each slate.
#include <cmath>

#include "core/cuda/launchers.hpp"
#include "core/cuda_error.hpp"

namespace slatetrain {
namespace cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kWarpsPerBlock = kThreads / 32;

__device__ inline float warp_sum(float value) {
  for (int offset = 16; offset > 0; offset /= 2)
    value += __shfl_xor_sync(0xffffffffu, value, offset);
  return value;
}

__device__ inline float warp_max(float value) {
  for (int offset = 16; offset > 0; offset /= 2)
    value = fmaxf(value, __shfl_xor_sync(0xffffffffu, value, offset));
  return value;
}

// One warp per score (i, j): the lanes split the dot product over the dimension.
__global__ void slate_scores_forward_kernel(float* scores, const float* user, const float* rows,
                                            const int32_t* slate_index, const int32_t* slate_length,
                                            const float* no_click_bias, int64_t n, int64_t slate,
                                            int64_t dim, int64_t row_count, int64_t bias_size,
                                            DeviceFault* fault) {
  const int lane = threadIdx.x % 32;
  for (int64_t w = (blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x) / 32;
       w < n * slate; w += static_cast<int64_t>(blockDim.x) * gridDim.x / 32) {
    const int64_t i = w / slate, j = w % slate;
    if (j == 0) {
      if (lane == 0) {
        const int32_t length = slate_length[i];
        if (length < 0 || length >= bias_size) {
          report_fault(fault, kSlateLength, i, length, bias_size);
          scores[w] = -INFINITY;
        } else {
          scores[w] = no_click_bias[length];
        }
      }
      continue;
    }
    const int32_t row = slate_index[w];
    if (row < 0 || row >= row_count) {
      if (lane == 0) {
        if (row != -1) report_fault(fault, kSlateIndex, w, row, row_count);
        scores[w] = -INFINITY;
      }
      continue;
    }
    float sum = 0.0f;
    for (int64_t d = lane; d < dim; d += 32) sum += user[i * dim + d] * rows[row * dim + d];
    sum = warp_sum(sum);
    if (lane == 0) scores[w] = sum;
  }
}

// duser[i, d] = sum over real positions j of dscores[i, j] * rows[slate_index[i, j], d].
__global__ void slate_user_gradient_kernel(float* duser, const float* dscores, const float* rows,
                                           const int32_t* slate_index, int64_t n, int64_t slate,
                                           int64_t dim, int64_t row_count) {
  for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; e < n * dim;
       e += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const int64_t i = e / dim, d = e % dim;
    float sum = 0.0f;
    for (int64_t j = 1; j < slate; ++j) {
      const int32_t row = slate_index[i * slate + j];
      if (row >= 0 && row < row_count) sum += dscores[i * slate + j] * rows[row * dim + d];
    }
    duser[e] = sum;
  }
}

// drows[slate_index[i, j], d] += dscores[i, j] * user[i, d]; the bias gets position 0.
__global__ void slate_rows_gradient_kernel(float* drows, float* dno_click_bias,
                                           const float* dscores, const float* user,
                                           const int32_t* slate_index, const int32_t* slate_length,
                                           int64_t n, int64_t slate, int64_t dim, int64_t row_count,
                                           int64_t bias_size, DeviceFault* fault) {
  for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; e < n * slate * dim;
       e += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const int64_t w = e / dim, d = e % dim;
    const int64_t i = w / slate, j = w % slate;
    if (j == 0) {
      if (d != 0) continue;
      const int32_t length = slate_length[i];
      if (length < 0 || length >= bias_size) {
        report_fault(fault, kSlateLength, i, length, bias_size);
      } else if (dno_click_bias != nullptr) {
        atomicAdd(&dno_click_bias[length], dscores[w]);
      }
      continue;
    }
    const int32_t row = slate_index[w];
    if (row < 0 || row >= row_count) {
      if (row != -1 && d == 0) report_fault(fault, kSlateIndex, w, row, row_count);
      continue;
    }
    if (drows != nullptr) atomicAdd(&drows[row * dim + d], dscores[w] * user[i * dim + d]);
  }
}

// One warp per step: max, sum of exponentials, loss and gradient over the slate.
__global__ void slate_cross_entropy_kernel(float* dscores, float* step_loss, const float* scores,
                                           const int32_t* target, const uint8_t* step_mask,
                                           int64_t n, int64_t slate, float gradient_scale,
                                           DeviceFault* fault) {
  const int lane = threadIdx.x % 32;
  for (int64_t i = (blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x) / 32; i < n;
       i += static_cast<int64_t>(blockDim.x) * gridDim.x / 32) {
    const float* s = scores + i * slate;
    const int32_t position = target[i];
    bool valid = step_mask[i] != 0;
    if (valid && (position < 0 || position >= slate)) {
      if (lane == 0) report_fault(fault, kSlateTargetPosition, i, position, slate);
      valid = false;
    } else if (valid && s[position] == -INFINITY) {
      if (lane == 0) report_fault(fault, kSlateTargetMasked, i, position, slate);
      valid = false;
    }
    if (!valid) {
      if (lane == 0) step_loss[i] = 0.0f;
      if (dscores != nullptr)
        for (int64_t j = lane; j < slate; j += 32) dscores[i * slate + j] = 0.0f;
      continue;
    }
    float largest = -INFINITY;
    for (int64_t j = lane; j < slate; j += 32) largest = fmaxf(largest, s[j]);
    largest = warp_max(largest);
    float total = 0.0f;
    for (int64_t j = lane; j < slate; j += 32) total += expf(s[j] - largest);
    total = warp_sum(total);
    const float log_total = logf(total);
    if (lane == 0) step_loss[i] = log_total + largest - s[position];
    if (dscores != nullptr) {
      for (int64_t j = lane; j < slate; j += 32) {
        const float probability = s[j] == -INFINITY ? 0.0f : expf(s[j] - largest - log_total);
        dscores[i * slate + j] = gradient_scale * (probability - (j == position ? 1.0f : 0.0f));
      }
    }
  }
}

}  // namespace

void launch_slate_scores_forward(float* scores, const float* user, const float* rows,
                                 const int32_t* slate_index, const int32_t* slate_length,
                                 const float* no_click_bias, int64_t n, int64_t slate, int64_t dim,
                                 int64_t row_count, int64_t bias_size, DeviceFault* fault,
                                 cudaStream_t stream) {
  if (n <= 0 || slate <= 0) return;
  slate_scores_forward_kernel<<<blocks_for(n * slate, kWarpsPerBlock), kThreads, 0, stream>>>(
      scores, user, rows, slate_index, slate_length, no_click_bias, n, slate, dim, row_count,
      bias_size, fault);
  CHECK_CUDA_LAUNCH();
}

void launch_slate_scores_backward(float* duser, float* drows, float* dno_click_bias,
                                  const float* dscores, const float* user, const float* rows,
                                  const int32_t* slate_index, const int32_t* slate_length,
                                  int64_t n, int64_t slate, int64_t dim, int64_t row_count,
                                  int64_t bias_size, DeviceFault* fault, cudaStream_t stream) {
  if (n <= 0 || slate <= 0) return;
  if (duser != nullptr && dim > 0) {
    slate_user_gradient_kernel<<<blocks_for(n * dim, kThreads), kThreads, 0, stream>>>(
        duser, dscores, rows, slate_index, n, slate, dim, row_count);
    CHECK_CUDA_LAUNCH();
  }
  // Run even without drows/dbias outputs: it is also where bad indices are reported.
  const int64_t elements = n * slate * (dim > 0 ? dim : 1);
  slate_rows_gradient_kernel<<<blocks_for(elements, kThreads), kThreads, 0, stream>>>(
      dim > 0 ? drows : nullptr, dno_click_bias, dscores, user, slate_index, slate_length, n, slate,
      dim > 0 ? dim : 1, row_count, bias_size, fault);
  CHECK_CUDA_LAUNCH();
}

void launch_slate_cross_entropy(float* dscores, float* step_loss, const float* scores,
                                const int32_t* target, const uint8_t* step_mask, int64_t n,
                                int64_t slate, float gradient_scale, DeviceFault* fault,
                                cudaStream_t stream) {
  if (n <= 0) return;
  slate_cross_entropy_kernel<<<blocks_for(n, kWarpsPerBlock), kThreads, 0, stream>>>(
      dscores, step_loss, scores, target, step_mask, n, slate, gradient_scale, fault);
  CHECK_CUDA_LAUNCH();
}

}  // namespace cuda
}  // namespace slatetrain
