#include "models/sampled_softmax_objective.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "core/random.hpp"
#include "models/device_buffer.hpp"
#include "models/sampled_softmax_loss.hpp"

namespace slatetrain {

SampledSoftmaxObjective::SampledSoftmaxObjective(Backend& backend,
                                                 const SampledSoftmaxObjectiveConfig& config)
    : backend_(backend), config_(config), sampler_(make_negative_sampler(config.sampler)) {
  REQUIRE(config.negatives > 0,
          "objective.negatives must be positive for sampled_softmax, not " << config.negatives);
}

std::unique_ptr<ObjectiveBatch> SampledSoftmaxObjective::prepare(const SequenceBatch& batch,
                                                                 uint64_t step_seed,
                                                                 RowRequests& requests) const {
  const int64_t n = batch.batch_users * batch.max_steps;
  const int K = config_.negatives;
  auto out = std::make_unique<SampledSoftmaxBatch>();
  out->steps = n;
  out->positive.assign(static_cast<size_t>(n), -1);
  out->negative.assign(static_cast<size_t>(n * K), -1);
  out->loss_step.assign(static_cast<size_t>(n), 0);
  for (int64_t step = 0; step < n; ++step) {
    if (!batch.step_mask[step] || !config_.ids.is_item(batch.item[step])) continue;
    out->loss_step[step] = 1;
    ++out->loss_steps;
  }
  const NegativeDraws draws = sampler_->draw(batch, out->loss_step, K, step_seed);
  // c(i) = log(K q(i)), subtracted from every candidate's logit.
  const double log_k = std::log(static_cast<double>(K));
  if (config_.log_q_correction) out->logit_offset.assign(static_cast<size_t>(n * (K + 1)), 0.0f);
  for (int64_t step = 0; step < n; ++step) {
    if (!out->loss_step[step]) continue;
    const int32_t item = batch.item[step];
    requests.need(item, &out->positive[step]);
    if (config_.log_q_correction)
      out->logit_offset[step * (K + 1)] = static_cast<float>(-(log_k + draws.positive_log_q[step]));
    for (int k = 0; k < K; ++k) {
      const int32_t negative = draws.ids[step * K + k];
      if (!config_.ids.is_item(negative)) continue;  // nothing drawn (an empty batch pool)
      if (config_.remove_accidental_hits && negative == item) continue;
      requests.need(negative, &out->negative[step * K + k]);
      if (config_.log_q_correction)
        out->logit_offset[step * (K + 1) + k + 1] =
            static_cast<float>(-(log_k + draws.negative_log_q[step * K + k]));
    }
  }
  return out;
}

double SampledSoftmaxObjective::forward(const ObjectiveBatch& objective_batch, const float* user,
                                        const float* rows, int64_t num_rows) {
  const auto* batch = dynamic_cast<const SampledSoftmaxBatch*>(&objective_batch);
  REQUIRE(batch, "SampledSoftmaxObjective::forward: a batch prepared by another objective");
  steps_ = batch->steps;
  loss_steps_ = batch->loss_steps;
  num_rows_ = num_rows;
  user_ = user;
  rows_ = rows;
  const int64_t n = steps_;
  // Steps outside the loss point at row 0 (any valid row) and are masked.
  std::vector<int32_t> positive(batch->positive);
  for (int32_t& row : positive) row = std::max(row, 0);
  upload(backend_, positive_, positive.data(), n);
  upload(backend_, loss_step_, batch->loss_step.data(), n);
  upload(backend_, negative_, batch->negative.data(), n * config_.negatives);
  has_offset_ = !batch->logit_offset.empty();
  if (has_offset_)
    upload(backend_, logit_offset_, batch->logit_offset.data(), n * (config_.negatives + 1));
  backward_ready_ = true;
  if (loss_steps_ == 0) return 0.0;  // no row to point the masked steps at may exist
  const SampledSoftmaxLoss loss{config_.negatives, config_.dim};
  return loss.forward(backend_, nullptr, user, rows, positive_.data<int32_t>(),
                      negative_.data<int32_t>(), offset(), loss_step_.data<uint8_t>(), n, num_rows);
}

void SampledSoftmaxObjective::backward(float* duser, float* drows, float gradient_scale) {
  REQUIRE(backward_ready_, "SampledSoftmaxObjective::backward without a forward before it");
  backward_ready_ = false;
  const int64_t n = steps_;
  backend_.zero(duser, static_cast<size_t>(n * config_.dim) * sizeof(float));
  if (loss_steps_ == 0) return;
  const SampledSoftmaxLoss loss{config_.negatives, config_.dim};
  loss.backward(backend_, duser, drows, user_, rows_, positive_.data<int32_t>(),
                negative_.data<int32_t>(), offset(), loss_step_.data<uint8_t>(), n, num_rows_,
                gradient_scale);
}

}  // namespace slatetrain
