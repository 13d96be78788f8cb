#include "core/tokenizer.h"

#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/json.h"
#include "core/unicode_text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rlvr {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string kFixtureDir = std::string(RLVR_SOURCE_DIR) + "/tests/core/fixtures/tokenizer/";

struct Case {
  std::string text;
  std::vector<int32_t> ids;
  std::string decoded;
  std::string decoded_skip_special;
};

std::vector<Case> LoadCases(const JsonValue& expected) {
  std::vector<Case> cases;
  for (const JsonValue& c : expected.Find("cases")->array()) {
    Case out;
    out.text = c.Find("text")->string();
    for (const JsonValue& id : c.Find("ids")->array()) {
      out.ids.push_back(static_cast<int32_t>(id.integer()));
    }
    out.decoded = c.Find("decoded")->string();
    out.decoded_skip_special = c.Find("decoded_skip_special")->string();
    cases.push_back(std::move(out));
  }
  return cases;
}

JsonValue LoadJson(const std::string& name) {
  absl::StatusOr<std::string> text = ReadFile(kFixtureDir + name);
  EXPECT_TRUE(text.ok()) << text.status();
  absl::StatusOr<JsonValue> json = ParseJson(text.ok() ? *text : "null");
  EXPECT_TRUE(json.ok()) << json.status();
  return json.ok() ? *std::move(json) : JsonValue();
}

std::string Shorten(const std::string& text) {
  return text.size() <= 80 ? text : text.substr(0, 80) + "...";
}

// Checks every case of a fixture: the same ids as `tokenizers`, the same decoded text, and
// decode(encode(x)) == x whenever `tokenizers` round-trips x too. Returns how many cases
// round-tripped exactly.
int ExpectParity(const Tokenizer& tokenizer, const std::vector<Case>& cases) {
  int exact_round_trips = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE("text: " + Shorten(c.text));
    const std::vector<int32_t> ids = tokenizer.Encode(c.text);
    EXPECT_EQ(ids, c.ids);
    EXPECT_EQ(tokenizer.Decode(c.ids), c.decoded);
    EXPECT_EQ(tokenizer.Decode(c.ids, /*skip_special_tokens=*/true), c.decoded_skip_special);
    if (c.decoded == c.text) {
      EXPECT_EQ(tokenizer.Decode(ids), c.text);
      ++exact_round_trips;
    }
  }
  return exact_round_trips;
}

class Qwen2TokenizerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<Tokenizer>> t =
        Tokenizer::FromFile(kFixtureDir + "qwen2_tokenizer.json");
    ASSERT_TRUE(t.ok()) << t.status();
    tokenizer_ = t->release();
  }
  static void TearDownTestSuite() {
    delete tokenizer_;
    tokenizer_ = nullptr;
  }
  static const Tokenizer* tokenizer_;
};
const Tokenizer* Qwen2TokenizerTest::tokenizer_ = nullptr;

TEST_F(Qwen2TokenizerTest, EveryCorpusEntryMatchesHuggingFaceIds) {
  ASSERT_NE(tokenizer_, nullptr);
  const std::vector<Case> cases = LoadCases(LoadJson("qwen2_expected.json"));
  ASSERT_GE(cases.size(), 50u);
  const int round_trips = ExpectParity(*tokenizer_, cases);
  // Only the entries that are not in NFC may decode to something else.
  EXPECT_GE(round_trips, static_cast<int>(cases.size()) - 4);
}

TEST_F(Qwen2TokenizerTest, RandomTrickyStringsMatchHuggingFaceIds) {
  ASSERT_NE(tokenizer_, nullptr);
  const std::vector<Case> cases = LoadCases(LoadJson("qwen2_random_expected.json"));
  ASSERT_GE(cases.size(), 400u);
  // Combining marks after letters are recomposed by NFC, so not every entry round-trips.
  EXPECT_GE(ExpectParity(*tokenizer_, cases), 350);
}

// FNV-1a 64 over (id + 1), as the fixture script computes it.
std::string IdsHash(const std::vector<int32_t>& ids) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (int32_t id : ids) h = (h ^ static_cast<uint64_t>(id + 1)) * 0x100000001B3ull;
  char buffer[17];
  std::snprintf(buffer, sizeof(buffer), "%016llx", static_cast<unsigned long long>(h));
  return buffer;
}

