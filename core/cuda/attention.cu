// CudaBackend: the multi-head causal self-attention core (the math is in
// core/cpu/attention.cpp's header comment). The products are cuBLAS strided-batched GEMMs, one
// call per head batched over the sequences, reading q, k and v as strided views of qkv (row
// stride 3D) so that no head is copied out; the masked softmax, the dropout of the
// probabilities and the softmax backward are one warp per query row.
#include <cublas_v2.h>

#include <climits>
#include <cmath>

#include "core/cuda/launchers.hpp"
#include "core/cuda/warp_reduce.cuh"
#include "core/cuda_backend.hpp"
#include "core/cuda_error.hpp"
#include "core/random.hpp"

namespace slatetrain {
namespace cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kWarpsPerBlock = kThreads / 32;

// The attention dropout's factor of P[b, h, i, j]: 0 or keep_scale (core/ops/attention_ops.hpp).
struct AttentionDropout {
  bool active;
  uint64_t threshold;  // keep iff hash >= threshold (core/random.hpp)
  float keep_scale;
  uint64_t seed;
  const uint64_t* row_keys;  // [B T]

  __device__ float factor(int64_t query_row, int64_t head, int64_t key) const {
    const uint64_t counter = (static_cast<uint64_t>(head) << 32) + static_cast<uint64_t>(key);
    return hash_mix(seed, row_keys[query_row], counter) >= threshold ? keep_scale : 0.0f;
  }
};

AttentionDropout make_attention_dropout(const DropoutMask& mask) {
  return {mask.active(), unit_double_threshold(mask.probability), 1.0f / (1.0f - mask.probability),
          mask.seed, mask.row_keys};
}

// One warp per row (b, h, i) of scores [B, H, T, T]: P = masked softmax (zeros where no key is
// allowed) into probabilities; with dropout, the dropped P' replaces the scores in place.
__global__ void masked_softmax_kernel(float* probabilities, float* scores, const uint8_t* key_mask,
                                      int64_t batch, int64_t heads, int64_t steps,
                                      AttentionDropout dropout) {
  const int lane = threadIdx.x % 32;
  const int64_t rows = batch * heads * steps;
  for (int64_t row = (blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x) / 32; row < rows;
       row += static_cast<int64_t>(blockDim.x) * gridDim.x / 32) {
    const int64_t i = row % steps, h = (row / steps) % heads, b = row / (steps * heads);
    const uint8_t* allowed = key_mask + b * steps;
    float* s = scores + row * steps;
    float* p = probabilities + row * steps;
    float largest = -INFINITY;
    for (int64_t j = lane; j <= i; j += 32)
      if (allowed[j]) largest = fmaxf(largest, s[j]);
    largest = warp_reduce_max(largest);
    if (largest == -INFINITY) {  // no allowed key: the query outputs zeros
      for (int64_t j = lane; j < steps; j += 32) p[j] = s[j] = 0.0f;
      continue;
    }
    float sum = 0.0f;
    for (int64_t j = lane; j <= i; j += 32)
      if (allowed[j]) sum += expf(s[j] - largest);
    const float inverse = 1.0f / warp_reduce_sum(sum);
    for (int64_t j = lane; j < steps; j += 32) {
      const float value = j <= i && allowed[j] ? expf(s[j] - largest) * inverse : 0.0f;
      p[j] = value;
      if (dropout.active) s[j] = value * dropout.factor(b * steps + i, h, j);
    }
  }
}

// dropped [B, H, T, T] = P' (P with the recomputed dropout mask).
__global__ void dropped_probabilities_kernel(float* dropped, const float* probabilities,
                                             int64_t batch, int64_t heads, int64_t steps,
                                             AttentionDropout dropout) {
  const int64_t n = batch * heads * steps * steps;
  for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; e < n;
       e += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const int64_t j = e % steps, i = (e / steps) % steps, h = (e / (steps * steps)) % heads;
    const int64_t b = e / (steps * steps * heads);
    dropped[e] = probabilities[e] * dropout.factor(b * steps + i, h, j);
  }
}

