// Linear, EmbeddingLookup and InteractionTypeEmbedding: backward against central finite
// differences of L = sum(w * y) for a fixed random w (double accumulation).
#include <gtest/gtest.h>

#include <vector>

#include "core/cpu_backend.hpp"
#include "core/random.hpp"
#include "models/embedding_lookup.hpp"
#include "models/interaction_type_embedding.hpp"
#include "models/linear.hpp"
#include "tests/models_test_support.hpp"

namespace slatetrain {
namespace {

using testing::all_near;
using testing::matches_finite_differences;

std::vector<float> random_values(Random& random, size_t n, double scale = 1.0) {
  std::vector<float> values(n);
  for (float& value : values) value = static_cast<float>(scale * random.normal());
  return values;
}

double weighted_sum(const std::vector<float>& y, const std::vector<float>& w) {
  double sum = 0.0;
  for (size_t i = 0; i < y.size(); ++i) sum += static_cast<double>(y[i]) * w[i];
  return sum;
}

TEST(LinearLayer, BackwardMatchesFiniteDifferences) {
  CpuBackend backend(1);
  Random random(11);
  const int64_t n = 4, I = 3, O = 5;
  const Linear linear{I, O};
  std::vector<float> x = random_values(random, n * I), weight = random_values(random, O * I),
                     bias = random_values(random, O), w = random_values(random, n * O);
  std::vector<float> y(n * O);
  auto loss = [&] {
    linear.forward(backend, y.data(), x.data(), weight.data(), bias.data(), n);
    return weighted_sum(y, w);
  };
  // Accumulation: parameter gradients start at 1 and must come out as 1 + gradient.
  std::vector<float> dx(n * I, 5.0f), dweight(O * I, 1.0f), dbias(O, 1.0f);
  linear.backward(backend, dx.data(), dweight.data(), dbias.data(), w.data(), x.data(),
                  weight.data(), n);
  for (float& value : dweight) value -= 1.0f;
  for (float& value : dbias) value -= 1.0f;
  EXPECT_TRUE(matches_finite_differences("dx", x, dx, loss));
  EXPECT_TRUE(matches_finite_differences("dweight", weight, dweight, loss));
  EXPECT_TRUE(matches_finite_differences("dbias", bias, dbias, loss));
}

TEST(LinearLayer, WithoutBiasIsAPlainProduct) {
  CpuBackend backend(1);
  const Linear linear{2, 2};
  const std::vector<float> x = {1, 2, 3, 4}, weight = {1, 0, 2, 1};  // y = [x0, 2 x0 + x1]
  std::vector<float> y(4);
  linear.forward(backend, y.data(), x.data(), weight.data(), nullptr, 2);
  EXPECT_TRUE(all_near("y", y, std::vector<float>{1, 4, 3, 10}, 1e-6));
}

TEST(EmbeddingLookupLayer, GathersRowsAndScatterAddsGradients) {
  CpuBackend backend(1);
  Random random(12);
  const int64_t R = 5, D = 3, n = 6;
  const EmbeddingLookup lookup{R, D};
  std::vector<float> table = random_values(random, R * D), w = random_values(random, n * D);
  const std::vector<int32_t> index = {2, -1, 0, 2, 4, 2};  // repeats and a missing row
  std::vector<float> out(n * D);
  auto loss = [&] {
    lookup.forward(backend, out.data(), table.data(), index.data(), n);
    return weighted_sum(out, w);
  };
  loss();
  for (int64_t d = 0; d < D; ++d) {
    EXPECT_EQ(out[1 * D + d], 0.0f) << "index -1 gives a zero row, column " << d;
    EXPECT_EQ(out[4 * D + d], table[4 * D + d]) << "row 4 column " << d;
  }
  std::vector<float> dtable(R * D, 0.0f);
  lookup.backward(backend, dtable.data(), w.data(), index.data(), n);
  EXPECT_TRUE(matches_finite_differences("dtable", table, dtable, loss));
}

TEST(InteractionTypeEmbeddingLayer, AddsTypeVectorsAndAccumulatesTheirGradients) {
  CpuBackend backend(1);
  Random random(13);
  const int64_t types = 3, D = 4, n = 5;
  InteractionTypeEmbedding embedding(types, D);
  std::vector<float> table = random_values(random, types * D), w = random_values(random, n * D);
  const std::vector<float> x0 = random_values(random, n * D);
  const std::vector<int32_t> type = {0, 2, 1, 2, 2};
  std::vector<float> x(n * D);
  auto loss = [&] {
    x = x0;
    embedding.forward(backend, x.data(), table.data(), type.data(), n);
    return weighted_sum(x, w);
  };
  loss();
  for (int64_t i = 0; i < n * D; ++i) {
    ASSERT_FLOAT_EQ(x[i], x0[i] + table[type[i / D] * D + i % D]) << "index " << i;
  }
  std::vector<float> dtable(types * D, 0.0f);
  embedding.backward(backend, dtable.data(), w.data(), type.data(), n);
  EXPECT_TRUE(matches_finite_differences("dtable", table, dtable, loss));
}

}  // namespace
}  // namespace slatetrain
