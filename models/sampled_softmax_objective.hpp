// SampledSoftmaxObjective (`objective.kind: sampled_softmax`; docs/MODELS.md): the clicked item
// against K items drawn per step by a sampler (models/negative_sampler.hpp; uniform over the
// catalogue is the negative sampling of the FINN RNN recommender): for a loss step t (a
// step_mask step whose item is an item),
//   l_0 = z_t . E[item_t] - c(item_t),  l_k = z_t . E[negative_{t,k}] - c(negative_{t,k}),
//   loss_t = -log softmax(l)[0],
// with the log-Q correction c(i) = log(K q(i)) (0 without it). A negative that is the step's
// own item (an accidental hit) is left out. No parameters of its own; its value depends on the
// draws, so it reports no held-out likelihood.
// With shared_negatives the K items are drawn once per training step and every loss step of the
// batch is scored against the same K (TensorFlow's sampled_softmax_loss does the same): the
// draws depend on the step seed alone, so every rank draws the same K and a run gives the same
// result on any number of ranks. Why: per-step draws make a step fetch, score and update
// hundreds of thousands of rows scattered over the table; shared ones make it K rows that stay
// in cache (docs/MODELS.md, "Shared negatives").
#pragma once

#include <cstdint>
#include <vector>

#include "core/backend.hpp"
#include "core/tensor.hpp"
#include "data/id_conventions.hpp"
#include "models/negative_sampler.hpp"
#include "models/objective.hpp"
#include "models/shared_negatives_loss.hpp"

namespace slatetrain {

struct SampledSoftmaxObjectiveConfig {
  IdConventions ids;
  int64_t dim = 32;    // D
  int negatives = 64;  // K per loss step
  NegativeSamplerConfig sampler;
  bool log_q_correction = true;
  bool remove_accidental_hits = true;
  bool shared_negatives = false;  // the same K draws for every loss step of a batch
};

// What SampledSoftmaxObjective::prepare makes. shapes: n = B*T steps, K negatives.
struct SampledSoftmaxBatch final : ObjectiveBatch {
  int64_t steps = 0;
  std::vector<int32_t> positive;    // [n] row of the clicked item; -1 on steps outside the loss
  std::vector<int32_t> negative;    // [n, K] rows of the negatives; -1 outside the loss
  std::vector<float> logit_offset;  // [n, K+1] the log-Q correction; empty without it
  // shared_negatives (negative and logit_offset stay empty): the [K] draws, their rows and
  // log-Q offsets, and each step's own offset [n] (both empty without the correction).
  std::vector<int32_t> shared_ids, shared_rows;
  std::vector<float> shared_offset, positive_offset;
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
  const float* offset() const { return has_offset_ ? logit_offset_.data<float>() : nullptr; }
  // prepare() with shared_negatives: the positives' rows and log q, the shared draws' rows.
  void prepare_shared(const SequenceBatch& batch, uint64_t step_seed, RowRequests& requests,
                      SampledSoftmaxBatch& out) const;
  // forward() with shared_negatives: the loss steps against the shared rows in one product.
  double forward_shared(const SampledSoftmaxBatch& batch, const float* user, const float* rows,
                        int64_t num_rows);

  bool has_offset_ = false;
  std::unique_ptr<NegativeSampler> sampler_;
  Tensor positive_, negative_ /*[n, K]*/, logit_offset_ /*[n, K+1]*/, loss_step_;  // device
  SharedNegativesLoss shared_loss_;  // shared_negatives: the matrix-product scoring
  bool shared_forward_ = false;      // whether the last forward was shared_loss_'s
};

}  // namespace slatetrain
