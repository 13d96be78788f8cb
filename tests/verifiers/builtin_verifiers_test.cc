#include "verifiers/builtin_verifiers.h"

#include <string>

#include "gtest/gtest.h"
#include "tests/verifiers/test_util.h"
#include "verifiers/code_tests.h"
#include "verifiers/extract.h"

namespace rlvr {
namespace {

using vtest::MakeBuiltin;
using vtest::Reward;
using vtest::RunVerifier;

// ---- extraction ------------------------------------------------------------------------------

TEST(ExtractTest, LastBoxedHandlesNestedBraces) {
  EXPECT_EQ(LastBoxed("a \\boxed{1} b \\boxed{\\frac{1}{\\sqrt{2}}} c"), "\\frac{1}{\\sqrt{2}}");
}

TEST(ExtractTest, UnbalancedBoxedIsSkipped) {
  EXPECT_EQ(LastBoxed("\\boxed{7} then \\boxed{unclosed"), "7");
  EXPECT_FALSE(LastBoxed("\\boxed{").has_value());
}

TEST(ExtractTest, BoxedWithoutBracesTakesOneToken) {
  EXPECT_EQ(LastBoxed("so \\boxed 5 is it"), "5");
}

TEST(ExtractTest, AnswerBlockIsTheLastOne) {
  EXPECT_EQ(LastAnswerBlock("<answer>1</answer> <answer>2</answer>"), "2");
  EXPECT_FALSE(LastAnswerBlock("<answer>open").has_value());
}

TEST(ExtractTest, AutoPrefersAnswerBlockThenBoxedInsideIt) {
  EXPECT_EQ(ExtractAnswer("\\boxed{1} <answer>so \\boxed{2}</answer>", AnswerSource::kAuto), "2");
  EXPECT_EQ(ExtractAnswer("\\boxed{1} <answer>3</answer>", AnswerSource::kAuto), "3");
  EXPECT_EQ(ExtractAnswer("text \\boxed{4}", AnswerSource::kAuto), "4");
}

TEST(ExtractTest, UnknownSourceNameIsAnError) { EXPECT_FALSE(ParseAnswerSource("last_line").ok()); }

// ---- exact_match -------------------------------------------------------------------------------

TEST(ExactMatchTest, ComparesTrimmedCaseInsensitiveAnswer) {
  auto v = MakeBuiltin("exact_match");
  EXPECT_EQ(Reward(*v, "<answer>  Paris </answer>", "paris"), 1.0);
  EXPECT_EQ(Reward(*v, "<answer>Lyon</answer>", "paris"), 0.0);
  EXPECT_EQ(Reward(*v, "Paris", "paris"), 1.0);  // auto falls back to the whole text
}

TEST(ExactMatchTest, CaseSensitiveOption) {
  auto v = MakeBuiltin("exact_match", {{"case_sensitive", "true"}});
  EXPECT_EQ(Reward(*v, "\\boxed{Paris}", "paris"), 0.0);
  EXPECT_EQ(Reward(*v, "\\boxed{Paris}", "Paris"), 1.0);
}

TEST(ExactMatchTest, MissingAnswerWithStrictSourceScoresZero) {
  auto v = MakeBuiltin("exact_match", {{"source", "answer_tag"}});
  EXPECT_EQ(Reward(*v, "paris", "paris"), 0.0);
}

TEST(ExactMatchTest, UnknownOptionIsRejected) {
  VerifierRegistry r;
  ASSERT_TRUE(RegisterBuiltinVerifiers(&r, nullptr).ok());
  absl::StatusOr<std::shared_ptr<const Verifier>> v = r.Create("exact_match", {{"sorce", "x"}});
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("unknown option 'sorce'"), std::string::npos);
}

// ---- multiple_choice ---------------------------------------------------------------------------

TEST(MultipleChoiceTest, ReadsLetterFromAnswerBlockOrStatement) {
  auto v = MakeBuiltin("multiple_choice");
  EXPECT_EQ(Reward(*v, "<answer>(B)</answer>", "B"), 1.0);
  EXPECT_EQ(Reward(*v, "I think the answer is C.", "C"), 1.0);
  EXPECT_EQ(Reward(*v, "The answer is A.", "(b)"), 0.0);
  EXPECT_EQ(Reward(*v, "\\boxed{\\text{D}}", "D"), 1.0);
  EXPECT_EQ(Reward(*v, "A. Because B is not valid", "A"), 1.0);
}

TEST(MultipleChoiceTest, LoneLetterIsPickedOnlyWhenUnambiguous) {
  EXPECT_EQ(PickChoice("Because B is valid", "ABCD"), 'B');
  EXPECT_FALSE(PickChoice("Either B or C", "ABCD").has_value());
  EXPECT_EQ(PickChoice("The answer is U.", "U"), 'U');
  EXPECT_FALSE(PickChoice("BAD CAB", "ABCD").has_value());
}

TEST(MultipleChoiceTest, NoChoiceScoresZero) {
  auto v = MakeBuiltin("multiple_choice");
  EXPECT_EQ(Reward(*v, "No valid answer here", "A"), 0.0);
  // "a" as an article is not a choice.
  EXPECT_EQ(Reward(*v, "the answer is a number", "A"), 0.0);
}

TEST(MultipleChoiceTest, GroundTruthOutsideChoicesCannotBeJudged) {
  auto v = MakeBuiltin("multiple_choice");
  absl::StatusOr<Judgement> j = RunVerifier(*v, "A", "E");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), absl::StatusCode::kInvalidArgument);
}

