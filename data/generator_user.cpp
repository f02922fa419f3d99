#include "data/generator_user.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace slatetrain {

namespace {

// Published statistics the draws below are tuned to (docs/FINN.md).
constexpr double kFullLengthUserShare = 0.643;  // users with all 20 steps; others 1..19
constexpr double kRecommendationShare = 0.303;
// Slates of 25; others 2..19 long (mean 10.5): 25 p + 10.5 (1 - p) = 11.14 with the length-26
// anomaly's own full slates counted, as published.
constexpr double kFullSlateShare = 0.043;
constexpr double kSearchInGroupShare = 0.85;  // search slots from the query's group
constexpr double kRecFromRecentShare = 0.5;   // rec slots from recently clicked groups
constexpr double kRecFromQueryShare = 0.2;    // rec slots from the taste-chosen group
constexpr int kGroupCandidates = 4;
constexpr double kGroupChoiceSharpness = 4.0;
constexpr int kRecentGroups = 3;
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

void simulate_user(const GeneratorWorld& world, const GeneratorOptions& options, int64_t user,
                   UserSteps& steps, HeldOutUser* held_out, AnomalyCounts& anomalies) {
  std::memset(&steps, 0, sizeof steps);
  Random random(hash_mix(options.seed, uint64_t(GeneratorStream::kUser), uint64_t(user)));
  const ChoiceModel& choice = world.choice();
  const int t_testsplit = options.split.t_testsplit;
  const double anomaly_rate = options.anomaly_rate;
  const bool can_anomaly_unknown = world.num_items() > 4;

  // Taste: near a favourite group, moved by every real click.
  float taste[kTasteDimension];
  const int favourite = world.draw_group(random);
  for (int d = 0; d < kTasteDimension; ++d)
    taste[d] = world.group_vector(favourite)[d] + static_cast<float>(0.7 * random.normal() / 4.0);
  normalize_taste(taste);
  int recent_groups[kRecentGroups];
  int recent_count = 0;
  int last_group = -1;

  const int num_steps = random.uniform() < kFullLengthUserShare
                            ? finn::kMaxSteps
                            : 1 + static_cast<int>(random.below(finn::kMaxSteps - 1));
  if (held_out != nullptr) {
    held_out->user = user;
    std::memcpy(held_out->taste_at_cut, taste, sizeof taste);
  }
  double scores[finn::kSlateSlots];
  for (int t = 0; t < num_steps; ++t) {
    if (held_out != nullptr && t == t_testsplit)
      std::memcpy(held_out->taste_at_cut, taste, sizeof taste);
    const bool recommendation = random.uniform() < kRecommendationShare;
    const bool over_slots = random.uniform() < anomaly_rate;
    const bool click_outside = random.uniform() < anomaly_rate;
    const bool unknown_inside = random.uniform() < anomaly_rate && can_anomaly_unknown;
    int length = (over_slots || random.uniform() < kFullSlateShare)
                     ? finn::kSlateSlots
                     : 2 + static_cast<int>(random.below(18));
    int32_t* slate = steps.slate[t];
    slate[0] = static_cast<int32_t>(finn::kNoClickId);
    const int query_group = choose_query_group(world, taste, last_group, random);
    for (int j = 1; j < length; ++j) {
      int64_t item = 0;
      for (int attempt = 0; attempt <= kDuplicateRetries; ++attempt) {
        const double u = random.uniform();
        if (!recommendation) {
          item = u < kSearchInGroupShare ? world.draw_item_in_group(query_group, random)
                                         : world.draw_popular_item(random);
        } else if (u < kRecFromRecentShare && recent_count > 0) {
          item = world.draw_item_in_group(recent_groups[random.below(recent_count)], random);
        } else if (u < kRecFromRecentShare + kRecFromQueryShare) {
          item = world.draw_item_in_group(query_group, random);
        } else {
          item = world.draw_popular_item(random);
        }
        if (std::find(slate + 1, slate + j, item) == slate + j) break;
      }
      slate[j] = static_cast<int32_t>(item);
    }
    if (unknown_inside && length >= 3) {
      slate[1 + random.below(length - 1)] = static_cast<int32_t>(finn::kUnknownId);
      ++anomalies.unknown_in_slate;
    }

    // The choice: softmax over the slate's real items and the no-click option.
    double max_score = choice.no_click_score;
    scores[0] = choice.no_click_score;
    for (int j = 1; j < length; ++j) {
      scores[j] = slate[j] >= finn::kFirstItemId ? world.utility(taste, slate[j]) : -INFINITY;
      max_score = std::max(max_score, scores[j]);
    }
    double total = 0;
    for (int j = 0; j < length; ++j) total += std::exp(scores[j] - max_score);
    double pick = random.uniform() * total;
    int position = 0;
    for (int j = 0; j < length; ++j) {
      pick -= std::exp(scores[j] - max_score);
      if (pick <= 0 && slate[j] != finn::kUnknownId) {
        position = j;
        break;
      }
    }

    int64_t clicked = position == 0 ? finn::kNoClickId : slate[position];
    if (click_outside) {
      // The published anomaly: a real item clicked that is not at slate[click_idx] (idx 0).
      clicked = world.draw_item_in_group(query_group, random);
      position = 0;
      ++anomalies.click_not_in_slate;
    }
    steps.click[t] = static_cast<int32_t>(clicked);
    steps.click_idx[t] = position;
    steps.slate_length[t] = over_slots ? finn::kSlateSlots + 1 : length;
    if (over_slots) ++anomalies.slate_length_over_slots;
    steps.interaction_type[t] =
        recommendation ? finn::kInteractionRecommendation : finn::kInteractionSearch;

    if (held_out != nullptr && t >= t_testsplit && !click_outside) {
      held_out->loglik_sum += scores[position] - max_score - std::log(total);
      ++held_out->loglik_steps;
    }
    if (clicked >= finn::kFirstItemId) {
      if (held_out != nullptr)
        (t < t_testsplit ? held_out->clicked_before_cut : held_out->later_clicks)
            .push_back(clicked);
      const float* e = world.item_vector(clicked);
      for (int d = 0; d < kTasteDimension; ++d)
        taste[d] =
            static_cast<float>((1 - choice.taste_step) * taste[d] + choice.taste_step * e[d]);
      normalize_taste(taste);
      last_group = world.item_group(clicked);
      if (recent_count < kRecentGroups) {
        recent_groups[recent_count++] = last_group;
      } else {
        std::memmove(recent_groups, recent_groups + 1, sizeof(int) * (kRecentGroups - 1));
        recent_groups[kRecentGroups - 1] = last_group;
      }
    }
  }
  if (held_out != nullptr && num_steps <= t_testsplit)
    std::memcpy(held_out->taste_at_cut, taste, sizeof taste);
}

}  // namespace slatetrain