// One warp per row: gradient in place dP' -> dP (dropout) -> dS = P (dP - sum_j P dP).
__global__ void masked_softmax_backward_kernel(float* gradient, const float* probabilities,
                                               int64_t batch, int64_t heads, int64_t steps,
                                               AttentionDropout dropout) {
  const int lane = threadIdx.x % 32;
  const int64_t rows = batch * heads * steps;
  for (int64_t row = (blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x) / 32; row < rows;
       row += static_cast<int64_t>(blockDim.x) * gridDim.x / 32) {
    const int64_t i = row % steps, h = (row / steps) % heads, b = row / (steps * heads);
    float* g = gradient + row * steps;
    const float* p = probabilities + row * steps;
    float dot = 0.0f;
    for (int64_t j = lane; j < steps; j += 32) {
      if (dropout.active) g[j] *= dropout.factor(b * steps + i, h, j);
      dot += p[j] * g[j];
    }
    dot = warp_reduce_sum(dot);
    for (int64_t j = lane; j < steps; j += 32) g[j] = p[j] * (g[j] - dot);
  }
}

int as_int(int64_t value, const char* what, const char* op) {
  REQUIRE(value >= 0 && value <= INT_MAX,
          op << ": " << what << " = " << value << " does not fit cuBLAS's int dimensions");
  return static_cast<int>(value);
}

// Row-major C_i = alpha op(A_i) op(B_i) + beta C_i for i < batch, with explicit row strides
// (lda, ldb, ldc) and matrix strides; cuBLAS is column-major, so the operands swap (as in
// CudaBackend::gemm_rows).
void gemm_strided_rows(cublasHandle_t handle, const char* op, bool transpose_a, bool transpose_b,
                       int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                       int64_t stride_a, const float* b, int64_t ldb, int64_t stride_b, float beta,
                       float* c, int64_t ldc, int64_t stride_c, int64_t batch) {
  CHECK_CUBLAS(cublasSgemmStridedBatched(
      handle, transpose_b ? CUBLAS_OP_T : CUBLAS_OP_N, transpose_a ? CUBLAS_OP_T : CUBLAS_OP_N,
      as_int(n, "n", op), as_int(m, "m", op), as_int(k, "k", op), &alpha, b, as_int(ldb, "ldb", op),
      stride_b, a, as_int(lda, "lda", op), stride_a, &beta, c, as_int(ldc, "ldc", op), stride_c,
      as_int(batch, "batch", op)));
}

void require_attention_sizes(const char* op, int64_t batch, int64_t steps, int64_t dim,
                             int64_t heads, const DropoutMask& dropout) {
  REQUIRE(batch >= 0 && steps >= 0 && dim > 0 && heads > 0 && dim % heads == 0,
          op << ": bad sizes batch=" << batch << " steps=" << steps << " dim=" << dim
             << " heads=" << heads << " (dim must be a multiple of heads)");
  REQUIRE(dropout.probability >= 0.0f && dropout.probability < 1.0f,
          op << ": dropout probability " << dropout.probability << " outside [0, 1)");
  REQUIRE(!dropout.active() || batch * steps == 0 || dropout.row_keys != nullptr,
          op << ": dropout probability " << dropout.probability << " without row keys");
}

unsigned int blocks_for_rows(int64_t rows) {
  return blocks_for(rows, kWarpsPerBlock);
}

}  // namespace
}  // namespace cuda

