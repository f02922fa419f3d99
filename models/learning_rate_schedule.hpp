// The learning rate of each step: linear warm-up from 0 to `base`, then decay to a floor
// (cosine or linear) by `total_steps`, then the floor.
#pragma once

#include <cstdint>
#include <string>

namespace slatetrain {

enum class LearningRateDecay { kNone, kLinear, kCosine };

// "none" / "linear" / "cosine"; anything else is an Error naming the text.
LearningRateDecay parse_learning_rate_decay(const std::string& name);

struct LearningRateSchedule {
  float base = 1e-3f;
  int64_t warmup_steps = 0;  // updates 1..warmup_steps ramp linearly: base * k / warmup_steps
  int64_t total_steps = 0;   // decay ends here (0: no decay)
  LearningRateDecay decay = LearningRateDecay::kCosine;
  float floor_fraction = 0.0f;  // the rate decays to base * floor_fraction

  // The rate for update number `step` (0-based: step 0 is the first update).
  float at(int64_t step) const;
  // Errors name what is wrong (negative steps, warm-up past the end, fraction outside [0, 1]).
  void validate() const;
};

}  // namespace slatetrain
