// countdown: the answer is an arithmetic expression over the given numbers, each used exactly
// once, whose exact (rational) value is the target.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/json.h"
#include "verifiers/builtin_verifiers.h"
#include "verifiers/extract.h"
#include "verifiers/options.h"
#include "verifiers/rational.h"

namespace rlvr {
namespace {

constexpr size_t kMaxExpressionBytes = 4096;
constexpr int kMaxNesting = 64;
constexpr int kMaxNumberDigits = 18;

// Recursive descent over + - * / and parentheses. Depth is bounded by kMaxNesting; every
// number literal is recorded so its use can be checked against the given numbers.
class CountdownParser {
 public:
  explicit CountdownParser(std::string_view text) : text_(text) {}

  // Ok with the value, or an explanation of why the expression is not acceptable.
  absl::StatusOr<Rational> Parse() {
    absl::StatusOr<Rational> v = Expr(0);
    if (!v.ok()) return v;
    SkipSpace();
    if (pos_ != text_.size()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("unexpected '%c' at offset %d", text_[pos_], pos_));
    }
    return v;
  }
  const std::vector<int64_t>& numbers() const { return numbers_; }
  bool overflowed() const { return overflowed_; }

 private:
  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  // Consumes one of the spellings of an operator.
  bool Accept(std::initializer_list<std::string_view> spellings) {
    SkipSpace();
    for (std::string_view s : spellings) {
      if (text_.substr(pos_, s.size()) == s) {
        pos_ += s.size();
        return true;
      }
    }
    return false;
  }
  absl::Status Arith(const RationalResult& r, Rational* out) {
    if (r.error == ArithError::kDivisionByZero) {
      return absl::InvalidArgumentError("division by zero");
    }
    if (r.error == ArithError::kOverflow) {
      overflowed_ = true;
      return absl::OutOfRangeError("intermediate value too large");
    }
    *out = r.value;
    return absl::OkStatus();
  }

  absl::StatusOr<Rational> Expr(int depth) {
    absl::StatusOr<Rational> left = Term(depth);
    if (!left.ok()) return left;
    Rational acc = *left;
    while (true) {
      bool plus = Accept({"+"});
      bool minus = !plus && Accept({"-", "\xe2\x88\x92"});  // '-' or U+2212
      if (!plus && !minus) return acc;
      absl::StatusOr<Rational> right = Term(depth);
      if (!right.ok()) return right;
      absl::Status s = Arith(plus ? Add(acc, *right) : Sub(acc, *right), &acc);
      if (!s.ok()) return s;
    }
  }

  absl::StatusOr<Rational> Term(int depth) {
    absl::StatusOr<Rational> left = Factor(depth);
    if (!left.ok()) return left;
    Rational acc = *left;
    while (true) {
      bool times = Accept({"*", "\\times", "\\cdot", "\xc3\x97", "x"});  // U+00D7
      bool divide = !times && Accept({"/", "\\div", "\xc3\xb7"});        // U+00F7
      if (!times && !divide) return acc;
      absl::StatusOr<Rational> right = Factor(depth);
      if (!right.ok()) return right;
      absl::Status s = Arith(times ? Mul(acc, *right) : Div(acc, *right), &acc);
      if (!s.ok()) return s;
    }
  }

