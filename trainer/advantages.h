// Advantage estimators of GRPO and its variants: one scalar per response, shared by all of the
// response's tokens.
//
// Rewards arrive grouped: group g holds the rewards of the G responses sampled for one prompt.
//
//   GRPO      A_i = (r_i - mean r) / (std r + eps), std the sample standard deviation
//             (Bessel-corrected, n - 1), as TRL and verl compute it (torch.std's default).
//   DR_GRPO   A_i = r_i - mean r (no std division).
//   RLOO      A_i = r_i - mean_{j != i} r_j = G / (G - 1) * (r_i - mean r).
//   REINFORCE_PLUS_PLUS (the "REINFORCE++ baseline" variant)
//             a_i = r_i - mean r within the group, then whitened over the whole batch:
//             A_i = (a_i - mean a) / sqrt(var a + 1e-8), where the batch mean and the unbiased
//             variance weight each response by its token count (every token of the batch
//             counts once, as verl's masked whitening does).
//
// A group of one response has no baseline: GRPO and DR_GRPO then use mean 0 and std 1 (the
// advantage is the reward, as verl does); RLOO is an error. A group whose rewards are all equal
// gets advantage 0 under GRPO, DR_GRPO and RLOO.
#ifndef RLVR_TRAINER_ADVANTAGES_H_
#define RLVR_TRAINER_ADVANTAGES_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "rlvr/v1/config.pb.h"

namespace rlvr {

// The default eps of GRPO's std division when the config leaves advantage_eps at 0.
inline constexpr double kDefaultAdvantageEps = 1e-6;
// The variance floor of REINFORCE++ batch whitening.
inline constexpr double kWhitenVarianceEps = 1e-8;

struct AdvantageOptions {
  rlvr::v1::AdvantageEstimator estimator = rlvr::v1::GRPO;
  double eps = kDefaultAdvantageEps;
};

// Rewards of one batch: response i belongs to group group_of[i]. Group ids are any int64
// values; responses of one group need not be adjacent.
struct RewardBatch {
  std::vector<double> rewards;
  std::vector<int64_t> group_of;
  // Tokens of each response; used by REINFORCE_PLUS_PLUS only (empty means 1 each).
  std::vector<int64_t> response_tokens;
  // Responses without a reward (their verification failed; empty means none). They get
  // advantage 0 and enter no statistic, so a verifier error never counts as reward 0. A group
  // that errors leave with a single judged response has no baseline: all of it gets 0.
  std::vector<uint8_t> unjudged;
};

// Per-response advantages in the order of batch.rewards. Errors: size mismatches, an
// unspecified estimator, non-finite rewards, an RLOO group of size 1, negative token counts.
absl::StatusOr<std::vector<double>> ComputeAdvantages(const RewardBatch& batch,
                                                      const AdvantageOptions& options);

// Convenience for groups laid out back to back, `group_size` responses each.
absl::StatusOr<std::vector<double>> GroupAdvantages(absl::Span<const double> rewards,
                                                    int group_size,
                                                    const AdvantageOptions& options);

// Options from the config (advantage_eps 0 -> kDefaultAdvantageEps, estimator unset -> GRPO).
AdvantageOptions AdvantageOptionsFromConfig(const rlvr::v1::AlgorithmConfig& config);

}  // namespace rlvr

#endif  // RLVR_TRAINER_ADVANTAGES_H_
