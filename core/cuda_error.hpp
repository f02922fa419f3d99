// Check macros for the NVIDIA libraries: each failed call becomes a slatetrain::Error that
// names the library, the failing expression, the library's own message, and file:line.
// One overloaded describe() per library status type keeps the macros identical in shape.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>
#include <nccl.h>

#include <string>

#include "core/error.hpp"

namespace slatetrain {
namespace cuda_status {

inline bool failed(cudaError_t status) {
  return status != cudaSuccess;
}
inline bool failed(cublasStatus_t status) {
  return status != CUBLAS_STATUS_SUCCESS;
}
inline bool failed(cudnnStatus_t status) {
  return status != CUDNN_STATUS_SUCCESS;
}
inline bool failed(ncclResult_t status) {
  return status != ncclSuccess;
}

inline std::string describe(cudaError_t status) {
  return std::string("CUDA error ") + cudaGetErrorName(status) + ": " + cudaGetErrorString(status);
}
inline std::string describe(cublasStatus_t status) {
  return std::string("cuBLAS error ") + cublasGetStatusName(status) + ": " +
         cublasGetStatusString(status);
}
inline std::string describe(cudnnStatus_t status) {
  return std::string("cuDNN error: ") + cudnnGetErrorString(status);
}
inline std::string describe(ncclResult_t status) {
  return std::string("NCCL error: ") + ncclGetErrorString(status);
}

}  // namespace cuda_status
}  // namespace slatetrain

// The library call is evaluated exactly once; the Error carries "<library message> in <call>".
#define SLATETRAIN_CHECK_LIBRARY_(call)                                             \
  do {                                                                              \
    const auto check_status_ = (call);                                              \
    if (::slatetrain::cuda_status::failed(check_status_))                           \
      RAISE(::slatetrain::cuda_status::describe(check_status_) << " in " << #call); \
  } while (0)

#define CHECK_CUDA(call) SLATETRAIN_CHECK_LIBRARY_(call)
#define CHECK_CUBLAS(call) SLATETRAIN_CHECK_LIBRARY_(call)
#define CHECK_CUDNN(call) SLATETRAIN_CHECK_LIBRARY_(call)
#define CHECK_NCCL(call) SLATETRAIN_CHECK_LIBRARY_(call)

// After a kernel launch: a bad configuration shows up here, not at the next synchronise.
#define CHECK_CUDA_LAUNCH() CHECK_CUDA(cudaGetLastError())
