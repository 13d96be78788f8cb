// Locating the final answer inside a response: \boxed{...} groups and <answer> blocks. Every
// function is linear in the text length and never recurses, so hostile text is harmless.
#ifndef RLVR_VERIFIERS_EXTRACT_H_
#define RLVR_VERIFIERS_EXTRACT_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rlvr {

// One \boxed{...} (or \fbox{...}) occurrence: [begin, end) covers the whole command, content
// the text between its outer braces. "\boxed 5" (no braces) yields content "5".
struct BoxedSpan {
  size_t begin = 0;
  size_t end = 0;
  std::string_view content;
};

// Every complete \boxed occurrence, in text order (an unbalanced one is skipped).
std::vector<BoxedSpan> FindBoxed(std::string_view text);

// The content of the last complete \boxed occurrence.
std::optional<std::string_view> LastBoxed(std::string_view text);

// The content of the last <answer>...</answer> block (tags matched case-sensitively).
std::optional<std::string_view> LastAnswerBlock(std::string_view text);

// Where a verifier looks for the answer.
enum class AnswerSource {
  kAuto,       // <answer> block if any (its last \boxed if it has one), else the last \boxed
  kBoxed,      // the last \boxed only
  kAnswerTag,  // the <answer> block only
  kFull,       // the whole text
};

// Parses "auto", "boxed", "answer_tag" / "answer", "full" / "none".
absl::StatusOr<AnswerSource> ParseAnswerSource(std::string_view name);

// The answer text by `source`, or nullopt when the response has none.
std::optional<std::string_view> ExtractAnswer(std::string_view text, AnswerSource source);

// Removes leading and trailing ASCII whitespace.
std::string_view TrimAscii(std::string_view s);

// This Abseil build has its own string_view type; these adapt std::string_view to it.
inline absl::string_view AsAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

}  // namespace rlvr

#endif  // RLVR_VERIFIERS_EXTRACT_H_
