#include "core/unicode_text.h"

#include <string>

#include "core/json.h"
#include "core/unicode_data.h"
#include "gtest/gtest.h"

namespace rlvr {
namespace {

// Expected values below come from Python's unicodedata and bytes.decode("utf-8", "replace").

TEST(UnicodeTextTest, NfcComposesReordersAndKeepsExclusions) {
  EXPECT_EQ(NormalizeNfc("e\u0301"), "\u00e9");
  EXPECT_EQ(NormalizeNfc("\u1100\u1161\u11a8"), "\uac01");  // Hangul jamo L V T
  EXPECT_EQ(NormalizeNfc("\u212b"), "\u00c5");              // singleton decomposition
  EXPECT_EQ(NormalizeNfc("a\u0323\u0307"), "\u1ea1\u0307");
  EXPECT_EQ(NormalizeNfc("q\u0307\u0323"), "q\u0323\u0307");  // canonical reordering
  EXPECT_EQ(NormalizeNfc("\u1e9b\u0323"), "\u1e9b\u0323");
  EXPECT_EQ(NormalizeNfc("\u0344"), "\u0308\u0301");         // excluded from composition
  EXPECT_EQ(NormalizeNfc("a\u0301\u0301"), "\u00e1\u0301");  // second mark is blocked
  EXPECT_EQ(NormalizeNfc("\u0915\u093c"), "\u0915\u093c");   // composition exclusion (U+0958)
}

TEST(UnicodeTextTest, NfcMatchesPythonUnicodedataOnRandomSequences) {
  absl::StatusOr<std::string> text =
      ReadFile(std::string(RLVR_SOURCE_DIR) + "/tests/core/fixtures/tokenizer/nfc_expected.json");
  ASSERT_TRUE(text.ok()) << text.status();
  absl::StatusOr<JsonValue> fixture = ParseJson(*text);
  ASSERT_TRUE(fixture.ok()) << fixture.status();
  EXPECT_EQ(fixture->Find("unicode_version")->string(), unicode_data::kUnicodeVersion);
  int changed = 0;
  for (const JsonValue& c : fixture->Find("cases")->array()) {
    const std::string& input = c.Find("text")->string();
    const std::string& nfc = c.Find("nfc")->string();
    EXPECT_EQ(NormalizeNfc(input), nfc) << "input: " << input;
    EXPECT_EQ(NormalizeNfc(nfc), nfc) << "input: " << nfc;  // NFC is idempotent
    changed += input != nfc;
  }
  EXPECT_GT(changed, 100);
}

TEST(UnicodeTextTest, NfcLeavesNormalizedTextAlone) {
  const std::string text = "plain ascii, caf\u00e9, \u4f60\u597d, \U0001F600, \uac01";
  EXPECT_EQ(NormalizeNfc(text), text);
  EXPECT_EQ(NormalizeNfc(""), "");
}

TEST(UnicodeTextTest, NfcCopiesInvalidBytesThrough) {
  const std::string text = std::string("e\xff\xcc\x81", 4);  // 'e', invalid byte, U+0301
  EXPECT_EQ(NormalizeNfc(text), text);
}

TEST(UnicodeTextTest, LossyDecodingReplacesMaximalIllFormedParts) {
  EXPECT_EQ(Utf8Lossy("\xe2\x82"), "\ufffd");
  EXPECT_EQ(Utf8Lossy("\xf0\x80"), "\ufffd\ufffd");
  EXPECT_EQ(Utf8Lossy("\xed\xa0\x80"), "\ufffd\ufffd\ufffd");  // surrogate
  EXPECT_EQ(Utf8Lossy("\xc0\xaf"), "\ufffd\ufffd");            // overlong
  EXPECT_EQ(Utf8Lossy("a\xf4\x90\x80\x80"
                      "b"),
            "a\ufffd\ufffd\ufffd\ufffdb");
  EXPECT_EQ(Utf8Lossy("\xe2\x82\xac"), "\u20ac");
  EXPECT_TRUE(IsValidUtf8("\xe2\x82\xac \U0010ffff"));
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));
}

TEST(UnicodeTextTest, CharacterClasses) {
  EXPECT_TRUE(IsLetter('a'));
  EXPECT_TRUE(IsLetter(0x4F60));   // CJK ideograph, Lo
  EXPECT_TRUE(IsLetter(0x02B0));   // modifier letter, Lm
  EXPECT_FALSE(IsLetter(0x0301));  // combining mark, Mn
  EXPECT_FALSE(IsLetter('1'));
  EXPECT_TRUE(IsNumber('7'));
  EXPECT_TRUE(IsNumber(0x0663));   // Arabic-Indic digit, Nd
  EXPECT_TRUE(IsNumber(0x2162));   // Roman numeral, Nl
  EXPECT_TRUE(IsNumber(0x00BD));   // vulgar fraction, No
  EXPECT_FALSE(IsNumber(0x4E00));  // CJK "one" is a letter
  EXPECT_TRUE(IsWhiteSpace(0x3000));
  EXPECT_TRUE(IsWhiteSpace(0x0085));
  EXPECT_FALSE(IsWhiteSpace(0x200B));  // zero width space is not White_Space
  EXPECT_FALSE(IsWhiteSpace(0xFEFF));
  EXPECT_EQ(CombiningClass(0x0301), 230u);
  EXPECT_EQ(CombiningClass(0x0323), 220u);
  EXPECT_EQ(CombiningClass('a'), 0u);
}

TEST(UnicodeTextTest, TablesAreSortedAndDisjoint) {
  using namespace unicode_data;  // NOLINT
  for (size_t i = 1; i < kLetterRangesSize; ++i) {
    EXPECT_GT(kLetterRanges[i].first, kLetterRanges[i - 1].last);
  }
  for (size_t i = 1; i < kNumberRangesSize; ++i) {
    EXPECT_GT(kNumberRanges[i].first, kNumberRanges[i - 1].last);
  }
  for (size_t i = 1; i < kCanonicalDecompositionsSize; ++i) {
    EXPECT_GT(kCanonicalDecompositions[i].code_point, kCanonicalDecompositions[i - 1].code_point);
  }
}

}  // namespace
}  // namespace rlvr
