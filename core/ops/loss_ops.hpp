// LossOps: softmax cross-entropies of the objectives: over a slate, and the sampled softmax.
// One family of the Backend's ops (core/backend.hpp states the conventions every op follows);
// CpuBackend implements it as the reference, CudaBackend as its twin.
#pragma once

#include <cstddef>
#include <cstdint>

namespace slatetrain {

class LossOps {
 public:
  virtual ~LossOps() = default;

  // Masked softmax cross-entropy over each slate: for steps with step_mask[i] = 1,
  //   loss_i = -log softmax(scores[i, :])[target[i]]  (-inf positions have probability 0).
  // Returns sum_i step_mask[i] * loss_i in double (synchronises); the caller divides by the
  // global count of training steps. step_loss[i] (optional) gets loss_i, 0 for masked steps.
  // dscores (optional, overwrite) = gradient_scale * step_mask[i] * (softmax - onehot(target)),
  // 0 at -inf positions and on masked steps. A target at a -inf position is an error.
  // shapes: dscores [n, slate]; step_loss [n]; scores [n, slate]; target [n] (int32, position);
  //         step_mask [n] (uint8).
  virtual double slate_cross_entropy(float* dscores, float* step_loss, const float* scores,
                                     const int32_t* target, const uint8_t* step_mask, int64_t n,
                                     int64_t slate, float gradient_scale) = 0;
  // Sampled softmax: logits l_0 = user[i] . rows[positive[i]], l_k = user[i] . rows[negative[i,
  // k-1]] (k = 1..negatives; a negative of -1 is left out, e.g. an accidental hit), each plus
  // logit_offset[i, k] when given (the log-Q correction of a sampler: -log of the expected
  // count of the candidate's draws);
  //   loss_i = -log softmax(l)[0] for step_mask[i] = 1.
  // Returns sum_i step_mask[i] * loss_i (synchronises); step_loss optional as above.
  // duser (optional, overwrite) and drows (optional, accumulate) are the gradients of
  // gradient_scale * sum_i step_mask[i] * loss_i.
  // shapes: duser [n, dim]; drows [row_count, dim]; step_loss [n]; user [n, dim];
  //         rows [row_count, dim]; positive [n]; negative [n, negatives] (int32);
  //         logit_offset [n, negatives + 1] or nullptr; step_mask [n].
  virtual double sampled_softmax_loss(float* duser, float* drows, float* step_loss,
                                      const float* user, const float* rows, const int32_t* positive,
                                      const int32_t* negative, const float* logit_offset,
                                      const uint8_t* step_mask, int64_t n, int64_t negatives,
                                      int64_t dim, int64_t row_count, float gradient_scale) = 0;
};

}  // namespace slatetrain
