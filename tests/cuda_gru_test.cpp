// CudaBackend's GRU (cuBLAS products + fused gate kernels) against CpuBackend's: outputs and
// every gradient, with a hold mask (click-only advance), with and without an initial state.
#include "tests/cuda_test_support.hpp"

namespace slatetrain {
namespace {

using testing_cuda::arrays_near;
using testing_cuda::CudaBackendTest;
using testing_cuda::random_mask;
using testing_cuda::random_values;
using testing_cuda::Twin;

class CudaGruTest : public CudaBackendTest, public ::testing::WithParamInterface<bool> {};

TEST_P(CudaGruTest, ForwardAndBackwardMatchTheCpu) {
  const bool with_initial_state = GetParam();
  const int64_t B = 6, T = 9, I = 7, H = 12;
  Twin<float> input(cpu, *gpu, random_values(B * T * I, 1));
  Twin<float> initial(cpu, *gpu, random_values(B * H, 2, 0.5f));
  std::vector<uint8_t> advance_values = random_mask(B * T, 3, 0.6);
  for (int64_t t = 0; t < T; ++t) advance_values[t] = 0;  // one sequence that never advances
  Twin<uint8_t> advance(cpu, *gpu, advance_values);
  Twin<float> weight_ih(cpu, *gpu, random_values(3 * H * I, 4, 0.4f));
  Twin<float> weight_hh(cpu, *gpu, random_values(3 * H * H, 5, 0.4f));
  Twin<float> bias_ih(cpu, *gpu, random_values(3 * H, 6, 0.2f));
  Twin<float> bias_hh(cpu, *gpu, random_values(3 * H, 7, 0.2f));
  Twin<float> output(cpu, *gpu, std::vector<float>(B * T * H, 0.0f));
  // Each backend's own private workspace layout.
  Tensor cpu_workspace(cpu, {cpu.gru_workspace_floats(B, T, I, H)}, DType::kFloat32);
  Tensor gpu_workspace(*gpu, {gpu->gru_workspace_floats(B, T, I, H)}, DType::kFloat32);
  const float* cpu_initial = with_initial_state ? initial.cpu() : nullptr;
  const float* gpu_initial = with_initial_state ? initial.gpu() : nullptr;

  cpu.gru_forward(output.cpu(), cpu_workspace.data<float>(), input.cpu(), cpu_initial,
                  advance.cpu(), weight_ih.cpu(), weight_hh.cpu(), bias_ih.cpu(), bias_hh.cpu(), B,
                  T, I, H);
  gpu->gru_forward(output.gpu(), gpu_workspace.data<float>(), input.gpu(), gpu_initial,
                   advance.gpu(), weight_ih.gpu(), weight_hh.gpu(), bias_ih.gpu(), bias_hh.gpu(), B,
                   T, I, H);
  EXPECT_TRUE(arrays_near(output.gpu_values(), output.cpu_values(), 1e-5, 1e-5)) << "output";

  Twin<float> doutput(cpu, *gpu, random_values(B * T * H, 8));
  Twin<float> dinput(cpu, *gpu, random_values(B * T * I, 9));       // overwritten
  Twin<float> dinitial(cpu, *gpu, random_values(B * H, 10));        // overwritten
  Twin<float> dweight_ih(cpu, *gpu, random_values(3 * H * I, 11));  // accumulated
  Twin<float> dweight_hh(cpu, *gpu, random_values(3 * H * H, 12));
  Twin<float> dbias_ih(cpu, *gpu, random_values(3 * H, 13));
  Twin<float> dbias_hh(cpu, *gpu, random_values(3 * H, 14));
  cpu.gru_backward(dinput.cpu(), dinitial.cpu(), dweight_ih.cpu(), dweight_hh.cpu(), dbias_ih.cpu(),
                   dbias_hh.cpu(), doutput.cpu(), input.cpu(), cpu_initial, advance.cpu(),
                   weight_ih.cpu(), weight_hh.cpu(), output.cpu(), cpu_workspace.data<float>(), B,
                   T, I, H);
  gpu->gru_backward(dinput.gpu(), dinitial.gpu(), dweight_ih.gpu(), dweight_hh.gpu(),
                    dbias_ih.gpu(), dbias_hh.gpu(), doutput.gpu(), input.gpu(), gpu_initial,
                    advance.gpu(), weight_ih.gpu(), weight_hh.gpu(), output.gpu(),
                    gpu_workspace.data<float>(), B, T, I, H);
  EXPECT_TRUE(arrays_near(dinput.gpu_values(), dinput.cpu_values(), 1e-4, 1e-4)) << "dinput";
  EXPECT_TRUE(arrays_near(dinitial.gpu_values(), dinitial.cpu_values(), 1e-4, 1e-4))
      << "dinitial_state";
  EXPECT_TRUE(arrays_near(dweight_ih.gpu_values(), dweight_ih.cpu_values(), 1e-4, 1e-4))
      << "dweight_ih";
  EXPECT_TRUE(arrays_near(dweight_hh.gpu_values(), dweight_hh.cpu_values(), 1e-4, 1e-4))
      << "dweight_hh";
  EXPECT_TRUE(arrays_near(dbias_ih.gpu_values(), dbias_ih.cpu_values(), 1e-4, 1e-4)) << "dbias_ih";
  EXPECT_TRUE(arrays_near(dbias_hh.gpu_values(), dbias_hh.cpu_values(), 1e-4, 1e-4)) << "dbias_hh";
}

INSTANTIATE_TEST_SUITE_P(InitialState, CudaGruTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? std::string("Given") : std::string("Zeros");
                         });

}  // namespace
}  // namespace slatetrain
