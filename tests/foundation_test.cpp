// The shared basics every module uses: errors carry their place, the RNG is deterministic,
// and the split has the published proportions.
#include <gtest/gtest.h>

#include <set>

#include "core/error.hpp"
#include "core/progress.hpp"
#include "core/random.hpp"
#include "data/split.hpp"

namespace slatetrain {
namespace {

TEST(Error, NamesFileAndLine) {
  try {
    REQUIRE(1 + 1 == 3, "arithmetic is off by " << 1);
    FAIL() << "REQUIRE did not throw";
  } catch (const Error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("arithmetic is off by 1"), std::string::npos) << message;
    EXPECT_NE(message.find("foundation_test.cpp:"), std::string::npos) << message;
  }
}

TEST(Random, SameSeedSameStreamOtherSeedOtherStream) {
  Random a(42), b(42), c(43);
  int equal_to_other_seed = 0;
  for (int i = 0; i < 100; ++i) {
    const uint64_t x = a.next();
    EXPECT_EQ(x, b.next());
    equal_to_other_seed += x == c.next();
  }
  EXPECT_EQ(equal_to_other_seed, 0);
}

TEST(Random, BelowIsInRangeAndCoversIt) {
  Random random(7);
  std::set<uint64_t> seen;
  for (int i = 0; i < 10000; ++i) {
    const uint64_t x = random.below(10);
    ASSERT_LT(x, 10u);
    seen.insert(x);
  }
  EXPECT_EQ(seen.size(), 10u);
}

TEST(Random, StateRoundTrips) {
  Random a(5);
  a.next();
  Random b(99);
  b.set_state(a.state());
  for (int i = 0; i < 10; ++i) EXPECT_EQ(a.next(), b.next());
}

TEST(Split, PublishedProportionsAndDeterminism) {
  SplitParameters parameters;  // 5% / 5%, t_testsplit 5
  parameters.seed = 3;
  const int64_t users = 10007;
  const auto split = assign_split(users, parameters);
  ASSERT_EQ(static_cast<int64_t>(split.size()), users);
  int64_t valid = 0, test = 0;
  for (Split s : split) {
    valid += s == Split::kValid;
    test += s == Split::kTest;
  }
  EXPECT_EQ(valid, 500);  // floor(10007 * 0.05)
  EXPECT_EQ(test, 500);
  EXPECT_EQ(split, assign_split(users, parameters));
  parameters.seed = 4;
  EXPECT_NE(split, assign_split(users, parameters));
}

TEST(Split, TestsplitSemantics) {
  EXPECT_TRUE(is_training_step(Split::kTrain, 17, 5));
  EXPECT_FALSE(is_held_out_step(Split::kTrain, 17, 5));
  EXPECT_TRUE(is_training_step(Split::kValid, 4, 5));
  EXPECT_FALSE(is_held_out_step(Split::kValid, 4, 5));
  EXPECT_FALSE(is_training_step(Split::kTest, 5, 5));
  EXPECT_TRUE(is_held_out_step(Split::kTest, 5, 5));
}

TEST(Split, RejectsBadFractions) {
  SplitParameters parameters;
  parameters.valid_fraction = 0.7;
  parameters.test_fraction = 0.4;
  EXPECT_THROW(assign_split(100, parameters), Error);
}

TEST(Progress, HumanUnits) {
  EXPECT_EQ(human_count(1500), "1.5k");
  EXPECT_EQ(human_count(37.4e6), "37.40M");
  EXPECT_EQ(human_duration(65), "1m05s");
  EXPECT_EQ(human_duration(3720), "1h02m");
}

}  // namespace
}  // namespace slatetrain
