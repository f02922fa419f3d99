// gemm (every transpose combination, alpha/beta, batched), bias ops, elementwise ops and the
// squared norm against naive loops.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/cpu_backend.hpp"
#include "tests/core_test_util.hpp"

namespace slatetrain {
namespace {

using testing_core::arrays_near;
using testing_core::random_values;

// C = alpha op(A) op(B) + beta C with plain loops in double.
std::vector<float> naive_gemm(bool transpose_a, bool transpose_b, int m, int n, int k, float alpha,
                              const std::vector<float>& a, const std::vector<float>& b, float beta,
                              const std::vector<float>& c) {
  std::vector<float> result(c);
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < n; ++j) {
      double sum = 0.0;
      for (int p = 0; p < k; ++p) {
        const float a_value = transpose_a ? a[p * m + i] : a[i * k + p];
        const float b_value = transpose_b ? b[j * k + p] : b[p * n + j];
        sum += double(a_value) * b_value;
      }
      result[i * n + j] = static_cast<float>(alpha * sum + beta * c[i * n + j]);
    }
  }
  return result;
}

TEST(CoreLinearAlgebra, GemmAllTransposeCombinations) {
  CpuBackend backend(2);
  const int m = 5, n = 7, k = 3;
  for (bool transpose_a : {false, true}) {
    for (bool transpose_b : {false, true}) {
      const auto a = random_values(m * k, 1);
      const auto b = random_values(k * n, 2);
      const auto c = random_values(m * n, 3);
      auto result = c;
      backend.gemm(transpose_a, transpose_b, m, n, k, 0.7f, a.data(), b.data(), 0.3f,
                   result.data());
      EXPECT_TRUE(arrays_near(
          result, naive_gemm(transpose_a, transpose_b, m, n, k, 0.7f, a, b, 0.3f, c), 1e-5, 1e-5))
          << "transpose_a=" << transpose_a << " transpose_b=" << transpose_b;
    }
  }
}

TEST(CoreLinearAlgebra, LargeGemmSplitOverThreads) {
  // Large enough (m*n*k above 2^18) for the pool to split C's rows over threads.
  CpuBackend backend(3);
  const int m = 71, n = 65, k = 66;
  for (bool transpose_a : {false, true}) {
    for (bool transpose_b : {false, true}) {
      const auto a = random_values(m * k, 14);
      const auto b = random_values(k * n, 15);
      const auto c = random_values(m * n, 16);
      auto result = c;
      backend.gemm(transpose_a, transpose_b, m, n, k, 1.5f, a.data(), b.data(), -1.0f,
                   result.data());
      EXPECT_TRUE(arrays_near(
          result, naive_gemm(transpose_a, transpose_b, m, n, k, 1.5f, a, b, -1.0f, c), 1e-4, 1e-5))
          << "transpose_a=" << transpose_a << " transpose_b=" << transpose_b;
    }
  }
}

TEST(CoreLinearAlgebra, GemmBetaZeroIgnoresNan) {
  CpuBackend backend(1);
  const auto a = random_values(6, 4), b = random_values(6, 5);
  std::vector<float> c(4, std::nanf(""));
  backend.gemm(false, false, 2, 2, 3, 1.0f, a.data(), b.data(), 0.0f, c.data());
  EXPECT_TRUE(arrays_near(
      c, naive_gemm(false, false, 2, 2, 3, 1.0f, a, b, 0.0f, std::vector<float>(4, 0.0f)), 1e-5));
}

