// CudaBackend: the Backend ops on one GPU. cuBLAS for every matrix product (row-major through
// swapped operands), own kernels (core/cuda/*.cu) for everything else; memory from a caching
// pool; all work on one stream, so ops are asynchronous and ordered, and only the ops that
// return a value to the host (losses, norms, copy_to_host, synchronize) wait.
//
// Numerics: float32 throughout, TF32 tensor-core math off by default so results match the CPU
// reference to float rounding (set_allow_tf32 trades that for speed). Scatter-adds use atomics,
// so sums of repeated rows may differ from the CPU's in the last bits between runs.
//
// Index checks: kernels record the first bad index in a device-side fault record and skip the
// element; the next synchronising call throws an Error naming the op, the array and the index
// (see core/cuda/device_fault.hpp). Not checked on the device, for cost: that the rows of the
// sparse optimizer updates are distinct (the CPU reference checks it).
//
// This header needs no CUDA headers: handles are forward-declared.
#pragma once

#include <memory>
#include <vector>

#include "core/backend.hpp"
#include "core/staging_ring.hpp"

struct CUstream_st;
struct CUevent_st;
struct cublasContext;

namespace slatetrain {

class CudaMemoryPool;
namespace cuda {
struct DeviceFault;
}

class CudaBackend final : public Backend {
 public:
  // device < 0: select_local_device() (the local rank modulo the visible devices).
  explicit CudaBackend(int device = -1);
  ~CudaBackend() override;
  CudaBackend(const CudaBackend&) = delete;
  CudaBackend& operator=(const CudaBackend&) = delete;

  Device device() const override { return Device::kCuda; }
  std::string name() const override { return "cuda"; }

  int device_index() const { return device_; }
  // The stream every op runs on (cudaStream_t); hand it to NcclCommunicator so collectives
  // are ordered with the kernels.
  CUstream_st* stream() const { return stream_; }
  CudaMemoryPool& memory_pool() { return *pool_; }
  void set_allow_tf32(bool allow);

  // ---- overlap of host-to-device copies (the next batch while this step runs) -------------
  // Page-locked host memory, so that copies from it are truly asynchronous.
  void* allocate_pinned_host(size_t bytes);
  void deallocate_pinned_host(void* pointer);
  // Starts the copy on a separate copy stream and returns at once; ops issued afterwards wait
  // for it on the device (not on the host). The host buffer must stay unchanged until
  // wait_for_copies() returns (or a later synchronising call).
  void copy_to_device_async(void* device_destination, const void* pinned_host_source, size_t bytes);
  void wait_for_copies();

  // ---- memory (core/ops/memory_ops.hpp)
  void* allocate(size_t bytes) override;
  void deallocate(void* pointer) override;
  void copy_to_device(void* device_destination, const void* host_source, size_t bytes) override;
  void copy_to_host(void* host_destination, const void* device_source, size_t bytes) override;
  void copy_on_device(void* device_destination, const void* device_source, size_t bytes) override;
  void zero(void* pointer, size_t bytes) override;
  void fill(float* x, int64_t n, float value) override;
  void fill_int32(int32_t* x, int64_t n, int32_t value) override;
  void synchronize() override;

  // ---- linear algebra (core/ops/linear_algebra_ops.hpp)
  void gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
            const float* a, const float* b, float beta, float* c) override;
  void gemm_strided_batched(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k,
                            float alpha, const float* a, int64_t stride_a, const float* b,
                            int64_t stride_b, float beta, float* c, int64_t stride_c,
                            int64_t batch) override;
  void add_bias(float* y, const float* bias, int64_t rows, int64_t cols) override;
  void bias_backward(float* dbias, const float* dy, int64_t rows, int64_t cols) override;

  // ---- elementwise (core/ops/elementwise_ops.hpp; core/cuda/elementwise.cu)
  void axpy(float* y, const float* x, int64_t n, float alpha) override;
  void scale(float* x, int64_t n, float factor) override;
  void sigmoid_forward(float* y, const float* x, int64_t n) override;
  void sigmoid_backward(float* dx, const float* dy, const float* y, int64_t n) override;
  void tanh_forward(float* y, const float* x, int64_t n) override;
  void tanh_backward(float* dx, const float* dy, const float* y, int64_t n) override;
  double squared_norm(const float* x, int64_t n) override;

  // ---- embedding rows (core/ops/embedding_ops.hpp; core/cuda/embedding.cu)
  void embedding_forward(float* out, const float* table, const int32_t* index, int64_t n,
                         int64_t dim, int64_t table_rows) override;
  void embedding_backward(float* dtable, const float* dout, const int32_t* index, int64_t n,
                          int64_t dim, int64_t table_rows) override;
  void segment_sum(float* out, const float* x, const int64_t* offsets, int64_t segments,
                   int64_t dim) override;

  // ---- GRU (core/ops/gru_ops.hpp; core/cuda/gru.cu)
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

  // ---- slate scores (core/ops/slate_ops.hpp; core/cuda/slate.cu)
  void slate_scores_forward(float* scores, const float* user, const float* rows,
                            const int32_t* slate_index, const int32_t* slate_length,
                            const float* no_click_bias, int64_t n, int64_t slate, int64_t dim,
                            int64_t row_count, int64_t bias_size) override;
  void slate_scores_backward(float* duser, float* drows, float* dno_click_bias,
                             const float* dscores, const float* user, const float* rows,
                             const int32_t* slate_index, const int32_t* slate_length, int64_t n,
                             int64_t slate, int64_t dim, int64_t row_count,
                             int64_t bias_size) override;

