// The experiment configs shipped for R1-Zero runs: beyond parsing (the core config test loads
// every file in configs/), each one names verifiers that exist with options they accept, a
// template that exists, and (for generated data) a task the generator accepts.
#include <string>

#include "absl/strings/str_cat.h"
#include "core/config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rlvr/v1/config.pb.h"
#include "trainer/prompt_template.h"
#include "trainer/task_synthetic.h"
#include "verifiers/registry.h"

namespace rlvr {
namespace {

std::string ConfigPath(const std::string& name) {
  return absl::StrCat(RLVR_SOURCE_DIR, "/configs/", name);
}

void ExpectRunnable(const std::string& name) {
  SCOPED_TRACE(name);
  v1::ExperimentConfig config;
  absl::Status st = LoadConfig(ConfigPath(name), {}, &config);
  ASSERT_TRUE(st.ok()) << st;
  VerifierRegistry registry;
  ASSERT_TRUE(RegisterBuiltinVerifiers(&registry, nullptr).ok());
  ASSERT_GE(config.reward().verifiers_size(), 2);
  bool has_format = false;
  for (const v1::VerifierSpec& spec : config.reward().verifiers()) {
    VerifierOptions options(spec.options().begin(), spec.options().end());
    EXPECT_TRUE(registry.Create(spec.name(), options).ok()) << spec.name();
    has_format |= spec.name() == "format";
  }
  EXPECT_TRUE(has_format) << "R1-Zero rewards format";
  EXPECT_TRUE(PromptFormatter::Create(config.data().template_()).ok());
  EXPECT_EQ(config.data().template_().name(), "r1_zero");
  EXPECT_FALSE(config.data().train().path().empty());
  EXPECT_FALSE(config.data().eval().path().empty());
  EXPECT_GT(config.eval().every_steps(), 0);
  EXPECT_EQ(config.algorithm().advantage(), v1::GRPO);
  EXPECT_GT(config.schedule().steps(), 0);
}

TEST(ShippedConfigs, R1ZeroTinyIsRunnable) { ExpectRunnable("r1zero_tiny.textproto"); }

TEST(ShippedConfigs, GpuConfigsAreRunnable) {
  for (const char* name : {"qwen2.5_0.5b_gsm8k.textproto", "qwen2.5_1.5b_gsm8k.textproto",
                           "qwen2.5_0.5b_math.textproto", "qwen2.5_1.5b_math.textproto",
                           "countdown_qwen2.5_1.5b.textproto"}) {
    ExpectRunnable(name);
  }
}

TEST(ShippedConfigs, DataGeneratorConfigsAreValid) {
  v1::PretrainConfig pretrain;
  ASSERT_TRUE(LoadConfig(ConfigPath("pretrain_tiny.textproto"), {}, &pretrain).ok());
  EXPECT_TRUE(MakeSyntheticTask(pretrain.data().task()).ok());
  EXPECT_LT(pretrain.data().corpus().worked_share(), pretrain.data().corpus().direct_share())
      << "worked solutions must be the exception";
  EXPECT_GT(pretrain.architecture().num_experts(), 1);
  EXPECT_GT(pretrain.architecture().shared_expert_intermediate_size(), 0);
  v1::DataGenConfig countdown;
  ASSERT_TRUE(LoadConfig(ConfigPath("countdown_data.textproto"), {}, &countdown).ok());
  EXPECT_TRUE(MakeSyntheticTask(countdown.task()).ok());
}

}  // namespace
}  // namespace rlvr
