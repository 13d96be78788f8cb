#include "trainer/lr_schedule.h"

#include <cmath>
#include <numbers>

#include "gtest/gtest.h"

namespace rlvr {
namespace {

rlvr::v1::OptimizerConfig Opt(double lr) {
  rlvr::v1::OptimizerConfig o;
  o.set_learning_rate(lr);
  return o;
}

rlvr::v1::ScheduleConfig Sched(int64_t steps, int64_t warmup, const char* decay, double m) {
  rlvr::v1::ScheduleConfig s;
  s.set_steps(steps);
  s.set_warmup_steps(warmup);
  s.set_decay(decay);
  s.set_min_lr_ratio(m);
  return s;
}

TEST(LrScheduleTest, WarmupIsLinearAndReachesTheBaseRate) {
  auto s = LrSchedule::Create(Opt(1.0), Sched(100, 4, "constant", 0));
  ASSERT_TRUE(s.ok());
  EXPECT_DOUBLE_EQ(s->At(0), 0.25);
  EXPECT_DOUBLE_EQ(s->At(1), 0.5);
  EXPECT_DOUBLE_EQ(s->At(3), 1.0);
  EXPECT_DOUBLE_EQ(s->At(50), 1.0);
}

TEST(LrScheduleTest, CosineDecaysToTheFloor) {
  auto s = LrSchedule::Create(Opt(2.0), Sched(12, 2, "cosine", 0.1));
  ASSERT_TRUE(s.ok());
  EXPECT_DOUBLE_EQ(s->At(2), 2.0);
  // Halfway through the 10 decay steps: cos(pi/2) = 0 -> 2 * (0.1 + 0.9 * 0.5).
  EXPECT_NEAR(s->At(7), 2.0 * 0.55, 1e-12);
  EXPECT_NEAR(s->At(12), 0.2, 1e-12);
  EXPECT_NEAR(s->At(100), 0.2, 1e-12);
  const double p = 3.0 / 10.0;
  EXPECT_NEAR(s->At(5), 2.0 * (0.1 + 0.9 * 0.5 * (1 + std::cos(std::numbers::pi * p))), 1e-12);
}

TEST(LrScheduleTest, EmptyDecayMeansConstant) {
  auto s = LrSchedule::Create(Opt(0.5), Sched(10, 0, "", 0));
  ASSERT_TRUE(s.ok());
  EXPECT_DOUBLE_EQ(s->At(0), 0.5);
  EXPECT_DOUBLE_EQ(s->At(9), 0.5);
}

TEST(LrScheduleTest, BadConfigIsAnError) {
  EXPECT_FALSE(LrSchedule::Create(Opt(0), Sched(10, 0, "", 0)).ok());
  EXPECT_FALSE(LrSchedule::Create(Opt(1), Sched(10, 0, "linear", 0)).ok());
  EXPECT_FALSE(LrSchedule::Create(Opt(1), Sched(10, -1, "", 0)).ok());
  EXPECT_FALSE(LrSchedule::Create(Opt(1), Sched(10, 0, "cosine", 1.5)).ok());
}

}  // namespace
}  // namespace rlvr