  // ---- losses (core/ops/loss_ops.hpp; core/cuda/slate.cu, sampled_softmax.cu)
  double slate_cross_entropy(float* dscores, float* step_loss, const float* scores,
                             const int32_t* target, const uint8_t* step_mask, int64_t n,
                             int64_t slate, float gradient_scale) override;
  double sampled_softmax_loss(float* duser, float* drows, float* step_loss, const float* user,
                              const float* rows, const int32_t* positive, const int32_t* negative,
                              const float* logit_offset, const uint8_t* step_mask, int64_t n,
                              int64_t negatives, int64_t dim, int64_t row_count,
                              float gradient_scale) override;

  // ---- catalogue softmax (core/ops/softmax_ops.hpp; core/cuda/softmax.cu)
  void logsumexp_update(float* running_max, float* running_sum, const float* scores, int64_t rows,
                        int64_t columns) override;
  void softmax_from_logsumexp(float* scores, const float* logsumexp, int64_t rows, int64_t columns,
                              float scale) override;
  void rowwise_dot(float* out, const float* a, const float* b, int64_t rows, int64_t dim) override;

  // ---- optimizers (core/ops/optimizer_ops.hpp; core/cuda/optimizer.cu)
  void adam_update(float* parameters, float* first_moment, float* second_moment,
                   const float* gradients, int64_t n, const AdamSettings& settings) override;
  void sparse_adam_update(float* table, float* first_moment, float* second_moment,
                          const int32_t* rows, const float* gradients, int64_t row_count,
                          int64_t dim, int64_t table_rows, const AdamSettings& settings) override;
  void sparse_adagrad_update(float* table, float* accumulator, const int32_t* rows,
                             const float* gradients, int64_t row_count, int64_t dim,
                             int64_t table_rows, const AdagradSettings& settings) override;

  // ---- top k (core/ops/top_k_ops.hpp; core/cuda/top_k.cu)
  void top_k(float* top_scores, int32_t* top_columns, const float* scores, int64_t rows,
             int64_t columns, int64_t k, const int64_t* exclude_offsets,
             const int32_t* exclude_columns) override;

  // ---- layer norm (core/ops/layer_norm_ops.hpp; core/cuda/layer_norm.cu)
  void layer_norm_forward(float* out, float* mean, float* rstd, const float* x, const float* weight,
                          const float* bias, int64_t rows, int64_t dim, float epsilon) override;
  void layer_norm_backward(float* dx, float* dweight, float* dbias, const float* dout,
                           const float* x, const float* weight, const float* mean,
                           const float* rstd, int64_t rows, int64_t dim) override;

  // ---- causal self-attention (core/ops/attention_ops.hpp; core/cuda/attention.cu)
  void causal_attention_forward(float* out, float* probabilities, float* scratch, const float* qkv,
                                const uint8_t* key_mask, int64_t batch, int64_t steps, int64_t dim,
                                int64_t heads, const DropoutMask& dropout) override;
  void causal_attention_backward(float* dqkv, float* scratch, const float* dout, const float* qkv,
                                 const float* probabilities, int64_t batch, int64_t steps,
                                 int64_t dim, int64_t heads, const DropoutMask& dropout) override;

  // ---- GELU (core/ops/gelu_ops.hpp; core/cuda/gelu.cu)
  void gelu_forward(float* y, const float* x, int64_t n) override;
  void gelu_backward(float* dx, const float* dy, const float* x, int64_t n) override;

  // ---- dropout (core/ops/dropout_ops.hpp; core/cuda/dropout.cu)
  void dropout_forward(float* y, const float* x, int64_t rows, int64_t width,
                       const DropoutMask& mask) override;
  void dropout_backward(float* dx, const float* dy, int64_t rows, int64_t width,
                        const DropoutMask& mask) override;

 private:
  // C = alpha op(A) op(B) + beta C on row-major matrices with explicit row strides.
  void gemm_rows(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
                 const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                 int64_t ldc);
  // Waits for the stream, then throws if a kernel recorded a bad index.
  void synchronize_and_check();
  // Sum of a device float array in double, returned to the host (synchronises).
  double sum_to_host(const float* x, int64_t n);
  // copy_to_device through the pinned staging ring (bytes <= kStagedCopyLimit).
  void staged_copy_to_device(void* device_destination, const void* host_source, size_t bytes);
  // Moves the events of retired uploads to free_fences_.
  void recycle_fences();

  int device_ = 0;
  CUstream_st* stream_ = nullptr;
  CUstream_st* copy_stream_ = nullptr;
  CUevent_st* copy_done_ = nullptr;
  cublasContext* cublas_ = nullptr;
  std::unique_ptr<CudaMemoryPool> pool_;
  cuda::DeviceFault* fault_ = nullptr;  // device memory, read at synchronising calls
  double* reduction_ = nullptr;         // device: [1 result + kReductionBlocks partials]

  // Uploads from pageable memory are copied into this page-locked ring first, so the copy on
  // the stream is asynchronous and the host runs ahead (a plain cudaMemcpyAsync from pageable
  // memory can wait for the stream). Allocated at the first upload.
  static constexpr size_t kStagingBytes = size_t{32} << 20;
  static constexpr size_t kStagedCopyLimit = size_t{8} << 20;  // larger copies go direct
  StagingRing staging_ring_{kStagingBytes};
  char* staging_ = nullptr;
  std::vector<CUevent_st*> free_fences_;  // events of retired uploads, for reuse
};

}  // namespace slatetrain
