// The `rlvr` command: one entry point for users.
//
//   rlvr launch CONFIG [--set a.b=c ...]   run an experiment: sandbox, rollout workers, trainer
//   rlvr pretrain CONFIG [--set ...]       train a base model from scratch on a generated corpus
//   rlvr eval CONFIG [--set ...]           evaluate a checkpoint on a dataset
//   rlvr data CONFIG [--set ...]           generate a synthetic task's corpus and prompt sets
//   rlvr report METRICS_JSONL OUT_HTML     (re)make the HTML report of a run
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/config.h"
#include "tools/data_command.h"
#include "tools/evaluate.h"
#include "tools/launcher.h"
#include "tools/pretrain.h"
#include "tools/report.h"

namespace {

constexpr char kUsage[] =
    "usage: rlvr COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  launch CONFIG    run an R1-Zero style experiment on this machine (rlvr launch --help)\n"
    "  pretrain CONFIG  train a tiny base model from scratch (rlvr pretrain --help)\n"
    "  eval CONFIG      evaluate a checkpoint on a held-out dataset (rlvr eval --help)\n"
    "  data CONFIG      generate a synthetic task's corpus and RL prompt sets (rlvr data --help)\n"
    "  report METRICS OUT   write the HTML report of a run's metrics.jsonl\n"
    "\n"
    "Every CONFIG is a text-format protobuf file (see configs/ and docs/configs.md); any field\n"
    "can be overridden with --set path.to.field=value.\n";

constexpr char kLaunchHelp[] =
    "usage: rlvr launch CONFIG [--set a.b=c ...] [--print-config]\n"
    "\n"
    "Runs one experiment (an rlvr.v1.ExperimentConfig) on this machine: starts rlvr-sandbox,\n"
    "`rollout_workers` rlvr-rollout processes and rlvr-trainer on free loopback ports, waits\n"
    "for their health checks, shows the trainer's progress, and stops every process when the\n"
    "trainer finishes, when any process dies (its log's last lines are shown), or on Ctrl-C.\n"
    "\n"
    "The run directory (logging.dir, default runs/<name>) receives the effective configs,\n"
    "logs/<process>.log, the metrics, TensorBoard events and report.html. Services given by\n"
    "address in the config (sandbox_address, rollout_addresses) are used instead of started.\n"
    "The launch section of the config sets the binaries' folder, the startup timeout and the\n"
    "stop grace period.\n"
    "\n"
    "Exit status: 0 when the trainer finished, 1 on a failure, 130 after Ctrl-C.\n";

constexpr char kPretrainHelp[] =
    "usage: rlvr pretrain CONFIG [--set a.b=c ...] [--print-config]\n"
    "\n"
    "Trains a small mixture-of-experts base model from scratch (an rlvr.v1.PretrainConfig):\n"
    "generates the synthetic task corpus, trains with AdamW for schedule.steps steps, and writes\n"
    "a Hugging Face-format checkpoint (config.json, model.safetensors, tokenizer.json) to\n"
    "output_dir. The same config and seed give the same weights.\n";

constexpr char kEvalHelp[] =
    "usage: rlvr eval CONFIG [--set a.b=c ...] [--samples=N]\n"
    "\n"
    "Evaluates the model of an experiment config (an rlvr.v1.ExperimentConfig: model,\n"
    "tokenizer, data.eval, reward, eval.sampling) on its held-out dataset, in this process,\n"
    "and prints accuracy, format rate, mean response length and a few samples as JSON.\n"
    "Use --set model.path=DIR to evaluate another checkpoint; --samples=N prints N samples\n"
    "(default 5; -1 prints all).\n";

constexpr char kReportHelp[] =
    "usage: rlvr report METRICS_JSONL OUT_HTML\n"
    "\n"
    "Writes the self-contained HTML report (inline SVG charts) of a run's metrics file.\n";

constexpr int kEvalSamplesShown = 5;

std::string SelfDirectory(const char* argv0) {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) self = std::filesystem::absolute(argv0, ec);
  return self.parent_path().string();
}

bool WantsHelp(int argc, char** argv) {
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") return true;
  }
  return false;
}

// Parses "CONFIG [--set ...]" (the config may also be given as --config CONFIG).
absl::StatusOr<rlvr::ConfigArgs> ParseCommandArgs(int argc, char** argv, const char* command) {
  absl::StatusOr<rlvr::ConfigArgs> args = rlvr::ParseConfigArgs(argc, argv);
  if (!args.ok()) return args.status();
  if (args->config_path.empty() && !args->rest.empty()) {
    args->config_path = args->rest.front();
    args->rest.erase(args->rest.begin());
  }
  if (args->config_path.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("rlvr ", command, ": missing CONFIG"));
  }
  if (!args->rest.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("rlvr ", command, ": unexpected argument '", args->rest.front(), "'"));
  }
  return args;
}

template <typename Message>
int PrintConfig(const rlvr::ConfigArgs& args) {
  Message config;
  if (absl::Status st = rlvr::LoadConfig(args.config_path, args.overrides, &config); !st.ok()) {
    std::fprintf(stderr, "%s\n", std::string(st.message()).c_str());
    return 1;
  }
  std::fputs(rlvr::ConfigToText(config).c_str(), stdout);
  return 0;
}

