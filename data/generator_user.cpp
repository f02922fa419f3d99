#include "data/generator_user.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace slatetrain {

namespace {

// Published statistics the draw below is tuned to (docs/FINN.md).
constexpr double kFullLengthUserShare = 0.643;  // users with all 20 steps; others 1..19

}  // namespace

void simulate_user(const GeneratorWorld& world, const GeneratorOptions& options, int64_t user,
                   UserSteps& steps, HeldOutUser* held_out, AnomalyCounts& anomalies) {
  std::memset(&steps, 0, sizeof steps);
  Random random(hash_mix(options.seed, uint64_t(GeneratorStream::kUser), uint64_t(user)));
  const int t_testsplit = options.split.t_testsplit;

  // Taste: near a favourite group, moved by every real click.
  UserProcessState state = draw_initial_state(world, random);
  const int num_steps = random.uniform() < kFullLengthUserShare
                            ? finn::kMaxSteps
                            : 1 + static_cast<int>(random.below(finn::kMaxSteps - 1));
  if (held_out != nullptr) {
    held_out->user = user;
    held_out->state_at_cut = state;
    held_out->remaining_steps = std::max(0, num_steps - std::max(t_testsplit, 0));
  }
  DrawnStep step;
  for (int t = 0; t < num_steps; ++t) {
    if (held_out != nullptr && t == t_testsplit) held_out->state_at_cut = state;
    draw_step(world, state, options.anomaly_rate, random, step);
    std::memcpy(steps.slate[t], step.slate, sizeof step.slate);
    steps.click[t] = static_cast<int32_t>(step.clicked);
    steps.click_idx[t] = step.position;
    steps.slate_length[t] = step.over_slots ? finn::kSlateSlots + 1 : step.length;
    steps.interaction_type[t] =
        step.recommendation ? finn::kInteractionRecommendation : finn::kInteractionSearch;
    anomalies.slate_length_over_slots += step.over_slots;
    anomalies.click_not_in_slate += step.click_outside;
    anomalies.unknown_in_slate += step.unknown_planted;

    if (held_out != nullptr && t >= t_testsplit && !step.click_outside) {
      held_out->loglik_sum += step.scores[step.position] - step.max_score - std::log(step.total);
      ++held_out->loglik_steps;
    }
    if (step.clicked >= finn::kFirstItemId && held_out != nullptr)
      (t < t_testsplit ? held_out->clicked_before_cut : held_out->later_clicks)
          .push_back(step.clicked);
    apply_click(world, step.clicked, state);
  }
  if (held_out != nullptr && num_steps <= t_testsplit) held_out->state_at_cut = state;
}

}  // namespace slatetrain
