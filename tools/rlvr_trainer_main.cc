// rlvr-trainer: the GRPO driver. Reads an rlvr.v1.ExperimentConfig and trains against running
// rollout workers (rollout_addresses) and a sandbox (sandbox_address).
//
//   rlvr-trainer --config configs/x.textproto [--set field=value ...] [--resume DIR]
//                [--print-config]
//
// SIGINT/SIGTERM: finish the current step, write a checkpoint, exit 0. A second signal exits at
// once.
#include <unistd.h>

#include <cstdio>
#include <string>

#include "core/config.h"
#include "rlvr/v1/config.pb.h"
#include "trainer/run.h"

namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "rlvr-trainer: %s\n", status.ToString().c_str());
  return 1;
}

int Main(int argc, char** argv) {
  absl::StatusOr<rlvr::ConfigArgs> args = rlvr::ParseConfigArgs(argc, argv);
  if (!args.ok()) return Fail(args.status());
  if (args->help || args->config_path.empty()) {
    std::printf(
        "usage: rlvr-trainer --config FILE [--set field=value ...] [--resume DIR] "
        "[--print-config]\nFILE is a text-format rlvr.v1.ExperimentConfig.\n");
    return args->help ? 0 : 2;
  }
  rlvr::RunOptions options;
  for (size_t i = 0; i < args->rest.size(); ++i) {
    const std::string& a = args->rest[i];
    if (a == "--resume" && i + 1 < args->rest.size()) {
      options.resume = args->rest[++i];
    } else if (a.rfind("--resume=", 0) == 0) {
      options.resume = a.substr(9);
    } else {
      return Fail(absl::InvalidArgumentError("unexpected argument: " + a));
    }
  }
  rlvr::v1::ExperimentConfig config;
  if (absl::Status s = rlvr::LoadConfig(args->config_path, args->overrides, &config); !s.ok()) {
    return Fail(s);
  }
  if (args->print_config) {
    std::printf("%s", rlvr::ConfigToText(config).c_str());
    return 0;
  }
  options.progress = stderr;
  options.progress_tty = isatty(fileno(stderr)) != 0;
  if (absl::Status s = rlvr::RunTraining(config, options); !s.ok()) return Fail(s);
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Main(argc, argv); }
