// CudaBackend's two-pass top-k against CpuBackend's heap: exclusions, ties (the lower column
// first), fewer eligible columns than k, and a catalogue-shard-sized row.
#include <cmath>

#include "tests/cuda_test_support.hpp"

namespace slatetrain {
namespace {

using testing_cuda::arrays_equal;
using testing_cuda::arrays_near;
using testing_cuda::CudaBackendTest;
using testing_cuda::random_integers;
using testing_cuda::random_values;
using testing_cuda::Twin;

using CudaTopKTest = CudaBackendTest;

void compare_top_k(CpuBackend& cpu, CudaBackend& gpu, const std::vector<float>& score_values,
                   int64_t rows, int64_t columns, int64_t k,
                   const std::vector<int64_t>* exclude_offsets,
                   const std::vector<int32_t>* exclude_columns) {
  Twin<float> scores(cpu, gpu, score_values);
  Twin<float> top_scores(cpu, gpu, std::vector<float>(rows * k, 0.0f));
  Twin<int32_t> top_columns(cpu, gpu, std::vector<int32_t>(rows * k, 0));
  std::unique_ptr<Twin<int64_t>> offsets;
  std::unique_ptr<Twin<int32_t>> excluded;
  if (exclude_offsets != nullptr) {
    offsets = std::make_unique<Twin<int64_t>>(cpu, gpu, *exclude_offsets);
    excluded = std::make_unique<Twin<int32_t>>(cpu, gpu, *exclude_columns);
  }
  cpu.top_k(top_scores.cpu(), top_columns.cpu(), scores.cpu(), rows, columns, k,
            offsets ? offsets->cpu() : nullptr, excluded ? excluded->cpu() : nullptr);
  gpu.top_k(top_scores.gpu(), top_columns.gpu(), scores.gpu(), rows, columns, k,
            offsets ? offsets->gpu() : nullptr, excluded ? excluded->gpu() : nullptr);
  EXPECT_TRUE(arrays_equal(top_columns.gpu_values(), top_columns.cpu_values())) << "columns";
  EXPECT_TRUE(arrays_near(top_scores.gpu_values(), top_scores.cpu_values(), 0.0)) << "scores";
}

TEST_F(CudaTopKTest, WithExclusionsAndTies) {
  const int64_t rows = 7, columns = 1500, k = 20;
  std::vector<float> scores = random_values(rows * columns, 1);
  // Ties: rounding to 1/8 makes many equal scores, so the column order decides.
  for (auto& value : scores) value = std::round(value * 8.0f) / 8.0f;
  std::vector<int64_t> offsets = {0};
  std::vector<int32_t> excluded;
  for (int64_t u = 0; u < rows; ++u) {
    const std::vector<int32_t> some =
        random_integers(static_cast<size_t>(u * 3), 10 + u, -5, static_cast<int32_t>(columns + 5));
    excluded.insert(excluded.end(), some.begin(), some.end());
    offsets.push_back(static_cast<int64_t>(excluded.size()));
  }
  compare_top_k(cpu, *gpu, scores, rows, columns, k, &offsets, &excluded);
  compare_top_k(cpu, *gpu, scores, rows, columns, k, nullptr, nullptr);
}

TEST_F(CudaTopKTest, FewerEligibleColumnsThanK) {
  const int64_t rows = 3, columns = 6, k = 9;
  const std::vector<int64_t> offsets = {0, 2, 2, 6};
  const std::vector<int32_t> excluded = {1, 4, 0, 1, 2, 3};
  compare_top_k(cpu, *gpu, random_values(rows * columns, 2), rows, columns, k, &offsets, &excluded);
}

TEST_F(CudaTopKTest, CatalogueShardRow) {
  // One rank's shard of a large catalogue: many columns, few rows, k as in evaluation.
  const int64_t rows = 5, columns = 200003, k = 100;
  compare_top_k(cpu, *gpu, random_values(rows * columns, 3), rows, columns, k, nullptr, nullptr);
}

}  // namespace
}  // namespace slatetrain
