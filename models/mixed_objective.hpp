// MixedObjective (`objective.kind: mixed`; docs/MODELS.md): a weighted sum of two objectives,
// typically the slate objective (the paper's in-slate choices) with a catalogue objective (the
// ranking of the whole catalogue for retrieval), so one model does both:
//   loss = slate_weight * slate loss + catalogue_weight * catalogue loss
// summed over the batch; its loss steps are the steps that either part scores, and the trainer
// normalises the sum by their global count. Held-out likelihoods are both parts'.
#pragma once

#include <memory>
#include <vector>

#include "core/backend.hpp"
#include "core/tensor.hpp"
#include "models/objective.hpp"

namespace slatetrain {

// What MixedObjective::prepare makes: each part's batch.
struct MixedObjectiveBatch final : ObjectiveBatch {
  std::unique_ptr<ObjectiveBatch> first, second;
};

class MixedObjective final : public Objective {
 public:
  MixedObjective(Backend& backend, int64_t dim, std::unique_ptr<Objective> first,
                 double first_weight, std::unique_ptr<Objective> second, double second_weight);

  std::string name() const override { return "mixed"; }
  void initialize(uint64_t seed) override;
  std::unique_ptr<ObjectiveBatch> prepare(const SequenceBatch& batch, uint64_t step_seed,
                                          RowRequests& requests) const override;
  double forward(const ObjectiveBatch& batch, const float* user, const float* rows,
                 int64_t num_rows) override;
  void backward(float* duser, float* drows, float gradient_scale) override;
  bool has_held_out_likelihood() const override;
  std::vector<std::string> held_out_likelihood_names() const override;
  std::vector<HeldOutLikelihood> held_out_likelihoods(const ObjectiveBatch& batch,
                                                      const float* user, const float* rows,
                                                      int64_t num_rows) override;

 private:
  Backend& backend_;
  int64_t dim_;
  std::unique_ptr<Objective> first_, second_;
  float first_weight_, second_weight_;
  int64_t steps_ = 0;    // n = B*T of the last forward
  Tensor second_duser_;  // [n, D]
};

}  // namespace slatetrain
