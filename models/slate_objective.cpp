#include "models/slate_objective.hpp"

#include <vector>

#include "core/error.hpp"
#include "models/device_buffer.hpp"
#include "models/linear.hpp"
#include "models/slate_loss.hpp"
#include "models/slate_scoring.hpp"

namespace slatetrain {

SlateObjective::SlateObjective(Backend& backend, ParameterBuffer& parameters,
                               const SlateObjectiveConfig& config)
    : backend_(backend), parameters_(parameters), config_(config) {
  REQUIRE(config.dim > 0 && config.slate_lengths > 0,
          "SlateObjective: dim " << config.dim << ", slate lengths " << config.slate_lengths);
  no_click_bias_ = parameters_.add("no_click_bias", {config.slate_lengths});
  if (config.linear_head) {
    head_weight_ = parameters_.add("slate_head.weight", {config.dim, config.dim});
    head_bias_ = parameters_.add("slate_head.bias", {config.dim});
  }
}

void SlateObjective::initialize(uint64_t) {
  // Zeros: no preference for no-click before training.
  parameters_.set_values("no_click_bias",
                         std::vector<float>(static_cast<size_t>(config_.slate_lengths), 0.0f));
  if (config_.linear_head) {
    // The identity: the head starts as the model without it.
    const int64_t D = config_.dim;
    std::vector<float> identity(static_cast<size_t>(D * D), 0.0f);
    for (int64_t d = 0; d < D; ++d) identity[static_cast<size_t>(d * D + d)] = 1.0f;
    parameters_.set_values("slate_head.weight", identity);
    parameters_.set_values("slate_head.bias", std::vector<float>(static_cast<size_t>(D), 0.0f));
  }
}

std::unique_ptr<ObjectiveBatch> SlateObjective::prepare(const SequenceBatch& batch, uint64_t,
                                                        RowRequests& requests) const {
  REQUIRE(batch.has_slates(),
          "objective 'slate' needs a dataset with slates; this one has none "
          "(use objective.kind: sampled_softmax)");
  const int64_t T = batch.max_steps, S = batch.slate_slots, n = batch.batch_users * T;
  REQUIRE(static_cast<int64_t>(batch.slate.size()) == n * S &&
              static_cast<int64_t>(batch.click_idx.size()) == n &&
              static_cast<int64_t>(batch.slate_length.size()) == n,
          "SlateObjective: slate arrays do not match B=" << batch.batch_users << " T=" << T
                                                         << " S=" << S);
  auto out = std::make_unique<SlateObjectiveBatch>();
  out->steps = n;
  out->slots = S;
  out->slate_rows.assign(static_cast<size_t>(n * S), -1);
  out->target.assign(static_cast<size_t>(n), 0);
  out->slate_length.assign(batch.slate_length.begin(), batch.slate_length.end());
  out->loss_step.assign(static_cast<size_t>(n), 0);
  const IdConventions& ids = config_.ids;
  for (int64_t step = 0; step < n; ++step) {
    REQUIRE(out->slate_length[step] < config_.slate_lengths,
            "slate_length " << out->slate_length[step] << " of user row "
                            << batch.user_row[step / T] << " step " << step % T
                            << " has no no-click bias (0.." << config_.slate_lengths - 1 << ")");
    if (!batch.step_mask[step]) continue;
    // A loss step only if the click is a choice within its slate.
    const int32_t click = batch.item[step];
    const int index = batch.click_idx[step];
    if (click == ids.pad || index >= S) continue;
    if (batch.slate[step * S + index] != click) continue;  // published anomaly
    if (index != 0 && !ids.is_item(click)) continue;
    out->loss_step[step] = 1;
    out->target[step] = index;
    ++out->loss_steps;
    for (int64_t s = 1; s < S; ++s) {
      const int32_t item = batch.slate[step * S + s];
      if (ids.is_item(item)) requests.need(item, &out->slate_rows[step * S + s]);
    }
  }
  return out;
}

double SlateObjective::forward(const ObjectiveBatch& objective_batch, const float* user,
                               const float* rows, int64_t num_rows) {
  const auto* batch = dynamic_cast<const SlateObjectiveBatch*>(&objective_batch);
  REQUIRE(batch, "SlateObjective::forward: a batch prepared by another objective");
  steps_ = batch->steps;
  slots_ = batch->slots;
  num_rows_ = num_rows;
  user_ = user;
  rows_ = rows;
  const int64_t n = steps_, S = slots_;
  const int32_t* slate_rows = upload(backend_, slate_rows_, batch->slate_rows.data(), n * S);
  const int32_t* slate_length = upload(backend_, slate_length_, batch->slate_length.data(), n);
  upload(backend_, target_, batch->target.data(), n);
  upload(backend_, loss_step_, batch->loss_step.data(), n);

  float* scores = ensure_buffer<float>(backend_, scores_, n * S);
  const float* scored_user = user;
  if (config_.linear_head) {
    float* head_user = ensure_buffer<float>(backend_, head_user_, n * config_.dim);
    const Linear head{config_.dim, config_.dim};
    head.forward(backend_, head_user, user, parameters_.values(head_weight_),
                 parameters_.values(head_bias_), n);
    scored_user = head_user;
  }
  const SlateScoring scoring{S, config_.dim, config_.slate_lengths};
  scoring.forward(backend_, scores, scored_user, rows, slate_rows, slate_length,
                  parameters_.values(no_click_bias_), n, num_rows);
  const SlateLoss loss{S};
  backward_ready_ = true;
  return loss.forward(backend_, nullptr, scores, target_.data<int32_t>(),
                      loss_step_.data<uint8_t>(), n);
}

std::vector<HeldOutLikelihood> SlateObjective::held_out_likelihoods(const ObjectiveBatch& batch,
                                                                    const float* user,
                                                                    const float* rows,
                                                                    int64_t num_rows) {
  HeldOutLikelihood loglik;
  loglik.name = "loglik";
  loglik.sum = -forward(batch, user, rows, num_rows);
  loglik.steps = batch.loss_steps;
  backward_ready_ = false;
  return {loglik};
}

void SlateObjective::backward(float* duser, float* drows, float gradient_scale) {
  REQUIRE(backward_ready_, "SlateObjective::backward without a forward before it");
  backward_ready_ = false;
  const int64_t n = steps_, S = slots_;
  if (n == 0) return;
  float* dscores = ensure_buffer<float>(backend_, dscores_, n * S);
  const SlateLoss loss{S};
  loss.backward(backend_, dscores, scores_.data<float>(), target_.data<int32_t>(),
                loss_step_.data<uint8_t>(), n, gradient_scale);
  const SlateScoring scoring{S, config_.dim, config_.slate_lengths};
  if (!config_.linear_head) {
    scoring.backward(backend_, duser, drows, parameters_.gradients(no_click_bias_), dscores, user_,
                     rows_, slate_rows_.data<int32_t>(), slate_length_.data<int32_t>(), n,
                     num_rows_);
    return;
  }
  // Through the head: dy from the scores, then duser = dy W, dW += dy^T z, db += sum dy.
  float* head_duser = ensure_buffer<float>(backend_, head_duser_, n * config_.dim);
  scoring.backward(backend_, head_duser, drows, parameters_.gradients(no_click_bias_), dscores,
                   head_user_.data<float>(), rows_, slate_rows_.data<int32_t>(),
                   slate_length_.data<int32_t>(), n, num_rows_);
  const Linear head{config_.dim, config_.dim};
  head.backward(backend_, duser, parameters_.gradients(head_weight_),
                parameters_.gradients(head_bias_), head_duser, user_,
                parameters_.values(head_weight_), n);
}

}  // namespace slatetrain