  absl::StatusOr<Rational> Factor(int depth) {
    SkipSpace();
    if (depth >= kMaxNesting) return absl::InvalidArgumentError("parentheses nested too deeply");
    if (Accept({"(", "\\left(", "[", "{"})) {
      absl::StatusOr<Rational> inner = Expr(depth + 1);
      if (!inner.ok()) return inner;
      if (!Accept({")", "\\right)", "]", "}"})) {
        return absl::InvalidArgumentError("missing closing parenthesis");
      }
      return inner;
    }
    size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    if (pos_ == start) {
      if (pos_ >= text_.size()) return absl::InvalidArgumentError("expression ends early");
      return absl::InvalidArgumentError(
          absl::StrFormat("unexpected '%c' at offset %d (only numbers, + - * / and "
                          "parentheses are allowed)",
                          text_[pos_], pos_));
    }
    if (pos_ - start > kMaxNumberDigits) return absl::InvalidArgumentError("number too long");
    int64_t v = 0;
    for (size_t i = start; i < pos_; ++i) v = v * 10 + (text_[i] - '0');
    numbers_.push_back(v);
    return Rational::FromInt(v);
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::vector<int64_t> numbers_;
  bool overflowed_ = false;
};

absl::StatusOr<std::vector<int64_t>> ParseNumberList(std::string_view text) {
  text = TrimAscii(text);
  if (!text.empty() && text.front() == '[') {
    if (text.back() != ']') return absl::InvalidArgumentError("number list: missing ']'");
    text = text.substr(1, text.size() - 2);
  }
  std::vector<int64_t> out;
  for (absl::string_view part :
       absl::StrSplit(AsAbsl(text), absl::ByAnyChar(", "), absl::SkipEmpty())) {
    int64_t v;
    if (!absl::SimpleAtoi(part, &v)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("number list: '%s' is not an integer", part));
    }
    out.push_back(v);
  }
  if (out.empty()) return absl::InvalidArgumentError("number list is empty");
  return out;
}

struct Puzzle {
  std::vector<int64_t> numbers;
  int64_t target = 0;
};

absl::StatusOr<Puzzle> ReadPuzzle(const VerifyInput& input) {
  Puzzle p;
  std::string_view truth = TrimAscii(input.ground_truth);
  if (!truth.empty() && truth.front() == '{') {
    absl::StatusOr<JsonValue> json = ParseJson(truth);
    if (!json.ok()) return json.status();
    absl::StatusOr<int64_t> target = json->GetInt("target");
    if (!target.ok()) return target.status();
    absl::StatusOr<const JsonValue*> nums = json->Get("numbers", JsonValue::Type::kArray);
    if (!nums.ok()) return nums.status();
    for (const JsonValue& n : (*nums)->array()) {
      if (!n.is_integer()) return absl::InvalidArgumentError("numbers must be integers");
      p.numbers.push_back(n.integer());
    }
    p.target = *target;
  } else {
    std::optional<std::string_view> numbers = input.Meta("numbers");
    if (!numbers.has_value()) {
      return absl::InvalidArgumentError(
          "countdown needs metadata 'numbers' (or a JSON ground truth with 'numbers')");
    }
    absl::StatusOr<std::vector<int64_t>> list = ParseNumberList(*numbers);
    if (!list.ok()) return list.status();
    p.numbers = *std::move(list);
    std::string_view target_text = truth;
    if (target_text.empty()) target_text = input.Meta("target").value_or("");
    if (!absl::SimpleAtoi(AsAbsl(target_text), &p.target)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("countdown target '%s' is not an integer", target_text.substr(0, 64)));
    }
  }
  for (int64_t n : p.numbers) {
    if (n < 0 || n > 1'000'000'000) {
      return absl::InvalidArgumentError(
          absl::StrFormat("countdown number %d is outside [0, 1e9]", n));
    }
  }
  return p;
}

class CountdownVerifier : public Verifier {
 public:
  CountdownVerifier(AnswerSource source, double format_reward)
      : source_(source), format_reward_(format_reward) {}
  std::string_view name() const override { return "countdown"; }

  absl::StatusOr<Judgement> Verify(const VerifyInput& input) const override {
    absl::StatusOr<Puzzle> puzzle = ReadPuzzle(input);
    if (!puzzle.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("countdown: bad ground truth: ", puzzle.status().message()));
    }
    std::optional<std::string_view> answer = ExtractAnswer(input.response, source_);
    if (!answer.has_value()) return Result(0.0, "no answer found");
    std::string_view expr = TrimAscii(*answer);
    // "(3 + 5) * 3 = 24": only the left side is the expression.
    expr = TrimAscii(expr.substr(0, expr.find('=')));
    if (expr.size() > kMaxExpressionBytes) return Result(0.0, "expression too long");
    CountdownParser parser(expr);
    absl::StatusOr<Rational> value = parser.Parse();
    if (!value.ok()) {
      if (parser.overflowed()) {
        return absl::OutOfRangeError(
            "countdown: intermediate value exceeds 128-bit rationals; cannot judge exactly");
      }
      return Result(0.0, absl::StrCat("not a valid expression: ", value.status().message()));
    }
    std::vector<int64_t> used = parser.numbers();
    std::vector<int64_t> given = puzzle->numbers;
    std::sort(used.begin(), used.end());
    std::sort(given.begin(), given.end());
    if (used != given) {
      return Result(format_reward_, "numbers used do not match the given numbers exactly once");
    }
    if (!(*value == Rational::FromInt(puzzle->target))) {
      return Result(format_reward_,
                    absl::StrFormat("value %s, target %d", value->ToString(), puzzle->target));
    }
    return Result(1.0, "reaches the target");
  }

 private:
  Judgement Result(double reward, std::string detail) const {
    Judgement j;
    j.reward = reward;
    j.components["countdown"] = reward;
    j.detail = std::move(detail);
    return j;
  }
  AnswerSource source_;
  double format_reward_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Verifier>> MakeCountdownVerifier(const VerifierOptions& options) {
  OptionReader r("countdown", options);
  if (absl::Status s = r.CheckKnown({"source", "format_reward"}); !s.ok()) return s;
  absl::StatusOr<AnswerSource> source = ParseAnswerSource(r.String("source", "auto"));
  if (!source.ok()) return source.status();
  absl::StatusOr<double> fr = r.Double("format_reward", 0.0);
  if (!fr.ok()) return fr.status();
  return std::make_unique<CountdownVerifier>(*source, *fr);
}

}  // namespace rlvr
