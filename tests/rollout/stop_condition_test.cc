#include "rollout/stop_condition.h"

#include "gtest/gtest.h"

namespace rlvr {
namespace {

TEST(IsStopTokenTest, MatchesListedIdsOnly) {
  const std::vector<int32_t> stops = {2, 7};
  EXPECT_TRUE(IsStopToken(7, stops));
  EXPECT_FALSE(IsStopToken(3, stops));
  EXPECT_FALSE(IsStopToken(3, {}));
}

TEST(EndsInNewStopStringTest, FindsOccurrenceFormedByNewBytes) {
  // "</ans" was checked; "wer>" completes the stop string across the boundary.
  EXPECT_TRUE(EndsInNewStopString("x</answer>", 6, {"</answer>"}));
  EXPECT_TRUE(EndsInNewStopString("abc", 2, {"c"}));
  EXPECT_FALSE(EndsInNewStopString("abc", 2, {"zz", "ab"}));
}

TEST(EndsInNewStopStringTest, IgnoresOccurrencesAlreadyChecked) {
  // "ab" was already there when 3 bytes had been checked.
  EXPECT_FALSE(EndsInNewStopString("abxy", 3, {"ab"}));
  EXPECT_TRUE(EndsInNewStopString("abxy", 3, {"ab", "xy"}));
}

TEST(EndsInNewStopStringTest, EmptyAndOverlongStopStringsNeverMatch) {
  EXPECT_FALSE(EndsInNewStopString("abc", 0, {""}));
  EXPECT_FALSE(EndsInNewStopString("abc", 0, {"abcd"}));
}

}  // namespace
}  // namespace rlvr