TEST(CoreLinearAlgebra, GemmStridedBatched) {
  CpuBackend backend(2);
  const int m = 3, n = 4, k = 5, batch = 3;
  const auto a = random_values(batch * k * m, 6);  // transposed: each [k, m]
  const auto b = random_values(batch * k * n, 7);
  std::vector<float> c(batch * m * n, 0.0f);
  backend.gemm_strided_batched(true, false, m, n, k, 1.0f, a.data(), k * m, b.data(), k * n, 0.0f,
                               c.data(), m * n, batch);
  for (int i = 0; i < batch; ++i) {
    std::vector<float> a_i(a.begin() + i * k * m, a.begin() + (i + 1) * k * m);
    std::vector<float> b_i(b.begin() + i * k * n, b.begin() + (i + 1) * k * n);
    std::vector<float> c_i(c.begin() + i * m * n, c.begin() + (i + 1) * m * n);
    EXPECT_TRUE(arrays_near(
        c_i,
        naive_gemm(true, false, m, n, k, 1.0f, a_i, b_i, 0.0f, std::vector<float>(m * n, 0.0f)),
        1e-5))
        << "batch " << i;
  }
}

TEST(CoreLinearAlgebra, AddBiasAndBiasBackward) {
  CpuBackend backend(2);
  const int rows = 37, cols = 19;
  const auto y = random_values(rows * cols, 8), bias = random_values(cols, 9);
  auto result = y;
  backend.add_bias(result.data(), bias.data(), rows, cols);
  std::vector<float> expected = y;
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) expected[r * cols + c] += bias[c];
  EXPECT_TRUE(arrays_near(result, expected, 1e-6));

  // Accumulates into dbias.
  std::vector<float> dbias(cols, 1.0f);
  backend.bias_backward(dbias.data(), y.data(), rows, cols);
  std::vector<float> sums(cols, 1.0f);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) sums[c] += y[r * cols + c];
  EXPECT_TRUE(arrays_near(dbias, sums, 1e-5));
}

TEST(CoreElementwise, AxpyScaleSigmoidTanh) {
  CpuBackend backend(2);
  const int n = 40000;  // above the parallel grain
  const auto x = random_values(n, 10, 4.0f), y0 = random_values(n, 11), dy = random_values(n, 12);
  auto y = y0;
  backend.axpy(y.data(), x.data(), n, -0.5f);
  std::vector<float> expected(n);
  for (int i = 0; i < n; ++i) expected[i] = y0[i] - 0.5f * x[i];
  EXPECT_TRUE(arrays_near(y, expected, 1e-6));

  backend.scale(y.data(), n, 3.0f);
  for (auto& value : expected) value *= 3.0f;
  EXPECT_TRUE(arrays_near(y, expected, 1e-5));

  std::vector<float> s(n), ds(n), t(n), dt(n);
  backend.sigmoid_forward(s.data(), x.data(), n);
  backend.sigmoid_backward(ds.data(), dy.data(), s.data(), n);
  backend.tanh_forward(t.data(), x.data(), n);
  backend.tanh_backward(dt.data(), dy.data(), t.data(), n);
  std::vector<float> es(n), eds(n), et(n), edt(n);
  for (int i = 0; i < n; ++i) {
    const double sig = 1.0 / (1.0 + std::exp(-double(x[i])));
    es[i] = float(sig);
    eds[i] = float(dy[i] * sig * (1.0 - sig));
    et[i] = float(std::tanh(double(x[i])));
    edt[i] = float(dy[i] * (1.0 - std::tanh(double(x[i])) * std::tanh(double(x[i]))));
  }
  EXPECT_TRUE(arrays_near(s, es, 1e-6));
  EXPECT_TRUE(arrays_near(ds, eds, 1e-6));
  EXPECT_TRUE(arrays_near(t, et, 1e-6));
  EXPECT_TRUE(arrays_near(dt, edt, 1e-6));
}

TEST(CoreElementwise, SquaredNorm) {
  CpuBackend backend(2);
  const int n = 50001;
  const auto x = random_values(n, 13);
  double expected = 0.0;
  for (float value : x) expected += double(value) * value;
  EXPECT_NEAR(backend.squared_norm(x.data(), n), expected, 1e-9 * expected);
  EXPECT_EQ(backend.squared_norm(x.data(), 0), 0.0);
}

}  // namespace
}  // namespace slatetrain
