// Where a training step's time goes, phase by phase, for metrics.jsonl and the summary.
// With `synchronize` the backend is synchronised at every phase boundary, so on a GPU each
// phase holds its own device time (at some cost in speed); without it the figures are host
// time, and queued GPU work shows up in the phase that next waits for the device.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>

#include "core/backend.hpp"

namespace slatetrain {

// In step order. kBatch: waiting for the loader and the batch preparer.
enum class StepPhase { kBatch, kLookup, kForward, kBackward, kAllreduce, kUpdate };
inline constexpr size_t kStepPhaseCount = 6;
inline constexpr std::array<const char*, kStepPhaseCount> kStepPhaseNames = {
    "batch", "lookup", "forward", "backward", "allreduce", "update"};

using StepPhaseSeconds = std::array<double, kStepPhaseCount>;

class StepPhaseClock {
 public:
  StepPhaseClock(Backend& backend, bool synchronize)
      : backend_(backend), synchronize_(synchronize) {}

  // A step begins: the time until the next end() is that phase's.
  void start() {
    if (synchronize_) backend_.synchronize();
    last_ = std::chrono::steady_clock::now();
  }
  // The time since start() or the previous end() goes to `phase`.
  void end(StepPhase phase) {
    if (synchronize_) backend_.synchronize();
    const auto now = std::chrono::steady_clock::now();
    seconds_[static_cast<size_t>(phase)] += std::chrono::duration<double>(now - last_).count();
    last_ = now;
  }
  const StepPhaseSeconds& seconds() const { return seconds_; }

 private:
  Backend& backend_;
  bool synchronize_;
  std::chrono::steady_clock::time_point last_{};
  StepPhaseSeconds seconds_{};
};

}  // namespace slatetrain
