// Gradient-norm clipping over all dense parameters (one global L2 norm). Call it after the
// gradients were allreduced: every rank then holds the same gradients and computes the same
// norm, so no further communication is needed.
#pragma once

#include <cstdint>
#include <vector>

#include "core/backend.hpp"

namespace slatetrain {

// A piece of a gradient on the backend's device (several when parameters are not one buffer).
struct GradientSpan {
  float* data = nullptr;
  int64_t count = 0;
};

// sqrt of the sum of squares over every span (accumulated in double).
double gradient_norm(Backend& backend, const std::vector<GradientSpan>& spans);

// If the norm exceeds max_norm (> 0), scales every span by max_norm / norm. Returns the norm
// before clipping (for logging). max_norm <= 0 means no clipping (the norm is still returned).
double clip_gradient_norm(Backend& backend, const std::vector<GradientSpan>& spans,
                          double max_norm);

}  // namespace slatetrain
