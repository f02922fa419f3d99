// The transformer's op families on the CPU backend: layer norm, the causal self-attention core,
// GELU and the counter-based dropout, forward against plain loops in double (the attention's
// BLAS products included) and backward against central finite differences; masks against
// hash_mix itself.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/cpu_backend.hpp"
#include "core/error.hpp"
#include "core/random.hpp"
#include "tests/core_test_util.hpp"

namespace slatetrain {
namespace {

using testing_core::arrays_near;
using testing_core::finite_differences;
using testing_core::random_values;
using testing_core::weighted_sum;

// Finite differences of float forwards: steps of 1e-2, errors of float rounding and of the
// step's third-order term.
constexpr double kGradientAbsolute = 2e-3, kGradientRelative = 2e-2;

std::vector<uint64_t> make_row_keys(size_t rows, uint64_t seed) {
  std::vector<uint64_t> keys(rows);
  for (size_t r = 0; r < rows; ++r) keys[r] = hash_mix(seed, r);
  return keys;
}

bool reference_keeps(const DropoutMask& mask, uint64_t row_key, uint64_t counter) {
  return to_unit_double(hash_mix(mask.seed, row_key, counter)) >= double(mask.probability);
}

// ---- layer norm ---------------------------------------------------------------------------

struct LayerNormCase {
  int64_t rows, dim;
  float epsilon = 1e-5f;
  std::vector<float> x, weight, bias;
  LayerNormCase(int64_t r, int64_t d, uint64_t seed)
      : rows(r),
        dim(d),
        x(random_values(size_t(r * d), seed, 2.0f)),
        weight(random_values(size_t(d), seed + 1)),
        bias(random_values(size_t(d), seed + 2)) {
    for (int64_t c = 0; c < d; ++c) x[size_t(c)] += 3.0f;  // a row far from zero mean
  }
  std::vector<float> forward(CpuBackend& backend, std::vector<float>* mean = nullptr,
                             std::vector<float>* rstd = nullptr) const {
    std::vector<float> out(x.size()), m(static_cast<size_t>(rows)), s(static_cast<size_t>(rows));
    backend.layer_norm_forward(out.data(), m.data(), s.data(), x.data(), weight.data(), bias.data(),
                               rows, dim, epsilon);
    if (mean) *mean = m;
    if (rstd) *rstd = s;
    return out;
  }
};

TEST(CoreLayerNorm, ForwardMatchesPlainLoops) {
  CpuBackend backend(2);
  LayerNormCase c(7, 13, 1);
  std::vector<float> mean, rstd;
  const auto out = c.forward(backend, &mean, &rstd);
  std::vector<float> expected(out.size()), expected_mean(7), expected_rstd(7);
  for (int64_t r = 0; r < c.rows; ++r) {
    double sum = 0.0, squares = 0.0;
    for (int64_t k = 0; k < c.dim; ++k) sum += c.x[size_t(r * c.dim + k)];
    const double m = sum / double(c.dim);
    for (int64_t k = 0; k < c.dim; ++k) {
      const double centred = c.x[size_t(r * c.dim + k)] - m;
      squares += centred * centred;
    }
    const double s = 1.0 / std::sqrt(squares / double(c.dim) + double(c.epsilon));
    expected_mean[size_t(r)] = float(m);
    expected_rstd[size_t(r)] = float(s);
    for (int64_t k = 0; k < c.dim; ++k) {
      const size_t i = size_t(r * c.dim + k);
      expected[i] = float((c.x[i] - m) * s * c.weight[size_t(k)] + c.bias[size_t(k)]);
    }
  }
  EXPECT_TRUE(arrays_near(out, expected, 1e-5, 1e-5)) << "out";
  EXPECT_TRUE(arrays_near(mean, expected_mean, 1e-6, 1e-6)) << "mean";
  EXPECT_TRUE(arrays_near(rstd, expected_rstd, 1e-6, 1e-6)) << "rstd";
}

TEST(CoreLayerNorm, BackwardMatchesFiniteDifferencesAndAccumulates) {
  CpuBackend backend(2);
  LayerNormCase c(5, 9, 10);
  const auto w = random_values(c.x.size(), 11);
  std::vector<float> mean, rstd;
  c.forward(backend, &mean, &rstd);
  const float preset = 0.5f;  // parameter gradients accumulate onto this
  std::vector<float> dx(c.x.size(), 9.0f), dweight(size_t(c.dim), preset),
      dbias(size_t(c.dim), preset);
  backend.layer_norm_backward(dx.data(), dweight.data(), dbias.data(), w.data(), c.x.data(),
                              c.weight.data(), mean.data(), rstd.data(), c.rows, c.dim);
  for (auto* grads : {&dweight, &dbias})
    for (float& value : *grads) value -= preset;
  auto loss = [&] { return weighted_sum(c.forward(backend), w); };
  EXPECT_TRUE(arrays_near(dx, finite_differences(c.x, loss), kGradientAbsolute, kGradientRelative))
      << "dx";
  EXPECT_TRUE(arrays_near(dweight, finite_differences(c.weight, loss), kGradientAbsolute,
                          kGradientRelative))
      << "dweight";
  EXPECT_TRUE(
      arrays_near(dbias, finite_differences(c.bias, loss), kGradientAbsolute, kGradientRelative))
      << "dbias";
}

TEST(CoreLayerNorm, SameResultsForAnyThreadCount) {
  LayerNormCase c(300, 64, 20);
  const auto w = random_values(c.x.size(), 21);
  auto run = [&](int threads, std::vector<float>& out, std::vector<float>& dx,
                 std::vector<float>& dweight) {
    CpuBackend backend(threads);
    std::vector<float> mean, rstd;
    out = c.forward(backend, &mean, &rstd);
    dx.assign(c.x.size(), 0.0f);
    dweight.assign(size_t(c.dim), 0.0f);
    std::vector<float> dbias(size_t(c.dim), 0.0f);
    backend.layer_norm_backward(dx.data(), dweight.data(), dbias.data(), w.data(), c.x.data(),
                                c.weight.data(), mean.data(), rstd.data(), c.rows, c.dim);
  };
  std::vector<float> out_1, dx_1, dweight_1, out_3, dx_3, dweight_3;
  run(1, out_1, dx_1, dweight_1);
  run(3, out_3, dx_3, dweight_3);
  EXPECT_TRUE(arrays_near(out_3, out_1, 0.0)) << "out";
  EXPECT_TRUE(arrays_near(dx_3, dx_1, 0.0)) << "dx";
  EXPECT_TRUE(arrays_near(dweight_3, dweight_1, 0.0)) << "dweight";
}

// ---- causal self-attention ------------------------------------------------------------------

struct AttentionCase {
  int64_t batch, steps, dim, heads;
  std::vector<float> qkv;
  std::vector<uint8_t> key_mask;
  std::vector<uint64_t> row_keys;
  DropoutMask dropout;

