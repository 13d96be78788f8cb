#include "core/unicode_text.h"

#include <algorithm>
#include <vector>

#include "core/unicode_data.h"

namespace rlvr {
namespace {

using unicode_data::CodePointRange;

constexpr uint32_t kReplacementChar = 0xFFFD;

// Hangul syllable arithmetic (Unicode chapter 3.12).
constexpr uint32_t kHangulSBase = 0xAC00;
constexpr uint32_t kHangulLBase = 0x1100;
constexpr uint32_t kHangulVBase = 0x1161;
constexpr uint32_t kHangulTBase = 0x11A7;
constexpr uint32_t kHangulLCount = 19;
constexpr uint32_t kHangulVCount = 21;
constexpr uint32_t kHangulTCount = 28;
constexpr uint32_t kHangulNCount = kHangulVCount * kHangulTCount;
constexpr uint32_t kHangulSCount = kHangulLCount * kHangulNCount;

// Returns the length of the valid UTF-8 sequence at text[pos], or 0 if the bytes there are not
// one. *code_point receives the value when valid.
size_t ValidSequenceAt(std::string_view text, size_t pos, uint32_t* code_point) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  const uint8_t b0 = byte(pos);
  if (b0 < 0x80) {
    *code_point = b0;
    return 1;
  }
  size_t length;
  uint32_t value;
  uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
    value = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    value = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;  // no overlongs
    if (b0 == 0xED) hi = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    value = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;  // nothing past U+10FFFF
  } else {
    return 0;
  }
  if (pos + length > text.size()) return 0;
  for (size_t i = 1; i < length; ++i) {
    const uint8_t b = byte(pos + i);
    if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xBF)) return 0;
    value = (value << 6) | (b & 0x3F);
  }
  *code_point = value;
  return length;
}

// Length of the maximal prefix at text[pos] that could start a valid sequence (at least 1).
size_t IllFormedPrefixLength(std::string_view text, size_t pos) {
  const uint8_t b0 = static_cast<uint8_t>(text[pos]);
  size_t length;
  uint8_t lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 1;
  }
  size_t i = 1;
  for (; i < length && pos + i < text.size(); ++i) {
    const uint8_t b = static_cast<uint8_t>(text[pos + i]);
    if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xBF)) break;
  }
  return i;
}

bool InRanges(const CodePointRange* ranges, size_t size, uint32_t cp) {
  const CodePointRange* end = ranges + size;
  const CodePointRange* it = std::upper_bound(
      ranges, end, cp, [](uint32_t v, const CodePointRange& r) { return v < r.first; });
  if (it == ranges) return false;
  --it;
  return cp <= it->last;
}

const unicode_data::CanonicalDecomposition* FindDecomposition(uint32_t cp) {
  using unicode_data::CanonicalDecomposition;
  const CanonicalDecomposition* begin = unicode_data::kCanonicalDecompositions;
  const CanonicalDecomposition* end = begin + unicode_data::kCanonicalDecompositionsSize;
  const CanonicalDecomposition* it = std::lower_bound(
      begin, end, cp, [](const CanonicalDecomposition& d, uint32_t v) { return d.code_point < v; });
  return (it != end && it->code_point == cp) ? it : nullptr;
}

void Decompose(uint32_t cp, std::vector<uint32_t>* out) {
  if (cp >= kHangulSBase && cp < kHangulSBase + kHangulSCount) {
    const uint32_t s = cp - kHangulSBase;
    out->push_back(kHangulLBase + s / kHangulNCount);
    out->push_back(kHangulVBase + (s % kHangulNCount) / kHangulTCount);
    if (s % kHangulTCount != 0) out->push_back(kHangulTBase + s % kHangulTCount);
    return;
  }
  const auto* d = FindDecomposition(cp);
  if (d == nullptr) {
    out->push_back(cp);
    return;
  }
  Decompose(d->first, out);
  if (d->second != 0) Decompose(d->second, out);
}

