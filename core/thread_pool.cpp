#include "core/thread_pool.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>

namespace slatetrain {

namespace {
// True on pool workers and on a caller inside parallel_for: nested loops run inline.
thread_local bool inside_parallel_loop = false;

// How long a worker watches for the next loop before it sleeps: longer than the gap between
// two loops of a step, short enough not to matter between steps.
constexpr auto kSpinTime = std::chrono::microseconds(100);

inline void pause_briefly() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}
}  // namespace

struct ThreadPool::Loop {
  const std::function<void(int64_t, int64_t)>* body = nullptr;
  int64_t begin = 0;
  int64_t end = 0;
  int64_t chunk_size = 1;
  int64_t chunk_count = 0;
  std::atomic<int64_t> next_chunk{0};
  std::atomic<int64_t> finished_chunks{0};
  std::mutex error_mutex;
  std::exception_ptr first_error;
  ThreadPool* pool = nullptr;
};

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < std::max(threads, 1); ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  for (auto& worker : workers_) worker.join();
}

void ThreadPool::parallel_for(int64_t begin, int64_t end, int64_t grain,
                              const std::function<void(int64_t, int64_t)>& body) {
  if (end <= begin) return;
  const int64_t count = end - begin;
  grain = std::max<int64_t>(grain, 1);
  const int64_t threads = this->threads();
  if (workers_.empty() || inside_parallel_loop || count <= grain) {
    body(begin, end);
    return;
  }
  // A few chunks per thread balance uneven work without much scheduling cost.
  const int64_t chunk_size = std::max(grain, (count + threads * 4 - 1) / (threads * 4));
  auto loop = std::make_shared<Loop>();
  loop->body = &body;
  loop->begin = begin;
  loop->end = end;
  loop->chunk_size = chunk_size;
  loop->chunk_count = (count + chunk_size - 1) / chunk_size;
  loop->pool = this;

  std::lock_guard<std::mutex> caller_lock(caller_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    current_ = loop;
    ++generation_;
    published_generation_.store(generation_);
  }
  // A worker counts itself sleeping before it takes the mutex to wait, so one that missed
  // this generation is counted here and woken (or sees the generation under the mutex).
  if (sleeping_.load() > 0) work_ready_.notify_all();
  inside_parallel_loop = true;
  run_chunks(*loop);
  inside_parallel_loop = false;
  // The other threads' last chunks usually end within microseconds: watch before sleeping.
  const auto spin_until = std::chrono::steady_clock::now() + kSpinTime;
  while (loop->finished_chunks.load() != loop->chunk_count &&
         std::chrono::steady_clock::now() < spin_until) {
    for (int i = 0; i < 16; ++i) pause_briefly();
  }
  {
    std::unique_lock<std::mutex> lock(mutex_);
    work_done_.wait(lock, [&] { return loop->finished_chunks.load() == loop->chunk_count; });
    current_.reset();
  }
  if (loop->first_error) std::rethrow_exception(loop->first_error);
}

void ThreadPool::run_chunks(Loop& loop) {
  for (;;) {
    const int64_t chunk = loop.next_chunk.fetch_add(1);
    if (chunk >= loop.chunk_count) return;
    const int64_t chunk_begin = loop.begin + chunk * loop.chunk_size;
    const int64_t chunk_end = std::min(loop.end, chunk_begin + loop.chunk_size);
    try {
      (*loop.body)(chunk_begin, chunk_end);
    } catch (...) {
      std::lock_guard<std::mutex> lock(loop.error_mutex);
      if (!loop.first_error) loop.first_error = std::current_exception();
    }
    if (loop.finished_chunks.fetch_add(1) + 1 == loop.chunk_count) {
      // The last chunk: wake the caller (under the mutex so the wake-up cannot be missed).
      std::lock_guard<std::mutex> lock(loop.pool->mutex_);
      loop.pool->work_done_.notify_all();
    }
  }
}

void ThreadPool::worker_loop() {
  inside_parallel_loop = true;
  uint64_t seen_generation = 0;
  for (;;) {
    // Watch for the next loop for a while, then sleep until one is published.
    const auto spin_until = std::chrono::steady_clock::now() + kSpinTime;
    while (published_generation_.load() == seen_generation &&
           std::chrono::steady_clock::now() < spin_until) {
      for (int i = 0; i < 16; ++i) pause_briefly();
    }
    std::shared_ptr<Loop> loop;
    {
      const bool sleep = published_generation_.load() == seen_generation;
      if (sleep) sleeping_.fetch_add(1);
      std::unique_lock<std::mutex> lock(mutex_);
      work_ready_.wait(lock, [&] { return stopping_ || generation_ != seen_generation; });
      if (sleep) sleeping_.fetch_sub(1);
      if (stopping_) return;
      seen_generation = generation_;
      loop = current_;
    }
    if (loop) run_chunks(*loop);
  }
}

}  // namespace slatetrain
