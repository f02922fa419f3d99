#include "models/sampled_softmax_objective.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"
#include "core/random.hpp"
#include "models/device_buffer.hpp"
#include "models/sampled_softmax_loss.hpp"

namespace slatetrain {

SampledSoftmaxObjective::SampledSoftmaxObjective(Backend& backend,
                                                 const SampledSoftmaxObjectiveConfig& config)
    : backend_(backend),
      config_(config),
      sampler_(make_negative_sampler(config.sampler)),
      shared_loss_(backend, config.dim) {
  REQUIRE(config.negatives > 0,
          "objective.negatives must be positive for sampled_softmax, not " << config.negatives);
  REQUIRE(!config.shared_negatives || config.sampler.kind == "uniform" ||
              config.sampler.kind == "popularity",
          "objective.shared_negatives draws from the catalogue: objective.sampler must be uniform "
          "or popularity, not '"
              << config.sampler.kind << "' (the batch's own items are shared already)");
}

namespace {

// The user row the shared draws are made for: no dataset row is negative, so the shared draws
// are a stream of their own beside every user's.
constexpr int64_t kSharedDrawUserRow = -2;

// K draws for the whole batch: the sampler's draws of one step of a user row that no batch holds.
NegativeDraws draw_shared(const NegativeSampler& sampler, const IdConventions& ids, int K,
                          uint64_t step_seed) {
  SequenceBatch one_step;
  one_step.batch_users = one_step.valid_users = 1;
  one_step.max_steps = 1;
  one_step.user_row = {kSharedDrawUserRow};
  one_step.item = {static_cast<int32_t>(ids.first_item)};  // any item: its q is not used
  one_step.step_mask = {1};
  return sampler.draw(one_step, {1}, K, step_seed);
}

}  // namespace

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
  if (config_.shared_negatives) {
    prepare_shared(batch, step_seed, requests, *out);
    return out;
  }
  // c(i) = log(K q(i)), subtracted from every candidate's logit.
  const double log_k = std::log(static_cast<double>(K));
  if (config_.log_q_correction) out->logit_offset.assign(static_cast<size_t>(n * (K + 1)), 0.0f);
  const NegativeDraws draws = sampler_->draw(batch, out->loss_step, K, step_seed);
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

void SampledSoftmaxObjective::prepare_shared(const SequenceBatch& batch, uint64_t step_seed,
                                             RowRequests& requests,
                                             SampledSoftmaxBatch& out) const {
  const int64_t n = out.steps;
  const int K = config_.negatives;
  const double log_k = std::log(static_cast<double>(K));
  // K = 0: no draws, only each step's own log q.
  const NegativeDraws own = sampler_->draw(batch, out.loss_step, 0, step_seed);
  const NegativeDraws shared = draw_shared(*sampler_, config_.ids, K, step_seed);
  out.shared_ids = shared.ids;
  out.shared_rows.assign(static_cast<size_t>(K), -1);
  if (out.loss_steps == 0) return;
  for (int k = 0; k < K; ++k) requests.need(out.shared_ids[k], &out.shared_rows[k]);
  if (config_.log_q_correction) {
    out.positive_offset.assign(static_cast<size_t>(n), 0.0f);
    for (int k = 0; k < K; ++k)
      out.shared_offset.push_back(static_cast<float>(-(log_k + shared.negative_log_q[k])));
  }
  for (int64_t step = 0; step < n; ++step) {
    if (!out.loss_step[step]) continue;
    requests.need(batch.item[step], &out.positive[step]);
    if (config_.log_q_correction)
      out.positive_offset[step] = static_cast<float>(-(log_k + own.positive_log_q[step]));
  }
}

double SampledSoftmaxObjective::forward_shared(const SampledSoftmaxBatch& batch, const float* user,
                                               const float* rows, int64_t num_rows) {
  const int K = config_.negatives;
  SharedNegativesInput input;
  input.shared = batch.shared_rows;
  // The draws of each row, to find a step's accidental hits without comparing all K.
  std::unordered_map<int32_t, std::vector<int32_t>> draws_of_row;
  if (config_.remove_accidental_hits) {
    for (int k = 0; k < K; ++k) draws_of_row[batch.shared_rows[k]].push_back(k);
  }
  for (int64_t step = 0; step < batch.steps; ++step) {
    if (!batch.loss_step[step]) continue;
    const int64_t i = static_cast<int64_t>(input.loss_index.size());
    input.loss_index.push_back(static_cast<int32_t>(step));
    input.positive.push_back(batch.positive[step]);
    if (!batch.positive_offset.empty())
      input.positive_offset.push_back(batch.positive_offset[step]);
    const auto hits = draws_of_row.find(batch.positive[step]);
    if (hits == draws_of_row.end()) continue;
    for (const int32_t k : hits->second)
      input.accidental_hits.push_back(static_cast<int32_t>(i * K + k));
  }
  input.shared_offset = batch.shared_offset;
  shared_forward_ = true;
  backward_ready_ = true;
  return shared_loss_.forward(input, user, batch.steps, rows, num_rows);
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
  if (!batch->shared_ids.empty()) return forward_shared(*batch, user, rows, num_rows);
  shared_forward_ = false;
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
  if (shared_forward_) {
    shared_loss_.backward(duser, drows, gradient_scale);
    return;
  }
  const int64_t n = steps_;
  backend_.zero(duser, static_cast<size_t>(n * config_.dim) * sizeof(float));
  if (loss_steps_ == 0) return;
  const SampledSoftmaxLoss loss{config_.negatives, config_.dim};
  loss.backward(backend_, duser, drows, user_, rows_, positive_.data<int32_t>(),
                negative_.data<int32_t>(), offset(), loss_step_.data<uint8_t>(), n, num_rows_,
                gradient_scale);
}

}  // namespace slatetrain
