#include "core/cuda_memory_pool.hpp"

#include <cuda_runtime.h>

#include "core/cuda_error.hpp"

namespace slatetrain {
namespace {

constexpr size_t kSmallStep = 512;
constexpr size_t kLargeStep = size_t{2} << 20;
constexpr size_t kLargeThreshold = size_t{1} << 20;

size_t round_up(size_t value, size_t step) {
  return (value + step - 1) / step * step;
}

}  // namespace

CudaMemoryPool::CudaMemoryPool(int device) : device_(device) {}

CudaMemoryPool::~CudaMemoryPool() {
  // No throwing here: a failed cudaFree at exit (e.g. a dead context) is not actionable.
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& entry : cached_) cudaFree(entry.second);
  for (auto& entry : in_use_) cudaFree(entry.first);
}

size_t CudaMemoryPool::rounded_size(size_t bytes) {
  return bytes < kLargeThreshold ? round_up(bytes, kSmallStep) : round_up(bytes, kLargeStep);
}

void* CudaMemoryPool::allocate(size_t bytes) {
  if (bytes == 0) return nullptr;
  const size_t size = rounded_size(bytes);
  std::lock_guard<std::mutex> lock(mutex_);
  // Best fit, but never hand a block more than twice the request: a small tensor must not
  // pin a large buffer that a later large request would need.
  auto found = cached_.lower_bound(size);
  if (found != cached_.end() && found->first <= 2 * size) {
    void* block = found->second;
    const size_t block_size = found->first;
    cached_.erase(found);
    statistics_.bytes_cached -= block_size;
    in_use_.emplace(block, block_size);
    statistics_.bytes_in_use += block_size;
    statistics_.reuses++;
    if (statistics_.bytes_in_use > statistics_.peak_bytes_in_use)
      statistics_.peak_bytes_in_use = statistics_.bytes_in_use;
    return block;
  }
  void* block = nullptr;
  cudaError_t status = cudaMalloc(&block, size);
  if (status == cudaErrorMemoryAllocation && !cached_.empty()) {
    cudaGetLastError();  // clear the (non-sticky) out-of-memory status before retrying
    CHECK_CUDA(cudaDeviceSynchronize());
    release_cached_locked();
    status = cudaMalloc(&block, size);
  }
  if (status != cudaSuccess) {
    cudaGetLastError();
    RAISE("device " << device_ << ": cannot allocate " << size << " bytes ("
                    << cuda_status::describe(status) << "); pool holds " << statistics_.bytes_in_use
                    << " bytes in use, " << statistics_.bytes_cached << " cached");
  }
  in_use_.emplace(block, size);
  statistics_.device_allocations++;
  statistics_.bytes_in_use += size;
  if (statistics_.bytes_in_use > statistics_.peak_bytes_in_use)
    statistics_.peak_bytes_in_use = statistics_.bytes_in_use;
  return block;
}

void CudaMemoryPool::deallocate(void* pointer) {
  if (pointer == nullptr) return;
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = in_use_.find(pointer);
  REQUIRE(found != in_use_.end(),
          "device " << device_ << ": pointer " << pointer << " was not allocated by this pool");
  const size_t size = found->second;
  in_use_.erase(found);
  statistics_.bytes_in_use -= size;
  cached_.emplace(size, pointer);
  statistics_.bytes_cached += size;
}

void CudaMemoryPool::release_cached() {
  std::lock_guard<std::mutex> lock(mutex_);
  release_cached_locked();
}

void CudaMemoryPool::release_cached_locked() {
  for (auto& entry : cached_) CHECK_CUDA(cudaFree(entry.second));
  cached_.clear();
  statistics_.bytes_cached = 0;
}

CudaMemoryPool::Statistics CudaMemoryPool::statistics() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return statistics_;
}

}  // namespace slatetrain
