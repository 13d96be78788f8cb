// Checkpoints: everything a run needs to continue exactly where it stopped, and an export that
// Hugging Face transformers can load.
//
// <root>/step_<N>/model.safetensors       parameters (Hugging Face names, F32)
// <root>/step_<N>/optimizer.safetensors   optimizer moments
// <root>/step_<N>/trainer_state.json      step, weight version, optimizer steps, data cursor,
//                                         RNG state
// <root>/latest                           the name of the newest complete checkpoint
// A checkpoint is written to a temporary folder and renamed into place, so a crash mid-write
// leaves the previous one intact.
#ifndef RLVR_TRAINER_CHECKPOINT_H_
#define RLVR_TRAINER_CHECKPOINT_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "trainer/dataset.h"
#include "trainer/policy.h"

namespace rlvr {

struct TrainerState {
  int64_t step = 0;            // optimizer-loop steps completed
  int64_t weight_version = 0;  // version of the policy the workers hold
  DataCursor data;
  std::string rng;  // Rng::SerializeState()
};

// Writes a checkpoint of `policy` and `state` under root; returns its folder.
absl::StatusOr<std::string> SaveCheckpoint(const std::string& root, const TrainerState& state,
                                           PolicyModel& policy);

// Resolves `path`: a checkpoint folder, or a root holding a "latest" file.
absl::StatusOr<std::string> ResolveCheckpoint(const std::string& path);

// Loads a checkpoint folder into `policy` (every parameter and optimizer tensor must be present
// with the same shape) and returns the trainer state.
absl::StatusOr<TrainerState> LoadCheckpoint(const std::string& folder, PolicyModel& policy);

// Writes a Hugging Face model folder: model.safetensors from the policy's parameters, plus
// copies of config.json (from model_dir) and tokenizer.json (tokenizer_path; skipped if empty).
absl::Status ExportHuggingFace(const std::string& out_dir, PolicyModel& policy,
                               const std::string& model_dir, const std::string& tokenizer_path);

}  // namespace rlvr

#endif  // RLVR_TRAINER_CHECKPOINT_H_
