#include "models/shared_negatives_loss.hpp"

#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "models/device_buffer.hpp"

namespace slatetrain {

double SharedNegativesLoss::forward(const SharedNegativesInput& input, const float* user,
                                    int64_t steps, const float* rows, int64_t num_rows) {
  const int64_t D = dim_, m = static_cast<int64_t>(input.loss_index.size());
  const int64_t K = static_cast<int64_t>(input.shared.size());
  REQUIRE(static_cast<int64_t>(input.positive.size()) == m && m <= steps && K > 0,
          "SharedNegativesLoss: " << m << " loss steps with " << input.positive.size()
                                  << " positives in " << steps << " steps, " << K << " draws");
  REQUIRE(input.positive_offset.empty() || static_cast<int64_t>(input.positive_offset.size()) == m,
          "SharedNegativesLoss: positive offsets do not match the loss steps");
  REQUIRE(input.shared_offset.empty() || static_cast<int64_t>(input.shared_offset.size()) == K,
          "SharedNegativesLoss: shared offsets do not match the draws");
  REQUIRE(steps * K <= std::numeric_limits<int32_t>::max(),
          "SharedNegativesLoss: " << steps << " steps x " << K
                                  << " shared negatives is more scores than one batch can index");
  m_ = m;
  k_ = K;
  steps_ = steps;
  num_rows_ = num_rows;
  if (m == 0) return 0.0;
  const float infinity = std::numeric_limits<float>::infinity();

  // The loss steps' user vectors and the rows they are scored against.
  ensure_buffer<int32_t>(backend_, loss_index_, steps);
  backend_.copy_to_device(loss_index_.data<int32_t>(), input.loss_index.data(),
                          static_cast<size_t>(m) * sizeof(int32_t));
  ensure_buffer<int32_t>(backend_, positive_, steps);
  backend_.copy_to_device(positive_.data<int32_t>(), input.positive.data(),
                          static_cast<size_t>(m) * sizeof(int32_t));
  const int32_t* shared = upload(backend_, shared_, input.shared.data(), K);
  float* own = ensure_buffer<float>(backend_, own_users_, steps * D);
  backend_.embedding_forward(own, user, loss_index_.data<int32_t>(), m, D, steps);
  float* shared_rows = ensure_buffer<float>(backend_, shared_rows_, K * D);
  backend_.embedding_forward(shared_rows, rows, shared, K, D, num_rows);
  float* positive_rows = ensure_buffer<float>(backend_, positive_rows_, steps * D);
  backend_.embedding_forward(positive_rows, rows, positive_.data<int32_t>(), m, D, num_rows);

  // l_k for every step at once, then the log-Q offsets and the accidental hits (-inf).
  float* scores = ensure_buffer<float>(backend_, scores_, steps * K);
  backend_.gemm(false, true, m, K, D, 1.0f, own, shared_rows, 0.0f, scores);
  if (!input.shared_offset.empty()) {
    backend_.add_bias(scores, upload(backend_, shared_offset_, input.shared_offset.data(), K), m,
                      K);
  }
  if (!input.accidental_hits.empty()) {
    const int64_t hits = static_cast<int64_t>(input.accidental_hits.size());
    const std::vector<float> minus_infinity(static_cast<size_t>(hits), -infinity);
    // A scatter-add of -inf into the scores seen as a [m * K, 1] table.
    backend_.embedding_backward(
        scores, upload(backend_, minus_infinity_, minus_infinity.data(), hits),
        upload(backend_, hits_, input.accidental_hits.data(), hits), hits, 1, m * K);
  }
  float* positive_scores = ensure_buffer<float>(backend_, positive_scores_, steps);
  backend_.rowwise_dot(positive_scores, own, positive_rows, m, D);
  if (!input.positive_offset.empty()) {
    backend_.axpy(positive_scores,
                  upload(backend_, positive_offset_, input.positive_offset.data(), m), m, 1.0f);
  }

  // log-sum-exp over l_0 and l_1..l_K; the loss on the host, in double.
  float* running_max = ensure_buffer<float>(backend_, running_max_, steps);
  float* running_sum = ensure_buffer<float>(backend_, running_sum_, steps);
  backend_.fill(running_max, m, -infinity);
  backend_.fill(running_sum, m, 0.0f);
  backend_.logsumexp_update(running_max, running_sum, scores, m, K);
  backend_.logsumexp_update(running_max, running_sum, positive_scores, m, 1);
  std::vector<float> maximum(static_cast<size_t>(m)), sum(static_cast<size_t>(m)),
      positive(static_cast<size_t>(m));
  backend_.copy_to_host(maximum.data(), running_max, static_cast<size_t>(m) * sizeof(float));
  backend_.copy_to_host(sum.data(), running_sum, static_cast<size_t>(m) * sizeof(float));
  backend_.copy_to_host(positive.data(), positive_scores, static_cast<size_t>(m) * sizeof(float));
  std::vector<float> logsumexp(static_cast<size_t>(m));
  double loss = 0.0;
  for (int64_t i = 0; i < m; ++i) {
    const double value = double(maximum[i]) + std::log(double(sum[i]));
    logsumexp[i] = static_cast<float>(value);
    loss += value - positive[i];
  }
  ensure_buffer<float>(backend_, logsumexp_, steps);
  backend_.copy_to_device(logsumexp_.data<float>(), logsumexp.data(),
                          static_cast<size_t>(m) * sizeof(float));
  return loss;
}

void SharedNegativesLoss::backward(float* duser, float* drows, float gradient_scale) {
  const int64_t D = dim_, m = m_, K = k_;
  backend_.zero(duser, static_cast<size_t>(steps_ * D) * sizeof(float));
  if (m == 0) return;
  // dl_k = scale * p_k; dl_0 = scale * (p_0 - 1), in place of the logits.
  float* scores = scores_.data<float>();
  float* positive_scores = positive_scores_.data<float>();
  const float* logsumexp = logsumexp_.data<float>();
  backend_.softmax_from_logsumexp(scores, logsumexp, m, K, gradient_scale);
  backend_.softmax_from_logsumexp(positive_scores, logsumexp, m, 1, gradient_scale);
  const float minus_scale = -gradient_scale;
  backend_.add_bias(positive_scores, upload(backend_, minus_scale_, &minus_scale, 1), m, 1);

  // du_i = sum_k dl_k E[shared_k] + dl_0 E[positive_i] (the second: m products [1, 1] x [1, D]).
  const float* own = own_users_.data<float>();
  float* duser_own = ensure_buffer<float>(backend_, duser_, steps_ * D);
  backend_.gemm(false, false, m, D, K, 1.0f, scores, shared_rows_.data<float>(), 0.0f, duser_own);
  backend_.gemm_strided_batched(false, false, 1, D, 1, 1.0f, positive_scores, 1,
                                positive_rows_.data<float>(), D, 1.0f, duser_own, D, m);
  backend_.embedding_backward(duser, duser_own, loss_index_.data<int32_t>(), m, D, steps_);

  // dE[shared_k] += sum_i dl_k u_i; dE[positive_i] += dl_0 u_i (repeated rows add up).
  float* dshared = ensure_buffer<float>(backend_, dshared_, K * D);
  backend_.gemm(true, false, K, D, m, 1.0f, scores, own, 0.0f, dshared);
  backend_.embedding_backward(drows, dshared, shared_.data<int32_t>(), K, D, num_rows_);
  float* dpositive = ensure_buffer<float>(backend_, dpositive_, steps_ * D);
  backend_.gemm_strided_batched(false, false, 1, D, 1, 1.0f, positive_scores, 1, own, D, 0.0f,
                                dpositive, D, m);
  backend_.embedding_backward(drows, dpositive, positive_.data<int32_t>(), m, D, num_rows_);
}

}  // namespace slatetrain
