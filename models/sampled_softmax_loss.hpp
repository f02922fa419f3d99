// SampledSoftmaxLoss: the click against K negatives drawn uniformly from the catalogue,
// -log softmax([z.E[click], z.E[neg_1..K]])[0] summed over loss steps (the caller divides by
// the global count of loss steps through gradient_scale).
#pragma once

#include <cstdint>

#include "core/backend.hpp"

namespace slatetrain {

struct SampledSoftmaxLoss {
  int64_t negatives = 0;  // K
  int64_t dim = 0;        // D

  // shapes: user [n, D]; rows [U, D]; positive [n] (row, any valid row on other steps);
  //         negative [n, K] (rows); logit_offset [n, K+1] or nullptr (added to the logits: the
  //         log-Q correction); loss_step [n]; step_loss [n] optional.
  double forward(Backend& backend, float* step_loss, const float* user, const float* rows,
                 const int32_t* positive, const int32_t* negative, const float* logit_offset,
                 const uint8_t* loss_step, int64_t n, int64_t row_count) const {
    return backend.sampled_softmax_loss(nullptr, nullptr, step_loss, user, rows, positive, negative,
                                        logit_offset, loss_step, n, negatives, dim, row_count,
                                        0.0f);
  }
  // duser [n, D] overwrites, drows [U, D] accumulates: gradients of gradient_scale * loss sum.
  void backward(Backend& backend, float* duser, float* drows, const float* user, const float* rows,
                const int32_t* positive, const int32_t* negative, const float* logit_offset,
                const uint8_t* loss_step, int64_t n, int64_t row_count,
                float gradient_scale) const {
    backend.sampled_softmax_loss(duser, drows, nullptr, user, rows, positive, negative,
                                 logit_offset, loss_step, n, negatives, dim, row_count,
                                 gradient_scale);
  }
};

}  // namespace slatetrain
