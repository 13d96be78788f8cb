#include "trainer/step_metrics.h"

#include <map>

#include "gtest/gtest.h"

namespace rlvr {
namespace {

std::map<std::string, double> AsMap(const MetricList& list) {
  return std::map<std::string, double>(list.begin(), list.end());
}

TEST(StepMetricsTest, SampleStatistics) {
  StepMetricsOptions o;
  o.accuracy_component = "math";
  StepMetrics m(o);
  m.AddSample({1.1, {{"math", 1}, {"format", 1}}, 10, false, false, 4});
  m.AddSample({0.1, {{"math", 0}, {"format", 1}}, 30, true, false, 3});
  m.AddSample({0.0, {{"math", 0}, {"format", 0}}, 20, false, true, 5});
  m.AddSample({1.0, {{"math", 1}, {"format", 0}}, 40, false, false, 5});
  auto got = AsMap(m.Finish(5));
  EXPECT_NEAR(got["reward/mean"], 0.55, 1e-12);
  // Population std of {1.1, 0.1, 0, 1}: mean 0.55, squared deviations 0.3025 * 2 + 0.2025 * 2.
  EXPECT_NEAR(got["reward/std"], std::sqrt((0.3025 * 2 + 0.2025 * 2) / 4), 1e-12);
  EXPECT_NEAR(got["reward/math/mean"], 0.5, 1e-12);
  EXPECT_NEAR(got["accuracy"], 0.5, 1e-12);
  EXPECT_NEAR(got["format_rate"], 0.5, 1e-12);
  EXPECT_NEAR(got["response_length/mean"], 25, 1e-12);
  EXPECT_EQ(got["response_length/max"], 40);
  EXPECT_NEAR(got["response_length/truncated_share"], 0.25, 1e-12);
  EXPECT_NEAR(got["verify/error_share"], 0.25, 1e-12);
  EXPECT_NEAR(got["weight_version_lag/mean"], 0.75, 1e-12);
  EXPECT_EQ(got["weight_version_lag/max"], 2);
  EXPECT_EQ(got.count("loss"), 0u);
  EXPECT_EQ(got.count("grad_norm"), 0u);
}

TEST(StepMetricsTest, LossMetricsAreTokenWeightedAcrossUpdates) {
  StepMetrics m;
  PolicyLossMetrics a, b;
  a.active_tokens = 10;
  a.clip_fraction = 0.1;
  a.kl_mean = 1;
  a.ratio_min = 0.9;
  a.ratio_max = 1.1;
  b.active_tokens = 30;
  b.clip_fraction = 0.5;
  b.kl_mean = 3;
  b.ratio_min = 0.7;
  b.ratio_max = 1.05;
  m.AddLoss(1.0, a);
  m.AddLoss(2.0, b);
  m.AddOptimizerStep(2.0, 1e-3);
  m.AddOptimizerStep(4.0, 2e-3);
  m.AddPhaseSeconds("generate", 1.5);
  m.AddPhaseSeconds("generate", 0.5);
  m.Set("groups/dropped", 3);
  auto got = AsMap(m.Finish(0));
  EXPECT_NEAR(got["clip_fraction"], (10 * 0.1 + 30 * 0.5) / 40, 1e-12);
  EXPECT_NEAR(got["kl"], 2.5, 1e-12);
  EXPECT_NEAR(got["loss"], 1.75, 1e-12);
  EXPECT_EQ(got["ratio/min"], 0.7);
  EXPECT_EQ(got["ratio/max"], 1.1);
  EXPECT_EQ(got["grad_norm"], 3.0);
  EXPECT_EQ(got["grad_norm/max"], 4.0);
  EXPECT_EQ(got["lr"], 2e-3);
  EXPECT_EQ(got["time/generate"], 2.0);
  EXPECT_EQ(got["groups/dropped"], 3);
}

}  // namespace
}  // namespace rlvr
