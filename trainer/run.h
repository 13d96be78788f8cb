// Builds a Trainer from an experiment config (datasets, model, reference, tokenizer, gRPC
// clients, metrics sinks, progress display) and runs it: what rlvr-trainer does.
#ifndef RLVR_TRAINER_RUN_H_
#define RLVR_TRAINER_RUN_H_

#include <cstdio>
#include <string>

#include "absl/status/status.h"
#include "rlvr/v1/config.pb.h"

namespace rlvr {

// The metrics file inside logging.dir (the launcher's report reads it) and the TensorBoard
// folder.
inline constexpr char kTrainerMetricsFile[] = "metrics.jsonl";
inline constexpr char kTrainerTensorBoardDir[] = "tensorboard";

struct RunOptions {
  std::string resume;                   // checkpoint folder or root; empty starts fresh
  std::FILE* progress = stderr;         // live progress and notes
  bool progress_tty = false;            // rewrite one line (a terminal)
  bool install_signal_handlers = true;  // SIGINT/SIGTERM: checkpoint after this step and exit
};

// Errors name what is missing or failed (a config field, a file, a service address).
absl::Status RunTraining(const rlvr::v1::ExperimentConfig& config, const RunOptions& options);

}  // namespace rlvr

#endif  // RLVR_TRAINER_RUN_H_
