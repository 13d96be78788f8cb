#include "core/json.h"

#include <string>

#include "gtest/gtest.h"

namespace rlvr {
namespace {

TEST(Json, ParsesNestedDocumentInFileOrder) {
  absl::StatusOr<JsonValue> v = ParseJson(R"({"b": [1, 2.5, -3e2], "a": {"x": null, "y": true}})");
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_TRUE(v->is_object());
  ASSERT_EQ(v->object().size(), 2u);
  EXPECT_EQ(v->object()[0].first, "b");
  const JsonValue& b = *v->Find("b");
  ASSERT_EQ(b.array().size(), 3u);
  EXPECT_TRUE(b.array()[0].is_integer());
  EXPECT_EQ(b.array()[0].integer(), 1);
  EXPECT_FALSE(b.array()[1].is_integer());
  EXPECT_DOUBLE_EQ(b.array()[1].number(), 2.5);
  EXPECT_DOUBLE_EQ(b.array()[2].number(), -300.0);
  EXPECT_TRUE(v->Find("a")->Find("x")->is_null());
  EXPECT_TRUE(v->Find("a")->Find("y")->bool_value());
}

TEST(Json, LargeIntegersStayExact) {
  absl::StatusOr<JsonValue> v = ParseJson("[9007199254740993, -9223372036854775808]");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->array()[0].integer(), 9007199254740993LL);
  EXPECT_EQ(v->array()[1].integer(), INT64_MIN);
}

TEST(Json, IntegerBeyondInt64BecomesDouble) {
  absl::StatusOr<JsonValue> v = ParseJson("99999999999999999999");
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->is_integer());
  EXPECT_DOUBLE_EQ(v->number(), 1e20);
}

TEST(Json, DecodesEscapesAndSurrogatePairs) {
  absl::StatusOr<JsonValue> v = ParseJson(R"("a\n\"\u00e9\ud83d\ude00\/")");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->string(), "a\n\"\xC3\xA9\xF0\x9F\x98\x80/");
}

TEST(Json, RejectsMalformedInputWithPosition) {
  for (const char* bad :
       {"", "{", "[1,]", "{\"a\":1,}", "01", "1.", "-", "tru", "\"\\x\"", "\"\\ud800\"",
        "\"\\udc00\"", "{\"a\" 1}", "[1] 2", "\"a\x01\"", "{\"a\":1,\"a\":2}", "'a'", "NaN"}) {
    absl::StatusOr<JsonValue> v = ParseJson(bad);
    EXPECT_FALSE(v.ok()) << "accepted: " << bad;
  }
  absl::StatusOr<JsonValue> v = ParseJson("{\n  \"a\": ]\n}");
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("2:8"), std::string::npos) << v.status();
}

TEST(Json, RejectsInvalidUtf8) {
  for (const std::string& bad :
       {std::string("\"\xC0\xAF\""), std::string("\"\xED\xA0\x80\""),
        std::string("\"\xF5\x80\x80\x80\""), std::string("\"\xE2\x82\"")}) {
    EXPECT_FALSE(ParseJson(bad).ok());
  }
}

TEST(Json, DeepNestingIsAnErrorNotACrash) {
  std::string deep(100000, '[');
  absl::StatusOr<JsonValue> v = ParseJson(deep);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("too deep"), std::string::npos);
}

TEST(Json, DuplicateKeysInLargeObjectsAreRejected) {
  std::string text = "{";
  for (int i = 0; i < 100; ++i) text += "\"k" + std::to_string(i) + "\":1,";
  text += "\"k7\":2}";
  EXPECT_FALSE(ParseJson(text).ok());
}

TEST(Json, SerializeRoundTrips) {
  const std::string text = R"({"s":"t\u0001\"\\é","n":[1,-2,0.5,1e+300],"o":{},"a":[],"z":null})";
  absl::StatusOr<JsonValue> v = ParseJson(text);
  ASSERT_TRUE(v.ok());
  absl::StatusOr<JsonValue> again = ParseJson(v->Serialize());
  ASSERT_TRUE(again.ok()) << v->Serialize();
  EXPECT_EQ(again->Serialize(), v->Serialize());
  EXPECT_EQ(v->Find("s")->string(), "t\x01\"\\\xC3\xA9");
}

TEST(Json, QuoteReplacesInvalidBytes) { EXPECT_EQ(JsonQuote("a\xFF"), "\"a\xEF\xBF\xBD\""); }

TEST(Json, TypedGettersNameTheKey) {
  absl::StatusOr<JsonValue> v = ParseJson(R"({"n": 1.5, "s": "x"})");
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->GetInt("n").ok());
  EXPECT_NE(v->GetString("n").status().message().find("'n'"), std::string::npos);
  EXPECT_EQ(v->GetString("missing").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(*v->GetString("s"), "x");
}

TEST(Json, ReadJsonlNamesTheBadLine) {
  const std::string path = testing::TempDir() + "/bad.jsonl";
  FILE* f = fopen(path.c_str(), "w");
  fputs("{\"a\":1}\n\n{\"a\":\n", f);
  fclose(f);
  absl::StatusOr<std::vector<JsonValue>> r = ReadJsonl(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("bad.jsonl:3"), std::string::npos) << r.status();
}

TEST(Json, ReadsTheSharedGsm8kCorpus) {
  absl::StatusOr<std::vector<JsonValue>> r =
      ReadJsonl(std::string(RLVR_SHARED_DATA_DIR) + "/gsm8k_test.jsonl");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->size(), 1319u);
  EXPECT_TRUE((*r)[0].Find("question")->is_string());
}

}  // namespace
}  // namespace rlvr
