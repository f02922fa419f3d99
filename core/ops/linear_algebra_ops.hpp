// LinearAlgebraOps: dense matrix products (BLAS / cuBLAS) and bias rows.
// One family of the Backend's ops (core/backend.hpp states the conventions every op follows);
// CpuBackend implements it as the reference, CudaBackend as its twin.
#pragma once

#include <cstddef>
#include <cstdint>

namespace slatetrain {

class LinearAlgebraOps {
 public:
  virtual ~LinearAlgebraOps() = default;

  // C = alpha * op(A) op(B) + beta * C, row-major, contiguous.
  // shapes: C [m, n]; op(A) [m, k]: A is [m, k], or [k, m] when transpose_a;
  //         op(B) [k, n]: B is [k, n], or [n, k] when transpose_b.
  // beta = 0 ignores C's previous contents (NaNs included).
  virtual void gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k,
                    float alpha, const float* a, const float* b, float beta, float* c) = 0;
  // `batch` independent gemms; matrix i starts at a + i*stride_a etc. (strides in elements).
  virtual void gemm_strided_batched(bool transpose_a, bool transpose_b, int64_t m, int64_t n,
                                    int64_t k, float alpha, const float* a, int64_t stride_a,
                                    const float* b, int64_t stride_b, float beta, float* c,
                                    int64_t stride_c, int64_t batch) = 0;
  // shapes: y [rows, cols], bias [cols]; y[r, c] += bias[c].
  virtual void add_bias(float* y, const float* bias, int64_t rows, int64_t cols) = 0;
  // shapes: dbias [cols], dy [rows, cols]; dbias[c] += sum_r dy[r, c].
  virtual void bias_backward(float* dbias, const float* dy, int64_t rows, int64_t cols) = 0;
};

}  // namespace slatetrain
