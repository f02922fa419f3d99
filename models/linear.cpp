#include "models/linear.hpp"

namespace slatetrain {

void Linear::forward(Backend& backend, float* y, const float* x, const float* weight,
                     const float* bias, int64_t n) const {
  if (n == 0) return;
  backend.gemm(false, true, n, out_features, in_features, 1.0f, x, weight, 0.0f, y);
  if (bias) backend.add_bias(y, bias, n, out_features);
}

void Linear::backward(Backend& backend, float* dx, float* dweight, float* dbias, const float* dy,
                      const float* x, const float* weight, int64_t n) const {
  if (n == 0) return;
  // dx = dy W;  dW += dy^T x;  db += column sums of dy.
  if (dx) backend.gemm(false, false, n, in_features, out_features, 1.0f, dy, weight, 0.0f, dx);
  backend.gemm(true, false, out_features, in_features, n, 1.0f, dy, x, 1.0f, dweight);
  if (dbias) backend.bias_backward(dbias, dy, n, out_features);
}

}  // namespace slatetrain
