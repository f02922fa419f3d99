// LayerNorm: torch.nn.LayerNorm(D, eps) over the last dimension of [n, D] rows, with the
// row statistics that backward needs kept by the caller.
#pragma once

#include <cstdint>

#include "core/backend.hpp"

namespace slatetrain {

struct LayerNorm {
  int64_t dim = 0;        // D
  float epsilon = 1e-5f;  // PyTorch's default

  // shapes: out [n, D] (overwrite; not x); mean, rstd [n] (overwrite, for backward);
  //         x [n, D]; weight, bias [D].
  void forward(Backend& backend, float* out, float* mean, float* rstd, const float* x,
               const float* weight, const float* bias, int64_t n) const {
    backend.layer_norm_forward(out, mean, rstd, x, weight, bias, n, dim, epsilon);
  }
  // dx [n, D] overwrites (not dout); dweight, dbias [D] accumulate. dout [n, D]; x, weight,
  // mean and rstd as given to / written by forward.
  void backward(Backend& backend, float* dx, float* dweight, float* dbias, const float* dout,
                const float* x, const float* weight, const float* mean, const float* rstd,
                int64_t n) const {
    backend.layer_norm_backward(dx, dweight, dbias, dout, x, weight, mean, rstd, n, dim);
  }
};

}  // namespace slatetrain
