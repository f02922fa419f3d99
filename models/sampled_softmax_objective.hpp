// SampledSoftmaxObjective (`objective.kind: sampled_softmax`; docs/MODELS.md): the clicked item
// against K items drawn uniformly from the catalogue per step, the negative sampling of the
// FINN RNN recommender: for a loss step t (a step_mask step whose item is an item),
//   l_0 = z_t . E[item_t], l_k = z_t . E[negative_{t,k}] (k = 1..K),
//   loss_t = -log softmax(l)[0].
// The negatives come from a counter-based hash of (step seed, user row, step, k), so a user
// draws the same negatives whatever the rank split. No parameters of its own; its value
// depends on the draws, so it reports no held-out likelihood.
#pragma once

#include <cstdint>
#include <vector>

#include "core/backend.hpp"
#include "core/tensor.hpp"
#include "data/id_conventions.hpp"
#include "models/objective.hpp"

namespace slatetrain {

struct SampledSoftmaxObjectiveConfig {
  IdConventions ids;
  int64_t num_items = 0;  // ids [ids.first_item, num_items) are drawn
  int64_t dim = 32;       // D
  int negatives = 64;     // K per loss step
};

// What SampledSoftmaxObjective::prepare makes. shapes: n = B*T steps, K negatives.
struct SampledSoftmaxBatch final : ObjectiveBatch {
  int64_t steps = 0;
  std::vector<int32_t> positive;   // [n] row of the clicked item; -1 on steps outside the loss
  std::vector<int32_t> negative;   // [n, K] rows of the negatives; -1 outside the loss
  std::vector<uint8_t> loss_step;  // [n]
};

class SampledSoftmaxObjective final : public Objective {
 public:
  SampledSoftmaxObjective(Backend& backend, const SampledSoftmaxObjectiveConfig& config);

  std::string name() const override { return "sampled_softmax"; }
  std::unique_ptr<ObjectiveBatch> prepare(const SequenceBatch& batch, uint64_t step_seed,
                                          RowRequests& requests) const override;
  double forward(const ObjectiveBatch& batch, const float* user, const float* rows,
                 int64_t num_rows) override;
  void backward(float* duser, float* drows, float gradient_scale) override;

 private:
  Backend& backend_;
  SampledSoftmaxObjectiveConfig config_;

  // The last forward's batch, kept for backward. n = B*T steps.
  int64_t steps_ = 0, loss_steps_ = 0, num_rows_ = 0;
  const float* user_ = nullptr;
  const float* rows_ = nullptr;
  bool backward_ready_ = false;
  Tensor positive_, negative_ /*[n, K]*/, loss_step_;  // device copies
};

// K item ids per step of `batch`, uniform over [ids.first_item, num_items), from a counter-based
// hash of (seed, user_row, step): [B,T,K]; padding users get ids.pad.
std::vector<int32_t> draw_uniform_negatives(const SequenceBatch& batch, int negatives,
                                            const IdConventions& ids, int64_t num_items,
                                            uint64_t seed);

}  // namespace slatetrain
