#include "models/gru.hpp"

#include "core/error.hpp"
#include "models/device_buffer.hpp"

namespace slatetrain {

void Gru::forward(Backend& backend, float* output, const float* input, const uint8_t* advance,
                  const Weights& weights, int64_t batch, int64_t steps) {
  const int64_t floats = backend.gru_workspace_floats(batch, steps, input_size_, hidden_size_);
  float* workspace = ensure_buffer<float>(backend, workspace_, floats);
  backend.gru_forward(output, workspace, input, nullptr, advance, weights.weight_ih,
                      weights.weight_hh, weights.bias_ih, weights.bias_hh, batch, steps,
                      input_size_, hidden_size_);
}

void Gru::backward(Backend& backend, float* dinput, const Gradients& gradients,
                   const float* doutput, const float* input, const uint8_t* advance,
                   const Weights& weights, const float* output, int64_t batch, int64_t steps) {
  REQUIRE(
      workspace_.numel() == backend.gru_workspace_floats(batch, steps, input_size_, hidden_size_),
      "Gru::backward: no forward of batch " << batch << " x " << steps << " steps to match");
  backend.gru_backward(dinput, nullptr, gradients.weight_ih, gradients.weight_hh, gradients.bias_ih,
                       gradients.bias_hh, doutput, input, nullptr, advance, weights.weight_ih,
                       weights.weight_hh, output, workspace_.data<float>(), batch, steps,
                       input_size_, hidden_size_);
}

}  // namespace slatetrain