  AttentionCase(int64_t b, int64_t t, int64_t d, int64_t h, uint64_t seed)
      : batch(b),
        steps(t),
        dim(d),
        heads(h),
        qkv(random_values(size_t(b * t * 3 * d), seed)),
        key_mask(size_t(b * t), 1),
        row_keys(make_row_keys(size_t(b * t), seed + 1)) {}

  void use_dropout(float probability, uint64_t seed) {
    dropout.probability = probability;
    dropout.seed = seed;
    dropout.row_keys = row_keys.data();
  }

  size_t pairs() const { return size_t(batch * heads * steps * steps); }

  std::vector<float> forward(CpuBackend& backend, std::vector<float>* probabilities = nullptr) {
    std::vector<float> out(size_t(batch * steps * dim), -7.0f), p(pairs()), scratch(pairs());
    backend.causal_attention_forward(out.data(), p.data(), scratch.data(), qkv.data(),
                                     key_mask.data(), batch, steps, dim, heads, dropout);
    if (probabilities) *probabilities = p;
    return out;
  }

  // Plain loops in double, the dropout mask straight from hash_mix.
  std::vector<float> reference(std::vector<float>* probabilities = nullptr) const {
    const int64_t B = batch, T = steps, D = dim, H = heads, d = dim / heads;
    std::vector<float> out(size_t(B * T * D), 0.0f), p(pairs(), 0.0f);
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t h = 0; h < H; ++h) {
        for (int64_t i = 0; i < T; ++i) {
          const float* q = &qkv[size_t((b * T + i) * 3 * D + h * d)];
          std::vector<double> s(size_t(T), 0.0);
          double largest = -INFINITY;
          for (int64_t j = 0; j <= i; ++j) {
            if (!key_mask[size_t(b * T + j)]) continue;
            const float* k = &qkv[size_t((b * T + j) * 3 * D + D + h * d)];
            double dot = 0.0;
            for (int64_t c = 0; c < d; ++c) dot += double(q[c]) * k[c];
            s[size_t(j)] = dot / std::sqrt(double(d));
            largest = std::max(largest, s[size_t(j)]);
          }
          if (largest == -INFINITY) continue;
          double sum = 0.0;
          for (int64_t j = 0; j <= i; ++j)
            if (key_mask[size_t(b * T + j)]) sum += std::exp(s[size_t(j)] - largest);
          for (int64_t j = 0; j <= i; ++j) {
            if (!key_mask[size_t(b * T + j)]) continue;
            double weight = std::exp(s[size_t(j)] - largest) / sum;
            p[size_t(((b * H + h) * T + i) * T + j)] = float(weight);
            if (dropout.active()) {
              const uint64_t counter = (uint64_t(h) << 32) + uint64_t(j);
              weight = reference_keeps(dropout, row_keys[size_t(b * T + i)], counter)
                           ? weight / (1.0 - double(dropout.probability))
                           : 0.0;
            }
            const float* v = &qkv[size_t((b * T + j) * 3 * D + 2 * D + h * d)];
            for (int64_t c = 0; c < d; ++c)
              out[size_t((b * T + i) * D + h * d + c)] += float(weight * v[c]);
          }
        }
      }
    }
    if (probabilities) *probabilities = p;
    return out;
  }
};

