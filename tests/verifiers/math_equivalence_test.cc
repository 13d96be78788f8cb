// Agreement of the math verifier with the answer-equivalence pairs of a public checker's test
// suite (../shared/data/math_equivalence.jsonl; see SOURCES.md there). Prints the agreement per
// category and every disagreement.
#include <cctype>
#include <cstdio>
#include <map>
#include <string>

#include "core/json.h"
#include "gtest/gtest.h"
#include "verifiers/builtin_verifiers.h"
#include "verifiers/math_verifier.h"

namespace rlvr {
namespace {

struct Tally {
  int agree = 0;
  int total = 0;
};

std::string Short(const std::string& s) {
  std::string out;
  for (char c : s) out.push_back(c == '\n' ? ' ' : c);
  if (out.size() > 90) out = out.substr(0, 40) + " ... " + out.substr(out.size() - 45);
  return out;
}

TEST(MathEquivalenceTest, AgreesWithReferenceSuiteOnAtLeast95Percent) {
  absl::StatusOr<std::vector<JsonValue>> rows =
      ReadJsonl(std::string(RLVR_SHARED_DATA_DIR) + "/math_equivalence.jsonl");
  ASSERT_TRUE(rows.ok()) << rows.status();
  std::map<std::string, Tally> by_category;
  Tally overall;
  int not_applicable = 0;
  for (size_t i = 0; i < rows->size(); ++i) {
    const JsonValue& row = (*rows)[i];
    std::string kind = row.GetString("kind").value_or("");
    std::string note = row.GetString("note").value_or("");
    std::string gold = row.GetString("gold").value_or("");
    std::string pred = row.GetString("pred").value_or("");
    bool expected = row.GetBool("equal").value_or(false);
    std::string source = row.GetString("source_test").value_or("?");
    std::string category = source.substr(source.find("::") + 2);
    const JsonValue* config = row.Find("config");
    std::string string_config =
        config != nullptr ? config->GetString("string_config").value_or("") : "";
    if (kind == "parse" && !string_config.empty()) {
      // Letter extraction: multiple_choice's PickChoice. gold is the expected letter, or ""
      // for none; the choices are A-D unless the case names others.
      std::string choices =
          string_config.find("strings=('U',)") != std::string::npos ? "U" : "ABCD";
      std::optional<char> got = PickChoice(pred, choices);
      bool agree =
          gold.empty() ? !got.has_value() : (got.has_value() && std::toupper(gold[0]) == *got);
      Tally& t = by_category[category + " [letters]"];
      ++t.total;
      ++overall.total;
      if (agree) {
        ++t.agree;
        ++overall.agree;
      } else {
        std::printf("DISAGREE line %zu [%s letters] expected '%s' got '%c'\n  pred: %s\n", i + 1,
                    category.c_str(), gold.c_str(), got.value_or('-'), Short(pred).c_str());
      }
      continue;
    }
    // The other parse-only cases test options of the reference checker's extraction API (boxed
    // priority, normalization switches) that have no counterpart here; one label is marked
    // mathematically wrong in the data set itself.
    if (kind == "parse" || note.find("LABEL QUESTIONABLE") != std::string::npos) {
      ++not_applicable;
      continue;
    }
    MathOptions options;
    if (config != nullptr) {
      if (absl::StatusOr<int64_t> fr = config->GetInt("float_rounding"); fr.ok()) {
        options.float_rounding = static_cast<int>(*fr);
      }
      if (absl::StatusOr<bool> s = config->GetBool("strict"); s.ok()) options.strict = *s;
      if (absl::StatusOr<bool> a = config->GetBool("allow_set_relation_comp"); a.ok()) {
        options.allow_set_relation_comp = *a;
      }
      // Without the reference's plain-expression extraction, only LaTeX answers count.
      if (const JsonValue* targets = config->Find("extraction");
          targets != nullptr && targets->is_array()) {
        bool expr = false;
        for (const JsonValue& t : targets->array()) {
          expr = expr || (t.is_string() && t.string() == "expr");
        }
        options.plain_numbers = expr;
      }
    }
    absl::StatusOr<MathVerdict> verdict =
        kind == "sympy" ? CompareMathAnswers(gold, pred, options) : MathEqual(gold, pred, options);
    bool got = verdict.ok() && *verdict == MathVerdict::kEqual;
    bool agree = verdict.ok() && got == expected;
    Tally& t = by_category[category];
    ++t.total;
    ++overall.total;
    if (agree) {
      ++t.agree;
      ++overall.agree;
    } else {
      std::printf("DISAGREE line %zu [%s] expected %s got %s%s\n  gold: %s\n  pred: %s\n", i + 1,
                  category.c_str(), expected ? "equal" : "unequal", got ? "equal" : "unequal",
                  verdict.ok() ? "" : (" (" + verdict.status().ToString() + ")").c_str(),
                  Short(gold).c_str(), Short(pred).c_str());
    }
  }
  std::printf("\n%-44s %7s %7s %8s\n", "category", "agree", "total", "rate");
  for (const auto& [category, t] : by_category) {
    std::printf("%-44s %7d %7d %7.1f%%\n", category.c_str(), t.agree, t.total,
                100.0 * t.agree / t.total);
  }
  double rate = 100.0 * overall.agree / overall.total;
  std::printf("%-44s %7d %7d %7.1f%%\n(not applicable: %d)\n", "OVERALL", overall.agree,
              overall.total, rate, not_applicable);
  EXPECT_GE(rate, 95.0);
}

}  // namespace
}  // namespace rlvr
