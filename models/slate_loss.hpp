// SlateLoss: the slate choice loss, -log softmax(s[i])[target[i]] summed over loss steps.
// The caller divides by the global count of loss steps (gradient_scale = 1 / that count).
#pragma once

#include <cstdint>

#include "core/backend.hpp"

namespace slatetrain {

struct SlateLoss {
  int64_t slate_slots = 0;  // S

  // Returns the summed loss over steps with loss_step[i] = 1; step_loss [n] optional.
  // shapes: scores [n, S]; target [n] (int32 slot, any valid slot on other steps); loss_step [n].
  double forward(Backend& backend, float* step_loss, const float* scores, const int32_t* target,
                 const uint8_t* loss_step, int64_t n) const {
    return backend.slate_cross_entropy(nullptr, step_loss, scores, target, loss_step, n,
                                       slate_slots, 0.0f);
  }
  // dscores [n, S] (overwrite) = gradient_scale * d(summed loss)/d scores.
  void backward(Backend& backend, float* dscores, const float* scores, const int32_t* target,
                const uint8_t* loss_step, int64_t n, float gradient_scale) const {
    backend.slate_cross_entropy(dscores, nullptr, scores, target, loss_step, n, slate_slots,
                                gradient_scale);
  }
};

}  // namespace slatetrain
