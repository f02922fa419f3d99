#include "data/generator_step.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace slatetrain {

namespace {

constexpr double kRecommendationShare = 0.303;
// Slates of 25; others 2..19 long (mean 10.5): 25 p + 10.5 (1 - p) = 11.14 with the length-26
// anomaly's own full slates counted, as published.
constexpr double kFullSlateShare = 0.043;
constexpr double kSearchInGroupShare = 0.85;  // search slots from the query's group
constexpr double kRecFromRecentShare = 0.5;   // rec slots from recently clicked groups
constexpr double kRecFromQueryShare = 0.2;    // rec slots from the taste-chosen group
constexpr int kGroupCandidates = 4;
constexpr double kGroupChoiceSharpness = 4.0;
constexpr int kDuplicateRetries = 8;

float dot(const float* a, const float* b) {
  float sum = 0;
  for (int d = 0; d < kTasteDimension; ++d) sum += a[d] * b[d];
  return sum;
}

// The group a query goes to: the last clicked group or popular groups, chosen by taste.
int choose_query_group(const GeneratorWorld& world, const float* taste, int last_group,
                       Random& random) {
  int candidates[kGroupCandidates + 1];
  int count = 0;
  if (last_group >= 0) candidates[count++] = last_group;
  while (count < kGroupCandidates) candidates[count++] = world.draw_group(random);
  double weights[kGroupCandidates + 1];
  double total = 0;
  for (int i = 0; i < count; ++i) {
    weights[i] = std::exp(kGroupChoiceSharpness * dot(taste, world.group_vector(candidates[i])));
    total += weights[i];
  }
  double pick = random.uniform() * total;
  for (int i = 0; i < count; ++i) {
    pick -= weights[i];
    if (pick <= 0) return candidates[i];
  }
  return candidates[count - 1];
}

}  // namespace

UserProcessState draw_initial_state(const GeneratorWorld& world, Random& random) {
  UserProcessState state;
  const int favourite = world.draw_group(random);
  for (int d = 0; d < kTasteDimension; ++d)
    state.taste[d] =
        world.group_vector(favourite)[d] + static_cast<float>(0.7 * random.normal() / 4.0);
  normalize_taste(state.taste);
  return state;
}

void draw_step(const GeneratorWorld& world, const UserProcessState& state, double anomaly_rate,
               Random& random, DrawnStep& step) {
  const ChoiceModel& choice = world.choice();
  const bool can_anomaly_unknown = world.num_items() > 4;
  step.recommendation = random.uniform() < kRecommendationShare;
  step.over_slots = random.uniform() < anomaly_rate;
  step.click_outside = random.uniform() < anomaly_rate;
  const bool unknown_inside = random.uniform() < anomaly_rate && can_anomaly_unknown;
  const int length = (step.over_slots || random.uniform() < kFullSlateShare)
                         ? finn::kSlateSlots
                         : 2 + static_cast<int>(random.below(18));
  step.length = length;
  int32_t* slate = step.slate;
  std::memset(slate, 0, sizeof step.slate);
  slate[0] = static_cast<int32_t>(finn::kNoClickId);
  step.query_group = choose_query_group(world, state.taste, state.last_group, random);
  for (int j = 1; j < length; ++j) {
    int64_t item = 0;
    for (int attempt = 0; attempt <= kDuplicateRetries; ++attempt) {
      const double u = random.uniform();
      if (!step.recommendation) {
        item = u < kSearchInGroupShare ? world.draw_item_in_group(step.query_group, random)
                                       : world.draw_popular_item(random);
      } else if (u < kRecFromRecentShare && state.recent_count > 0) {
        item =
            world.draw_item_in_group(state.recent_groups[random.below(state.recent_count)], random);
      } else if (u < kRecFromRecentShare + kRecFromQueryShare) {
        item = world.draw_item_in_group(step.query_group, random);
      } else {
        item = world.draw_popular_item(random);
      }
      if (std::find(slate + 1, slate + j, item) == slate + j) break;
    }
    slate[j] = static_cast<int32_t>(item);
  }
  step.unknown_planted = unknown_inside && length >= 3;
  if (step.unknown_planted)
    slate[1 + random.below(length - 1)] = static_cast<int32_t>(finn::kUnknownId);

  // The choice: softmax over the slate's real items and the no-click option.
  double* scores = step.scores;
  double max_score = choice.no_click_score;
  scores[0] = choice.no_click_score;
  for (int j = 1; j < length; ++j) {
    scores[j] = slate[j] >= finn::kFirstItemId ? world.utility(state.taste, slate[j]) : -INFINITY;
    max_score = std::max(max_score, scores[j]);
  }
  double total = 0;
  for (int j = 0; j < length; ++j) {
    step.weights[j] = std::exp(scores[j] - max_score);
    total += step.weights[j];
  }
  step.max_score = max_score;
  step.total = total;
  double pick = random.uniform() * total;
  int position = 0;
  for (int j = 0; j < length; ++j) {
    pick -= step.weights[j];
    if (pick <= 0 && slate[j] != finn::kUnknownId) {
      position = j;
      break;
    }
  }

  int64_t clicked = position == 0 ? finn::kNoClickId : slate[position];
  if (step.click_outside) {
    // The published anomaly: a real item clicked that is not at slate[click_idx] (idx 0).
    clicked = world.draw_item_in_group(step.query_group, random);
    position = 0;
  }
  step.position = position;
  step.clicked = clicked;
}

void apply_click(const GeneratorWorld& world, int64_t clicked, UserProcessState& state) {
  if (clicked < finn::kFirstItemId) return;
  const ChoiceModel& choice = world.choice();
  const float* e = world.item_vector(clicked);
  for (int d = 0; d < kTasteDimension; ++d)
    state.taste[d] =
        static_cast<float>((1 - choice.taste_step) * state.taste[d] + choice.taste_step * e[d]);
  normalize_taste(state.taste);
  state.last_group = world.item_group(clicked);
  if (state.recent_count < kRecentGroups) {
    state.recent_groups[state.recent_count++] = state.last_group;
  } else {
    std::memmove(state.recent_groups, state.recent_groups + 1, sizeof(int) * (kRecentGroups - 1));
    state.recent_groups[kRecentGroups - 1] = state.last_group;
  }
}

}  // namespace slatetrain
