// The plain SGD row optimizer (optimizer.embedding.kind: sgd): only the listed rows move, by
// learning_rate times their gradient, and it keeps no state.
#include <gtest/gtest.h>

#include <vector>

#include "core/backend.hpp"
#include "models/optimizer_sparse_rows.hpp"

namespace slatetrain {
namespace {

RowOptimizerOptions sgd() {
  RowOptimizerOptions options;
  options.kind = RowOptimizerKind::kSgd;
  return options;
}

TEST(SparseRowSgd, MovesOnlyTheListedRowsByTheScaledGradient) {
  auto backend = make_backend(Device::kCpu);
  std::vector<float> table = {1, 1, 2, 2, 3, 3};  // [3 rows, 2 dims]
  SparseRowOptimizer optimizer(*backend, 3, 2, sgd());
  EXPECT_TRUE(optimizer.state_names().empty());
  const std::vector<int32_t> rows = {2, 0};
  const std::vector<float> gradients = {0.5f, -0.25f, 4.0f, 0.0f};
  optimizer.step(table.data(), rows.data(), gradients.data(), 2, 0.1f);
  EXPECT_FLOAT_EQ(table[0], 1.0f - 0.4f);
  EXPECT_FLOAT_EQ(table[1], 1.0f);
  EXPECT_EQ(table[2], 2.0f);
  EXPECT_EQ(table[3], 2.0f);
  EXPECT_FLOAT_EQ(table[4], 3.0f - 0.05f);
  EXPECT_FLOAT_EQ(table[5], 3.0f + 0.025f);
  EXPECT_EQ(optimizer.step_count(), 1);
  // A step with no rows only counts.
  optimizer.step(table.data(), nullptr, nullptr, 0, 0.1f);
  EXPECT_EQ(optimizer.step_count(), 2);
}

TEST(SparseRowSgd, TheStepIsProportionalToTheGradient) {
  // Unlike Adam (about lr per touch whatever the gradient): a 1000x smaller gradient, a 1000x
  // smaller step.
  auto backend = make_backend(Device::kCpu);
  std::vector<float> table = {0, 0};
  SparseRowOptimizer optimizer(*backend, 2, 1, sgd());
  const std::vector<int32_t> rows = {0, 1};
  const std::vector<float> gradients = {1.0f, 1e-3f};
  optimizer.step(table.data(), rows.data(), gradients.data(), 2, 0.5f);
  EXPECT_FLOAT_EQ(table[0], -0.5f);
  EXPECT_FLOAT_EQ(table[1], -0.5e-3f);
}

TEST(SparseRowSgd, TheNameParsesBothWays) {
  EXPECT_EQ(parse_row_optimizer_kind("sgd"), RowOptimizerKind::kSgd);
  EXPECT_STREQ(row_optimizer_name(RowOptimizerKind::kSgd), "sgd");
  EXPECT_STREQ(row_optimizer_name(RowOptimizerKind::kAdagrad), "adagrad");
  EXPECT_THROW(parse_row_optimizer_kind("sgdm"), std::exception);
}

}  // namespace
}  // namespace slatetrain
