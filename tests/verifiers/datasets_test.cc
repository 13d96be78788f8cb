// The math verifier on whole public data sets: every gold answer matches itself in the forms
// the data set writes it (a worked solution ending in \boxed{...}, GSM8K's "#### N"), and
// simple wrong variants (off by one, wrong sign, swapped pair) do not.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "core/json.h"
#include "gtest/gtest.h"
#include "verifiers/math_verifier.h"

namespace rlvr {
namespace {

std::vector<JsonValue> Load(const std::string& name) {
  absl::StatusOr<std::vector<JsonValue>> rows =
      ReadJsonl(std::string(RLVR_SHARED_DATA_DIR) + "/" + name);
  EXPECT_TRUE(rows.ok()) << rows.status();
  return rows.ok() ? *std::move(rows) : std::vector<JsonValue>{};
}

bool Equal(const std::string& gold, const std::string& response) {
  absl::StatusOr<MathVerdict> v = MathEqual(gold, response, MathOptions());
  return v.ok() && *v == MathVerdict::kEqual;
}

// An integer written plainly ("42", "-7", "2,125"), or nullopt.
std::optional<int64_t> PlainInteger(const std::string& s) {
  std::string digits = absl::StrReplaceAll(s, {{",", ""}});
  int64_t v;
  if (!absl::SimpleAtoi(digits, &v)) return std::nullopt;
  return v;
}

// "(a, b)" with exactly one comma and no nesting: the swapped pair, or nullopt.
std::optional<std::string> SwappedPair(const std::string& s) {
  if (s.size() < 5 || s.front() != '(' || s.back() != ')') return std::nullopt;
  std::string inner = s.substr(1, s.size() - 2);
  if (inner.find_first_of("()[]{}") != std::string::npos) return std::nullopt;
  size_t comma = inner.find(',');
  if (comma == std::string::npos || inner.find(',', comma + 1) != std::string::npos) {
    return std::nullopt;
  }
  std::string a = inner.substr(0, comma);
  std::string b = inner.substr(comma + 1);
  auto trim = [](std::string x) {
    while (!x.empty() && x.front() == ' ') x.erase(x.begin());
    while (!x.empty() && x.back() == ' ') x.pop_back();
    return x;
  };
  a = trim(a);
  b = trim(b);
  if (a == b) return std::nullopt;
  return "(" + b + ", " + a + ")";
}

TEST(Math500Test, EveryGoldAnswerMatchesItsOwnSolutionAndBoxedForm) {
  std::vector<JsonValue> rows = Load("math500.jsonl");
  ASSERT_EQ(rows.size(), 500u);
  int failures = 0;
  for (const JsonValue& row : rows) {
    std::string answer = row.GetString("answer").value_or("");
    std::string solution = row.GetString("solution").value_or("");
    std::string id = row.GetString("unique_id").value_or("?");
    bool in_solution = Equal(answer, solution);
    bool boxed = Equal(answer, "So the answer is $\\boxed{" + answer + "}$.");
    bool tagged = Equal(answer, "<think>...</think><answer>" + answer + "</answer>");
    if (!(in_solution && boxed && tagged)) {
      ++failures;
      std::printf("%s: answer %s: solution %d boxed %d tagged %d\n", id.c_str(), answer.c_str(),
                  in_solution, boxed, tagged);
    }
  }
  EXPECT_EQ(failures, 0);
}

TEST(Math500Test, WrongVariantsOfGoldAnswersAreRejected) {
  std::vector<JsonValue> rows = Load("math500.jsonl");
  int checked = 0;
  int failures = 0;
  for (const JsonValue& row : rows) {
    std::string answer = row.GetString("answer").value_or("");
    std::vector<std::string> wrong;
    if (std::optional<int64_t> n = PlainInteger(answer)) {
      wrong.push_back(absl::StrCat(*n + 1));
      wrong.push_back(absl::StrCat(*n - 1));
      if (*n != 0) wrong.push_back(absl::StrCat(-*n));
    } else if (answer.rfind("\\frac", 0) == 0 || answer.rfind("\\sqrt", 0) == 0) {
      wrong.push_back("-" + answer);
      wrong.push_back(answer + "+1");
    }
    if (std::optional<std::string> swapped = SwappedPair(answer)) wrong.push_back(*swapped);
    for (const std::string& w : wrong) {
      ++checked;
      if (Equal(answer, "The answer is $\\boxed{" + w + "}$.")) {
        ++failures;
        std::printf("accepted wrong variant %s for %s\n", w.c_str(), answer.c_str());
      }
    }
  }
  std::printf("wrong variants checked: %d\n", checked);
  EXPECT_GT(checked, 500);
  EXPECT_EQ(failures, 0);
}

TEST(Gsm8kTest, EveryFinalAnswerMatchesItsWorkedSolution) {
  std::vector<JsonValue> rows = Load("gsm8k_test.jsonl");
  ASSERT_EQ(rows.size(), 1319u);
  int failures = 0;
  for (const JsonValue& row : rows) {
    std::string final_answer = row.GetString("final").value_or("");
    std::string solution = row.GetString("answer").value_or("");
    bool worked = Equal(final_answer, solution);
    bool boxed = Equal(final_answer, "The answer is \\boxed{" + final_answer + "}.");
    bool plain = Equal(solution, "So she has " + final_answer + " in total.");
    if (!(worked && boxed && plain)) {
      ++failures;
      std::printf("gsm8k final %s: worked %d boxed %d plain %d\n", final_answer.c_str(), worked,
                  boxed, plain);
    }
  }
  EXPECT_EQ(failures, 0);
}

TEST(Gsm8kTest, OffByOneAndWrongSignAreRejected) {
  std::vector<JsonValue> rows = Load("gsm8k_test.jsonl");
  int checked = 0;
  int failures = 0;
  for (const JsonValue& row : rows) {
    std::string final_answer = row.GetString("final").value_or("");
    std::string solution = row.GetString("answer").value_or("");
    std::optional<int64_t> n = PlainInteger(final_answer);
    ASSERT_TRUE(n.has_value()) << final_answer;
    std::vector<int64_t> wrong = {*n + 1, *n - 1};
    if (*n != 0) wrong.push_back(-*n);
    for (int64_t w : wrong) {
      ++checked;
      if (Equal(solution, absl::StrCat("The answer is \\boxed{", w, "}."))) {
        ++failures;
        std::printf("accepted %lld for %s\n", static_cast<long long>(w), final_answer.c_str());
      }
    }
  }
  EXPECT_EQ(
      checked, 3 * 1319 - 0 /* zero answers have no sign variant */ - [&] {
        int zeros = 0;
        for (const JsonValue& row : rows) {
          if (PlainInteger(row.GetString("final").value_or("")) == 0) ++zeros;
        }
        return zeros;
      }());
  EXPECT_EQ(failures, 0);
}

}  // namespace
}  // namespace rlvr