TEST_F(Qwen2TokenizerTest, SharedDataTextMatchesHuggingFaceIds) {
  ASSERT_NE(tokenizer_, nullptr);
  const JsonValue expected = LoadJson("qwen2_shared_data_expected.json");
  int checked = 0;
  for (const JsonValue& file : expected.Find("files")->array()) {
    const std::string name = file.Find("file")->string();
    const std::string path = std::string(RLVR_SHARED_DATA_DIR) + "/" + name;
    absl::StatusOr<std::string> data = ReadFile(path);
    if (!data.ok()) GTEST_SKIP() << "shared data not available: " << data.status();
    ASSERT_EQ(static_cast<int64_t>(data->size()), file.Find("bytes")->integer())
        << path << " changed; regenerate the fixture with tests/core/make_tokenizer_fixture.py";
    std::vector<std::string> lines = {""};  // lines[i] is line i (1-based)
    for (size_t start = 0; start < data->size();) {
      size_t end = data->find('\n', start);
      if (end == std::string::npos) end = data->size();
      lines.push_back(data->substr(start, end - start));
      start = end + 1;
    }
    for (const JsonValue& entry : file.Find("entries")->array()) {
      const int64_t line = entry.Find("line")->integer();
      const std::string field = entry.Find("field")->string();
      ASSERT_LT(line, static_cast<int64_t>(lines.size()));
      absl::StatusOr<JsonValue> record = ParseJson(lines[line]);
      ASSERT_TRUE(record.ok()) << name << ":" << line << ": " << record.status();
      absl::StatusOr<std::string> text = record->GetString(field);
      ASSERT_TRUE(text.ok()) << name << ":" << line << ": " << text.status();
      const std::vector<int32_t> ids = tokenizer_->Encode(*text);
      EXPECT_EQ(static_cast<int64_t>(ids.size()), entry.Find("count")->integer())
          << name << ":" << line << " " << field;
      EXPECT_EQ(IdsHash(ids), entry.Find("hash")->string()) << name << ":" << line << " " << field;
      EXPECT_EQ(tokenizer_->Decode(ids), *text) << name << ":" << line << " " << field;
      ++checked;
    }
  }
  EXPECT_GT(checked, 5000);
}

TEST_F(Qwen2TokenizerTest, VocabularyAndSpecialTokens) {
  ASSERT_NE(tokenizer_, nullptr);
  EXPECT_EQ(tokenizer_->vocab_size(), 151669);
  EXPECT_EQ(tokenizer_->TokenToId("<|endoftext|>"), 151643);
  EXPECT_EQ(tokenizer_->TokenToId("<|im_end|>"), 151645);
  EXPECT_EQ(tokenizer_->TokenToId("<think>"), 151667);
  EXPECT_EQ(tokenizer_->TokenToId("!"), 0);
  EXPECT_EQ(tokenizer_->TokenToId("Ġthe"), tokenizer_->Encode(" the")[0]);
  EXPECT_EQ(tokenizer_->IdToToken(151644), "<|im_start|>");
  EXPECT_EQ(tokenizer_->IdToToken(151669), std::nullopt);
  EXPECT_TRUE(tokenizer_->IsSpecial(151645));
  EXPECT_FALSE(tokenizer_->IsSpecial(151667));  // <think> is an ordinary added token
  EXPECT_FALSE(tokenizer_->IsSpecial(0));
  EXPECT_FALSE(tokenizer_->IsSpecial(-1));
}

TEST_F(Qwen2TokenizerTest, AddedTokensAreNeverSplitAndSkippedOnlyWhenSpecial) {
  ASSERT_NE(tokenizer_, nullptr);
  const std::vector<int32_t> ids = tokenizer_->Encode("<|im_start|>hi<think>x</think><|im_end|>");
  ASSERT_GE(ids.size(), 5u);
  EXPECT_EQ(ids.front(), 151644);
  EXPECT_EQ(ids.back(), 151645);
  EXPECT_EQ(tokenizer_->Decode(ids, /*skip_special_tokens=*/true), "hi<think>x</think>");
}

