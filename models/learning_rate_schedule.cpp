#include "models/learning_rate_schedule.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace slatetrain {

LearningRateDecay parse_learning_rate_decay(const std::string& name) {
  if (name == "none") return LearningRateDecay::kNone;
  if (name == "linear") return LearningRateDecay::kLinear;
  if (name == "cosine") return LearningRateDecay::kCosine;
  RAISE("unknown learning-rate decay '" << name << "' (expected none, linear or cosine)");
}

void LearningRateSchedule::validate() const {
  REQUIRE(base > 0.0f, "learning rate must be positive, got " << base);
  REQUIRE(warmup_steps >= 0, "warm-up steps must be >= 0, got " << warmup_steps);
  REQUIRE(total_steps >= 0, "total steps must be >= 0, got " << total_steps);
  REQUIRE(total_steps == 0 || warmup_steps <= total_steps,
          "warm-up of " << warmup_steps << " steps is longer than the " << total_steps
                        << " total steps");
  REQUIRE(floor_fraction >= 0.0f && floor_fraction <= 1.0f,
          "learning-rate floor fraction must be in [0, 1], got " << floor_fraction);
}

float LearningRateSchedule::at(int64_t step) const {
  if (step < warmup_steps) {
    return base * static_cast<float>(step + 1) / static_cast<float>(warmup_steps);
  }
  if (decay == LearningRateDecay::kNone || total_steps == 0) return base;
  const double floor = static_cast<double>(base) * floor_fraction;
  const int64_t decay_steps = std::max<int64_t>(1, total_steps - warmup_steps);
  const double progress =
      std::min(1.0, static_cast<double>(step - warmup_steps) / static_cast<double>(decay_steps));
  const double remaining = decay == LearningRateDecay::kLinear
                               ? 1.0 - progress
                               : 0.5 * (1.0 + std::cos(3.141592653589793 * progress));
  return static_cast<float>(floor + (base - floor) * remaining);
}

}  // namespace slatetrain
