// CudaBackend: handles, memory, cuBLAS products and the host side of every op; the kernels
// are in core/cuda/*.cu behind the launchers of core/cuda/launchers.hpp.
#include "core/cuda_backend.hpp"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include "core/cuda/device_fault.hpp"
#include "core/cuda/launchers.hpp"
#include "core/cuda_device.hpp"
#include "core/cuda_error.hpp"
#include "core/cuda_memory_pool.hpp"

namespace slatetrain {
namespace {

// Temporary device memory from the pool for the length of one op. Returning it before the
// kernels that use it have run is safe: the pool only hands it out again to work issued later
// on the same stream.
class ScratchBuffer {
 public:
  ScratchBuffer(CudaMemoryPool& pool, size_t bytes) : pool_(pool), pointer_(pool.allocate(bytes)) {}
  ~ScratchBuffer() { pool_.deallocate(pointer_); }
  ScratchBuffer(const ScratchBuffer&) = delete;
  ScratchBuffer& operator=(const ScratchBuffer&) = delete;
  template <typename T>
  T* as() const {
    return static_cast<T*>(pointer_);
  }

 private:
  CudaMemoryPool& pool_;
  void* pointer_;
};

int as_int(int64_t value, const char* what, const char* op) {
  REQUIRE(value >= 0 && value <= INT_MAX,
          op << ": " << what << " = " << value << " does not fit cuBLAS's int dimensions");
  return static_cast<int>(value);
}

void require_sizes(const char* op, int64_t a, int64_t b = 0, int64_t c = 0, int64_t d = 0) {
  REQUIRE(a >= 0 && b >= 0 && c >= 0 && d >= 0,
          op << ": negative size (" << a << ", " << b << ", " << c << ", " << d << ")");
}

}  // namespace

CudaBackend::CudaBackend(int device) {
  device_ = device >= 0 ? device : select_local_device();
  CHECK_CUDA(cudaSetDevice(device_));
  CHECK_CUDA(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  CHECK_CUDA(cudaStreamCreateWithFlags(&copy_stream_, cudaStreamNonBlocking));
  CHECK_CUDA(cudaEventCreateWithFlags(&copy_done_, cudaEventDisableTiming));
  CHECK_CUBLAS(cublasCreate(&cublas_));
  CHECK_CUBLAS(cublasSetStream(cublas_, stream_));
  CHECK_CUBLAS(cublasSetMathMode(cublas_, CUBLAS_DEFAULT_MATH));
  pool_ = std::make_unique<CudaMemoryPool>(device_);
  void* fault = nullptr;
  CHECK_CUDA(cudaMalloc(&fault, sizeof(cuda::DeviceFault)));
  fault_ = static_cast<cuda::DeviceFault*>(fault);
  CHECK_CUDA(cudaMemset(fault_, 0, sizeof(cuda::DeviceFault)));
  CHECK_CUDA(cudaMalloc(&reduction_, sizeof(double) * (1 + cuda::kReductionBlocks)));
}

CudaBackend::~CudaBackend() {
  // Destructors must not throw: release what can be released, ignore failures.
  if (stream_ != nullptr) cudaStreamSynchronize(stream_);
  staging_ring_.retire_all();
  recycle_fences();
  for (cudaEvent_t fence : free_fences_) cudaEventDestroy(fence);
  if (staging_ != nullptr) cudaFreeHost(staging_);
  pool_.reset();
  if (reduction_ != nullptr) cudaFree(reduction_);
  if (fault_ != nullptr) cudaFree(fault_);
  if (cublas_ != nullptr) cublasDestroy(cublas_);
  if (copy_done_ != nullptr) cudaEventDestroy(copy_done_);
  if (copy_stream_ != nullptr) cudaStreamDestroy(copy_stream_);
  if (stream_ != nullptr) cudaStreamDestroy(stream_);
}

void CudaBackend::set_allow_tf32(bool allow) {
  CHECK_CUBLAS(
      cublasSetMathMode(cublas_, allow ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
}

// ---- memory ---------------------------------------------------------------------------------

void* CudaBackend::allocate(size_t bytes) {
  return pool_->allocate(bytes);
}

void CudaBackend::deallocate(void* pointer) {
  pool_->deallocate(pointer);
}

void* CudaBackend::allocate_pinned_host(size_t bytes) {
  void* pointer = nullptr;
  CHECK_CUDA(cudaMallocHost(&pointer, bytes));
  return pointer;
}

void CudaBackend::deallocate_pinned_host(void* pointer) {
  if (pointer != nullptr) CHECK_CUDA(cudaFreeHost(pointer));
}

void CudaBackend::copy_to_device_async(void* device_destination, const void* pinned_host_source,
                                       size_t bytes) {
  if (bytes == 0) return;
  CHECK_CUDA(cudaMemcpyAsync(device_destination, pinned_host_source, bytes, cudaMemcpyHostToDevice,
                             copy_stream_));
  CHECK_CUDA(cudaEventRecord(copy_done_, copy_stream_));
  CHECK_CUDA(cudaStreamWaitEvent(stream_, copy_done_, 0));
}

void CudaBackend::wait_for_copies() {
  CHECK_CUDA(cudaStreamSynchronize(copy_stream_));
}

void CudaBackend::copy_to_device(void* device_destination, const void* host_source, size_t bytes) {
  if (bytes == 0) return;
  // Either way the call returns once the source has been staged, so the caller may reuse its
  // buffer at once.
  if (bytes <= kStagedCopyLimit) {
    staged_copy_to_device(device_destination, host_source, bytes);
    return;
  }
  CHECK_CUDA(
      cudaMemcpyAsync(device_destination, host_source, bytes, cudaMemcpyHostToDevice, stream_));
}

void CudaBackend::recycle_fences() {
  for (void* fence : staging_ring_.take_retired()) {
    free_fences_.push_back(static_cast<cudaEvent_t>(fence));
  }
}

void CudaBackend::staged_copy_to_device(void* device_destination, const void* host_source,
                                        size_t bytes) {
  if (staging_ == nullptr) {
    void* staging = nullptr;
    CHECK_CUDA(cudaMallocHost(&staging, staging_ring_.capacity()));
    staging_ = static_cast<char*>(staging);
  }
  // Space whose earlier upload has not run yet is waited for (the ring wrapped onto it).
  const size_t offset = staging_ring_.place(bytes, [](void* fence) {
    CHECK_CUDA(cudaEventSynchronize(static_cast<cudaEvent_t>(fence)));
  });
  recycle_fences();
  std::memcpy(staging_ + offset, host_source, bytes);
  CHECK_CUDA(cudaMemcpyAsync(device_destination, staging_ + offset, bytes, cudaMemcpyHostToDevice,
                             stream_));
  cudaEvent_t fence = nullptr;
  if (free_fences_.empty()) {
    CHECK_CUDA(cudaEventCreateWithFlags(&fence, cudaEventDisableTiming));
  } else {
    fence = free_fences_.back();
    free_fences_.pop_back();
  }
  CHECK_CUDA(cudaEventRecord(fence, stream_));
  staging_ring_.commit(fence);
}

void CudaBackend::copy_to_host(void* host_destination, const void* device_source, size_t bytes) {
  if (bytes == 0) return;
  CHECK_CUDA(
      cudaMemcpyAsync(host_destination, device_source, bytes, cudaMemcpyDeviceToHost, stream_));
  synchronize_and_check();
}

void CudaBackend::copy_on_device(void* device_destination, const void* device_source,
                                 size_t bytes) {
  if (bytes == 0) return;
  CHECK_CUDA(
      cudaMemcpyAsync(device_destination, device_source, bytes, cudaMemcpyDeviceToDevice, stream_));
}

void CudaBackend::zero(void* pointer, size_t bytes) {
  if (bytes == 0) return;
  CHECK_CUDA(cudaMemsetAsync(pointer, 0, bytes, stream_));
}

void CudaBackend::fill(float* x, int64_t n, float value) {
  cuda::launch_fill(x, n, value, stream_);
}

void CudaBackend::fill_int32(int32_t* x, int64_t n, int32_t value) {
  cuda::launch_fill_int32(x, n, value, stream_);
}

void CudaBackend::synchronize() {
  synchronize_and_check();
}

void CudaBackend::synchronize_and_check() {
  // The fault record rides along with the wait: 32 bytes, no extra synchronisation.
  cuda::DeviceFault fault{};
  CHECK_CUDA(cudaMemcpyAsync(&fault, fault_, sizeof(fault), cudaMemcpyDeviceToHost, stream_));
  CHECK_CUDA(cudaStreamSynchronize(stream_));
  staging_ring_.retire_all();  // the stream is idle: every staged upload has run
  recycle_fences();
  if (fault.code != cuda::kNoFault) {
    CHECK_CUDA(cudaMemsetAsync(fault_, 0, sizeof(cuda::DeviceFault), stream_));
    CHECK_CUDA(cudaStreamSynchronize(stream_));
    RAISE("cuda backend (device " << device_ << "): " << cuda::describe_fault(fault));
  }
}

double CudaBackend::sum_to_host(const float* x, int64_t n) {
  if (n <= 0) return 0.0;
  cuda::launch_sum(reduction_, reduction_ + 1, x, n, stream_);
  double result = 0.0;
  CHECK_CUDA(cudaMemcpyAsync(&result, reduction_, sizeof(double), cudaMemcpyDeviceToHost, stream_));
  synchronize_and_check();
  return result;
}

// ---- dense linear algebra -------------------------------------------------------------------

void CudaBackend::gemm_rows(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k,
                            float alpha, const float* a, int64_t lda, const float* b, int64_t ldb,
                            float beta, float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) {  // cuBLAS would leave C untouched; the product is empty, so C = beta C
    REQUIRE(ldc == n, "gemm: empty product on a strided C");
    if (beta == 0.0f)
      zero(c, sizeof(float) * m * n);
    else if (beta != 1.0f)
      scale(c, m * n, beta);
    return;
  }
  // cuBLAS is column-major: a row-major C is a column-major C^T = op(B)^T op(A)^T, so the
  // operands swap places and the dimensions m and n trade.
  CHECK_CUBLAS(cublasSgemm(cublas_, transpose_b ? CUBLAS_OP_T : CUBLAS_OP_N,
                           transpose_a ? CUBLAS_OP_T : CUBLAS_OP_N, as_int(n, "n", "gemm"),
                           as_int(m, "m", "gemm"), as_int(k, "k", "gemm"), &alpha, b,
                           as_int(ldb, "ldb", "gemm"), a, as_int(lda, "lda", "gemm"), &beta, c,
                           as_int(ldc, "ldc", "gemm")));
}

void CudaBackend::gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k,
                       float alpha, const float* a, const float* b, float beta, float* c) {
  require_sizes("gemm", m, n, k);
  gemm_rows(transpose_a, transpose_b, m, n, k, alpha, a, transpose_a ? m : k, b,
            transpose_b ? k : n, beta, c, n);
}

void CudaBackend::gemm_strided_batched(bool transpose_a, bool transpose_b, int64_t m, int64_t n,
                                       int64_t k, float alpha, const float* a, int64_t stride_a,
                                       const float* b, int64_t stride_b, float beta, float* c,
                                       int64_t stride_c, int64_t batch) {
  require_sizes("gemm_strided_batched", m, n, k, batch);
  if (m == 0 || n == 0 || batch == 0) return;
  if (k == 0) {
    for (int64_t i = 0; i < batch; ++i)
      gemm(transpose_a, transpose_b, m, n, 0, alpha, a, b, beta, c + i * stride_c);
    return;
  }
  const char* op = "gemm_strided_batched";
  CHECK_CUBLAS(cublasSgemmStridedBatched(
      cublas_, transpose_b ? CUBLAS_OP_T : CUBLAS_OP_N, transpose_a ? CUBLAS_OP_T : CUBLAS_OP_N,
      as_int(n, "n", op), as_int(m, "m", op), as_int(k, "k", op), &alpha, b,
      as_int(transpose_b ? k : n, "ldb", op), stride_b, a, as_int(transpose_a ? m : k, "lda", op),
      stride_a, &beta, c, as_int(n, "ldc", op), stride_c, as_int(batch, "batch", op)));
}

void CudaBackend::add_bias(float* y, const float* bias, int64_t rows, int64_t cols) {
  require_sizes("add_bias", rows, cols);
  cuda::launch_add_bias(y, bias, rows, cols, cols, stream_);
}

void CudaBackend::bias_backward(float* dbias, const float* dy, int64_t rows, int64_t cols) {
  require_sizes("bias_backward", rows, cols);
  cuda::launch_bias_backward(dbias, dy, rows, cols, stream_);
}

// ---- elementwise ----------------------------------------------------------------------------

void CudaBackend::axpy(float* y, const float* x, int64_t n, float alpha) {
  cuda::launch_axpy(y, x, n, alpha, stream_);
}
void CudaBackend::scale(float* x, int64_t n, float factor) {
  cuda::launch_scale(x, n, factor, stream_);
}
void CudaBackend::sigmoid_forward(float* y, const float* x, int64_t n) {
  cuda::launch_sigmoid_forward(y, x, n, stream_);
}
void CudaBackend::sigmoid_backward(float* dx, const float* dy, const float* y, int64_t n) {
  cuda::launch_sigmoid_backward(dx, dy, y, n, stream_);
}
void CudaBackend::tanh_forward(float* y, const float* x, int64_t n) {
  cuda::launch_tanh_forward(y, x, n, stream_);
}
void CudaBackend::tanh_backward(float* dx, const float* dy, const float* y, int64_t n) {
  cuda::launch_tanh_backward(dx, dy, y, n, stream_);
}

double CudaBackend::squared_norm(const float* x, int64_t n) {
  require_sizes("squared_norm", n);
  if (n == 0) return 0.0;
  cuda::launch_squared_norm(reduction_, reduction_ + 1, x, n, stream_);
  double result = 0.0;
  CHECK_CUDA(cudaMemcpyAsync(&result, reduction_, sizeof(double), cudaMemcpyDeviceToHost, stream_));
  synchronize_and_check();
  return result;
}

// ---- embedding rows -------------------------------------------------------------------------

void CudaBackend::embedding_forward(float* out, const float* table, const int32_t* index, int64_t n,
                                    int64_t dim, int64_t table_rows) {
  require_sizes("embedding_forward", n, dim, table_rows);
  cuda::launch_embedding_forward(out, table, index, n, dim, table_rows, fault_, stream_);
}

void CudaBackend::embedding_backward(float* dtable, const float* dout, const int32_t* index,
                                     int64_t n, int64_t dim, int64_t table_rows) {
  require_sizes("embedding_backward", n, dim, table_rows);
  cuda::launch_embedding_backward(dtable, dout, index, n, dim, table_rows, fault_, stream_);
}

void CudaBackend::segment_sum(float* out, const float* x, const int64_t* offsets, int64_t segments,
                              int64_t dim) {
  require_sizes("segment_sum", segments, dim);
  cuda::launch_segment_sum(out, x, offsets, segments, dim, stream_);
}

// ---- GRU ------------------------------------------------------------------------------------
// Workspace layout (floats), B*T rows in batch-major order (b, t):
//   input_gates    [B, T, 3H]  W_ih x + b_ih (forward); reused as dinput_gates in backward
//   saved_gates    [B, T, 4H]  r, z, n, W_hn h + b_hn per step
//   dhidden_gates  [B, T, 3H]  backward: gradients of W_hh h + b_hh per step
//   previous       [B, T, H]   backward: h_{t-1} per step
//   carry          [B, H]      backward: dL/dh flowing to the previous step
//   hidden_gates   [B, 3H]     forward: W_hh h_{t-1} of the current step

namespace {
struct GruWorkspace {
  float* input_gates;
  float* saved_gates;
  float* dhidden_gates;
  float* previous;
  float* carry;
  float* hidden_gates;
};
GruWorkspace split_gru_workspace(float* workspace, int64_t batch, int64_t steps, int64_t hidden) {
  const int64_t rows = batch * steps;
  GruWorkspace parts;
  parts.input_gates = workspace;
  parts.saved_gates = parts.input_gates + rows * 3 * hidden;
  parts.dhidden_gates = parts.saved_gates + rows * 4 * hidden;
  parts.previous = parts.dhidden_gates + rows * 3 * hidden;
  parts.carry = parts.previous + rows * hidden;
  parts.hidden_gates = parts.carry + batch * hidden;
  return parts;
}
}  // namespace

int64_t CudaBackend::gru_workspace_floats(int64_t batch, int64_t steps, int64_t /*input_size*/,
                                          int64_t hidden_size) const {
  return batch * steps * 11 * hidden_size + batch * 4 * hidden_size;
}

void CudaBackend::gru_forward(float* output, float* workspace, const float* input,
                              const float* initial_state, const uint8_t* advance,
                              const float* weight_ih, const float* weight_hh, const float* bias_ih,
                              const float* bias_hh, int64_t batch, int64_t steps,
                              int64_t input_size, int64_t hidden_size) {
  require_sizes("gru_forward", batch, steps, input_size, hidden_size);
  if (batch == 0 || steps == 0 || hidden_size == 0) return;
  const int64_t H = hidden_size, G = 3 * hidden_size;
  const GruWorkspace parts = split_gru_workspace(workspace, batch, steps, H);
  // All steps' input projections in one product: [B*T, I] x [3H, I]^T.
  gemm_rows(false, true, batch * steps, G, input_size, 1.0f, input, input_size, weight_ih,
            input_size, 0.0f, parts.input_gates, G);
  cuda::launch_add_bias(parts.input_gates, bias_ih, batch * steps, G, G, stream_);
  for (int64_t t = 0; t < steps; ++t) {
    // h_{t-1}: the initial state (or zeros) at t = 0, else the previous step's output rows.
    const float* previous = t == 0 ? initial_state : output + (t - 1) * H;
    const int64_t previous_stride = t == 0 ? H : steps * H;
    if (previous != nullptr)
      gemm_rows(false, true, batch, G, H, 1.0f, previous, previous_stride, weight_hh, H, 0.0f,
                parts.hidden_gates, G);
    else
      zero(parts.hidden_gates, sizeof(float) * batch * G);
    cuda::launch_gru_forward_step(output, parts.saved_gates, parts.input_gates, parts.hidden_gates,
                                  previous, previous_stride, advance, bias_hh, batch, steps, H, t,
                                  stream_);
  }
}

void CudaBackend::gru_backward(float* dinput, float* dinitial_state, float* dweight_ih,
                               float* dweight_hh, float* dbias_ih, float* dbias_hh,
                               const float* doutput, const float* input, const float* initial_state,
                               const uint8_t* advance, const float* weight_ih,
                               const float* weight_hh, const float* output, float* workspace,
                               int64_t batch, int64_t steps, int64_t input_size,
                               int64_t hidden_size) {
  require_sizes("gru_backward", batch, steps, input_size, hidden_size);
  const int64_t H = hidden_size, G = 3 * hidden_size, rows = batch * steps;
  if (batch == 0 || hidden_size == 0) return;
  if (steps == 0) {
    if (dinitial_state != nullptr) zero(dinitial_state, sizeof(float) * batch * H);
    return;
  }
  const GruWorkspace parts = split_gru_workspace(workspace, batch, steps, H);
  float* dinput_gates = parts.input_gates;  // forward's projections are no longer needed
  cuda::launch_gru_previous_states(parts.previous, output, initial_state, batch, steps, H, stream_);
  zero(parts.carry, sizeof(float) * batch * H);
  for (int64_t t = steps - 1; t >= 0; --t) {
    cuda::launch_gru_backward_step(dinput_gates, parts.dhidden_gates, parts.carry, doutput,
                                   parts.saved_gates, parts.previous + t * H, steps * H, advance,
                                   batch, steps, H, t, stream_);
    // carry += dhidden_gates_t [B, 3H] x W_hh [3H, H]: the gradient through W_hh h_{t-1}.
    gemm_rows(false, false, batch, H, G, 1.0f, parts.dhidden_gates + t * G, steps * G, weight_hh, H,
              1.0f, parts.carry, H);
  }
  if (dinitial_state != nullptr)
    copy_on_device(dinitial_state, parts.carry, sizeof(float) * batch * H);
  // Parameter and input gradients for all steps at once.
  if (dinput != nullptr)
    gemm_rows(false, false, rows, input_size, G, 1.0f, dinput_gates, G, weight_ih, input_size, 0.0f,
              dinput, input_size);
  if (dweight_ih != nullptr)
    gemm_rows(true, false, G, input_size, rows, 1.0f, dinput_gates, G, input, input_size, 1.0f,
              dweight_ih, input_size);
  if (dbias_ih != nullptr) cuda::launch_bias_backward(dbias_ih, dinput_gates, rows, G, stream_);
  if (dweight_hh != nullptr)
    gemm_rows(true, false, G, H, rows, 1.0f, parts.dhidden_gates, G, parts.previous, H, 1.0f,
              dweight_hh, H);
  if (dbias_hh != nullptr)
    cuda::launch_bias_backward(dbias_hh, parts.dhidden_gates, rows, G, stream_);
}

// ---- slate scoring and losses ---------------------------------------------------------------

void CudaBackend::slate_scores_forward(float* scores, const float* user, const float* rows,
                                       const int32_t* slate_index, const int32_t* slate_length,
                                       const float* no_click_bias, int64_t n, int64_t slate,
                                       int64_t dim, int64_t row_count, int64_t bias_size) {
  require_sizes("slate_scores_forward", n, slate, dim, row_count);
  cuda::launch_slate_scores_forward(scores, user, rows, slate_index, slate_length, no_click_bias, n,
                                    slate, dim, row_count, bias_size, fault_, stream_);
}

void CudaBackend::slate_scores_backward(float* duser, float* drows, float* dno_click_bias,
                                        const float* dscores, const float* user, const float* rows,
                                        const int32_t* slate_index, const int32_t* slate_length,
                                        int64_t n, int64_t slate, int64_t dim, int64_t row_count,
                                        int64_t bias_size) {
  require_sizes("slate_scores_backward", n, slate, dim, row_count);
  cuda::launch_slate_scores_backward(duser, drows, dno_click_bias, dscores, user, rows, slate_index,
                                     slate_length, n, slate, dim, row_count, bias_size, fault_,
                                     stream_);
}

double CudaBackend::slate_cross_entropy(float* dscores, float* step_loss, const float* scores,
                                        const int32_t* target, const uint8_t* step_mask, int64_t n,
                                        int64_t slate, float gradient_scale) {
  require_sizes("slate_cross_entropy", n, slate);
  if (n == 0) return 0.0;
  ScratchBuffer losses(*pool_, step_loss != nullptr ? 0 : sizeof(float) * n);
  float* per_step = step_loss != nullptr ? step_loss : losses.as<float>();
  cuda::launch_slate_cross_entropy(dscores, per_step, scores, target, step_mask, n, slate,
                                   gradient_scale, fault_, stream_);
  return sum_to_host(per_step, n);
}

double CudaBackend::sampled_softmax_loss(float* duser, float* drows, float* step_loss,
                                         const float* user, const float* rows,
                                         const int32_t* positive, const int32_t* negative,
                                         const float* logit_offset, const uint8_t* step_mask,
                                         int64_t n, int64_t negatives, int64_t dim,
                                         int64_t row_count, float gradient_scale) {
  require_sizes("sampled_softmax_loss", n, negatives, dim, row_count);
  if (n == 0) return 0.0;
  ScratchBuffer losses(*pool_, step_loss != nullptr ? 0 : sizeof(float) * n);
  ScratchBuffer logits(*pool_, sizeof(float) * n * (negatives + 1));
  float* per_step = step_loss != nullptr ? step_loss : losses.as<float>();
  cuda::launch_sampled_softmax(duser, drows, per_step, logits.as<float>(), user, rows, positive,
                               negative, logit_offset, step_mask, n, negatives, dim, row_count,
                               gradient_scale, fault_, stream_);
  return sum_to_host(per_step, n);
}

// ---- catalogue softmax ----------------------------------------------------------------------

void CudaBackend::logsumexp_update(float* running_max, float* running_sum, const float* scores,
                                   int64_t rows, int64_t columns) {
  require_sizes("logsumexp_update", rows, columns);
  cuda::launch_logsumexp_update(running_max, running_sum, scores, rows, columns, stream_);
}

void CudaBackend::softmax_from_logsumexp(float* scores, const float* logsumexp, int64_t rows,
                                         int64_t columns, float scale) {
  require_sizes("softmax_from_logsumexp", rows, columns);
  cuda::launch_softmax_from_logsumexp(scores, logsumexp, rows, columns, scale, stream_);
}

void CudaBackend::rowwise_dot(float* out, const float* a, const float* b, int64_t rows,
                              int64_t dim) {
  require_sizes("rowwise_dot", rows, dim);
  cuda::launch_rowwise_dot(out, a, b, rows, dim, stream_);
}

// ---- optimizers -----------------------------------------------------------------------------

void CudaBackend::adam_update(float* parameters, float* first_moment, float* second_moment,
                              const float* gradients, int64_t n, const AdamSettings& settings) {
  require_sizes("adam_update", n);
  cuda::launch_adam_update(parameters, first_moment, second_moment, gradients, n,
                           cuda::make_adam_step(settings), stream_);
}

void CudaBackend::sparse_adam_update(float* table, float* first_moment, float* second_moment,
                                     const int32_t* rows, const float* gradients, int64_t row_count,
                                     int64_t dim, int64_t table_rows,
                                     const AdamSettings& settings) {
  require_sizes("sparse_adam_update", row_count, dim, table_rows);
  cuda::launch_sparse_adam_update(table, first_moment, second_moment, rows, gradients, row_count,
                                  dim, table_rows, cuda::make_adam_step(settings), fault_, stream_);
}

void CudaBackend::sparse_adagrad_update(float* table, float* accumulator, const int32_t* rows,
                                        const float* gradients, int64_t row_count, int64_t dim,
                                        int64_t table_rows, const AdagradSettings& settings) {
  require_sizes("sparse_adagrad_update", row_count, dim, table_rows);
  cuda::launch_sparse_adagrad_update(table, accumulator, rows, gradients, row_count, dim,
                                     table_rows, settings, fault_, stream_);
}

// ---- evaluation -----------------------------------------------------------------------------

void CudaBackend::top_k(float* top_scores, int32_t* top_columns, const float* scores, int64_t rows,
                        int64_t columns, int64_t k, const int64_t* exclude_offsets,
                        const int32_t* exclude_columns) {
  REQUIRE(k >= 1, "top_k: k = " << k);
  REQUIRE(columns <= INT32_MAX, "top_k: " << columns << " columns do not fit int32 column numbers");
  require_sizes("top_k", rows, columns);
  if (rows == 0) return;
  // Rows in chunks so that the per-thread candidate lists stay within ~32 MB of scratch.
  const int64_t per_row = int64_t{cuda::kTopKThreads} * k;
  const int64_t chunk = std::max<int64_t>(1, std::min<int64_t>(rows, (int64_t{1} << 22) / per_row));
  ScratchBuffer list_scores(*pool_, sizeof(float) * chunk * per_row);
  ScratchBuffer list_columns(*pool_, sizeof(int32_t) * chunk * per_row);
  ScratchBuffer list_lengths(*pool_, sizeof(int32_t) * chunk * cuda::kTopKThreads);
  for (int64_t begin = 0; begin < rows; begin += chunk) {
    const int64_t count = std::min(chunk, rows - begin);
    cuda::launch_top_k(
        top_scores + begin * k, top_columns + begin * k, scores + begin * columns, count, columns,
        k, exclude_offsets != nullptr ? exclude_offsets + begin : nullptr, exclude_columns,
        list_scores.as<float>(), list_columns.as<int32_t>(), list_lengths.as<int32_t>(), stream_);
  }
}

}  // namespace slatetrain
