// Responses are untrusted model output: every verifier must return promptly with a judgement or
// a status on pathological text. (No timing assertions: a hang or crash fails the test run.)
#include <string>

#include "gtest/gtest.h"
#include "tests/verifiers/test_util.h"
#include "verifiers/math_expr.h"
#include "verifiers/math_verifier.h"

namespace rlvr {
namespace {

using vtest::MakeBuiltin;
using vtest::RunVerifier;

std::string Repeat(const std::string& s, int n) {
  std::string out;
  out.reserve(s.size() * n);
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

bool Judged(const std::string& verifier, const std::string& response, const std::string& truth) {
  auto v = MakeBuiltin(verifier);
  absl::StatusOr<Judgement> j = RunVerifier(*v, response, truth, {{"numbers", "1,2"}});
  return j.ok();
}

TEST(HostileTextTest, DeepNestingIsRejectedNotRecursed) {
  std::string deep = "\\boxed{" + Repeat("\\frac{", 5000) + "1" + Repeat("}", 5000) + "}";
  absl::StatusOr<math::Expr> e = math::ParseAnswer(math::NormalizeLatex(Repeat("(", 5000) + "1"));
  EXPECT_FALSE(e.ok());
  EXPECT_TRUE(Judged("math", deep, "1"));
  EXPECT_TRUE(Judged("math", "\\boxed{" + Repeat("{", 200000) + "}", "1"));
  EXPECT_TRUE(Judged("math", "\\boxed{" + Repeat("-", 200000) + "1}", "1"));
}

TEST(HostileTextTest, ParserDepthLimitIsAResourceError) {
  absl::StatusOr<math::Expr> e = math::ParseAnswer(Repeat("(", 100) + "1" + Repeat(")", 100));
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(HostileTextTest, EnormousExponentsAndFactorialsAreNotComputedExactly) {
  auto v = MakeBuiltin("math");
  // Both sides overflow to infinity in floating point; they are not reported equal to a number.
  absl::StatusOr<Judgement> j = RunVerifier(*v, "\\boxed{10^{10^{10}}}", "5");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->reward, 0.0);
  j = RunVerifier(*v, "\\boxed{100000000!}", "5");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->reward, 0.0);
  j = RunVerifier(*v, "\\boxed{2^{100} - 2^{100} + 3}", "3");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->reward, 1.0);
  j = RunVerifier(*v, "\\boxed{(-1)^{999999999999}}", "-1");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->reward, 1.0);
}

TEST(HostileTextTest, MegabyteResponsesReturn) {
  std::string big = Repeat("The answer might be $x+1$ or \\boxed{3} or (B) ", 30000);  // 1.3 MB
  for (const char* verifier : {"math", "format", "exact_match", "multiple_choice", "countdown"}) {
    auto v = MakeBuiltin(verifier);
    std::string truth = std::string(verifier) == "multiple_choice" ? "B" : "3";
    absl::StatusOr<Judgement> j = RunVerifier(*v, big, truth, {{"numbers", "3"}});
    EXPECT_TRUE(j.ok()) << verifier << ": " << j.status();
  }
  // A megabyte-long answer is compared as text, never parsed.
  EXPECT_TRUE(Judged("math", "\\boxed{" + Repeat("1+", 500000) + "1}", "1"));
  EXPECT_TRUE(Judged("math", Repeat("1, ", 400000), "1"));
}

TEST(HostileTextTest, InvalidUtf8GetsAJudgement) {
  std::string bad = "\xff\xfe\\boxed{\xc3\x28 + 1}$\xe2\x88$ <answer>\x80\x80</answer>";
  for (const char* verifier : {"math", "format", "exact_match", "multiple_choice", "countdown"}) {
    auto v = MakeBuiltin(verifier);
    std::string truth = std::string(verifier) == "multiple_choice" ? "A" : "1";
    absl::StatusOr<Judgement> j = RunVerifier(*v, bad, truth, {{"numbers", "1"}});
    EXPECT_TRUE(j.ok()) << verifier << ": " << j.status();
    if (j.ok()) {
      EXPECT_EQ(j->reward, 0.0) << verifier;
    }
  }
}

TEST(HostileTextTest, ManyPlusMinusAndLargeSetsStayBounded) {
  EXPECT_TRUE(Judged("math", "\\boxed{" + Repeat("1 \\pm ", 40) + "1}", "1"));
  std::string set = "\\boxed{\\{";
  for (int i = 0; i < 3000; ++i) set += std::to_string(i) + ",";
  set += "0\\}}";
  EXPECT_TRUE(Judged("math", set, set));
}

TEST(HostileTextTest, WorkBeyondTheBudgetIsAResourceError) {
  // Two orderings of one large set of expressions: comparing them costs pairwise evaluations.
  std::string forward = "\\{";
  std::string backward = "1\\}";
  for (int i = 0; i < 200; ++i) {
    forward += "x^" + std::to_string(i) + ",";
    backward = "x^" + std::to_string(i) + "," + backward;
  }
  forward += "1\\}";
  backward = "\\{" + backward;
  MathOptions options;
  ASSERT_EQ(*MathEqual(forward, "\\boxed{" + backward + "}", options), MathVerdict::kEqual);
  options.max_work = 10000;
  absl::StatusOr<MathVerdict> v = MathEqual(forward, "\\boxed{" + backward + "}", options);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), absl::StatusCode::kResourceExhausted) << v.status();
}

TEST(HostileTextTest, ExpiredDeadlineIsReportedAsAnError) {
  std::string set = "\\{";
  std::string reversed = "1\\}";
  for (int i = 0; i < 200; ++i) {
    set += "x^" + std::to_string(i) + ",";
    reversed = "x^" + std::to_string(i) + "," + reversed;
  }
  set += "1\\}";
  reversed = "\\{" + reversed;
  ASSERT_EQ(*MathEqual(set, "\\boxed{" + reversed + "}", MathOptions()), MathVerdict::kEqual);
  absl::StatusOr<MathVerdict> v =
      MathEqual(set, "\\boxed{" + reversed + "}", MathOptions(), absl::InfinitePast());
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), absl::StatusCode::kDeadlineExceeded);
}

}  // namespace
}  // namespace rlvr
