// CpuBackend: the readable reference implementation of every Backend op. Matrix products go
// through OpenBLAS (cblas_sgemm); the other loops are split over a small thread pool.
// The op bodies live in core/cpu/*.cpp, one file per op family.
//
// Threads: SLATETRAIN_CPU_THREADS if set, else the hardware threads divided by the ranks on
// this node (OMPI_COMM_WORLD_LOCAL_SIZE or SLURM_NTASKS_PER_NODE), so that ranks sharing a
// node do not oversubscribe it. One set of threads does all the work: OpenBLAS is set to one
// thread and large matrix products are split by rows over the pool. If OPENBLAS_NUM_THREADS is
// set, it is honoured instead: OpenBLAS threads each product itself and the pool leaves
// products alone. (OpenBLAS's thread count is process-wide: the last CpuBackend created or
// set_threads() call decides it.)
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "core/backend.hpp"
#include "core/thread_pool.hpp"

namespace slatetrain {

class CpuBackend final : public Backend {
 public:
  // Floats per 64-byte cache line (chunking and prefetching of the CPU kernels).
  static constexpr int64_t kFloatsPerCacheLine = 16;

  // threads <= 0: the default described above.
  explicit CpuBackend(int threads = 0);
  ~CpuBackend() override;

  // Threads for the pool (and the products it splits); see above for OpenBLAS.
  void set_threads(int threads);
  int threads() const { return pool_->threads(); }
  // The count the environment asks for (see above).
  static int default_threads();

  Device device() const override { return Device::kCpu; }
  std::string name() const override { return "cpu"; }

  // ---- memory (core/ops/memory_ops.hpp; core/cpu/memory.cpp)
  void* allocate(size_t bytes) override;
  void deallocate(void* pointer) override;
  void copy_to_device(void* device_destination, const void* host_source, size_t bytes) override;
  void copy_to_host(void* host_destination, const void* device_source, size_t bytes) override;
  void copy_on_device(void* device_destination, const void* device_source, size_t bytes) override;
  void zero(void* pointer, size_t bytes) override;
  void fill(float* x, int64_t n, float value) override;
  void fill_int32(int32_t* x, int64_t n, int32_t value) override;
  void synchronize() override {}

  // ---- linear algebra (core/ops/linear_algebra_ops.hpp; core/cpu/linear_algebra.cpp)
  void gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
            const float* a, const float* b, float beta, float* c) override;
  void gemm_strided_batched(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k,
                            float alpha, const float* a, int64_t stride_a, const float* b,
                            int64_t stride_b, float beta, float* c, int64_t stride_c,
                            int64_t batch) override;
  void add_bias(float* y, const float* bias, int64_t rows, int64_t cols) override;
  void bias_backward(float* dbias, const float* dy, int64_t rows, int64_t cols) override;

  // ---- elementwise (core/ops/elementwise_ops.hpp; core/cpu/elementwise.cpp)
  void axpy(float* y, const float* x, int64_t n, float alpha) override;
  void scale(float* x, int64_t n, float factor) override;
  void sigmoid_forward(float* y, const float* x, int64_t n) override;
  void sigmoid_backward(float* dx, const float* dy, const float* y, int64_t n) override;
  void tanh_forward(float* y, const float* x, int64_t n) override;
  void tanh_backward(float* dx, const float* dy, const float* y, int64_t n) override;
  double squared_norm(const float* x, int64_t n) override;

  // ---- embedding rows (core/ops/embedding_ops.hpp; core/cpu/embedding.cpp)
  void embedding_forward(float* out, const float* table, const int32_t* index, int64_t n,
                         int64_t dim, int64_t table_rows) override;
  void embedding_backward(float* dtable, const float* dout, const int32_t* index, int64_t n,
                          int64_t dim, int64_t table_rows) override;
  void segment_sum(float* out, const float* x, const int64_t* offsets, int64_t segments,
                   int64_t dim) override;

  // ---- GRU (core/ops/gru_ops.hpp; core/cpu/gru.cpp)
  int64_t gru_workspace_floats(int64_t batch, int64_t steps, int64_t input_size,
                               int64_t hidden_size) const override;
  void gru_forward(float* output, float* workspace, const float* input, const float* initial_state,
                   const uint8_t* advance, const float* weight_ih, const float* weight_hh,
                   const float* bias_ih, const float* bias_hh, int64_t batch, int64_t steps,
                   int64_t input_size, int64_t hidden_size) override;
  void gru_backward(float* dinput, float* dinitial_state, float* dweight_ih, float* dweight_hh,
                    float* dbias_ih, float* dbias_hh, const float* doutput, const float* input,
                    const float* initial_state, const uint8_t* advance, const float* weight_ih,
                    const float* weight_hh, const float* output, float* workspace, int64_t batch,
                    int64_t steps, int64_t input_size, int64_t hidden_size) override;

  // ---- slate scores (core/ops/slate_ops.hpp; core/cpu/slate_scores.cpp)
  void slate_scores_forward(float* scores, const float* user, const float* rows,
                            const int32_t* slate_index, const int32_t* slate_length,
                            const float* no_click_bias, int64_t n, int64_t slate, int64_t dim,
                            int64_t row_count, int64_t bias_size) override;
  void slate_scores_backward(float* duser, float* drows, float* dno_click_bias,
                             const float* dscores, const float* user, const float* rows,
                             const int32_t* slate_index, const int32_t* slate_length, int64_t n,
                             int64_t slate, int64_t dim, int64_t row_count,
                             int64_t bias_size) override;