// ---- format ------------------------------------------------------------------------------------

TEST(FormatTest, AcceptsR1ZeroLayout) {
  auto v = MakeBuiltin("format");
  EXPECT_EQ(Reward(*v, "<think>\nsteps\n</think>\n<answer>42</answer>", ""), 1.0);
  EXPECT_EQ(Reward(*v, "  <think>a</think><answer>b</answer>\n", ""), 1.0);
}

TEST(FormatTest, RejectsMissingRepeatedOrTrailingParts) {
  auto v = MakeBuiltin("format");
  EXPECT_EQ(Reward(*v, "<answer>42</answer>", ""), 0.0);
  EXPECT_EQ(Reward(*v, "<think>a</think>", ""), 0.0);
  EXPECT_EQ(Reward(*v, "<think>a</think><answer>b</answer> extra", ""), 0.0);
  EXPECT_EQ(Reward(*v, "<think>a</think><answer>b</answer><answer>c</answer>", ""), 0.0);
  EXPECT_EQ(Reward(*v, "<answer>b</answer><think>a</think>", ""), 0.0);
}

TEST(FormatTest, CustomPattern) {
  auto v = MakeBuiltin("format", {{"pattern", R"((?s)Answer: \d+)"}});
  EXPECT_EQ(Reward(*v, "Answer: 12", ""), 1.0);
  EXPECT_EQ(Reward(*v, "<think>a</think><answer>b</answer>", ""), 0.0);
}

TEST(FormatTest, InvalidPatternIsAConfigError) {
  VerifierRegistry r;
  ASSERT_TRUE(RegisterBuiltinVerifiers(&r, nullptr).ok());
  absl::StatusOr<std::shared_ptr<const Verifier>> v = r.Create("format", {{"pattern", "(("}});
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("not a valid RE2"), std::string::npos);
}

// ---- countdown ---------------------------------------------------------------------------------

TEST(CountdownTest, ExactRationalArithmeticWithEachNumberOnce) {
  auto v = MakeBuiltin("countdown");
  std::map<std::string, std::string> meta = {{"numbers", "[1, 5, 5, 5]"}};
  // 5 * (5 - 1/5) = 24 needs exact fractions.
  EXPECT_EQ(Reward(*v, "<answer>5 * (5 - 1 / 5)</answer>", "24", meta), 1.0);
  EXPECT_EQ(Reward(*v, "<answer>(5 - 1 / 5) * 5 = 24</answer>", "24", meta), 1.0);
}

TEST(CountdownTest, WrongValueOrNumbersScoreZero) {
  auto v = MakeBuiltin("countdown");
  std::map<std::string, std::string> meta = {{"numbers", "3,7,8"}};
  EXPECT_EQ(Reward(*v, "<answer>3 * 8</answer>", "24", meta), 0.0);          // 7 unused
  EXPECT_EQ(Reward(*v, "<answer>3 * 8 * 7 / 7</answer>", "24", meta), 0.0);  // 7 twice
  EXPECT_EQ(Reward(*v, "<answer>3 + 7 + 8</answer>", "24", meta), 0.0);      // 18
  EXPECT_EQ(Reward(*v, "<answer>8 * (7 - 3) - 8</answer>", "24", meta), 0.0);
  EXPECT_EQ(Reward(*v, "<answer>(7 - 3 - 8/0)</answer>", "24", meta), 0.0);  // division by 0
  EXPECT_EQ(Reward(*v, "<answer>import os</answer>", "24", meta), 0.0);
  EXPECT_EQ(Reward(*v, "no tags", "24", meta), 0.0);
}

TEST(CountdownTest, CorrectExpressionScoresOne) {
  auto v = MakeBuiltin("countdown");
  std::map<std::string, std::string> meta = {{"numbers", "3,7,8"}};
  EXPECT_EQ(Reward(*v, "<think>..</think><answer>(7 - 3) * 8 - 8 + 8</answer>", "32",
                   {{"numbers", "3,7,8,8,8"}}),
            1.0);
  EXPECT_EQ(Reward(*v, "<answer>8 * (7 - 3) - 8</answer>", "24", meta), 0.0);
  EXPECT_EQ(Reward(*v, "<answer>3 * (8 + 7) - 21</answer>", "24", meta), 0.0);
  EXPECT_EQ(Reward(*v, "<answer>(8 - 7 + 3) * 8</answer>", "32", {{"numbers", "3,7,8,8"}}), 1.0);
}

TEST(CountdownTest, JsonGroundTruth) {
  auto v = MakeBuiltin("countdown");
  EXPECT_EQ(Reward(*v, "<answer>2 * 3 * 4</answer>", R"({"target": 24, "numbers": [4, 3, 2]})"),
            1.0);
}