// Sequence 0: every step an input; sequence 1: no input at steps 0 and 1 (its first queries
// see no key), and a gap at step 3; sequence 2: only step 2 has an input.
void mask_some_keys(AttentionCase& c) {
  const int64_t T = c.steps;
  c.key_mask[size_t(1 * T + 0)] = c.key_mask[size_t(1 * T + 1)] = 0;
  c.key_mask[size_t(1 * T + 3)] = 0;
  for (int64_t t = 0; t < T; ++t) c.key_mask[size_t(2 * T + t)] = t == 2;
}

TEST(CoreCausalAttention, ForwardMatchesPlainLoopsWithKeyMask) {
  CpuBackend backend(2);
  AttentionCase c(3, 6, 8, 2, 30);
  mask_some_keys(c);
  std::vector<float> probabilities, expected_probabilities;
  const auto out = c.forward(backend, &probabilities);
  EXPECT_TRUE(arrays_near(out, c.reference(&expected_probabilities), 1e-5, 1e-5)) << "out";
  EXPECT_TRUE(arrays_near(probabilities, expected_probabilities, 1e-6, 1e-5)) << "probabilities";
  // Sequence 1's steps 0 and 1 have no allowed key: zero output.
  for (int64_t t = 0; t < 2; ++t)
    for (int64_t k = 0; k < c.dim; ++k)
      EXPECT_EQ(out[size_t((1 * c.steps + t) * c.dim + k)], 0.0f) << "step " << t << " col " << k;
}

TEST(CoreCausalAttention, ForwardWithDropoutMatchesPlainLoops) {
  CpuBackend backend(2);
  AttentionCase c(3, 6, 8, 2, 31);
  mask_some_keys(c);
  c.use_dropout(0.3f, 77);
  std::vector<float> probabilities, expected_probabilities;
  const auto out = c.forward(backend, &probabilities);
  EXPECT_TRUE(arrays_near(out, c.reference(&expected_probabilities), 1e-5, 1e-5)) << "out";
  // The saved probabilities are before dropout.
  EXPECT_TRUE(arrays_near(probabilities, expected_probabilities, 1e-6, 1e-5)) << "probabilities";
}

void check_attention_backward(AttentionCase& c) {
  CpuBackend backend(2);
  const auto w = random_values(size_t(c.batch * c.steps * c.dim), 40);
  std::vector<float> probabilities;
  c.forward(backend, &probabilities);
  std::vector<float> dqkv(c.qkv.size(), 9.0f), scratch(c.pairs(), 5.0f);
  backend.causal_attention_backward(dqkv.data(), scratch.data(), w.data(), c.qkv.data(),
                                    probabilities.data(), c.batch, c.steps, c.dim, c.heads,
                                    c.dropout);
  auto loss = [&] { return weighted_sum(c.forward(backend), w); };
  EXPECT_TRUE(
      arrays_near(dqkv, finite_differences(c.qkv, loss), kGradientAbsolute, kGradientRelative))
      << "dqkv";
  // Masked keys get no k or v gradient; queries without keys no q gradient.
  const int64_t T = c.steps, D = c.dim;
  for (int64_t b = 0; b < c.batch; ++b) {
    for (int64_t t = 0; t < T; ++t) {
      bool has_key = false;
      for (int64_t j = 0; j <= t; ++j) has_key |= c.key_mask[size_t(b * T + j)] != 0;
      for (int64_t k = 0; k < D; ++k) {
        const size_t row = size_t((b * T + t) * 3 * D);
        if (!has_key) {
          EXPECT_EQ(dqkv[row + size_t(k)], 0.0f) << "q of " << b << "," << t;
        }
        if (!c.key_mask[size_t(b * T + t)]) {
          EXPECT_EQ(dqkv[row + size_t(D + k)], 0.0f) << "k of " << b << "," << t;
          EXPECT_EQ(dqkv[row + size_t(2 * D + k)], 0.0f) << "v of " << b << "," << t;
        }
      }
    }
  }
}

