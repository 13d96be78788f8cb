#include "trainer/dynamic_sampling.h"

#include "gtest/gtest.h"

namespace rlvr {
namespace {

TEST(DynamicSamplingTest, VarianceDetection) {
  EXPECT_FALSE(HasRewardVariance(std::vector<double>{1, 1, 1}));
  EXPECT_TRUE(HasRewardVariance(std::vector<double>{1, 0, 1}));
  EXPECT_FALSE(HasRewardVariance(std::vector<double>{0.5, 0.5 + 1e-12}, 1e-9));
  EXPECT_FALSE(HasRewardVariance(std::vector<double>{}));
}

TEST(DynamicSamplingTest, DropsZeroVarianceGroupsAndRefillsOverRounds) {
  GroupFilter f(3, true);
  // Round 1: groups 0 and 2 have variance.
  EXPECT_EQ(f.Offer({{1, 0}, {1, 1}, {0, 1}, {0, 0}}), (std::vector<int>{0, 2}));
  EXPECT_FALSE(f.full());
  EXPECT_EQ(f.missing(), 1);
  // Round 2: one more is needed; the rest are surplus.
  EXPECT_EQ(f.Offer({{0, 0}, {1, 0}, {0, 1}}), (std::vector<int>{1}));
  EXPECT_TRUE(f.full());
  EXPECT_EQ(f.dropped_zero_variance(), 3);
  EXPECT_EQ(f.surplus(), 1);
  EXPECT_EQ(f.rounds(), 2);
}

TEST(DynamicSamplingTest, WithoutDroppingEveryGroupIsKept) {
  GroupFilter f(2, false);
  EXPECT_EQ(f.Offer({{1, 1}, {0, 0}}), (std::vector<int>{0, 1}));
  EXPECT_TRUE(f.full());
  EXPECT_EQ(f.dropped_zero_variance(), 0);
}

}  // namespace
}  // namespace rlvr
