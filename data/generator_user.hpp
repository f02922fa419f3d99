// One user's 20 steps under the planted model (the steps themselves: data/generator_step.hpp),
// drawn from the user's own counter-based random stream (hash_mix(seed, user)), so users can be
// generated in any order, on any thread.
#pragma once

#include <cstdint>
#include <vector>

#include "data/finn_format.hpp"
#include "data/generator_step.hpp"
#include "data/generator_world.hpp"

namespace slatetrain {

// A user's row of every source array, as published (padded steps all zero).
struct UserSteps {
  int32_t click[finn::kMaxSteps];
  int32_t click_idx[finn::kMaxSteps];
  int32_t slate_length[finn::kMaxSteps];
  int32_t interaction_type[finn::kMaxSteps];
  int32_t slate[finn::kMaxSteps][finn::kSlateSlots];
};

// What truth.json needs of a held-out (validation or test) user.
struct HeldOutUser {
  int64_t user = 0;
  UserProcessState state_at_cut;            // the true state after the first t_testsplit steps
  int remaining_steps = 0;                  // real steps from t_testsplit on
  std::vector<int64_t> clicked_before_cut;  // items clicked in those steps (excluded from ranking)
  std::vector<int64_t> later_clicks;        // real items clicked from t_testsplit on
  double loglik_sum = 0;                    // log-probability of the held-out choices
  int64_t loglik_steps = 0;                 // held-out real steps that are choices in the slate
};

// Counts of the planted anomalies, for the report.
struct AnomalyCounts {
  int64_t slate_length_over_slots = 0;
  int64_t click_not_in_slate = 0;
  int64_t unknown_in_slate = 0;
  void add(const AnomalyCounts& other) {
    slate_length_over_slots += other.slate_length_over_slots;
    click_not_in_slate += other.click_not_in_slate;
    unknown_in_slate += other.unknown_in_slate;
  }
};

// Simulates `user`. held_out (may be null): filled for validation and test users, whose steps
// from t_testsplit on are scored.
void simulate_user(const GeneratorWorld& world, const GeneratorOptions& options, int64_t user,
                   UserSteps& steps, HeldOutUser* held_out, AnomalyCounts& anomalies);

}  // namespace slatetrain
