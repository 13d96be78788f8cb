// The GRPO policy loss over one mini-batch of responses, with its gradient with respect to
// each token's current log-probability (what the model's backward takes as per-token loss
// weights).
//
// Per token t of response i, with A_i the response's advantage:
//   ratio  = exp(logp - old_logp)
//   pg     = max(-ratio * A, -clip(ratio, 1 - eps_low, 1 + eps_high) * A)
//   dual clip (c > 1, only where A < 0): pg = min(pg, -c * A)
//   w      = min(exp(old_logp - rollout_logp), cap)   (truncated importance weight, constant)
//   kl     = k1: logp - ref_logp
//            k2: (logp - ref_logp)^2 / 2
//            k3: exp(ref_logp - logp) - (ref_logp - logp) - 1
//   l_t    = w * pg + beta * kl
// Aggregation over the active responses S of the mini-batch (T_i tokens each):
//   TOKEN_MEAN               sum_i sum_t l / sum_i T_i
//   SEQ_MEAN_TOKEN_MEAN      (1/|S|) sum_i (1/T_i) sum_t l
//   SEQ_MEAN_TOKEN_SUM_NORM  (1/|S|) sum_i sum_t l / norm     (Dr. GRPO; norm a constant)
// Inactive responses (sequence_mask 0, e.g. truncated responses when those are masked)
// contribute nothing and are not counted; their gradient is 0.
#ifndef RLVR_TRAINER_POLICY_LOSS_H_
#define RLVR_TRAINER_POLICY_LOSS_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "rlvr/v1/config.pb.h"

namespace rlvr {

struct PolicyLossOptions {
  double clip_eps_low = 0.2;
  double clip_eps_high = 0.2;
  double dual_clip = 0;  // c > 1 enables; 0 disables
  double kl_beta = 0;    // 0: no KL term, ref_logp may be empty
  rlvr::v1::KlEstimator kl_estimator = rlvr::v1::K3;
  rlvr::v1::LossAggregation aggregation = rlvr::v1::TOKEN_MEAN;
  double seq_sum_norm = 0;           // required > 0 for SEQ_MEAN_TOKEN_SUM_NORM
  double importance_weight_cap = 0;  // > 0 enables truncated importance weights
};

// Defaults filled in for unset (zero) fields: eps_low 0.2, eps_high = eps_low, K3, TOKEN_MEAN.
PolicyLossOptions PolicyLossOptionsFromConfig(const rlvr::v1::AlgorithmConfig& config);

// One mini-batch, packed: the tokens of response i occupy [offsets[i], offsets[i + 1]) of every
// per-token span. The caller owns the memory; spans must outlive the call.
struct PolicyLossBatch {
  std::vector<int64_t> offsets;             // num_responses + 1, starting at 0, non-decreasing
  absl::Span<const float> logp;             // current policy, per token
  absl::Span<const float> old_logp;         // policy the ratio is taken against, per token
  absl::Span<const float> rollout_logp;     // as the rollout engine reported; empty: no IS weight
  absl::Span<const float> ref_logp;         // frozen reference; needed when kl_beta > 0
  absl::Span<const float> entropy;          // optional, for metrics only
  absl::Span<const double> advantages;      // per response
  absl::Span<const uint8_t> sequence_mask;  // per response, 1 = active; empty = all active
};

struct PolicyLossMetrics {
  int64_t active_tokens = 0;
  int64_t active_sequences = 0;
  double pg_loss = 0;             // aggregated w * pg part
  double kl_loss = 0;             // aggregated beta * kl part
  double kl_mean = 0;             // token mean of the KL estimate (0 when beta is 0)
  double clip_fraction = 0;       // tokens whose clipped branch is active (zero gradient)
  double clip_low_fraction = 0;   // ... of those, with ratio < 1 - eps_low
  double clip_high_fraction = 0;  // ... with ratio > 1 + eps_high
  double dual_clip_fraction = 0;  // tokens capped by the dual clip
  double ratio_mean = 0;
  double ratio_min = 0;
  double ratio_max = 0;
  double entropy_mean = 0;            // 0 when no entropy is given
  double importance_weight_mean = 0;  // 1 when IS weights are off
  double importance_capped_fraction = 0;
  double logprob_gap_mean = 0;  // token mean of |old_logp - rollout_logp| (0 without rollout)
  double logprob_gap_max = 0;
};

struct PolicyLossResult {
  double loss = 0;
  // d loss / d logp[t] for every packed token (0 for inactive responses).
  std::vector<float> grad_logp;
  PolicyLossMetrics metrics;
};

// Errors (InvalidArgument): inconsistent sizes or offsets, missing ref_logp with kl_beta > 0,
// SEQ_MEAN_TOKEN_SUM_NORM without a positive norm, eps out of range, dual_clip in (0, 1],
// non-finite inputs. A batch with no active token has loss 0 and zero gradient.
absl::StatusOr<PolicyLossResult> ComputePolicyLoss(const PolicyLossBatch& batch,
                                                   const PolicyLossOptions& options);

}  // namespace rlvr

#endif  // RLVR_TRAINER_POLICY_LOSS_H_
