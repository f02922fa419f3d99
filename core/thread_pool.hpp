// A small fixed pool of worker threads for the CPU backend's loops, the caller included.
// A training step runs hundreds of short loops (a GRU step's gates: tens of microseconds), so
// a worker that finished a loop watches for the next one for a short while (kSpinMicroseconds)
// before it sleeps on a condition variable, and the caller wakes sleepers only. A loop is
// complete when all of its chunks are, so the caller never waits for a worker that has not
// started (which matters when ranks share cores and a worker is descheduled).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
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
  struct Loop;
  void worker_loop();
  static void run_chunks(Loop& loop);

  std::vector<std::thread> workers_;
  std::mutex caller_mutex_;  // one loop at a time
  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable work_done_;
  bool stopping_ = false;
  uint64_t generation_ = 0;
  // generation_ for the spinning workers, and how many workers sleep (the caller notifies only
  // then). Both are written under mutex_, read without it.
  std::atomic<uint64_t> published_generation_{0};
  std::atomic<int> sleeping_{0};
  std::shared_ptr<Loop> current_;  // shared: a late worker may still hold a finished loop
};

}  // namespace slatetrain
