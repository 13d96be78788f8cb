#include "trainer/prompt_template.h"

#include "gtest/gtest.h"

namespace rlvr {
namespace {

TEST(PromptTemplateTest, R1ZeroTemplateWrapsThePrompt) {
  rlvr::v1::PromptTemplate t;
  t.set_name("r1_zero");
  auto f = PromptFormatter::Create(t);
  ASSERT_TRUE(f.ok());
  const std::string s = f->Format("What is 2+3?");
  EXPECT_EQ(s.rfind("A conversation between User and Assistant.", 0), 0u);
  const std::string tail = "User: What is 2+3?. Assistant:";
  ASSERT_GE(s.size(), tail.size());
  EXPECT_EQ(s.substr(s.size() - tail.size()), tail);
  EXPECT_NE(s.find("<think> reasoning process here </think> <answer> answer here </answer>"),
            std::string::npos);
}

TEST(PromptTemplateTest, ChatTemplateIsOneChatMlUserTurn) {
  rlvr::v1::PromptTemplate t;
  t.set_name("chat");
  auto f = PromptFormatter::Create(t);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->Format("hi"), "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
}

TEST(PromptTemplateTest, TextReplacesEveryPlaceholderAndKeepsOtherBraces) {
  rlvr::v1::PromptTemplate t;
  t.set_text("{x} {prompt} and {prompt}");
  t.set_name("chat");  // text wins
  auto f = PromptFormatter::Create(t);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->Format("P{prompt}"), "{x} P{prompt} and P{prompt}");
}

TEST(PromptTemplateTest, DefaultIsRaw) {
  auto f = PromptFormatter::Create(rlvr::v1::PromptTemplate());
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->Format("abc"), "abc");
}

TEST(PromptTemplateTest, BadTemplatesAreErrors) {
  rlvr::v1::PromptTemplate t;
  t.set_name("alpaca");
  EXPECT_FALSE(PromptFormatter::Create(t).ok());
  t.Clear();
  t.set_text("no placeholder");
  EXPECT_FALSE(PromptFormatter::Create(t).ok());
}

}  // namespace
}  // namespace rlvr
