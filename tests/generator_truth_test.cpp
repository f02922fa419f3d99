// truth.json: the choice model's held-out scores (the oracle's: generator_oracle_test.cpp). The
// held-out users are those of the published split (data/split.hpp, seed 0); the log-likelihood is
// replayed here from the written slates and clicks with the planted model; the FINN-protocol
// ranking is recomputed by brute force over the catalogue; and it beats a popularity ranking.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "data/generator_user.hpp"
#include "data/generator_world.hpp"
#include "data/split.hpp"
#include "tests/generator_test_support.hpp"

namespace slatetrain {
namespace {

constexpr int kTestSplit = 5;

GeneratorOptions truth_options() {
  return small_options(2000, 5000, /*seed=*/3);
}

// Rows of the users of one split, in row order.
std::vector<int64_t> split_users(int64_t num_users, Split which) {
  const std::vector<Split> split = assign_split(num_users, SplitParameters{});
  std::vector<int64_t> users;
  for (int64_t u = 0; u < num_users; ++u)
    if (split[size_t(u)] == which) users.push_back(u);
  return users;
}

TEST(GeneratorTruth, CountsFollowThePublishedSplitAndValuesAreSane) {
  const GeneratedDataset dataset(truth_options(), "truth-counts");
  const FinnArrays a = read_finn_arrays(dataset.directory);
  const nlohmann::json truth = read_json(dataset.directory / "truth.json");
  const int64_t U = dataset.options.num_users;
  EXPECT_EQ(truth["split"]["seed"].get<int64_t>(), 0);
  EXPECT_EQ(truth["split"]["t_testsplit"].get<int>(), kTestSplit);
  EXPECT_DOUBLE_EQ(truth["split"]["valid_fraction"].get<double>(), 0.05);
  EXPECT_DOUBLE_EQ(truth["split"]["test_fraction"].get<double>(), 0.05);
  EXPECT_TRUE(truth["truth_users_cap"].is_null());

  for (const auto& [name, which] : {std::pair<const char*, Split>{"valid", Split::kValid},
                                    std::pair<const char*, Split>{"test", Split::kTest}}) {
    SCOPED_TRACE(name);
    const nlohmann::json& m = truth[name];
    const std::vector<int64_t> users = split_users(U, which);
    EXPECT_EQ(int64_t(users.size()), which == Split::kValid
                                         ? valid_user_count(U, SplitParameters{})
                                         : test_user_count(U, SplitParameters{}));
    EXPECT_EQ(m["held_out_users"].get<int64_t>(), int64_t(users.size()));
    // Ranked: users with a real click from t_testsplit on. Scored steps: held-out real steps
    // that are choices within their slate.
    int64_t ranked = 0, steps = 0;
    for (int64_t u : users) {
      bool later_click = false;
      for (int t = kTestSplit; t < real_step_count(a, u); ++t) {
        later_click |= a.click[a.step(u, t)] >= 3;
        steps += !click_outside_slate(a, u, t);
      }
      ranked += later_click;
    }
    EXPECT_EQ(m["users"].get<int64_t>(), ranked);
    EXPECT_EQ(m["steps"].get<int64_t>(), steps);
    EXPECT_GT(ranked, int64_t(users.size()) / 2);

    const double hitrate_10 = m["hitrate@10"], hitrate_20 = m["hitrate@20"];
    const double hits_20 = m["hits@20"], loglik = m["loglik"];
    EXPECT_GE(hitrate_10, 0.0);
    EXPECT_LE(hitrate_10, hitrate_20);
    EXPECT_LE(hitrate_20, 1.0);
    EXPECT_GE(hits_20, hitrate_20);  // hits count every later click found, not capped at one
    EXPECT_LT(loglik, 0.0);
    // Better than a uniform choice over the slate's options (mean -log of the slate length).
    double uniform = 0;
    for (int64_t u : users)
      for (int t = kTestSplit; t < real_step_count(a, u); ++t)
        if (!click_outside_slate(a, u, t))
          uniform -= std::log(std::min<double>(a.slate_lengths[a.step(u, t)], kSlots));
    uniform /= double(steps);
    EXPECT_GT(loglik, uniform + 0.2) << "uniform " << uniform;
  }
}

// The held-out records of one split, from the same simulation the generator ran.
std::vector<HeldOutUser> simulate_held_out(const GeneratorWorld& world,
                                           const GeneratorOptions& options, const FinnArrays& a,
                                           Split which) {
  std::vector<HeldOutUser> records;
  for (int64_t u : split_users(options.num_users, which)) {
    UserSteps steps;
    HeldOutUser record;
    AnomalyCounts ignored;
    simulate_user(world, options, u, steps, &record, ignored);
    // The simulation is the written row.
    for (int t = 0; t < kSteps; ++t) {
      const int64_t step = a.step(u, t);
      EXPECT_EQ(steps.click[t], a.click[step]) << "user " << u << " step " << t;
      for (int j = 0; j < kSlots; ++j)
        if (steps.slate[t][j] != a.slate_row(u, t)[j]) {
          ADD_FAILURE() << "user " << u << " step " << t << " slot " << j << ": simulated "
                        << steps.slate[t][j] << ", written " << a.slate_row(u, t)[j];
          return records;
        }
    }
    records.push_back(std::move(record));
  }
  return records;
}

TEST(GeneratorTruth, LogLikelihoodReplaysFromTheWrittenData) {
  const GeneratedDataset dataset(truth_options(), "truth-loglik");
  const FinnArrays a = read_finn_arrays(dataset.directory);
  const nlohmann::json truth = read_json(dataset.directory / "truth.json");
  const GeneratorWorld world(dataset.options);
  const ChoiceModel& choice = world.choice();
  const std::vector<HeldOutUser> records =
      simulate_held_out(world, dataset.options, a, Split::kValid);

  // From the true state at the cut, follow the written clicks: softmax over the slate's real
  // items and the no-click score; every real click moves the taste.
  double loglik = 0;
  int64_t steps = 0;
  for (const HeldOutUser& record : records) {
    float taste[kTasteDimension];
    std::memcpy(taste, record.state_at_cut.taste, sizeof taste);
    const int64_t u = record.user;
    for (int t = kTestSplit; t < real_step_count(a, u); ++t) {
      const int64_t step = a.step(u, t);
      const int64_t* slate = a.slate_row(u, t);
      if (!click_outside_slate(a, u, t)) {
        const int width = static_cast<int>(std::min<int64_t>(a.slate_lengths[step], kSlots));
        std::vector<double> scores(size_t(width), -INFINITY);
        scores[0] = choice.no_click_score;
        for (int j = 1; j < width; ++j)
          if (slate[j] >= 3) scores[j] = world.utility(taste, slate[j]);
        const double top = *std::max_element(scores.begin(), scores.end());
        double total = 0;
        for (double s : scores) total += std::exp(s - top);
        loglik += scores[size_t(a.click_idx[step])] - top - std::log(total);
        ++steps;
      }
      const int64_t click = a.click[step];
      if (click >= 3) {
        const float* e = world.item_vector(click);
        for (int d = 0; d < kTasteDimension; ++d)
          taste[d] =
              static_cast<float>((1 - choice.taste_step) * taste[d] + choice.taste_step * e[d]);
        normalize_taste(taste);
      }
    }
  }
  ASSERT_GT(steps, 0);
  EXPECT_EQ(truth["valid"]["steps"].get<int64_t>(), steps);
  const double expected = loglik / double(steps);
  const double written = truth["valid"]["loglik"];
  EXPECT_LT(std::fabs(written - expected), 1e-9)
      << "written " << written << ", replayed " << expected;
}

struct RankingFigures {
  int64_t users = 0;
  double hitrate_10 = 0, hitrate_20 = 0, hits_20 = 0;
};

// Ranks ids >= 3 (earlier clicks excluded) by `score(item)`, best first, ties to the lower id;
// counts each later click found in the top 10 / 20.
template <typename Score>
RankingFigures rank_by_brute_force(const std::vector<HeldOutUser>& records, int64_t num_items,
                                   const Score& score) {
  RankingFigures figures;
  std::vector<std::pair<double, int64_t>> ranked;
  for (const HeldOutUser& record : records) {
    if (record.later_clicks.empty()) continue;
    ranked.clear();
    for (int64_t item = 3; item < num_items; ++item) {
      const auto& excluded = record.clicked_before_cut;
      if (std::find(excluded.begin(), excluded.end(), item) == excluded.end())
        ranked.emplace_back(-score(record, item), item);
    }
    std::partial_sort(ranked.begin(), ranked.begin() + 20, ranked.end());
    int hits_10 = 0, hits_20 = 0;
    for (int64_t click : record.later_clicks)
      for (int r = 0; r < 20; ++r)
        if (ranked[size_t(r)].second == click) {
          hits_20 += 1;
          hits_10 += r < 10;
          break;
        }
    ++figures.users;
    figures.hitrate_10 += hits_10 > 0;
    figures.hitrate_20 += hits_20 > 0;
    figures.hits_20 += hits_20;
  }
  figures.hitrate_10 /= double(figures.users);
  figures.hitrate_20 /= double(figures.users);
  figures.hits_20 /= double(figures.users);
  return figures;
}

TEST(GeneratorTruth, RankingMatchesBruteForceAndBeatsPopularity) {
  const GeneratedDataset dataset(truth_options(), "truth-ranking");
  const FinnArrays a = read_finn_arrays(dataset.directory);
  const nlohmann::json truth = read_json(dataset.directory / "truth.json");
  const GeneratorWorld world(dataset.options);
  const ChoiceModel& choice = world.choice();
  for (const auto& [name, which] : {std::pair<const char*, Split>{"valid", Split::kValid},
                                    std::pair<const char*, Split>{"test", Split::kTest}}) {
    SCOPED_TRACE(name);
    const std::vector<HeldOutUser> records = simulate_held_out(world, dataset.options, a, which);
    // The true click propensity: utility plus the log of the exposure weight.
    const RankingFigures exact = rank_by_brute_force(
        records, world.num_items(), [&](const HeldOutUser& record, int64_t item) {
          const float* e = world.item_vector(item);
          double dot = 0;
          for (int d = 0; d < kTasteDimension; ++d)
            dot += double(record.state_at_cut.taste[d]) * e[d];
          return choice.scale * dot +
                 (choice.popularity_weight + 1.0) * world.item_log_popularity(item);
        });
    const nlohmann::json& m = truth[name];
    ASSERT_EQ(m["users"].get<int64_t>(), exact.users);
    // Single-precision scores in the generator may order a near tie differently: allow one
    // user's worth of difference.
    const double one_user = 1.0 / double(exact.users);
    EXPECT_LE(std::fabs(m["hitrate@10"].get<double>() - exact.hitrate_10), one_user + 1e-12)
        << "brute force " << exact.hitrate_10;
    EXPECT_LE(std::fabs(m["hitrate@20"].get<double>() - exact.hitrate_20), one_user + 1e-12)
        << "brute force " << exact.hitrate_20;
    EXPECT_LE(std::fabs(m["hits@20"].get<double>() - exact.hits_20), 3 * one_user + 1e-12)
        << "brute force " << exact.hits_20;

    const RankingFigures popular = rank_by_brute_force(
        records, world.num_items(),
        [&](const HeldOutUser&, int64_t item) { return world.item_log_popularity(item); });
    EXPECT_GT(exact.hitrate_20, popular.hitrate_20 + 0.2)
        << "the planted taste adds little over popularity: " << exact.hitrate_20 << " vs "
        << popular.hitrate_20;
  }
}

TEST(GeneratorTruth, RankedUserCapLeavesLogLikelihoodAlone) {
  GeneratorOptions options = truth_options();
  options.num_users = 1000;
  const GeneratedDataset all(options, "truth-all");
  options.truth_users = 10;
  const GeneratedDataset capped(options, "truth-capped");
  const nlohmann::json full = read_json(all.directory / "truth.json");
  const nlohmann::json cap = read_json(capped.directory / "truth.json");
  EXPECT_EQ(cap["truth_users_cap"].get<int64_t>(), 10);
  for (const char* name : {"valid", "test"}) {
    SCOPED_TRACE(name);
    EXPECT_EQ(cap[name]["users"].get<int64_t>(), 10);
    EXPECT_GT(full[name]["users"].get<int64_t>(), 10);
    EXPECT_EQ(cap[name]["held_out_users"], full[name]["held_out_users"]);
    EXPECT_EQ(cap[name]["steps"], full[name]["steps"]);
    EXPECT_EQ(cap[name]["loglik"], full[name]["loglik"]);
  }
  // The data does not depend on the cap.
  EXPECT_EQ(read_bytes(all.directory / "data.npz"), read_bytes(capped.directory / "data.npz"));
}

}  // namespace
}  // namespace slatetrain