TEST_F(Qwen2TokenizerTest, InvalidUtf8RoundTripsAsBytes) {
  ASSERT_NE(tokenizer_, nullptr);
  const std::string bytes = std::string("ok \xff\xfe broken \xe2\x82 end\x80", 20);
  const std::vector<int32_t> ids = tokenizer_->Encode(bytes);
  EXPECT_EQ(tokenizer_->DecodeBytes(ids), bytes);
  EXPECT_EQ(tokenizer_->Decode(ids), Utf8Lossy(bytes));
}

TEST_F(Qwen2TokenizerTest, DecodeSkipsUnknownIds) {
  ASSERT_NE(tokenizer_, nullptr);
  const std::vector<int32_t> hello = tokenizer_->Encode("hello");
  std::vector<int32_t> ids = {-5, 999999999};
  ids.insert(ids.end(), hello.begin(), hello.end());
  EXPECT_EQ(tokenizer_->Decode(ids), "hello");
}

TEST(TokenizerRolesTest, RolesComeFromTokenizerConfig) {
  absl::StatusOr<std::unique_ptr<Tokenizer>> t =
      Tokenizer::FromFile(kFixtureDir + "char_tokenizer.json");
  ASSERT_TRUE(t.ok()) << t.status();
  Tokenizer& tokenizer = **t;
  EXPECT_EQ(tokenizer.SpecialTokenId("unk"), 0);  // from the model's unk_token
  EXPECT_EQ(tokenizer.SpecialTokenId("eos"), std::nullopt);
  ASSERT_TRUE(tokenizer
                  .LoadTokenizerConfig(R"({"eos_token": "<|endoftext|>",
                      "pad_token": {"content": "<|pad|>", "lstrip": false}, "bos_token": null})")
                  .ok());
  EXPECT_EQ(tokenizer.SpecialTokenId("eos"), 1);
  EXPECT_EQ(tokenizer.SpecialTokenId("pad"), 2);
  EXPECT_EQ(tokenizer.SpecialTokenId("bos"), std::nullopt);
  ASSERT_TRUE(tokenizer.SetSpecialTokenRole("answer_start", "<answer>").ok());
  EXPECT_EQ(tokenizer.SpecialTokenId("answer_start"), tokenizer.TokenToId("<answer>"));
  absl::Status missing = tokenizer.SetSpecialTokenRole("eos", "<|im_end|>");
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.message(), HasSubstr("<|im_end|>"));
  EXPECT_FALSE(tokenizer.LoadTokenizerConfig(R"({"eos_token": 3})").ok());
  EXPECT_FALSE(tokenizer.LoadTokenizerConfig("{").ok());
}

CharLevelTokenizerSpec SpecFromJson(const JsonValue& spec) {
  CharLevelTokenizerSpec out;
  const auto list = [&](const char* key) {
    std::vector<std::string> items;
    for (const JsonValue& v : spec.Find(key)->array()) items.push_back(v.string());
    return items;
  };
  out.special_tokens = list("special_tokens");
  out.tag_tokens = list("tag_tokens");
  out.characters = list("characters");
  out.words = list("words");
  out.unk_token = spec.Find("unk_token")->string();
  return out;
}

TEST(CharLevelTokenizerTest, BuiltJsonIsTheFileTokenizersLoaded) {
  const JsonValue expected = LoadJson("char_expected.json");
  absl::StatusOr<std::string> built =
      BuildCharLevelTokenizerJson(SpecFromJson(*expected.Find("spec")));
  ASSERT_TRUE(built.ok()) << built.status();
  absl::StatusOr<JsonValue> built_json = ParseJson(*built);
  ASSERT_TRUE(built_json.ok()) << built_json.status();
  EXPECT_EQ(built_json->Serialize(), LoadJson("char_tokenizer.json").Serialize());
}

