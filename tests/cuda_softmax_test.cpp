// CudaBackend against CpuBackend: the catalogue softmax pieces (running log-sum-exp, the
// probabilities from it, row-wise dot products).
#include <cmath>
#include <limits>

#include "tests/cuda_test_support.hpp"

namespace slatetrain {
namespace {

using testing_cuda::arrays_near;
using testing_cuda::CudaBackendTest;
using testing_cuda::random_values;
using testing_cuda::Twin;

using CudaSoftmaxTest = CudaBackendTest;

constexpr int64_t kRows = 37, kColumns = 301, kDim = 24;

TEST_F(CudaSoftmaxTest, RunningLogSumExpAndProbabilitiesMatchTheCpu) {
  std::vector<float> values = random_values(kRows * kColumns, 1, 8.0f);
  values[5] = -std::numeric_limits<float>::infinity();
  Twin<float> scores(cpu, *gpu, values);
  Twin<float> running_max(cpu, *gpu,
                          std::vector<float>(kRows, -std::numeric_limits<float>::infinity()));
  Twin<float> running_sum(cpu, *gpu, std::vector<float>(kRows, 0.0f));
  for (int pass = 0; pass < 2; ++pass) {  // the same chunk twice: the running update
    cpu.logsumexp_update(running_max.cpu(), running_sum.cpu(), scores.cpu(), kRows, kColumns);
    gpu->logsumexp_update(running_max.gpu(), running_sum.gpu(), scores.gpu(), kRows, kColumns);
  }
  EXPECT_TRUE(arrays_near(running_max.gpu_values(), running_max.cpu_values(), 0, 0)) << "max";
  EXPECT_TRUE(arrays_near(running_sum.gpu_values(), running_sum.cpu_values(), 1e-5, 1e-5)) << "sum";
  std::vector<float> logsumexp(kRows);
  const auto maxima = running_max.cpu_values(), sums = running_sum.cpu_values();
  for (int64_t r = 0; r < kRows; ++r) logsumexp[r] = maxima[r] + std::log(sums[r]);
  Twin<float> lse(cpu, *gpu, logsumexp);
  cpu.softmax_from_logsumexp(scores.cpu(), lse.cpu(), kRows, kColumns, 0.25f);
  gpu->softmax_from_logsumexp(scores.gpu(), lse.gpu(), kRows, kColumns, 0.25f);
  EXPECT_TRUE(arrays_near(scores.gpu_values(), scores.cpu_values(), 1e-7, 1e-5)) << "p";
}

TEST_F(CudaSoftmaxTest, RowwiseDotMatchesTheCpu) {
  Twin<float> a(cpu, *gpu, random_values(kRows * kDim, 2)),
      b(cpu, *gpu, random_values(kRows * kDim, 3));
  Twin<float> out(cpu, *gpu, std::vector<float>(kRows, 9.0f));
  cpu.rowwise_dot(out.cpu(), a.cpu(), b.cpu(), kRows, kDim);
  gpu->rowwise_dot(out.gpu(), a.gpu(), b.gpu(), kRows, kDim);
  EXPECT_TRUE(arrays_near(out.gpu_values(), out.cpu_values(), 1e-5, 1e-5));
}

}  // namespace
}  // namespace slatetrain
