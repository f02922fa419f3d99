// Dense Adam/AdamW and the sparse lazy Adam and Adagrad updates against naive loops.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "core/cpu_backend.hpp"
#include "core/error.hpp"
#include "tests/core_test_util.hpp"

namespace slatetrain {
namespace {

using testing_core::arrays_near;
using testing_core::random_values;

// Naive Adam on one value, in double.
void naive_adam(float& parameter, float& m, float& v, float gradient, const AdamSettings& s) {
  double g = gradient;
  if (!s.decoupled) g += double(s.weight_decay) * parameter;
  const double m_new = double(s.beta1) * m + (1.0 - s.beta1) * g;
  const double v_new = double(s.beta2) * v + (1.0 - s.beta2) * g * g;
  const double m_hat = m_new / (1.0 - std::pow(double(s.beta1), double(s.step)));
  const double v_hat = v_new / (1.0 - std::pow(double(s.beta2), double(s.step)));
  double update = m_hat / (std::sqrt(v_hat) + s.epsilon);
  if (s.decoupled) update += double(s.weight_decay) * parameter;
  parameter = float(parameter - s.learning_rate * update);
  m = float(m_new);
  v = float(v_new);
}

TEST(CoreOptimizer, DenseAdamAndAdamWOverSeveralSteps) {
  CpuBackend backend(2);
  for (bool decoupled : {true, false}) {
    const int n = 33;
    auto parameters = random_values(n, 80);
    std::vector<float> m(n, 0.0f), v(n, 0.0f);
    auto expected = parameters, em = m, ev = v;
    AdamSettings settings;
    settings.learning_rate = 0.01f;
    settings.weight_decay = 0.1f;
    settings.decoupled = decoupled;
    for (int step = 1; step <= 3; ++step) {
      settings.step = step;
      const auto gradients = random_values(n, 81 + uint64_t(step));
      backend.adam_update(parameters.data(), m.data(), v.data(), gradients.data(), n, settings);
      for (int i = 0; i < n; ++i) naive_adam(expected[i], em[i], ev[i], gradients[i], settings);
    }
    EXPECT_TRUE(arrays_near(parameters, expected, 1e-6, 1e-5)) << "decoupled=" << decoupled;
    EXPECT_TRUE(arrays_near(m, em, 1e-6, 1e-5));
    EXPECT_TRUE(arrays_near(v, ev, 1e-7, 1e-5));
  }
}

TEST(CoreOptimizer, SparseAdamTouchesOnlyListedRows) {
  CpuBackend backend(2);
  const int table_rows = 6, dim = 4;
  auto table = random_values(table_rows * dim, 90);
  auto m = random_values(table_rows * dim, 91, 0.1f);
  std::vector<float> v(table_rows * dim, 0.01f);
  const std::vector<int32_t> rows = {4, 1};
  const auto gradients = random_values(2 * dim, 92);
  auto expected = table, em = m, ev = v;
  AdamSettings settings;
  settings.learning_rate = 0.05f;
  settings.step = 7;
  backend.sparse_adam_update(table.data(), m.data(), v.data(), rows.data(), gradients.data(), 2,
                             dim, table_rows, settings);
  for (int i = 0; i < 2; ++i)
    for (int c = 0; c < dim; ++c) {
      const int at = rows[i] * dim + c;
      naive_adam(expected[at], em[at], ev[at], gradients[i * dim + c], settings);
    }
  EXPECT_TRUE(arrays_near(table, expected, 1e-6, 1e-5));
  EXPECT_TRUE(arrays_near(m, em, 1e-6, 1e-5));
  EXPECT_TRUE(arrays_near(v, ev, 1e-7, 1e-5));

  const std::vector<int32_t> repeated = {2, 2};
  EXPECT_THROW(backend.sparse_adam_update(table.data(), m.data(), v.data(), repeated.data(),
                                          gradients.data(), 2, dim, table_rows, settings),
               Error);
}

// The row check keeps its marks between calls (a bit per table row): a rejected call must
// leave none behind, or the next call would see its valid rows as repeated; a larger table
// after a smaller one must be checked over all of its rows.
TEST(CoreOptimizer, SparseRowCheckForgetsEveryCallIncludingRejectedOnes) {
  CpuBackend backend(1);
  const int dim = 2;
  AdamSettings settings;
  settings.step = 1;
  std::vector<float> table(200 * dim, 0.5f), m(200 * dim, 0.0f), v(200 * dim, 0.0f);
  const std::vector<float> gradients(4 * dim, 0.25f);
  const std::vector<int32_t> repeated = {3, 130, 67, 130};
  EXPECT_THROW(backend.sparse_adam_update(table.data(), m.data(), v.data(), repeated.data(),
                                          gradients.data(), 4, dim, 200, settings),
               Error);
  const std::vector<int32_t> outside = {3, 130, 200};
  EXPECT_THROW(backend.sparse_adam_update(table.data(), m.data(), v.data(), outside.data(),
                                          gradients.data(), 3, dim, 200, settings),
               Error);
  const std::vector<int32_t> rows = {3, 67, 130, 199};
  EXPECT_NO_THROW(backend.sparse_adam_update(table.data(), m.data(), v.data(), rows.data(),
                                             gradients.data(), 4, dim, 200, settings));
  EXPECT_NO_THROW(backend.sparse_adam_update(table.data(), m.data(), v.data(), rows.data(),
                                             gradients.data(), 4, dim, 200, settings));
  const std::vector<int32_t> small = {1, 0};
  EXPECT_NO_THROW(backend.sparse_adam_update(table.data(), m.data(), v.data(), small.data(),
                                             gradients.data(), 2, dim, 2, settings));
  const std::vector<int32_t> beyond_small = {2};
  EXPECT_THROW(backend.sparse_adam_update(table.data(), m.data(), v.data(), beyond_small.data(),
                                          gradients.data(), 1, dim, 2, settings),
               Error);
  std::vector<float> accumulator(200 * dim, 0.1f);
  AdagradSettings adagrad;
  EXPECT_THROW(backend.sparse_adagrad_update(table.data(), accumulator.data(), repeated.data(),
                                             gradients.data(), 4, dim, 200, adagrad),
               Error);
  EXPECT_NO_THROW(backend.sparse_adagrad_update(table.data(), accumulator.data(), rows.data(),
                                                gradients.data(), 4, dim, 200, adagrad));
  // A larger table after the smaller ones: its marks grow, and a repeat far past the earlier
  // tables' rows is still seen.
  std::vector<float> large(6000 * dim, 0.5f), large_m(6000 * dim, 0.0f), large_v(6000 * dim, 0.0f);
  const std::vector<int32_t> far = {5999, 4000, 5999};
  EXPECT_THROW(backend.sparse_adam_update(large.data(), large_m.data(), large_v.data(), far.data(),
                                          gradients.data(), 3, dim, 6000, settings),
               Error);
  const std::vector<int32_t> far_distinct = {5999, 4000, 3};
  EXPECT_NO_THROW(backend.sparse_adam_update(large.data(), large_m.data(), large_v.data(),
                                             far_distinct.data(), gradients.data(), 3, dim, 6000,
                                             settings));
}

// Many rows over several threads and chunks (the prefetch runs ahead within a chunk): every
// listed row gets exactly the scalar Adam step, bit for bit, and no other row changes.
TEST(CoreOptimizer, SparseAdamManyRowsBitwiseAsScalarSteps) {
  CpuBackend backend(2);
  const int table_rows = 5000, dim = 24, count = 1500;
  auto table = random_values(table_rows * dim, 95);
  auto m = random_values(table_rows * dim, 96, 0.1f);
  std::vector<float> v(table_rows * dim);
  for (size_t i = 0; i < v.size(); ++i) v[i] = 0.001f * float(i % 17 + 1);
  std::vector<int32_t> rows;
  for (int i = 0; i < count; ++i) rows.push_back((i * 7919) % table_rows);
  const auto gradients = random_values(count * dim, 97);
  auto expected = table, em = m, ev = v;
  AdamSettings settings;
  settings.learning_rate = 0.01f;
  settings.step = 3;
  const float first_correction = 1.0f - static_cast<float>(std::pow(double(0.9f), 3.0));
  const float second_correction = 1.0f - static_cast<float>(std::pow(double(0.999f), 3.0));
  for (int i = 0; i < count; ++i)
    for (int c = 0; c < dim; ++c) {
      const size_t at = size_t(rows[i]) * dim + c;
      const float g = gradients[size_t(i) * dim + c];
      em[at] = 0.9f * em[at] + (1.0f - 0.9f) * g;
      ev[at] = 0.999f * ev[at] + (1.0f - 0.999f) * g * g;
      const float update =
          (em[at] / first_correction) / (std::sqrt(ev[at] / second_correction) + 1e-8f);
      expected[at] -= 0.01f * update;
    }
  backend.sparse_adam_update(table.data(), m.data(), v.data(), rows.data(), gradients.data(), count,
                             dim, table_rows, settings);
  EXPECT_EQ(0, std::memcmp(table.data(), expected.data(), table.size() * sizeof(float)));
  EXPECT_EQ(0, std::memcmp(m.data(), em.data(), m.size() * sizeof(float)));
  EXPECT_EQ(0, std::memcmp(v.data(), ev.data(), v.size() * sizeof(float)));
}

TEST(CoreOptimizer, SparseAdagrad) {
  CpuBackend backend(2);
  const int table_rows = 5, dim = 3;
  auto table = random_values(table_rows * dim, 93);
  std::vector<float> accumulator(table_rows * dim, 0.1f);
  const std::vector<int32_t> rows = {0, 3, 2};
  const auto gradients = random_values(3 * dim, 94);
  auto expected = table, expected_accumulator = accumulator;
  AdagradSettings settings;
  settings.learning_rate = 0.1f;
  backend.sparse_adagrad_update(table.data(), accumulator.data(), rows.data(), gradients.data(), 3,
                                dim, table_rows, settings);
  for (int i = 0; i < 3; ++i)
    for (int c = 0; c < dim; ++c) {
      const int at = rows[i] * dim + c;
      const double g = gradients[i * dim + c];
      const double sum = double(expected_accumulator[at]) + g * g;
      expected_accumulator[at] = float(sum);
      expected[at] =
          float(expected[at] - settings.learning_rate * g / (std::sqrt(sum) + settings.epsilon));
    }
  EXPECT_TRUE(arrays_near(table, expected, 1e-6, 1e-5));
  EXPECT_TRUE(arrays_near(accumulator, expected_accumulator, 1e-6, 1e-5));
}

}  // namespace
}  // namespace slatetrain
