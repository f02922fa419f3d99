// Gru: a GRU over a sequence whose state advances only where advance[b, t] = 1 and holds
// otherwise (docs/MODELS.md: clicks only, or every real step). PyTorch torch.nn.GRU
// weights, gates (r, z, n); h_{-1} = 0. Keeps the backend's workspace from forward to backward.
#pragma once

#include <cstdint>

#include "core/backend.hpp"
#include "core/tensor.hpp"

namespace slatetrain {

class Gru {
 public:
  struct Weights {
    const float* weight_ih;  // [3H, I]
    const float* weight_hh;  // [3H, H]
    const float* bias_ih;    // [3H]
    const float* bias_hh;    // [3H]
  };
  struct Gradients {  // accumulate
    float* weight_ih;
    float* weight_hh;
    float* bias_ih;
    float* bias_hh;
  };

  Gru(int64_t input_size, int64_t hidden_size)
      : input_size_(input_size), hidden_size_(hidden_size) {}

  int64_t input_size() const { return input_size_; }
  int64_t hidden_size() const { return hidden_size_; }

  // shapes: output [B, T, H] = h_t after step t (overwrite); input [B, T, I]; advance [B, T].
  void forward(Backend& backend, float* output, const float* input, const uint8_t* advance,
               const Weights& weights, int64_t batch, int64_t steps);
  // dinput [B, T, I] overwrites (zero where the state held); parameter gradients accumulate.
  // doutput [B, T, H]; input, advance and output as given to the last forward.
  void backward(Backend& backend, float* dinput, const Gradients& gradients, const float* doutput,
                const float* input, const uint8_t* advance, const Weights& weights,
                const float* output, int64_t batch, int64_t steps);

 private:
  int64_t input_size_;
  int64_t hidden_size_;
  Tensor workspace_;  // the backend's saved gates, forward to backward
};

}  // namespace slatetrain
