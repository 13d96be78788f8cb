// Pre-tokenization: cutting text into the words that the BPE model encodes one by one, as the
// Hugging Face `tokenizers` pre-tokenizers "Split" and "ByteLevel" do, plus the GPT-2 byte-level
// alphabet that byte-level vocabularies are written in.
#ifndef RLVR_CORE_PRETOKENIZER_H_
#define RLVR_CORE_PRETOKENIZER_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace re2 {
class RE2;
}

namespace rlvr {

// The split pattern of Qwen2, Qwen2.5 and Qwen3 tokenizers (and Qwen1's tiktoken). It needs
// look-ahead, so it is matched by a hand-written scanner instead of a regex engine.
inline constexpr std::string_view kQwen2SplitPattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// Appends to *pieces the consecutive matches of kQwen2SplitPattern over text (they cover all of
// it), with \p{L}, \p{N} and \s meaning Unicode general categories L*, N* and White_Space, as the
// Oniguruma engine inside `tokenizers` reads them. Invalid UTF-8 bytes count as symbols (neither
// letter, number nor space). The pieces point into text.
void SplitQwen2(std::string_view text, std::vector<std::string_view>* pieces);

// One step of a pre-tokenizer sequence: cuts a piece of text into smaller pieces.
class PreTokenizerStep {
 public:
  virtual ~PreTokenizerStep() = default;
  // Appends the sub-pieces of piece (views into piece) to *out.
  virtual void Split(std::string_view piece, std::vector<std::string_view>* out) const = 0;
};

// "Split" with behavior Isolated or Removed: the pattern's matches become pieces of their own
// (Isolated) or are dropped (Removed); the text between matches is kept as pieces. With invert,
// matches and the text between them swap roles.
enum class SplitBehavior { kIsolated, kRemoved };

// A Split step for a regex. The Qwen2 pattern gets the hand-written scanner; any other pattern
// is compiled with RE2 (so look-around is rejected, and \s, \d, \w are ASCII classes as in RE2).
absl::StatusOr<std::unique_ptr<PreTokenizerStep>> MakeRegexSplit(std::string_view pattern,
                                                                 SplitBehavior behavior,
                                                                 bool invert);
// A Split step for a literal string (must be non-empty).
absl::StatusOr<std::unique_ptr<PreTokenizerStep>> MakeLiteralSplit(std::string_view literal,
                                                                   SplitBehavior behavior,
                                                                   bool invert);

// The GPT-2 byte-to-unicode table: every byte value is written as one printable code point, so
// that byte-level vocabularies are valid text.
class ByteLevelAlphabet {
 public:
  static const ByteLevelAlphabet& Get();
  // The UTF-8 form of byte b's code point.
  const std::string& Encode(uint8_t b) const { return byte_to_utf8_[b]; }
  // Maps a token written in the alphabet back to raw bytes. False (and *bytes unspecified) when
  // some code point of token is not in the alphabet.
  bool Decode(std::string_view token, std::string* bytes) const;
  // Writes raw bytes in the alphabet.
  std::string EncodeBytes(std::string_view bytes) const;

 private:
  ByteLevelAlphabet();
  std::array<std::string, 256> byte_to_utf8_;
  std::array<int16_t, 0x180> code_point_to_byte_;  // -1: not in the alphabet
};

}  // namespace rlvr

#endif  // RLVR_CORE_PRETOKENIZER_H_
