// SharedNegativesLoss: the sampled softmax when every loss step is scored against the same K
// rows (objective.shared_negatives, models/sampled_softmax_objective.hpp). For the m loss
// steps i with user vectors u_i:
//   l_0 = u_i . E[positive_i] + positive_offset_i,   l_k = u_i . E[shared_k] + shared_offset_k,
//   loss_i = logsumexp(l_0, l_1..l_K) - l_0,
// with l_k = -inf where shared_k is step i's own item (an accidental hit). Why a class of its
// own: the K rows are the same for every step, so the logits are one matrix product [m, D] x
// [D, K] instead of m * K gathered dot products; it uses only the backend's generic ops (those
// of the full softmax: gemm, log-sum-exp, softmax), so every backend runs it.
#pragma once

#include <cstdint>
#include <vector>

#include "core/backend.hpp"
#include "core/tensor.hpp"

namespace slatetrain {

// One batch's shared-negative scoring, on the host side. m loss steps, K shared rows.
struct SharedNegativesInput {
  std::vector<int32_t> loss_index;       // [m] the step (of n = B*T) of each loss step
  std::vector<int32_t> positive;         // [m] the row of each loss step's own item
  std::vector<int32_t> shared;           // [K] the rows of the shared draws
  std::vector<float> positive_offset;    // [m] added to l_0 (log-Q), or empty for none
  std::vector<float> shared_offset;      // [K] added to l_k (log-Q), or empty for none
  std::vector<int32_t> accidental_hits;  // flat i * K + k of each (step, draw) left out
};

class SharedNegativesLoss {
 public:
  SharedNegativesLoss(Backend& backend, int64_t dim) : backend_(backend), dim_(dim) {}

  // The loss summed over the m loss steps (synchronises). user [n, D] and rows [U, D] (device)
  // must stay unchanged until backward.
  double forward(const SharedNegativesInput& input, const float* user, int64_t steps,
                 const float* rows, int64_t num_rows);
  // duser [n, D] overwrites (zero outside the loss steps); drows [U, D] accumulates: the
  // gradients of gradient_scale * the summed loss.
  void backward(float* duser, float* drows, float gradient_scale);

 private:
  Backend& backend_;
  int64_t dim_;
  // The last forward's shapes and inputs. m loss steps, K shared rows, n steps, U rows.
  int64_t m_ = 0, k_ = 0, steps_ = 0, num_rows_ = 0;
  // Device. Buffers of m rows are sized for n (the batch's steps, the same every batch) so that
  // they are not reallocated as m changes. shapes: loss_index_/positive_/positive_offset_ [m],
  // shared_/shared_offset_ [K], hits_/minus_infinity_ [hits], own_users_ [m, D] (the loss
  // steps' user vectors), shared_rows_ [K, D], positive_rows_ [m, D], scores_ [m, K] (logits,
  // then the scaled probabilities), positive_scores_ [m] (l_0, then its gradient),
  // running_max_/running_sum_/logsumexp_ [m]; backward: duser_ [m, D], dshared_ [K, D],
  // dpositive_ [m, D], minus_scale_ [1].
  Tensor loss_index_, positive_, shared_, positive_offset_, shared_offset_, hits_, minus_infinity_;
  Tensor own_users_, shared_rows_, positive_rows_, scores_, positive_scores_, logsumexp_;
  Tensor running_max_, running_sum_, duser_, dshared_, dpositive_, minus_scale_;
};

}  // namespace slatetrain
