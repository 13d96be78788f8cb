#include "core/rng.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "core/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rlvr {
namespace {

// Expected values come from an independent Python implementation
// (tests/core/make_rng_fixture.py).
class RngFixtureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> text =
        ReadFile(std::string(RLVR_SOURCE_DIR) + "/tests/core/fixtures/rng/expected.json");
    ASSERT_TRUE(text.ok()) << text.status();
    absl::StatusOr<JsonValue> json = ParseJson(*text);
    ASSERT_TRUE(json.ok()) << json.status();
    expected_ = std::move(*json);
  }

  static uint64_t Hex(const JsonValue& v) {
    uint64_t out = 0;
    EXPECT_TRUE(absl::SimpleHexAtoi(v.string(), &out)) << v.string();
    return out;
  }
  static uint64_t Dec(const JsonValue& v) {
    uint64_t out = 0;
    EXPECT_TRUE(absl::SimpleAtoi(v.string(), &out)) << v.string();
    return out;
  }

  JsonValue expected_;
};

TEST_F(RngFixtureTest, SeedingMatchesSplitMix64) {
  for (const auto& [seed_text, words] : expected_.Find("state_after_seeding")->object()) {
    uint64_t seed;
    ASSERT_TRUE(absl::SimpleAtoi(seed_text, &seed));
    const Rng rng(seed);
    for (size_t i = 0; i < 4; ++i) EXPECT_EQ(rng.state()[i], Hex(words.array()[i])) << seed;
  }
  // Published first output of SplitMix64 seeded with 0.
  EXPECT_EQ(Rng(0).state()[0], 0xE220A8397B1DCDAFu);
}

TEST_F(RngFixtureTest, U64StreamsMatchReference) {
  for (const auto& [seed_text, values] : expected_.Find("u64")->object()) {
    uint64_t seed;
    ASSERT_TRUE(absl::SimpleAtoi(seed_text, &seed));
    Rng rng(seed);
    for (const JsonValue& v : values.array()) EXPECT_EQ(rng.NextU64(), Hex(v)) << seed;
  }
}

TEST_F(RngFixtureTest, EveryMethodMatchesReferenceInSequence) {
  const JsonValue& m = *expected_.Find("mixed_seed_20240601");
  Rng rng(20240601);
  for (const JsonValue& v : m.Find("u32")->array()) {
    EXPECT_EQ(rng.NextU32(), static_cast<uint32_t>(v.integer()));
  }
  for (const JsonValue& v : m.Find("double")->array()) EXPECT_EQ(rng.NextDouble(), v.number());
  const JsonValue::Array& bounds = m.Find("uniform_int_bounds")->array();
  const JsonValue::Array& ints = m.Find("uniform_int")->array();
  ASSERT_EQ(bounds.size(), ints.size());
  for (size_t i = 0; i < bounds.size(); ++i) {
    EXPECT_EQ(rng.UniformInt(Dec(bounds[i])), Dec(ints[i])) << "bound " << bounds[i].string();
  }
  for (const JsonValue& v : m.Find("normal")->array()) {
    // Box–Muller goes through libm; allow for a last-bit difference between C libraries.
    EXPECT_NEAR(rng.Normal(), v.number(), 1e-12 * std::max(1.0, std::fabs(v.number())));
  }
  std::vector<int> items(20);
  for (int i = 0; i < 20; ++i) items[i] = i;
  rng.Shuffle(absl::MakeSpan(items));
  std::vector<int> expected_items;
  for (const JsonValue& v : m.Find("shuffle_0_to_19")->array()) {
    expected_items.push_back(static_cast<int>(v.integer()));
  }
  EXPECT_EQ(items, expected_items);
  for (const auto& [stream_text, values] : m.Find("fork_first_u64")->object()) {
    uint64_t stream;
    ASSERT_TRUE(absl::SimpleAtoi(stream_text, &stream));
    Rng child = rng.Fork(stream);
    for (const JsonValue& v : values.array()) EXPECT_EQ(child.NextU64(), Hex(v)) << stream;
  }
  EXPECT_EQ(rng.NextU64(), Hex(*m.Find("u64_after_fork")));  // Fork did not advance rng
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(rng.state()[i], Hex(m.Find("final_state")->array()[i]));
}

