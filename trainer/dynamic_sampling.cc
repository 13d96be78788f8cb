#include "trainer/dynamic_sampling.h"

#include <cmath>

namespace rlvr {

bool HasRewardVariance(absl::Span<const double> rewards, double tolerance) {
  for (double r : rewards) {
    if (std::fabs(r - rewards.front()) > tolerance) return true;
  }
  return false;
}

GroupFilter::GroupFilter(int target, bool drop_zero_variance)
    : target_(target), drop_zero_variance_(drop_zero_variance) {}

std::vector<int> GroupFilter::Offer(const std::vector<std::vector<double>>& group_rewards) {
  ++rounds_;
  std::vector<int> kept;
  for (size_t g = 0; g < group_rewards.size(); ++g) {
    if (drop_zero_variance_ && !HasRewardVariance(group_rewards[g])) {
      ++dropped_zero_variance_;
      continue;
    }
    if (full()) {
      ++surplus_;
      continue;
    }
    kept.push_back(static_cast<int>(g));
    ++kept_;
  }
  return kept;
}

}  // namespace rlvr
