// CpuBackend: construction, threads and memory.
#include <cblas.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "core/cpu_backend.hpp"
#include "core/error.hpp"

namespace slatetrain {

namespace {

int positive_environment_integer(const char* name) {
  const char* text = std::getenv(name);
  if (!text || !*text) return 0;
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  return (end && *end == '\0' && value > 0) ? static_cast<int>(value) : 0;
}

constexpr size_t kAlignment = 64;

// Blocks from this size up are cached on release; smaller ones malloc recycles well itself.
constexpr size_t kSmallestCachedBlock = size_t{1} << 16;
// Larger blocks (parameter tables, made once) are allocated exactly and not cached.
constexpr size_t kLargestCachedBlock = size_t{64} << 20;
// At most this many released bytes are kept; beyond it blocks go back to the system.
constexpr size_t kMostCachedBytes = size_t{512} << 20;

// Cached capacities are rounded up to 8 classes per power of two (at most 12.5% unused), so
// that buffers whose size varies a little from step to step (the batch's unique rows) still
// find a released block.
size_t cached_capacity(size_t bytes) {
  size_t power = kSmallestCachedBlock;
  while (power * 2 <= bytes) power *= 2;
  const size_t step = power / 8;
  return (bytes + step - 1) / step * step;
}

}  // namespace

int CpuBackend::default_threads() {
  if (const int requested = positive_environment_integer("SLATETRAIN_CPU_THREADS")) {
    return requested;
  }
  const int hardware = std::max(1u, std::thread::hardware_concurrency());
  int ranks_on_node = positive_environment_integer("OMPI_COMM_WORLD_LOCAL_SIZE");
  if (!ranks_on_node) ranks_on_node = positive_environment_integer("SLURM_NTASKS_PER_NODE");
  return std::max(1, hardware / std::max(1, ranks_on_node));
}

CpuBackend::CpuBackend(int threads) {
  set_threads(threads);
}

void CpuBackend::set_threads(int threads) {
  if (threads <= 0) threads = default_threads();
  pool_ = std::make_unique<ThreadPool>(threads);
  // OpenBLAS reads OPENBLAS_NUM_THREADS itself at load time; when it is unset, OpenBLAS runs
  // single-threaded and the pool splits large products (two thread teams on the same cores
  // slow each other down: OpenBLAS's idle threads spin).
  split_gemm_ = !positive_environment_integer("OPENBLAS_NUM_THREADS");
  if (split_gemm_) openblas_set_num_threads(1);
}

CpuBackend::~CpuBackend() {
  for (const auto& block : free_blocks_) std::free(block.second);
}

void* CpuBackend::allocate(size_t bytes) {
  if (bytes < kSmallestCachedBlock || bytes > kLargestCachedBlock) {
    const size_t rounded = std::max(kAlignment, (bytes + kAlignment - 1) / kAlignment * kAlignment);
    void* pointer = std::aligned_alloc(kAlignment, rounded);
    REQUIRE(pointer, "cpu backend: out of memory allocating " << bytes << " bytes");
    return pointer;
  }
  const size_t capacity = cached_capacity(bytes);
  {
    std::lock_guard<std::mutex> lock(block_mutex_);
    // The smallest released block that is large enough, if it wastes at most a quarter.
    const auto found = free_blocks_.lower_bound(capacity);
    if (found != free_blocks_.end() && found->first <= capacity + capacity / 4) {
      void* pointer = found->second;
      free_bytes_ -= found->first;
      free_blocks_.erase(found);
      return pointer;
    }
  }
  void* pointer = std::aligned_alloc(kAlignment, capacity);
  REQUIRE(pointer, "cpu backend: out of memory allocating " << bytes << " bytes");
  std::lock_guard<std::mutex> lock(block_mutex_);
  block_bytes_[pointer] = capacity;
  return pointer;
}

void CpuBackend::deallocate(void* pointer) {
  if (!pointer) return;
  {
    std::lock_guard<std::mutex> lock(block_mutex_);
    const auto block = block_bytes_.find(pointer);
    if (block != block_bytes_.end()) {
      if (free_bytes_ + block->second <= kMostCachedBytes) {
        free_blocks_.emplace(block->second, pointer);
        free_bytes_ += block->second;
        return;
      }
      block_bytes_.erase(block);
    }
  }
  std::free(pointer);
}

void CpuBackend::copy_to_device(void* device_destination, const void* host_source, size_t bytes) {
  if (bytes) std::memcpy(device_destination, host_source, bytes);
}

void CpuBackend::copy_to_host(void* host_destination, const void* device_source, size_t bytes) {
  if (bytes) std::memcpy(host_destination, device_source, bytes);
}

void CpuBackend::copy_on_device(void* device_destination, const void* device_source, size_t bytes) {
  if (bytes) std::memmove(device_destination, device_source, bytes);
}

void CpuBackend::zero(void* pointer, size_t bytes) {
  if (bytes) std::memset(pointer, 0, bytes);
}

void CpuBackend::fill(float* x, int64_t n, float value) {
  std::fill(x, x + n, value);
}

void CpuBackend::fill_int32(int32_t* x, int64_t n, int32_t value) {
  std::fill(x, x + n, value);
}

}  // namespace slatetrain
