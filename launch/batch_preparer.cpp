#include "launch/batch_preparer.hpp"

#include <chrono>

#include "core/error.hpp"

namespace slatetrain {

BatchPreparer::BatchPreparer(Prepare prepare)
    : prepare_(std::move(prepare)), thread_([this] { run(); }) {}

BatchPreparer::~BatchPreparer() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void BatchPreparer::submit(SequenceBatch&& batch, int64_t step) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    REQUIRE(!has_input_ && !has_output_ && !error_,
            "BatchPreparer::submit: the previous batch was not taken");
    work_.batch = std::move(batch);
    work_.step = step;
    has_input_ = true;
  }
  changed_.notify_all();
}

bool BatchPreparer::pending() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return has_input_ || has_output_ || error_;
}

PreparedBatch BatchPreparer::take() {
  std::unique_lock<std::mutex> lock(mutex_);
  REQUIRE(has_input_ || has_output_ || error_, "BatchPreparer::take: nothing was submitted");
  changed_.wait(lock, [&] { return has_output_ || error_; });
  if (error_) {
    std::exception_ptr error = error_;
    error_ = nullptr;
    std::rethrow_exception(error);
  }
  has_output_ = false;
  return std::move(work_);
}

void BatchPreparer::discard() {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return !has_input_; });
  has_output_ = false;
  error_ = nullptr;
}

double BatchPreparer::busy_seconds() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return busy_seconds_;
}

void BatchPreparer::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    changed_.wait(lock, [&] { return has_input_ || stopping_; });
    if (!has_input_) return;  // stopping with nothing in hand
    // The worker owns work_ while has_input_ is set: submit and take leave it alone.
    lock.unlock();
    const auto start = std::chrono::steady_clock::now();
    std::exception_ptr error;
    try {
      work_.model_batch = prepare_(work_.batch, work_.step);
    } catch (...) {
      error = std::current_exception();
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    lock.lock();
    busy_seconds_ += seconds;
    has_input_ = false;
    if (error) {
      error_ = error;
    } else {
      has_output_ = true;
    }
    changed_.notify_all();
  }
}

}  // namespace slatetrain
