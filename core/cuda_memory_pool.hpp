// A caching allocator for device memory: cudaMalloc is slow and synchronises the device, so
// freed blocks are kept and handed out again. Sizes are rounded up (512 B steps below 1 MiB,
// 2 MiB steps above) so that a training loop with repeating shapes reuses the same blocks.
//
// Stream rule: blocks are reused without events, which is correct because every user of a
// pool issues its work on one stream (the backend's); a block freed and reallocated is only
// touched again by later work on that same stream.
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <unordered_map>

namespace slatetrain {

class CudaMemoryPool {
 public:
  struct Statistics {
    size_t bytes_in_use = 0;        // handed out and not yet returned
    size_t bytes_cached = 0;        // returned, kept for reuse
    size_t peak_bytes_in_use = 0;   // high-water mark of bytes_in_use
    size_t device_allocations = 0;  // cudaMalloc calls made
    size_t reuses = 0;              // requests served from the cache
  };

  // The pool allocates on `device` (the caller makes it current before allocating).
  explicit CudaMemoryPool(int device);
  ~CudaMemoryPool();
  CudaMemoryPool(const CudaMemoryPool&) = delete;
  CudaMemoryPool& operator=(const CudaMemoryPool&) = delete;

  // Returns nullptr for 0 bytes; on out-of-memory the cache is released and cudaMalloc tried
  // once more before an Error naming the request and the pool's state is thrown.
  void* allocate(size_t bytes);
  // Pointers must come from allocate(); nullptr is ignored.
  void deallocate(void* pointer);
  // cudaFree every cached block (the device must be idle with respect to them).
  void release_cached();

  Statistics statistics() const;
  int device() const { return device_; }

  static size_t rounded_size(size_t bytes);

 private:
  void release_cached_locked();

  int device_;
  mutable std::mutex mutex_;
  std::multimap<size_t, void*> cached_;       // block size -> free block
  std::unordered_map<void*, size_t> in_use_;  // block -> its (rounded) size
  Statistics statistics_;
};

}  // namespace slatetrain
