#include "trainer/policy_loss.h"

#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace rlvr {
namespace {

// Owns the arrays a PolicyLossBatch points into.
struct Batch {
  std::vector<int64_t> offsets = {0};
  std::vector<float> logp, old_logp, rollout_logp, ref_logp, entropy;
  std::vector<double> advantages;
  std::vector<uint8_t> mask;

  // Adds a response whose tokens all have the given values.
  void Add(int tokens, double advantage, float logp_v, float old_v, float rollout_v = 0,
           float ref_v = 0, float entropy_v = 0) {
    for (int t = 0; t < tokens; ++t) {
      logp.push_back(logp_v);
      old_logp.push_back(old_v);
      rollout_logp.push_back(rollout_v);
      ref_logp.push_back(ref_v);
      entropy.push_back(entropy_v);
    }
    offsets.push_back(offsets.back() + tokens);
    advantages.push_back(advantage);
  }

  PolicyLossBatch View(bool with_rollout = false, bool with_ref = false) const {
    PolicyLossBatch b;
    b.offsets = offsets;
    b.logp = logp;
    b.old_logp = old_logp;
    if (with_rollout) b.rollout_logp = rollout_logp;
    if (with_ref) b.ref_logp = ref_logp;
    b.entropy = entropy;
    b.advantages = advantages;
    b.sequence_mask = mask;
    return b;
  }
};

PolicyLossOptions Plain() {
  PolicyLossOptions o;
  o.clip_eps_low = 0.2;
  o.clip_eps_high = 0.2;
  return o;
}

TEST(PolicyLossTest, RatioOneGivesMinusAdvantageAndItsGradient) {
  Batch b;
  b.Add(1, 1.0, -1.0f, -1.0f);
  auto r = ComputePolicyLoss(b.View(), Plain());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NEAR(r->loss, -1.0, 1e-12);
  EXPECT_NEAR(r->grad_logp[0], -1.0, 1e-7);
  EXPECT_EQ(r->metrics.clip_fraction, 0.0);
  EXPECT_NEAR(r->metrics.ratio_mean, 1.0, 1e-12);
}

TEST(PolicyLossTest, HighRatioWithPositiveAdvantageIsClipped) {
  Batch b;
  b.Add(1, 1.0, std::log(1.5f), 0.0f);
  PolicyLossOptions o = Plain();
  o.clip_eps_high = 0.28;  // separate high clip
  auto r = ComputePolicyLoss(b.View(), o);
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r->loss, -1.28, 1e-6);
  EXPECT_EQ(r->grad_logp[0], 0.0f);
  EXPECT_EQ(r->metrics.clip_fraction, 1.0);
  EXPECT_EQ(r->metrics.clip_high_fraction, 1.0);
  EXPECT_EQ(r->metrics.clip_low_fraction, 0.0);
}

TEST(PolicyLossTest, LowRatioWithPositiveAdvantageIsNotClipped) {
  Batch b;
  b.Add(1, 1.0, std::log(0.5f), 0.0f);
  auto r = ComputePolicyLoss(b.View(), Plain());
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r->loss, -0.5, 1e-6);
  EXPECT_NEAR(r->grad_logp[0], -0.5, 1e-6);
  EXPECT_EQ(r->metrics.clip_fraction, 0.0);
}

TEST(PolicyLossTest, LowRatioWithNegativeAdvantageUsesLowClip) {
  Batch b;
  b.Add(1, -1.0, std::log(0.5f), 0.0f);
  PolicyLossOptions o = Plain();
  o.clip_eps_low = 0.1;
  auto r = ComputePolicyLoss(b.View(), o);
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r->loss, 0.9, 1e-6);
  EXPECT_EQ(r->grad_logp[0], 0.0f);
  EXPECT_EQ(r->metrics.clip_low_fraction, 1.0);
}

TEST(PolicyLossTest, DualClipCapsNegativeAdvantageLoss) {
  Batch b;
  b.Add(1, -1.0, std::log(4.0f), 0.0f);
  auto plain = ComputePolicyLoss(b.View(), Plain());
  ASSERT_TRUE(plain.ok());
  EXPECT_NEAR(plain->loss, 4.0, 1e-5);
  EXPECT_NEAR(plain->grad_logp[0], 4.0, 1e-5);
  PolicyLossOptions o = Plain();
  o.dual_clip = 3;
  auto dual = ComputePolicyLoss(b.View(), o);
  ASSERT_TRUE(dual.ok());
  EXPECT_NEAR(dual->loss, 3.0, 1e-12);
  EXPECT_EQ(dual->grad_logp[0], 0.0f);
  EXPECT_EQ(dual->metrics.dual_clip_fraction, 1.0);
}

// Two responses: 1 token with A=1 (per-token loss -1), 3 tokens with A=-1 (+1 each).
Batch TwoResponses() {
  Batch b;
  b.Add(1, 1.0, -0.5f, -0.5f);
  b.Add(3, -1.0, -0.5f, -0.5f);
  return b;
}

