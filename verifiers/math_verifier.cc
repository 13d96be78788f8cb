#include "verifiers/math_verifier.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "verifiers/math_compare.h"
#include "verifiers/math_expr.h"
#include "verifiers/options.h"

namespace rlvr {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Text between two \boxed groups that still reads as one answer ("\boxed{1} and \boxed{2}",
// "\boxed{a}, \quad \boxed{b}"): at most four words once markup is dropped.
bool IsJoiner(std::string_view gap) {
  constexpr int kMaxWords = 4;
  int words = 0;
  bool in_word = false;
  for (size_t i = 0; i < gap.size(); ++i) {
    char c = gap[i];
    if (c == '\\') {
      // Commands (\quad, \text, \), \() are markup.
      ++i;
      while (i < gap.size() && IsLetter(gap[i])) ++i;
      --i;
      in_word = false;
      continue;
    }
    if (IsLetter(c) || IsDigit(c)) {
      if (!in_word) ++words;
      in_word = true;
    } else {
      in_word = false;
    }
  }
  return words <= kMaxWords;
}

// Text between two math spans of one enumeration: ",", "and", "or".
bool IsListGap(std::string_view gap) {
  std::string_view g = TrimAscii(gap);
  return g == "," || g == "and" || g == "or" || g == ", and" || g == ", or" || g == ";";
}

struct Span {
  size_t begin = 0;
  size_t end = 0;
  std::string_view content;
};

// LaTeX math spans: $$..$$, \[..\], \(..\), and $..$ on one line. "\$" is a dollar sign.
std::vector<Span> MathSpans(std::string_view t) {
  std::vector<Span> spans;
  size_t i = 0;
  auto find_close = [&](size_t from, std::string_view close, bool single_line) -> size_t {
    for (size_t j = from; j + close.size() <= t.size(); ++j) {
      if (single_line && t[j] == '\n') return std::string_view::npos;
      if (t[j] == '\\' && close == "$") {
        ++j;
        continue;
      }
      if (t.compare(j, close.size(), close) == 0) return j;
    }
    return std::string_view::npos;
  };
  while (i < t.size()) {
    char c = t[i];
    if (c == '\\' && i + 1 < t.size()) {
      char d = t[i + 1];
      if (d == '[' || d == '(') {
        std::string_view close = d == '[' ? "\\]" : "\\)";
        // \( ... \) is inline math: one line.
        size_t j = find_close(i + 2, close, d == '(');
        if (j != std::string_view::npos) {
          spans.push_back({i, j + 2, t.substr(i + 2, j - i - 2)});
          i = j + 2;
          continue;
        }
      }
      i += 2;
      continue;
    }
    if (c == '$') {
      bool display = i + 1 < t.size() && t[i + 1] == '$';
      size_t open = display ? 2 : 1;
      size_t j = find_close(i + open, display ? "$$" : "$", !display);
      if (j != std::string_view::npos) {
        spans.push_back({i, j + open, t.substr(i + open, j - i - open)});
        i = j + open;
        continue;
      }
      i += open;
      continue;
    }
    ++i;
  }
  return spans;
}

// The last plain-text number ("1,000.99", "-3", "2/3", ".4"), not glued to a preceding letter.
std::optional<Span> LastPlainNumber(std::string_view t) {
  std::optional<Span> last;
  size_t i = 0;
  while (i < t.size()) {
    bool starts = IsDigit(t[i]) || (t[i] == '.' && i + 1 < t.size() && IsDigit(t[i + 1]));
    if (!starts || (i > 0 && (IsLetter(t[i - 1]) || IsDigit(t[i - 1]) || t[i - 1] == '_'))) {
      ++i;
      continue;
    }
    size_t b = i;
    if (b > 0 && t[b - 1] == '-') --b;
    size_t j = i;
    while (j < t.size() && (IsDigit(t[j]) || ((t[j] == ',' || t[j] == '.') && j + 1 < t.size() &&
                                              IsDigit(t[j + 1])))) {
      ++j;
    }
    // A simple fraction "2/3".
    size_t k = j;
    while (k < t.size() && t[k] == ' ') ++k;
    if (k < t.size() && t[k] == '/') {
      size_t m = k + 1;
      while (m < t.size() && t[m] == ' ') ++m;
      size_t n = m;
      while (n < t.size() && IsDigit(t[n])) ++n;
      if (n > m) j = n;
    }
    last = Span{b, j, t.substr(b, j - b)};
    i = j;
  }
  return last;
}

// "1,22" and "0,111" in plain text use a decimal comma; "7,425" is a thousands separator.
std::string PlainNumberText(std::string_view s) {
  // Only a lone "digits,digits" (optionally negative) is rewritten.
  size_t start = (!s.empty() && s[0] == '-') ? 1 : 0;
  for (size_t i = start; i < s.size(); ++i) {
    if (!IsDigit(s[i]) && s[i] != ',') return std::string(s);
  }
  size_t comma = s.find(',');
  if (comma == std::string_view::npos || s.find(',', comma + 1) != std::string_view::npos ||
      s.find('.') != std::string_view::npos || s.find('/') != std::string_view::npos) {
    return std::string(s);
  }
  std::string_view int_part = s.substr(0, comma);
  std::string_view frac = s.substr(comma + 1);
  bool thousands = frac.size() == 3 && int_part != "0" && int_part != "-0";
  // "-2,1" is more likely a list of two answers than a decimal.
  if (thousands || frac.size() < 2) return std::string(s);
  std::string out(s);
  out[comma] = '.';
  return out;
}

// Words of prose; command names and the braced argument right after a command (\text{east},
// \begin{pmatrix}) do not count.
bool HasWord(std::string_view t, size_t min_letters) {
  size_t run = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '\\') {
      ++i;
      while (i < t.size() && IsLetter(t[i])) ++i;
      if (i < t.size() && t[i] == '{') {
        size_t close = t.find('}', i);
        i = close == std::string_view::npos ? t.size() : close;
      } else {
        --i;
      }
      run = 0;
      continue;
    }
    run = IsLetter(t[i]) ? run + 1 : 0;
    if (run >= min_letters) return true;
  }
  return false;
}

