// Internal to the CPU backend: the one place that calls cblas_sgemm, with leading dimensions
// so that callers can multiply strided views (a time step of a [B, T, H] sequence).
#pragma once

#include <cstdint>

namespace slatetrain {

class ThreadPool;

namespace cpu {

// C[m, n] = alpha * op(A) op(B) + beta * C, row-major with leading dimensions lda/ldb/ldc.
// With a pool, a large product is split into blocks of C's rows, one single-threaded OpenBLAS
// call per thread (OpenBLAS's own threads are off then, so the two never compete for cores);
// without one, a single OpenBLAS call (threaded as OPENBLAS_NUM_THREADS says).
void sgemm(ThreadPool* pool, bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k,
           float alpha, const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
           float* c, int64_t ldc);

}  // namespace cpu
}  // namespace slatetrain
