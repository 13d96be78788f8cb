// `rlvr launch CONFIG`: one experiment on one machine. Starts the sandbox, the rollout workers
// and the trainer as child processes on loopback ports chosen at run time, waits for each
// service's "listening on" line and gRPC health check, hands the addresses to the trainer,
// shows the trainer's progress, and on every way out (the trainer finishing, any child dying,
// SIGINT/SIGTERM) stops all children before returning.
//
// Run directory (logging.dir, default runs/<name>):
//   experiment.textproto   the effective config (file plus --set overrides)
//   sandbox.textproto, rollout.textproto   the services' configs
//   logs/<child>.log        each child's stdout and stderr
//   metrics.jsonl, tensorboard/, report.html   written by the trainer and the report
#ifndef RLVR_TOOLS_LAUNCHER_H_
#define RLVR_TOOLS_LAUNCHER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "rlvr/v1/config.pb.h"
#include "trainer/run.h"

namespace rlvr {

struct LaunchOptions {
  std::string config_path;
  std::vector<std::string> overrides;  // --set a.b=c, applied in order
  // Where the service binaries are when launch.bin_dir is empty (the rlvr binary's folder).
  std::string default_bin_dir;
  // Receives every console line (the launcher's own and the echoed child lines); default stdout.
  std::function<void(const std::string&)> console;
};

struct LaunchOutcome {
  // 0: the trainer finished; 1: a child failed or the setup did; 128 + signal: interrupted.
  int exit_code = 1;
  absl::Status status;
  std::string run_dir;
};

// Runs the experiment to the end. Installs SIGINT/SIGTERM handlers for its duration.
LaunchOutcome RunLaunch(const LaunchOptions& options);

// Names of the files in the run directory (the trainer writes the metrics and events).
inline constexpr const char* kMetricsFile = kTrainerMetricsFile;
inline constexpr const char* kTensorboardDir = kTrainerTensorBoardDir;
inline constexpr char kReportFile[] = "report.html";

// The run directory of an experiment: logging.dir, or runs/<name> when unset.
std::string RunDirectory(const v1::ExperimentConfig& config);

}  // namespace rlvr

#endif  // RLVR_TOOLS_LAUNCHER_H_
