// CausalSelfAttention: multi-head causal self-attention over [B, T, D] sequences, as
// torch.nn.MultiheadAttention computes it with a causal mask and a key padding mask:
//   qkv = x W_in^T + b_in            (in-projection [3D, D], q | k | v blocks)
//   attended = attention core (core/ops/attention_ops.hpp: heads, causal + key mask, optional
//              dropout on the probabilities)
//   out = attended W_out^T + b_out   (out-projection [D, D])
// A query with no allowed key (no input at or before its step) attends to nothing: its
// attended row is zero and out is b_out there. Buffers are the caller's (the encoder keeps
// them in its workspace); forward writes the activations backward reads.
#pragma once

#include <cstdint>

#include "core/backend.hpp"
#include "models/linear.hpp"

namespace slatetrain {

struct CausalSelfAttention {
  int64_t dim = 0;    // D
  int64_t heads = 0;  // H, D % H == 0

  struct Weights {
    const float* in_projection_weight;   // [3D, D]
    const float* in_projection_bias;     // [3D]
    const float* out_projection_weight;  // [D, D]
    const float* out_projection_bias;    // [D]
  };
  struct Gradients {  // accumulate
    float* in_projection_weight;
    float* in_projection_bias;
    float* out_projection_weight;
    float* out_projection_bias;
  };
  // Written by forward, read by backward.
  struct Activations {
    float* qkv;            // [B, T, 3D]
    float* attended;       // [B, T, D]: the merged heads before the out-projection
    float* probabilities;  // [B, H, T, T]
  };
  // Free after each call.
  struct Scratch {
    float* attention;  // [B, H, T, T]
    float* dattended;  // [B, T, D] (backward)
    float* dqkv;       // [B, T, 3D] (backward)
    float* dbias;      // [3D] (backward)
  };

  // shapes: out [B, T, D] (overwrite); x [B, T, D]; key_mask [B, T] (uint8, device);
  //         attention_dropout.row_keys [B T].
  void forward(Backend& backend, float* out, const Activations& activations, const Scratch& scratch,
               const float* x, const uint8_t* key_mask, const Weights& weights, int64_t batch,
               int64_t steps, const DropoutMask& attention_dropout) const;
  // dx [B, T, D] overwrites; parameter gradients accumulate. dout [B, T, D]; x, activations
  // and attention_dropout as in forward.
  void backward(Backend& backend, float* dx, const Gradients& gradients, const Scratch& scratch,
                const float* dout, const float* x, const Activations& activations,
                const Weights& weights, int64_t batch, int64_t steps,
                const DropoutMask& attention_dropout) const;

 private:
  Linear in_projection() const { return {dim, 3 * dim}; }
  Linear out_projection() const { return {dim, dim}; }
};

}  // namespace slatetrain
