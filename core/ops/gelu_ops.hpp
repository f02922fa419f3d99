// GeluOps: the GELU activation in its exact erf form (torch.nn.GELU's default,
// approximate='none'), for the transformer's feed-forward layer.
// One family of the Backend's ops (core/backend.hpp states the conventions every op follows);
// CpuBackend implements it as the reference, CudaBackend as its twin.
#pragma once

#include <cstddef>
#include <cstdint>

namespace slatetrain {

class GeluOps {
 public:
  virtual ~GeluOps() = default;

  // y = x Phi(x) = 0.5 x (1 + erf(x / sqrt(2))).
  // shapes: y, x [n].
  virtual void gelu_forward(float* y, const float* x, int64_t n) = 0;
  // dx = dy (Phi(x) + x phi(x)), phi(x) = exp(-x^2 / 2) / sqrt(2 pi) (overwrite; dx may be dy).
  // x is forward's input. shapes: dx, dy, x [n].
  virtual void gelu_backward(float* dx, const float* dy, const float* x, int64_t n) = 0;
};

}  // namespace slatetrain
