// CpuBackend: matrix products (OpenBLAS) and the bias ops.
#include <cblas.h>

#include "core/cpu/blas.hpp"
#include "core/cpu_backend.hpp"
#include "core/error.hpp"
#include "core/thread_pool.hpp"

namespace slatetrain {

namespace cpu {

namespace {

// Multiply-adds below which splitting a product over threads costs more than it saves.
constexpr int64_t kSplitGemmWork = int64_t{1} << 18;

void blas_sgemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
                const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                int64_t ldc) {
  cblas_sgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans,
              transpose_b ? CblasTrans : CblasNoTrans, static_cast<blasint>(m),
              static_cast<blasint>(n), static_cast<blasint>(k), alpha, a,
              static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c,
              static_cast<blasint>(ldc));
}

}  // namespace

void sgemm(ThreadPool* pool, bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k,
           float alpha, const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
           float* c, int64_t ldc) {
  REQUIRE(m >= 0 && n >= 0 && k >= 0, "gemm: negative size m=" << m << " n=" << n << " k=" << k);
  if (m == 0 || n == 0) return;
  if (!pool || pool->threads() == 1 || m < 2 || m * n * k < kSplitGemmWork) {
    blas_sgemm(transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  // One block of C's rows per thread. Row r of op(A) is row r of A, or column r when transposed.
  const int64_t rows_per_thread = (m + pool->threads() - 1) / pool->threads();
  pool->parallel_for(0, m, rows_per_thread, [&](int64_t row_begin, int64_t row_end) {
    const float* a_block = transpose_a ? a + row_begin : a + row_begin * lda;
    blas_sgemm(transpose_a, transpose_b, row_end - row_begin, n, k, alpha, a_block, lda, b, ldb,
               beta, c + row_begin * ldc, ldc);
  });
}

}  // namespace cpu

void CpuBackend::gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k,
                      float alpha, const float* a, const float* b, float beta, float* c) {
  // Row-major leading dimensions: the stored row length of each matrix.
  cpu::sgemm(gemm_pool(), transpose_a, transpose_b, m, n, k, alpha, a, transpose_a ? m : k, b,
             transpose_b ? k : n, beta, c, n);
}

void CpuBackend::gemm_strided_batched(bool transpose_a, bool transpose_b, int64_t m, int64_t n,
                                      int64_t k, float alpha, const float* a, int64_t stride_a,
                                      const float* b, int64_t stride_b, float beta, float* c,
                                      int64_t stride_c, int64_t batch) {
  for (int64_t i = 0; i < batch; ++i) {
    gemm(transpose_a, transpose_b, m, n, k, alpha, a + i * stride_a, b + i * stride_b, beta,
         c + i * stride_c);
  }
}

void CpuBackend::add_bias(float* y, const float* bias, int64_t rows, int64_t cols) {
  parallel_for(rows, 4096 / (cols + 1) + 1, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      float* row = y + r * cols;
      for (int64_t c = 0; c < cols; ++c) row[c] += bias[c];
    }
  });
}

void CpuBackend::bias_backward(float* dbias, const float* dy, int64_t rows, int64_t cols) {
  // Column sums; threads own column ranges so the sums are deterministic.
  parallel_for_columns(cols, [&](int64_t begin, int64_t end) {
    for (int64_t r = 0; r < rows; ++r) {
      const float* row = dy + r * cols;
      for (int64_t c = begin; c < end; ++c) dbias[c] += row[c];
    }
  });
}

}  // namespace slatetrain
