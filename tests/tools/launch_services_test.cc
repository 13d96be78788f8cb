// `rlvr launch` with the real rlvr-sandbox, rlvr-rollout and rlvr-trainer on a tiny model
// pretrained here: the shortened pipeline, from base model to report.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/tools/tiny_architecture.h"
#include "tools/launcher.h"
#include "tools/pretrain.h"

namespace rlvr {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

TEST(LaunchServices, TinyRunGoesFromBaseModelToReport) {
  const fs::path root = fs::path(testing::TempDir()) / absl::StrCat("launch_e2e_", getpid());
  fs::remove_all(root);
  const fs::path model = root / "model";

  v1::PretrainConfig pre;
  pre.set_name("e2e_base");
  pre.set_seed(3);
  pre.mutable_data()->mutable_task()->set_family("addition");
  pre.mutable_data()->mutable_task()->set_min_digits(2);
  pre.mutable_data()->mutable_task()->set_max_digits(2);
  pre.mutable_data()->mutable_corpus()->set_documents(100);
  pre.mutable_data()->mutable_corpus()->set_direct_share(0.5);
  pre.mutable_data()->mutable_corpus()->set_worked_share(0.5);
  pre.mutable_data()->mutable_prompts()->set_train_examples(16);
  pre.mutable_data()->mutable_prompts()->set_eval_examples(4);
  SetTinyArchitecture(pre.mutable_architecture());
  pre.mutable_optimizer()->set_learning_rate(1e-2);
  pre.mutable_schedule()->set_steps(3);
  pre.set_batch_size(2);
  pre.set_sequence_length(256);
  pre.set_num_threads(1);
  pre.set_output_dir(model.string());
  ASSERT_TRUE(RunPretrain(pre, [](const std::string&) {}).ok());

  const fs::path run = root / "run";
  const fs::path config = root / "experiment.textproto";
  std::ofstream(config) << "name: \"e2e\"\nseed: 5\n"
                        << "model { path: \"" << model.string() << "\" num_threads: 1 }\n"
                        << "tokenizer { path: \"" << (model / "tokenizer.json").string() << "\" }\n"
                        << "data { train { path: \"" << (model / "data/train.jsonl").string()
                        << "\" } eval { path: \"" << (model / "data/eval.jsonl").string()
                        << "\" } template { name: \"r1_zero\" } }\n"
                        << R"(reward {
  verifiers { name: "exact_match" component: "accuracy" options { key: "source" value: "answer_tag" } }
  verifiers { name: "format" weight: 0.2 }
}
algorithm { advantage: GRPO prompts_per_step: 2 samples_per_prompt: 2 mini_batches: 1 epochs_per_batch: 1 clip_eps_low: 0.2 clip_eps_high: 0.2 }
optimizer { learning_rate: 1e-3 max_grad_norm: 1.0 }
schedule { steps: 2 }
sampling { temperature: 1.0 top_p: 1.0 max_new_tokens: 12 stop_token_ids: [1] seed: 5 }
rollout_workers: 1
rollout { kv_block_size: 16 kv_blocks: 256 max_running_sequences: 16 max_context: 320 }
sandbox { workers: 1 }
eval { every_steps: 1 max_examples: 4 sampling { temperature: 0.0 top_p: 1.0 max_new_tokens: 12 stop_token_ids: [1] } }
)"
                        << "logging { dir: \"" << run.string()
                        << "\" jsonl: true tensorboard: true }\n"
                        << "checkpoint { dir: \"" << (run / "checkpoints").string()
                        << "\" export_hf: true }\n"
                        << "launch { bin_dir: \"" << RLVR_BIN_DIR << "\" }\n";
  LaunchOptions options;
  options.config_path = config.string();
  options.console = [](const std::string&) {};
  const LaunchOutcome outcome = RunLaunch(options);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.status;
  absl::StatusOr<std::vector<JsonValue>> metrics = ReadJsonl((run / "metrics.jsonl").string());
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  bool has_reward = false, has_eval = false;
  for (const JsonValue& m : *metrics) {
    const JsonValue* name = m.Find("name");
    if (name == nullptr || !name->is_string()) continue;
    has_reward |= name->string() == "reward/mean";
    has_eval |= name->string() == "eval/accuracy";
  }
  EXPECT_TRUE(has_reward);
  EXPECT_TRUE(has_eval);
  absl::StatusOr<std::string> report = ReadFile((run / "report.html").string());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(*report, HasSubstr("<polyline"));
  for (const char* log : {"sandbox.log", "rollout-0.log", "trainer.log"}) {
    EXPECT_TRUE(fs::exists(run / "logs" / log)) << log;
  }
  fs::remove_all(root);
}

// The main job shortened: configs/r1zero_tiny.textproto from the committed base model through
// the real services for a few steps. With its seed, the training reward of the last steps is
// above that of the first ones.
TEST(LaunchServices, CommittedBaseModelLearnsInAShortenedR1ZeroRun) {
  const fs::path source(RLVR_SOURCE_DIR);
  const fs::path run = fs::path(testing::TempDir()) / absl::StrCat("r1zero_short_", getpid());
  fs::remove_all(run);
  const std::string model = (source / "models/tiny").string();
  constexpr int kSteps = 10;
  constexpr int kWindow = 3;
  LaunchOptions options;
  options.config_path = (source / "configs/r1zero_tiny.textproto").string();
  options.overrides = {
      absl::StrCat("model.path=\"", model, "\""),
      absl::StrCat("tokenizer.path=\"", model, "/tokenizer.json\""),
      absl::StrCat("data.train.path=\"", model, "/data/train.jsonl\""),
      absl::StrCat("data.eval.path=\"", model, "/data/eval.jsonl\""),
      absl::StrCat("schedule.steps=", kSteps),
      "eval.every_steps=1000",  // once, before the first step
      absl::StrCat("logging.dir=\"", run.string(), "\""),
      absl::StrCat("checkpoint.dir=\"", (run / "checkpoints").string(), "\""),
      absl::StrCat("launch.bin_dir=\"", RLVR_BIN_DIR, "\""),
  };
  options.console = [](const std::string&) {};
  const LaunchOutcome outcome = RunLaunch(options);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.status;
  absl::StatusOr<std::vector<JsonValue>> metrics = ReadJsonl((run / "metrics.jsonl").string());
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  std::map<int64_t, double> reward;
  std::map<std::string, double> eval;
  for (const JsonValue& m : *metrics) {
    absl::StatusOr<std::string> name = m.GetString("name");
    if (!name.ok() || m.Find("value") == nullptr) continue;
    if (*name == "reward/mean") {
      reward[static_cast<int64_t>(m.Find("step")->number())] = m.Find("value")->number();
    } else if (absl::StartsWith(*name, "eval/")) {
      eval[*name] = m.Find("value")->number();
    }
  }
  // The committed base model, on the held-out set before any RL: well formed, rarely right.
  ASSERT_TRUE(eval.count("eval/accuracy") && eval.count("eval/format_rate"));
  EXPECT_LE(eval["eval/accuracy"], 0.4);
  EXPECT_GE(eval["eval/format_rate"], 0.95);
  ASSERT_EQ(reward.size(), static_cast<size_t>(kSteps));
  double first = 0, last = 0;
  for (int i = 0; i < kWindow; ++i) {
    first += std::next(reward.begin(), i)->second / kWindow;
    last += std::prev(reward.end(), i + 1)->second / kWindow;
  }
  EXPECT_GT(last, first) << "mean training reward of the first " << kWindow << " steps " << first
                         << ", of the last " << kWindow << " steps " << last;
  fs::remove_all(run);
}

}  // namespace
}  // namespace rlvr
