// transformer_encoder_bench: the time of one training step of the TransformerEncoder (forward
// and backward, dropout on) on one CpuBackend, and of its ops alone at the same sizes, so
// that a slow op shows up by name.
//
// usage: transformer_encoder_bench [--threads N] [--batch B] [--steps T] [--dim D]
//                                  [--heads H] [--layers L] [--ffn F] [--dropout P]
//                                  [--repeats R]
// Defaults: 1 thread, B 256, T 20, D 64, H 2, L 2, F 4 D, dropout and attention dropout 0.2,
// 20 timed repeats after 3 warm-up ones. Prints one line of key=value pairs per measurement
// (milliseconds, medians).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "core/cpu_backend.hpp"
#include "core/random.hpp"
#include "models/parameter_buffer.hpp"
#include "models/transformer_encoder.hpp"

namespace slatetrain {
namespace {

constexpr const char* kUsage =
    "usage: transformer_encoder_bench [--threads N] [--batch B] [--steps T] [--dim D]\n"
    "                                 [--heads H] [--layers L] [--ffn F] [--dropout P]\n"
    "                                 [--repeats R]\n";

double process_cpu_ms() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return double(now.tv_sec) * 1e3 + double(now.tv_nsec) * 1e-6;
}

// Median wall-clock and process CPU milliseconds of `work`. On a shared machine the CPU time
// is the steadier figure (it leaves out time spent descheduled); with one thread it is the
// time the work takes on one core.
struct Timing {
  double wall_ms, cpu_ms;
};

Timing median_ms(int repeats, const std::function<void()>& work) {
  for (int i = 0; i < 3; ++i) work();
  std::vector<double> wall, cpu;
  for (int i = 0; i < repeats; ++i) {
    const double cpu_start = process_cpu_ms();
    const auto start = std::chrono::steady_clock::now();
    work();
    const auto stop = std::chrono::steady_clock::now();
    cpu.push_back(process_cpu_ms() - cpu_start);
    wall.push_back(std::chrono::duration<double, std::milli>(stop - start).count());
  }
  std::sort(wall.begin(), wall.end());
  std::sort(cpu.begin(), cpu.end());
  return {wall[wall.size() / 2], cpu[cpu.size() / 2]};
}

std::vector<float> random_values(size_t n, uint64_t seed) {
  Random random(seed);
  std::vector<float> values(n);
  for (float& value : values) value = static_cast<float>(random.normal());
  return values;
}

int run(int argc, char** argv) {
  int threads = 1, repeats = 20;
  int64_t B = 256, T = 20, D = 64, H = 2, L = 2, F = -1;
  float dropout = 0.2f;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s: %s needs a value\n%s", argv[0], flag.c_str(), kUsage);
      return 2;
    }
    const char* text = argv[++i];
    const long long value = std::atoll(text);
    if (flag == "--threads")
      threads = static_cast<int>(value);
    else if (flag == "--batch")
      B = value;
    else if (flag == "--steps")
      T = value;
    else if (flag == "--dim")
      D = value;
    else if (flag == "--heads")
      H = value;
    else if (flag == "--layers")
      L = value;
    else if (flag == "--ffn")
      F = value;
    else if (flag == "--dropout")
      dropout = static_cast<float>(std::atof(text));
    else if (flag == "--repeats")
      repeats = static_cast<int>(value);
    else {
      std::fprintf(stderr, "%s: unknown option %s\n%s", argv[0], flag.c_str(), kUsage);
      return 2;
    }
  }
  if (F < 0) F = 4 * D;
  CpuBackend backend(threads);
  TransformerEncoderConfig config;
  config.dim = D;
  config.heads = H;
  config.layers = L;
  config.ffn = F;
  config.dropout = config.attention_dropout = dropout;
  ParameterBuffer parameters;
  TransformerEncoder encoder(config, parameters, "transformer");
  parameters.allocate(backend);
  encoder.initialize(1);

  const int64_t n = B * T;
  const auto x = random_values(static_cast<size_t>(n * D), 2);
  const auto dout = random_values(static_cast<size_t>(n * D), 3);
  std::vector<uint8_t> key_mask(static_cast<size_t>(n), 1);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < (b % 5); ++t)
      key_mask[static_cast<size_t>(b * T + t)] = 0;  // late starters
  std::vector<uint64_t> row_keys(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) row_keys[static_cast<size_t>(i)] = hash_mix(4, uint64_t(i));
  std::vector<float> out(static_cast<size_t>(n * D)), dx(static_cast<size_t>(n * D));
  const DropoutContext training{true, 5, row_keys.data()};

  std::printf(
      "threads=%d batch=%lld steps=%lld dim=%lld heads=%lld layers=%lld ffn=%lld dropout=%g\n",
      threads, (long long)B, (long long)T, (long long)D, (long long)H, (long long)L, (long long)F,
      double(dropout));
  const Timing step = median_ms(repeats, [&] {
    parameters.zero_gradients();
    encoder.forward(backend, out.data(), x.data(), key_mask.data(), B, T, training);
    encoder.backward(backend, dx.data(), dout.data());
  });
  const Timing forward = median_ms(repeats, [&] {
    encoder.forward(backend, out.data(), x.data(), key_mask.data(), B, T, training);
  });
  const Timing evaluation = median_ms(
      repeats, [&] { encoder.forward(backend, out.data(), x.data(), key_mask.data(), B, T, {}); });
  std::printf(
      "encoder step_ms=%.3f step_cpu_ms=%.3f forward_ms=%.3f forward_cpu_ms=%.3f "
      "eval_forward_ms=%.3f eval_forward_cpu_ms=%.3f interactions_per_cpu_s=%.0f\n",
      step.wall_ms, step.cpu_ms, forward.wall_ms, forward.cpu_ms, evaluation.wall_ms,
      evaluation.cpu_ms, double(n) / (step.cpu_ms / 1000.0));

  // The ops of one block alone, at the same sizes (one call each; a block calls each of the
  // layer norm, dropout and residual ops twice).
  const int64_t pairs = B * H * T * T;
  const auto qkv = random_values(static_cast<size_t>(n * 3 * D), 6);
  std::vector<float> attended(static_cast<size_t>(n * D)),
      probabilities(static_cast<size_t>(pairs)), scratch(static_cast<size_t>(pairs)),
      dqkv(static_cast<size_t>(n * 3 * D)), mean(static_cast<size_t>(n)),
      rstd(static_cast<size_t>(n)), dweight(static_cast<size_t>(D)), dbias(static_cast<size_t>(D)),
      hidden(static_cast<size_t>(n * F)), dhidden(static_cast<size_t>(n * F));
  const auto weight = random_values(static_cast<size_t>(D), 7);
  const auto bias = random_values(static_cast<size_t>(D), 8);
  const auto pre = random_values(static_cast<size_t>(n * F), 9);
  const DropoutMask mask{0.2f, 10, row_keys.data()};
  auto report = [&](const char* op, const std::function<void()>& work) {
    const Timing timing = median_ms(repeats, work);
    std::printf("op=%s ms=%.3f cpu_ms=%.3f\n", op, timing.wall_ms, timing.cpu_ms);
  };
  report("attention_forward", [&] {
    backend.causal_attention_forward(attended.data(), probabilities.data(), scratch.data(),
                                     qkv.data(), key_mask.data(), B, T, D, H, mask);
  });
  report("attention_backward", [&] {
    backend.causal_attention_backward(dqkv.data(), scratch.data(), dout.data(), qkv.data(),
                                      probabilities.data(), B, T, D, H, mask);
  });
  report("in_projection_forward_gemm", [&] {
    backend.gemm(false, true, n, 3 * D, D, 1.0f, x.data(), qkv.data(), 0.0f, dqkv.data());
  });
  report("feed_forward_in_gemm", [&] {
    backend.gemm(false, true, n, F, D, 1.0f, x.data(), pre.data(), 0.0f, hidden.data());
  });
  report("layer_norm_forward", [&] {
    backend.layer_norm_forward(out.data(), mean.data(), rstd.data(), x.data(), weight.data(),
                               bias.data(), n, D, 1e-5f);
  });
  report("layer_norm_backward", [&] {
    backend.layer_norm_backward(dx.data(), dweight.data(), dbias.data(), dout.data(), x.data(),
                                weight.data(), mean.data(), rstd.data(), n, D);
  });
  report("gelu_forward", [&] { backend.gelu_forward(hidden.data(), pre.data(), n * F); });
  report("gelu_backward",
         [&] { backend.gelu_backward(dhidden.data(), hidden.data(), pre.data(), n * F); });
  report("dropout_hidden",
         [&] { backend.dropout_forward(dhidden.data(), hidden.data(), n, F, mask); });
  return 0;
}

}  // namespace
}  // namespace slatetrain

int main(int argc, char** argv) {
  try {
    return slatetrain::run(argc, argv);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "transformer_encoder_bench: %s\n", error.what());
    return 1;
  }
}
