#include "trainer/advantages.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace rlvr {
namespace {

constexpr double kTol = 1e-9;

AdvantageOptions Opts(rlvr::v1::AdvantageEstimator e, double eps = 0) {
  AdvantageOptions o;
  o.estimator = e;
  o.eps = eps;
  return o;
}

TEST(AdvantagesTest, GrpoUsesSampleStdWithinEachGroup) {
  // Group 0: mean 0.5, sample std sqrt(1/3). Group 1: mean 0.25, sample std 0.5.
  std::vector<double> r = {1, 0, 0, 1, 1, 0, 0, 0};
  auto adv = GroupAdvantages(r, 4, Opts(rlvr::v1::GRPO));
  ASSERT_TRUE(adv.ok()) << adv.status();
  const double a = 0.5 * std::sqrt(3.0);
  std::vector<double> want = {a, -a, -a, a, 1.5, -0.5, -0.5, -0.5};
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR((*adv)[i], want[i], kTol) << i;
}

TEST(AdvantagesTest, GrpoEpsIsAddedToStd) {
  std::vector<double> r = {1, 0, 0, 0};
  auto adv = GroupAdvantages(r, 4, Opts(rlvr::v1::GRPO, 0.5));
  ASSERT_TRUE(adv.ok());
  EXPECT_NEAR((*adv)[0], 0.75 / 1.0, kTol);
  EXPECT_NEAR((*adv)[1], -0.25 / 1.0, kTol);
}

TEST(AdvantagesTest, GrpoZeroVarianceGroupGivesZero) {
  std::vector<double> r = {1, 1, 1, 0.3, 0.3, 0.3};
  auto adv = GroupAdvantages(r, 3, Opts(rlvr::v1::GRPO, kDefaultAdvantageEps));
  ASSERT_TRUE(adv.ok());
  for (double a : *adv) EXPECT_EQ(a, 0.0);
}

TEST(AdvantagesTest, DrGrpoSubtractsMeanOnly) {
  std::vector<double> r = {1, 0, 0, 0, 2, 4};
  RewardBatch b{r, {7, 7, 7, 7, 9, 9}, {}, {}};
  auto adv = ComputeAdvantages(b, Opts(rlvr::v1::DR_GRPO));
  ASSERT_TRUE(adv.ok());
  std::vector<double> want = {0.75, -0.25, -0.25, -0.25, -1, 1};
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR((*adv)[i], want[i], kTol) << i;
}

TEST(AdvantagesTest, RlooSubtractsMeanOfTheOthers) {
  std::vector<double> r = {1, 0, 0, 0};
  auto adv = GroupAdvantages(r, 4, Opts(rlvr::v1::RLOO));
  ASSERT_TRUE(adv.ok());
  EXPECT_NEAR((*adv)[0], 1.0, kTol);
  EXPECT_NEAR((*adv)[1], -1.0 / 3.0, kTol);
  EXPECT_NEAR((*adv)[3], -1.0 / 3.0, kTol);
}

TEST(AdvantagesTest, RlooRejectsSingletonGroup) {
  RewardBatch b{{1, 0, 1}, {0, 0, 1}, {}, {}};
  auto adv = ComputeAdvantages(b, Opts(rlvr::v1::RLOO));
  EXPECT_FALSE(adv.ok());
  EXPECT_NE(adv.status().message().find("RLOO"), std::string::npos);
}

TEST(AdvantagesTest, GroupsNeedNotBeAdjacent) {
  RewardBatch b{{1, 5, 0, 7}, {0, 1, 0, 1}, {}, {}};
  auto adv = ComputeAdvantages(b, Opts(rlvr::v1::DR_GRPO));
  ASSERT_TRUE(adv.ok());
  std::vector<double> want = {0.5, -1, -0.5, 1};
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR((*adv)[i], want[i], kTol) << i;
}

TEST(AdvantagesTest, ReinforcePlusPlusWhitensOverTheBatch) {
  // Group means removed: [0.5, -0.5, 0, 0]; batch mean 0, unbiased var 1/6.
  RewardBatch b{{1, 0, 0, 0}, {0, 0, 1, 1}, {}, {}};
  auto adv = ComputeAdvantages(b, Opts(rlvr::v1::REINFORCE_PLUS_PLUS));
  ASSERT_TRUE(adv.ok());
  const double s = 1.0 / std::sqrt(1.0 / 6.0 + kWhitenVarianceEps);
  std::vector<double> want = {0.5 * s, -0.5 * s, 0, 0};
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR((*adv)[i], want[i], 1e-7) << i;
}

TEST(AdvantagesTest, ReinforcePlusPlusWeightsByTokens) {
  // Token counts 3,1,1,1: token mean 1/6, token-unbiased variance (5/6)/5 = 1/6.
  RewardBatch b{{1, 0, 0, 0}, {0, 0, 1, 1}, {3, 1, 1, 1}, {}};
  auto adv = ComputeAdvantages(b, Opts(rlvr::v1::REINFORCE_PLUS_PLUS));
  ASSERT_TRUE(adv.ok());
  const double s = 1.0 / std::sqrt(1.0 / 6.0 + kWhitenVarianceEps);
  std::vector<double> want = {s / 3, -2 * s / 3, -s / 6, -s / 6};
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR((*adv)[i], want[i], 1e-7) << i;
}

TEST(AdvantagesTest, BadInputIsAnError) {
  EXPECT_FALSE(GroupAdvantages(std::vector<double>{1, 2, 3}, 2, Opts(rlvr::v1::GRPO)).ok());
  EXPECT_FALSE(GroupAdvantages(std::vector<double>{1, NAN}, 2, Opts(rlvr::v1::GRPO)).ok());
  EXPECT_FALSE(ComputeAdvantages(RewardBatch{{1, 2}, {0}, {}, {}}, Opts(rlvr::v1::GRPO)).ok());
  EXPECT_FALSE(ComputeAdvantages(RewardBatch{{1, 2}, {0, 0}, {}, {}},
                                 Opts(rlvr::v1::ADVANTAGE_ESTIMATOR_UNSPECIFIED))
                   .ok());
}

TEST(AdvantagesTest, OptionsFromConfigFillDefaults) {
  rlvr::v1::AlgorithmConfig c;
  AdvantageOptions o = AdvantageOptionsFromConfig(c);
  EXPECT_EQ(o.estimator, rlvr::v1::GRPO);
  EXPECT_EQ(o.eps, kDefaultAdvantageEps);
  c.set_advantage(rlvr::v1::RLOO);
  c.set_advantage_eps(1e-4);
  o = AdvantageOptionsFromConfig(c);
  EXPECT_EQ(o.estimator, rlvr::v1::RLOO);
  EXPECT_EQ(o.eps, 1e-4);
}

TEST(AdvantagesTest, UnjudgedResponsesStayOutOfTheBaseline) {
  // Group 0: a verifier error on the second response; the other three are judged alone.
  // Group 1: errors leave one judged response, so the group has no baseline.
  // Group 2: untouched.
  RewardBatch batch;
  batch.rewards = {1, 0, 0, 1, 1, 0, 0, 0, 1, 0};
  batch.group_of = {0, 0, 0, 0, 1, 1, 1, 2, 2, 2};
  batch.unjudged = {0, 1, 0, 0, 0, 1, 1, 0, 0, 0};
  for (auto estimator : {rlvr::v1::GRPO, rlvr::v1::DR_GRPO, rlvr::v1::RLOO}) {
    auto adv = ComputeAdvantages(batch, Opts(estimator));
    ASSERT_TRUE(adv.ok()) << adv.status();
    // The same as the judged responses alone, in groups of their own.
    RewardBatch judged;
    judged.rewards = {1, 0, 1, 0, 1, 0};
    judged.group_of = {0, 0, 0, 2, 2, 2};
    auto want = ComputeAdvantages(judged, Opts(estimator));
    ASSERT_TRUE(want.ok()) << want.status();
    const std::vector<size_t> where = {0, 2, 3, 7, 8, 9};
    for (size_t k = 0; k < where.size(); ++k) {
      EXPECT_NEAR((*adv)[where[k]], (*want)[k], kTol) << estimator << " " << where[k];
    }
    for (size_t i : {1, 4, 5, 6}) EXPECT_EQ((*adv)[i], 0.0) << estimator << " " << i;
    // Counted as reward 0 instead, the error would have moved the judged responses' advantages.
    RewardBatch as_zero = batch;
    as_zero.unjudged.clear();
    auto wrong = ComputeAdvantages(as_zero, Opts(estimator));
    ASSERT_TRUE(wrong.ok());
    EXPECT_GT(std::abs((*wrong)[0] - (*adv)[0]), 1e-3) << estimator;
  }
}

TEST(AdvantagesTest, UnjudgedFlagsMustMatchTheRewards) {
  RewardBatch batch;
  batch.rewards = {1, 0};
  batch.group_of = {0, 0};
  batch.unjudged = {0};
  EXPECT_FALSE(ComputeAdvantages(batch, Opts(rlvr::v1::GRPO)).ok());
}

}  // namespace
}  // namespace rlvr
