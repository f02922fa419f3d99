// CpuBackend: the multi-head causal self-attention core. Per (sequence b, head h), in the
// spirit of a batched GEMM: one single-threaded BLAS product per (b, h) reading q, k and v as
// strided views of qkv (row stride 3D), the (b, h) pairs split over the pool; the masked
// softmax and its backward are plain loops over the query rows.
//
// Per (b, h), with Q, K, V [T, d] views of qkv, O [T, d] a view of out (row stride D),
// S, P, P' [T, T] (P' = dropped P, or P without dropout), scale = 1/sqrt(d):
//   forward:  S = scale Q K^T;  P = masked softmax(S);  O = P' V
//   backward: dV = P'^T dO;  dP' = dO V^T;  dP = dP' * keep / (1 - p);
//             dS = P * (dP - rowsum(P * dP));  dQ = scale dS K;  dK = scale dS^T Q
#include <cmath>
#include <cstring>
#include <limits>

#include "core/cpu/blas.hpp"
#include "core/cpu_backend.hpp"
#include "core/error.hpp"
#include "core/random.hpp"

namespace slatetrain {

namespace {

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

// The attention dropout's keep decision for P[b, h, i, j] (core/ops/attention_ops.hpp).
struct AttentionDropout {
  const DropoutMask& mask;
  uint64_t threshold;  // keep iff hash >= threshold (core/random.hpp)
  float keep_scale;

  explicit AttentionDropout(const DropoutMask& dropout)
      : mask(dropout),
        threshold(unit_double_threshold(dropout.probability)),
        keep_scale(1.0f / (1.0f - dropout.probability)) {}

