// SlateObjective (`objective.kind: slate`; docs/MODELS.md): the choice among the items shown,
// Eide et al.'s slate likelihood. For a loss step t with slate j = 0..S-1:
//   s[t, 0] = no_click_bias[slate_length[t]]     (slot 0: the no-click option)
//   s[t, j] = z_t . E[slate[t, j]]               (j >= 1, a real item)
//   s[t, j] = -inf                               (j >= 1: pad, unknown, past the end)
//   loss_t = -log softmax(s[t])[click_idx[t]]
// Loss steps are the step_mask steps whose click is a choice within their slate: the clicked
// slot holds the clicked item (slot 0 for no click, an item id otherwise). A published anomaly
// (the clicked item elsewhere) still is the user model's input but not a loss step.
// Parameter (shape): "no_click_bias" [slate lengths], zero at the start. Its loss is the
// in-slate log-likelihood, reported on held-out steps as "loglik".
// With the linear head (objective.slate_head: linear) the items are scored against
// y_t = W z_t + b instead of z_t, with "slate_head.weight" [D, D] (the identity at the start) and
// "slate_head.bias" [D] (zero). Why: beside a catalogue objective, the shared score z . E[i]
// learns how often i is shown to such a user as well as how much they like it (a catalogue
// softmax predicts the next click anywhere); the head lets the in-slate choice, where every
// item was shown, discount that again (docs/MODELS.md, "The slate head").
#pragma once

#include <cstdint>
#include <vector>

#include "core/backend.hpp"
#include "core/tensor.hpp"
#include "data/id_conventions.hpp"
#include "models/objective.hpp"
#include "models/parameter_buffer.hpp"

namespace slatetrain {

struct SlateObjectiveConfig {
  IdConventions ids;
  int64_t dim = 32;            // D
  int64_t slate_lengths = 27;  // no-click biases for slate lengths 0 .. slate_lengths - 1
  bool linear_head = false;    // score against W z + b (the slate head) instead of z
};

// What SlateObjective::prepare makes. shapes: n = B*T steps, S slots.
struct SlateObjectiveBatch final : ObjectiveBatch {
  int64_t steps = 0, slots = 0;
  std::vector<int32_t> slate_rows;    // [n, S] row of slot j's item, -1 masked (and slot 0)
  std::vector<int32_t> target;        // [n] the clicked slot; 0 on steps outside the loss
  std::vector<int32_t> slate_length;  // [n] selects the no-click bias
};

class SlateObjective final : public Objective {
 public:
  SlateObjective(Backend& backend, ParameterBuffer& parameters, const SlateObjectiveConfig& config);

  std::string name() const override { return "slate"; }
  void initialize(uint64_t seed) override;
  std::unique_ptr<ObjectiveBatch> prepare(const SequenceBatch& batch, uint64_t step_seed,
                                          RowRequests& requests) const override;
  double forward(const ObjectiveBatch& batch, const float* user, const float* rows,
                 int64_t num_rows) override;
  void backward(float* duser, float* drows, float gradient_scale) override;
  bool has_held_out_likelihood() const override { return true; }
  std::vector<std::string> held_out_likelihood_names() const override { return {"loglik"}; }
  // "loglik": minus the slate loss summed over the batch's loss steps.
  std::vector<HeldOutLikelihood> held_out_likelihoods(const ObjectiveBatch& batch,
                                                      const float* user, const float* rows,
                                                      int64_t num_rows) override;

 private:
  Backend& backend_;
  ParameterBuffer& parameters_;
  SlateObjectiveConfig config_;
  int no_click_bias_;
  int head_weight_ = -1, head_bias_ = -1;  // the linear head's parameters, -1 without it

  // The last forward's batch, kept for backward. n = B*T steps.
  int64_t steps_ = 0, slots_ = 0, num_rows_ = 0;
  const float* user_ = nullptr;
  const float* rows_ = nullptr;
  bool backward_ready_ = false;
  // Device copies. shapes: slate_rows [n, S], target/slate_length/loss_step [n], scores and
  // dscores [n, S]; with the linear head: head_user_ (y) and head_duser_ (dy) [n, D].
  Tensor slate_rows_, target_, slate_length_, loss_step_, scores_, dscores_;
  Tensor head_user_, head_duser_;
};

}  // namespace slatetrain
