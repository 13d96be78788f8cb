// What the trainer needs from a trainable policy, and from a text tokenizer. The real
// implementations wrap model/ and core/tokenizer.h; tests use small in-process ones.
#ifndef RLVR_TRAINER_POLICY_H_
#define RLVR_TRAINER_POLICY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace rlvr {

// Sequences packed back to back: sequence s is tokens[cu_seqlens[s], cu_seqlens[s + 1]).
struct TrainBatch {
  std::vector<int32_t> tokens;
  std::vector<int32_t> cu_seqlens;
};

struct PolicyForward {
  // logprobs[t] = log p(tokens[t] | earlier tokens of its sequence); 0 at sequence starts.
  std::vector<float> logprobs;
  // Entropy (nats) of the distribution that predicted tokens[t]; may be empty.
  std::vector<float> entropy;
};

// A named, live view of one float tensor (parameters, optimizer moments).
struct NamedTensor {
  std::string name;
  std::vector<int64_t> shape;
  absl::Span<float> data;
};

class PolicyModel {
 public:
  virtual ~PolicyModel() = default;

  // With keep_for_backward the model keeps what Backward needs for this batch (replacing any
  // earlier kept forward).
  virtual absl::StatusOr<PolicyForward> Forward(const TrainBatch& batch,
                                                bool keep_for_backward) = 0;
  // Accumulates into the gradient buffers the gradient of sum_t dlogprobs[t] * logprobs[t]
  // (plus the model's own auxiliary losses) for the last kept forward.
  virtual absl::Status Backward(absl::Span<const float> dlogprobs) = 0;
  // Clips the accumulated gradient to the configured global norm, applies one optimizer
  // update with learning rate lr, and zeroes the gradient. Returns the norm before clipping.
  virtual absl::StatusOr<double> OptimizerStep(double lr) = 0;

  // Every parameter, in a fixed order, under its checkpoint (Hugging Face) name.
  virtual std::vector<NamedTensor> Parameters() = 0;
  // Optimizer state tensors in a fixed order (e.g. "exp_avg.<param>"), and its step count.
  virtual std::vector<NamedTensor> OptimizerState() = 0;
  virtual int64_t optimizer_steps() const = 0;
  virtual void set_optimizer_steps(int64_t steps) = 0;
};

class TextCodec {
 public:
  virtual ~TextCodec() = default;
  virtual std::vector<int32_t> Encode(const std::string& text) const = 0;
  virtual std::string Decode(absl::Span<const int32_t> ids) const = 0;
};

}  // namespace rlvr

#endif  // RLVR_TRAINER_POLICY_H_