TEST(PolicyLossTest, TokenMeanAggregation) {
  Batch b = TwoResponses();
  PolicyLossOptions o = Plain();
  o.aggregation = rlvr::v1::TOKEN_MEAN;
  auto r = ComputePolicyLoss(b.View(), o);
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r->loss, 0.5, 1e-12);
  EXPECT_NEAR(r->grad_logp[0], -0.25, 1e-7);
  EXPECT_NEAR(r->grad_logp[3], 0.25, 1e-7);
}

TEST(PolicyLossTest, SeqMeanTokenMeanAggregation) {
  Batch b = TwoResponses();
  PolicyLossOptions o = Plain();
  o.aggregation = rlvr::v1::SEQ_MEAN_TOKEN_MEAN;
  auto r = ComputePolicyLoss(b.View(), o);
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r->loss, 0.0, 1e-12);
  EXPECT_NEAR(r->grad_logp[0], -0.5, 1e-7);
  EXPECT_NEAR(r->grad_logp[1], 1.0 / 6.0, 1e-7);
}

TEST(PolicyLossTest, SeqMeanTokenSumNormAggregation) {
  Batch b = TwoResponses();
  PolicyLossOptions o = Plain();
  o.aggregation = rlvr::v1::SEQ_MEAN_TOKEN_SUM_NORM;
  o.seq_sum_norm = 4;
  auto r = ComputePolicyLoss(b.View(), o);
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r->loss, (-1.0 / 4 + 3.0 / 4) / 2, 1e-12);
  EXPECT_NEAR(r->grad_logp[0], -1.0 / 8, 1e-7);
  EXPECT_NEAR(r->grad_logp[2], 1.0 / 8, 1e-7);
  o.seq_sum_norm = 0;
  EXPECT_FALSE(ComputePolicyLoss(b.View(), o).ok());
}

TEST(PolicyLossTest, MaskedResponsesAreLeftOut) {
  Batch b = TwoResponses();
  b.mask = {1, 0};
  auto r = ComputePolicyLoss(b.View(), Plain());
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r->loss, -1.0, 1e-12);
  EXPECT_EQ(r->metrics.active_tokens, 1);
  EXPECT_EQ(r->metrics.active_sequences, 1);
  EXPECT_EQ(r->grad_logp[2], 0.0f);
  b.mask = {0, 0};
  auto none = ComputePolicyLoss(b.View(), Plain());
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->loss, 0.0);
}

struct KlCase {
  rlvr::v1::KlEstimator estimator;
  double kl;   // at logp - ref = 1
  double dkl;  // derivative there
};

TEST(PolicyLossTest, KlEstimatorsAndTheirGradients) {
  const double e = std::exp(-1.0);
  for (const KlCase& c : {KlCase{rlvr::v1::K1, 1.0, 1.0}, KlCase{rlvr::v1::K2, 0.5, 1.0},
                          KlCase{rlvr::v1::K3, e, 1 - e}}) {
    Batch b;
    b.Add(2, 0.0, -1.0f, -1.0f, 0.0f, -2.0f);
    PolicyLossOptions o = Plain();
    o.kl_beta = 0.1;
    o.kl_estimator = c.estimator;
    auto r = ComputePolicyLoss(b.View(false, true), o);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_NEAR(r->loss, 0.1 * c.kl, 1e-7) << c.estimator;
    EXPECT_NEAR(r->metrics.kl_mean, c.kl, 1e-7) << c.estimator;
    EXPECT_NEAR(r->grad_logp[0], 0.1 * c.dkl / 2, 1e-7) << c.estimator;
  }
}

TEST(PolicyLossTest, KlWithoutReferenceIsAnError) {
  Batch b;
  b.Add(1, 1.0, -1.0f, -1.0f);
  PolicyLossOptions o = Plain();
  o.kl_beta = 0.1;
  auto r = ComputePolicyLoss(b.View(), o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("reference"), std::string::npos);
}

TEST(PolicyLossTest, TruncatedImportanceWeightIsCapped) {
  Batch b;
  b.Add(1, 1.0, -1.0f, -1.0f, -2.0f);  // w = exp(1) = 2.718...
  PolicyLossOptions o = Plain();
  o.importance_weight_cap = 2;
  auto capped = ComputePolicyLoss(b.View(true), o);
  ASSERT_TRUE(capped.ok());
  EXPECT_NEAR(capped->loss, -2.0, 1e-12);
  EXPECT_NEAR(capped->grad_logp[0], -2.0, 1e-6);
  EXPECT_EQ(capped->metrics.importance_capped_fraction, 1.0);
  EXPECT_NEAR(capped->metrics.logprob_gap_mean, 1.0, 1e-7);
  o.importance_weight_cap = 5;
  auto uncapped = ComputePolicyLoss(b.View(true), o);
  ASSERT_TRUE(uncapped.ok());
  EXPECT_NEAR(uncapped->loss, -std::exp(1.0), 1e-6);
  EXPECT_NEAR(uncapped->metrics.importance_weight_mean, std::exp(1.0), 1e-6);
  o.importance_weight_cap = 0;  // off: weight 1, but the gap is still measured
  auto off = ComputePolicyLoss(b.View(true), o);
  ASSERT_TRUE(off.ok());
  EXPECT_NEAR(off->loss, -1.0, 1e-12);
  EXPECT_NEAR(off->metrics.logprob_gap_max, 1.0, 1e-7);
}

