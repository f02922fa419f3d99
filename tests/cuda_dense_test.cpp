// CudaBackend against CpuBackend: memory ops, gemm (every transpose combination), bias,
// elementwise ops and the squared norm, on random inputs.
#include "tests/cuda_test_support.hpp"

namespace slatetrain {
namespace {

using testing_cuda::arrays_equal;
using testing_cuda::arrays_near;
using testing_cuda::CudaBackendTest;
using testing_cuda::random_values;
using testing_cuda::Twin;

using CudaDenseTest = CudaBackendTest;

TEST_F(CudaDenseTest, MemoryOpsRoundTrip) {
  const std::vector<float> values = random_values(1000, 1);
  Twin<float> a(cpu, *gpu, values), b(cpu, *gpu, random_values(1000, 2));
  gpu->copy_on_device(b.gpu(), a.gpu(), 400 * sizeof(float));
  cpu.copy_on_device(b.cpu(), a.cpu(), 400 * sizeof(float));
  gpu->zero(b.gpu() + 900, 50 * sizeof(float));
  cpu.zero(b.cpu() + 900, 50 * sizeof(float));
  gpu->fill(b.gpu() + 500, 100, 2.5f);
  cpu.fill(b.cpu() + 500, 100, 2.5f);
  EXPECT_TRUE(arrays_near(b.gpu_values(), b.cpu_values(), 0.0));
  Twin<int32_t> integers(cpu, *gpu, std::vector<int32_t>(77, 3));
  gpu->fill_int32(integers.gpu() + 10, 40, -7);
  cpu.fill_int32(integers.cpu() + 10, 40, -7);
  EXPECT_TRUE(arrays_equal(integers.gpu_values(), integers.cpu_values()));
}

TEST_F(CudaDenseTest, GemmEveryTransposeCombination) {
  const int64_t m = 37, n = 29, k = 45;
  for (int transpose_a = 0; transpose_a < 2; ++transpose_a) {
    for (int transpose_b = 0; transpose_b < 2; ++transpose_b) {
      SCOPED_TRACE(::testing::Message()
                   << "transpose_a " << transpose_a << ", transpose_b " << transpose_b);
      Twin<float> a(cpu, *gpu, random_values(m * k, 10 + transpose_a));
      Twin<float> b(cpu, *gpu, random_values(k * n, 20 + transpose_b));
      Twin<float> c(cpu, *gpu, random_values(m * n, 30));
      cpu.gemm(transpose_a, transpose_b, m, n, k, 0.7f, a.cpu(), b.cpu(), 0.3f, c.cpu());
      gpu->gemm(transpose_a, transpose_b, m, n, k, 0.7f, a.gpu(), b.gpu(), 0.3f, c.gpu());
      EXPECT_TRUE(arrays_near(c.gpu_values(), c.cpu_values(), 1e-5, 1e-5));
    }
  }
}

TEST_F(CudaDenseTest, GemmWithZeroBetaIgnoresNaNInOutput) {
  const int64_t m = 8, n = 6, k = 5;
  Twin<float> a(cpu, *gpu, random_values(m * k, 1)), b(cpu, *gpu, random_values(k * n, 2));
  Twin<float> c(cpu, *gpu, std::vector<float>(m * n, std::nanf("")));
  cpu.gemm(false, false, m, n, k, 1.0f, a.cpu(), b.cpu(), 0.0f, c.cpu());
  gpu->gemm(false, false, m, n, k, 1.0f, a.gpu(), b.gpu(), 0.0f, c.gpu());
  EXPECT_TRUE(arrays_near(c.gpu_values(), c.cpu_values(), 1e-5, 1e-5));
}

TEST_F(CudaDenseTest, GemmStridedBatched) {
  const int64_t m = 9, n = 7, k = 11, batch = 5;
  for (int transposes = 0; transposes < 4; ++transposes) {
    const bool transpose_a = transposes & 1, transpose_b = transposes & 2;
    Twin<float> a(cpu, *gpu, random_values(batch * m * k, 3));
    Twin<float> b(cpu, *gpu, random_values(batch * k * n, 4));
    Twin<float> c(cpu, *gpu, random_values(batch * m * n, 5));
    cpu.gemm_strided_batched(transpose_a, transpose_b, m, n, k, 1.5f, a.cpu(), m * k, b.cpu(),
                             k * n, 0.5f, c.cpu(), m * n, batch);
    gpu->gemm_strided_batched(transpose_a, transpose_b, m, n, k, 1.5f, a.gpu(), m * k, b.gpu(),
                              k * n, 0.5f, c.gpu(), m * n, batch);
    EXPECT_TRUE(arrays_near(c.gpu_values(), c.cpu_values(), 1e-5, 1e-5))
        << "transposes " << transposes;
  }
}

TEST_F(CudaDenseTest, BiasAndBiasGradient) {
  const int64_t rows = 301, cols = 70;
  Twin<float> y(cpu, *gpu, random_values(rows * cols, 6));
  Twin<float> bias(cpu, *gpu, random_values(cols, 7));
  cpu.add_bias(y.cpu(), bias.cpu(), rows, cols);
  gpu->add_bias(y.gpu(), bias.gpu(), rows, cols);
  EXPECT_TRUE(arrays_near(y.gpu_values(), y.cpu_values(), 1e-6));
  // Accumulates onto what dbias held.
  Twin<float> dbias(cpu, *gpu, random_values(cols, 8));
  cpu.bias_backward(dbias.cpu(), y.cpu(), rows, cols);
  gpu->bias_backward(dbias.gpu(), y.gpu(), rows, cols);
  EXPECT_TRUE(arrays_near(dbias.gpu_values(), dbias.cpu_values(), 1e-4, 1e-5));
}

TEST_F(CudaDenseTest, ElementwiseOps) {
  const int64_t n = 5003;
  Twin<float> x(cpu, *gpu, random_values(n, 9, 4.0f));
  Twin<float> y(cpu, *gpu, random_values(n, 10));
  Twin<float> dy(cpu, *gpu, random_values(n, 11));
  Twin<float> out(cpu, *gpu, std::vector<float>(n, 0.0f));

  cpu.axpy(y.cpu(), x.cpu(), n, -0.75f);
  gpu->axpy(y.gpu(), x.gpu(), n, -0.75f);
  EXPECT_TRUE(arrays_near(y.gpu_values(), y.cpu_values(), 1e-6)) << "axpy";
  cpu.scale(y.cpu(), n, 1.25f);
  gpu->scale(y.gpu(), n, 1.25f);
  EXPECT_TRUE(arrays_near(y.gpu_values(), y.cpu_values(), 1e-6)) << "scale";

  cpu.sigmoid_forward(out.cpu(), x.cpu(), n);
  gpu->sigmoid_forward(out.gpu(), x.gpu(), n);
  EXPECT_TRUE(arrays_near(out.gpu_values(), out.cpu_values(), 1e-6)) << "sigmoid_forward";
  cpu.sigmoid_backward(y.cpu(), dy.cpu(), out.cpu(), n);
  gpu->sigmoid_backward(y.gpu(), dy.gpu(), out.gpu(), n);
  EXPECT_TRUE(arrays_near(y.gpu_values(), y.cpu_values(), 1e-6)) << "sigmoid_backward";

  cpu.tanh_forward(out.cpu(), x.cpu(), n);
  gpu->tanh_forward(out.gpu(), x.gpu(), n);
  EXPECT_TRUE(arrays_near(out.gpu_values(), out.cpu_values(), 1e-6)) << "tanh_forward";
  cpu.tanh_backward(y.cpu(), dy.cpu(), out.cpu(), n);
  gpu->tanh_backward(y.gpu(), dy.gpu(), out.gpu(), n);
  EXPECT_TRUE(arrays_near(y.gpu_values(), y.cpu_values(), 1e-6)) << "tanh_backward";
}

TEST_F(CudaDenseTest, SquaredNorm) {
  for (int64_t n : {1, 255, 100003}) {
    Twin<float> x(cpu, *gpu, random_values(n, 12 + n));
    const double expected = cpu.squared_norm(x.cpu(), n);
    const double actual = gpu->squared_norm(x.gpu(), n);
    EXPECT_NEAR(actual, expected, 1e-9 * n + 1e-12) << "n " << n;
  }
}

}  // namespace
}  // namespace slatetrain
