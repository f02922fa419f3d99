// Backend: every op the model layers need, one virtual per op, implemented twice: CpuBackend
// (core/cpu_backend.hpp, the readable reference) and CudaBackend (core/cuda_backend.hpp).
//
// Conventions for every op:
//  - Pointers are raw, typed and live on the backend's device (allocate() memory); sizes are
//    explicit; every matrix is row-major and contiguous. A `// shapes:` comment per op.
//  - Backward signatures put gradients first: (dinput, dweight, ..., doutput, input, ...).
//  - PARAMETER gradients ACCUMULATE (+=): dweight, dbias, drows, dtable. Zero them once per step.
//    ACTIVATION gradients OVERWRITE (=): dinput, duser, dscores, dinitial_state.
//  - An optional output given as nullptr is not computed.
//  - Indices are int32 rows into a local buffer; -1 means "nothing here" where an op says so.
//  - Ops may run asynchronously on the device (CUDA: one stream); copy_to_host and the ops that
//    return a value to the host synchronise. CPU ops are synchronous.
//  - Backends check sizes and indices they can check cheaply and throw Error naming the op,
//    the array and the offending index.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/tensor.hpp"

namespace slatetrain {

// Settings for the dense and sparse Adam updates.
struct AdamSettings {
  float learning_rate = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float epsilon = 1e-8f;
  // decoupled = true: AdamW, parameter -= learning_rate * weight_decay * parameter.
  // decoupled = false: Adam with L2, gradient += weight_decay * parameter.
  float weight_decay = 0.0f;
  bool decoupled = true;
  // 1-based count of updates so far including this one, for bias correction
  // (1 - beta^step). The sparse (lazy) update uses the global step for every row.
  int64_t step = 1;
};

struct AdagradSettings {
  float learning_rate = 1e-2f;
  float epsilon = 1e-10f;
  // accumulator starts at this value (set by the caller with fill()); listed for reference.
  float initial_accumulator = 0.0f;
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual Device device() const = 0;
  // "cpu" or "cuda".
  virtual std::string name() const = 0;

  // ---- memory --------------------------------------------------------------------------
  // Device memory of at least `bytes` (aligned to 64 bytes); deallocate(nullptr) is a no-op.
  virtual void* allocate(size_t bytes) = 0;
  virtual void deallocate(void* pointer) = 0;
  // Copies between host memory and this backend's memory, and within this backend's memory.
  virtual void copy_to_device(void* device_destination, const void* host_source, size_t bytes) = 0;
  virtual void copy_to_host(void* host_destination, const void* device_source, size_t bytes) = 0;
  virtual void copy_on_device(void* device_destination, const void* device_source,
                              size_t bytes) = 0;
  // Sets bytes to zero.
  virtual void zero(void* pointer, size_t bytes) = 0;
  // shapes: x [n]; x[i] = value.
  virtual void fill(float* x, int64_t n, float value) = 0;
  virtual void fill_int32(int32_t* x, int64_t n, int32_t value) = 0;
  // Waits for every op issued so far.
  virtual void synchronize() = 0;

  // ---- dense linear algebra ---------------------------------------------------------------
  // C = alpha * op(A) op(B) + beta * C, row-major, contiguous.
  // shapes: C [m, n]; op(A) [m, k]: A is [m, k], or [k, m] when transpose_a;
  //         op(B) [k, n]: B is [k, n], or [n, k] when transpose_b.
  // beta = 0 ignores C's previous contents (NaNs included).
  virtual void gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k,
                    float alpha, const float* a, const float* b, float beta, float* c) = 0;
  // `batch` independent gemms; matrix i starts at a + i*stride_a etc. (strides in elements).
  virtual void gemm_strided_batched(bool transpose_a, bool transpose_b, int64_t m, int64_t n,
                                    int64_t k, float alpha, const float* a, int64_t stride_a,
                                    const float* b, int64_t stride_b, float beta, float* c,
                                    int64_t stride_c, int64_t batch) = 0;
  // shapes: y [rows, cols], bias [cols]; y[r, c] += bias[c].
  virtual void add_bias(float* y, const float* bias, int64_t rows, int64_t cols) = 0;
  // shapes: dbias [cols], dy [rows, cols]; dbias[c] += sum_r dy[r, c].
  virtual void bias_backward(float* dbias, const float* dy, int64_t rows, int64_t cols) = 0;

