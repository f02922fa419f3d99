// ElementwiseOps: elementwise maps and their backward, and the squared norm.
// One family of the Backend's ops (core/backend.hpp states the conventions every op follows);
// CpuBackend implements it as the reference, CudaBackend as its twin.
#pragma once

#include <cstddef>
#include <cstdint>

namespace slatetrain {

class ElementwiseOps {
 public:
  virtual ~ElementwiseOps() = default;

  // shapes: all [n].
  // y += alpha * x.
  virtual void axpy(float* y, const float* x, int64_t n, float alpha) = 0;
  // x *= factor.
  virtual void scale(float* x, int64_t n, float factor) = 0;
  // y = sigmoid(x); dx = dy * y * (1 - y) (overwrite; y is the forward output).
  virtual void sigmoid_forward(float* y, const float* x, int64_t n) = 0;
  virtual void sigmoid_backward(float* dx, const float* dy, const float* y, int64_t n) = 0;
  // y = tanh(x); dx = dy * (1 - y^2) (overwrite; y is the forward output).
  virtual void tanh_forward(float* y, const float* x, int64_t n) = 0;
  virtual void tanh_backward(float* dx, const float* dy, const float* y, int64_t n) = 0;
  // Sum of x[i]^2 in double (gradient clipping: the caller adds the parts and takes sqrt).
  // Returns to the host (synchronises).
  virtual double squared_norm(const float* x, int64_t n) = 0;
};

}  // namespace slatetrain
