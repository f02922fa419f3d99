// Lazy row-wise Adam and Adagrad: only the listed rows change, with hand-computed values.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/backend.hpp"
#include "core/error.hpp"
#include "models/optimizer_sparse_rows.hpp"

namespace slatetrain {
namespace {

TEST(SparseRowOptimizer, LazyAdamTouchesOnlyListedRowsWithTheGlobalStep) {
  auto backend = make_backend(Device::kCpu);
  // Table [3 rows, 2 dims].
  std::vector<float> table = {1, 1, 2, 2, 3, 3};
  SparseRowOptimizer optimizer(*backend, 3, 2, RowOptimizerOptions{});
  ASSERT_EQ(optimizer.state_names(),
            std::vector<std::string>({"adam_first_moment", "adam_second_moment"}));
  // Step 1 touches row 2 only: it moves by lr * sign(g).
  const std::vector<int32_t> step1_rows = {2};
  const std::vector<float> step1_grads = {0.5f, -0.5f};
  optimizer.step(table.data(), step1_rows.data(), step1_grads.data(), 1, 0.1f);
  EXPECT_NEAR(table[4], 2.9, 1e-6);
  EXPECT_NEAR(table[5], 3.1, 1e-6);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(table[i], i < 2 ? 1.0f : 2.0f) << "index " << i;
  // Step 2 touches row 0 for the first time: bias correction with step 2.
  //   m = 0.1 g, v = 0.001 g^2; m^ = 0.1 g / 0.19; v^ = 0.001 g^2 / 0.001999
  //   update = lr * (0.1/0.19) / sqrt(0.001/0.001999) = 0.1 * 0.5263158 / 0.7072836 = 0.0744142
  const std::vector<int32_t> step2_rows = {0};
  const std::vector<float> step2_grads = {2.0f, -1.0f};
  optimizer.step(table.data(), step2_rows.data(), step2_grads.data(), 1, 0.1f);
  EXPECT_NEAR(table[0], 1.0 - 0.0744142, 1e-6);
  EXPECT_NEAR(table[1], 1.0 + 0.0744142, 1e-6);
  EXPECT_EQ(table[2], 2.0f);
  EXPECT_NEAR(table[4], 2.9, 1e-6);  // row 2 untouched by step 2 (lazy: no moment decay)
  const std::vector<float> first_moment = optimizer.state(0).to_host<float>();
  EXPECT_NEAR(first_moment[4], 0.05, 1e-7);
  EXPECT_EQ(first_moment[2], 0.0f);
  EXPECT_EQ(optimizer.step_count(), 2);
  // A step with no rows on this rank still counts.
  optimizer.step(table.data(), nullptr, nullptr, 0, 0.1f);
  EXPECT_EQ(optimizer.step_count(), 3);
  EXPECT_THROW(optimizer.state(2), Error);
}

TEST(SparseRowOptimizer, AdagradByHand) {
  auto backend = make_backend(Device::kCpu);
  RowOptimizerOptions options;
  options.kind = RowOptimizerKind::kAdagrad;
  options.initial_accumulator = 0.1f;
  std::vector<float> table = {1, 1, 1, 1};  // [2, 2]
  SparseRowOptimizer optimizer(*backend, 2, 2, options);
  ASSERT_EQ(optimizer.state_names(), std::vector<std::string>({"adagrad_accumulator"}));
  // a = 0.1 + 0.25 = 0.35; p = 1 - 0.1 * 0.5 / sqrt(0.35) = 1 - 0.0845154 = 0.9154846.
  // Second dimension g = 0: a = 0.1, p stays 1.
  const std::vector<int32_t> rows = {1};
  const std::vector<float> grads = {0.5f, 0.0f};
  optimizer.step(table.data(), rows.data(), grads.data(), 1, 0.1f);
  EXPECT_NEAR(table[2], 0.9154846, 1e-6);
  EXPECT_EQ(table[3], 1.0f);
  EXPECT_EQ(table[0], 1.0f);
  const std::vector<float> accumulator = optimizer.state(0).to_host<float>();
  EXPECT_NEAR(accumulator[2], 0.35, 1e-7);
  EXPECT_NEAR(accumulator[0], 0.1, 1e-7);
}

TEST(SparseRowOptimizer, ParsesKindNames) {
  EXPECT_EQ(parse_row_optimizer_kind("adam"), RowOptimizerKind::kAdam);
  EXPECT_EQ(parse_row_optimizer_kind("adagrad"), RowOptimizerKind::kAdagrad);
  EXPECT_THROW(parse_row_optimizer_kind("rmsprop"), Error);  // sgd is a kind
  EXPECT_STREQ(row_optimizer_name(RowOptimizerKind::kAdagrad), "adagrad");
}

}  // namespace
}  // namespace slatetrain
