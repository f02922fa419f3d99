// CudaBackend's transformer ops (layer norm, causal self-attention core, GELU, dropout) and the
// whole TransformerEncoder against CpuBackend's: outputs and every gradient, with a key mask
// whose first steps are empty and with dropout (the same hash masks on both).
#include <algorithm>
#include <array>
#include <string>

#include "models/parameter_buffer.hpp"
#include "models/transformer_encoder.hpp"
#include "tests/cuda_test_support.hpp"

namespace slatetrain {
namespace {

using testing_cuda::arrays_equal;
using testing_cuda::arrays_near;
using testing_cuda::CudaBackendTest;
using testing_cuda::random_mask;
using testing_cuda::random_values;
using testing_cuda::Twin;

std::vector<uint64_t> make_row_keys(size_t rows, uint64_t seed) {
  std::vector<uint64_t> keys(rows);
  for (size_t r = 0; r < rows; ++r) keys[r] = hash_mix(seed, r);
  return keys;
}

// Row keys on both backends (Tensors have no uint64 type: int64 storage).
struct RowKeys {
  Twin<int64_t> keys;
  RowKeys(Backend& cpu, Backend& gpu, const std::vector<uint64_t>& values)
      : keys(cpu, gpu, std::vector<int64_t>(values.begin(), values.end())) {}
  const uint64_t* cpu() { return reinterpret_cast<const uint64_t*>(keys.cpu()); }
  const uint64_t* gpu() { return reinterpret_cast<const uint64_t*>(keys.gpu()); }
};

using CudaTransformerTest = CudaBackendTest;

TEST_F(CudaTransformerTest, LayerNormMatchesTheCpu) {
  for (int64_t dim : {8, 64, 100}) {
    SCOPED_TRACE("dim " + std::to_string(dim));
    const int64_t rows = 203;
    std::vector<float> x_values = random_values(rows * dim, 1, 2.0f);
    for (auto& value : x_values) value += 1.5f;
    Twin<float> x(cpu, *gpu, x_values);
    Twin<float> weight(cpu, *gpu, random_values(dim, 2));
    Twin<float> bias(cpu, *gpu, random_values(dim, 3));
    Twin<float> out(cpu, *gpu, std::vector<float>(rows * dim, 0.0f));
    Twin<float> mean(cpu, *gpu, std::vector<float>(rows, 0.0f));
    Twin<float> rstd(cpu, *gpu, std::vector<float>(rows, 0.0f));
    cpu.layer_norm_forward(out.cpu(), mean.cpu(), rstd.cpu(), x.cpu(), weight.cpu(), bias.cpu(),
                           rows, dim, 1e-5f);
    gpu->layer_norm_forward(out.gpu(), mean.gpu(), rstd.gpu(), x.gpu(), weight.gpu(), bias.gpu(),
                            rows, dim, 1e-5f);
    EXPECT_TRUE(arrays_near(out.gpu_values(), out.cpu_values(), 1e-5, 1e-5)) << "out";
    EXPECT_TRUE(arrays_near(mean.gpu_values(), mean.cpu_values(), 1e-6, 1e-5)) << "mean";
    EXPECT_TRUE(arrays_near(rstd.gpu_values(), rstd.cpu_values(), 1e-6, 1e-5)) << "rstd";

    Twin<float> dout(cpu, *gpu, random_values(rows * dim, 4));
    Twin<float> dx(cpu, *gpu, random_values(rows * dim, 5));  // overwritten
    Twin<float> dweight(cpu, *gpu, random_values(dim, 6));    // accumulated
    Twin<float> dbias(cpu, *gpu, random_values(dim, 7));
    cpu.layer_norm_backward(dx.cpu(), dweight.cpu(), dbias.cpu(), dout.cpu(), x.cpu(), weight.cpu(),
                            mean.cpu(), rstd.cpu(), rows, dim);
    gpu->layer_norm_backward(dx.gpu(), dweight.gpu(), dbias.gpu(), dout.gpu(), x.gpu(),
                             weight.gpu(), mean.gpu(), rstd.gpu(), rows, dim);
    EXPECT_TRUE(arrays_near(dx.gpu_values(), dx.cpu_values(), 1e-4, 1e-4)) << "dx";
    EXPECT_TRUE(arrays_near(dweight.gpu_values(), dweight.cpu_values(), 1e-4, 1e-4)) << "dweight";
    EXPECT_TRUE(arrays_near(dbias.gpu_values(), dbias.cpu_values(), 1e-4, 1e-4)) << "dbias";
  }
}

class CudaAttentionTest : public CudaBackendTest, public ::testing::WithParamInterface<float> {};

TEST_P(CudaAttentionTest, ForwardAndBackwardMatchTheCpu) {
  const float probability = GetParam();
  // T above 32 so that a warp's lanes loop over the keys; heads of 16 and 12 columns.
  for (const auto& [B, T, D, H] :
       {std::array<int64_t, 4>{5, 37, 32, 2}, std::array<int64_t, 4>{4, 9, 36, 3}}) {
    SCOPED_TRACE("B " + std::to_string(B) + " T " + std::to_string(T));
    const int64_t pairs = B * H * T * T;
    std::vector<uint8_t> mask_values = random_mask(B * T, 8, 0.7);
    for (int64_t t = 0; t < 3; ++t) mask_values[T + t] = 0;  // sequence 1 starts empty
    Twin<uint8_t> key_mask(cpu, *gpu, mask_values);
    Twin<float> qkv(cpu, *gpu, random_values(B * T * 3 * D, 9));
    RowKeys keys(cpu, *gpu, make_row_keys(B * T, 10));
    Twin<float> out(cpu, *gpu, std::vector<float>(B * T * D, 3.0f));
    Twin<float> probabilities(cpu, *gpu, std::vector<float>(pairs, 3.0f));
    Twin<float> scratch(cpu, *gpu, std::vector<float>(pairs, 3.0f));
    const DropoutMask cpu_mask{probability, 77, keys.cpu()};
    const DropoutMask gpu_mask{probability, 77, keys.gpu()};
    cpu.causal_attention_forward(out.cpu(), probabilities.cpu(), scratch.cpu(), qkv.cpu(),
                                 key_mask.cpu(), B, T, D, H, cpu_mask);
    gpu->causal_attention_forward(out.gpu(), probabilities.gpu(), scratch.gpu(), qkv.gpu(),
                                  key_mask.gpu(), B, T, D, H, gpu_mask);
    EXPECT_TRUE(arrays_near(out.gpu_values(), out.cpu_values(), 1e-5, 1e-5)) << "out";
    EXPECT_TRUE(arrays_near(probabilities.gpu_values(), probabilities.cpu_values(), 1e-6, 1e-5))
        << "probabilities";

    Twin<float> dout(cpu, *gpu, random_values(B * T * D, 11));
    Twin<float> dqkv(cpu, *gpu, random_values(B * T * 3 * D, 12));  // overwritten
    cpu.causal_attention_backward(dqkv.cpu(), scratch.cpu(), dout.cpu(), qkv.cpu(),
                                  probabilities.cpu(), B, T, D, H, cpu_mask);
    gpu->causal_attention_backward(dqkv.gpu(), scratch.gpu(), dout.gpu(), qkv.gpu(),
                                   probabilities.gpu(), B, T, D, H, gpu_mask);
    EXPECT_TRUE(arrays_near(dqkv.gpu_values(), dqkv.cpu_values(), 1e-4, 1e-4)) << "dqkv";
  }
}

INSTANTIATE_TEST_SUITE_P(Dropout, CudaAttentionTest, ::testing::Values(0.0f, 0.3f),
                         [](const ::testing::TestParamInfo<float>& info) {
                           return info.param > 0.0f ? std::string("On") : std::string("Off");
                         });

TEST_F(CudaTransformerTest, GeluMatchesTheCpu) {
  const int64_t n = 10007;
  Twin<float> x(cpu, *gpu, random_values(n, 20, 5.0f));
  Twin<float> y(cpu, *gpu, std::vector<float>(n, 0.0f));
  cpu.gelu_forward(y.cpu(), x.cpu(), n);
  gpu->gelu_forward(y.gpu(), x.gpu(), n);
  EXPECT_TRUE(arrays_near(y.gpu_values(), y.cpu_values(), 1e-6, 1e-6)) << "forward";
  Twin<float> dy(cpu, *gpu, random_values(n, 21));
  Twin<float> dx(cpu, *gpu, std::vector<float>(n, 0.0f));
  cpu.gelu_backward(dx.cpu(), dy.cpu(), x.cpu(), n);
  gpu->gelu_backward(dx.gpu(), dy.gpu(), x.gpu(), n);
  EXPECT_TRUE(arrays_near(dx.gpu_values(), dx.cpu_values(), 1e-6, 1e-6)) << "backward";
}

TEST_F(CudaTransformerTest, DropoutMaskIsTheCpuMaskBitForBit) {
  const int64_t rows = 301, width = 67;
  Twin<float> x(cpu, *gpu, random_values(rows * width, 30));
  RowKeys keys(cpu, *gpu, make_row_keys(rows, 31));
  Twin<float> y(cpu, *gpu, std::vector<float>(rows * width, 0.0f));
  cpu.dropout_forward(y.cpu(), x.cpu(), rows, width, {0.35f, 5, keys.cpu()});
  gpu->dropout_forward(y.gpu(), x.gpu(), rows, width, {0.35f, 5, keys.gpu()});
  EXPECT_TRUE(arrays_equal(y.gpu_values(), y.cpu_values())) << "forward";
  Twin<float> dx(cpu, *gpu, std::vector<float>(rows * width, 0.0f));
  cpu.dropout_backward(dx.cpu(), x.cpu(), rows, width, {0.35f, 5, keys.cpu()});
  gpu->dropout_backward(dx.gpu(), x.gpu(), rows, width, {0.35f, 5, keys.gpu()});
  EXPECT_TRUE(arrays_equal(dx.gpu_values(), dx.cpu_values())) << "backward";
  gpu->dropout_forward(y.gpu(), x.gpu(), rows, width, {});
  EXPECT_TRUE(arrays_equal(y.gpu_values(), x.gpu_values())) << "probability 0";
}

TEST_F(CudaTransformerTest, EncoderForwardAndBackwardMatchTheCpu) {
  TransformerEncoderConfig config;
  config.dim = 32;
  config.heads = 4;
  config.layers = 2;
  config.ffn = 64;
  config.dropout = 0.2f;
  config.attention_dropout = 0.1f;
  const int64_t B = 6, T = 11, D = config.dim;
  ParameterBuffer cpu_parameters, gpu_parameters;
  TransformerEncoder cpu_encoder(config, cpu_parameters, "transformer");
  TransformerEncoder gpu_encoder(config, gpu_parameters, "transformer");
  cpu_parameters.allocate(cpu);
  gpu_parameters.allocate(*gpu);
  cpu_encoder.initialize(40);
  gpu_encoder.initialize(40);
  std::vector<uint8_t> mask_values = random_mask(B * T, 41, 0.8);
  std::fill(mask_values.begin() + T, mask_values.begin() + T + 4, uint8_t{0});
  Twin<uint8_t> key_mask(cpu, *gpu, mask_values);
  Twin<float> x(cpu, *gpu, random_values(B * T * D, 42));
  Twin<float> out(cpu, *gpu, std::vector<float>(B * T * D, 0.0f));
  const std::vector<uint64_t> keys = make_row_keys(B * T, 43);  // host, as the encoder takes
  for (bool training : {false, true}) {
    SCOPED_TRACE(training ? "training" : "evaluation");
    const DropoutContext context{training, 44, keys.data()};
    cpu_encoder.forward(cpu, out.cpu(), x.cpu(), key_mask.cpu(), B, T, context);
    gpu_encoder.forward(*gpu, out.gpu(), x.gpu(), key_mask.gpu(), B, T, context);
    EXPECT_TRUE(arrays_near(out.gpu_values(), out.cpu_values(), 1e-4, 1e-4)) << "out";
    Twin<float> dout(cpu, *gpu, random_values(B * T * D, 45));
    Twin<float> dx(cpu, *gpu, std::vector<float>(B * T * D, 0.0f));
    cpu_parameters.zero_gradients();
    gpu_parameters.zero_gradients();
    cpu_encoder.backward(cpu, dx.cpu(), dout.cpu());
    gpu_encoder.backward(*gpu, dx.gpu(), dout.gpu());
    EXPECT_TRUE(arrays_near(dx.gpu_values(), dx.cpu_values(), 1e-4, 1e-4)) << "dx";
    for (const ParameterView& view : cpu_parameters.views()) {
      EXPECT_TRUE(arrays_near(gpu_parameters.get_gradients(view.name),
                              cpu_parameters.get_gradients(view.name), 1e-4, 1e-4))
          << view.name;
    }
  }
}

}  // namespace
}  // namespace slatetrain
