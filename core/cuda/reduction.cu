// Sums to double in a fixed order: kReductionBlocks block partials (each a grid-stride sum
// followed by a tree in shared memory), then one block adds the partials. The same n gives
// the same bits on every run, which keeps clipping decisions reproducible.
#include "core/cuda/launchers.hpp"
#include "core/cuda_error.hpp"

namespace slatetrain {
namespace cuda {
namespace {

constexpr int kThreads = 256;

template <bool kSquare>
__global__ void partial_sum_kernel(double* partials, const float* x, int64_t n) {
  __shared__ double shared[kThreads];
  double sum = 0.0;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(kThreads) + threadIdx.x; i < n;
       i += static_cast<int64_t>(kThreads) * gridDim.x) {
    const double value = x[i];
    sum += kSquare ? value * value : value;
  }
  shared[threadIdx.x] = sum;
  __syncthreads();
  for (int width = kThreads / 2; width > 0; width /= 2) {
    if (threadIdx.x < width) shared[threadIdx.x] += shared[threadIdx.x + width];
    __syncthreads();
  }
  if (threadIdx.x == 0) partials[blockIdx.x] = shared[0];
}

__global__ void final_sum_kernel(double* result, const double* partials, int count) {
  __shared__ double shared[kThreads];
  double sum = 0.0;
  for (int i = threadIdx.x; i < count; i += kThreads) sum += partials[i];
  shared[threadIdx.x] = sum;
  __syncthreads();
  for (int width = kThreads / 2; width > 0; width /= 2) {
    if (threadIdx.x < width) shared[threadIdx.x] += shared[threadIdx.x + width];
    __syncthreads();
  }
  if (threadIdx.x == 0) *result = shared[0];
}

template <bool kSquare>
void launch_reduction(double* result, double* partials, const float* x, int64_t n,
                      cudaStream_t stream) {
  partial_sum_kernel<kSquare><<<kReductionBlocks, kThreads, 0, stream>>>(partials, x, n);
  CHECK_CUDA_LAUNCH();
  final_sum_kernel<<<1, kThreads, 0, stream>>>(result, partials, kReductionBlocks);
  CHECK_CUDA_LAUNCH();
}

}  // namespace

void launch_squared_norm(double* result, double* partials, const float* x, int64_t n,
                         cudaStream_t stream) {
  launch_reduction<true>(result, partials, x, n, stream);
}

void launch_sum(double* result, double* partials, const float* x, int64_t n, cudaStream_t stream) {
  launch_reduction<false>(result, partials, x, n, stream);
}

}  // namespace cuda
}  // namespace slatetrain
