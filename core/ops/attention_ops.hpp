// AttentionOps: the core of multi-head causal self-attention, between the in-projection (which
// makes qkv) and the out-projection, with a key mask and optional dropout on the attention
// probabilities. The matrix products are batched GEMMs (BLAS / cuBLAS).
// One family of the Backend's ops (core/backend.hpp states the conventions every op follows);
// CpuBackend implements it as the reference, CudaBackend as its twin.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/ops/dropout_ops.hpp"

namespace slatetrain {

class AttentionOps {
 public:
  virtual ~AttentionOps() = default;

  // B = batch, T = steps, D = dim, H = heads, d = D / H (D % H == 0).
  // qkv [B, T, 3D] holds q | k | v, each D wide; head h uses columns [h d, (h + 1) d) of each
  // block (the packing of torch.nn.MultiheadAttention's in_proj_weight). For sequence b, head
  // h and query step i, the allowed keys are the steps j <= i with key_mask[b, j] = 1:
  //   s[j] = q_i . k_j / sqrt(d)
  //   P[b, h, i, j] = softmax of s over the allowed keys; 0 at the other keys, and 0 for every
  //                   j when no key is allowed (the query then outputs zeros and gets no
  //                   gradient)
  //   out[b, i, h d + c] = sum_j Q[b, h, i, j] v_j[h d + c]
  // where Q = P, or with dropout.active() the dropped probabilities: P[b, h, i, j] is kept
  // iff to_unit_double(hash_mix(dropout.seed, row_keys[b T + i], h 2^32 + j)) >= p, kept
  // values scaled by 1 / (1 - p) (the key counter does not depend on T).
  // shapes: out [B, T, D] (overwrite, the merged heads); probabilities [B, H, T, T]
  //         (overwrite: P, before dropout, kept for backward); scratch [B, H, T, T] (any
  //         contents, free after the call); qkv [B, T, 3D]; key_mask [B, T] (uint8);
  //         dropout.row_keys [B T] (uint64).
  virtual void causal_attention_forward(float* out, float* probabilities, float* scratch,
                                        const float* qkv, const uint8_t* key_mask, int64_t batch,
                                        int64_t steps, int64_t dim, int64_t heads,
                                        const DropoutMask& dropout) = 0;
  // dqkv overwrites (zero for the masked keys' k and v and for queries without keys). dout is
  // the gradient of out; qkv, probabilities and dropout are forward's (the mask is recomputed).
  // shapes: dqkv [B, T, 3D]; scratch [B, H, T, T]; dout [B, T, D]; qkv [B, T, 3D];
  //         probabilities [B, H, T, T].
  virtual void causal_attention_backward(float* dqkv, float* scratch, const float* dout,
                                         const float* qkv, const float* probabilities,
                                         int64_t batch, int64_t steps, int64_t dim, int64_t heads,
                                         const DropoutMask& dropout) = 0;
};

}  // namespace slatetrain
