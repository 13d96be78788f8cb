// `rlvr pretrain CONFIG`: a small mixture-of-experts base model trained from scratch on a
// generated task corpus, deterministically (same config and seed, same weights).
//
// Steps: `rlvr data` with the config's data section (into output_dir/data unless set), the
// character-level tokenizer, random initialisation from the seed, next-token training with AdamW
// (each document is its own sequence, starting at position 0 as RL prompts do), then
// output_dir/{config.json, model.safetensors, tokenizer.json, tokenizer_config.json}.
#ifndef RLVR_TOOLS_PRETRAIN_H_
#define RLVR_TOOLS_PRETRAIN_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "rlvr/v1/config.pb.h"

namespace rlvr {

struct PretrainResult {
  double first_loss = 0;  // mean token loss of the first step (nats)
  double final_loss = 0;  // mean over the last steps
  int64_t parameters = 0;
  int64_t tokens_seen = 0;
};

// Runs the whole pretraining. `progress` receives one line every few steps.
absl::StatusOr<PretrainResult> RunPretrain(const v1::PretrainConfig& config,
                                           const std::function<void(const std::string&)>& progress);

}  // namespace rlvr

#endif  // RLVR_TOOLS_PRETRAIN_H_
