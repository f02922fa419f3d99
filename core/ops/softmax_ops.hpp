// SoftmaxOps: the pieces of a softmax over a catalogue too large to score at once (the full
// softmax objective): a running log-sum-exp over column chunks of scores, the probabilities
// from it, and row-wise dot products.
// One family of the Backend's ops (core/backend.hpp states the conventions every op follows);
// CpuBackend implements it as the reference, CudaBackend as its twin.
#pragma once

#include <cstddef>
#include <cstdint>

namespace slatetrain {

class SoftmaxOps {
 public:
  virtual ~SoftmaxOps() = default;

  // Folds a chunk of columns into a running log-sum-exp per row: with m = running_max[r] and
  // s = running_sum[r] (sum of exp(x - m) so far; start with -inf and 0),
  //   m' = max(m, max_j scores[r, j]),  s' = s exp(m - m') + sum_j exp(scores[r, j] - m').
  // Accumulated in float; -inf scores add nothing.
  // shapes: running_max, running_sum [rows]; scores [rows, columns].
  virtual void logsumexp_update(float* running_max, float* running_sum, const float* scores,
                                int64_t rows, int64_t columns) = 0;
  // In place: scores[r, j] = scale * exp(scores[r, j] - logsumexp[r]) (a -inf score gives 0).
  // shapes: scores [rows, columns]; logsumexp [rows].
  virtual void softmax_from_logsumexp(float* scores, const float* logsumexp, int64_t rows,
                                      int64_t columns, float scale) = 0;
  // out[r] = a[r, :] . b[r, :] (overwrite).
  // shapes: out [rows]; a, b [rows, dim].
  virtual void rowwise_dot(float* out, const float* a, const float* b, int64_t rows,
                           int64_t dim) = 0;
};

}  // namespace slatetrain
