#include "core/pretokenizer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/unicode_text.h"
#include "re2/re2.h"

namespace rlvr {
namespace {

// A code point at a byte position, with the classes the Qwen2 pattern asks about.
struct Char {
  uint32_t code_point = 0;
  size_t length = 0;
  bool letter = false;
  bool number = false;
  bool space = false;
  bool newline() const { return code_point == '\r' || code_point == '\n'; }
  // [^\s\p{L}\p{N}]
  bool symbol() const { return !space && !letter && !number; }
};

Char CharAt(std::string_view text, size_t pos) {
  Char c;
  c.code_point = DecodeUtf8At(text, pos, &c.length);
  c.space = IsWhiteSpace(c.code_point);
  if (!c.space) {
    c.letter = IsLetter(c.code_point);
    if (!c.letter) c.number = IsNumber(c.code_point);
  }
  return c;
}

// Case-insensitive match of one ASCII lowercase letter, with the Unicode simple case folding
// that Oniguruma applies under (?i) (U+017F LATIN SMALL LETTER LONG S folds to 's').
bool FoldsTo(uint32_t cp, char lower) {
  if (cp < 0x80) return (cp | 0x20) == static_cast<uint32_t>(lower);
  return lower == 's' && cp == 0x17F;
}

// Alternative 1: (?i:'s|'t|'re|'ve|'m|'ll|'d). Returns the end of the match or 0.
size_t MatchContraction(std::string_view text, size_t i) {
  if (text[i] != '\'' || i + 1 >= text.size()) return 0;
  const Char c1 = CharAt(text, i + 1);
  const size_t after1 = i + 1 + c1.length;
  for (char single : {'s', 't'}) {
    if (FoldsTo(c1.code_point, single)) return after1;
  }
  const auto second_is = [&](char lower) {
    if (after1 >= text.size()) return false;
    return FoldsTo(CharAt(text, after1).code_point, lower);
  };
  const size_t after2 = after1 + 1;  // the second letters below are all ASCII when they match
  if (FoldsTo(c1.code_point, 'r') && second_is('e')) return after2;
  if (FoldsTo(c1.code_point, 'v') && second_is('e')) return after2;
  if (FoldsTo(c1.code_point, 'm')) return after1;
  if (FoldsTo(c1.code_point, 'l') && second_is('l')) return after2;
  if (FoldsTo(c1.code_point, 'd')) return after1;
  return 0;
}

size_t SkipLetters(std::string_view text, size_t pos) {
  while (pos < text.size()) {
    const Char c = CharAt(text, pos);
    if (!c.letter) break;
    pos += c.length;
  }
  return pos;
}

// The end of the longest match of kQwen2SplitPattern at text[i] (leftmost-first alternation
// with backtracking, as a Perl-style engine would find it). Always > i.
size_t MatchQwen2At(std::string_view text, size_t i) {
  const size_t n = text.size();
  if (const size_t end = MatchContraction(text, i); end != 0) return end;

  const Char c0 = CharAt(text, i);
  const size_t next = i + c0.length;
  // [^\r\n\p{L}\p{N}]?\p{L}+
  if (c0.letter) return SkipLetters(text, next);
  if (!c0.newline() && !c0.number && next < n && CharAt(text, next).letter) {
    return SkipLetters(text, next);
  }
  // \p{N}
  if (c0.number) return next;
  // ' '?[^\s\p{L}\p{N}]+[\r\n]*
  {
    size_t pos = i;
    if (c0.code_point == ' ' && next < n && CharAt(text, next).symbol()) pos = next;
    if (pos != i || c0.symbol()) {
      while (pos < n) {
        const Char c = CharAt(text, pos);
        if (!c.symbol()) break;
        pos += c.length;
      }
      while (pos < n && (text[pos] == '\r' || text[pos] == '\n')) ++pos;
      return pos;
    }
  }
  // Everything left starts with white space: \s*[\r\n]+ | \s+(?!\S) | \s+
  size_t end = i;
  size_t last_char = i;      // start of the last white-space character of the run
  size_t after_newline = 0;  // end of the last \r or \n in the run, 0 if none
  while (end < n) {
    const Char c = CharAt(text, end);
    if (!c.space) break;
    last_char = end;
    end += c.length;
    if (c.newline()) after_newline = end;
  }
  if (after_newline != 0) return after_newline;
  if (end == n) return end;
  // \s+(?!\S): give back the last white-space character so that it can lead the next word.
  if (last_char > i) return last_char;
  return end;
}

class Qwen2Split final : public PreTokenizerStep {
 public:
  void Split(std::string_view piece, std::vector<std::string_view>* out) const override {
    SplitQwen2(piece, out);
  }
};

// Emits the pieces of a split given the matches (non-overlapping, in order, non-empty).
void EmitSplit(std::string_view piece, const std::vector<std::pair<size_t, size_t>>& matches,
               SplitBehavior behavior, bool invert, std::vector<std::string_view>* out) {
  const auto emit = [&](size_t begin, size_t end, bool is_match) {
    if (begin == end) return;
    if (invert) is_match = !is_match;
    if (is_match && behavior == SplitBehavior::kRemoved) return;
    out->push_back(piece.substr(begin, end - begin));
  };
  size_t last = 0;
  for (const auto& [begin, end] : matches) {
    emit(last, begin, false);
    emit(begin, end, true);
    last = end;
  }
  emit(last, piece.size(), false);
}

class Re2Split final : public PreTokenizerStep {
 public:
  Re2Split(std::unique_ptr<re2::RE2> re, SplitBehavior behavior, bool invert)
      : re_(std::move(re)), behavior_(behavior), invert_(invert) {}

