// Training forward and backward over a packed batch of variable-length sequences.
//
// LOGPROB DEFINITION (shared by rollout and trainer): the logprob of a token is the log-softmax
// of the model's raw logits (temperature 1, before any sampling transform such as temperature,
// top-p, top-k or min-p), evaluated at the sampled token. The rollout engine reports exactly this
// quantity for every sampled token, and the trainer recomputes it with Forward() below.
//
// A training step:
//   Activations acts;
//   ForwardResult fwd = Forward(model, backend, batch, {}, &acts).value();
//   // the trainer turns fwd.logprobs into per-token d(loss)/d(logprob) (e.g. GRPO weights)
//   ModelWeights grads = ZeroWeights(model.config);   // once; zero it between steps
//   Backward(model, backend, acts, dlogprobs, {}, &grads);
//   ClipGradNorm + AdamW (model/optimizer.h)
#ifndef RLVR_MODEL_MODEL_H_
#define RLVR_MODEL_MODEL_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "kernels/backend.h"
#include "model/activations.h"
#include "model/config.h"
#include "model/weights.h"

namespace rlvr {

// Sequences concatenated without padding. Sequence s is tokens[cu_seqlens[s], cu_seqlens[s+1]);
// its tokens sit at positions 0, 1, ... (each sequence starts at position 0).
// Requirements (checked): cu_seqlens[0] == 0, strictly increasing (no empty
// sequence), cu_seqlens.back() == tokens.size(), every id in [0, vocab_size).
struct PackedBatch {
  std::vector<int32_t> tokens;      // [T]
  std::vector<int32_t> cu_seqlens;  // [num_seqs + 1]

  int num_seqs() const { return static_cast<int>(cu_seqlens.size()) - 1; }
  int64_t num_tokens() const { return static_cast<int64_t>(tokens.size()); }
};

absl::Status ValidateBatch(const ModelConfig& config, const PackedBatch& batch);

struct ForwardOptions {
  bool compute_entropy = true;
  // Also return the full logits [T, vocab] (tests and small vocabularies; costs T*vocab floats).
  bool return_logits = false;
};

struct ForwardResult {
  // logprobs[t] = log p(tokens[t] | earlier tokens of the same sequence), aligned with tokens;
  // 0 at the first token of each sequence (nothing predicts it).
  std::vector<float> logprobs;  // [T]
  // entropy[t] = entropy (nats) of the distribution that predicted tokens[t]; 0 at each
  // sequence's first token. Empty unless compute_entropy.
  std::vector<float> entropy;  // [T]
  // logits[t, :] = raw logits at position t (they predict tokens[t + 1]). Empty unless asked.
  std::vector<float> logits;  // [T, vocab]
  // Switch load-balancing loss as Hugging Face computes it (router probabilities and top-k counts
  // pooled over all MoE layers and tokens, times num_experts), before router_aux_loss_coef.
  // 0 for dense models.
  float aux_loss = 0.0f;
  // Tokens routed to each expert in this batch, per MoE layer: [num_moe_layers][num_experts].
  std::vector<std::vector<int64_t>> expert_load;
};

// Runs the model. When `acts` is not null, it receives everything Backward needs (the batch is
// copied in); otherwise only what inference needs is kept. Errors: an invalid batch.
absl::StatusOr<ForwardResult> Forward(const Model& model, const Backend& backend,
                                      const PackedBatch& batch, const ForwardOptions& options,
                                      Activations* acts);

struct BackwardOptions {
  // Weight of ForwardResult::aux_loss in the loss; < 0 means the config's router_aux_loss_coef.
  float aux_loss_coef = -1.0f;
  // d(loss)/d(entropy[t]), aligned like ForwardResult::entropy (e.g. -entropy_coef / N for an
  // entropy bonus); empty for none. Needs a Forward with compute_entropy.
  absl::Span<const float> dentropy;
};

// Accumulates (+=) into *grads the gradient of
//   L = sum_t dlogprobs[t] * logprobs[t] + sum_t dentropy[t] * entropy[t]
//       + aux_loss_coef * aux_loss
// with respect to every parameter, where logprobs/aux_loss are those of the Forward that filled
// `acts` (with the same model weights, unchanged since). dlogprobs is [T]; entries at sequence
// starts are ignored. grads must have the layout of ZeroWeights(model.config).
absl::Status Backward(const Model& model, const Backend& backend, const Activations& acts,
                      absl::Span<const float> dlogprobs, const BackwardOptions& options,
                      ModelWeights* grads);

// DeepSeek-V3 auxiliary-loss-free balancing: for every MoE layer with a correction bias,
// bias[e] += rate * sign(mean load - load[e]) using the loads of one forward (ForwardResult::
// expert_load). Call once per optimizer step. No-op for configs without topk_method noaux_tc.
void UpdateRouterBias(const ModelConfig& config,
                      const std::vector<std::vector<int64_t>>& expert_load, float rate,
                      ModelWeights* weights);

}  // namespace rlvr

#endif  // RLVR_MODEL_MODEL_H_
