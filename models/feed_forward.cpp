#include "models/feed_forward.hpp"

namespace slatetrain {

void FeedForward::forward(Backend& backend, float* out, const Activations& activations,
                          const float* x, const Weights& weights, int64_t n,
                          const DropoutMask& hidden_dropout) const {
  in_projection().forward(backend, activations.pre_activation, x, weights.in_projection_weight,
                          weights.in_projection_bias, n);
  backend.gelu_forward(activations.hidden, activations.pre_activation, n * hidden);
  backend.dropout_forward(activations.hidden, activations.hidden, n, hidden, hidden_dropout);
  out_projection().forward(backend, out, activations.hidden, weights.out_projection_weight,
                           weights.out_projection_bias, n);
}

void FeedForward::backward(Backend& backend, float* dx, const Gradients& gradients, float* dhidden,
                           const float* dout, const float* x, const Activations& activations,
                           const Weights& weights, int64_t n,
                           const DropoutMask& hidden_dropout) const {
  out_projection().backward(backend, dhidden, gradients.out_projection_weight,
                            gradients.out_projection_bias, dout, activations.hidden,
                            weights.out_projection_weight, n);
  // Through the dropout and the GELU in place: dhidden becomes d(pre_activation).
  backend.dropout_backward(dhidden, dhidden, n, hidden, hidden_dropout);
  backend.gelu_backward(dhidden, dhidden, activations.pre_activation, n * hidden);
  in_projection().backward(backend, dx, gradients.in_projection_weight,
                           gradients.in_projection_bias, dhidden, x, weights.in_projection_weight,
                           n);
}

}  // namespace slatetrain