// Case-insensitive search for the last occurrence of `needle` (lower case).
size_t RFindNoCase(std::string_view t, std::string_view needle) {
  if (t.size() < needle.size()) return std::string_view::npos;
  for (size_t i = t.size() - needle.size() + 1; i-- > 0;) {
    bool match = true;
    for (size_t k = 0; k < needle.size() && match; ++k) match = Lower(t[i + k]) == needle[k];
    if (match) return i;
  }
  return std::string_view::npos;
}

// The last math span together with the spans before it that continue one enumeration:
// "$1$ and $2$ and $3$" is one answer.
std::string JoinTrailingSpans(std::string_view text, const std::vector<Span>& spans) {
  size_t first = spans.size() - 1;
  while (first > 0 &&
         IsListGap(text.substr(spans[first - 1].end, spans[first].begin - spans[first - 1].end))) {
    --first;
  }
  std::string joined;
  for (size_t k = first; k < spans.size(); ++k) {
    if (!joined.empty()) joined += ", ";
    joined.append(spans[k].content);
  }
  return joined;
}

struct Candidate {
  std::string text;
  bool plain = false;  // from plain text: a lone "1,22" is a decimal
};

void AddCandidate(std::vector<Candidate>* out, std::string_view text, bool plain) {
  std::string_view t = TrimAscii(text);
  while (!t.empty() && (t.back() == '.' || t.back() == ',' || t.back() == ';')) {
    t.remove_suffix(1);
    t = TrimAscii(t);
  }
  if (t.empty()) return;
  for (const Candidate& c : *out) {
    if (c.text == t) return;
  }
  out->push_back({plain ? PlainNumberText(t) : std::string(t), plain});
}

