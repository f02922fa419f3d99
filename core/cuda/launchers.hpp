// Launchers of the CUDA backend's own kernels, one section per file in core/cuda/. Each
// launcher takes its stream last, enqueues its kernel(s) and checks the launch; shapes and
// the accumulate (+=) / overwrite (=) rule are those of the matching op in core/backend.hpp.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "core/backend.hpp"
#include "core/cuda/device_fault.hpp"

namespace slatetrain {
namespace cuda {

// Grid for a grid-stride loop over n elements.
inline unsigned int blocks_for(int64_t n, int threads) {
  const int64_t blocks = (n + threads - 1) / threads;
  return static_cast<unsigned int>(blocks < 1 ? 1 : (blocks > 65536 ? 65536 : blocks));
}

// ---- elementwise.cu ---------------------------------------------------------------------
void launch_fill(float* x, int64_t n, float value, cudaStream_t stream);
void launch_fill_int32(int32_t* x, int64_t n, int32_t value, cudaStream_t stream);
void launch_axpy(float* y, const float* x, int64_t n, float alpha, cudaStream_t stream);
void launch_scale(float* x, int64_t n, float factor, cudaStream_t stream);
void launch_sigmoid_forward(float* y, const float* x, int64_t n, cudaStream_t stream);
void launch_sigmoid_backward(float* dx, const float* dy, const float* y, int64_t n,
                             cudaStream_t stream);
void launch_tanh_forward(float* y, const float* x, int64_t n, cudaStream_t stream);
void launch_tanh_backward(float* dx, const float* dy, const float* y, int64_t n,
                          cudaStream_t stream);
// shapes: y [rows, cols] (row stride ld), bias [cols].
void launch_add_bias(float* y, const float* bias, int64_t rows, int64_t cols, int64_t ld,
                     cudaStream_t stream);
void launch_bias_backward(float* dbias, const float* dy, int64_t rows, int64_t cols,
                          cudaStream_t stream);

// ---- reduction.cu -------------------------------------------------------------------------
// *result (device, one double) = sum x[i]^2, in a fixed order (deterministic for a given n).
// partials: device scratch of at least kReductionBlocks doubles.
constexpr int kReductionBlocks = 256;
void launch_squared_norm(double* result, double* partials, const float* x, int64_t n,
                         cudaStream_t stream);
// *result = sum x[i] (double), same scheme.
void launch_sum(double* result, double* partials, const float* x, int64_t n, cudaStream_t stream);

// ---- embedding.cu -----------------------------------------------------------------------
void launch_embedding_forward(float* out, const float* table, const int32_t* index, int64_t n,
                              int64_t dim, int64_t table_rows, DeviceFault* fault,
                              cudaStream_t stream);
void launch_embedding_backward(float* dtable, const float* dout, const int32_t* index, int64_t n,
                               int64_t dim, int64_t table_rows, DeviceFault* fault,
                               cudaStream_t stream);
void launch_segment_sum(float* out, const float* x, const int64_t* offsets, int64_t segments,
                        int64_t dim, cudaStream_t stream);

// ---- gru.cu -------------------------------------------------------------------------------
// One step t of the forward pass for all B sequences, after the two matrix products.
// shapes: input_gates [B, T, 3H] (W_ih x + b_ih for every step, row (b, t));
//         hidden_gates [B, 3H] (W_hh h_{t-1}, no bias); previous [B, H] rows at stride
//         previous_stride (nullptr: zeros); advance [B, T]; bias_hh [3H];
//         output [B, T, H]; saved_gates [B, T, 4H] = (r, z, n, W_hn h + b_hn) per step.
void launch_gru_forward_step(float* output, float* saved_gates, const float* input_gates,
                             const float* hidden_gates, const float* previous,
                             int64_t previous_stride, const uint8_t* advance, const float* bias_hh,
                             int64_t batch, int64_t steps, int64_t hidden, int64_t step,
                             cudaStream_t stream);
// One step t of the backward pass, before the product with W_hh.
// carry [B, H]: on entry dL/dh_t from later steps; on exit the direct part of dL/dh_{t-1}
// (dh * z where the state advanced, dh where it held). doutput [B, T, H].
// dinput_gates, dhidden_gates [B, T, 3H]: the step's pre-activation gradients (zero where the
// state held). previous as in forward.
void launch_gru_backward_step(float* dinput_gates, float* dhidden_gates, float* carry,
                              const float* doutput, const float* saved_gates, const float* previous,
                              int64_t previous_stride, const uint8_t* advance, int64_t batch,
                              int64_t steps, int64_t hidden, int64_t step, cudaStream_t stream);
// previous_states [B, T, H]: h_{t-1} per step (initial_state or zeros at t = 0).
void launch_gru_previous_states(float* previous_states, const float* output,
                                const float* initial_state, int64_t batch, int64_t steps,
                                int64_t hidden, cudaStream_t stream);

// ---- slate.cu -----------------------------------------------------------------------------
void launch_slate_scores_forward(float* scores, const float* user, const float* rows,
                                 const int32_t* slate_index, const int32_t* slate_length,
                                 const float* no_click_bias, int64_t n, int64_t slate, int64_t dim,
                                 int64_t row_count, int64_t bias_size, DeviceFault* fault,
                                 cudaStream_t stream);
void launch_slate_scores_backward(float* duser, float* drows, float* dno_click_bias,
                                  const float* dscores, const float* user, const float* rows,
                                  const int32_t* slate_index, const int32_t* slate_length,
                                  int64_t n, int64_t slate, int64_t dim, int64_t row_count,
                                  int64_t bias_size, DeviceFault* fault, cudaStream_t stream);
// step_loss [n] is required here (the backend passes scratch when the caller gave none).
void launch_slate_cross_entropy(float* dscores, float* step_loss, const float* scores,
                                const int32_t* target, const uint8_t* step_mask, int64_t n,
                                int64_t slate, float gradient_scale, DeviceFault* fault,
                                cudaStream_t stream);

// ---- softmax.cu -----------------------------------------------------------------------------
void launch_logsumexp_update(float* running_max, float* running_sum, const float* scores,
                             int64_t rows, int64_t columns, cudaStream_t stream);
void launch_softmax_from_logsumexp(float* scores, const float* logsumexp, int64_t rows,
                                   int64_t columns, float scale, cudaStream_t stream);
void launch_rowwise_dot(float* out, const float* a, const float* b, int64_t rows, int64_t dim,
                        cudaStream_t stream);

// ---- sampled_softmax.cu -------------------------------------------------------------------
// logits: scratch [n, negatives + 1]; step_loss [n] required; logit_offset may be nullptr.
void launch_sampled_softmax(float* duser, float* drows, float* step_loss, float* logits,
                            const float* user, const float* rows, const int32_t* positive,
                            const int32_t* negative, const float* logit_offset,
                            const uint8_t* step_mask, int64_t n, int64_t negatives, int64_t dim,
                            int64_t row_count, float gradient_scale, DeviceFault* fault,
                            cudaStream_t stream);

// ---- optimizer.cu -------------------------------------------------------------------------
// Bias corrections are computed once on the host (in double) and passed in.
struct AdamStep {
  float learning_rate, beta1, beta2, epsilon, weight_decay;
  bool decoupled;
  float first_correction;   // 1 - beta1^step
  float second_correction;  // 1 - beta2^step
};
AdamStep make_adam_step(const AdamSettings& settings);
void launch_adam_update(float* parameters, float* first_moment, float* second_moment,
                        const float* gradients, int64_t n, const AdamStep& step,
                        cudaStream_t stream);
void launch_sparse_adam_update(float* table, float* first_moment, float* second_moment,
                               const int32_t* rows, const float* gradients, int64_t row_count,
                               int64_t dim, int64_t table_rows, const AdamStep& step,
                               DeviceFault* fault, cudaStream_t stream);
void launch_sparse_adagrad_update(float* table, float* accumulator, const int32_t* rows,
                                  const float* gradients, int64_t row_count, int64_t dim,
                                  int64_t table_rows, const AdagradSettings& settings,
                                  DeviceFault* fault, cudaStream_t stream);

// ---- top_k.cu -----------------------------------------------------------------------------
// Two passes: each of kTopKThreads threads per row keeps a sorted list of its best k columns
// (scratch), then one block per row merges the lists. Scratch sizes from top_k_scratch_*.
constexpr int kTopKThreads = 128;
inline int64_t top_k_scratch_entries(int64_t rows, int64_t k) {
  return rows * kTopKThreads * k;
}
void launch_top_k(float* top_scores, int32_t* top_columns, const float* scores, int64_t rows,
                  int64_t columns, int64_t k, const int64_t* exclude_offsets,
                  const int32_t* exclude_columns, float* scratch_scores, int32_t* scratch_columns,
                  int32_t* scratch_lengths, cudaStream_t stream);

}  // namespace cuda
}  // namespace slatetrain