TEST(CoreCausalAttention, BackwardMatchesFiniteDifferences) {
  AttentionCase c(3, 5, 6, 2, 41);
  mask_some_keys(c);
  check_attention_backward(c);
}

TEST(CoreCausalAttention, BackwardWithDropoutMatchesFiniteDifferences) {
  // The mask depends only on the seed and the row keys, so every perturbed forward drops the
  // same probabilities.
  AttentionCase c(3, 5, 6, 2, 42);
  mask_some_keys(c);
  c.use_dropout(0.25f, 1234);
  check_attention_backward(c);
}

TEST(CoreCausalAttention, SameResultsForAnyThreadCountAndOneHead) {
  for (int64_t heads : {1, 4}) {
    AttentionCase c(17, 9, 16, heads, 50);
    for (size_t i = 0; i < c.key_mask.size(); i += 4) c.key_mask[i] = 0;
    c.use_dropout(0.1f, 3);
    const auto w = random_values(size_t(17 * 9 * 16), 51);
    auto run = [&](int threads, std::vector<float>& out, std::vector<float>& dqkv) {
      CpuBackend backend(threads);
      std::vector<float> probabilities;
      out = c.forward(backend, &probabilities);
      dqkv.assign(c.qkv.size(), 0.0f);
      std::vector<float> scratch(c.pairs());
      backend.causal_attention_backward(dqkv.data(), scratch.data(), w.data(), c.qkv.data(),
                                        probabilities.data(), c.batch, c.steps, c.dim, c.heads,
                                        c.dropout);
    };
    std::vector<float> out_1, dqkv_1, out_3, dqkv_3;
    run(1, out_1, dqkv_1);
    run(3, out_3, dqkv_3);
    EXPECT_TRUE(arrays_near(out_3, c.reference(), 1e-5, 1e-5)) << "heads " << heads;
    EXPECT_TRUE(arrays_near(out_3, out_1, 0.0)) << "heads " << heads;
    EXPECT_TRUE(arrays_near(dqkv_3, dqkv_1, 0.0)) << "heads " << heads;
  }
}

TEST(CoreCausalAttention, RefusesDimNotDivisibleByHeads) {
  CpuBackend backend(1);
  std::vector<float> buffer(64);
  std::vector<uint8_t> mask(2, 1);
  EXPECT_THROW(backend.causal_attention_forward(buffer.data(), buffer.data(), buffer.data(),
                                                buffer.data(), mask.data(), 1, 2, 6, 4, {}),
               Error);
}

// ---- GELU -----------------------------------------------------------------------------------

TEST(CoreGelu, ForwardIsTheErfFormAndBackwardMatchesFiniteDifferences) {
  CpuBackend backend(2);
  std::vector<float> x = random_values(1001, 60, 4.0f);
  x[0] = 0.0f;
  x[1] = 7.0f;  // beyond the approximation's clamp: erf = 1
  x[2] = -7.0f;
  std::vector<float> y(x.size());
  backend.gelu_forward(y.data(), x.data(), int64_t(x.size()));
  std::vector<float> expected(x.size());
  for (size_t i = 0; i < x.size(); ++i)
    expected[i] = float(0.5 * x[i] * (1.0 + std::erf(double(x[i]) / std::sqrt(2.0))));
  // erf is a rational approximation within 5e-7 (core/cpu/gelu.cpp): |error| <= 0.5 |x| 5e-7.
  EXPECT_TRUE(arrays_near(y, expected, 1.2e-6, 1e-6)) << "forward";

  const auto w = random_values(x.size(), 61);
  std::vector<float> dx(x.size(), 9.0f);
  backend.gelu_backward(dx.data(), w.data(), x.data(), int64_t(x.size()));
  auto loss = [&] {
    std::vector<float> out(x.size());
    backend.gelu_forward(out.data(), x.data(), int64_t(x.size()));
    return weighted_sum(out, w);
  };
  EXPECT_TRUE(arrays_near(dx, finite_differences(x, loss), kGradientAbsolute, kGradientRelative))
      << "dx";
  // In place (dx = dy) gives the same.
  std::vector<float> in_place = w;
  backend.gelu_backward(in_place.data(), in_place.data(), x.data(), int64_t(x.size()));
  EXPECT_TRUE(arrays_near(in_place, dx, 0.0)) << "in place";
}

