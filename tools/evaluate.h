// `rlvr eval CONFIG`: one model on one held-out dataset, in this process (no services): the
// rollout engine generates with eval.sampling, the reward spec's verifiers judge each response.
#ifndef RLVR_TOOLS_EVALUATE_H_
#define RLVR_TOOLS_EVALUATE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/json.h"
#include "rlvr/v1/config.pb.h"

namespace rlvr {

struct EvalSample {
  std::string prompt;  // untemplated
  std::string response;
  std::string ground_truth;
  double reward = 0;
  bool correct = false;
  bool formatted = false;
};

struct EvalResult {
  int64_t examples = 0;
  double accuracy = 0;              // share of responses whose accuracy component is 1
  double format_rate = 0;           // share whose "format" component is > 0
  double response_length_mean = 0;  // tokens
  double reward_mean = 0;
  std::vector<EvalSample> samples;  // every response, in dataset order
  JsonValue ToJson(int max_samples) const;
};

// Evaluates config.model on config.data.eval (at most eval.max_examples records), with the
// template of config.data and the rewards of config.reward. The accuracy component is the one
// named "accuracy", else the first verifier's. Errors name the missing file or bad field.
absl::StatusOr<EvalResult> EvaluateModel(const v1::ExperimentConfig& config);

}  // namespace rlvr

#endif  // RLVR_TOOLS_EVALUATE_H_
