// Dynamic sampling (DAPO): groups whose rewards are all equal carry no learning signal under
// group-relative advantages, so they are dropped and more prompts are sampled until the batch
// holds the wanted number of groups. Surplus groups of the last round are discarded.
#ifndef RLVR_TRAINER_DYNAMIC_SAMPLING_H_
#define RLVR_TRAINER_DYNAMIC_SAMPLING_H_

#include <cstdint>
#include <vector>

#include "absl/types/span.h"

namespace rlvr {

// True when some reward differs from the first by more than `tolerance`.
bool HasRewardVariance(absl::Span<const double> rewards, double tolerance = 0);

// Collects groups over generation rounds until `target` are kept.
class GroupFilter {
 public:
  // drop_zero_variance false: every offered group is kept (until the target).
  GroupFilter(int target, bool drop_zero_variance);

  // Offers one round of groups (each a vector of rewards). Returns the positions, within this
  // round, of the groups kept, in order.
  std::vector<int> Offer(const std::vector<std::vector<double>>& group_rewards);

  bool full() const { return kept_ >= target_; }
  int missing() const { return target_ > kept_ ? target_ - kept_ : 0; }
  int kept() const { return kept_; }
  int rounds() const { return rounds_; }
  int64_t dropped_zero_variance() const { return dropped_zero_variance_; }
  int64_t surplus() const { return surplus_; }

 private:
  int target_;
  bool drop_zero_variance_;
  int kept_ = 0;
  int rounds_ = 0;
  int64_t dropped_zero_variance_ = 0;
  int64_t surplus_ = 0;
};

}  // namespace rlvr

#endif  // RLVR_TRAINER_DYNAMIC_SAMPLING_H_