  // ---- elementwise ------------------------------------------------------------------------
  // shapes: all [n].
  // y += alpha * x.
  virtual void axpy(float* y, const float* x, int64_t n, float alpha) = 0;
  // x *= factor.
  virtual void scale(float* x, int64_t n, float factor) = 0;
  // y = sigmoid(x); dx = dy * y * (1 - y) (overwrite; y is the forward output).
  virtual void sigmoid_forward(float* y, const float* x, int64_t n) = 0;
  virtual void sigmoid_backward(float* dx, const float* dy, const float* y, int64_t n) = 0;
  // y = tanh(x); dx = dy * (1 - y^2) (overwrite; y is the forward output).
  virtual void tanh_forward(float* y, const float* x, int64_t n) = 0;
  virtual void tanh_backward(float* dx, const float* dy, const float* y, int64_t n) = 0;
  // Sum of x[i]^2 in double (gradient clipping: the caller adds the parts and takes sqrt).
  // Returns to the host (synchronises).
  virtual double squared_norm(const float* x, int64_t n) = 0;

  // ---- embedding rows ---------------------------------------------------------------------
  // Gather: out[i, :] = table[index[i], :]; index[i] == -1 gives a zero row.
  // shapes: out [n, dim], table [table_rows, dim], index [n] in [-1, table_rows).
  virtual void embedding_forward(float* out, const float* table, const int32_t* index, int64_t n,
                                 int64_t dim, int64_t table_rows) = 0;
  // Scatter-add: dtable[index[i], :] += dout[i, :]; index -1 skipped; repeated indices add up.
  // shapes: dtable [table_rows, dim], dout [n, dim], index [n].
  virtual void embedding_backward(float* dtable, const float* dout, const int32_t* index, int64_t n,
                                  int64_t dim, int64_t table_rows) = 0;
  // Segment sum: out[s, :] = sum of x[offsets[s] .. offsets[s+1]) rows (overwrite; an empty
  // segment gives zeros). offsets is non-decreasing, offsets[0] = 0, offsets[segments] = rows
  // of x. Used to reduce the gradient pieces of one row that arrive from several ranks after
  // they are sorted by row.
  // shapes: out [segments, dim], x [offsets[segments], dim], offsets [segments + 1] (int64).
  virtual void segment_sum(float* out, const float* x, const int64_t* offsets, int64_t segments,
                           int64_t dim) = 0;