  void Split(std::string_view piece, std::vector<std::string_view>* out) const override {
    std::vector<std::pair<size_t, size_t>> matches;
    const re2::StringPiece input(piece.data(), piece.size());
    size_t pos = 0;
    while (pos <= piece.size()) {
      re2::StringPiece m;
      if (!re_->Match(input, pos, piece.size(), re2::RE2::UNANCHORED, &m, 1)) break;
      const size_t begin = static_cast<size_t>(m.data() - piece.data());
      const size_t end = begin + m.size();
      if (end == begin) {
        // Empty matches cut nothing; step over one character to keep going.
        if (begin >= piece.size()) break;
        size_t length;
        DecodeUtf8At(piece, begin, &length);
        pos = begin + length;
        continue;
      }
      matches.emplace_back(begin, end);
      pos = end;
    }
    EmitSplit(piece, matches, behavior_, invert_, out);
  }

 private:
  std::unique_ptr<re2::RE2> re_;
  SplitBehavior behavior_;
  bool invert_;
};

class LiteralSplit final : public PreTokenizerStep {
 public:
  LiteralSplit(std::string literal, SplitBehavior behavior, bool invert)
      : literal_(std::move(literal)), behavior_(behavior), invert_(invert) {}

  void Split(std::string_view piece, std::vector<std::string_view>* out) const override {
    std::vector<std::pair<size_t, size_t>> matches;
    for (size_t pos = piece.find(literal_); pos != std::string_view::npos;
         pos = piece.find(literal_, pos + literal_.size())) {
      matches.emplace_back(pos, pos + literal_.size());
    }
    EmitSplit(piece, matches, behavior_, invert_, out);
  }

 private:
  std::string literal_;
  SplitBehavior behavior_;
  bool invert_;
};

}  // namespace

void SplitQwen2(std::string_view text, std::vector<std::string_view>* pieces) {
  for (size_t i = 0; i < text.size();) {
    const size_t end = MatchQwen2At(text, i);
    pieces->push_back(text.substr(i, end - i));
    i = end;
  }
}

absl::StatusOr<std::unique_ptr<PreTokenizerStep>> MakeRegexSplit(std::string_view pattern,
                                                                 SplitBehavior behavior,
                                                                 bool invert) {
  if (pattern == kQwen2SplitPattern && behavior == SplitBehavior::kIsolated && !invert) {
    return std::make_unique<Qwen2Split>();
  }
  re2::RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_unique<re2::RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (!re->ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Split pattern /", absl::string_view(pattern.data(), pattern.size()),
                     "/ cannot be compiled by RE2 (", re->error(),
                     "); only the Qwen2 pattern with look-ahead has a built-in matcher"));
  }
  return std::make_unique<Re2Split>(std::move(re), behavior, invert);
}

absl::StatusOr<std::unique_ptr<PreTokenizerStep>> MakeLiteralSplit(std::string_view literal,
                                                                   SplitBehavior behavior,
                                                                   bool invert) {
  if (literal.empty()) return absl::InvalidArgumentError("Split pattern string is empty");
  return std::make_unique<LiteralSplit>(std::string(literal), behavior, invert);
}

const ByteLevelAlphabet& ByteLevelAlphabet::Get() {
  static const ByteLevelAlphabet* alphabet = new ByteLevelAlphabet();
  return *alphabet;
}

ByteLevelAlphabet::ByteLevelAlphabet() {
  code_point_to_byte_.fill(-1);
  // Printable Latin-1 bytes stand for themselves; the others are moved to U+0100 and up, in
  // byte order.
  const auto printable = [](int b) {
    return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
  };
  uint32_t next_extra = 0x100;
  for (int b = 0; b < 256; ++b) {
    const uint32_t cp = printable(b) ? static_cast<uint32_t>(b) : next_extra++;
    AppendUtf8(cp, &byte_to_utf8_[b]);
    code_point_to_byte_[cp] = static_cast<int16_t>(b);
  }
}

bool ByteLevelAlphabet::Decode(std::string_view token, std::string* bytes) const {
  bytes->clear();
  for (size_t pos = 0; pos < token.size();) {
    size_t length;
    const uint32_t cp = DecodeUtf8At(token, pos, &length);
    if (cp >= code_point_to_byte_.size() || code_point_to_byte_[cp] < 0) return false;
    if (cp == 0xFFFD) return false;
    bytes->push_back(static_cast<char>(code_point_to_byte_[cp]));
    pos += length;
  }
  return true;
}

std::string ByteLevelAlphabet::EncodeBytes(std::string_view bytes) const {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) out += byte_to_utf8_[static_cast<uint8_t>(c)];
  return out;
}

}  // namespace rlvr