// ---- dropout --------------------------------------------------------------------------------

TEST(CoreDropout, MaskIsTheHashOfSeedRowKeyAndElement) {
  CpuBackend backend(2);
  const int64_t rows = 40, width = 50;
  const auto x = random_values(size_t(rows * width), 70);
  const auto keys = make_row_keys(size_t(rows), 71);
  const DropoutMask mask{0.3f, 99, keys.data()};
  std::vector<float> y(x.size());
  backend.dropout_forward(y.data(), x.data(), rows, width, mask);
  size_t dropped = 0;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t e = 0; e < width; ++e) {
      const size_t i = size_t(r * width + e);
      const float expected =
          reference_keeps(mask, keys[size_t(r)], uint64_t(e)) ? x[i] * (1.0f / 0.7f) : 0.0f;
      ASSERT_EQ(y[i], expected) << "row " << r << " element " << e;
      dropped += expected == 0.0f;
    }
  }
  // About 30% dropped (2000 draws: 3 standard deviations are ~3%).
  EXPECT_NEAR(double(dropped) / double(rows * width), 0.3, 0.035);
  // Backward applies the same mask and scale; in place works.
  std::vector<float> dx(x.size());
  backend.dropout_backward(dx.data(), x.data(), rows, width, mask);
  EXPECT_TRUE(arrays_near(dx, y, 0.0)) << "backward";
  std::vector<float> in_place = x;
  backend.dropout_forward(in_place.data(), in_place.data(), rows, width, mask);
  EXPECT_TRUE(arrays_near(in_place, y, 0.0)) << "in place";
}

TEST(CoreDropout, IntegerThresholdIsTheUnitDoubleComparison) {
  // The kernels compare hash >= unit_double_threshold(p) instead of to_unit_double(hash) >= p.
  Random random(75);
  for (const float probability : {0.0f, 1e-9f, 0.1f, 0.2f, 0.25f, 0.5f, 0.999f}) {
    const uint64_t threshold = unit_double_threshold(probability);
    std::vector<uint64_t> values = {threshold, threshold - 1, threshold + 1, 0, ~uint64_t{0}};
    for (int i = 0; i < 10000; ++i) values.push_back(random.next());
    for (const uint64_t bits : values) {
      if (probability == 0.0f && bits == threshold - 1) continue;  // wraps below zero
      ASSERT_EQ(bits >= threshold, to_unit_double(bits) >= double(probability))
          << "probability " << probability << " bits " << bits;
    }
  }
}

TEST(CoreDropout, MaskFollowsTheRowKeyNotTheRowPosition) {
  // The same keys in another order (another batch composition) move the rows' masks along.
  CpuBackend backend(1);
  const int64_t rows = 6, width = 32;
  const std::vector<float> ones(size_t(rows * width), 1.0f);
  auto keys = make_row_keys(size_t(rows), 80);
  std::vector<float> first(ones.size()), second(ones.size());
  backend.dropout_forward(first.data(), ones.data(), rows, width, {0.5f, 5, keys.data()});
  std::reverse(keys.begin(), keys.end());
  backend.dropout_forward(second.data(), ones.data(), rows, width, {0.5f, 5, keys.data()});
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t e = 0; e < width; ++e)
      ASSERT_EQ(second[size_t((rows - 1 - r) * width + e)], first[size_t(r * width + e)])
          << "row " << r << " element " << e;
}

TEST(CoreDropout, ZeroProbabilityIsTheIdentityAndOneIsRefused) {
  CpuBackend backend(1);
  const auto x = random_values(30, 90);
  std::vector<float> y(x.size(), 5.0f);
  backend.dropout_forward(y.data(), x.data(), 3, 10, {});
  EXPECT_TRUE(arrays_near(y, x, 0.0));
  const auto keys = make_row_keys(3, 91);
  EXPECT_THROW(backend.dropout_forward(y.data(), x.data(), 3, 10, {1.0f, 1, keys.data()}), Error);
  EXPECT_THROW(backend.dropout_forward(y.data(), x.data(), 3, 10, {0.5f, 1, nullptr}), Error);
}

}  // namespace
}  // namespace slatetrain