  // ---- GRU over a sequence (PyTorch torch.nn.GRU convention, batch_first) --------------------
  // Gates in the order (r, z, n):
  //   r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
  //   z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
  //   n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
  //   h' = (1 - z) * n + z * h
  // advance[b, t] = 1: h_t = h'(x_t, h_{t-1}); 0: h_t = h_{t-1} (the state holds).
  // shapes: input [B, T, I]; initial_state [B, H] or nullptr for zeros; advance [B, T] (uint8);
  //         weight_ih [3H, I]; weight_hh [3H, H]; bias_ih [3H]; bias_hh [3H] (rows r, z, n);
  //         output [B, T, H] = h_t after step t (t = 0..T-1);
  //         workspace [gru_workspace_floats(B, T, I, H)]: what backward needs; its layout is
  //         private to the backend and it must not be touched between forward and backward.
  virtual int64_t gru_workspace_floats(int64_t batch, int64_t steps, int64_t input_size,
                                       int64_t hidden_size) const = 0;
  virtual void gru_forward(float* output, float* workspace, const float* input,
                           const float* initial_state, const uint8_t* advance,
                           const float* weight_ih, const float* weight_hh, const float* bias_ih,
                           const float* bias_hh, int64_t batch, int64_t steps, int64_t input_size,
                           int64_t hidden_size) = 0;
  // Gradients: dinput [B, T, I] and dinitial_state [B, H] overwrite (either may be nullptr);
  // dweight_ih, dweight_hh, dbias_ih, dbias_hh accumulate. doutput [B, T, H] is the gradient of
  // the loss with respect to output; output and workspace are forward's (the workspace may be
  // used as scratch: run backward once per forward).
  virtual void gru_backward(float* dinput, float* dinitial_state, float* dweight_ih,
                            float* dweight_hh, float* dbias_ih, float* dbias_hh,
                            const float* doutput, const float* input, const float* initial_state,
                            const uint8_t* advance, const float* weight_ih, const float* weight_hh,
                            const float* output, float* workspace, int64_t batch, int64_t steps,
                            int64_t input_size, int64_t hidden_size) = 0;

  // ---- slate scoring ----------------------------------------------------------------------
  // One row per step (n = B*T). Position 0 is the no-click option, scored by the bias of the
  // slate length; positions j >= 1 hold a row of `rows` or -1 (masked: PAD, UNK, past the end).
  //   scores[i, 0] = no_click_bias[slate_length[i]]
  //   scores[i, j] = user[i] . rows[slate_index[i, j]]   (j >= 1, slate_index >= 0)
  //   scores[i, j] = -inf                                 (j >= 1, slate_index == -1)
  // slate_index[i, 0] is ignored. slate_length[i] must be in [0, bias_size).
  // shapes: scores [n, slate]; user [n, dim]; rows [row_count, dim];
  //         slate_index [n, slate] (int32); slate_length [n] (int32); no_click_bias [bias_size].
  virtual void slate_scores_forward(float* scores, const float* user, const float* rows,
                                    const int32_t* slate_index, const int32_t* slate_length,
                                    const float* no_click_bias, int64_t n, int64_t slate,
                                    int64_t dim, int64_t row_count, int64_t bias_size) = 0;
  // duser overwrites; drows and dno_click_bias accumulate (any may be nullptr). Masked
  // positions contribute nothing whatever dscores holds there.
  // shapes: as forward; dscores [n, slate].
  virtual void slate_scores_backward(float* duser, float* drows, float* dno_click_bias,
                                     const float* dscores, const float* user, const float* rows,
                                     const int32_t* slate_index, const int32_t* slate_length,
                                     int64_t n, int64_t slate, int64_t dim, int64_t row_count,
                                     int64_t bias_size) = 0;

  // ---- losses -----------------------------------------------------------------------------
  // Masked softmax cross-entropy over each slate: for steps with step_mask[i] = 1,
  //   loss_i = -log softmax(scores[i, :])[target[i]]  (-inf positions have probability 0).
  // Returns sum_i step_mask[i] * loss_i in double (synchronises); the caller divides by the
  // global count of training steps. step_loss[i] (optional) gets loss_i, 0 for masked steps.
  // dscores (optional, overwrite) = gradient_scale * step_mask[i] * (softmax - onehot(target)),
  // 0 at -inf positions and on masked steps. A target at a -inf position is an error.
  // shapes: dscores [n, slate]; step_loss [n]; scores [n, slate]; target [n] (int32, position);
  //         step_mask [n] (uint8).
  virtual double slate_cross_entropy(float* dscores, float* step_loss, const float* scores,
                                     const int32_t* target, const uint8_t* step_mask, int64_t n,
                                     int64_t slate, float gradient_scale) = 0;
  // Sampled softmax: logits l_0 = user[i] . rows[positive[i]], l_k = user[i] . rows[negative[i,
  // k-1]] (k = 1..negatives; a negative of -1 is left out, e.g. an accidental hit);
  //   loss_i = -log softmax(l)[0] for step_mask[i] = 1.
  // Returns sum_i step_mask[i] * loss_i (synchronises); step_loss optional as above.
  // duser (optional, overwrite) and drows (optional, accumulate) are the gradients of
  // gradient_scale * sum_i step_mask[i] * loss_i.
  // shapes: duser [n, dim]; drows [row_count, dim]; step_loss [n]; user [n, dim];
  //         rows [row_count, dim]; positive [n]; negative [n, negatives] (int32); step_mask [n].
  virtual double sampled_softmax_loss(float* duser, float* drows, float* step_loss,
                                      const float* user, const float* rows, const int32_t* positive,
                                      const int32_t* negative, const uint8_t* step_mask, int64_t n,
                                      int64_t negatives, int64_t dim, int64_t row_count,
                                      float gradient_scale) = 0;

