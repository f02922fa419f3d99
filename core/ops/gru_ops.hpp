// GruOps: the GRU recurrence with a hold mask (PyTorch torch.nn.GRU convention, batch_first),
// for the GRU user model.
// One family of the Backend's ops (core/backend.hpp states the conventions every op follows);
// CpuBackend implements it as the reference, CudaBackend as its twin.
#pragma once

#include <cstddef>
#include <cstdint>

namespace slatetrain {

class GruOps {
 public:
  virtual ~GruOps() = default;

  // Gates in the order (r, z, n):
  //   r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
  //   z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
  //   n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
  //   h' = (1 - z) * n + z * h
  // advance[b, t] = 1: h_t = h'(x_t, h_{t-1}); 0: h_t = h_{t-1} (the state holds).
  // shapes: input [B, T, I]; initial_state [B, H] or nullptr for zeros; advance [B, T] (uint8);
  //         weight_ih [3H, I]; weight_hh [3H, H]; bias_ih [3H]; bias_hh [3H] (rows r, z, n);
  //         output [B, T, H] = h_t after step t (t = 0..T-1);
  //         workspace [gru_workspace_floats(B, T, I, H)]: what backward needs; its layout is
  //         private to the backend and it must not be touched between forward and backward.
  virtual int64_t gru_workspace_floats(int64_t batch, int64_t steps, int64_t input_size,
                                       int64_t hidden_size) const = 0;
  virtual void gru_forward(float* output, float* workspace, const float* input,
                           const float* initial_state, const uint8_t* advance,
                           const float* weight_ih, const float* weight_hh, const float* bias_ih,
                           const float* bias_hh, int64_t batch, int64_t steps, int64_t input_size,
                           int64_t hidden_size) = 0;
  // Gradients: dinput [B, T, I] and dinitial_state [B, H] overwrite (either may be nullptr);
  // dweight_ih, dweight_hh, dbias_ih, dbias_hh accumulate. doutput [B, T, H] is the gradient of
  // the loss with respect to output; output and workspace are forward's (the workspace may be
  // used as scratch: run backward once per forward).
  virtual void gru_backward(float* dinput, float* dinitial_state, float* dweight_ih,
                            float* dweight_hh, float* dbias_ih, float* dbias_hh,
                            const float* doutput, const float* input, const float* initial_state,
                            const uint8_t* advance, const float* weight_ih, const float* weight_hh,
                            const float* output, float* workspace, int64_t batch, int64_t steps,
                            int64_t input_size, int64_t hidden_size) = 0;
};

}  // namespace slatetrain
