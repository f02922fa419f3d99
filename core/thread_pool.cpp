#include "core/thread_pool.hpp"

#include <algorithm>

namespace slatetrain {

namespace {
// True on pool workers and on a caller inside parallel_for: nested loops run inline.
thread_local bool inside_parallel_loop = false;
}  // namespace

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

  std::lock_guard<std::mutex> caller_lock(caller_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    body_ = &body;
    begin_ = begin;
    end_ = end;
    chunk_size_ = chunk_size;
    chunk_count_ = (count + chunk_size - 1) / chunk_size;
    next_chunk_.store(0);
    first_error_ = nullptr;
    busy_workers_ = static_cast<int>(workers_.size());
    ++generation_;
  }
  work_ready_.notify_all();
  inside_parallel_loop = true;
  run_chunks();
  inside_parallel_loop = false;
  std::exception_ptr error;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    work_done_.wait(lock, [this] { return busy_workers_ == 0; });
    body_ = nullptr;
    error = first_error_;
  }
  if (error) std::rethrow_exception(error);
}

void ThreadPool::run_chunks() {
  for (;;) {
    const int64_t chunk = next_chunk_.fetch_add(1);
    if (chunk >= chunk_count_) return;
    const int64_t chunk_begin = begin_ + chunk * chunk_size_;
    const int64_t chunk_end = std::min(end_, chunk_begin + chunk_size_);
    try {
      (*body_)(chunk_begin, chunk_end);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!first_error_) first_error_ = std::current_exception();
    }
  }
}

void ThreadPool::worker_loop() {
  inside_parallel_loop = true;
  uint64_t seen_generation = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      work_ready_.wait(lock, [&] { return stopping_ || generation_ != seen_generation; });
      if (stopping_) return;
      seen_generation = generation_;
    }
    run_chunks();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --busy_workers_;
    }
    work_done_.notify_one();
  }
}

}  // namespace slatetrain