TEST(CharLevelTokenizerTest, MatchesHuggingFaceIds) {
  const JsonValue expected = LoadJson("char_expected.json");
  absl::StatusOr<std::string> built =
      BuildCharLevelTokenizerJson(SpecFromJson(*expected.Find("spec")));
  ASSERT_TRUE(built.ok()) << built.status();
  absl::StatusOr<std::unique_ptr<Tokenizer>> tokenizer = Tokenizer::FromJson(*built);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
  const std::vector<Case> cases = LoadCases(expected);
  ASSERT_GE(cases.size(), 8u);
  EXPECT_GE(ExpectParity(**tokenizer, cases), 6);
  EXPECT_EQ((*tokenizer)->TokenToId("answer"), (*tokenizer)->Encode("answer")[0]);
  EXPECT_TRUE((*tokenizer)->IsSpecial(*(*tokenizer)->TokenToId("<|pad|>")));
  EXPECT_FALSE((*tokenizer)->IsSpecial(*(*tokenizer)->TokenToId("<think>")));
}

TEST(CharLevelTokenizerTest, ConfigJsonIsTheFileTransformersLoaded) {
  SpecialTokenRoleNames roles;
  roles.eos = "<|endoftext|>";
  roles.pad = "<|pad|>";
  roles.unk = "<unk>";
  const std::string config = BuildTokenizerConfigJson(roles);
  absl::StatusOr<JsonValue> parsed = ParseJson(config);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->Serialize(), LoadJson("char_tokenizer_config.json").Serialize());

  absl::StatusOr<std::unique_ptr<Tokenizer>> t =
      Tokenizer::FromFile(kFixtureDir + "char_tokenizer.json");
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_TRUE((*t)->LoadTokenizerConfig(config).ok());
  EXPECT_EQ((*t)->SpecialTokenId("eos"), (*t)->TokenToId("<|endoftext|>"));
  EXPECT_EQ((*t)->SpecialTokenId("pad"), (*t)->TokenToId("<|pad|>"));
  EXPECT_EQ((*t)->SpecialTokenId("bos"), std::nullopt);
}

TEST(CharLevelTokenizerTest, RejectsBadSpecs) {
  CharLevelTokenizerSpec spec;
  spec.characters = {"a", "b"};
  EXPECT_TRUE(BuildCharLevelTokenizerJson(spec).ok());
  spec.characters = {"a", "ab"};
  EXPECT_THAT(BuildCharLevelTokenizerJson(spec).status().message(), HasSubstr("one character"));
  spec.characters = {"a", "a"};
  EXPECT_THAT(BuildCharLevelTokenizerJson(spec).status().message(), HasSubstr("twice"));
  spec.characters = {"a"};
  spec.words = {"two words"};
  EXPECT_THAT(BuildCharLevelTokenizerJson(spec).status().message(), HasSubstr("A-Z"));
  spec.words = {};
  spec.tag_tokens = {""};
  EXPECT_FALSE(BuildCharLevelTokenizerJson(spec).ok());
}

TEST(AddedTokenFlagsTest, LstripRstripSingleWordMatchHuggingFace) {
  absl::StatusOr<std::unique_ptr<Tokenizer>> tokenizer =
      Tokenizer::FromFile(kFixtureDir + "added_flags_tokenizer.json");
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
  const std::vector<Case> cases = LoadCases(LoadJson("added_flags_expected.json"));
  ASSERT_GE(cases.size(), 5u);
  ExpectParity(**tokenizer, cases);
}

// A small byte-level tokenizer written by hand, for the format and error tests.
std::string ByteLevelJson(const std::string& merges, const std::string& extra_vocab = "",
                          const std::string& model_type = "BPE",
                          const std::string& normalizer = "null",
                          const std::string& post_processor = "null") {
  std::string vocab;
  const ByteLevelAlphabet& alphabet = ByteLevelAlphabet::Get();
  for (int b = 0; b < 256; ++b) {
    vocab += JsonQuote(alphabet.Encode(static_cast<uint8_t>(b))) + ":" + std::to_string(b) + ",";
  }
  vocab += R"("ab":256,"abc":257,"bc":258)" + extra_vocab;
  return R"({"version":"1.0","added_tokens":[{"id":259,"content":"<eos>","special":true,)"
         R"("lstrip":false,"rstrip":false,"single_word":false,"normalized":false}],)"
         R"("normalizer":)" +
         normalizer +
         R"(,"pre_tokenizer":{"type":"Sequence","pretokenizers":[{"type":"Split","pattern":)"
         R"({"Regex":"\\S+|\\s+"},"behavior":"Isolated","invert":false},{"type":"ByteLevel",)"
         R"("add_prefix_space":false,"trim_offsets":false,"use_regex":false}]},)"
         R"("post_processor":)" +
         post_processor +
         R"(,"decoder":{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":false,)"
         R"("use_regex":false},"model":{"type":")" +
         model_type + R"(","dropout":null,"unk_token":null,"vocab":{)" + vocab + R"(},"merges":)" +
         merges + "}}";
}

