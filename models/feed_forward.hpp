// FeedForward: the transformer block's position-wise network on [n, D] rows,
//   out = dropout(GELU(x W_in^T + b_in)) W_out^T + b_out
// (in-projection [F, D], exact-erf GELU, dropout on the hidden activations, out-projection
// [D, F]), as torch.nn.TransformerEncoderLayer's linear1 / activation / dropout / linear2.
#pragma once

#include <cstdint>

#include "core/backend.hpp"
#include "models/linear.hpp"

namespace slatetrain {

struct FeedForward {
  int64_t dim = 0;     // D
  int64_t hidden = 0;  // F

  struct Weights {
    const float* in_projection_weight;   // [F, D]
    const float* in_projection_bias;     // [F]
    const float* out_projection_weight;  // [D, F]
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
    float* pre_activation;  // [n, F]: x W_in^T + b_in
    float* hidden;          // [n, F]: dropout(GELU(pre_activation))
  };

  // shapes: out [n, D] (overwrite); x [n, D]; hidden_dropout.row_keys [n].
  void forward(Backend& backend, float* out, const Activations& activations, const float* x,
               const Weights& weights, int64_t n, const DropoutMask& hidden_dropout) const;
  // dx [n, D] overwrites; parameter gradients accumulate; dhidden [n, F] is scratch.
  // dout [n, D]; x, activations and hidden_dropout as in forward.
  void backward(Backend& backend, float* dx, const Gradients& gradients, float* dhidden,
                const float* dout, const float* x, const Activations& activations,
                const Weights& weights, int64_t n, const DropoutMask& hidden_dropout) const;

 private:
  Linear in_projection() const { return {dim, hidden}; }
  Linear out_projection() const { return {hidden, dim}; }
};

}  // namespace slatetrain
