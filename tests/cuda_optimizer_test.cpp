// CudaBackend against CpuBackend: dense Adam and AdamW over several steps, the lazy row-wise
// Adam and Adagrad updates (untouched rows must stay bit-identical).
#include <cmath>

#include "tests/cuda_test_support.hpp"

namespace slatetrain {
namespace {

using testing_cuda::arrays_near;
using testing_cuda::CudaBackendTest;
using testing_cuda::random_values;
using testing_cuda::Twin;

class CudaAdamTest : public CudaBackendTest, public ::testing::WithParamInterface<bool> {};

TEST_P(CudaAdamTest, DenseUpdatesOverSeveralSteps) {
  const int64_t n = 4099;
  Twin<float> parameters(cpu, *gpu, random_values(n, 1));
  Twin<float> first(cpu, *gpu, std::vector<float>(n, 0.0f));
  Twin<float> second(cpu, *gpu, std::vector<float>(n, 0.0f));
  AdamSettings settings;
  settings.learning_rate = 0.01f;
  settings.weight_decay = 0.1f;
  settings.decoupled = GetParam();
  for (int64_t step = 1; step <= 3; ++step) {
    Twin<float> gradients(cpu, *gpu, random_values(n, 10 + step));
    settings.step = step;
    cpu.adam_update(parameters.cpu(), first.cpu(), second.cpu(), gradients.cpu(), n, settings);
    gpu->adam_update(parameters.gpu(), first.gpu(), second.gpu(), gradients.gpu(), n, settings);
  }
  EXPECT_TRUE(arrays_near(parameters.gpu_values(), parameters.cpu_values(), 1e-6, 1e-5));
  EXPECT_TRUE(arrays_near(first.gpu_values(), first.cpu_values(), 1e-6, 1e-5));
  EXPECT_TRUE(arrays_near(second.gpu_values(), second.cpu_values(), 1e-6, 1e-5));
}

INSTANTIATE_TEST_SUITE_P(WeightDecay, CudaAdamTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? std::string("AdamW") : std::string("AdamL2");
                         });

using CudaSparseOptimizerTest = CudaBackendTest;

TEST_F(CudaSparseOptimizerTest, LazyAdamTouchesOnlyListedRows) {
  const int64_t table_rows = 50, dim = 24;
  const std::vector<int32_t> touched = {3, 47, 0, 19, 20, 8};
  const int64_t count = static_cast<int64_t>(touched.size());
  Twin<float> table(cpu, *gpu, random_values(table_rows * dim, 2));
  Twin<float> first(cpu, *gpu, random_values(table_rows * dim, 3, 0.1f));
  std::vector<float> second_values = random_values(table_rows * dim, 4, 0.1f);
  for (auto& value : second_values) value = std::fabs(value);  // a second moment is >= 0
  Twin<float> second(cpu, *gpu, second_values);
  Twin<int32_t> rows(cpu, *gpu, touched);
  Twin<float> gradients(cpu, *gpu, random_values(count * dim, 5));
  AdamSettings settings;
  settings.step = 7;
  settings.learning_rate = 0.05f;
  cpu.sparse_adam_update(table.cpu(), first.cpu(), second.cpu(), rows.cpu(), gradients.cpu(), count,
                         dim, table_rows, settings);
  gpu->sparse_adam_update(table.gpu(), first.gpu(), second.gpu(), rows.gpu(), gradients.gpu(),
                          count, dim, table_rows, settings);
  EXPECT_TRUE(arrays_near(table.gpu_values(), table.cpu_values(), 1e-6, 1e-5)) << "table";
  EXPECT_TRUE(arrays_near(first.gpu_values(), first.cpu_values(), 1e-6, 1e-5)) << "m";
  EXPECT_TRUE(arrays_near(second.gpu_values(), second.cpu_values(), 1e-6, 1e-5)) << "v";
}

TEST_F(CudaSparseOptimizerTest, AdagradTouchesOnlyListedRows) {
  const int64_t table_rows = 40, dim = 33;
  const std::vector<int32_t> touched = {39, 1, 2, 17};
  const int64_t count = static_cast<int64_t>(touched.size());
  Twin<float> table(cpu, *gpu, random_values(table_rows * dim, 6));
  Twin<float> accumulator(cpu, *gpu, std::vector<float>(table_rows * dim, 0.1f));
  Twin<int32_t> rows(cpu, *gpu, touched);
  AdagradSettings settings;
  settings.learning_rate = 0.1f;
  for (int repeat = 0; repeat < 2; ++repeat) {
    Twin<float> gradients(cpu, *gpu, random_values(count * dim, 7 + repeat));
    cpu.sparse_adagrad_update(table.cpu(), accumulator.cpu(), rows.cpu(), gradients.cpu(), count,
                              dim, table_rows, settings);
    gpu->sparse_adagrad_update(table.gpu(), accumulator.gpu(), rows.gpu(), gradients.gpu(), count,
                               dim, table_rows, settings);
  }
  EXPECT_TRUE(arrays_near(table.gpu_values(), table.cpu_values(), 1e-6, 1e-5)) << "table";
  EXPECT_TRUE(arrays_near(accumulator.gpu_values(), accumulator.cpu_values(), 1e-6, 1e-5))
      << "accumulator";
}

}  // namespace
}  // namespace slatetrain