TEST(PolicyLossTest, EntropyMeanOverActiveTokens) {
  Batch b;
  b.Add(1, 1.0, -1.0f, -1.0f, 0, 0, 2.0f);
  b.Add(3, 1.0, -1.0f, -1.0f, 0, 0, 4.0f);
  auto r = ComputePolicyLoss(b.View(), Plain());
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r->metrics.entropy_mean, 3.5, 1e-7);
}

TEST(PolicyLossTest, BadInputIsAnError) {
  Batch b;
  b.Add(2, 1.0, -1.0f, -1.0f);
  PolicyLossBatch v = b.View();
  v.old_logp = v.old_logp.subspan(0, 1);
  EXPECT_FALSE(ComputePolicyLoss(v, Plain()).ok());
  v = b.View();
  v.offsets = {0, 3};
  EXPECT_FALSE(ComputePolicyLoss(v, Plain()).ok());
  b.logp[1] = NAN;
  EXPECT_FALSE(ComputePolicyLoss(b.View(), Plain()).ok());
  b.logp[1] = -1;
  PolicyLossOptions o = Plain();
  o.dual_clip = 0.5;
  EXPECT_FALSE(ComputePolicyLoss(b.View(), o).ok());
  o = Plain();
  o.aggregation = rlvr::v1::LOSS_AGGREGATION_UNSPECIFIED;
  EXPECT_FALSE(ComputePolicyLoss(b.View(), o).ok());
}

// Distance of the ratio from a clip boundary, in logp units; finite differences across a kink
// are meaningless, so such tokens are moved away.
bool NearKink(double logp, double old, double eps_low, double eps_high, double a, double dual) {
  const double d = logp - old;
  const double margin = 1e-2;
  if (std::fabs(d - std::log(1 - eps_low)) < margin) return true;
  if (std::fabs(d - std::log(1 + eps_high)) < margin) return true;
  if (dual > 0 && a < 0 && std::fabs(d - std::log(dual)) < margin) return true;
  return false;
}

TEST(PolicyLossTest, GradientMatchesFiniteDifferences) {
  std::mt19937_64 gen(1234);
  std::uniform_real_distribution<double> delta(-0.6, 0.6);
  std::uniform_real_distribution<double> lp(-3.0, -0.1);
  std::normal_distribution<double> adv(0.0, 1.0);
  for (auto agg :
       {rlvr::v1::TOKEN_MEAN, rlvr::v1::SEQ_MEAN_TOKEN_MEAN, rlvr::v1::SEQ_MEAN_TOKEN_SUM_NORM}) {
    for (auto kl : {rlvr::v1::K1, rlvr::v1::K2, rlvr::v1::K3}) {
      PolicyLossOptions o;
      o.clip_eps_low = 0.2;
      o.clip_eps_high = 0.28;
      o.dual_clip = 3;
      o.kl_beta = 0.05;
      o.kl_estimator = kl;
      o.aggregation = agg;
      o.seq_sum_norm = 16;
      o.importance_weight_cap = 1.5;
      Batch b;
      const int lengths[] = {3, 1, 5, 2};
      for (int len : lengths) {
        const double a = adv(gen);
        b.offsets.push_back(b.offsets.back() + len);
        b.advantages.push_back(a);
        for (int t = 0; t < len; ++t) {
          const double old = lp(gen);
          double cur = old + delta(gen);
          while (NearKink(cur, old, o.clip_eps_low, o.clip_eps_high, a, o.dual_clip)) {
            cur = old + delta(gen);
          }
          b.old_logp.push_back(static_cast<float>(old));
          b.logp.push_back(static_cast<float>(cur));
          b.rollout_logp.push_back(static_cast<float>(old + 0.5 * delta(gen)));
          b.ref_logp.push_back(static_cast<float>(old + delta(gen)));
        }
      }
      b.mask = {1, 1, 1, 0};
      auto base = ComputePolicyLoss(b.View(true, true), o);
      ASSERT_TRUE(base.ok()) << base.status();
      const float h = 1e-3f;
      for (size_t t = 0; t < b.logp.size(); ++t) {
        const float saved = b.logp[t];
        b.logp[t] = saved + h;
        auto plus = ComputePolicyLoss(b.View(true, true), o);
        b.logp[t] = saved - h;
        auto minus = ComputePolicyLoss(b.View(true, true), o);
        b.logp[t] = saved;
        ASSERT_TRUE(plus.ok() && minus.ok());
        const double fd = (plus->loss - minus->loss) /
                          (static_cast<double>(saved + h) - static_cast<double>(saved - h));
        EXPECT_NEAR(base->grad_logp[t], fd, 1e-4 + 1e-3 * std::fabs(fd))
            << "token " << t << " agg " << agg << " kl " << kl;
      }
    }
  }
}

}  // namespace
}  // namespace rlvr
