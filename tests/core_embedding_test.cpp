// Embedding gather, scatter-add and segment sum against naive loops.
#include <gtest/gtest.h>

#include <vector>

#include "core/cpu_backend.hpp"
#include "core/error.hpp"
#include "tests/core_test_util.hpp"

namespace slatetrain {
namespace {

using testing_core::arrays_near;
using testing_core::random_values;

TEST(CoreEmbedding, GatherRowsWithMinusOneAsZero) {
  CpuBackend backend(2);
  const int rows = 6, dim = 5;
  const auto table = random_values(rows * dim, 20);
  const std::vector<int32_t> index = {3, -1, 0, 3, 5, 2, -1};
  const int n = static_cast<int>(index.size());
  std::vector<float> out(n * dim, 9.0f);
  backend.embedding_forward(out.data(), table.data(), index.data(), n, dim, rows);
  std::vector<float> expected(n * dim, 0.0f);
  for (int i = 0; i < n; ++i)
    for (int c = 0; c < dim && index[i] >= 0; ++c)
      expected[i * dim + c] = table[index[i] * dim + c];
  EXPECT_TRUE(arrays_near(out, expected, 0.0));
}

TEST(CoreEmbedding, GatherRefusesIndexOutOfRange) {
  CpuBackend backend(1);
  const std::vector<float> table(4 * 2, 1.0f);
  const std::vector<int32_t> index = {0, 4};
  std::vector<float> out(4);
  try {
    backend.embedding_forward(out.data(), table.data(), index.data(), 2, 2, 4);
    FAIL() << "index 4 of a 4-row table accepted";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("index[1] = 4"), std::string::npos) << error.what();
  }
}

TEST(CoreEmbedding, ScatterAddAccumulatesRepeatedIndices) {
  CpuBackend backend(2);
  const int rows = 5, dim = 40;  // dim above the column grain: several threads
  const std::vector<int32_t> index = {1, 4, 1, -1, 0, 1};
  const int n = static_cast<int>(index.size());
  const auto dout = random_values(n * dim, 21);
  auto dtable = random_values(rows * dim, 22);
  auto expected = dtable;
  backend.embedding_backward(dtable.data(), dout.data(), index.data(), n, dim, rows);
  for (int i = 0; i < n; ++i)
    for (int c = 0; c < dim && index[i] >= 0; ++c)
      expected[index[i] * dim + c] += dout[i * dim + c];
  EXPECT_TRUE(arrays_near(dtable, expected, 1e-6));
}

TEST(CoreEmbedding, SegmentSumWithEmptySegments) {
  CpuBackend backend(2);
  const int dim = 3;
  const std::vector<int64_t> offsets = {0, 2, 2, 5, 6};
  const auto x = random_values(6 * dim, 23);
  std::vector<float> out(4 * dim, 7.0f);
  backend.segment_sum(out.data(), x.data(), offsets.data(), 4, dim);
  std::vector<float> expected(4 * dim, 0.0f);
  for (int s = 0; s < 4; ++s)
    for (int64_t r = offsets[s]; r < offsets[s + 1]; ++r)
      for (int c = 0; c < dim; ++c) expected[s * dim + c] += x[r * dim + c];
  EXPECT_TRUE(arrays_near(out, expected, 1e-6));
  const std::vector<int64_t> decreasing = {0, 3, 2};
  EXPECT_THROW(backend.segment_sum(out.data(), x.data(), decreasing.data(), 2, dim), Error);
}

}  // namespace
}  // namespace slatetrain