// The primary composite of a + b, or 0 when there is none.
uint32_t Compose(uint32_t a, uint32_t b) {
  if (a >= kHangulLBase && a < kHangulLBase + kHangulLCount && b >= kHangulVBase &&
      b < kHangulVBase + kHangulVCount) {
    return kHangulSBase + ((a - kHangulLBase) * kHangulVCount + (b - kHangulVBase)) * kHangulTCount;
  }
  if (a >= kHangulSBase && a < kHangulSBase + kHangulSCount &&
      (a - kHangulSBase) % kHangulTCount == 0 && b > kHangulTBase &&
      b < kHangulTBase + kHangulTCount) {
    return a + (b - kHangulTBase);
  }
  using unicode_data::CanonicalComposition;
  const CanonicalComposition* begin = unicode_data::kCanonicalCompositions;
  const CanonicalComposition* end = begin + unicode_data::kCanonicalCompositionsSize;
  const CanonicalComposition* it =
      std::lower_bound(begin, end, std::make_pair(a, b),
                       [](const CanonicalComposition& c, const std::pair<uint32_t, uint32_t>& v) {
                         return std::make_pair(c.first, c.second) < v;
                       });
  return (it != end && it->first == a && it->second == b) ? it->composite : 0;
}

// NFC of a run of valid code points, appended to *out as UTF-8.
void NormalizeRun(const std::vector<uint32_t>& run, std::string* out) {
  std::vector<uint32_t> d;
  d.reserve(run.size() * 2);
  for (uint32_t cp : run) Decompose(cp, &d);
  // Canonical ordering: stable sort of each run of non-starters by combining class.
  for (size_t i = 0; i < d.size();) {
    if (CombiningClass(d[i]) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < d.size() && CombiningClass(d[j]) != 0) ++j;
    std::stable_sort(d.begin() + i, d.begin() + j,
                     [](uint32_t x, uint32_t y) { return CombiningClass(x) < CombiningClass(y); });
    i = j;
  }
  // Canonical composition.
  std::vector<uint32_t> result;
  result.reserve(d.size());
  bool have_starter = false;
  size_t starter = 0;
  for (uint32_t cp : d) {
    const uint32_t ccc = CombiningClass(cp);
    if (have_starter) {
      const bool adjacent = result.size() == starter + 1;
      const uint32_t last_ccc = CombiningClass(result.back());
      if (adjacent || (last_ccc != 0 && last_ccc < ccc)) {
        if (const uint32_t composite = Compose(result[starter], cp); composite != 0) {
          result[starter] = composite;
          continue;
        }
      }
    }
    if (ccc == 0) {
      have_starter = true;
      starter = result.size();
    }
    result.push_back(cp);
  }
  for (uint32_t cp : result) AppendUtf8(cp, out);
}

// Which code points are "stable" for NFC: starters that have no canonical decomposition (or
// only the algorithmic Hangul one, which recomposes to itself) and never compose with the
// character before them. NFC never changes a stable code point, and nothing before one can
// interact with anything after it.
class NfcStability {
 public:
  static const NfcStability& Get() {
    static const NfcStability* table = new NfcStability();
    return *table;
  }
  bool IsStable(uint32_t cp) const {
    if (cp < 0x300) return true;
    return cp > 0x10FFFF || !((unstable_[cp >> 6] >> (cp & 63)) & 1);
  }

 private:
  NfcStability() : unstable_((0x110000 >> 6), 0) {
    const auto mark = [&](uint32_t cp) { unstable_[cp >> 6] |= uint64_t{1} << (cp & 63); };
    for (size_t i = 0; i < unicode_data::kCombiningClassRangesSize; ++i) {
      const auto& r = unicode_data::kCombiningClassRanges[i];
      for (uint32_t cp = r.first; cp <= r.last; ++cp) mark(cp);
    }
    for (size_t i = 0; i < unicode_data::kCanonicalDecompositionsSize; ++i) {
      mark(unicode_data::kCanonicalDecompositions[i].code_point);
    }
    for (size_t i = 0; i < unicode_data::kCanonicalCompositionsSize; ++i) {
      mark(unicode_data::kCanonicalCompositions[i].second);
    }
    for (uint32_t cp = kHangulVBase; cp < kHangulVBase + kHangulVCount; ++cp) mark(cp);
    for (uint32_t cp = kHangulTBase + 1; cp < kHangulTBase + kHangulTCount; ++cp) mark(cp);
  }
  std::vector<uint64_t> unstable_;  // one bit per code point
};

}  // namespace