  // ---- optimizers -------------------------------------------------------------------------
  // Dense Adam / AdamW over n parameters (settings.decoupled picks which).
  // m = beta1 m + (1-beta1) g; v = beta2 v + (1-beta2) g^2;
  // p -= lr * (m / (1-beta1^step)) / (sqrt(v / (1-beta2^step)) + eps)  [- lr * wd * p].
  // shapes: parameters, first_moment, second_moment, gradients [n].
  virtual void adam_update(float* parameters, float* first_moment, float* second_moment,
                           const float* gradients, int64_t n, const AdamSettings& settings) = 0;
  // Lazy (sparse) Adam on the rows a step touched: for each i, row r = rows[i] of table and its
  // moments get the dense Adam update with gradient gradients[i, :]; other rows are untouched.
  // rows must be distinct and in [0, table_rows).
  // shapes: table, first_moment, second_moment [table_rows, dim]; rows [row_count] (int32);
  //         gradients [row_count, dim] (each row's summed gradient).
  virtual void sparse_adam_update(float* table, float* first_moment, float* second_moment,
                                  const int32_t* rows, const float* gradients, int64_t row_count,
                                  int64_t dim, int64_t table_rows,
                                  const AdamSettings& settings) = 0;
  // Sparse Adagrad, elementwise accumulator: a += g^2; p -= lr * g / (sqrt(a) + eps).
  // shapes: table, accumulator [table_rows, dim]; rows [row_count]; gradients [row_count, dim].
  virtual void sparse_adagrad_update(float* table, float* accumulator, const int32_t* rows,
                                     const float* gradients, int64_t row_count, int64_t dim,
                                     int64_t table_rows, const AdagradSettings& settings) = 0;

  // ---- evaluation -------------------------------------------------------------------------
  // Per-row top k of a score matrix (users x candidate columns), skipping excluded columns
  // (items a user already clicked, in this shard's column numbering). Sorted best first; ties
  // go to the lower column. With fewer than k eligible columns the tail is (-inf, -1).
  // Exclusions are CSR: row u excludes exclude_columns[exclude_offsets[u] ..
  // exclude_offsets[u+1]); exclude_offsets may be nullptr (no exclusions); columns outside
  // [0, columns) are ignored.
  // shapes: top_scores [rows, k]; top_columns [rows, k] (int32); scores [rows, columns];
  //         exclude_offsets [rows + 1] (int64); exclude_columns [exclude_offsets[rows]] (int32).
  virtual void top_k(float* top_scores, int32_t* top_columns, const float* scores, int64_t rows,
                     int64_t columns, int64_t k, const int64_t* exclude_offsets,
                     const int32_t* exclude_columns) = 0;
};

// The backend for a device: CpuBackend for kCpu; CudaBackend for kCuda in CUDA builds.
// kCuda in a build without CUDA throws Error.
std::unique_ptr<Backend> make_backend(Device device);

}  // namespace slatetrain
