// Unicode helpers for the tokenizer: UTF-8 stepping, the character classes that pre-tokenizer
// patterns use (\p{L}, \p{N}, \s), and NFC normalization. Tables come from core/unicode_data.cc
// (Unicode version in unicode_data::kUnicodeVersion).
#ifndef RLVR_CORE_UNICODE_TEXT_H_
#define RLVR_CORE_UNICODE_TEXT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace rlvr {

// Decodes the code point starting at text[pos] and stores its byte length in *length (>= 1).
// Bytes that do not start a valid UTF-8 sequence decode as U+FFFD with length 1, so stepping
// through any byte string always advances and ends. Requires pos < text.size().
uint32_t DecodeUtf8At(std::string_view text, size_t pos, size_t* length);

// Appends the UTF-8 encoding of code_point (which must be <= 0x10FFFF).
void AppendUtf8(uint32_t code_point, std::string* out);

// True if text is well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF).
bool IsValidUtf8(std::string_view text);

// Replaces every maximal ill-formed subsequence with U+FFFD, the way Rust's
// String::from_utf8_lossy does; valid text is returned unchanged.
std::string Utf8Lossy(std::string_view bytes);

// General category L* (letters) and N* (numbers).
bool IsLetter(uint32_t code_point);
bool IsNumber(uint32_t code_point);
// The Unicode White_Space property (what \s matches in Unicode-aware regex engines).
bool IsWhiteSpace(uint32_t code_point);

// Canonical combining class (0 for starters and unassigned code points).
uint32_t CombiningClass(uint32_t code_point);

// Unicode Normalization Form C. Requires valid UTF-8 (invalid bytes are kept as they are).
std::string NormalizeNfc(std::string_view text);

}  // namespace rlvr

#endif  // RLVR_CORE_UNICODE_TEXT_H_