void CudaBackend::causal_attention_forward(float* out, float* probabilities, float* scratch,
                                           const float* qkv, const uint8_t* key_mask, int64_t batch,
                                           int64_t steps, int64_t dim, int64_t heads,
                                           const DropoutMask& dropout) {
  const char* op = "causal_attention_forward";
  cuda::require_attention_sizes(op, batch, steps, dim, heads, dropout);
  const int64_t B = batch, T = steps, D = dim, H = heads, d = dim / heads;
  if (B == 0 || T == 0) return;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  const cuda::AttentionDropout drop = cuda::make_attention_dropout(dropout);
  // Matrix (b, h) of scratch / probabilities starts at (b H + h) T T: per head, stride H T T.
  for (int64_t h = 0; h < H; ++h) {
    const float* q = qkv + h * d;
    cuda::gemm_strided_rows(cublas_, op, false, true, T, T, d, scale, q, 3 * D, T * 3 * D, q + D,
                            3 * D, T * 3 * D, 0.0f, scratch + h * T * T, T, H * T * T, B);
  }
  cuda::masked_softmax_kernel<<<cuda::blocks_for_rows(B * H * T), cuda::kThreads, 0, stream_>>>(
      probabilities, scratch, key_mask, B, H, T, drop);
  CHECK_CUDA_LAUNCH();
  const float* weights = dropout.active() ? scratch : probabilities;
  for (int64_t h = 0; h < H; ++h) {
    cuda::gemm_strided_rows(cublas_, op, false, false, T, d, T, 1.0f, weights + h * T * T, T,
                            H * T * T, qkv + 2 * D + h * d, 3 * D, T * 3 * D, 0.0f, out + h * d, D,
                            T * D, B);
  }
}

void CudaBackend::causal_attention_backward(float* dqkv, float* scratch, const float* dout,
                                            const float* qkv, const float* probabilities,
                                            int64_t batch, int64_t steps, int64_t dim,
                                            int64_t heads, const DropoutMask& dropout) {
  const char* op = "causal_attention_backward";
  cuda::require_attention_sizes(op, batch, steps, dim, heads, dropout);
  const int64_t B = batch, T = steps, D = dim, H = heads, d = dim / heads;
  if (B == 0 || T == 0) return;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  const cuda::AttentionDropout drop = cuda::make_attention_dropout(dropout);
  const int64_t pairs = B * H * T * T;
  // dV = P'^T dO.
  const float* weights = probabilities;
  if (dropout.active()) {
    cuda::dropped_probabilities_kernel<<<cuda::blocks_for(pairs, cuda::kThreads), cuda::kThreads, 0,
                                         stream_>>>(scratch, probabilities, B, H, T, drop);
    CHECK_CUDA_LAUNCH();
    weights = scratch;
  }
  for (int64_t h = 0; h < H; ++h) {
    cuda::gemm_strided_rows(cublas_, op, true, false, T, d, T, 1.0f, weights + h * T * T, T,
                            H * T * T, dout + h * d, D, T * D, 0.0f, dqkv + 2 * D + h * d, 3 * D,
                            T * 3 * D, B);
  }
  // dP' = dO V^T into scratch, then dS in place.
  for (int64_t h = 0; h < H; ++h) {
    cuda::gemm_strided_rows(cublas_, op, false, true, T, T, d, 1.0f, dout + h * d, D, T * D,
                            qkv + 2 * D + h * d, 3 * D, T * 3 * D, 0.0f, scratch + h * T * T, T,
                            H * T * T, B);
  }
  cuda::masked_softmax_backward_kernel<<<cuda::blocks_for_rows(B * H * T), cuda::kThreads, 0,
                                         stream_>>>(scratch, probabilities, B, H, T, drop);
  CHECK_CUDA_LAUNCH();
  // dQ = scale dS K;  dK = scale dS^T Q.
  for (int64_t h = 0; h < H; ++h) {
    const float* ds = scratch + h * T * T;
    cuda::gemm_strided_rows(cublas_, op, false, false, T, d, T, scale, ds, T, H * T * T,
                            qkv + D + h * d, 3 * D, T * 3 * D, 0.0f, dqkv + h * d, 3 * D, T * 3 * D,
                            B);
    cuda::gemm_strided_rows(cublas_, op, true, false, T, d, T, scale, ds, T, H * T * T, qkv + h * d,
                            3 * D, T * 3 * D, 0.0f, dqkv + D + h * d, 3 * D, T * 3 * D, B);
  }
}

}  // namespace slatetrain