TEST(TokenizerFormatTest, MergesAsStringsAndAsPairsAreTheSame) {
  auto as_strings = Tokenizer::FromJson(ByteLevelJson(R"(["a b","ab c","b c"])"));
  auto as_pairs = Tokenizer::FromJson(ByteLevelJson(R"([["a","b"],["ab","c"],["b","c"]])"));
  ASSERT_TRUE(as_strings.ok()) << as_strings.status();
  ASSERT_TRUE(as_pairs.ok()) << as_pairs.status();
  // Byte b has id b here; the space is written as "Ġ" in the byte alphabet.
  EXPECT_EQ((*as_strings)->TokenToId("Ġ"), ' ');
  EXPECT_THAT((*as_strings)->Encode("abc xbc"), ElementsAre(257, ' ', 'x', 258));
  EXPECT_EQ((*as_strings)->Encode("abcab bc<eos>"), (*as_pairs)->Encode("abcab bc<eos>"));
  EXPECT_EQ((*as_pairs)->Decode((*as_pairs)->Encode("abcab bc<eos>")), "abcab bc<eos>");
}

TEST(TokenizerFormatTest, MergeRankOrderDecides) {
  // "b c" ranks before "a b", so "abc" becomes a + bc, not ab + c.
  auto t = Tokenizer::FromJson(ByteLevelJson(R"(["b c","a b","ab c"])"));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT((*t)->Encode("abc"), ElementsAre(*(*t)->TokenToId("a"), 258));
}

TEST(TokenizerFormatTest, TemplatePostProcessorAddsTokensOnRequest) {
  auto t = Tokenizer::FromJson(ByteLevelJson(
      R"(["a b"])", "", "BPE", "null",
      R"({"type":"TemplateProcessing","single":[{"Sequence":{"id":"A","type_id":0}},)"
      R"({"SpecialToken":{"id":"<eos>","type_id":0}}],"pair":[],)"
      R"("special_tokens":{"<eos>":{"id":"<eos>","ids":[259],"tokens":["<eos>"]}}})"));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT((*t)->Encode("ab", /*add_special_tokens=*/true), ElementsAre(256, 259));
  EXPECT_THAT((*t)->Encode("ab", /*add_special_tokens=*/false), ElementsAre(256));
}

TEST(TokenizerFormatTest, AnyBytesRoundTripThroughByteLevelModel) {
  auto t = Tokenizer::FromJson(ByteLevelJson(R"(["a b","ab c","b c"])"));
  ASSERT_TRUE(t.ok()) << t.status();
  std::mt19937 rng(7);
  for (int i = 0; i < 200; ++i) {
    std::string bytes(rng() % 40, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() % 8 == 0 ? "abc <>"[rng() % 6] : rng());
    EXPECT_EQ((*t)->DecodeBytes((*t)->Encode(bytes)), bytes);
  }
}