uint32_t DecodeUtf8At(std::string_view text, size_t pos, size_t* length) {
  uint32_t cp = 0;
  const size_t n = ValidSequenceAt(text, pos, &cp);
  if (n == 0) {
    *length = 1;
    return kReplacementChar;
  }
  *length = n;
  return cp;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool IsValidUtf8(std::string_view text) {
  for (size_t pos = 0; pos < text.size();) {
    uint32_t cp;
    const size_t n = ValidSequenceAt(text, pos, &cp);
    if (n == 0) return false;
    pos += n;
  }
  return true;
}

std::string Utf8Lossy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (size_t pos = 0; pos < bytes.size();) {
    uint32_t cp;
    const size_t n = ValidSequenceAt(bytes, pos, &cp);
    if (n != 0) {
      out.append(bytes.substr(pos, n));
      pos += n;
    } else {
      AppendUtf8(kReplacementChar, &out);
      pos += IllFormedPrefixLength(bytes, pos);
    }
  }
  return out;
}

bool IsLetter(uint32_t cp) {
  if (cp < 0x80) return (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z';
  return InRanges(unicode_data::kLetterRanges, unicode_data::kLetterRangesSize, cp);
}

bool IsNumber(uint32_t cp) {
  if (cp < 0x80) return cp >= '0' && cp <= '9';
  return InRanges(unicode_data::kNumberRanges, unicode_data::kNumberRangesSize, cp);
}

bool IsWhiteSpace(uint32_t cp) {
  // The White_Space property has been stable since Unicode 6.3.
  switch (cp) {
    case 0x09:
    case 0x0A:
    case 0x0B:
    case 0x0C:
    case 0x0D:
    case 0x20:
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

uint32_t CombiningClass(uint32_t cp) {
  if (cp < 0x300) return 0;
  using unicode_data::CombiningClassRange;
  const CombiningClassRange* begin = unicode_data::kCombiningClassRanges;
  const CombiningClassRange* end = begin + unicode_data::kCombiningClassRangesSize;
  const CombiningClassRange* it = std::upper_bound(
      begin, end, cp, [](uint32_t v, const CombiningClassRange& r) { return v < r.first; });
  if (it == begin) return 0;
  --it;
  return cp <= it->last ? it->combining_class : 0;
}

std::string NormalizeNfc(std::string_view text) {
  // Code points below U+0300 are all starters without singleton or excluded decompositions, so
  // text made only of them is already in NFC. UTF-8 lead bytes below 0xCC encode exactly those.
  if (std::all_of(text.begin(), text.end(),
                  [](char c) { return static_cast<uint8_t>(c) < 0xCC; })) {
    return std::string(text);
  }
  // NFC of the text is the NFC of its blocks, each block starting at a "stable" code point (see
  // NfcStability); blocks with no unstable code point are copied as they are.
  const NfcStability& stability = NfcStability::Get();
  std::string out;
  out.reserve(text.size());
  std::vector<uint32_t> run;
  size_t block_start = 0;
  bool dirty = false;
  const auto flush = [&](size_t end) {
    if (!dirty) {
      out.append(text.substr(block_start, end - block_start));
      return;
    }
    run.clear();
    for (size_t pos = block_start; pos < end;) {
      size_t length;
      run.push_back(DecodeUtf8At(text, pos, &length));
      pos += length;
    }
    NormalizeRun(run, &out);
  };
  for (size_t pos = 0; pos < text.size();) {
    uint32_t cp;
    const size_t n = ValidSequenceAt(text, pos, &cp);
    if (n == 0) {
      // An invalid byte ends the block and is copied through unchanged.
      flush(pos);
      out.push_back(text[pos]);
      ++pos;
      block_start = pos;
      dirty = false;
      continue;
    }
    if (stability.IsStable(cp)) {
      flush(pos);
      block_start = pos;
      dirty = false;
    } else {
      dirty = true;
    }
    pos += n;
  }
  flush(text.size());
  return out;
}

}  // namespace rlvr
