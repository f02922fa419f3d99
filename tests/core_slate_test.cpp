// Slate scoring, the slate cross-entropy and the sampled softmax loss: forward against naive
// loops, backward against central finite differences.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "core/cpu_backend.hpp"
#include "core/error.hpp"
#include "tests/core_test_util.hpp"

namespace slatetrain {
namespace {

using testing_core::arrays_near;
using testing_core::finite_differences;
using testing_core::random_values;
using testing_core::weighted_sum;

// 4 steps, slates of 5 positions (0 = no click), 6 unique rows, dim 3, 4 slate-length biases.
struct SlateCase {
  int n = 4, slate = 5, dim = 3, row_count = 6, bias_size = 4;
  std::vector<float> user = random_values(4 * 3, 60);
  std::vector<float> rows = random_values(6 * 3, 61);
  std::vector<float> bias = random_values(4, 62);
  std::vector<int32_t> slate_index = {-1, 0,  1,  2,  -1,  //
                                      -1, 3,  3,  -1, -1,  // a row twice in one slate
                                      -1, 5,  4,  0,  1,   //
                                      -1, -1, -1, -1, -1};
  std::vector<int32_t> slate_length = {3, 2, 3, 0};

  std::vector<float> scores(CpuBackend& backend) const {
    std::vector<float> out(size_t(n * slate));
    backend.slate_scores_forward(out.data(), user.data(), rows.data(), slate_index.data(),
                                 slate_length.data(), bias.data(), n, slate, dim, row_count,
                                 bias_size);
    return out;
  }
};

TEST(CoreSlate, ScoresMatchNaiveLoop) {
  CpuBackend backend(2);
  SlateCase slate;
  const auto scores = slate.scores(backend);
  std::vector<float> expected(scores.size());
  for (int i = 0; i < slate.n; ++i) {
    expected[size_t(i * slate.slate)] = slate.bias[size_t(slate.slate_length[size_t(i)])];
    for (int j = 1; j < slate.slate; ++j) {
      const int32_t row = slate.slate_index[size_t(i * slate.slate + j)];
      double dot = 0.0;
      for (int c = 0; c < slate.dim && row >= 0; ++c)
        dot +=
            double(slate.user[size_t(i * slate.dim + c)]) * slate.rows[size_t(row * slate.dim + c)];
      expected[size_t(i * slate.slate + j)] =
          row < 0 ? -std::numeric_limits<float>::infinity() : float(dot);
    }
  }
  EXPECT_TRUE(arrays_near(scores, expected, 1e-6));
}

// Wide slates with masked items anywhere (the scoring takes several items at once): each score
// is bitwise the float dot product summed in column order, as training runs have always had it.
// n steps of `slate` positions: every 11th-ish position empty (-1), rows repeating across
// steps, slate lengths cycling through the biases.
void wide_slates(int n, int slate, int row_count, int bias_size, std::vector<int32_t>& slate_index,
                 std::vector<int32_t>& slate_length) {
  slate_index.assign(static_cast<size_t>(n * slate), 0);
  slate_length.assign(static_cast<size_t>(n), 0);
  for (int i = 0; i < n; ++i) {
    slate_length[size_t(i)] = (i * 5) % bias_size;
    for (int j = 0; j < slate; ++j)
      slate_index[size_t(i * slate + j)] =
          (i * 7 + j * 3) % 11 == 0 ? -1 : (i * 13 + j * 29) % row_count;
  }
}

TEST(CoreSlate, ScoresOfWideSlatesBitwiseAsColumnOrderDots) {
  CpuBackend backend(2);
  const int n = 37, slate = 26, dim = 67, row_count = 50, bias_size = 27;
  const auto user = random_values(n * dim, 63);
  const auto rows = random_values(row_count * dim, 64);
  const auto bias = random_values(bias_size, 65);
  std::vector<int32_t> slate_index, slate_length;
  wide_slates(n, slate, row_count, bias_size, slate_index, slate_length);
  std::vector<float> scores(size_t(n * slate));
  backend.slate_scores_forward(scores.data(), user.data(), rows.data(), slate_index.data(),
                               slate_length.data(), bias.data(), n, slate, dim, row_count,
                               bias_size);
  std::vector<float> expected(scores.size());
  for (int i = 0; i < n; ++i) {
    expected[size_t(i * slate)] = bias[size_t(slate_length[size_t(i)])];
    for (int j = 1; j < slate; ++j) {
      const int32_t row = slate_index[size_t(i * slate + j)];
      float dot = 0.0f;
      for (int c = 0; c < dim && row >= 0; ++c)
        dot += user[size_t(i * dim + c)] * rows[size_t(row * dim + c)];
      expected[size_t(i * slate + j)] = row < 0 ? -std::numeric_limits<float>::infinity() : dot;
    }
  }
  EXPECT_EQ(0, std::memcmp(scores.data(), expected.data(), scores.size() * sizeof(float)));
}

// The gradient loops run in the processor's widest clone (core/cpu/vector_clones.hpp): duser and
// drows must be bitwise those of scalar loops in the same order (items in slate order; steps in
// order for a row), at any thread count.
TEST(CoreSlate, ScoresBackwardBitwiseAsScalarLoops) {
  const int n = 41, slate = 26, dim = 67, row_count = 50, bias_size = 27;
  const auto user = random_values(n * dim, 66);
  const auto rows = random_values(row_count * dim, 67);
  const auto dscores = random_values(n * slate, 68);
  const auto drows_start = random_values(row_count * dim, 69);  // drows accumulate
  std::vector<int32_t> slate_index, slate_length;
  wide_slates(n, slate, row_count, bias_size, slate_index, slate_length);
  std::vector<float> expected_duser(size_t(n * dim), 0.0f), expected_drows = drows_start;
  for (int i = 0; i < n; ++i) {
    for (int j = 1; j < slate; ++j) {
      const int32_t row = slate_index[size_t(i * slate + j)];
      if (row < 0) continue;
      const float grad = dscores[size_t(i * slate + j)];
      for (int c = 0; c < dim; ++c) {
        expected_duser[size_t(i * dim + c)] += grad * rows[size_t(row * dim + c)];
        expected_drows[size_t(row * dim + c)] += grad * user[size_t(i * dim + c)];
      }
    }
  }
  for (const int threads : {1, 3}) {
    CpuBackend backend(threads);
    std::vector<float> duser(size_t(n * dim)), drows = drows_start;
    std::vector<float> dbias(size_t(bias_size), 0.0f);
    backend.slate_scores_backward(duser.data(), drows.data(), dbias.data(), dscores.data(),
                                  user.data(), rows.data(), slate_index.data(), slate_length.data(),
                                  n, slate, dim, row_count, bias_size);
    EXPECT_EQ(0, std::memcmp(duser.data(), expected_duser.data(), duser.size() * sizeof(float)))
        << threads << " threads";
    EXPECT_EQ(0, std::memcmp(drows.data(), expected_drows.data(), drows.size() * sizeof(float)))
        << threads << " threads";
  }
}

TEST(CoreSlate, ScoresRefuseBadLength) {
  CpuBackend backend(1);
  SlateCase slate;
  slate.slate_length[2] = 4;
  try {
    slate.scores(backend);
    FAIL() << "slate length 4 with 4 biases accepted";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("slate_length[2] = 4"), std::string::npos)
        << error.what();
  }
}

TEST(CoreSlate, ScoresBackwardMatchesFiniteDifferences) {
  CpuBackend backend(2);
  SlateCase slate;
  auto dscores = random_values(size_t(slate.n * slate.slate), 63);
  auto finite_scores_loss = [&] {
    const auto scores = slate.scores(backend);
    double sum = 0.0;
    for (size_t i = 0; i < scores.size(); ++i)
      if (std::isfinite(scores[i])) sum += double(scores[i]) * dscores[i];
    return sum;
  };
  std::vector<float> duser(slate.user.size(), 5.0f);
  std::vector<float> drows(slate.rows.size(), 0.5f), dbias(slate.bias.size(), 0.5f);
  backend.slate_scores_backward(duser.data(), drows.data(), dbias.data(), dscores.data(),
                                slate.user.data(), slate.rows.data(), slate.slate_index.data(),
                                slate.slate_length.data(), slate.n, slate.slate, slate.dim,
                                slate.row_count, slate.bias_size);
  for (auto& value : drows) value -= 0.5f;
  for (auto& value : dbias) value -= 0.5f;
  EXPECT_TRUE(arrays_near(duser, finite_differences(slate.user, finite_scores_loss), 1e-3, 1e-2));
  EXPECT_TRUE(arrays_near(drows, finite_differences(slate.rows, finite_scores_loss), 1e-3, 1e-2));
  EXPECT_TRUE(arrays_near(dbias, finite_differences(slate.bias, finite_scores_loss), 1e-3, 1e-2));
}

TEST(CoreSlate, CrossEntropyValueAndGradient) {
  CpuBackend backend(2);
  const int n = 4, slate = 5;
  const float masked = -std::numeric_limits<float>::infinity();
  std::vector<float> scores = random_values(size_t(n * slate), 64, 2.0f);
  scores[3] = masked;
  scores[4] = masked;
  scores[slate + 1] = masked;
  const std::vector<int32_t> target = {2, 0, 4, 1};
  const std::vector<uint8_t> mask = {1, 1, 1, 0};
  const float scale = 0.25f;

  std::vector<float> dscores(scores.size(), 9.0f), step_loss(size_t(n), 9.0f);
  const double total = backend.slate_cross_entropy(dscores.data(), step_loss.data(), scores.data(),
                                                   target.data(), mask.data(), n, slate, scale);
  // Naive: -log softmax over the finite positions.
  double expected_total = 0.0;
  std::vector<float> expected_loss(size_t(n), 0.0f);
  for (int i = 0; i < n; ++i) {
    if (!mask[size_t(i)]) continue;
    double denominator = 0.0;
    for (int j = 0; j < slate; ++j)
      if (std::isfinite(scores[size_t(i * slate + j)]))
        denominator += std::exp(double(scores[size_t(i * slate + j)]));
    const double loss = std::log(denominator) - scores[size_t(i * slate + target[size_t(i)])];
    expected_loss[size_t(i)] = float(loss);
    expected_total += loss;
  }
  EXPECT_NEAR(total, expected_total, 1e-5);
  EXPECT_TRUE(arrays_near(step_loss, expected_loss, 1e-5));

  // Gradient of scale * total over the finite positions, by finite differences.
  auto loss = [&] {
    return scale * backend.slate_cross_entropy(nullptr, nullptr, scores.data(), target.data(),
                                               mask.data(), n, slate, scale);
  };
  auto numeric = finite_differences(scores, loss, 1e-2f);
  for (size_t i = 0; i < numeric.size(); ++i)
    if (!std::isfinite(scores[i])) numeric[i] = 0.0f;  // -inf +- eps stays -inf: no gradient
  EXPECT_TRUE(arrays_near(dscores, numeric, 1e-4, 1e-2));
  for (int j = 0; j < slate; ++j) EXPECT_EQ(dscores[size_t(3 * slate + j)], 0.0f) << j;
}

TEST(CoreSlate, CrossEntropyRefusesMaskedTarget) {
  CpuBackend backend(1);
  const std::vector<float> scores = {0.1f, -std::numeric_limits<float>::infinity(), 0.3f};
  const std::vector<int32_t> target = {1};
  const std::vector<uint8_t> mask = {1};
  EXPECT_THROW(backend.slate_cross_entropy(nullptr, nullptr, scores.data(), target.data(),
                                           mask.data(), 1, 3, 1.0f),
               Error);
}

TEST(CoreSampledSoftmax, ValueAndGradients) {
  CpuBackend backend(2);
  const int n = 3, negatives = 4, dim = 5, row_count = 7;
  auto user = random_values(size_t(n * dim), 70);
  auto rows = random_values(size_t(row_count * dim), 71);
  const std::vector<int32_t> positive = {0, 3, 6};
  const std::vector<int32_t> negative = {1, 2, 3, -1,  //
                                         0, 0, 5, 6,   // a repeated negative counts twice
                                         1, 2, 4, 5};
  const std::vector<uint8_t> mask = {1, 1, 0};
  const float scale = 0.5f;

  std::vector<float> duser(user.size(), 3.0f), drows(rows.size(), 0.5f),
      step_loss(static_cast<size_t>(n));
  const double total = backend.sampled_softmax_loss(
      duser.data(), drows.data(), step_loss.data(), user.data(), rows.data(), positive.data(),
      negative.data(), nullptr, mask.data(), n, negatives, dim, row_count, scale);
  for (auto& value : drows) value -= 0.5f;

  double expected_total = 0.0;
  for (int i = 0; i < n; ++i) {
    if (!mask[size_t(i)]) {
      EXPECT_EQ(step_loss[size_t(i)], 0.0f);
      continue;
    }
    auto logit = [&](int32_t row) {
      double sum = 0.0;
      for (int c = 0; c < dim; ++c)
        sum += double(user[size_t(i * dim + c)]) * rows[size_t(row * dim + c)];
      return sum;
    };
    double denominator = std::exp(logit(positive[size_t(i)]));
    for (int k = 0; k < negatives; ++k) {
      const int32_t row = negative[size_t(i * negatives + k)];
      if (row >= 0) denominator += std::exp(logit(row));
    }
    const double loss = std::log(denominator) - logit(positive[size_t(i)]);
    EXPECT_NEAR(step_loss[size_t(i)], loss, 1e-5) << "step " << i;
    expected_total += loss;
  }
  EXPECT_NEAR(total, expected_total, 1e-5);

  auto loss = [&] {
    return scale * backend.sampled_softmax_loss(nullptr, nullptr, nullptr, user.data(), rows.data(),
                                                positive.data(), negative.data(), nullptr,
                                                mask.data(), n, negatives, dim, row_count, scale);
  };
  EXPECT_TRUE(arrays_near(duser, finite_differences(user, loss), 1e-4, 1e-2)) << "duser";
  EXPECT_TRUE(arrays_near(drows, finite_differences(rows, loss), 1e-4, 1e-2)) << "drows";
}

}  // namespace
}  // namespace slatetrain
