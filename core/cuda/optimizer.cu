// Dense Adam/AdamW and the row-wise lazy Adam and Adagrad updates. The arithmetic is the CPU
// reference's, value for value (core/cpu/optimizers.cpp).
#include <cmath>

#include "core/cuda/launchers.hpp"
#include "core/cuda_error.hpp"

namespace slatetrain {
namespace cuda {
namespace {

constexpr int kThreads = 256;

__device__ inline void adam_value(float* parameter, float* first, float* second, float gradient,
                                  const AdamStep& step) {
  if (!step.decoupled) gradient += step.weight_decay * *parameter;
  *first = step.beta1 * *first + (1.0f - step.beta1) * gradient;
  *second = step.beta2 * *second + (1.0f - step.beta2) * gradient * gradient;
  const float m_hat = *first / step.first_correction;
  const float v_hat = *second / step.second_correction;
  float update = m_hat / (sqrtf(v_hat) + step.epsilon);
  if (step.decoupled) update += step.weight_decay * *parameter;
  *parameter -= step.learning_rate * update;
}

__global__ void adam_kernel(float* parameters, float* first_moment, float* second_moment,
                            const float* gradients, int64_t n, AdamStep step) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(blockDim.x) * gridDim.x)
    adam_value(&parameters[i], &first_moment[i], &second_moment[i], gradients[i], step);
}

__global__ void sparse_adam_kernel(float* table, float* first_moment, float* second_moment,
                                   const int32_t* rows, const float* gradients, int64_t row_count,
                                   int64_t dim, int64_t table_rows, AdamStep step,
                                   DeviceFault* fault) {
  for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; e < row_count * dim;
       e += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const int64_t i = e / dim, d = e % dim;
    const int32_t row = rows[i];
    if (row < 0 || row >= table_rows) {
      if (d == 0) report_fault(fault, kSparseAdamRow, i, row, table_rows);
      continue;
    }
    const int64_t offset = int64_t{row} * dim + d;
    adam_value(&table[offset], &first_moment[offset], &second_moment[offset], gradients[e], step);
  }
}

__global__ void sparse_adagrad_kernel(float* table, float* accumulator, const int32_t* rows,
                                      const float* gradients, int64_t row_count, int64_t dim,
                                      int64_t table_rows, float learning_rate, float epsilon,
                                      DeviceFault* fault) {
  for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; e < row_count * dim;
       e += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const int64_t i = e / dim, d = e % dim;
    const int32_t row = rows[i];
    if (row < 0 || row >= table_rows) {
      if (d == 0) report_fault(fault, kSparseAdagradRow, i, row, table_rows);
      continue;
    }
    const int64_t offset = int64_t{row} * dim + d;
    const float gradient = gradients[e];
    accumulator[offset] += gradient * gradient;
    table[offset] -= learning_rate * gradient / (sqrtf(accumulator[offset]) + epsilon);
  }
}

}  // namespace

AdamStep make_adam_step(const AdamSettings& settings) {
  REQUIRE(settings.step >= 1, "adam: step " << settings.step << " (1-based, at least 1)");
  AdamStep step;
  step.learning_rate = settings.learning_rate;
  step.beta1 = settings.beta1;
  step.beta2 = settings.beta2;
  step.epsilon = settings.epsilon;
  step.weight_decay = settings.weight_decay;
  step.decoupled = settings.decoupled;
  // As the CPU reference: the power in double, the correction rounded to float.
  step.first_correction =
      1.0f - static_cast<float>(std::pow(double(settings.beta1), double(settings.step)));
  step.second_correction =
      1.0f - static_cast<float>(std::pow(double(settings.beta2), double(settings.step)));
  return step;
}

void launch_adam_update(float* parameters, float* first_moment, float* second_moment,
                        const float* gradients, int64_t n, const AdamStep& step,
                        cudaStream_t stream) {
  if (n <= 0) return;
  adam_kernel<<<blocks_for(n, kThreads), kThreads, 0, stream>>>(parameters, first_moment,
                                                                second_moment, gradients, n, step);
  CHECK_CUDA_LAUNCH();
}

void launch_sparse_adam_update(float* table, float* first_moment, float* second_moment,
                               const int32_t* rows, const float* gradients, int64_t row_count,
                               int64_t dim, int64_t table_rows, const AdamStep& step,
                               DeviceFault* fault, cudaStream_t stream) {
  if (row_count <= 0 || dim <= 0) return;
  sparse_adam_kernel<<<blocks_for(row_count * dim, kThreads), kThreads, 0, stream>>>(
      table, first_moment, second_moment, rows, gradients, row_count, dim, table_rows, step, fault);
  CHECK_CUDA_LAUNCH();
}

void launch_sparse_adagrad_update(float* table, float* accumulator, const int32_t* rows,
                                  const float* gradients, int64_t row_count, int64_t dim,
                                  int64_t table_rows, const AdagradSettings& settings,
                                  DeviceFault* fault, cudaStream_t stream) {
  if (row_count <= 0 || dim <= 0) return;
  sparse_adagrad_kernel<<<blocks_for(row_count * dim, kThreads), kThreads, 0, stream>>>(
      table, accumulator, rows, gradients, row_count, dim, table_rows, settings.learning_rate,
      settings.epsilon, fault);
  CHECK_CUDA_LAUNCH();
}

}  // namespace cuda
}  // namespace slatetrain
