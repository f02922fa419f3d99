#include "models/sampled_softmax_objective.hpp"

#include <algorithm>
#include <vector>

#include "core/error.hpp"
#include "core/random.hpp"
#include "models/device_buffer.hpp"
#include "models/sampled_softmax_loss.hpp"

namespace slatetrain {

std::vector<int32_t> draw_uniform_negatives(const SequenceBatch& batch, int negatives,
                                            const IdConventions& ids, int64_t num_items,
                                            uint64_t seed) {
  REQUIRE(num_items > ids.first_item,
          "draw_uniform_negatives: a catalogue of " << num_items << " ids has no items");
  const int64_t B = batch.batch_users;
  const int T = batch.max_steps;
  const uint64_t range = static_cast<uint64_t>(num_items - ids.first_item);
  std::vector<int32_t> drawn(static_cast<size_t>(B * T * negatives), static_cast<int32_t>(ids.pad));
  for (int64_t b = 0; b < B; ++b) {
    const int64_t user = batch.user_row[b];
    if (user < 0) continue;
    for (int64_t i = 0; i < int64_t{T} * negatives; ++i) {
      const double u = to_unit_double(hash_mix(seed, static_cast<uint64_t>(user), i));
      const uint64_t offset = std::min(range - 1, static_cast<uint64_t>(u * range));
      drawn[b * T * negatives + i] = static_cast<int32_t>(ids.first_item + offset);
    }
  }
  return drawn;
}

SampledSoftmaxObjective::SampledSoftmaxObjective(Backend& backend,
                                                 const SampledSoftmaxObjectiveConfig& config)
    : backend_(backend), config_(config) {
  REQUIRE(config.negatives > 0,
          "objective.negatives must be positive for sampled_softmax, not " << config.negatives);
  REQUIRE(config.num_items > config.ids.first_item,
          "SampledSoftmaxObjective: a catalogue of " << config.num_items << " ids has no items");
}

std::unique_ptr<ObjectiveBatch> SampledSoftmaxObjective::prepare(const SequenceBatch& batch,
                                                                 uint64_t step_seed,
                                                                 RowRequests& requests) const {
  const int64_t n = batch.batch_users * batch.max_steps;
  const int K = config_.negatives;
  const std::vector<int32_t> negative_ids =
      draw_uniform_negatives(batch, K, config_.ids, config_.num_items, step_seed);
  auto out = std::make_unique<SampledSoftmaxBatch>();
  out->steps = n;
  out->positive.assign(static_cast<size_t>(n), -1);
  out->negative.assign(static_cast<size_t>(n * K), -1);
  out->loss_step.assign(static_cast<size_t>(n), 0);
  for (int64_t step = 0; step < n; ++step) {
    const int32_t item = batch.item[step];
    if (!batch.step_mask[step] || !config_.ids.is_item(item)) continue;
    out->loss_step[step] = 1;
    ++out->loss_steps;
    requests.need(item, &out->positive[step]);
    for (int k = 0; k < K; ++k)
      requests.need(negative_ids[step * K + k], &out->negative[step * K + k]);
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
  backward_ready_ = true;
  if (loss_steps_ == 0) return 0.0;  // no row to point the masked steps at may exist
  const SampledSoftmaxLoss loss{config_.negatives, config_.dim};
  return loss.forward(backend_, nullptr, user, rows, positive_.data<int32_t>(),
                      negative_.data<int32_t>(), loss_step_.data<uint8_t>(), n, num_rows);
}

void SampledSoftmaxObjective::backward(float* duser, float* drows, float gradient_scale) {
  REQUIRE(backward_ready_, "SampledSoftmaxObjective::backward without a forward before it");
  backward_ready_ = false;
  const int64_t n = steps_;
  backend_.zero(duser, static_cast<size_t>(n * config_.dim) * sizeof(float));
  if (loss_steps_ == 0) return;
  const SampledSoftmaxLoss loss{config_.negatives, config_.dim};
  loss.backward(backend_, duser, drows, user_, rows_, positive_.data<int32_t>(),
                negative_.data<int32_t>(), loss_step_.data<uint8_t>(), n, num_rows_,
                gradient_scale);
}

}  // namespace slatetrain
