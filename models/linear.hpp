// Linear: y = x W^T (+ b), the PyTorch torch.nn.Linear layout (weight [out, in]).
#pragma once

#include <cstdint>

#include "core/backend.hpp"

namespace slatetrain {

struct Linear {
  int64_t in_features = 0;   // I
  int64_t out_features = 0;  // O

  // shapes: y [n, O] (overwrite); x [n, I]; weight [O, I]; bias [O] or nullptr.
  void forward(Backend& backend, float* y, const float* x, const float* weight, const float* bias,
               int64_t n) const;
  // dx [n, I] overwrites (nullptr: not computed); dweight [O, I] and dbias [O] accumulate
  // (dbias nullptr for a layer without bias). dy [n, O].
  void backward(Backend& backend, float* dx, float* dweight, float* dbias, const float* dy,
                const float* x, const float* weight, int64_t n) const;
};

}  // namespace slatetrain