TEST(TokenizerFormatTest, ConcurrentEncodesAgree) {
  absl::StatusOr<std::unique_ptr<Tokenizer>> t =
      Tokenizer::FromFile(kFixtureDir + "char_tokenizer.json");
  ASSERT_TRUE(t.ok()) << t.status();
  const Tokenizer& tokenizer = **t;
  std::vector<std::string> texts;
  for (int i = 0; i < 64; ++i) {
    texts.push_back("<think>Let the numbers be " + std::to_string(i * 37) + " and so on" +
                    std::string(i % 7, ' ') + "word" + std::to_string(i % 5) + "</think>");
  }
  std::vector<std::vector<int32_t>> expected;
  for (const std::string& text : texts) expected.push_back(tokenizer.Encode(text));
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&, w] {
      for (int round = 0; round < 50; ++round) {
        for (size_t i = 0; i < texts.size(); ++i) {
          if (tokenizer.Encode(texts[(i + w) % texts.size()]) != expected[(i + w) % texts.size()]) {
            ++mismatches[w];
          }
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_THAT(mismatches, ElementsAre(0, 0, 0, 0));
}

TEST(TokenizerErrorTest, TruncatedFilesAreErrorsNotCrashes) {
  absl::StatusOr<std::string> text = ReadFile(kFixtureDir + "char_tokenizer.json");
  ASSERT_TRUE(text.ok()) << text.status();
  for (size_t length = 0; length < text->size(); length += 7) {
    EXPECT_FALSE(Tokenizer::FromJson(text->substr(0, length)).ok()) << length;
  }
  EXPECT_TRUE(Tokenizer::FromJson(*text).ok());
}

TEST(TokenizerErrorTest, MalformedJsonIsRejected) {
  auto t = Tokenizer::FromJson(R"({"model": {"type": "BPE", )");
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.status().message(), HasSubstr("not valid JSON"));
  EXPECT_FALSE(Tokenizer::FromJson("[]").ok());
  EXPECT_THAT(Tokenizer::FromJson("{}").status().message(), HasSubstr("model"));
}

TEST(TokenizerErrorTest, MissingFileNamesThePath) {
  auto t = Tokenizer::FromFile(kFixtureDir + "no_such_tokenizer.json");
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.status().message(), HasSubstr("no_such_tokenizer.json"));
}

TEST(TokenizerErrorTest, UnknownModelTypeIsRejected) {
  auto t = Tokenizer::FromJson(ByteLevelJson("[]", "", "Unigram"));
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.status().message(), HasSubstr("unsupported model type \"Unigram\""));
}

TEST(TokenizerErrorTest, MergeWithUnknownTokenIsRejected) {
  auto t = Tokenizer::FromJson(ByteLevelJson(R"(["a b","ab zz"])"));
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.status().message(), HasSubstr("merge 1"));
  EXPECT_THAT(t.status().message(), HasSubstr("not in the vocabulary"));
  // The merged token must exist too.
  EXPECT_FALSE(Tokenizer::FromJson(ByteLevelJson(R"(["c a"])")).ok());
  // A string merge must be exactly two tokens.
  EXPECT_THAT(Tokenizer::FromJson(ByteLevelJson(R"(["a b c"])")).status().message(),
              HasSubstr("model.merges[0]"));
}

TEST(TokenizerErrorTest, UnsupportedComponentsAreRejectedNotIgnored) {
  EXPECT_THAT(
      Tokenizer::FromJson(ByteLevelJson("[]", "", "BPE", R"({"type":"NFKC"})")).status().message(),
      HasSubstr("unsupported normalizer type \"NFKC\""));
  EXPECT_THAT(
      Tokenizer::FromJson(ByteLevelJson("[]", "", "BPE", "null", R"({"type":"BertProcessing"})"))
          .status()
          .message(),
      HasSubstr("BertProcessing"));
  std::string json = ByteLevelJson("[]");
  const std::string split = R"(\\S+|\\s+)";
  json.replace(json.find(split), split.size(), R"(\\s+(?!\\S))");
  EXPECT_THAT(Tokenizer::FromJson(json).status().message(), HasSubstr("RE2"));
  json = ByteLevelJson("[]");
  const std::string no_regex = R"("use_regex":false}]})";
  json.replace(json.find(no_regex), no_regex.size(), R"("use_regex":true}]})");
  EXPECT_THAT(Tokenizer::FromJson(json).status().message(), HasSubstr("use_regex"));
}

TEST(TokenizerErrorTest, BadIdsAreRejected) {
  EXPECT_THAT(Tokenizer::FromJson(ByteLevelJson("[]", R"(,"big":99999999999)")).status().message(),
              HasSubstr("token id"));
  EXPECT_FALSE(Tokenizer::FromJson(ByteLevelJson("[]", R"(,"neg":-1)")).ok());
}

}  // namespace
}  // namespace rlvr
