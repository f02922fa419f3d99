// Elementwise ops, bias add and bias gradient (column sums).
#include "core/cuda/launchers.hpp"
#include "core/cuda_error.hpp"

namespace slatetrain {
namespace cuda {
namespace {

constexpr int kThreads = 256;

#define GRID_STRIDE_LOOP(i, n)                                                           \
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(blockDim.x) * gridDim.x)

template <typename T>
__global__ void fill_kernel(T* x, int64_t n, T value) {
  GRID_STRIDE_LOOP(i, n) x[i] = value;
}

__global__ void axpy_kernel(float* y, const float* x, int64_t n, float alpha) {
  GRID_STRIDE_LOOP(i, n) y[i] += alpha * x[i];
}

__global__ void scale_kernel(float* x, int64_t n, float factor) {
  GRID_STRIDE_LOOP(i, n) x[i] *= factor;
}

__global__ void sigmoid_forward_kernel(float* y, const float* x, int64_t n) {
  GRID_STRIDE_LOOP(i, n) y[i] = 1.0f / (1.0f + expf(-x[i]));
}

__global__ void sigmoid_backward_kernel(float* dx, const float* dy, const float* y, int64_t n) {
  GRID_STRIDE_LOOP(i, n) dx[i] = dy[i] * y[i] * (1.0f - y[i]);
}

__global__ void tanh_forward_kernel(float* y, const float* x, int64_t n) {
  GRID_STRIDE_LOOP(i, n) y[i] = tanhf(x[i]);
}

__global__ void tanh_backward_kernel(float* dx, const float* dy, const float* y, int64_t n) {
  GRID_STRIDE_LOOP(i, n) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
}

__global__ void add_bias_kernel(float* y, const float* bias, int64_t rows, int64_t cols,
                                int64_t ld) {
  GRID_STRIDE_LOOP(i, rows * cols) {
    const int64_t r = i / cols, c = i % cols;
    y[r * ld + c] += bias[c];
  }
}

// Block (32 columns x 8 row lanes): each lane sums every 8th row of its column, then the 8
// partial sums are added in shared memory. Coalesced reads along a row.
__global__ void bias_backward_kernel(float* dbias, const float* dy, int64_t rows, int64_t cols) {
  __shared__ float partial[8][33];
  const int64_t c = blockIdx.x * 32 + threadIdx.x;
  float sum = 0.0f;
  if (c < cols)
    for (int64_t r = threadIdx.y; r < rows; r += 8) sum += dy[r * cols + c];
  partial[threadIdx.y][threadIdx.x] = sum;
  __syncthreads();
  if (threadIdx.y == 0 && c < cols) {
    for (int lane = 1; lane < 8; ++lane) sum += partial[lane][threadIdx.x];
    dbias[c] += sum;
  }
}

}  // namespace

void launch_fill(float* x, int64_t n, float value, cudaStream_t stream) {
  if (n <= 0) return;
  fill_kernel<<<blocks_for(n, kThreads), kThreads, 0, stream>>>(x, n, value);
  CHECK_CUDA_LAUNCH();
}

void launch_fill_int32(int32_t* x, int64_t n, int32_t value, cudaStream_t stream) {
  if (n <= 0) return;
  fill_kernel<<<blocks_for(n, kThreads), kThreads, 0, stream>>>(x, n, value);
  CHECK_CUDA_LAUNCH();
}

void launch_axpy(float* y, const float* x, int64_t n, float alpha, cudaStream_t stream) {
  if (n <= 0) return;
  axpy_kernel<<<blocks_for(n, kThreads), kThreads, 0, stream>>>(y, x, n, alpha);
  CHECK_CUDA_LAUNCH();
}

void launch_scale(float* x, int64_t n, float factor, cudaStream_t stream) {
  if (n <= 0) return;
  scale_kernel<<<blocks_for(n, kThreads), kThreads, 0, stream>>>(x, n, factor);
  CHECK_CUDA_LAUNCH();
}

void launch_sigmoid_forward(float* y, const float* x, int64_t n, cudaStream_t stream) {
  if (n <= 0) return;
  sigmoid_forward_kernel<<<blocks_for(n, kThreads), kThreads, 0, stream>>>(y, x, n);
  CHECK_CUDA_LAUNCH();
}

void launch_sigmoid_backward(float* dx, const float* dy, const float* y, int64_t n,
                             cudaStream_t stream) {
  if (n <= 0) return;
  sigmoid_backward_kernel<<<blocks_for(n, kThreads), kThreads, 0, stream>>>(dx, dy, y, n);
  CHECK_CUDA_LAUNCH();
}

void launch_tanh_forward(float* y, const float* x, int64_t n, cudaStream_t stream) {
  if (n <= 0) return;
  tanh_forward_kernel<<<blocks_for(n, kThreads), kThreads, 0, stream>>>(y, x, n);
  CHECK_CUDA_LAUNCH();
}

void launch_tanh_backward(float* dx, const float* dy, const float* y, int64_t n,
                          cudaStream_t stream) {
  if (n <= 0) return;
  tanh_backward_kernel<<<blocks_for(n, kThreads), kThreads, 0, stream>>>(dx, dy, y, n);
  CHECK_CUDA_LAUNCH();
}

void launch_add_bias(float* y, const float* bias, int64_t rows, int64_t cols, int64_t ld,
                     cudaStream_t stream) {
  if (rows <= 0 || cols <= 0) return;
  add_bias_kernel<<<blocks_for(rows * cols, kThreads), kThreads, 0, stream>>>(y, bias, rows, cols,
                                                                              ld);
  CHECK_CUDA_LAUNCH();
}

void launch_bias_backward(float* dbias, const float* dy, int64_t rows, int64_t cols,
                          cudaStream_t stream) {
  if (rows <= 0 || cols <= 0) return;
  const unsigned int blocks = static_cast<unsigned int>((cols + 31) / 32);
  bias_backward_kernel<<<blocks, dim3(32, 8), 0, stream>>>(dbias, dy, rows, cols);
  CHECK_CUDA_LAUNCH();
}

}  // namespace cuda
}  // namespace slatetrain
