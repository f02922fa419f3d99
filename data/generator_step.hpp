// One step of the planted process (docs/GENERATOR.md): the slate the exposure policy builds
// from the user's state, the choice among its items and the no-click option, and how a click
// moves the state. Shared by the generator, which writes the drawn steps, and the oracle's
// rollouts (data/oracle_rollouts.hpp), which continue a held-out user's process from its true
// state, so both run the same code and the same draws.
#pragma once

#include <cstdint>

#include "core/random.hpp"
#include "data/finn_format.hpp"
#include "data/generator_world.hpp"

namespace slatetrain {

inline constexpr int kRecentGroups = 3;

// Everything the process conditions on at a step besides the world: the taste and the groups
// of the last real clicks.
struct UserProcessState {
  float taste[kTasteDimension] = {};
  int recent_groups[kRecentGroups] = {};  // groups of the last clicks, oldest first
  int recent_count = 0;
  int last_group = -1;  // group of the last real click, -1 before any
};

// One drawn step, with the choice probabilities it was drawn from.
struct DrawnStep {
  bool recommendation = false;
  // Planted anomalies (docs/GENERATOR.md "Anomalies"): slate_lengths written as 26, a real item
  // clicked outside the slate, an UNK placed in the slate.
  bool over_slots = false;
  bool click_outside = false;
  bool unknown_planted = false;
  int length = 0;       // slots used, position 0 (no click) included; 25 when over_slots
  int query_group = 0;  // the group the query went to
  int32_t slate[finn::kSlateSlots] = {};
  // shapes: [length]: the utility of each slot (the no-click score at 0, -inf for UNK) and
  // exp(scores[j] - max_score); the probability of slot j is weights[j] / total.
  double scores[finn::kSlateSlots] = {};
  double weights[finn::kSlateSlots] = {};
  double max_score = 0;
  double total = 0;
  int position = 0;     // the written click_idx
  int64_t clicked = 0;  // the written click: slate[position], or the outside item
  double slot_probability(int j) const { return weights[j] / total; }
};

// The user's first state: a taste near a favourite group drawn by popularity; no clicks yet.
UserProcessState draw_initial_state(const GeneratorWorld& world, Random& random);

// Draws a step from `state` (which it does not change). anomaly_rate: per kind, 0 for none.
void draw_step(const GeneratorWorld& world, const UserProcessState& state, double anomaly_rate,
               Random& random, DrawnStep& step);

// A real click (id >= 3) moves the taste toward the item and enters its group in the recent
// groups; nothing else changes the state.
void apply_click(const GeneratorWorld& world, int64_t clicked, UserProcessState& state);

}  // namespace slatetrain
