// FullSoftmaxObjective (`objective.kind: full_softmax`, or the catalogue part of `mixed`;
// docs/MODELS.md): the exact softmax over the whole sharded catalogue, the paper's "all-item
// likelihood": for a loss step t (a step_mask step whose item is an item),
//   loss_t = log sum_{j item} exp(z_t . E[j]) - z_t . E[item_t].
// Distributed (docs/DISTRIBUTION.md): the loss steps' user vectors are allgathered, every rank
// scores them against its own rows in chunks (a running log-sum-exp), the per-user sums are
// reduced over the ranks, and in backward every rank recomputes its chunks' probabilities:
// the gradient goes to every row of its shard (CatalogueShard::local_gradients) and the user
// vectors' gradient is summed over the ranks. The clicked item's own term goes through the
// batch's rows. Held-out: "catalogue_loglik", the exact log-likelihood of the next item.
#pragma once

#include <cstdint>
#include <vector>

#include "core/backend.hpp"
#include "core/tensor.hpp"
#include "data/id_conventions.hpp"
#include "models/catalogue_shard.hpp"
#include "models/objective.hpp"

namespace slatetrain {

struct FullSoftmaxObjectiveConfig {
  IdConventions ids;
  int64_t dim = 32;                                // D
  int64_t score_budget_floats = int64_t{1} << 24;  // scores held at once per chunk
};

// What FullSoftmaxObjective::prepare makes. shapes: n = B*T steps, m loss steps.
struct FullSoftmaxBatch final : ObjectiveBatch {
  std::vector<int32_t> loss_index;  // [m] the loss steps' positions in [0, n)
  std::vector<int32_t> positive;    // [m] row of each loss step's item in the rows buffer
};

class FullSoftmaxObjective final : public Objective {
 public:
  FullSoftmaxObjective(Backend& backend, CatalogueShard& catalogue,
                       const FullSoftmaxObjectiveConfig& config);

  std::string name() const override { return "full_softmax"; }
  std::unique_ptr<ObjectiveBatch> prepare(const SequenceBatch& batch, uint64_t step_seed,
                                          RowRequests& requests) const override;
  double forward(const ObjectiveBatch& batch, const float* user, const float* rows,
                 int64_t num_rows) override;
  void backward(float* duser, float* drows, float gradient_scale) override;
  bool has_held_out_likelihood() const override { return true; }
  std::vector<std::string> held_out_likelihood_names() const override {
    return {"catalogue_loglik"};
  }
  std::vector<HeldOutLikelihood> held_out_likelihoods(const ObjectiveBatch& batch,
                                                      const float* user, const float* rows,
                                                      int64_t num_rows) override;

 private:
  // Calls body(first_local_row, rows, scores [M, rows]) for every chunk of this rank's item
  // rows, scores = all users' vectors . the chunk's rows.
  template <typename Body>
  void for_each_chunk(Body&& body);

  Backend& backend_;
  CatalogueShard& catalogue_;
  FullSoftmaxObjectiveConfig config_;
  int64_t first_item_row_ = 0;  // local rows below it hold ids that are not items

  // The last forward's batch, kept for backward.
  int64_t steps_ = 0, loss_steps_ = 0, num_rows_ = 0;
  int64_t all_loss_steps_ = 0, first_own_ = 0;  // M over all ranks; this rank's first of them
  const float* user_ = nullptr;
  bool backward_ready_ = false;
  // Device. shapes: loss_index, positive [m]; own_users, positive_rows [m, D];
  // all_users, dall_users [M, D]; logsumexp [M]; scores [M, chunk].
  Tensor loss_index_, positive_, own_users_, positive_rows_, all_users_, dall_users_, logsumexp_,
      scores_, scratch_;
};

}  // namespace slatetrain
