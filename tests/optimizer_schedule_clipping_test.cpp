// Learning-rate warm-up and decay values, and global-norm gradient clipping.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/backend.hpp"
#include "core/error.hpp"
#include "models/gradient_clipping.hpp"
#include "models/learning_rate_schedule.hpp"

namespace slatetrain {
namespace {

TEST(LearningRateSchedule, WarmupThenCosineToFloor) {
  LearningRateSchedule schedule;
  schedule.base = 1.0f;
  schedule.warmup_steps = 4;
  schedule.total_steps = 14;
  schedule.decay = LearningRateDecay::kCosine;
  schedule.floor_fraction = 0.1f;
  schedule.validate();
  EXPECT_FLOAT_EQ(schedule.at(0), 0.25f);
  EXPECT_FLOAT_EQ(schedule.at(3), 1.0f);
  EXPECT_FLOAT_EQ(schedule.at(4), 1.0f);               // decay starts: progress 0
  EXPECT_NEAR(schedule.at(9), 0.1 + 0.9 * 0.5, 1e-6);  // halfway: cos(pi/2) = 0
  EXPECT_NEAR(schedule.at(14), 0.1, 1e-6);
  EXPECT_NEAR(schedule.at(1000), 0.1, 1e-6);
}

TEST(LearningRateSchedule, LinearAndNone) {
  LearningRateSchedule schedule;
  schedule.base = 2.0f;
  schedule.total_steps = 10;
  schedule.decay = LearningRateDecay::kLinear;
  EXPECT_FLOAT_EQ(schedule.at(0), 2.0f);
  EXPECT_FLOAT_EQ(schedule.at(5), 1.0f);
  EXPECT_FLOAT_EQ(schedule.at(10), 0.0f);
  schedule.decay = LearningRateDecay::kNone;
  EXPECT_FLOAT_EQ(schedule.at(7), 2.0f);
  EXPECT_EQ(parse_learning_rate_decay("cosine"), LearningRateDecay::kCosine);
  EXPECT_THROW(parse_learning_rate_decay("exp"), Error);
}

TEST(LearningRateSchedule, InvalidSettingsAreErrors) {
  LearningRateSchedule schedule;
  schedule.warmup_steps = 20;
  schedule.total_steps = 10;
  EXPECT_THROW(schedule.validate(), Error);
  schedule.warmup_steps = 0;
  schedule.floor_fraction = 1.5f;
  EXPECT_THROW(schedule.validate(), Error);
  schedule.floor_fraction = 0.0f;
  schedule.base = 0.0f;
  EXPECT_THROW(schedule.validate(), Error);
}

TEST(GradientClipping, GlobalNormOverSeveralSpans) {
  auto backend = make_backend(Device::kCpu);
  std::vector<float> first = {3.0f};
  std::vector<float> second = {0.0f, 4.0f};
  const std::vector<GradientSpan> spans = {{first.data(), 1}, {second.data(), 2}};
  EXPECT_NEAR(gradient_norm(*backend, spans), 5.0, 1e-12);
  // Under the limit: unchanged.
  EXPECT_NEAR(clip_gradient_norm(*backend, spans, 10.0), 5.0, 1e-12);
  EXPECT_EQ(first[0], 3.0f);
  // Over: scaled to norm 1 together.
  EXPECT_NEAR(clip_gradient_norm(*backend, spans, 1.0), 5.0, 1e-12);
  EXPECT_NEAR(first[0], 0.6, 1e-7);
  EXPECT_NEAR(second[1], 0.8, 1e-7);
  EXPECT_NEAR(gradient_norm(*backend, spans), 1.0, 1e-6);
  // max_norm 0: no clipping.
  EXPECT_NEAR(clip_gradient_norm(*backend, spans, 0.0), 1.0, 1e-6);
  EXPECT_NEAR(first[0], 0.6, 1e-7);
}

}  // namespace
}  // namespace slatetrain