int Fail(const absl::Status& st) {
  std::fprintf(stderr, "%s\n", std::string(st.message()).c_str());
  return st.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
}

int Launch(int argc, char** argv, const char* argv0) {
  if (WantsHelp(argc, argv)) {
    std::fputs(kLaunchHelp, stdout);
    return 0;
  }
  absl::StatusOr<rlvr::ConfigArgs> args = ParseCommandArgs(argc, argv, "launch");
  if (!args.ok()) return Fail(args.status());
  if (args->print_config) return PrintConfig<rlvr::v1::ExperimentConfig>(*args);
  rlvr::LaunchOptions options;
  options.config_path = args->config_path;
  options.overrides = args->overrides;
  options.default_bin_dir = SelfDirectory(argv0);
  return rlvr::RunLaunch(options).exit_code;
}

int Report(int argc, char** argv) {
  if (WantsHelp(argc, argv)) {
    std::fputs(kReportHelp, stdout);
    return 0;
  }
  if (argc != 3) {
    std::fputs(kReportHelp, stderr);
    return 2;
  }
  rlvr::ReportOptions options;
  if (absl::Status st = rlvr::WriteReportFile(argv[1], argv[2], options); !st.ok()) {
    return Fail(st);
  }
  std::printf("wrote %s\n", argv[2]);
  return 0;
}

int Data(int argc, char** argv) {
  if (WantsHelp(argc, argv)) {
    std::fputs(rlvr::kDataCommandHelp, stdout);
    return 0;
  }
  absl::StatusOr<rlvr::ConfigArgs> args = ParseCommandArgs(argc, argv, "data");
  if (!args.ok()) return Fail(args.status());
  if (args->print_config) return PrintConfig<rlvr::v1::DataGenConfig>(*args);
  rlvr::v1::DataGenConfig config;
  if (absl::Status st = rlvr::LoadConfig(args->config_path, args->overrides, &config); !st.ok()) {
    return Fail(st);
  }
  absl::StatusOr<std::string> summary = rlvr::RunDataCommand(config);
  if (!summary.ok()) return Fail(summary.status());
  std::fputs(summary->c_str(), stdout);
  return 0;
}

int Pretrain(int argc, char** argv) {
  if (WantsHelp(argc, argv)) {
    std::fputs(kPretrainHelp, stdout);
    return 0;
  }
  absl::StatusOr<rlvr::ConfigArgs> args = ParseCommandArgs(argc, argv, "pretrain");
  if (!args.ok()) return Fail(args.status());
  if (args->print_config) return PrintConfig<rlvr::v1::PretrainConfig>(*args);
  rlvr::v1::PretrainConfig config;
  if (absl::Status st = rlvr::LoadConfig(args->config_path, args->overrides, &config); !st.ok()) {
    return Fail(st);
  }
  absl::StatusOr<rlvr::PretrainResult> result =
      rlvr::RunPretrain(config, [](const std::string& line) {
        std::printf("rlvr pretrain: %s\n", line.c_str());
        std::fflush(stdout);
      });
  if (!result.ok()) return Fail(result.status());
  return 0;
}

int Eval(int argc, char** argv) {
  if (WantsHelp(argc, argv)) {
    std::fputs(kEvalHelp, stdout);
    return 0;
  }
  // --samples=N is eval's own flag; everything else is the common CONFIG [--set ...].
  int samples_shown = kEvalSamplesShown;
  std::vector<char*> rest = {argv[0]};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.substr(0, 10) == "--samples=") {
      if (!absl::SimpleAtoi(arg.substr(10), &samples_shown)) {
        return Fail(absl::InvalidArgumentError(absl::StrCat("rlvr eval: bad ", arg)));
      }
      if (samples_shown < 0) samples_shown = std::numeric_limits<int>::max();
      continue;
    }
    rest.push_back(argv[i]);
  }
  absl::StatusOr<rlvr::ConfigArgs> args =
      ParseCommandArgs(static_cast<int>(rest.size()), rest.data(), "eval");
  if (!args.ok()) return Fail(args.status());
  if (args->print_config) return PrintConfig<rlvr::v1::ExperimentConfig>(*args);
  rlvr::v1::ExperimentConfig config;
  if (absl::Status st = rlvr::LoadConfig(args->config_path, args->overrides, &config); !st.ok()) {
    return Fail(st);
  }
  absl::StatusOr<rlvr::EvalResult> result = rlvr::EvaluateModel(config);
  if (!result.ok()) return Fail(result.status());
  std::printf("%s\n", result->ToJson(samples_shown).Serialize().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string command = argv[1];
  // Subcommands see their own arguments, with argv[0] the subcommand name.
  const int sub_argc = argc - 1;
  char** sub_argv = argv + 1;
  if (command == "--help" || command == "-h" || command == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (command == "launch") return Launch(sub_argc, sub_argv, argv[0]);
  if (command == "report") return Report(sub_argc, sub_argv);
  if (command == "data") return Data(sub_argc, sub_argv);
  if (command == "pretrain") return Pretrain(sub_argc, sub_argv);
  if (command == "eval") return Eval(sub_argc, sub_argv);
  std::fprintf(stderr, "rlvr: unknown command '%s'\n\n%s", command.c_str(), kUsage);
  return 2;
}
