// The generated data has the published statistics (docs/FINN.md) at a few thousand users,
// and the planted ground truth shows in it: clicks stay within a taste group, the taste drifts
// with clicks, and popular items are shown far more often.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>

#include "tests/generator_test_support.hpp"

namespace slatetrain {
namespace {

// 3000 users, 5000 items (99 groups), default anomaly rate.
GeneratorOptions statistics_options() {
  GeneratorOptions options = small_options(3000, 5000, /*seed=*/7);
  options.write_truth = false;
  return options;
}

struct Statistics {
  int64_t users = 0, real_steps = 0, no_click = 0, recommendation = 0, slate_length_sum = 0;
  double steps_per_user() const { return double(real_steps) / double(users); }
  double no_click_share() const { return double(no_click) / double(real_steps); }
  double recommendation_share() const { return double(recommendation) / double(real_steps); }
  double mean_slate_length() const { return double(slate_length_sum) / double(real_steps); }
};

Statistics measure(const FinnArrays& a) {
  Statistics s;
  s.users = a.users;
  for (int64_t u = 0; u < a.users; ++u) {
    for (int t = 0; t < real_step_count(a, u); ++t) {
      const int64_t step = a.step(u, t);
      ++s.real_steps;
      s.no_click += a.click[step] == 1;
      s.recommendation += a.interaction_type[step] == 2;
      s.slate_length_sum += a.slate_lengths[step];
    }
  }
  return s;
}

TEST(GeneratorStatistics, PublishedFiguresWithinTolerance) {
  const GeneratedDataset dataset(statistics_options(), "statistics");
  const Statistics s = measure(read_finn_arrays(dataset.directory));
  // Published: 16.43 steps per user, 24% no-click, 30.3% recommendations, 11.14 slate length.
  // Tolerances: several standard errors at 3000 users, and the small catalogue's shift.
  EXPECT_LT(std::fabs(s.steps_per_user() - 16.43), 0.35) << s.steps_per_user();
  EXPECT_LT(std::fabs(s.no_click_share() - 0.24), 0.03) << s.no_click_share();
  EXPECT_LT(std::fabs(s.recommendation_share() - 0.303), 0.015) << s.recommendation_share();
  EXPECT_LT(std::fabs(s.mean_slate_length() - 11.14), 0.1) << s.mean_slate_length();

  // generator.json reports the same figures as the data.
  const nlohmann::json generator = read_json(dataset.directory / "generator.json");
  EXPECT_EQ(generator["real_steps"].get<int64_t>(), s.real_steps);
  EXPECT_LT(std::fabs(generator["steps_per_user"].get<double>() - s.steps_per_user()), 1e-12);
  EXPECT_LT(std::fabs(generator["no_click_ratio"].get<double>() - s.no_click_share()), 1e-12);
  EXPECT_LT(std::fabs(generator["rec_share"].get<double>() - s.recommendation_share()), 1e-12);
  EXPECT_LT(std::fabs(generator["mean_slate_length"].get<double>() - s.mean_slate_length()), 1e-12);
  EXPECT_EQ(dataset.report.no_click_steps, s.no_click);
  EXPECT_EQ(dataset.report.recommendation_steps, s.recommendation);
  EXPECT_EQ(dataset.report.slate_length_sum, s.slate_length_sum);
}

TEST(GeneratorStatistics, StepsPerUserFollowThePublishedShape) {
  const GeneratedDataset dataset(statistics_options(), "user-lengths");
  const FinnArrays a = read_finn_arrays(dataset.directory);
  std::vector<int64_t> users_with(kSteps + 1, 0);
  for (int64_t u = 0; u < a.users; ++u) ++users_with[real_step_count(a, u)];
  EXPECT_EQ(users_with[0], 0) << "a user without any step";
  // About 64% of users have all 20 steps; the others spread over 1..19.
  const double full_share = double(users_with[kSteps]) / double(a.users);
  EXPECT_LT(std::fabs(full_share - 0.643), 0.04) << full_share;
  for (int length = 1; length < kSteps; ++length)
    EXPECT_GT(users_with[length], 20) << "users with " << length << " steps";
}

// Share of pairs of a user's real clicks `lag` clicks apart whose items share a group.
double same_group_share(const FinnArrays& a, const std::vector<double>& category, int lag) {
  int64_t pairs = 0, same = 0;
  std::vector<int64_t> clicks;
  for (int64_t u = 0; u < a.users; ++u) {
    clicks.clear();
    for (int t = 0; t < kSteps; ++t)
      if (a.click[a.step(u, t)] >= 3) clicks.push_back(a.click[a.step(u, t)]);
    for (size_t i = 0; i + lag < clicks.size(); ++i) {
      ++pairs;
      same += category[clicks[i]] == category[clicks[i + lag]];
    }
  }
  return double(same) / double(std::max<int64_t>(1, pairs));
}

TEST(GeneratorStatistics, ClicksFollowAGroupTasteThatDrifts) {
  const GeneratedDataset dataset(statistics_options(), "taste");
  const FinnArrays a = read_finn_arrays(dataset.directory);
  const std::vector<double> category = read_categories(dataset.directory);
  // Chance: two clicks drawn independently by the groups' click shares.
  std::vector<double> group_clicks(5000, 0.0);
  double total = 0;
  for (int64_t click : a.click)
    if (click >= 3) group_clicks[size_t(category[click])] += 1, total += 1;
  double chance = 0;
  for (double c : group_clicks) chance += (c / total) * (c / total);
  const double next = same_group_share(a, category, 1);
  const double far = same_group_share(a, category, 8);
  // Measured: next ~0.84, 8 apart ~0.62, chance ~0.06.
  EXPECT_GT(next, 0.6) << "chance " << chance;
  EXPECT_GT(next, 5 * chance) << "next " << next << ", chance " << chance;
  EXPECT_GT(next - far, 0.1) << "no drift: next " << next << ", 8 apart " << far;
  EXPECT_GT(far, 3 * chance) << "taste lost after 8 clicks: " << far;
}

TEST(GeneratorStatistics, PopularItemsAreShownAndClickedMost) {
  const GeneratedDataset dataset(statistics_options(), "popularity");
  const FinnArrays a = read_finn_arrays(dataset.directory);
  const int64_t real_items = dataset.options.num_items - 3;
  std::vector<int64_t> shown(size_t(real_items), 0), clicked(size_t(real_items), 0);
  for (int64_t id : a.slate)
    if (id >= 3) ++shown[size_t(id - 3)];
  for (int64_t id : a.click)
    if (id >= 3) ++clicked[size_t(id - 3)];
  auto top_share = [&](std::vector<int64_t> counts, double fraction) {
    std::sort(counts.begin(), counts.end(), std::greater<int64_t>());
    const auto top = static_cast<size_t>(fraction * double(counts.size()));
    const double all = double(std::accumulate(counts.begin(), counts.end(), int64_t(0)));
    return double(std::accumulate(counts.begin(), counts.begin() + top, int64_t(0))) / all;
  };
  // Uniform exposure would give the top 1% of items 1%; measured ~20% of impressions, ~35% of
  // clicks.
  const double impressions = top_share(shown, 0.01), clicks = top_share(clicked, 0.01);
  EXPECT_GT(impressions, 0.1) << impressions;
  EXPECT_GT(clicks, 0.2) << clicks;
  EXPECT_GT(top_share(shown, 0.1), 0.4);
}

}  // namespace
}  // namespace slatetrain
