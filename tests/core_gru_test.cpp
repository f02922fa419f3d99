// The GRU: a hand-computed step, a naive multi-step reference with the hold-on-mask rule, and
// the backward pass against central finite differences.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "core/cpu/fast_activations.hpp"
#include "core/cpu_backend.hpp"
#include "tests/core_test_util.hpp"

namespace slatetrain {
namespace {

using testing_core::arrays_near;
using testing_core::finite_differences;
using testing_core::random_values;
using testing_core::weighted_sum;

// One GRU problem: B sequences of T steps, input I, hidden H.
struct GruCase {
  int batch, steps, input, hidden;
  std::vector<float> x, h0, w_ih, w_hh, b_ih, b_hh;
  std::vector<uint8_t> advance;

  GruCase(int b, int t, int i, int h, uint64_t seed)
      : batch(b),
        steps(t),
        input(i),
        hidden(h),
        x(random_values(size_t(b * t * i), seed)),
        h0(random_values(size_t(b * h), seed + 1, 0.5f)),
        w_ih(random_values(size_t(3 * h * i), seed + 2, 0.6f)),
        w_hh(random_values(size_t(3 * h * h), seed + 3, 0.6f)),
        b_ih(random_values(size_t(3 * h), seed + 4, 0.3f)),
        b_hh(random_values(size_t(3 * h), seed + 5, 0.3f)),
        advance(size_t(b * t), 1) {}

  std::vector<float> forward(CpuBackend& backend, std::vector<float>* workspace = nullptr,
                             bool zero_initial = false) const {
    std::vector<float> output(size_t(batch * steps * hidden));
    std::vector<float> local;
    std::vector<float>& ws = workspace ? *workspace : local;
    ws.assign(size_t(backend.gru_workspace_floats(batch, steps, input, hidden)), 0.0f);
    backend.gru_forward(output.data(), ws.data(), x.data(), zero_initial ? nullptr : h0.data(),
                        advance.data(), w_ih.data(), w_hh.data(), b_ih.data(), b_hh.data(), batch,
                        steps, input, hidden);
    return output;
  }

