// exact_match, multiple_choice and format.
#include <memory>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "re2/re2.h"
#include "verifiers/builtin_verifiers.h"
#include "verifiers/extract.h"
#include "verifiers/options.h"

namespace rlvr {
namespace {

Judgement Binary(std::string_view component, bool passed, std::string detail) {
  Judgement j;
  j.reward = passed ? 1.0 : 0.0;
  j.components[std::string(component)] = j.reward;
  j.detail = std::move(detail);
  return j;
}

// Answers longer than this are not compared (they cannot be a short final answer, and copying
// them would cost memory for nothing).
constexpr size_t kMaxAnswerBytes = 1 << 16;

std::string Normalize(std::string_view s, bool case_sensitive, bool collapse_whitespace) {
  s = TrimAscii(s);
  std::string out;
  out.reserve(s.size());
  bool in_space = false;
  for (char c : s) {
    if (collapse_whitespace && absl::ascii_isspace(static_cast<unsigned char>(c))) {
      in_space = true;
      continue;
    }
    if (in_space) out.push_back(' ');
    in_space = false;
    out.push_back(case_sensitive ? c : absl::ascii_tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

class ExactMatchVerifier : public Verifier {
 public:
  ExactMatchVerifier(AnswerSource source, bool case_sensitive, bool collapse)
      : source_(source), case_sensitive_(case_sensitive), collapse_(collapse) {}
  std::string_view name() const override { return "exact_match"; }

  absl::StatusOr<Judgement> Verify(const VerifyInput& input) const override {
    std::optional<std::string_view> answer = ExtractAnswer(input.response, source_);
    if (!answer.has_value() && source_ == AnswerSource::kAuto) answer = input.response;
    if (!answer.has_value()) return Binary(name(), false, "no answer found");
    if (answer->size() > kMaxAnswerBytes) return Binary(name(), false, "answer too long");
    std::string got = Normalize(*answer, case_sensitive_, collapse_);
    std::string want = Normalize(input.ground_truth, case_sensitive_, collapse_);
    return Binary(name(), got == want, got == want ? "match" : "no match");
  }

 private:
  AnswerSource source_;
  bool case_sensitive_;
  bool collapse_;
};

// Multiple choice: the picked letter.
class MultipleChoiceVerifier : public Verifier {
 public:
  MultipleChoiceVerifier(AnswerSource source, std::string choices)
      : source_(source),
        choices_(std::move(choices)),
        stated_(absl::StrFormat(
            R"((?i:answer|choice|option)\s*(?i:is)?\s*:?\s*\(?([%s])\)?(?:[^A-Za-z]|$))",
            choices_)),
        leading_(absl::StrFormat(R"(^\s*\(?([%s])(?:[).:,]|\s|$))", choices_)) {}
  std::string_view name() const override { return "multiple_choice"; }

  absl::StatusOr<Judgement> Verify(const VerifyInput& input) const override {
    std::optional<char> want = Letter(input.ground_truth);
    if (!want.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("multiple_choice: ground truth '%s' is not one of the choices %s",
                          input.ground_truth.substr(0, 64), choices_));
    }
    std::optional<char> got = Pick(input.response);
    if (!got.has_value()) return Binary(name(), false, "no choice found");
    return Binary(name(), *got == *want, absl::StrFormat("picked %c, expected %c", *got, *want));
  }

  // See PickChoice.
  std::optional<char> Pick(std::string_view response) const {
    std::optional<std::string_view> answer = ExtractAnswer(response, source_);
    if (answer.has_value()) {
      if (answer->size() > kMaxAnswerBytes) return std::nullopt;
      if (std::optional<char> l = Letter(*answer)) return l;
      response = *answer;
    }
    // "the answer is (C)": the last such statement wins.
    std::optional<char> found;
    re2::StringPiece text(response.data(), response.size());
    std::string letter;
    while (RE2::FindAndConsume(&text, stated_, &letter)) {
      found = absl::ascii_toupper(static_cast<unsigned char>(letter[0]));
    }
    if (found.has_value()) return found;
    // A response that starts with the letter: "B. Because ...".
    if (RE2::PartialMatch(re2::StringPiece(response.data(), response.size()), leading_, &letter)) {
      return absl::ascii_toupper(static_cast<unsigned char>(letter[0]));
    }
    // The only choice letter that stands alone as a word ("Because B is valid").
    std::optional<char> alone;
    for (size_t i = 0; i < response.size(); ++i) {
      char c = response[i];
      if (choices_.find(c) == std::string::npos) continue;
      bool left = i == 0 || !absl::ascii_isalnum(static_cast<unsigned char>(response[i - 1]));
      bool right = i + 1 == response.size() ||
                   !absl::ascii_isalnum(static_cast<unsigned char>(response[i + 1]));
      if (!left || !right) continue;
      if (alone.has_value() && *alone != c) return std::nullopt;  // ambiguous
      alone = c;
    }
    return alone;
  }

 private:
  // A bare letter, possibly "(B)", "B.", "\text{B}" or lower case.
  std::optional<char> Letter(std::string_view s) const {
    std::string t;
    for (char c : TrimAscii(s)) {
      if (absl::ascii_isalpha(static_cast<unsigned char>(c))) t.push_back(c);
    }
    if (absl::StartsWith(t, "textbf")) {
      t = t.substr(6);
    } else if (absl::StartsWith(t, "text")) {
      t = t.substr(4);
    }
    if (t.size() != 1) return std::nullopt;
    char up = absl::ascii_toupper(static_cast<unsigned char>(t[0]));
    if (choices_.find(up) == std::string::npos) return std::nullopt;
    return up;
  }

  AnswerSource source_;
  std::string choices_;
  RE2 stated_;
  RE2 leading_;
};

// The R1-Zero layout: reasoning in <think>, then the answer in <answer>, nothing else.
constexpr char kDefaultFormatPattern[] = R"((?s)\s*<think>.*</think>\s*<answer>.*</answer>\s*)";

class FormatVerifier : public Verifier {
 public:
  FormatVerifier(const std::string& pattern, bool single_blocks)
      : pattern_(pattern, RE2::Quiet), single_blocks_(single_blocks) {}
  const RE2& pattern() const { return pattern_; }
  std::string_view name() const override { return "format"; }

  absl::StatusOr<Judgement> Verify(const VerifyInput& input) const override {
    re2::StringPiece text(input.response.data(), input.response.size());
    if (!RE2::FullMatch(text, pattern_)) return Binary(name(), false, "layout does not match");
    if (single_blocks_) {
      for (std::string_view tag : {"<think>", "</think>", "<answer>", "</answer>"}) {
        if (Count(input.response, tag) != 1) {
          return Binary(name(), false, absl::StrFormat("%s must appear exactly once", tag));
        }
      }
    }
    return Binary(name(), true, "well formed");
  }

 private:
  static int Count(std::string_view text, std::string_view tag) {
    int n = 0;
    for (size_t p = text.find(tag); p != std::string_view::npos; p = text.find(tag, p + 1)) ++n;
    return n;
  }
  RE2 pattern_;
  bool single_blocks_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Verifier>> MakeExactMatchVerifier(const VerifierOptions& options) {
  OptionReader r("exact_match", options);
  if (absl::Status s = r.CheckKnown({"source", "case_sensitive", "collapse_whitespace"}); !s.ok()) {
    return s;
  }
  absl::StatusOr<AnswerSource> source = ParseAnswerSource(r.String("source", "auto"));
  if (!source.ok()) return source.status();
  absl::StatusOr<bool> cs = r.Bool("case_sensitive", false);
  if (!cs.ok()) return cs.status();
  absl::StatusOr<bool> collapse = r.Bool("collapse_whitespace", true);
  if (!collapse.ok()) return collapse.status();
  return std::make_unique<ExactMatchVerifier>(*source, *cs, *collapse);
}

absl::StatusOr<std::unique_ptr<Verifier>> MakeMultipleChoiceVerifier(
    const VerifierOptions& options) {
  OptionReader r("multiple_choice", options);
  if (absl::Status s = r.CheckKnown({"source", "choices"}); !s.ok()) return s;
  absl::StatusOr<AnswerSource> source = ParseAnswerSource(r.String("source", "auto"));
  if (!source.ok()) return source.status();
  std::string choices = r.String("choices", "ABCD");
  for (char c : choices) {
    if (c < 'A' || c > 'Z') {
      return absl::InvalidArgumentError(absl::StrFormat(
          "multiple_choice: option 'choices' must be upper-case letters, got '%s'", choices));
    }
  }
  if (choices.empty()) {
    return absl::InvalidArgumentError("multiple_choice: option 'choices' is empty");
  }
  return std::make_unique<MultipleChoiceVerifier>(*source, std::move(choices));
}

std::optional<char> PickChoice(std::string_view response, std::string_view choices,
                               AnswerSource source) {
  return MultipleChoiceVerifier(source, std::string(choices)).Pick(response);
}

absl::StatusOr<std::unique_ptr<Verifier>> MakeFormatVerifier(const VerifierOptions& options) {
  OptionReader r("format", options);
  if (absl::Status s = r.CheckKnown({"pattern", "single_blocks"}); !s.ok()) return s;
  bool custom = options.count("pattern") > 0;
  absl::StatusOr<bool> single = r.Bool("single_blocks", !custom);
  if (!single.ok()) return single.status();
  auto v = std::make_unique<FormatVerifier>(r.String("pattern", kDefaultFormatPattern), *single);
  if (!v->pattern().ok()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "format: option 'pattern' is not a valid RE2 expression: %s", v->pattern().error()));
  }
  return v;
}

}  // namespace rlvr
