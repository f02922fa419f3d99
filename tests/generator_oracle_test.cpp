// truth.json's oracle (data/oracle_evaluation.hpp): the rollouts' estimates against an exact
// computation over the slate-construction distribution on a tiny world; its figures against
// the models' own ranking metrics over a brute-force ranking of the estimates; its
// Monte-Carlo standard error against the spread of independent runs; determinism and thread
// independence; every key of the section; --no-oracle.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <string>

#include "data/generator_step.hpp"
#include "data/generator_user.hpp"
#include "data/generator_world.hpp"
#include "data/oracle_evaluation.hpp"
#include "data/oracle_rollouts.hpp"
#include "data/split.hpp"
#include "models/ranking_metrics.hpp"
#include "tests/generator_test_support.hpp"

namespace slatetrain {
namespace {

// ---------------------------------------------------------------------------------------------
// The exact click distribution of the process on a world of 4 real items, by enumeration.

constexpr int kTinyItems = 4;  // real items 3..6
constexpr int kMaxSlotsFilled = kSlots - 1;
// The step's constants (data/generator_step.cpp), restated: the exact computation is an
// independent reading of docs/GENERATOR.md "Slate construction".
constexpr double kRecommendationShare = 0.303;
constexpr double kFullSlateShare = 0.043;
constexpr double kSearchInGroupShare = 0.85;
constexpr double kRecFromRecentShare = 0.5;
constexpr double kRecFromQueryShare = 0.2;
constexpr int kGroupCandidates = 4;
constexpr int kAttempts = 9;  // a draw and 8 redraws of a duplicate

GeneratorOptions tiny_world_options() {
  GeneratorOptions options;
  options.num_items = 3 + kTinyItems;
  options.num_groups = 2;
  options.seed = 4;
  return options;
}

float float_dot(const float* a, const float* b) {
  float sum = 0;
  for (int d = 0; d < kTasteDimension; ++d) sum += a[d] * b[d];
  return sum;
}

// P(query group = g) for a state: candidates drawn by group popularity (after the last clicked
// group, if any), one picked with probability proportional to exp(4 u.g).
std::vector<double> query_group_distribution(const GeneratorWorld& world,
                                             const UserProcessState& state) {
  const int groups = world.num_groups();
  const std::vector<double> draw = world.group_draw_distribution();
  const int drawn = state.last_group >= 0 ? kGroupCandidates - 1 : kGroupCandidates;
  std::vector<double> out(size_t(groups), 0.0);
  int tuples = 1;
  for (int i = 0; i < drawn; ++i) tuples *= groups;
  for (int code = 0; code < tuples; ++code) {
    std::vector<int> candidates;
    if (state.last_group >= 0) candidates.push_back(state.last_group);
    double probability = 1;
    for (int i = 0, rest = code; i < drawn; ++i, rest /= groups) {
      candidates.push_back(rest % groups);
      probability *= draw[size_t(rest % groups)];
    }
    double total = 0;
    for (int g : candidates) total += std::exp(4.0 * float_dot(state.taste, world.group_vector(g)));
    for (int g : candidates)
      out[size_t(g)] +=
          probability * std::exp(4.0 * float_dot(state.taste, world.group_vector(g))) / total;
  }
  return out;
}

// The distribution of one slot draw's item (before the duplicate check), by item id.
std::vector<double> attempt_distribution(const GeneratorWorld& world, const UserProcessState& state,
                                         bool recommendation, int query_group) {
  const std::vector<double> popular = world.popular_item_draw_distribution();
  const std::vector<double> query = world.group_item_draw_distribution(query_group);
  std::vector<double> out(size_t(world.num_items()), 0.0);
  auto add = [&](double weight, const std::vector<double>& items) {
    for (size_t i = 0; i < out.size(); ++i) out[i] += weight * items[i];
  };
  if (!recommendation) {
    add(kSearchInGroupShare, query);
    add(1 - kSearchInGroupShare, popular);
  } else if (state.recent_count > 0) {
    for (int r = 0; r < state.recent_count; ++r)
      add(kRecFromRecentShare / state.recent_count,
          world.group_item_draw_distribution(state.recent_groups[r]));
    add(kRecFromQueryShare, query);
    add(1 - kRecFromRecentShare - kRecFromQueryShare, popular);
  } else {
    add(kRecFromRecentShare + kRecFromQueryShare, query);
    add(1 - kRecFromRecentShare - kRecFromQueryShare, popular);
  }
  return out;
}

// Slot multiplicities (how often each real item fills a slot) with s slots filled, as an index
// into a dense table of base-25 digits.
constexpr int kDigit = kSlots;
constexpr int kCountsTable = kDigit * kDigit * kDigit * kDigit;
static_assert(kTinyItems == 4, "the multiplicity table has four digits");

int counts_index(const int* counts) {
  return ((counts[0] * kDigit + counts[1]) * kDigit + counts[2]) * kDigit + counts[3];
}

// Calls visit(counts) for every multiplicity vector of 4 items summing to s.
template <typename Visit>
void for_each_filling(int s, Visit&& visit) {
  int counts[kTinyItems];
  for (counts[0] = 0; counts[0] <= s; ++counts[0])
    for (counts[1] = 0; counts[0] + counts[1] <= s; ++counts[1])
      for (counts[2] = 0; counts[0] + counts[1] + counts[2] <= s; ++counts[2]) {
        counts[3] = s - counts[0] - counts[1] - counts[2];
        visit(counts);
      }
}

// P(click = item) for every id, exactly: over the recommendation flag, the slate length, the
// query group and the slots' multiplicities (a duplicate is redrawn up to 8 times, so a slot
// repeats an item only when 9 draws in a row hit items already shown).
std::vector<double> exact_one_step(const GeneratorWorld& world, const UserProcessState& state) {
  std::vector<double> click(size_t(world.num_items()), 0.0);
  const std::vector<double> query_groups = query_group_distribution(world, state);
  double exp_utility[kTinyItems];
  for (int i = 0; i < kTinyItems; ++i) exp_utility[i] = std::exp(world.utility(state.taste, 3 + i));
  const double exp_no_click = std::exp(world.choice().no_click_score);
  std::vector<double> filled(kCountsTable), next(kCountsTable);  // P(multiplicities), s slots
  for (const bool recommendation : {false, true}) {
    const double p_kind = recommendation ? kRecommendationShare : 1 - kRecommendationShare;
    for (int g = 0; g < world.num_groups(); ++g) {
      if (query_groups[size_t(g)] == 0) continue;
      const std::vector<double> attempt = attempt_distribution(world, state, recommendation, g);
      const int none[kTinyItems] = {0, 0, 0, 0};
      filled[size_t(counts_index(none))] = 1.0;
      for (int s = 1; s <= kMaxSlotsFilled; ++s) {
        for_each_filling(s, [&](const int* counts) { next[size_t(counts_index(counts))] = 0; });
        for_each_filling(s - 1, [&](const int* counts) {
          const double probability = filled[size_t(counts_index(counts))];
          double shown = 0;
          for (int i = 0; i < kTinyItems; ++i)
            if (counts[i] > 0) shown += attempt[size_t(3 + i)];
          // A new item j: the first draw outside the shown ones, within 9 draws:
          // r_j (1 + shown + ... + shown^8). A repeat of shown item i: 8 shown draws, then i.
          double any_new = 0, power = 1;
          for (int a = 0; a < kAttempts; ++a, power *= shown) any_new += power;
          const double all_shown = std::pow(shown, kAttempts - 1);
          int more[kTinyItems];
          for (int i = 0; i < kTinyItems; ++i) {
            const double r = attempt[size_t(3 + i)];
            const double p = counts[i] > 0 ? all_shown * r : any_new * r;
            std::copy(counts, counts + kTinyItems, more);
            ++more[i];
            next[size_t(counts_index(more))] += probability * p;
          }
        });
        filled.swap(next);
        // A slate of length s + 1 (positions 1..s filled).
        const int length = s + 1;
        const double p_length = length == kSlots              ? kFullSlateShare
                                : length >= 2 && length <= 19 ? (1 - kFullSlateShare) / 18
                                                              : 0.0;
        if (p_length == 0) continue;
        const double weight = p_kind * query_groups[size_t(g)] * p_length;
        for_each_filling(s, [&](const int* counts) {
          const double probability = filled[size_t(counts_index(counts))];
          double total = exp_no_click;
          for (int i = 0; i < kTinyItems; ++i) total += counts[i] * exp_utility[i];
          for (int i = 0; i < kTinyItems; ++i)
            click[size_t(3 + i)] += weight * probability * counts[i] * exp_utility[i] / total;
        });
      }
    }
  }
  return click;
}

struct ClickFigures {
  std::vector<double> clicked;   // P(clicked at least once in the remaining steps)
  std::vector<double> expected;  // expected clicks
};

// Over every sequence of outcomes of the remaining steps, each moving the state as the
// process does (apply_click).
ClickFigures exact_remaining(const GeneratorWorld& world, const UserProcessState& state,
                             int steps) {
  const size_t n = size_t(world.num_items());
  ClickFigures out{std::vector<double>(n, 0.0), std::vector<double>(n, 0.0)};
  if (steps == 0) return out;
  const std::vector<double> click = exact_one_step(world, state);
  const double no_click = 1.0 - std::accumulate(click.begin(), click.end(), 0.0);
  out.clicked = click;
  out.expected = click;
  const ClickFigures after_no_click = exact_remaining(world, state, steps - 1);
  for (size_t i = 0; i < n; ++i) {
    out.clicked[i] += no_click * after_no_click.clicked[i];
    out.expected[i] += no_click * after_no_click.expected[i];
  }
  for (size_t c = 3; c < n; ++c) {
    UserProcessState moved = state;
    apply_click(world, int64_t(c), moved);
    const ClickFigures after = exact_remaining(world, moved, steps - 1);
    for (size_t i = 0; i < n; ++i) {
      if (i != c) out.clicked[i] += click[c] * after.clicked[i];
      out.expected[i] += click[c] * after.expected[i];
    }
  }
  return out;
}

// The rollouts' estimate of each id, with the standard error from the spread of the batch
// means (equal batches).
struct Estimate {
  double value = 0, standard_error = 0;
};

Estimate estimate_of(const OracleRollouts& rollouts, int64_t item, bool expected) {
  Estimate estimate;
  for (int64_t k = 0; k < rollouts.touched(); ++k) {
    if (rollouts.item(k) != item) continue;
    const double* sums = expected ? rollouts.expected_sums(k) : rollouts.clicked_sums(k);
    const int batches = rollouts.batches();
    double mean = 0, squares = 0;
    for (int b = 0; b < batches; ++b) mean += sums[b] / rollouts.batch_rollouts(b) / batches;
    for (int b = 0; b < batches; ++b) {
      const double deviation = sums[b] / rollouts.batch_rollouts(b) - mean;
      squares += deviation * deviation;
    }
    estimate.value = expected ? rollouts.expected_clicks(k) : rollouts.clicked_probability(k);
    estimate.standard_error = std::sqrt(squares / (batches - 1) / batches);
  }
  return estimate;
}

TEST(GeneratorOracle, RolloutsMatchTheExactClickProbabilitiesOnATinyWorld) {
  const GeneratorWorld world(tiny_world_options());
  ASSERT_EQ(world.num_items(), 3 + kTinyItems);
  // Start states: no clicks yet; after one click; with three recent groups (the recommendation
  // slots' own branch), the oldest of them another group.
  Random random(99);
  UserProcessState fresh = draw_initial_state(world, random);
  UserProcessState one_click = fresh, three_clicks = fresh;
  apply_click(world, 5, one_click);
  for (const int64_t item : {3, 6, 4}) apply_click(world, item, three_clicks);
  ASSERT_NE(world.item_group(3), world.item_group(4));  // items 3, 4 seed the two groups

  constexpr int64_t kRollouts = 60000;
  constexpr int kBatches = 150;
  OracleRollouts rollouts(world);
  int compared = 0;
  for (const auto& [name, state] : {std::pair<const char*, UserProcessState>{"fresh", fresh},
                                    {"one click", one_click},
                                    {"three clicks", three_clicks}}) {
    for (const int steps : {1, 3}) {
      SCOPED_TRACE(std::string(name) + ", " + std::to_string(steps) + " steps");
      const ClickFigures exact = exact_remaining(world, state, steps);
      Random draws(hash_mix(7, uint64_t(steps), uint64_t(compared)));
      rollouts.run(state, steps, kRollouts, kBatches, draws);
      for (int64_t item = 3; item < world.num_items(); ++item) {
        for (const bool expected : {false, true}) {
          const Estimate estimate = estimate_of(rollouts, item, expected);
          const double truth =
              expected ? exact.expected[size_t(item)] : exact.clicked[size_t(item)];
          ASSERT_GT(truth, 0.0);
          ASSERT_GT(estimate.standard_error, 0.0) << "item " << item;
          // The estimate is a mean of independent rollouts: within 5 standard errors of the
          // exact value (the alias tables' draws are enumerated exactly, see distribution()).
          EXPECT_LE(std::abs(estimate.value - truth), 5 * estimate.standard_error)
              << "item " << item << (expected ? " expected clicks " : " click probability ")
              << "estimated " << estimate.value << " (standard error " << estimate.standard_error
              << "), exact " << truth;
          ++compared;
        }
      }
      // With one step, "at least once" and the expected count are the same probability.
      if (steps == 1) {
        for (int64_t item = 3; item < world.num_items(); ++item)
          EXPECT_DOUBLE_EQ(exact.clicked[size_t(item)], exact.expected[size_t(item)]);
      }
    }
  }
  EXPECT_EQ(compared, 3 * 2 * kTinyItems * 2);
}

// ---------------------------------------------------------------------------------------------
// The oracle on a generated dataset.

// The held-out records of one split, from the generator's own simulation.
std::vector<HeldOutUser> held_out_records(const GeneratorWorld& world,
                                          const GeneratorOptions& options, Split which) {
  const std::vector<Split> split = assign_split(options.num_users, options.split);
  std::vector<HeldOutUser> records;
  for (int64_t u = 0; u < options.num_users; ++u) {
    if (split[size_t(u)] != which) continue;
    UserSteps steps;
    HeldOutUser record;
    AnomalyCounts ignored;
    simulate_user(world, options, u, steps, &record, ignored);
    records.push_back(std::move(record));
  }
  return records;
}

OracleOptions oracle_options(const GeneratorOptions& options) {
  OracleOptions oracle;
  oracle.rollouts = options.oracle_rollouts;
  oracle.seed = options.seed;
  oracle.threads = options.threads;
  return oracle;
}

// Every id >= 3 by value (0 for ids no rollout showed), best first, ties to the lower id, the
// user's earlier clicks left out: a brute-force sort of the whole catalogue.
std::vector<int64_t> brute_force_top(const OracleRollouts& rollouts, bool expected,
                                     const std::vector<int64_t>& excluded, int64_t num_items) {
  std::vector<double> value(size_t(num_items), 0.0);
  for (int64_t k = 0; k < rollouts.touched(); ++k)
    value[size_t(rollouts.item(k))] =
        expected ? rollouts.expected_clicks(k) : rollouts.clicked_probability(k);
  std::vector<int64_t> items;
  for (int64_t item = 3; item < num_items; ++item)
    if (std::find(excluded.begin(), excluded.end(), item) == excluded.end()) items.push_back(item);
  std::stable_sort(items.begin(), items.end(),
                   [&](int64_t a, int64_t b) { return value[size_t(a)] > value[size_t(b)]; });
  items.resize(std::min<size_t>(items.size(), 20));
  return items;
}

TEST(GeneratorOracle, FiguresAreTheModelsRankingMetricsOfTheEstimates) {
  GeneratorOptions options = small_options(2000, 1500, /*seed=*/6);
  const GeneratedDataset dataset(options, "oracle-figures");
  const nlohmann::json oracle = read_json(dataset.directory / "truth.json")["oracle"];
  const GeneratorWorld world(options);
  for (const auto& [name, which] : {std::pair<const char*, Split>{"valid", Split::kValid},
                                    std::pair<const char*, Split>{"test", Split::kTest}}) {
    SCOPED_TRACE(name);
    // The same rollouts (the user's own stream), ranked by sorting the catalogue, scored by
    // models/ranking_metrics.cpp.
    RankingMetrics by_probability({10, 20}, world.num_items(), 3);
    RankingMetrics by_expected({10, 20}, world.num_items(), 3);
    OracleRollouts rollouts(world);
    for (const HeldOutUser& user : held_out_records(world, options, which)) {
      if (user.later_clicks.empty()) continue;
      Random random = oracle_rollout_random(options.seed, user.user);
      rollouts.run(user.state_at_cut, user.remaining_steps, options.oracle_rollouts,
                   oracle_options(options).batches, random);
      for (const bool expected : {false, true}) {
        const std::vector<int64_t> top =
            brute_force_top(rollouts, expected, user.clicked_before_cut, world.num_items());
        (expected ? by_expected : by_probability)
            .add_user(top.data(), int64_t(top.size()), user.later_clicks);
      }
    }
    const auto p = by_probability.results(), e = by_expected.results();
    const nlohmann::json& figures = oracle[name];
    EXPECT_EQ(figures["users"].get<int64_t>(), by_probability.users());
    // Means of the same per-user values, summed in another order.
    constexpr double kSummationOrder = 1e-12;
    EXPECT_NEAR(figures["hitrate@10"].get<double>(), p.at("hitrate@10"), kSummationOrder);
    EXPECT_NEAR(figures["hitrate@20"].get<double>(), p.at("hitrate@20"), kSummationOrder);
    EXPECT_NEAR(figures["ndcg@10"].get<double>(), p.at("ndcg@10"), kSummationOrder);
    EXPECT_NEAR(figures["ndcg@20"].get<double>(), p.at("ndcg@20"), kSummationOrder);
    EXPECT_NEAR(figures["hits@10"].get<double>(), e.at("hits@10"), kSummationOrder);
    EXPECT_NEAR(figures["hits@20"].get<double>(), e.at("hits@20"), kSummationOrder);
  }
}

TEST(GeneratorOracle, TopItemsBreakTiesToTheLowerIdAndPadWithUnshownItems) {
  // Items 9 and 5 tie, 7 is excluded, only four shown: the rest are the lowest unshown ids.
  const std::vector<int64_t> items{9, 7, 5, 12};
  const std::vector<double> values{0.5, 0.9, 0.5, 0.1};
  const std::vector<int64_t> top = oracle_top_items(items, values, {7, 3}, 6, 20);
  EXPECT_EQ(top, (std::vector<int64_t>{5, 9, 12, 4, 6, 8}));
  // A zero value counts as unshown.
  const std::vector<int64_t> zero = oracle_top_items({6, 4}, {0.0, 0.2}, {}, 3, 20);
  EXPECT_EQ(zero, (std::vector<int64_t>{4, 3, 5}));
  // A catalogue smaller than k.
  EXPECT_EQ(oracle_top_items({4}, {0.3}, {}, 5, 6), (std::vector<int64_t>{4, 3, 5}));
}

TEST(GeneratorOracle, SameSeedGivesTheSameFiguresWhateverTheThreads) {
  GeneratorOptions options = small_options(1200, 1500, /*seed=*/8);
  const GeneratorWorld world(options);
  const std::vector<HeldOutUser> records = held_out_records(world, options, Split::kTest);
  OracleOptions oracle = oracle_options(options);
  oracle.rollouts = 50;  // batches of 3 and 4 rollouts
  oracle.threads = 1;
  const OracleMetrics one = evaluate_oracle(world, records, oracle);
  oracle.threads = 3;
  const OracleMetrics three = evaluate_oracle(world, records, oracle);
  const OracleMetrics again = evaluate_oracle(world, records, oracle);
  EXPECT_GT(one.ranked_users, 40);
  for (const std::string& name : oracle_metric_names()) {
    SCOPED_TRACE(name);
    EXPECT_EQ(one.values.at(name), three.values.at(name));
    EXPECT_EQ(one.monte_carlo_standard_error.at(name), three.monte_carlo_standard_error.at(name));
    EXPECT_EQ(one.user_sampling_standard_error.at(name),
              three.user_sampling_standard_error.at(name));
    EXPECT_EQ(three.values.at(name), again.values.at(name));
    EXPECT_GT(one.monte_carlo_standard_error.at(name), 0.0);
  }
  // Another seed draws other rollouts.
  oracle.seed = 9;
  const OracleMetrics other = evaluate_oracle(world, records, oracle);
  EXPECT_NE(other.values.at("hits@20"), one.values.at("hits@20"));
}

TEST(GeneratorOracle, MonteCarloStandardErrorMatchesTheSpreadOfIndependentRuns) {
  // Independent runs (other rollout streams) on the same users: their figures' variance is
  // what the standard error estimates. 15 s^2 / se^2 follows a chi-square law with 15 degrees
  // of freedom when it is right: outside [3.0, 39.9] with probability 0.001.
  GeneratorOptions options = small_options(2000, 1500, /*seed=*/10);
  const GeneratorWorld world(options);
  const std::vector<HeldOutUser> records = held_out_records(world, options, Split::kValid);
  OracleOptions oracle = oracle_options(options);
  oracle.rollouts = 64;
  constexpr int kRuns = 16;
  const std::vector<std::string> names{"hitrate@20", "hits@20", "ndcg@20"};
  std::map<std::string, std::vector<double>> figures;
  std::map<std::string, double> reported_variance;
  for (int run = 0; run < kRuns; ++run) {
    oracle.seed = 1000 + uint64_t(run);
    const OracleMetrics metrics = evaluate_oracle(world, records, oracle);
    for (const std::string& name : names) {
      figures[name].push_back(metrics.values.at(name));
      reported_variance[name] += std::pow(metrics.monte_carlo_standard_error.at(name), 2) / kRuns;
    }
  }
  for (const std::string& name : names) {
    SCOPED_TRACE(name);
    const std::vector<double>& values = figures[name];
    const double mean = std::accumulate(values.begin(), values.end(), 0.0) / kRuns;
    double squares = 0;
    for (const double value : values) squares += (value - mean) * (value - mean);
    const double statistic = squares / reported_variance[name];  // (runs - 1) s^2 / se^2
    const double spread = std::sqrt(squares / (kRuns - 1));
    const double reported = std::sqrt(reported_variance[name]);
    EXPECT_GE(statistic, 3.0) << "spread " << spread << ", reported " << reported;
    EXPECT_LE(statistic, 39.9) << "spread " << spread << ", reported " << reported;
  }
}

TEST(GeneratorOracle, TruthJsonHasEveryKeyOfTheOracleAndNoOracleLeavesTheRestAlone) {
  GeneratorOptions options = small_options(1500, 1200, /*seed=*/12);
  const GeneratedDataset with(options, "oracle-keys");
  const nlohmann::json truth = read_json(with.directory / "truth.json");
  ASSERT_TRUE(truth.contains("oracle"));
  const nlohmann::json& oracle = truth["oracle"];
  ASSERT_TRUE(oracle.is_object());
  EXPECT_EQ(oracle["rollouts"].get<int64_t>(), options.oracle_rollouts);
  EXPECT_EQ(oracle["rollout_batches"].get<int64_t>(), 16);
  EXPECT_EQ(oracle["bootstrap_replicates"].get<int64_t>(), 10);
  for (const char* text : {"conditions_on", "ranking", "estimator", "standard_error"})
    EXPECT_TRUE(oracle[text].is_string()) << text;
  for (const char* split : {"valid", "test"}) {
    SCOPED_TRACE(split);
    const nlohmann::json& figures = oracle[split];
    // The choice model's users: the same held-out users with a later click.
    EXPECT_EQ(figures["users"].get<int64_t>(), truth[split]["users"].get<int64_t>());
    EXPECT_EQ(figures["held_out_users"].get<int64_t>(),
              truth[split]["held_out_users"].get<int64_t>());
    for (const std::string& name : oracle_metric_names()) {
      SCOPED_TRACE(name);
      ASSERT_TRUE(figures[name].is_number());
      const double value = figures[name];
      EXPECT_GE(value, 0.0);
      if (name.rfind("hits", 0) != 0) {
        EXPECT_LE(value, 1.0);
      }
      for (const char* error : {"monte_carlo_standard_error", "user_sampling_standard_error"}) {
        ASSERT_TRUE(figures[error][name].is_number()) << error;
        // The Monte-Carlo one can be 0 on a small split (no replicate moves a hit).
        const double standard_error = figures[error][name];
        EXPECT_GE(standard_error, 0.0) << error;
        EXPECT_LT(standard_error, 1.0) << error;
      }
    }
    EXPECT_LE(figures["hitrate@10"].get<double>(), figures["hitrate@20"].get<double>());
    EXPECT_GE(figures["hits@20"].get<double>(), figures["hitrate@20"].get<double>());
  }

  options.write_oracle = false;
  const GeneratedDataset without(options, "oracle-off");
  nlohmann::json plain = read_json(without.directory / "truth.json");
  EXPECT_TRUE(plain["oracle"].is_null());
  nlohmann::json rest = truth;
  rest.erase("oracle");
  plain.erase("oracle");
  EXPECT_EQ(rest, plain);
  EXPECT_EQ(read_bytes(with.directory / "data.npz"), read_bytes(without.directory / "data.npz"));
}

}  // namespace
}  // namespace slatetrain
