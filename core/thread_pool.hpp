// A small fixed pool of worker threads for the CPU backend's loops that are not matrix
// products (OpenBLAS runs its own threads for those). The calling thread works too.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace slatetrain {

class ThreadPool {
 public:
  // threads: the total number of threads working on a loop, the caller included (>= 1).
  explicit ThreadPool(int threads);
  ~ThreadPool();

  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls body(chunk_begin, chunk_end) over disjoint chunks covering [begin, end), each at
  // least `grain` long (except the last), in parallel; returns when all are done. The first
  // exception thrown by a chunk is rethrown here. A parallel_for inside a body runs inline.
  void parallel_for(int64_t begin, int64_t end, int64_t grain,
                    const std::function<void(int64_t, int64_t)>& body);

 private:
  void worker_loop();
  void run_chunks();

  std::vector<std::thread> workers_;
  std::mutex caller_mutex_;  // one loop at a time
  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable work_done_;
  bool stopping_ = false;
  uint64_t generation_ = 0;
  int busy_workers_ = 0;

  // The current loop.
  const std::function<void(int64_t, int64_t)>* body_ = nullptr;
  int64_t begin_ = 0;
  int64_t end_ = 0;
  int64_t chunk_size_ = 1;
  int64_t chunk_count_ = 0;
  std::atomic<int64_t> next_chunk_{0};
  std::exception_ptr first_error_;
};

}  // namespace slatetrain
