// CpuBackend's catalogue softmax pieces against plain double loops: a running log-sum-exp
// folded over uneven column chunks equals the one-pass value (with -inf entries), the
// probabilities from it, and row-wise dot products.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "core/cpu_backend.hpp"
#include "tests/core_test_util.hpp"

namespace slatetrain {
namespace {

using testing_core::arrays_near;
using testing_core::random_values;

constexpr int64_t kRows = 7, kColumns = 23;

std::vector<float> scores_with_masked_entries() {
  std::vector<float> scores = random_values(kRows * kColumns, 5, 6.0f);
  for (int64_t j = 0; j < kColumns; ++j) scores[j] = -std::numeric_limits<float>::infinity();
  scores[3] = 2.5f;  // row 0: one finite entry
  scores[2 * kColumns + 4] = -std::numeric_limits<float>::infinity();
  return scores;
}

std::vector<float> plain_logsumexp(const std::vector<float>& scores) {
  std::vector<float> out;
  for (int64_t r = 0; r < kRows; ++r) {
    double sum = 0;
    for (int64_t j = 0; j < kColumns; ++j) sum += std::exp(double(scores[r * kColumns + j]));
    out.push_back(static_cast<float>(std::log(sum)));
  }
  return out;
}

TEST(CoreSoftmax, RunningLogSumExpOverChunksMatchesOnePass) {
  CpuBackend backend(2);
  const std::vector<float> scores = scores_with_masked_entries();
  std::vector<float> running_max(kRows, -std::numeric_limits<float>::infinity());
  std::vector<float> running_sum(kRows, 0.0f);
  // Chunks of 5, 11 and 7 columns, each copied out as its own [rows, chunk] matrix.
  for (const auto& [first, count] :
       std::vector<std::pair<int64_t, int64_t>>{{0, 5}, {5, 11}, {16, 7}}) {
    std::vector<float> chunk;
    for (int64_t r = 0; r < kRows; ++r)
      chunk.insert(chunk.end(), scores.begin() + r * kColumns + first,
                   scores.begin() + r * kColumns + first + count);
    backend.logsumexp_update(running_max.data(), running_sum.data(), chunk.data(), kRows, count);
  }
  std::vector<float> logsumexp(kRows);
  for (int64_t r = 0; r < kRows; ++r) logsumexp[r] = running_max[r] + std::log(running_sum[r]);
  EXPECT_TRUE(arrays_near(logsumexp, plain_logsumexp(scores), 1e-5, 1e-6));
  EXPECT_FLOAT_EQ(logsumexp[0], 2.5f);
}

TEST(CoreSoftmax, ProbabilitiesFromTheLogSumExp) {
  CpuBackend backend(2);
  std::vector<float> scores = scores_with_masked_entries();
  const std::vector<float> logsumexp = plain_logsumexp(scores);
  std::vector<float> expected;
  for (int64_t i = 0; i < kRows * kColumns; ++i)
    expected.push_back(
        static_cast<float>(0.5 * std::exp(double(scores[i]) - logsumexp[i / kColumns])));
  backend.softmax_from_logsumexp(scores.data(), logsumexp.data(), kRows, kColumns, 0.5f);
  EXPECT_TRUE(arrays_near(scores, expected, 1e-6, 1e-5));
  double row_sum = 0;
  for (int64_t j = 0; j < kColumns; ++j) row_sum += scores[kColumns + j];
  EXPECT_NEAR(row_sum, 0.5, 1e-5);
}

TEST(CoreSoftmax, RowwiseDot) {
  CpuBackend backend(2);
  const std::vector<float> a = random_values(kRows * 9, 6), b = random_values(kRows * 9, 7);
  std::vector<float> out(kRows, 4.0f), expected;
  for (int64_t r = 0; r < kRows; ++r) {
    double sum = 0;
    for (int64_t d = 0; d < 9; ++d) sum += double(a[r * 9 + d]) * b[r * 9 + d];
    expected.push_back(static_cast<float>(sum));
  }
  backend.rowwise_dot(out.data(), a.data(), b.data(), kRows, 9);
  EXPECT_TRUE(arrays_near(out, expected, 1e-6, 1e-6));
}

}  // namespace
}  // namespace slatetrain
