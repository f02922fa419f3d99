#include "models/causal_self_attention.hpp"

namespace slatetrain {

void CausalSelfAttention::forward(Backend& backend, float* out, const Activations& activations,
                                  const Scratch& scratch, const float* x, const uint8_t* key_mask,
                                  const Weights& weights, int64_t batch, int64_t steps,
                                  const DropoutMask& attention_dropout) const {
  const int64_t n = batch * steps;
  in_projection().forward(backend, activations.qkv, x, weights.in_projection_weight,
                          weights.in_projection_bias, n);
  backend.causal_attention_forward(activations.attended, activations.probabilities,
                                   scratch.attention, activations.qkv, key_mask, batch, steps, dim,
                                   heads, attention_dropout);
  out_projection().forward(backend, out, activations.attended, weights.out_projection_weight,
                           weights.out_projection_bias, n);
}

void CausalSelfAttention::backward(Backend& backend, float* dx, const Gradients& gradients,
                                   const Scratch& scratch, const float* dout, const float* x,
                                   const Activations& activations, const Weights& weights,
                                   int64_t batch, int64_t steps,
                                   const DropoutMask& attention_dropout) const {
  const int64_t n = batch * steps;
  out_projection().backward(backend, scratch.dattended, gradients.out_projection_weight,
                            gradients.out_projection_bias, dout, activations.attended,
                            weights.out_projection_weight, n);
  backend.causal_attention_backward(scratch.dqkv, scratch.attention, scratch.dattended,
                                    activations.qkv, activations.probabilities, batch, steps, dim,
                                    heads, attention_dropout);
  in_projection().backward(backend, dx, gradients.in_projection_weight, nullptr, scratch.dqkv, x,
                           weights.in_projection_weight, n);
  // The key block of the in-projection bias gets no gradient: it adds q . b_k to every score of
  // a query, which the softmax ignores, so its exact gradient is 0; summed, the rows give
  // rounding noise of either sign, which Adam would turn into steps of a learning rate.
  backend.zero(scratch.dbias, static_cast<size_t>(3 * dim) * sizeof(float));
  backend.bias_backward(scratch.dbias, scratch.dqkv, n, 3 * dim);
  backend.axpy(gradients.in_projection_bias, scratch.dbias, dim, 1.0f);
  backend.axpy(gradients.in_projection_bias + 2 * dim, scratch.dbias + 2 * dim, dim, 1.0f);
}

}  // namespace slatetrain