TEST(CountdownTest, FormatRewardForWrongButWellFormedAnswer) {
  auto v = MakeBuiltin("countdown", {{"format_reward", "0.1"}});
  EXPECT_DOUBLE_EQ(Reward(*v, "<answer>2 + 3 + 4</answer>", "24", {{"numbers", "2,3,4"}}), 0.1);
  EXPECT_DOUBLE_EQ(Reward(*v, "<answer>2 + 3 + x</answer>", "24", {{"numbers", "2,3,4"}}), 0.0);
}

TEST(CountdownTest, MissingNumbersCannotBeJudged) {
  auto v = MakeBuiltin("countdown");
  absl::StatusOr<Judgement> j = RunVerifier(*v, "<answer>1+2</answer>", "3");
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.status().message().find("numbers"), std::string::npos);
}

TEST(CountdownTest, DeepParenthesesAreRejectedNotRecursedInto) {
  auto v = MakeBuiltin("countdown");
  std::string deep = std::string(100000, '(') + "1" + std::string(100000, ')');
  EXPECT_EQ(Reward(*v, "<answer>" + deep + "</answer>", "1", {{"numbers", "1"}}), 0.0);
}

// ---- math --------------------------------------------------------------------------------------

TEST(MathVerifierTest, BoxedFractionMatchesDecimalGroundTruth) {
  auto v = MakeBuiltin("math");
  EXPECT_EQ(Reward(*v, "so $\\boxed{\\dfrac{3}{4}}$", "0.75"), 1.0);
  EXPECT_EQ(Reward(*v, "so $\\boxed{\\dfrac{3}{5}}$", "0.75"), 0.0);
}

TEST(MathVerifierTest, RadicalsPiAndExpressions) {
  auto v = MakeBuiltin("math");
  EXPECT_EQ(Reward(*v, "\\boxed{2\\sqrt{2}}", "\\sqrt{8}"), 1.0);
  EXPECT_EQ(Reward(*v, "\\boxed{\\frac{\\pi}{2}}", "\\frac12\\pi"), 1.0);
  EXPECT_EQ(Reward(*v, "\\boxed{(x+1)^2}", "x^2+2x+1"), 1.0);
  EXPECT_EQ(Reward(*v, "\\boxed{(x+1)^2}", "x^2+x+1"), 0.0);
}

TEST(MathVerifierTest, EquationsTuplesIntervalsSets) {
  auto v = MakeBuiltin("math");
  EXPECT_EQ(Reward(*v, "\\boxed{x = 3}", "3"), 1.0);
  EXPECT_EQ(Reward(*v, "\\boxed{(1, 2)}", "(1,2)"), 1.0);
  EXPECT_EQ(Reward(*v, "\\boxed{(2, 1)}", "(1,2)"), 0.0);
  EXPECT_EQ(Reward(*v, "\\boxed{[0, 1)}", "[0,1)"), 1.0);
  EXPECT_EQ(Reward(*v, "\\boxed{(0, 1]}", "[0,1)"), 0.0);
  EXPECT_EQ(Reward(*v, "\\boxed{\\{3, 1, 2\\}}", "\\{1,2,3\\}"), 1.0);
}

TEST(MathVerifierTest, UnitsDegreesPercentThousands) {
  auto v = MakeBuiltin("math");
  EXPECT_EQ(Reward(*v, "\\boxed{90^\\circ}", "90"), 1.0);
  EXPECT_EQ(Reward(*v, "\\boxed{25\\%}", "25"), 1.0);
  EXPECT_EQ(Reward(*v, "\\boxed{15\\text{ cm}}", "15"), 1.0);
  EXPECT_EQ(Reward(*v, "\\boxed{1{,}000{,}000}", "1000000"), 1.0);
}

TEST(MathVerifierTest, AnswerTagSource) {
  auto v = MakeBuiltin("math", {{"source", "answer_tag"}});
  EXPECT_EQ(Reward(*v, "\\boxed{5}", "5"), 0.0);
  EXPECT_EQ(Reward(*v, "<answer>5</answer>", "5"), 1.0);
}

TEST(MathVerifierTest, GroundTruthWithoutAnswerCannotBeJudged) {
  auto v = MakeBuiltin("math");
  absl::StatusOr<Judgement> j = RunVerifier(*v, "\\boxed{1}", "   ");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), absl::StatusCode::kInvalidArgument);
}

// ---- code_tests --------------------------------------------------------------------------------

TEST(CodeTestsTest, LastCodeBlockDropsInfoString) {
  EXPECT_EQ(LastCodeBlock("x\n```python\nprint(1)\n```\n```\nprint(2)\n```"), "print(2)\n");
  EXPECT_FALSE(LastCodeBlock("```python\nunclosed").has_value());
}

TEST(CodeTestsTest, WithoutASandboxItCannotJudge) {
  auto v = MakeBuiltin("code_tests");
  absl::StatusOr<Judgement> j = RunVerifier(*v, "```python\nprint(1)\n```", "assert True");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace rlvr
