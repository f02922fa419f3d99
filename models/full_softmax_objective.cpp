#include "models/full_softmax_objective.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "models/device_buffer.hpp"

namespace slatetrain {

namespace {

std::vector<size_t> scaled_counts(const std::vector<int64_t>& counts, int64_t factor) {
  std::vector<size_t> out;
  for (const int64_t count : counts) out.push_back(static_cast<size_t>(count * factor));
  return out;
}

}  // namespace

FullSoftmaxObjective::FullSoftmaxObjective(Backend& backend, CatalogueShard& catalogue,
                                           const FullSoftmaxObjectiveConfig& config)
    : backend_(backend), catalogue_(catalogue), config_(config) {
  REQUIRE(catalogue.dim() == config.dim, "FullSoftmaxObjective: the catalogue's vectors have "
                                             << catalogue.dim() << " dimensions, the model's "
                                             << config.dim);
  while (first_item_row_ < catalogue.local_rows() &&
         !config.ids.is_item(catalogue.item_of_local_row(first_item_row_))) {
    ++first_item_row_;
  }
}

std::unique_ptr<ObjectiveBatch> FullSoftmaxObjective::prepare(const SequenceBatch& batch, uint64_t,
                                                              RowRequests& requests) const {
  const int64_t n = batch.batch_users * batch.max_steps;
  auto out = std::make_unique<FullSoftmaxBatch>();
  out->loss_step.assign(static_cast<size_t>(n), 0);
  for (int64_t step = 0; step < n; ++step) {
    if (!batch.step_mask[step] || !config_.ids.is_item(batch.item[step])) continue;
    out->loss_step[step] = 1;
    out->loss_index.push_back(static_cast<int32_t>(step));
  }
  out->loss_steps = static_cast<int64_t>(out->loss_index.size());
  out->positive.assign(out->loss_index.size(), -1);
  for (size_t i = 0; i < out->loss_index.size(); ++i) {
    requests.need(batch.item[out->loss_index[i]], &out->positive[i]);
  }
  return out;
}

template <typename Body>
void FullSoftmaxObjective::for_each_chunk(Body&& body) {
  const int64_t M = all_loss_steps_, D = config_.dim;
  const int64_t rows = catalogue_.local_rows() - first_item_row_;
  if (M == 0 || rows <= 0) return;
  const int64_t chunk = std::max<int64_t>(1, std::min(rows, config_.score_budget_floats / M));
  float* scores = ensure_buffer<float>(backend_, scores_, M * chunk);
  const float* table = catalogue_.local_vectors();
  for (int64_t first = first_item_row_; first < catalogue_.local_rows(); first += chunk) {
    const int64_t count = std::min(chunk, catalogue_.local_rows() - first);
    backend_.gemm(false, true, M, count, D, 1.0f, all_users_.data<float>(), table + first * D, 0.0f,
                  scores);
    body(first, count, scores);
  }
}

double FullSoftmaxObjective::forward(const ObjectiveBatch& objective_batch, const float* user,
                                     const float* rows, int64_t num_rows) {
  const auto* batch = dynamic_cast<const FullSoftmaxBatch*>(&objective_batch);
  REQUIRE(batch, "FullSoftmaxObjective::forward: a batch prepared by another objective");
  const int64_t D = config_.dim, m = batch->loss_steps;
  steps_ = static_cast<int64_t>(batch->loss_step.size());
  loss_steps_ = m;
  num_rows_ = num_rows;
  user_ = user;

  // The loss steps' user vectors [m, D], then every rank's [M, D] in rank order.
  const int32_t* loss_index = upload(backend_, loss_index_, batch->loss_index.data(), m);
  const int32_t* positive = upload(backend_, positive_, batch->positive.data(), m);
  float* own = ensure_buffer<float>(backend_, own_users_, m * D);
  if (m > 0) backend_.embedding_forward(own, user, loss_index, m, D, steps_);
  Communicator& host = catalogue_.host_communicator();
  std::vector<int64_t> counts(static_cast<size_t>(host.world_size()));
  host.allgather(&m, 1, counts.data(), ElementType::kInt64);
  all_loss_steps_ = 0;
  first_own_ = 0;
  for (int r = 0; r < host.world_size(); ++r) {
    if (r == host.rank()) first_own_ = all_loss_steps_;
    all_loss_steps_ += counts[r];
  }
  const int64_t M = all_loss_steps_;
  backward_ready_ = true;
  if (M == 0) return 0.0;
  float* all_users = ensure_buffer<float>(backend_, all_users_, M * D);
  catalogue_.device_communicator().allgatherv(own, static_cast<size_t>(m * D), all_users,
                                              scaled_counts(counts, D), ElementType::kFloat32);

  // This rank's running log-sum-exp over its rows, combined over the ranks on the host (two
  // numbers per loss step) in double.
  Tensor running_max(backend_, {M}, DType::kFloat32), running_sum(backend_, {M}, DType::kFloat32);
  backend_.fill(running_max.data<float>(), M, -std::numeric_limits<float>::infinity());
  backend_.fill(running_sum.data<float>(), M, 0.0f);
  for_each_chunk([&](int64_t, int64_t count, float* scores) {
    backend_.logsumexp_update(running_max.data<float>(), running_sum.data<float>(), scores, M,
                              count);
  });
  const std::vector<float> local_max = running_max.to_host<float>();
  const std::vector<float> local_sum = running_sum.to_host<float>();
  std::vector<double> global_max(local_max.begin(), local_max.end());
  host.allreduce(global_max.data(), global_max.size(), ReduceOp::kMax);
  std::vector<double> sums(static_cast<size_t>(M), 0.0);
  for (int64_t i = 0; i < M; ++i) {
    if (local_sum[i] > 0) sums[i] = local_sum[i] * std::exp(local_max[i] - global_max[i]);
  }
  host.allreduce(sums.data(), sums.size(), ReduceOp::kSum);
  std::vector<float> logsumexp(static_cast<size_t>(M));
  for (int64_t i = 0; i < M; ++i) {
    logsumexp[i] = static_cast<float>(global_max[i] + std::log(sums[i]));
  }
  upload(backend_, logsumexp_, logsumexp.data(), M);

  // The clicked items' own scores, through the batch's rows.
  if (m == 0) return 0.0;
  float* positive_rows = ensure_buffer<float>(backend_, positive_rows_, m * D);
  backend_.embedding_forward(positive_rows, rows, positive, m, D, num_rows);
  Tensor positive_scores(backend_, {m}, DType::kFloat32);
  backend_.rowwise_dot(positive_scores.data<float>(), own, positive_rows, m, D);
  const std::vector<float> scores = positive_scores.to_host<float>();
  double loss = 0;
  for (int64_t i = 0; i < m; ++i) loss += double(logsumexp[first_own_ + i]) - scores[i];
  return loss;
}

void FullSoftmaxObjective::backward(float* duser, float* drows, float gradient_scale) {
  REQUIRE(backward_ready_, "FullSoftmaxObjective::backward without a forward before it");
  backward_ready_ = false;
  const int64_t D = config_.dim, m = loss_steps_, M = all_loss_steps_;
  backend_.zero(duser, static_cast<size_t>(steps_ * D) * sizeof(float));
  if (M == 0) return;
  // d all users [M, D] = sum over this rank's rows of p * E; d E += p^T users, p scaled.
  float* dall = ensure_buffer<float>(backend_, dall_users_, M * D);
  backend_.zero(dall, static_cast<size_t>(M * D) * sizeof(float));
  const float* table = catalogue_.local_vectors();
  float* dtable = catalogue_.local_gradients();
  for_each_chunk([&](int64_t first, int64_t count, float* scores) {
    backend_.softmax_from_logsumexp(scores, logsumexp_.data<float>(), M, count, gradient_scale);
    backend_.gemm(false, false, M, D, count, 1.0f, scores, table + first * D, 1.0f, dall);
    backend_.gemm(true, false, count, D, M, 1.0f, scores, all_users_.data<float>(), 1.0f,
                  dtable + first * D);
  });
  catalogue_.device_communicator().allreduce(dall, static_cast<size_t>(M * D),
                                             ElementType::kFloat32, ReduceOp::kSum);
  if (m == 0) return;
  // This rank's users: their share, minus the clicked items' rows; those rows get minus the
  // users' vectors.
  float* own_gradient = dall + first_own_ * D;
  backend_.axpy(own_gradient, positive_rows_.data<float>(), m * D, -gradient_scale);
  float* scaled_users = ensure_buffer<float>(backend_, scratch_, m * D);
  backend_.copy_on_device(scaled_users, own_users_.data<float>(),
                          static_cast<size_t>(m * D) * sizeof(float));
  backend_.scale(scaled_users, m * D, -gradient_scale);
  backend_.embedding_backward(drows, scaled_users, positive_.data<int32_t>(), m, D, num_rows_);
  backend_.embedding_backward(duser, own_gradient, loss_index_.data<int32_t>(), m, D, steps_);
}

std::vector<HeldOutLikelihood> FullSoftmaxObjective::held_out_likelihoods(
    const ObjectiveBatch& batch, const float* user, const float* rows, int64_t num_rows) {
  HeldOutLikelihood loglik;
  loglik.name = "catalogue_loglik";
  loglik.sum = -forward(batch, user, rows, num_rows);
  loglik.steps = batch.loss_steps;
  backward_ready_ = false;
  return {loglik};
}

}  // namespace slatetrain
