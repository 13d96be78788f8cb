#include "verifiers/extract.h"

#include <iterator>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"

namespace rlvr {
namespace {

constexpr std::string_view kBoxedCommands[] = {"\\boxed", "\\fbox"};

bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// For every '{' the index of its matching '}', or npos; one linear pass with an explicit stack
// (no recursion), so deep or unbalanced nesting costs nothing extra. Escaped braces ("\{")
// are skipped.
std::vector<size_t> MatchBraces(std::string_view text) {
  std::vector<size_t> match(text.size(), std::string_view::npos);
  std::vector<size_t> open;
  for (size_t j = 0; j < text.size(); ++j) {
    char c = text[j];
    if (c == '\\' && j + 1 < text.size()) {
      ++j;
      continue;
    }
    if (c == '{') {
      open.push_back(j);
    } else if (c == '}' && !open.empty()) {
      match[open.back()] = j;
      open.pop_back();
    }
  }
  return match;
}

// Parses a boxed command starting at `pos` (the backslash). Returns false when incomplete.
bool ParseBoxedAt(std::string_view text, const std::vector<size_t>& match, size_t pos,
                  size_t command_len, BoxedSpan* out) {
  size_t i = pos + command_len;
  if (i < text.size() && IsLetter(text[i])) return false;  // e.g. \boxedfoo
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n')) ++i;
  if (i >= text.size()) return false;
  if (text[i] == '{') {
    size_t j = match[i];
    if (j == std::string_view::npos) return false;
    out->begin = pos;
    out->end = j + 1;
    out->content = text.substr(i + 1, j - i - 1);
    return true;
  }
  if (i == pos + command_len) return false;  // "\boxed5" is not a command
  // "\boxed 5": the argument runs to the next space, '$' or end.
  size_t j = i;
  while (j < text.size() && text[j] != ' ' && text[j] != '$' && text[j] != '\n') ++j;
  if (j == i) return false;
  out->begin = pos;
  out->end = j;
  out->content = text.substr(i, j - i);
  return true;
}

}  // namespace

std::string_view TrimAscii(std::string_view s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && absl::ascii_isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && absl::ascii_isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

std::vector<BoxedSpan> FindBoxed(std::string_view text) {
  std::vector<BoxedSpan> found;
  if (text.find("\\boxed") == std::string_view::npos &&
      text.find("\\fbox") == std::string_view::npos) {
    return found;
  }
  const std::vector<size_t> match = MatchBraces(text);
  size_t pos = 0;
  // Next occurrence of each command at or after pos; searched again only once passed, so the
  // scan stays linear however many commands the text holds.
  size_t next[std::size(kBoxedCommands)];
  for (size_t c = 0; c < std::size(kBoxedCommands); ++c) next[c] = text.find(kBoxedCommands[c]);
  while (pos < text.size()) {
    size_t best = std::string_view::npos;
    size_t best_len = 0;
    for (size_t c = 0; c < std::size(kBoxedCommands); ++c) {
      if (next[c] != std::string_view::npos && next[c] < pos) {
        next[c] = text.find(kBoxedCommands[c], pos);
      }
      if (next[c] < best) {
        best = next[c];
        best_len = kBoxedCommands[c].size();
      }
    }
    if (best == std::string_view::npos) break;
    BoxedSpan span;
    if (ParseBoxedAt(text, match, best, best_len, &span)) {
      found.push_back(span);
      pos = span.end;
    } else {
      pos = best + best_len;
    }
  }
  return found;
}

std::optional<std::string_view> LastBoxed(std::string_view text) {
  std::vector<BoxedSpan> all = FindBoxed(text);
  if (all.empty()) return std::nullopt;
  return all.back().content;
}

std::optional<std::string_view> LastAnswerBlock(std::string_view text) {
  constexpr std::string_view kOpen = "<answer>";
  constexpr std::string_view kClose = "</answer>";
  size_t close = text.rfind(kClose);
  if (close == std::string_view::npos) return std::nullopt;
  size_t open = text.rfind(kOpen, close);
  if (open == std::string_view::npos) return std::nullopt;
  return text.substr(open + kOpen.size(), close - open - kOpen.size());
}

absl::StatusOr<AnswerSource> ParseAnswerSource(std::string_view name) {
  if (name == "auto") return AnswerSource::kAuto;
  if (name == "boxed") return AnswerSource::kBoxed;
  if (name == "answer_tag" || name == "answer") return AnswerSource::kAnswerTag;
  if (name == "full" || name == "none") return AnswerSource::kFull;
  return absl::InvalidArgumentError(
      absl::StrFormat("unknown answer source '%s' (use auto, boxed, answer_tag or full)", name));
}

std::optional<std::string_view> ExtractAnswer(std::string_view text, AnswerSource source) {
  switch (source) {
    case AnswerSource::kFull:
      return text;
    case AnswerSource::kBoxed:
      return LastBoxed(text);
    case AnswerSource::kAnswerTag:
      return LastAnswerBlock(text);
    case AnswerSource::kAuto: {
      std::optional<std::string_view> block = LastAnswerBlock(text);
      if (block.has_value()) {
        std::optional<std::string_view> boxed = LastBoxed(*block);
        return boxed.has_value() ? boxed : block;
      }
      return LastBoxed(text);
    }
  }
  return std::nullopt;
}

}  // namespace rlvr
