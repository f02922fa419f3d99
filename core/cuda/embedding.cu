// Embedding rows: gather by index, scatter-add of gradients, segment sums of sorted pieces.
#include "core/cuda/launchers.hpp"
#include "core/cuda_error.hpp"

namespace slatetrain {
namespace cuda {
namespace {

constexpr int kThreads = 256;

// One thread per (row i, column d): consecutive threads read consecutive floats of a row.
__global__ void embedding_forward_kernel(float* out, const float* table, const int32_t* index,
                                         int64_t n, int64_t dim, int64_t table_rows,
                                         DeviceFault* fault) {
  for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; e < n * dim;
       e += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const int64_t i = e / dim, d = e % dim;
    const int32_t row = index[i];
    if (row < -1 || row >= table_rows) {
      if (d == 0) report_fault(fault, kEmbeddingForwardIndex, i, row, table_rows);
      out[e] = 0.0f;
      continue;
    }
    out[e] = row < 0 ? 0.0f : table[row * dim + d];
  }
}

// Repeated indices add up through atomics: the order of the additions is not fixed, so the
// result can differ from the CPU's in the last bits (tests use a tolerance).
__global__ void embedding_backward_kernel(float* dtable, const float* dout, const int32_t* index,
                                          int64_t n, int64_t dim, int64_t table_rows,
                                          DeviceFault* fault) {
  for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; e < n * dim;
       e += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const int64_t i = e / dim, d = e % dim;
    const int32_t row = index[i];
    if (row < -1 || row >= table_rows) {
      if (d == 0) report_fault(fault, kEmbeddingBackwardIndex, i, row, table_rows);
      continue;
    }
    if (row >= 0) atomicAdd(&dtable[row * dim + d], dout[e]);
  }
}

// One thread per (segment, column), adding its segment's rows in order: deterministic.
__global__ void segment_sum_kernel(float* out, const float* x, const int64_t* offsets,
                                   int64_t segments, int64_t dim) {
  for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; e < segments * dim;
       e += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const int64_t s = e / dim, d = e % dim;
    float sum = 0.0f;
    for (int64_t r = offsets[s]; r < offsets[s + 1]; ++r) sum += x[r * dim + d];
    out[e] = sum;
  }
}

}  // namespace

void launch_embedding_forward(float* out, const float* table, const int32_t* index, int64_t n,
                              int64_t dim, int64_t table_rows, DeviceFault* fault,
                              cudaStream_t stream) {
  if (n <= 0 || dim <= 0) return;
  embedding_forward_kernel<<<blocks_for(n * dim, kThreads), kThreads, 0, stream>>>(
      out, table, index, n, dim, table_rows, fault);
  CHECK_CUDA_LAUNCH();
}

void launch_embedding_backward(float* dtable, const float* dout, const int32_t* index, int64_t n,
                               int64_t dim, int64_t table_rows, DeviceFault* fault,
                               cudaStream_t stream) {
  if (n <= 0 || dim <= 0) return;
  embedding_backward_kernel<<<blocks_for(n * dim, kThreads), kThreads, 0, stream>>>(
      dtable, dout, index, n, dim, table_rows, fault);
  CHECK_CUDA_LAUNCH();
}

void launch_segment_sum(float* out, const float* x, const int64_t* offsets, int64_t segments,
                        int64_t dim, cudaStream_t stream) {
  if (segments <= 0 || dim <= 0) return;
  segment_sum_kernel<<<blocks_for(segments * dim, kThreads), kThreads, 0, stream>>>(out, x, offsets,
                                                                                    segments, dim);
  CHECK_CUDA_LAUNCH();
}

}  // namespace cuda
}  // namespace slatetrain
