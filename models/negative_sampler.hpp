// Negative samplers of the sampled softmax (docs/MODELS.md, "sampled_softmax"): K items drawn
// per loss step, and the probability q of each draw, for the log-Q correction (the logit of a
// candidate drawn with probability q gets -log(K q), which makes the sampled softmax a
// consistent estimate of the full softmax whatever the sampler). Draws are counter-based
// (hash of seed, user row, step, k), so a user draws the same items whatever the rank split.
//
//   uniform:     q = 1 / (items in the catalogue)
//   popularity:  q proportional to (training clicks + 1)^power
//   in_batch:    the other loss steps' items of the local batch, q = an item's share of them
//   mixed:       half the draws in_batch, half uniform; q = the average of the two
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/alias_table.hpp"
#include "data/id_conventions.hpp"
#include "data/sequence_batch.hpp"

namespace slatetrain {

// shapes: n = B*T steps, K draws per step.
struct NegativeDraws {
  std::vector<int32_t> ids;            // [n, K] item ids (ids.pad on steps outside the loss)
  std::vector<double> negative_log_q;  // [n, K] log q of each draw
  std::vector<double> positive_log_q;  // [n] log q of the step's own item
};

class NegativeSampler {
 public:
  virtual ~NegativeSampler() = default;
  virtual std::string name() const = 0;
  // Draws K items for every step with loss_step[i] = 1 (host, thread-safe).
  virtual NegativeDraws draw(const SequenceBatch& batch, const std::vector<uint8_t>& loss_step,
                             int K, uint64_t seed) const = 0;
};

struct NegativeSamplerConfig {
  std::string kind = "uniform";  // uniform | popularity | in_batch | mixed
  IdConventions ids;
  int64_t num_items = 0;
  double power = 0.75;                                 // popularity: exponent of the counts
  std::shared_ptr<const std::vector<int64_t>> counts;  // popularity: training clicks per id
};

// The sampler `config.kind` names; an unknown kind, or popularity without counts, is an Error.
std::unique_ptr<NegativeSampler> make_negative_sampler(const NegativeSamplerConfig& config);

}  // namespace slatetrain