  // Scale of element (h, j) in the row of query key `row_key`: 0 or 1 / (1 - p).
  float factor(uint64_t row_base, int64_t head, int64_t key) const {
    const uint64_t counter = (static_cast<uint64_t>(head) << 32) + static_cast<uint64_t>(key);
    return mix64(row_base + counter) >= threshold ? keep_scale : 0.0f;
  }
  // hash_mix(seed, key, counter) = mix64(row_base + counter).
  uint64_t row_base(uint64_t row_key) const { return mix64(mask.seed ^ mix64(row_key)); }
};

}  // namespace

void CpuBackend::causal_attention_forward(float* out, float* probabilities, float* scratch,
                                          const float* qkv, const uint8_t* key_mask, int64_t batch,
                                          int64_t steps, int64_t dim, int64_t heads,
                                          const DropoutMask& dropout) {
  require_attention_sizes("causal_attention_forward", batch, steps, dim, heads, dropout);
  const int64_t B = batch, T = steps, D = dim, H = heads, d = dim / heads;
  if (B == 0 || T == 0) return;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  const AttentionDropout drop(dropout);
  // One BLAS call per (b, h) on each pool thread; when OpenBLAS threads its own products
  // (no gemm pool), the pairs run one after another instead.
  const int64_t grain = gemm_pool() ? 1 : B * H;
  parallel_for(B * H, grain, [&](int64_t begin, int64_t end) {
    for (int64_t pair = begin; pair < end; ++pair) {
      const int64_t b = pair / H, h = pair % H;
      const float* q = qkv + b * T * 3 * D + h * d;  // [T, d], row stride 3D
      const float* k = q + D;
      const float* v = q + 2 * D;
      float* s = scratch + pair * T * T;  // [T, T]: scores, then P'
      float* p = probabilities + pair * T * T;
      const uint8_t* allowed = key_mask + b * T;
      cpu::sgemm(nullptr, false, true, T, T, d, scale, q, 3 * D, k, 3 * D, 0.0f, s, T);
      for (int64_t i = 0; i < T; ++i) {
        float* s_row = s + i * T;
        float* p_row = p + i * T;
        float largest = -std::numeric_limits<float>::infinity();
        for (int64_t j = 0; j <= i; ++j)
          if (allowed[j] && s_row[j] > largest) largest = s_row[j];
        std::memset(p_row, 0, static_cast<size_t>(T) * sizeof(float));
        if (largest == -std::numeric_limits<float>::infinity()) {  // no allowed key
          std::memset(s_row, 0, static_cast<size_t>(T) * sizeof(float));
          continue;
        }
        float sum = 0.0f;
        for (int64_t j = 0; j <= i; ++j) {
          if (!allowed[j]) continue;
          p_row[j] = std::exp(s_row[j] - largest);
          sum += p_row[j];
        }
        const float inverse = 1.0f / sum;
        for (int64_t j = 0; j <= i; ++j) p_row[j] *= inverse;
        if (dropout.active()) {
          const uint64_t base = drop.row_base(dropout.row_keys[b * T + i]);
          // Keys after the query have P = 0: nothing to draw for them.
          std::memset(s_row, 0, static_cast<size_t>(T) * sizeof(float));
          for (int64_t j = 0; j <= i; ++j) s_row[j] = p_row[j] * drop.factor(base, h, j);
        }
      }
      const float* weights = dropout.active() ? s : p;
      cpu::sgemm(nullptr, false, false, T, d, T, 1.0f, weights, T, v, 3 * D, 0.0f,
                 out + b * T * D + h * d, D);
    }
  });
}

void CpuBackend::causal_attention_backward(float* dqkv, float* scratch, const float* dout,
                                           const float* qkv, const float* probabilities,
                                           int64_t batch, int64_t steps, int64_t dim, int64_t heads,
                                           const DropoutMask& dropout) {
  require_attention_sizes("causal_attention_backward", batch, steps, dim, heads, dropout);
  const int64_t B = batch, T = steps, D = dim, H = heads, d = dim / heads;
  if (B == 0 || T == 0) return;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  const AttentionDropout drop(dropout);
  const int64_t grain = gemm_pool() ? 1 : B * H;
  parallel_for(B * H, grain, [&](int64_t begin, int64_t end) {
    for (int64_t pair = begin; pair < end; ++pair) {
      const int64_t b = pair / H, h = pair % H;
      const float* q = qkv + b * T * 3 * D + h * d;
      const float* k = q + D;
      const float* v = q + 2 * D;
      float* dq = dqkv + b * T * 3 * D + h * d;
      float* dk = dq + D;
      float* dv = dq + 2 * D;
      const float* dout_bh = dout + b * T * D + h * d;  // [T, d], row stride D
      const float* p = probabilities + pair * T * T;
      float* s = scratch + pair * T * T;
      // dV = P'^T dO (P' rebuilt from P and the recomputed mask).
      const float* weights = p;
      if (dropout.active()) {
        for (int64_t i = 0; i < T; ++i) {
          const uint64_t base = drop.row_base(dropout.row_keys[b * T + i]);
          std::memset(s + i * T, 0, static_cast<size_t>(T) * sizeof(float));
          for (int64_t j = 0; j <= i; ++j) s[i * T + j] = p[i * T + j] * drop.factor(base, h, j);
        }
        weights = s;
      }
      cpu::sgemm(nullptr, true, false, T, d, T, 1.0f, weights, T, dout_bh, D, 0.0f, dv, 3 * D);
      // dP' = dO V^T, then through the dropout and the softmax: s becomes dS.
      cpu::sgemm(nullptr, false, true, T, T, d, 1.0f, dout_bh, D, v, 3 * D, 0.0f, s, T);
      for (int64_t i = 0; i < T; ++i) {
        float* ds_row = s + i * T;
        const float* p_row = p + i * T;
        if (dropout.active()) {
          const uint64_t base = drop.row_base(dropout.row_keys[b * T + i]);
          // (j > i: P = 0, so dS is 0 there whatever the factor.)
          for (int64_t j = 0; j <= i; ++j) ds_row[j] *= drop.factor(base, h, j);
        }
        float dot = 0.0f;
        for (int64_t j = 0; j < T; ++j) dot += p_row[j] * ds_row[j];
        for (int64_t j = 0; j < T; ++j) ds_row[j] = p_row[j] * (ds_row[j] - dot);
      }
      cpu::sgemm(nullptr, false, false, T, d, T, scale, s, T, k, 3 * D, 0.0f, dq, 3 * D);
      cpu::sgemm(nullptr, true, false, T, d, T, scale, s, T, q, 3 * D, 0.0f, dk, 3 * D);
    }
  });
}

}  // namespace slatetrain