std::vector<Candidate> Candidates(std::string_view text, AnswerSource source, bool plain_numbers) {
  std::vector<Candidate> out;
  if (source == AnswerSource::kFull) {
    AddCandidate(&out, text, text.find('\\') == std::string_view::npos);
    return out;
  }
  std::string_view region = text;
  if (source == AnswerSource::kAnswerTag || source == AnswerSource::kAuto) {
    std::optional<std::string_view> block = LastAnswerBlock(text);
    if (block.has_value()) {
      region = *block;
    } else if (source == AnswerSource::kAnswerTag) {
      return out;
    }
  }
  // 1. The last \boxed group (with the groups just before it that it continues) and the last
  // "final answer is ..." statement; the later of the two first.
  std::vector<Candidate> boxed_candidates;
  size_t boxed_end = 0;
  std::vector<BoxedSpan> boxed = FindBoxed(region);
  if (!boxed.empty()) {
    size_t first = boxed.size() - 1;
    while (first > 0 && IsJoiner(region.substr(boxed[first - 1].end,
                                               boxed[first].begin - boxed[first - 1].end))) {
      --first;
    }
    std::string joined;
    for (size_t k = first; k < boxed.size(); ++k) {
      if (!joined.empty()) joined += ", ";
      joined.append(boxed[k].content);
    }
    AddCandidate(&boxed_candidates, joined, false);
    boxed_end = boxed.back().end;
  }
  if (source == AnswerSource::kBoxed) return boxed_candidates;
  std::vector<Candidate> stated;
  size_t fa = RFindNoCase(region, "final answer");
  if (fa != std::string_view::npos) {
    std::string_view rest = region.substr(fa + 12);
    size_t stop = std::min(rest.find('\n'), RFindNoCase(rest, "i hope"));
    rest = rest.substr(0, stop);
    size_t is = RFindNoCase(rest, " is ");
    if (is != std::string_view::npos) rest = rest.substr(is + 4);
    while (!rest.empty() && (rest.front() == ':' || rest.front() == ' ')) rest.remove_prefix(1);
    std::vector<Span> spans = MathSpans(rest);
    std::optional<Span> number = LastPlainNumber(rest);
    if (!spans.empty()) {
      AddCandidate(&stated, JoinTrailingSpans(rest, spans), false);
    } else if (!HasWord(rest, 3)) {
      AddCandidate(&stated, rest, true);
    } else if (number.has_value() && plain_numbers) {
      AddCandidate(&stated, number->content, true);
    }
  }
  bool stated_later = fa != std::string_view::npos && fa > boxed_end;
  for (const auto* group :
       {stated_later ? &stated : &boxed_candidates, stated_later ? &boxed_candidates : &stated}) {
    for (const Candidate& c : *group) AddCandidate(&out, c.text, c.plain);
  }
  // 2. GSM8K-style "#### 42".
  size_t hashes = region.rfind("####");
  if (hashes != std::string_view::npos) {
    std::string_view rest = region.substr(hashes + 4);
    AddCandidate(&out, rest.substr(0, rest.find('\n')), true);
  }
  // 4. A short answer on its own: the whole text.
  std::string_view trimmed = TrimAscii(region);
  if (trimmed.size() <= 200 && !HasWord(trimmed, 3) && MathSpans(trimmed).empty()) {
    AddCandidate(&out, trimmed, true);
  }
  // 5. The last math span and the last plain number, whichever comes later first.
  std::vector<Span> spans = MathSpans(region);
  std::optional<Span> number;
  if (plain_numbers) number = LastPlainNumber(region);
  bool number_later = number.has_value() && (spans.empty() || number->begin >= spans.back().end);
  if (number_later) AddCandidate(&out, number->content, true);
  if (!spans.empty()) AddCandidate(&out, JoinTrailingSpans(region, spans), false);
  if (number.has_value() && !number_later) AddCandidate(&out, number->content, true);
  // An explicit answer block is an answer even when it is only words ("\text{east}").
  if (region.data() != text.data() || region.size() != text.size()) {
    AddCandidate(&out, region, false);
  }
  return out;
}

// Ground truths that are bare answers ("\frac{1}{2}", "2,125") are taken whole.
std::vector<Candidate> GoldCandidates(std::string_view gold, AnswerSource source,
                                      bool plain_numbers) {
  if (source != AnswerSource::kAuto) return Candidates(gold, source, plain_numbers);
  bool solution_like =
      gold.find("\\boxed") != std::string_view::npos ||
      gold.find("\\fbox") != std::string_view::npos || gold.find('$') != std::string_view::npos ||
      gold.find("\\(") != std::string_view::npos || gold.find("\\[") != std::string_view::npos ||
      gold.find("####") != std::string_view::npos ||
      gold.find("<answer>") != std::string_view::npos;
  if (solution_like) return Candidates(gold, AnswerSource::kAuto, plain_numbers);
  std::vector<Candidate> out;
  std::string_view t = TrimAscii(gold);
  bool plain = t.find('\\') == std::string_view::npos && !HasWord(t, 3);
  AddCandidate(&out, t, plain);
  return out;
}

struct Parsed {
  std::string text;  // normalized
  absl::StatusOr<math::Expr> expr = absl::UnknownError("unparsed");
};

// The first candidate that parses; else the first candidate as text.
std::optional<Parsed> FirstParsed(const std::vector<Candidate>& candidates) {
  if (candidates.empty()) return std::nullopt;
  Parsed first;
  for (size_t i = 0; i < candidates.size(); ++i) {
    Parsed p;
    p.text = math::NormalizeLatex(candidates[i].text);
    p.expr = math::ParseAnswer(p.text);
    if (p.expr.ok()) return p;
    if (i == 0) first = std::move(p);
  }
  return first;
}

std::string Squeezed(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') out.push_back(c);
  }
  return out;
}

