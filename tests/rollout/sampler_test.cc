#include "rollout/sampler.h"

#include <cmath>
#include <cstdint>
#include <set>
#include <vector>

#include "gtest/gtest.h"

namespace rlvr {
namespace {

std::vector<float> RandomLogits(int vocab, uint64_t seed, float scale = 3.0f) {
  std::vector<float> z(vocab);
  for (int i = 0; i < vocab; ++i) {
    z[i] = static_cast<float>((CounterUniform(seed, 99, i) * 2.0 - 1.0) * scale);
  }
  return z;
}

// log-softmax in long double, written independently of the code under test.
double PlainLogSoftmax(const std::vector<float>& z, int token) {
  long double mx = z[0];
  for (float v : z) mx = std::max<long double>(mx, v);
  long double sum = 0;
  for (float v : z) sum += std::exp(static_cast<long double>(v) - mx);
  return static_cast<double>(z[token] - mx - std::log(sum));
}

TEST(CounterUniformTest, IsAPureFunctionInUnitInterval) {
  for (uint64_t step = 0; step < 1000; ++step) {
    const double u = CounterUniform(7, 3, step);
    EXPECT_GE(u, 0.0);
    EXPECT_LT(u, 1.0);
    EXPECT_EQ(u, CounterUniform(7, 3, step));
  }
  EXPECT_NE(CounterUniform(7, 3, 0), CounterUniform(8, 3, 0));
  EXPECT_NE(CounterUniform(7, 3, 0), CounterUniform(7, 4, 0));
  EXPECT_NE(CounterUniform(7, 3, 0), CounterUniform(7, 3, 1));
}

TEST(CounterUniformTest, MeanAndBucketsAreUniform) {
  constexpr int kDraws = 100000;
  int buckets[10] = {};
  double sum = 0;
  for (int i = 0; i < kDraws; ++i) {
    const double u = CounterUniform(1, 2, i);
    sum += u;
    ++buckets[static_cast<int>(u * 10)];
  }
  EXPECT_NEAR(sum / kDraws, 0.5, 0.01);
  for (int b : buckets) EXPECT_NEAR(b, kDraws / 10, kDraws / 100);
}

TEST(SampleStreamTest, DistinctForDistinctPromptAndSample) {
  std::set<uint64_t> seen;
  for (int p = 0; p < 20; ++p) {
    for (int s = 0; s < 20; ++s) seen.insert(SampleStream(p, s));
  }
  EXPECT_EQ(seen.size(), 400u);
}

TEST(TokenLogprobTest, EqualsLogSoftmaxOfRawLogits) {
  const std::vector<float> z = RandomLogits(50, 4, 8.0f);
  for (int t = 0; t < 50; ++t) {
    EXPECT_NEAR(TokenLogprob(z, t), PlainLogSoftmax(z, t), 1e-5) << t;
  }
}

TEST(SamplerTest, GreedyPicksArgmaxWithLowestIdOnTies) {
  std::vector<float> z = {0.5f, 2.0f, -1.0f, 2.0f, 1.0f};
  SamplingParams p;
  p.temperature = 0.0;
  Sampler sampler;
  for (double u : {0.0, 0.3, 0.99}) {
    const SampledToken s = sampler.Sample(z, p, u);
    EXPECT_EQ(s.token, 1);
    EXPECT_NEAR(s.logprob, PlainLogSoftmax(z, 1), 1e-6);
  }
}

TEST(SamplerTest, LogprobIgnoresTemperatureAndFilters) {
  const std::vector<float> z = RandomLogits(40, 5);
  SamplingParams p;
  p.temperature = 0.7;
  p.top_k = 5;
  p.top_p = 0.8;
  Sampler sampler;
  for (int i = 0; i < 50; ++i) {
    const SampledToken s = sampler.Sample(z, p, CounterUniform(1, 1, i));
    EXPECT_NEAR(s.logprob, PlainLogSoftmax(z, s.token), 1e-5);
  }
}

TEST(SamplerTest, MatchesReferenceOnRandomInputs) {
  Sampler sampler;
  int checked = 0;
  for (uint64_t trial = 0; trial < 300; ++trial) {
    const int vocab = 1 + static_cast<int>(CounterUniform(trial, 0, 0) * 200);
    std::vector<float> z = RandomLogits(vocab, trial, 1.0f + trial % 7);
    if (trial % 5 == 0 && vocab > 3) z[1] = z[2];  // ties
    SamplingParams p;
    p.temperature = std::vector<double>{0.0, 0.3, 1.0, 1.7}[trial % 4];
    p.top_k = std::vector<int>{0, 1, 3, 50, 1000}[trial % 5];
    p.top_p = std::vector<double>{1.0, 0.9, 0.5, 0.05}[(trial / 3) % 4];
    p.min_p = std::vector<double>{0.0, 0.05, 0.5}[(trial / 7) % 3];
    for (int draw = 0; draw < 5; ++draw) {
      const double u = CounterUniform(trial, 1, draw);
      const SampledToken a = sampler.Sample(z, p, u);
      const SampledToken b = ReferenceSample(z, p, u);
      ASSERT_EQ(a.token, b.token) << "trial " << trial << " draw " << draw;
      ASSERT_EQ(a.logprob, b.logprob);
      ++checked;
    }
  }
  EXPECT_EQ(checked, 1500);
}

TEST(SamplerTest, FrequenciesFollowTemperedSoftmax) {
  const std::vector<float> z = {1.0f, 0.0f, -1.0f, 0.5f, 2.0f, -3.0f};
  SamplingParams p;
  p.temperature = 0.8;
  double norm = 0;
  std::vector<double> expected(z.size());
  for (size_t i = 0; i < z.size(); ++i) norm += expected[i] = std::exp(z[i] / p.temperature);
  constexpr int kDraws = 200000;
  std::vector<int> counts(z.size(), 0);
  Sampler sampler;
  for (int i = 0; i < kDraws; ++i) ++counts[sampler.Sample(z, p, CounterUniform(3, 0, i)).token];
  for (size_t i = 0; i < z.size(); ++i) {
    const double q = expected[i] / norm;
    // Five binomial standard deviations.
    EXPECT_NEAR(counts[i] / static_cast<double>(kDraws), q, 5 * std::sqrt(q * (1 - q) / kDraws))
        << i;
  }
}

TEST(SamplerTest, TopKKeepsOnlyTheKMostLikely) {
  const std::vector<float> z = {0.1f, 3.0f, 2.0f, -1.0f, 2.5f, 0.0f};
  SamplingParams p;
  p.temperature = 1.0;
  p.top_k = 3;
  std::set<int32_t> seen;
  Sampler sampler;
  for (int i = 0; i < 2000; ++i) seen.insert(sampler.Sample(z, p, CounterUniform(4, 0, i)).token);
  EXPECT_EQ(seen, (std::set<int32_t>{1, 2, 4}));
}

TEST(SamplerTest, TopPKeepsTheSmallestPrefixReachingP) {
  // Probabilities 0.5, 0.3, 0.15, 0.05 (ids 2, 0, 3, 1).
  const std::vector<float> z = {std::log(0.3f), std::log(0.05f), std::log(0.5f), std::log(0.15f)};
  SamplingParams p;
  p.temperature = 1.0;
  p.top_p = 0.75;  // 0.5 < 0.75 <= 0.8: ids 2 and 0
  std::set<int32_t> seen;
  Sampler sampler;
  for (int i = 0; i < 2000; ++i) seen.insert(sampler.Sample(z, p, CounterUniform(5, 0, i)).token);
  EXPECT_EQ(seen, (std::set<int32_t>{0, 2}));
}

TEST(SamplerTest, MinPDropsTokensBelowFractionOfTheMostLikely) {
  const std::vector<float> z = {std::log(0.3f), std::log(0.05f), std::log(0.5f), std::log(0.15f)};
  SamplingParams p;
  p.temperature = 1.0;
  p.min_p = 0.25;  // keeps p >= 0.125: ids 0, 2, 3
  std::set<int32_t> seen;
  Sampler sampler;
  for (int i = 0; i < 2000; ++i) seen.insert(sampler.Sample(z, p, CounterUniform(6, 0, i)).token);
  EXPECT_EQ(seen, (std::set<int32_t>{0, 2, 3}));
}

TEST(SamplerTest, SingleTokenVocabulary) {
  const std::vector<float> z = {0.3f};
  SamplingParams p;
  p.temperature = 1.0;
  p.top_p = 0.5;
  Sampler sampler;
  const SampledToken s = sampler.Sample(z, p, 0.999);
  EXPECT_EQ(s.token, 0);
  EXPECT_EQ(s.logprob, 0.0f);
}

}  // namespace
}  // namespace rlvr
