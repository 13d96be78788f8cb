#include "tools/pretrain.h"

#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/tools/tiny_architecture.h"
#include "tools/evaluate.h"
#include "verifiers/extract.h"

namespace rlvr {
namespace {

namespace fs = std::filesystem;

// A model and corpus small enough to train for a few steps in a test.
v1::PretrainConfig TinyConfig(const fs::path& dir, uint64_t seed) {
  v1::PretrainConfig c;
  c.set_name("pretrain_test");
  c.set_seed(seed);
  c.mutable_data()->mutable_task()->set_family("addition");
  c.mutable_data()->mutable_task()->set_min_digits(2);
  c.mutable_data()->mutable_task()->set_max_digits(2);
  c.mutable_data()->mutable_corpus()->set_documents(200);
  c.mutable_data()->mutable_corpus()->set_direct_share(0.5);
  c.mutable_data()->mutable_corpus()->set_worked_share(0.2);
  c.mutable_data()->mutable_corpus()->set_scratch_share(0.3);
  c.mutable_data()->mutable_prompts()->set_train_examples(20);
  c.mutable_data()->mutable_prompts()->set_eval_examples(8);
  SetTinyArchitecture(c.mutable_architecture());
  c.mutable_optimizer()->set_learning_rate(1e-2);
  c.mutable_optimizer()->set_max_grad_norm(1.0);
  c.mutable_schedule()->set_steps(6);
  c.set_batch_size(2);
  c.set_sequence_length(256);
  c.set_num_threads(1);
  c.set_output_dir(dir.string());
  return c;
}

fs::path Scratch(const std::string& name) {
  const fs::path p = fs::path(testing::TempDir()) / absl::StrCat(name, "_", getpid());
  fs::remove_all(p);
  return p;
}

TEST(Pretrain, SameConfigGivesTheSameWeightsAndLossFalls) {
  const fs::path a = Scratch("pretrain_a"), b = Scratch("pretrain_b"), c = Scratch("pretrain_c");
  auto quiet = [](const std::string&) {};
  absl::StatusOr<PretrainResult> ra = RunPretrain(TinyConfig(a, 1), quiet);
  absl::StatusOr<PretrainResult> rb = RunPretrain(TinyConfig(b, 1), quiet);
  absl::StatusOr<PretrainResult> rc = RunPretrain(TinyConfig(c, 2), quiet);
  ASSERT_TRUE(ra.ok()) << ra.status();
  ASSERT_TRUE(rb.ok() && rc.ok());
  const std::string wa = *ReadFile((a / "model.safetensors").string());
  EXPECT_EQ(wa, *ReadFile((b / "model.safetensors").string()));
  EXPECT_NE(wa, *ReadFile((c / "model.safetensors").string()));
  EXPECT_EQ(ra->first_loss, rb->first_loss);
  EXPECT_LT(ra->final_loss, ra->first_loss);
  // A Hugging Face-layout folder: config.json of the MoE family, tokenizer files.
  absl::StatusOr<JsonValue> config = ParseJson(*ReadFile((a / "config.json").string()));
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(*config->GetString("model_type"), "qwen2_moe");
  EXPECT_EQ(*config->GetInt("num_experts"), 2);
  EXPECT_GT(*config->GetInt("shared_expert_intermediate_size"), 0);
  EXPECT_TRUE(fs::exists(a / "tokenizer.json"));
  EXPECT_TRUE(fs::exists(a / "tokenizer_config.json"));
  EXPECT_TRUE(fs::exists(a / "data" / "eval.jsonl"));

  // rlvr eval on that checkpoint: the accuracy it reports is the share of responses whose
  // <answer> block is the ground truth.
  v1::ExperimentConfig eval;
  eval.set_name("eval_test");
  eval.mutable_model()->set_path(a.string());
  eval.mutable_model()->set_num_threads(1);
  eval.mutable_tokenizer()->set_path((a / "tokenizer.json").string());
  eval.mutable_data()->mutable_eval()->set_path((a / "data" / "eval.jsonl").string());
  eval.mutable_data()->mutable_template_()->set_name("r1_zero");
  v1::VerifierSpec* acc = eval.mutable_reward()->add_verifiers();
  acc->set_name("exact_match");
  acc->set_component("accuracy");
  (*acc->mutable_options())["source"] = "answer_tag";
  eval.mutable_reward()->add_verifiers()->set_name("format");
  eval.mutable_eval()->mutable_sampling()->set_max_new_tokens(24);
  absl::StatusOr<EvalResult> result = EvaluateModel(eval);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->examples, 8);
  int correct = 0;
  for (const EvalSample& s : result->samples) {
    std::optional<std::string_view> answer = LastAnswerBlock(s.response);
    if (answer && TrimAscii(*answer) == s.ground_truth) ++correct;
  }
  EXPECT_DOUBLE_EQ(result->accuracy, correct / 8.0);
  EXPECT_GT(result->response_length_mean, 0);
  fs::remove_all(a);
  fs::remove_all(b);
  fs::remove_all(c);
}

TEST(Pretrain, BadArchitectureIsAnErrorNamingIt) {
  v1::PretrainConfig config = TinyConfig(Scratch("pretrain_bad"), 1);
  config.mutable_architecture()->set_num_attention_heads(3);
  absl::StatusOr<PretrainResult> r = RunPretrain(config, [](const std::string&) {});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), ::testing::HasSubstr("num_attention_heads"));
}

}  // namespace
}  // namespace rlvr
