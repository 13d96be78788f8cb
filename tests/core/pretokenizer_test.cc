#include "core/pretokenizer.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rlvr {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> Qwen2Pieces(std::string_view text) {
  std::vector<std::string_view> pieces;
  SplitQwen2(text, &pieces);
  return std::vector<std::string>(pieces.begin(), pieces.end());
}

// Expected pieces are what `tokenizers` (pre_tokenizer.pre_tokenize_str) gives for the Qwen2
// pattern; the full parity check over a corpus is in tokenizer_test.cc.
TEST(SplitQwen2Test, ContractionsLettersNumbersAndSymbols) {
  EXPECT_THAT(Qwen2Pieces("I'M don't 'sup"), ElementsAre("I", "'M", " don", "'t", " '", "sup"));
  EXPECT_THAT(Qwen2Pieces("x=123!"), ElementsAre("x", "=", "1", "2", "3", "!"));
  EXPECT_THAT(Qwen2Pieces("'\u017fx"), ElementsAre("'\u017f", "x"));  // long s folds to s
}

TEST(SplitQwen2Test, WhiteSpaceRuns) {
  EXPECT_THAT(Qwen2Pieces("a   b"), ElementsAre("a", "  ", " b"));
  EXPECT_THAT(Qwen2Pieces("a \n\n  b  "), ElementsAre("a", " \n\n", " ", " b", "  "));
  EXPECT_THAT(Qwen2Pieces("x;\r\n\ty"), ElementsAre("x", ";\r\n", "\ty"));
}

TEST(SplitQwen2Test, PiecesCoverTheInputExactly) {
  const std::string text = "mixed \xff\xfe bytes\t\t\n \u3000\u4f60\u597d 12 ...";
  std::string joined;
  for (const std::string& p : Qwen2Pieces(text)) {
    EXPECT_FALSE(p.empty());
    joined += p;
  }
  EXPECT_EQ(joined, text);
}

TEST(RegexSplitTest, IsolatedRemovedAndInvert) {
  const auto split = [](std::string_view pattern, SplitBehavior behavior, bool invert,
                        std::string_view text) {
    auto step = MakeRegexSplit(pattern, behavior, invert);
    EXPECT_TRUE(step.ok()) << step.status();
    std::vector<std::string_view> out;
    (*step)->Split(text, &out);
    return std::vector<std::string>(out.begin(), out.end());
  };
  EXPECT_THAT(split("[0-9]+", SplitBehavior::kIsolated, false, "ab12cd3"),
              ElementsAre("ab", "12", "cd", "3"));
  EXPECT_THAT(split("[0-9]+", SplitBehavior::kRemoved, false, "ab12cd3"), ElementsAre("ab", "cd"));
  EXPECT_THAT(split("[0-9]+", SplitBehavior::kRemoved, true, "ab12cd3"), ElementsAre("12", "3"));
  EXPECT_THAT(split("x*", SplitBehavior::kIsolated, false, "axxb"), ElementsAre("a", "xx", "b"));
  EXPECT_FALSE(MakeRegexSplit("a(?=b)", SplitBehavior::kIsolated, false).ok());
}

TEST(ByteLevelAlphabetTest, MapsEveryByteAndBack) {
  const ByteLevelAlphabet& alphabet = ByteLevelAlphabet::Get();
  EXPECT_EQ(alphabet.Encode(' '), "\u0120");
  EXPECT_EQ(alphabet.Encode('\n'), "\u010a");
  EXPECT_EQ(alphabet.Encode('A'), "A");
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  std::string back;
  ASSERT_TRUE(alphabet.Decode(alphabet.EncodeBytes(all), &back));
  EXPECT_EQ(back, all);
  EXPECT_FALSE(alphabet.Decode("\u4f60", &back));
}

}  // namespace
}  // namespace rlvr
