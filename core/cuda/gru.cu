// The GRU's gate arithmetic for one time step, fused into one kernel per direction; the two
// matrix products per step (and the big input projection over all steps) are cuBLAS calls in
// CudaBackend::gru_forward / gru_backward.
//
// Why not cuDNN's RNN: cuDNN runs every step of every sequence. Our state holds on steps
// with advance = 0 (click-only advance), which cuDNN cannot express; mapping it onto cuDNN
// needs a compaction of each user's advancing steps and a scatter back, i.e. two more kernels
// and a second layout. The fused step keeps the exact PyTorch gate convention with the hold
// mask, and the matrix products (the FLOPs) are cuBLAS either way.
#include "core/cuda/launchers.hpp"
#include "core/cuda_error.hpp"

namespace slatetrain {
namespace cuda {
namespace {

constexpr int kThreads = 256;

__device__ inline float sigmoid(float x) {
  return 1.0f / (1.0f + expf(-x));
}

__global__ void gru_forward_step_kernel(float* output, float* saved_gates, const float* input_gates,
                                        const float* hidden_gates, const float* previous,
                                        int64_t previous_stride, const uint8_t* advance,
                                        const float* bias_hh, int64_t batch, int64_t steps,
                                        int64_t hidden, int64_t step) {
  for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; e < batch * hidden;
       e += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const int64_t b = e / hidden, j = e % hidden;
    const int64_t row = b * steps + step;  // (b, t) in [B, T]
    const float* gi = input_gates + row * 3 * hidden;
    const float* gh = hidden_gates + b * 3 * hidden;
    const float h_previous = previous != nullptr ? previous[b * previous_stride + j] : 0.0f;
    const float r = sigmoid(gi[j] + gh[j] + bias_hh[j]);
    const float z = sigmoid(gi[hidden + j] + gh[hidden + j] + bias_hh[hidden + j]);
    const float hn = gh[2 * hidden + j] + bias_hh[2 * hidden + j];
    const float n = tanhf(gi[2 * hidden + j] + r * hn);
    const float h_new = (1.0f - z) * n + z * h_previous;
    float* saved = saved_gates + row * 4 * hidden;
    saved[j] = r;
    saved[hidden + j] = z;
    saved[2 * hidden + j] = n;
    saved[3 * hidden + j] = hn;
    output[row * hidden + j] = advance[row] ? h_new : h_previous;
  }
}

__global__ void gru_backward_step_kernel(float* dinput_gates, float* dhidden_gates, float* carry,
                                         const float* doutput, const float* saved_gates,
                                         const float* previous, int64_t previous_stride,
                                         const uint8_t* advance, int64_t batch, int64_t steps,
                                         int64_t hidden, int64_t step) {
  for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; e < batch * hidden;
       e += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const int64_t b = e / hidden, j = e % hidden;
    const int64_t row = b * steps + step;
    const float dh = doutput[row * hidden + j] + carry[e];
    float* dgi = dinput_gates + row * 3 * hidden;
    float* dgh = dhidden_gates + row * 3 * hidden;
    if (!advance[row]) {
      // h_t = h_{t-1}: the gradient passes through, the gates had no effect.
      dgi[j] = dgi[hidden + j] = dgi[2 * hidden + j] = 0.0f;
      dgh[j] = dgh[hidden + j] = dgh[2 * hidden + j] = 0.0f;
      carry[e] = dh;
      continue;
    }
    const float* saved = saved_gates + row * 4 * hidden;
    const float r = saved[j], z = saved[hidden + j], n = saved[2 * hidden + j];
    const float hn = saved[3 * hidden + j];
    const float h_previous = previous != nullptr ? previous[b * previous_stride + j] : 0.0f;
    const float dn_pre = dh * (1.0f - z) * (1.0f - n * n);  // d(W_in x + b_in + r * hn)
    const float dz_pre = dh * (h_previous - n) * z * (1.0f - z);
    const float dr_pre = dn_pre * hn * r * (1.0f - r);
    dgi[j] = dr_pre;
    dgi[hidden + j] = dz_pre;
    dgi[2 * hidden + j] = dn_pre;
    dgh[j] = dr_pre;
    dgh[hidden + j] = dz_pre;
    dgh[2 * hidden + j] = dn_pre * r;
    carry[e] = dh * z;
  }
}

__global__ void gru_previous_states_kernel(float* previous_states, const float* output,
                                           const float* initial_state, int64_t batch, int64_t steps,
                                           int64_t hidden) {
  for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
       e < batch * steps * hidden; e += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const int64_t j = e % hidden, t = (e / hidden) % steps, b = e / (hidden * steps);
    if (t > 0)
      previous_states[e] = output[e - hidden];
    else
      previous_states[e] = initial_state != nullptr ? initial_state[b * hidden + j] : 0.0f;
  }
}

}  // namespace

void launch_gru_forward_step(float* output, float* saved_gates, const float* input_gates,
                             const float* hidden_gates, const float* previous,
                             int64_t previous_stride, const uint8_t* advance, const float* bias_hh,
                             int64_t batch, int64_t steps, int64_t hidden, int64_t step,
                             cudaStream_t stream) {
  if (batch <= 0 || hidden <= 0) return;
  gru_forward_step_kernel<<<blocks_for(batch * hidden, kThreads), kThreads, 0, stream>>>(
      output, saved_gates, input_gates, hidden_gates, previous, previous_stride, advance, bias_hh,
      batch, steps, hidden, step);
  CHECK_CUDA_LAUNCH();
}

void launch_gru_backward_step(float* dinput_gates, float* dhidden_gates, float* carry,
                              const float* doutput, const float* saved_gates, const float* previous,
                              int64_t previous_stride, const uint8_t* advance, int64_t batch,
                              int64_t steps, int64_t hidden, int64_t step, cudaStream_t stream) {
  if (batch <= 0 || hidden <= 0) return;
  gru_backward_step_kernel<<<blocks_for(batch * hidden, kThreads), kThreads, 0, stream>>>(
      dinput_gates, dhidden_gates, carry, doutput, saved_gates, previous, previous_stride, advance,
      batch, steps, hidden, step);
  CHECK_CUDA_LAUNCH();
}

void launch_gru_previous_states(float* previous_states, const float* output,
                                const float* initial_state, int64_t batch, int64_t steps,
                                int64_t hidden, cudaStream_t stream) {
  const int64_t n = batch * steps * hidden;
  if (n <= 0) return;
  gru_previous_states_kernel<<<blocks_for(n, kThreads), kThreads, 0, stream>>>(
      previous_states, output, initial_state, batch, steps, hidden);
  CHECK_CUDA_LAUNCH();
}

}  // namespace cuda
}  // namespace slatetrain
