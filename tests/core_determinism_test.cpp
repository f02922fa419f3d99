// The CPU backend's scatters and reductions give bitwise the same result for any thread
// count (checkpoint/resume and the np=1 vs np=W comparisons rely on it).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "core/cpu_backend.hpp"
#include "core/random.hpp"
#include "tests/core_test_util.hpp"

namespace slatetrain {
namespace {

using testing_core::random_values;

struct Results {
  std::vector<float> dtable, duser, drows, dbias;
  double norm = 0.0, loss = 0.0;
};

Results run(int threads) {
  CpuBackend backend(threads);
  const int n = 300, slate = 9, dim = 48, rows = 40, negatives = 6;
  const auto user = random_values(static_cast<size_t>(n * dim), 1);
  const auto table = random_values(static_cast<size_t>(rows * dim), 2);
  const auto dscores = random_values(static_cast<size_t>(n * slate), 3);
  std::vector<int32_t> index(static_cast<size_t>(n)), slate_index(static_cast<size_t>(n * slate)),
      lengths(static_cast<size_t>(n), 2);
  std::vector<int32_t> positive(static_cast<size_t>(n)),
      negative(static_cast<size_t>(n * negatives));
  for (int i = 0; i < n; ++i) {
    index[static_cast<size_t>(i)] = (i * 7) % rows;
    positive[static_cast<size_t>(i)] = (i * 3) % rows;
    for (int j = 0; j < slate; ++j)
      slate_index[static_cast<size_t>(i * slate + j)] = (i + j * 5) % rows;
    for (int k = 0; k < negatives; ++k)
      negative[static_cast<size_t>(i * negatives + k)] = (i * 11 + k) % rows;
  }
  const std::vector<uint8_t> mask(static_cast<size_t>(n), 1);
  Results results;
  results.dtable.assign(static_cast<size_t>(rows * dim), 0.0f);
  backend.embedding_backward(results.dtable.data(), user.data(), index.data(), n, dim, rows);
  results.duser.assign(static_cast<size_t>(n * dim), 0.0f);
  results.drows.assign(static_cast<size_t>(rows * dim), 0.0f);
  results.dbias.assign(4, 0.0f);
  backend.slate_scores_backward(results.duser.data(), results.drows.data(), results.dbias.data(),
                                dscores.data(), user.data(), table.data(), slate_index.data(),
                                lengths.data(), n, slate, dim, rows, 4);
  results.loss = backend.sampled_softmax_loss(
      results.duser.data(), results.drows.data(), nullptr, user.data(), table.data(),
      positive.data(), negative.data(), nullptr, mask.data(), n, negatives, dim, rows, 0.01f);
  const auto big = random_values(100000, 4);
  results.norm = backend.squared_norm(big.data(), int64_t(big.size()));
  return results;
}

bool bitwise_equal(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST(CoreDeterminism, SameBitsForOneAndThreeThreads) {
  const Results one = run(1), three = run(3);
  EXPECT_TRUE(bitwise_equal(one.dtable, three.dtable)) << "embedding_backward";
  EXPECT_TRUE(bitwise_equal(one.duser, three.duser)) << "duser";
  EXPECT_TRUE(bitwise_equal(one.drows, three.drows)) << "drows";
  EXPECT_TRUE(bitwise_equal(one.dbias, three.dbias)) << "dno_click_bias";
  EXPECT_EQ(one.loss, three.loss);
  EXPECT_EQ(one.norm, three.norm);
}

// The column-owned loops (bias and embedding gradients) take one chunk of whole cache lines per
// thread: the same bits for any thread count, including widths that are not a multiple of the
// chunk and more threads than chunks, and the sums a plain loop gives.
TEST(CoreDeterminism, ColumnOwnedSumsSameBitsForAnyThreadCount) {
  auto column_sums = [](int threads, int64_t cols) {
    CpuBackend backend(threads);
    const int64_t rows = 513, table_rows = 29;
    const auto dy = random_values(static_cast<size_t>(rows * cols), 5);
    std::vector<float> out(static_cast<size_t>(cols), 0.25f);
    backend.bias_backward(out.data(), dy.data(), rows, cols);
    std::vector<int32_t> index(static_cast<size_t>(rows));
    for (int64_t i = 0; i < rows; ++i) index[static_cast<size_t>(i)] = (i * 5) % table_rows - 1;
    std::vector<float> table(static_cast<size_t>(table_rows * cols), 0.5f);
    backend.embedding_backward(table.data(), dy.data(), index.data(), rows, cols, table_rows);
    out.insert(out.end(), table.begin(), table.end());
    return out;
  };
  for (const int64_t cols : {int64_t{5}, int64_t{37}, int64_t{64}, int64_t{192}}) {
    const auto one = column_sums(1, cols);
    // The bias gradient against a plain double-precision loop over the rows.
    const auto dy = random_values(static_cast<size_t>(513 * cols), 5);
    for (int64_t c = 0; c < cols; ++c) {
      double sum = 0.25;
      for (int64_t r = 0; r < 513; ++r) sum += dy[static_cast<size_t>(r * cols + c)];
      EXPECT_NEAR(one[static_cast<size_t>(c)], sum, 1e-4 * (1.0 + std::fabs(sum)))
          << "column " << c;
    }
    for (const int threads : {2, 3, 5}) {
      EXPECT_TRUE(bitwise_equal(one, column_sums(threads, cols)))
          << cols << " columns, " << threads << " threads";
    }
  }
}

// The samplers hash the seed and the user once per step (hash_key) and each draw's counter after
// (hash_with_key); the two parts must give hash_mix's value, which earlier runs and checkpoints
// drew their negatives and dropout masks with.
TEST(CoreDeterminism, HashInTwoPartsIsHashMix) {
  for (uint64_t seed : {uint64_t{0}, uint64_t{1}, uint64_t{0x706f70}, ~uint64_t{0}}) {
    for (uint64_t stream : {uint64_t{0}, uint64_t{17}, uint64_t{1} << 40}) {
      for (uint64_t counter : {uint64_t{0}, uint64_t{255}, uint64_t{1} << 33}) {
        const uint64_t written_out = mix64(mix64(seed ^ mix64(stream)) + counter);
        EXPECT_EQ(hash_with_key(hash_key(seed, stream), counter), written_out);
        EXPECT_EQ(hash_mix(seed, stream, counter), written_out);
      }
    }
  }
}

}  // namespace
}  // namespace slatetrain