absl::StatusOr<MathVerdict> CompareParsed(const Parsed& gold, const Parsed& pred,
                                          const MathOptions& options, absl::Time deadline) {
  if (Squeezed(gold.text) == Squeezed(pred.text)) return MathVerdict::kEqual;
  if (!gold.expr.ok() || !pred.expr.ok()) return MathVerdict::kNotEqual;
  math::CompareOptions co;
  co.float_rounding = options.float_rounding;
  co.seed = options.seed;
  co.allow_set_relation_comp = options.allow_set_relation_comp;
  co.strict = options.strict;
  co.deadline = deadline;
  co.max_work = options.max_work;
  switch (math::CompareExprs(*gold.expr, *pred.expr, co)) {
    case math::CompareResult::kEqual:
      return MathVerdict::kEqual;
    case math::CompareResult::kNotEqual:
      return MathVerdict::kNotEqual;
    case math::CompareResult::kTooMuchWork:
      return absl::ResourceExhaustedError(
          "math: the answers are too large to compare within the work budget");
    case math::CompareResult::kOutOfTime:
      break;
  }
  return absl::DeadlineExceededError("math: comparison ran out of time");
}

}  // namespace

std::vector<std::string> ExtractMathAnswers(std::string_view text, AnswerSource source,
                                            bool plain_numbers) {
  std::vector<std::string> out;
  for (Candidate& c : Candidates(text, source, plain_numbers)) out.push_back(std::move(c.text));
  return out;
}

absl::StatusOr<MathVerdict> CompareMathAnswers(std::string_view gold, std::string_view answer,
                                               const MathOptions& options, absl::Time deadline) {
  Parsed g;
  g.text = math::NormalizeLatex(gold);
  g.expr = math::ParseAnswer(g.text);
  Parsed p;
  p.text = math::NormalizeLatex(answer);
  p.expr = math::ParseAnswer(p.text);
  return CompareParsed(g, p, options, deadline);
}

absl::StatusOr<MathVerdict> MathEqual(std::string_view gold_text, std::string_view response,
                                      const MathOptions& options, absl::Time deadline) {
  std::optional<Parsed> gold =
      FirstParsed(GoldCandidates(gold_text, options.gold_source, options.plain_numbers));
  if (!gold.has_value()) {
    return absl::InvalidArgumentError("math: the ground truth contains no answer");
  }
  std::optional<Parsed> pred =
      FirstParsed(Candidates(response, options.source, options.plain_numbers));
  if (!pred.has_value()) return MathVerdict::kNotEqual;
  return CompareParsed(*gold, *pred, options, deadline);
}

namespace {

class MathVerifier : public Verifier {
 public:
  explicit MathVerifier(MathOptions options) : options_(options) {}
  std::string_view name() const override { return "math"; }

  absl::StatusOr<Judgement> Verify(const VerifyInput& input) const override {
    absl::StatusOr<MathVerdict> v =
        MathEqual(input.ground_truth, input.response, options_, input.deadline);
    if (!v.ok()) return v.status();
    Judgement j;
    j.reward = *v == MathVerdict::kEqual ? 1.0 : 0.0;
    j.components["math"] = j.reward;
    j.detail = *v == MathVerdict::kEqual ? "equal" : "not equal";
    return j;
  }

 private:
  MathOptions options_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Verifier>> MakeMathVerifier(const VerifierOptions& options) {
  OptionReader r("math", options);
  if (absl::Status s = r.CheckKnown({"source", "gold_source", "float_rounding", "seed",
                                     "allow_set_relation_comp", "strict", "plain_numbers"});
      !s.ok()) {
    return s;
  }
  MathOptions m;
  absl::StatusOr<AnswerSource> source = ParseAnswerSource(r.String("source", "auto"));
  if (!source.ok()) return source.status();
  m.source = *source;
  absl::StatusOr<AnswerSource> gold = ParseAnswerSource(r.String("gold_source", "auto"));
  if (!gold.ok()) return gold.status();
  m.gold_source = *gold;
  absl::StatusOr<int64_t> fr = r.Int("float_rounding", 6);
  if (!fr.ok()) return fr.status();
  if (*fr < 0 || *fr > 15) {
    return absl::InvalidArgumentError("math: float_rounding must be in [0, 15]");
  }
  m.float_rounding = static_cast<int>(*fr);
  absl::StatusOr<int64_t> seed = r.Int("seed", 0);
  if (!seed.ok()) return seed.status();
  m.seed = static_cast<uint64_t>(*seed);
  absl::StatusOr<bool> allow = r.Bool("allow_set_relation_comp", false);
  if (!allow.ok()) return allow.status();
  m.allow_set_relation_comp = *allow;
  absl::StatusOr<bool> strict = r.Bool("strict", true);
  if (!strict.ok()) return strict.status();
  m.strict = *strict;
  absl::StatusOr<bool> plain = r.Bool("plain_numbers", true);
  if (!plain.ok()) return plain.status();
  m.plain_numbers = *plain;
  return std::make_unique<MathVerifier>(m);
}

}  // namespace rlvr
