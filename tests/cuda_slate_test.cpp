// CudaBackend against CpuBackend: slate scores (no-click bias, masked positions) forward and
// backward, the masked slate cross-entropy and the sampled softmax loss with their gradients.
#include <cmath>

#include "tests/cuda_test_support.hpp"

#include "core/error.hpp"

namespace slatetrain {
namespace {

using testing_cuda::arrays_near;
using testing_cuda::CudaBackendTest;
using testing_cuda::random_integers;
using testing_cuda::random_mask;
using testing_cuda::random_values;
using testing_cuda::Twin;

using CudaSlateTest = CudaBackendTest;

constexpr int64_t kSteps = 23, kSlate = 11, kDim = 16, kRows = 30, kBiasSize = 26;

// A target per step at a position that is not masked (position 0, the no-click, always is not).
std::vector<int32_t> valid_targets(const std::vector<int32_t>& slate_index, uint64_t seed) {
  Random random(seed);
  std::vector<int32_t> targets(kSteps);
  for (int64_t i = 0; i < kSteps; ++i) {
    std::vector<int32_t> candidates = {0};
    for (int64_t j = 1; j < kSlate; ++j)
      if (slate_index[i * kSlate + j] >= 0) candidates.push_back(static_cast<int32_t>(j));
    targets[i] = candidates[random.below(candidates.size())];
  }
  return targets;
}

TEST_F(CudaSlateTest, ScoresForwardAndBackward) {
  const std::vector<int32_t> index = random_integers(kSteps * kSlate, 1, -1, kRows);
  Twin<int32_t> slate_index(cpu, *gpu, index);
  Twin<int32_t> slate_length(cpu, *gpu, random_integers(kSteps, 2, 0, kBiasSize));
  Twin<float> user(cpu, *gpu, random_values(kSteps * kDim, 3));
  Twin<float> rows(cpu, *gpu, random_values(kRows * kDim, 4));
  Twin<float> bias(cpu, *gpu, random_values(kBiasSize, 5));
  Twin<float> scores(cpu, *gpu, std::vector<float>(kSteps * kSlate, 0.0f));
  cpu.slate_scores_forward(scores.cpu(), user.cpu(), rows.cpu(), slate_index.cpu(),
                           slate_length.cpu(), bias.cpu(), kSteps, kSlate, kDim, kRows, kBiasSize);
  gpu->slate_scores_forward(scores.gpu(), user.gpu(), rows.gpu(), slate_index.gpu(),
                            slate_length.gpu(), bias.gpu(), kSteps, kSlate, kDim, kRows, kBiasSize);
  EXPECT_TRUE(arrays_near(scores.gpu_values(), scores.cpu_values(), 1e-5, 1e-5)) << "scores";

  // dscores with values at masked positions too: they must contribute nothing.
  Twin<float> dscores(cpu, *gpu, random_values(kSteps * kSlate, 6));
  Twin<float> duser(cpu, *gpu, random_values(kSteps * kDim, 7));  // overwritten
  Twin<float> drows(cpu, *gpu, random_values(kRows * kDim, 8));   // accumulated
  Twin<float> dbias(cpu, *gpu, random_values(kBiasSize, 9));      // accumulated
  cpu.slate_scores_backward(duser.cpu(), drows.cpu(), dbias.cpu(), dscores.cpu(), user.cpu(),
                            rows.cpu(), slate_index.cpu(), slate_length.cpu(), kSteps, kSlate, kDim,
                            kRows, kBiasSize);
  gpu->slate_scores_backward(duser.gpu(), drows.gpu(), dbias.gpu(), dscores.gpu(), user.gpu(),
                             rows.gpu(), slate_index.gpu(), slate_length.gpu(), kSteps, kSlate,
                             kDim, kRows, kBiasSize);
  EXPECT_TRUE(arrays_near(duser.gpu_values(), duser.cpu_values(), 1e-5, 1e-5)) << "duser";
  EXPECT_TRUE(arrays_near(drows.gpu_values(), drows.cpu_values(), 1e-5, 1e-5)) << "drows";
  EXPECT_TRUE(arrays_near(dbias.gpu_values(), dbias.cpu_values(), 1e-5, 1e-5)) << "dbias";
}

TEST_F(CudaSlateTest, CrossEntropyLossAndGradient) {
  const std::vector<int32_t> index = random_integers(kSteps * kSlate, 11, -1, kRows);
  std::vector<float> score_values = random_values(kSteps * kSlate, 12, 3.0f);
  for (int64_t i = 0; i < kSteps; ++i)
    for (int64_t j = 1; j < kSlate; ++j)
      if (index[i * kSlate + j] < 0) score_values[i * kSlate + j] = -INFINITY;
  Twin<float> scores(cpu, *gpu, score_values);
  Twin<int32_t> target(cpu, *gpu, valid_targets(index, 13));
  Twin<uint8_t> step_mask(cpu, *gpu, random_mask(kSteps, 14, 0.7));
  Twin<float> dscores(cpu, *gpu, random_values(kSteps * kSlate, 15));
  Twin<float> step_loss(cpu, *gpu, random_values(kSteps, 16));
  const double expected =
      cpu.slate_cross_entropy(dscores.cpu(), step_loss.cpu(), scores.cpu(), target.cpu(),
                              step_mask.cpu(), kSteps, kSlate, 0.37f);
  const double actual =
      gpu->slate_cross_entropy(dscores.gpu(), step_loss.gpu(), scores.gpu(), target.gpu(),
                               step_mask.gpu(), kSteps, kSlate, 0.37f);
  EXPECT_NEAR(actual, expected, 1e-4 + 1e-5 * std::fabs(expected));
  EXPECT_TRUE(arrays_near(step_loss.gpu_values(), step_loss.cpu_values(), 1e-5, 1e-5))
      << "step_loss";
  EXPECT_TRUE(arrays_near(dscores.gpu_values(), dscores.cpu_values(), 1e-6, 1e-5)) << "dscores";
  // Without the optional outputs the loss is the same.
  const double loss_only = gpu->slate_cross_entropy(nullptr, nullptr, scores.gpu(), target.gpu(),
                                                    step_mask.gpu(), kSteps, kSlate, 1.0f);
  EXPECT_NEAR(loss_only, expected, 1e-4 + 1e-5 * std::fabs(expected));
}

TEST_F(CudaSlateTest, CrossEntropyTargetAtMaskedPositionIsAnError) {
  Twin<float> scores(cpu, *gpu, {0.5f, -INFINITY, 1.0f, 0.1f, 0.2f, 0.3f});
  Twin<int32_t> target(cpu, *gpu, {1, 2});
  Twin<uint8_t> step_mask(cpu, *gpu, {1, 1});
  EXPECT_THROW(gpu->slate_cross_entropy(nullptr, nullptr, scores.gpu(), target.gpu(),
                                        step_mask.gpu(), 2, 3, 1.0f),
               Error);
}

TEST_F(CudaSlateTest, SampledSoftmaxLossAndGradients) {
  const int64_t n = 17, negatives = 9, dim = 12, row_count = 25;
  std::vector<int32_t> negative = random_integers(n * negatives, 21, 0, row_count);
  for (size_t i = 0; i < negative.size(); i += 7) negative[i] = -1;  // left-out samples
  Twin<int32_t> negative_rows(cpu, *gpu, negative);
  Twin<int32_t> positive(cpu, *gpu, random_integers(n, 22, 0, row_count));
  Twin<uint8_t> step_mask(cpu, *gpu, random_mask(n, 23, 0.8));
  Twin<float> user(cpu, *gpu, random_values(n * dim, 24));
  Twin<float> rows(cpu, *gpu, random_values(row_count * dim, 25));
  Twin<float> duser(cpu, *gpu, random_values(n * dim, 26));          // overwritten
  Twin<float> drows(cpu, *gpu, random_values(row_count * dim, 27));  // accumulated
  Twin<float> step_loss(cpu, *gpu, random_values(n, 28));
  Twin<float> offset(cpu, *gpu, random_values(n * (negatives + 1), 29));  // log-Q corrections
  const double expected = cpu.sampled_softmax_loss(
      duser.cpu(), drows.cpu(), step_loss.cpu(), user.cpu(), rows.cpu(), positive.cpu(),
      negative_rows.cpu(), offset.cpu(), step_mask.cpu(), n, negatives, dim, row_count, 0.5f);
  const double actual = gpu->sampled_softmax_loss(
      duser.gpu(), drows.gpu(), step_loss.gpu(), user.gpu(), rows.gpu(), positive.gpu(),
      negative_rows.gpu(), offset.gpu(), step_mask.gpu(), n, negatives, dim, row_count, 0.5f);
  EXPECT_NEAR(actual, expected, 1e-4 + 1e-5 * std::fabs(expected));
  EXPECT_TRUE(arrays_near(step_loss.gpu_values(), step_loss.cpu_values(), 1e-5, 1e-5))
      << "step_loss";
  EXPECT_TRUE(arrays_near(duser.gpu_values(), duser.cpu_values(), 1e-5, 1e-5)) << "duser";
  EXPECT_TRUE(arrays_near(drows.gpu_values(), drows.cpu_values(), 1e-5, 1e-5)) << "drows";
}

}  // namespace
}  // namespace slatetrain