  // ---- losses (core/ops/loss_ops.hpp; core/cpu/losses.cpp)
  double slate_cross_entropy(float* dscores, float* step_loss, const float* scores,
                             const int32_t* target, const uint8_t* step_mask, int64_t n,
                             int64_t slate, float gradient_scale) override;
  double sampled_softmax_loss(float* duser, float* drows, float* step_loss, const float* user,
                              const float* rows, const int32_t* positive, const int32_t* negative,
                              const float* logit_offset, const uint8_t* step_mask, int64_t n,
                              int64_t negatives, int64_t dim, int64_t row_count,
                              float gradient_scale) override;

  // ---- catalogue softmax (core/ops/softmax_ops.hpp; core/cpu/softmax.cpp)
  void logsumexp_update(float* running_max, float* running_sum, const float* scores, int64_t rows,
                        int64_t columns) override;
  void softmax_from_logsumexp(float* scores, const float* logsumexp, int64_t rows, int64_t columns,
                              float scale) override;
  void rowwise_dot(float* out, const float* a, const float* b, int64_t rows, int64_t dim) override;

  // ---- optimizers (core/ops/optimizer_ops.hpp; core/cpu/optimizers.cpp)
  void adam_update(float* parameters, float* first_moment, float* second_moment,
                   const float* gradients, int64_t n, const AdamSettings& settings) override;
  void sparse_adam_update(float* table, float* first_moment, float* second_moment,
                          const int32_t* rows, const float* gradients, int64_t row_count,
                          int64_t dim, int64_t table_rows, const AdamSettings& settings) override;
  void sparse_adagrad_update(float* table, float* accumulator, const int32_t* rows,
                             const float* gradients, int64_t row_count, int64_t dim,
                             int64_t table_rows, const AdagradSettings& settings) override;

  // ---- top k (core/ops/top_k_ops.hpp; core/cpu/top_k.cpp)
  void top_k(float* top_scores, int32_t* top_columns, const float* scores, int64_t rows,
             int64_t columns, int64_t k, const int64_t* exclude_offsets,
             const int32_t* exclude_columns) override;

  // ---- layer norm (core/ops/layer_norm_ops.hpp; core/cpu/layer_norm.cpp)
  void layer_norm_forward(float* out, float* mean, float* rstd, const float* x, const float* weight,
                          const float* bias, int64_t rows, int64_t dim, float epsilon) override;
  void layer_norm_backward(float* dx, float* dweight, float* dbias, const float* dout,
                           const float* x, const float* weight, const float* mean,
                           const float* rstd, int64_t rows, int64_t dim) override;

  // ---- causal self-attention (core/ops/attention_ops.hpp; core/cpu/attention.cpp)
  void causal_attention_forward(float* out, float* probabilities, float* scratch, const float* qkv,
                                const uint8_t* key_mask, int64_t batch, int64_t steps, int64_t dim,
                                int64_t heads, const DropoutMask& dropout) override;
  void causal_attention_backward(float* dqkv, float* scratch, const float* dout, const float* qkv,
                                 const float* probabilities, int64_t batch, int64_t steps,
                                 int64_t dim, int64_t heads, const DropoutMask& dropout) override;

  // ---- GELU (core/ops/gelu_ops.hpp; core/cpu/gelu.cpp)
  void gelu_forward(float* y, const float* x, int64_t n) override;
  void gelu_backward(float* dx, const float* dy, const float* x, int64_t n) override;

  // ---- dropout (core/ops/dropout_ops.hpp; core/cpu/dropout.cpp)
  void dropout_forward(float* y, const float* x, int64_t rows, int64_t width,
                       const DropoutMask& mask) override;
  void dropout_backward(float* dx, const float* dy, int64_t rows, int64_t width,
                        const DropoutMask& mask) override;

 private:
  // Loops over [0, count) in chunks of at least `grain` on the pool.
  template <typename Body>
  void parallel_for(int64_t count, int64_t grain, Body&& body) {
    pool_->parallel_for(0, count, grain, body);
  }

  // Loops over columns [0, count) whose every chunk walks all the rows (column sums, scatters
  // into rows that threads own by columns): one chunk per thread, whole cache lines each, as
  // each extra chunk is one more pass over all the rows. Which thread owns a column does not
  // change any sum's order, so the results are the same for any chunking.
  template <typename Body>
  void parallel_for_columns(int64_t count, Body&& body) {
    const int64_t per_thread = (count + threads() - 1) / threads();
    const int64_t grain =
        (per_thread + kFloatsPerCacheLine - 1) / kFloatsPerCacheLine * kFloatsPerCacheLine;
    pool_->parallel_for(0, count, grain, body);
  }

  // The pool that splits large matrix products, or nullptr when OpenBLAS threads them itself
  // (OPENBLAS_NUM_THREADS set).
  ThreadPool* gemm_pool() const { return split_gemm_ ? pool_.get() : nullptr; }

  std::unique_ptr<ThreadPool> pool_;
  bool split_gemm_ = true;

  // Large blocks released by deallocate() are kept for reuse (core/cpu/memory.cpp): a training
  // step allocates the same activation and row buffers every step, and handing them back to
  // malloc made it unmap and fault in (and zero) fresh pages each time.
  std::mutex block_mutex_;
  std::unordered_map<void*, size_t> block_bytes_;  // capacity of every cached-size live block
  std::multimap<size_t, void*> free_blocks_;       // released blocks by capacity
  size_t free_bytes_ = 0;
};

}  // namespace slatetrain