// Reference outputs of xoshiro256** from state {1, 2, 3, 4} (as in the reference C code's
// published test vectors).
TEST(RngTest, MatchesPublishedXoshiroVectorFromState1234) {
  absl::StatusOr<Rng> rng = Rng::FromState({1, 2, 3, 4});
  ASSERT_TRUE(rng.ok());
  const uint64_t expected[] = {11520u,
                               0u,
                               1509978240u,
                               1215971899390074240u,
                               1216172134540287360u,
                               607988272756665600u,
                               16172922978634559625u,
                               8476171486693032832u,
                               10595114339597558777u,
                               2904607092377533576u};
  for (uint64_t e : expected) EXPECT_EQ(rng->NextU64(), e);
}

TEST(RngTest, SerializedStateRestoresTheStream) {
  Rng rng(7);
  for (int i = 0; i < 5; ++i) rng.NextU64();
  const std::string saved = rng.SerializeState();
  EXPECT_THAT(saved, ::testing::StartsWith("xoshiro256**:"));
  absl::StatusOr<Rng> restored = Rng::FromSerializedState(saved);
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_TRUE(*restored == rng);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(restored->NextU64(), rng.NextU64());
  absl::StatusOr<Rng> from_state = Rng::FromState(rng.state());
  ASSERT_TRUE(from_state.ok());
  EXPECT_EQ(from_state->NextU64(), rng.NextU64());
}

TEST(RngTest, BadSerializedStatesAreRejected) {
  for (const char* bad :
       {"",
        "xoshiro256**:", "pcg:0000000000000001,0000000000000002,0000000000000003,0000000000000004",
        "xoshiro256**:1,2,3,4",
        "xoshiro256**:000000000000000g,0000000000000002,0000000000000003,0000000000000004",
        "xoshiro256**:0000000000000001,0000000000000002,0000000000000003",
        "xoshiro256**:0000000000000000,0000000000000000,0000000000000000,0000000000000000"}) {
    EXPECT_FALSE(Rng::FromSerializedState(bad).ok()) << bad;
  }
  EXPECT_FALSE(Rng::FromState({0, 0, 0, 0}).ok());
}

TEST(RngTest, UniformIntStaysInRangeAndCoversIt) {
  Rng rng(3);
  std::vector<int> counts(7, 0);
  for (int i = 0; i < 7000; ++i) {
    const uint64_t v = rng.UniformInt(7);
    ASSERT_LT(v, 7u);
    ++counts[v];
  }
  for (int c : counts) EXPECT_GT(c, 800);  // expected 1000 each; 800 is > 6 sigma away
  for (int i = 0; i < 100; ++i) EXPECT_EQ(rng.UniformInt(1), 0u);
}

TEST(RngTest, DoublesAreInHalfOpenUnitInterval) {
  Rng rng(5);
  double sum = 0;
  for (int i = 0; i < 10000; ++i) {
    const double d = rng.NextDouble();
    ASSERT_GE(d, 0.0);
    ASSERT_LT(d, 1.0);
    sum += d;
  }
  EXPECT_NEAR(sum / 10000, 0.5, 0.02);  // standard error 0.003
}

TEST(RngTest, NormalHasUnitVarianceAndFiniteValues) {
  Rng rng(11);
  double sum = 0, sum_sq = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    const double z = rng.Normal(2.0, 3.0);
    ASSERT_TRUE(std::isfinite(z));
    sum += z;
    sum_sq += z * z;
  }
  const double mean = sum / n;
  EXPECT_NEAR(mean, 2.0, 0.15);                     // standard error 0.021
  EXPECT_NEAR(sum_sq / n - mean * mean, 9.0, 0.6);  // standard error ~0.09
}

TEST(RngTest, ForksAreDistinctAndReproducible) {
  const Rng parent(99);
  Rng a = parent.Fork(1), b = parent.Fork(2), a_again = parent.Fork(1);
  const uint64_t a0 = a.NextU64();
  EXPECT_NE(a0, b.NextU64());
  EXPECT_EQ(a0, a_again.NextU64());
  Rng copy = parent;
  EXPECT_NE(parent.Fork(1).NextU64(), copy.NextU64());  // a fork is not the parent's stream
}

TEST(RngTest, ShuffleIsAPermutation) {
  Rng rng(1);
  std::vector<int> v(100);
  for (int i = 0; i < 100; ++i) v[i] = i;
  rng.Shuffle(absl::MakeSpan(v));
  std::vector<int> sorted = v;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < 100; ++i) EXPECT_EQ(sorted[i], i);
  std::vector<int> empty;
  rng.Shuffle(absl::MakeSpan(empty));  // no-op
}

}  // namespace
}  // namespace rlvr