  // Naive reference in double.
  std::vector<float> reference() const {
    const int H = hidden, I = input;
    std::vector<float> output(size_t(batch * steps * H));
    for (int b = 0; b < batch; ++b) {
      std::vector<double> h(h0.begin() + b * H, h0.begin() + (b + 1) * H);
      for (int t = 0; t < steps; ++t) {
        const float* xt = &x[size_t((b * steps + t) * I)];
        if (advance[size_t(b * steps + t)]) {
          std::vector<double> next(H);
          for (int j = 0; j < H; ++j) {
            double gx[3], gh[3];
            for (int g = 0; g < 3; ++g) {
              const int row = g * H + j;
              gx[g] = b_ih[row];
              gh[g] = b_hh[row];
              for (int p = 0; p < I; ++p) gx[g] += double(w_ih[row * I + p]) * xt[p];
              for (int p = 0; p < H; ++p) gh[g] += double(w_hh[row * H + p]) * h[p];
            }
            const double r = 1.0 / (1.0 + std::exp(-(gx[0] + gh[0])));
            const double z = 1.0 / (1.0 + std::exp(-(gx[1] + gh[1])));
            const double n = std::tanh(gx[2] + r * gh[2]);
            next[j] = (1.0 - z) * n + z * h[j];
          }
          h = next;
        }
        for (int j = 0; j < H; ++j) output[size_t((b * steps + t) * H + j)] = float(h[j]);
      }
    }
    return output;
  }
};

TEST(CoreGru, HandComputedSingleStep) {
  // B = T = I = H = 1: r = sigmoid(0.5*2 + 0.1 + 0.2*1 + 0) = sigmoid(1.3), etc.
  CpuBackend backend(1);
  const float x = 2.0f, h = 1.0f;
  const std::vector<float> w_ih = {0.5f, -0.25f, 0.75f}, w_hh = {0.2f, 0.4f, -0.6f};
  const std::vector<float> b_ih = {0.1f, 0.0f, -0.1f}, b_hh = {0.0f, 0.3f, 0.05f};
  const uint8_t advance = 1;
  std::vector<float> workspace(size_t(backend.gru_workspace_floats(1, 1, 1, 1)));
  float output = 0.0f;
  backend.gru_forward(&output, workspace.data(), &x, &h, &advance, w_ih.data(), w_hh.data(),
                      b_ih.data(), b_hh.data(), 1, 1, 1, 1);
  const double r = 1.0 / (1.0 + std::exp(-1.3));
  const double z = 1.0 / (1.0 + std::exp(-(-0.5 + 0.4 + 0.3)));
  const double n = std::tanh(1.5 - 0.1 + r * (-0.6 + 0.05));
  EXPECT_NEAR(output, (1.0 - z) * n + z * 1.0, 1e-6);
}

TEST(CoreGru, MatchesNaiveReferenceAndHoldsStateOnMaskedSteps) {
  CpuBackend backend(2);
  GruCase gru(3, 5, 4, 6, 30);
  // Sequence 0 advances everywhere; 1 holds at steps 0, 2, 3; 2 never advances.
  for (int t : {0, 2, 3}) gru.advance[size_t(1 * 5 + t)] = 0;
  for (int t = 0; t < 5; ++t) gru.advance[size_t(2 * 5 + t)] = 0;
  const auto output = gru.forward(backend);
  EXPECT_TRUE(arrays_near(output, gru.reference(), 2e-6, 1e-5));
  const int H = 6;
  for (int j = 0; j < H; ++j) {
    // Held at step 0: the initial state itself; held at 3: equal to step 2.
    EXPECT_EQ(output[size_t((1 * 5 + 0) * H + j)], gru.h0[size_t(1 * H + j)]);
    EXPECT_EQ(output[size_t((1 * 5 + 3) * H + j)], output[size_t((1 * 5 + 2) * H + j)]);
    EXPECT_EQ(output[size_t((2 * 5 + 4) * H + j)], gru.h0[size_t(2 * H + j)]);
  }
}

TEST(CoreGru, LargeBatchSplitsProductsAndMatchesOneThread) {
  // Sizes where the pool splits the matrix products (strided rows of the state included).
  GruCase gru(64, 3, 32, 48, 35);
  for (size_t i = 0; i < gru.advance.size(); i += 5) gru.advance[i] = 0;
  const auto output_weights = random_values(size_t(64 * 3 * 48), 36);
  auto run = [&](int threads, std::vector<float>& output, std::vector<float>& dx,
                 std::vector<float>& dw_hh) {
    CpuBackend backend(threads);
    std::vector<float> workspace;
    output = gru.forward(backend, &workspace);
    dx.assign(gru.x.size(), 0.0f);
    dw_hh.assign(gru.w_hh.size(), 0.0f);
    std::vector<float> dw_ih(gru.w_ih.size(), 0.0f), db_ih(gru.b_ih.size(), 0.0f),
        db_hh(gru.b_hh.size(), 0.0f);
    backend.gru_backward(dx.data(), nullptr, dw_ih.data(), dw_hh.data(), db_ih.data(), db_hh.data(),
                         output_weights.data(), gru.x.data(), gru.h0.data(), gru.advance.data(),
                         gru.w_ih.data(), gru.w_hh.data(), output.data(), workspace.data(), 64, 3,
                         32, 48);
  };
  std::vector<float> output_1, dx_1, dw_hh_1, output_3, dx_3, dw_hh_3;
  run(1, output_1, dx_1, dw_hh_1);
  run(3, output_3, dx_3, dw_hh_3);
  EXPECT_TRUE(arrays_near(output_3, gru.reference(), 1e-5, 1e-5));
  EXPECT_TRUE(arrays_near(output_3, output_1, 1e-6, 1e-6));
  EXPECT_TRUE(arrays_near(dx_3, dx_1, 1e-5, 1e-5));
  EXPECT_TRUE(arrays_near(dw_hh_3, dw_hh_1, 1e-4, 1e-5));
}

// The gate loops run in the processor's widest clone (core/cpu/vector_clones.hpp); every clone
// must round as plain scalar code does. With W_ih the identity (I = 3H) and W_hh zero, the
// matrix products are exact, so the states, the input gradient (= the input side's
// d(pre-activations)) and dL/dh0 can be compared with memcmp against scalar loops here.
TEST(CoreGru, GateLoopsBitwiseAsScalarCode) {
  const int B = 37, T = 5, H = 67, I = 3 * H;  // H: odd, so every clone runs its tail too
  GruCase gru(B, T, I, H, 60);
  std::fill(gru.w_ih.begin(), gru.w_ih.end(), 0.0f);
  for (int k = 0; k < 3 * H; ++k) gru.w_ih[size_t(k * I + k)] = 1.0f;
  std::fill(gru.w_hh.begin(), gru.w_hh.end(), 0.0f);
  for (size_t i = 0; i < gru.advance.size(); i += 4) gru.advance[i] = 0;
  CpuBackend backend(2);
  std::vector<float> workspace;
  const auto output = gru.forward(backend, &workspace);
  const auto doutput = random_values(output.size(), 61);
  std::vector<float> dx(gru.x.size()), dh0(gru.h0.size());
  backend.gru_backward(dx.data(), dh0.data(), nullptr, nullptr, nullptr, nullptr, doutput.data(),
                       gru.x.data(), gru.h0.data(), gru.advance.data(), gru.w_ih.data(),
                       gru.w_hh.data(), output.data(), workspace.data(), B, T, I, H);

  std::vector<float> expected(output.size()), gates(size_t(B * T * 4 * H));
  for (int b = 0; b < B; ++b) {
    const float* previous = &gru.h0[size_t(b * H)];
    for (int t = 0; t < T; ++t) {
      const int step = b * T + t;
      const float* x = &gru.x[size_t(step * I)];
      float* next = &expected[size_t(step * H)];
      float* gate = &gates[size_t(step * 4 * H)];
      for (int j = 0; j < H; ++j) {
        const float r = cpu::fast_sigmoid((x[j] + gru.b_ih[size_t(j)]) + gru.b_hh[size_t(j)]);
        const float z =
            cpu::fast_sigmoid((x[H + j] + gru.b_ih[size_t(H + j)]) + gru.b_hh[size_t(H + j)]);
        const float hn = gru.b_hh[size_t(2 * H + j)];
        const float n = cpu::fast_tanh((x[2 * H + j] + gru.b_ih[size_t(2 * H + j)]) + r * hn);
        gate[j] = r, gate[H + j] = z, gate[2 * H + j] = n, gate[3 * H + j] = hn;
        next[j] = gru.advance[size_t(step)] ? (1.0f - z) * n + z * previous[j] : previous[j];
      }
      previous = next;
    }
  }
  EXPECT_EQ(0, std::memcmp(output.data(), expected.data(), output.size() * sizeof(float)));

  std::vector<float> expected_dx(dx.size(), 0.0f), expected_dh0(dh0.size());
  for (int b = 0; b < B; ++b) {
    std::vector<float> dh(size_t(H), 0.0f);
    for (int t = T - 1; t >= 0; --t) {
      const int step = b * T + t;
      const float* dout = &doutput[size_t(step * H)];
      const float* gate = &gates[size_t(step * 4 * H)];
      const float* previous = t > 0 ? &expected[size_t((step - 1) * H)] : &gru.h0[size_t(b * H)];
      float* dx_step = &expected_dx[size_t(step * I)];
      for (int j = 0; j < H; ++j) {
        if (!gru.advance[size_t(step)]) {
          dh[size_t(j)] += dout[j];
          continue;
        }
        const float r = gate[j], z = gate[H + j], n = gate[2 * H + j], hn = gate[3 * H + j];
        const float grad = dh[size_t(j)] + dout[j];
        const float dn_pre = grad * (1.0f - z) * (1.0f - n * n);
        const float dz_pre = grad * (previous[j] - n) * z * (1.0f - z);
        dx_step[j] = dn_pre * hn * r * (1.0f - r);
        dx_step[H + j] = dz_pre;
        dx_step[2 * H + j] = dn_pre;
        dh[size_t(j)] = grad * z;
      }
    }
    std::copy(dh.begin(), dh.end(), expected_dh0.begin() + b * H);
  }
  EXPECT_EQ(0, std::memcmp(dx.data(), expected_dx.data(), dx.size() * sizeof(float)));
  EXPECT_EQ(0, std::memcmp(dh0.data(), expected_dh0.data(), dh0.size() * sizeof(float)));
}

TEST(CoreGru, NullInitialStateMeansZeros) {
  CpuBackend backend(1);
  GruCase gru(2, 3, 3, 4, 40);
  const auto with_null = gru.forward(backend, nullptr, true);
  std::fill(gru.h0.begin(), gru.h0.end(), 0.0f);
  EXPECT_TRUE(arrays_near(with_null, gru.forward(backend), 0.0));
}

TEST(CoreGru, BackwardMatchesFiniteDifferences) {
  CpuBackend backend(2);
  GruCase gru(2, 4, 3, 5, 50);
  gru.advance[1] = 0;      // sequence 0 holds at step 1
  gru.advance[4 + 0] = 0;  // sequence 1 holds at step 0
  const auto output_weights = random_values(size_t(2 * 4 * 5), 51);

  std::vector<float> workspace;
  const float preset = 0.25f;  // parameter gradients must accumulate onto this
  std::vector<float> dx(gru.x.size(), 7.0f), dh0(gru.h0.size(), 7.0f);
  std::vector<float> dw_ih(gru.w_ih.size(), preset), dw_hh(gru.w_hh.size(), preset);
  std::vector<float> db_ih(gru.b_ih.size(), preset), db_hh(gru.b_hh.size(), preset);
  const auto output = gru.forward(backend, &workspace);
  backend.gru_backward(dx.data(), dh0.data(), dw_ih.data(), dw_hh.data(), db_ih.data(),
                       db_hh.data(), output_weights.data(), gru.x.data(), gru.h0.data(),
                       gru.advance.data(), gru.w_ih.data(), gru.w_hh.data(), output.data(),
                       workspace.data(), 2, 4, 3, 5);
  for (auto* grads : {&dw_ih, &dw_hh, &db_ih, &db_hh})
    for (auto& value : *grads) value -= preset;

  auto loss = [&] { return weighted_sum(gru.forward(backend), output_weights); };
  const double absolute = 2e-3, relative = 2e-2;
  EXPECT_TRUE(arrays_near(dx, finite_differences(gru.x, loss), absolute, relative)) << "input";
  EXPECT_TRUE(arrays_near(dh0, finite_differences(gru.h0, loss), absolute, relative))
      << "initial state";
  EXPECT_TRUE(arrays_near(dw_ih, finite_differences(gru.w_ih, loss), absolute, relative))
      << "weight_ih";
  EXPECT_TRUE(arrays_near(dw_hh, finite_differences(gru.w_hh, loss), absolute, relative))
      << "weight_hh";
  EXPECT_TRUE(arrays_near(db_ih, finite_differences(gru.b_ih, loss), absolute, relative))
      << "bias_ih";
  EXPECT_TRUE(arrays_near(db_hh, finite_differences(gru.b_hh, loss), absolute, relative))
      << "bias_hh";
}

// Arrays written by tests/fixtures/make_core_gru_fixture.py: "name count v0 v1 ...".
std::map<std::string, std::vector<float>> read_fixture(const std::string& path) {
  std::ifstream in(path);
  std::map<std::string, std::vector<float>> arrays;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string name;
    size_t count = 0;
    fields >> name >> count;
    std::vector<float> values(count);
    for (auto& value : values) {
      double parsed = 0.0;
      fields >> parsed;
      value = static_cast<float>(parsed);
    }
    arrays[name] = values;
  }
  return arrays;
}

TEST(CoreGru, MatchesTorchGruForwardAndBackward) {
  const std::string path = std::string(SLATETRAIN_TEST_DATA) + "/core_gru/gru_torch.txt";
  auto arrays = read_fixture(path);
  ASSERT_EQ(arrays.size(), 15u) << "fixture " << path;
  const int B = 2, T = 4, I = 3, H = 5;
  CpuBackend backend(2);
  std::vector<uint8_t> advance(arrays["advance"].begin(), arrays["advance"].end());
  std::vector<float> workspace(size_t(backend.gru_workspace_floats(B, T, I, H)));
  std::vector<float> output(size_t(B * T * H));
  backend.gru_forward(output.data(), workspace.data(), arrays["input"].data(),
                      arrays["initial_state"].data(), advance.data(), arrays["weight_ih"].data(),
                      arrays["weight_hh"].data(), arrays["bias_ih"].data(),
                      arrays["bias_hh"].data(), B, T, I, H);
  EXPECT_TRUE(arrays_near(output, arrays["output"], 1e-5, 1e-5)) << "output";

  std::vector<float> dx(size_t(B * T * I)), dh0(size_t(B * H));
  std::vector<float> dw_ih(size_t(3 * H * I), 0.0f), dw_hh(size_t(3 * H * H), 0.0f);
  std::vector<float> db_ih(size_t(3 * H), 0.0f), db_hh(size_t(3 * H), 0.0f);
  backend.gru_backward(dx.data(), dh0.data(), dw_ih.data(), dw_hh.data(), db_ih.data(),
                       db_hh.data(), arrays["output_weights"].data(), arrays["input"].data(),
                       arrays["initial_state"].data(), advance.data(), arrays["weight_ih"].data(),
                       arrays["weight_hh"].data(), output.data(), workspace.data(), B, T, I, H);
  EXPECT_TRUE(arrays_near(dx, arrays["dinput"], 1e-5, 1e-4)) << "dinput";
  EXPECT_TRUE(arrays_near(dh0, arrays["dinitial_state"], 1e-5, 1e-4)) << "dinitial_state";
  EXPECT_TRUE(arrays_near(dw_ih, arrays["dweight_ih"], 1e-5, 1e-4)) << "dweight_ih";
  EXPECT_TRUE(arrays_near(dw_hh, arrays["dweight_hh"], 1e-5, 1e-4)) << "dweight_hh";
  EXPECT_TRUE(arrays_near(db_ih, arrays["dbias_ih"], 1e-5, 1e-4)) << "dbias_ih";
  EXPECT_TRUE(arrays_near(db_hh, arrays["dbias_hh"], 1e-5, 1e-4)) << "dbias_hh";
}

}  // namespace
}  // namespace slatetrain
