// SlateScoring (no-click bias per slate length, masked slots), SlateLoss and
// SampledSoftmaxLoss: values by hand on a tiny case, backward against finite differences.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "core/cpu_backend.hpp"
#include "core/random.hpp"
#include "models/sampled_softmax_loss.hpp"
#include "models/slate_loss.hpp"
#include "models/slate_scoring.hpp"
#include "tests/models_test_support.hpp"

namespace slatetrain {
namespace {

using testing::matches_finite_differences;

std::vector<float> random_values(Random& random, size_t n, double scale = 1.0) {
  std::vector<float> values(n);
  for (float& value : values) value = static_cast<float>(scale * random.normal());
  return values;
}

// shapes: n = 3 steps, S = 4 slots, D = 3, U = 4 rows, L = 27 biases.
struct SlateCase {
  static constexpr int64_t n = 3, S = 4, D = 3, U = 4, L = 27;
  Random random{31};
  std::vector<float> user = random_values(random, n* D);
  std::vector<float> rows = random_values(random, U* D);
  std::vector<float> bias = random_values(random, L);
  // Slot 0 is the no-click option (its row ignored); -1 masks; row 1 appears twice.
  std::vector<int32_t> slate_rows = {7, 1, 0, -1, -1, 2, -1, 1, -1, 3, 1, 2};
  std::vector<int32_t> slate_length = {3, 26, 4};
  SlateScoring scoring{S, D, L};
};

TEST(SlateScoringLayer, ScoresNoClickBiasItemsAndMasks) {
  CpuBackend backend(1);
  SlateCase c;
  std::vector<float> scores(SlateCase::n * SlateCase::S);
  c.scoring.forward(backend, scores.data(), c.user.data(), c.rows.data(), c.slate_rows.data(),
                    c.slate_length.data(), c.bias.data(), SlateCase::n, SlateCase::U);
  const int64_t S = SlateCase::S, D = SlateCase::D;
  for (int64_t i = 0; i < SlateCase::n; ++i) {
    EXPECT_EQ(scores[i * S], c.bias[c.slate_length[i]]) << "step " << i << " no-click bias";
    for (int64_t j = 1; j < S; ++j) {
      const int32_t row = c.slate_rows[i * S + j];
      if (row < 0) {
        EXPECT_TRUE(std::isinf(scores[i * S + j]) && scores[i * S + j] < 0) << i << "," << j;
        continue;
      }
      double dot = 0.0;
      for (int64_t d = 0; d < D; ++d) dot += c.user[i * D + d] * c.rows[row * D + d];
      EXPECT_NEAR(scores[i * S + j], dot, 1e-6) << "step " << i << " slot " << j;
    }
  }
}

TEST(SlateScoringLayer, BackwardMatchesFiniteDifferences) {
  CpuBackend backend(1);
  SlateCase c;
  const int64_t n = SlateCase::n, S = SlateCase::S, D = SlateCase::D;
  Random random(32);
  const std::vector<float> w = random_values(random, n * S);
  std::vector<float> scores(n * S);
  auto loss = [&] {
    c.scoring.forward(backend, scores.data(), c.user.data(), c.rows.data(), c.slate_rows.data(),
                      c.slate_length.data(), c.bias.data(), n, SlateCase::U);
    double sum = 0.0;
    for (size_t i = 0; i < scores.size(); ++i) {
      if (std::isfinite(scores[i])) sum += static_cast<double>(scores[i]) * w[i];
    }
    return sum;
  };
  std::vector<float> duser(n * D, 3.0f), drows(SlateCase::U * D, 0.0f), dbias(SlateCase::L, 0.0f);
  c.scoring.backward(backend, duser.data(), drows.data(), dbias.data(), w.data(), c.user.data(),
                     c.rows.data(), c.slate_rows.data(), c.slate_length.data(), n, SlateCase::U);
  EXPECT_TRUE(matches_finite_differences("duser", c.user, duser, loss));
  EXPECT_TRUE(matches_finite_differences("drows", c.rows, drows, loss));
  EXPECT_TRUE(matches_finite_differences("dno_click_bias", c.bias, dbias, loss));
}

TEST(SlateLossLayer, ValueAndBackwardMatchFiniteDifferences) {
  CpuBackend backend(1);
  const float minus_infinity = -std::numeric_limits<float>::infinity();
  const int64_t n = 3, S = 4;
  std::vector<float> scores = {0.5f,  1.0f,           -0.3f, minus_infinity,  //
                               -1.0f, minus_infinity, 2.0f,  0.1f,            //
                               0.2f,  0.3f,           0.4f,  0.5f};
  const std::vector<int32_t> target = {1, 0, 3};
  const std::vector<uint8_t> loss_step = {1, 1, 0};  // step 2 is not a loss step
  const SlateLoss slate_loss{S};
  // By hand: step 0: -log(e^1 / (e^0.5 + e^1 + e^-0.3)); step 1: -log(e^-1 / (e^-1 + e^2 + e^0.1)).
  const double expected = -(1.0 - std::log(std::exp(0.5) + std::exp(1.0) + std::exp(-0.3))) -
                          (-1.0 - std::log(std::exp(-1.0) + std::exp(2.0) + std::exp(0.1)));
  std::vector<float> step_loss(n, -1.0f);
  EXPECT_NEAR(slate_loss.forward(backend, step_loss.data(), scores.data(), target.data(),
                                 loss_step.data(), n),
              expected, 1e-5);
  EXPECT_EQ(step_loss[2], 0.0f);

  const float scale = 0.25f;
  std::vector<float> dscores(n * S, 7.0f);
  slate_loss.backward(backend, dscores.data(), scores.data(), target.data(), loss_step.data(), n,
                      scale);
  EXPECT_EQ(dscores[3], 0.0f) << "masked slot";
  for (int64_t j = 0; j < S; ++j) EXPECT_EQ(dscores[2 * S + j], 0.0f) << "step 2 slot " << j;
  // Finite differences over the finite scores only (a masked slot stays at -inf).
  std::vector<float> finite_scores, finite_gradient;
  std::vector<size_t> where;
  for (size_t i = 0; i < scores.size(); ++i) {
    if (std::isinf(scores[i])) continue;
    where.push_back(i);
    finite_scores.push_back(scores[i]);
    finite_gradient.push_back(dscores[i]);
  }
  auto loss = [&] {
    std::vector<float> perturbed = scores;
    for (size_t k = 0; k < where.size(); ++k) perturbed[where[k]] = finite_scores[k];
    return scale * slate_loss.forward(backend, nullptr, perturbed.data(), target.data(),
                                      loss_step.data(), n);
  };
  EXPECT_TRUE(
      matches_finite_differences("dscores", finite_scores, finite_gradient, loss, 1e-2, 5e-4));
}

TEST(SampledSoftmaxLossLayer, ValueAndBackwardMatchFiniteDifferences) {
  CpuBackend backend(1);
  Random random(33);
  const int64_t n = 3, K = 2, D = 3, U = 5;
  std::vector<float> user = random_values(random, n * D), rows = random_values(random, U * D);
  const std::vector<int32_t> positive = {0, 2, 0};
  const std::vector<int32_t> negative = {1, 4, 3, 3, 2, 1};  // step 1 draws row 3 twice
  const std::vector<uint8_t> loss_step = {1, 1, 0};
  // A log-Q style offset per logit, added to the scores.
  const std::vector<float> offset = {0.3f, -1.2f, 0.5f, -0.7f, 0.0f, 2.0f, 9.0f, 9.0f, 9.0f};
  const SampledSoftmaxLoss sampled{K, D};
  auto dot = [&](int64_t i, int32_t row) {
    double sum = 0.0;
    for (int64_t d = 0; d < D; ++d) sum += static_cast<double>(user[i * D + d]) * rows[row * D + d];
    return sum;
  };
  double expected = 0.0;
  for (int64_t i = 0; i < 2; ++i) {
    const double l0 = dot(i, positive[i]) + offset[i * 3];
    const double total = std::exp(l0) + std::exp(dot(i, negative[i * K]) + offset[i * 3 + 1]) +
                         std::exp(dot(i, negative[i * K + 1]) + offset[i * 3 + 2]);
    expected += -(l0 - std::log(total));
  }
  EXPECT_NEAR(sampled.forward(backend, nullptr, user.data(), rows.data(), positive.data(),
                              negative.data(), offset.data(), loss_step.data(), n, U),
              expected, 1e-5);

  const float scale = 0.5f;
  std::vector<float> duser(n * D, 4.0f), drows(U * D, 0.0f);
  sampled.backward(backend, duser.data(), drows.data(), user.data(), rows.data(), positive.data(),
                   negative.data(), offset.data(), loss_step.data(), n, U, scale);
  auto loss = [&] {
    return scale * sampled.forward(backend, nullptr, user.data(), rows.data(), positive.data(),
                                   negative.data(), offset.data(), loss_step.data(), n, U);
  };
  EXPECT_TRUE(matches_finite_differences("duser", user, duser, loss, 1e-2, 5e-4));
  EXPECT_TRUE(matches_finite_differences("drows", rows, drows, loss, 1e-2, 5e-4));
}

}  // namespace
}  // namespace slatetrain
