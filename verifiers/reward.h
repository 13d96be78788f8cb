// Reward specs: the experiment config's RewardSpec combines verifiers with weights into one
// reward, e.g. accuracy (math, weight 1.0) + format (format, weight 0.1).
#ifndef RLVR_VERIFIERS_REWARD_H_
#define RLVR_VERIFIERS_REWARD_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rlvr/v1/config.pb.h"
#include "verifiers/registry.h"
#include "verifiers/verifier.h"

namespace rlvr {

// The registry name under which ConfigureRewards registers the combined reward.
inline constexpr char kCombinedRewardName[] = "reward";

// A weighted sum of verifiers. reward = sum_i weight_i * reward_i; components hold each part's
// unweighted reward under its component name, plus the part's own components as
// "<component>/<name>" when they differ from the part's name. If any part cannot judge, the
// combination cannot either: the error names the component.
class CombinedReward : public Verifier {
 public:
  struct Part {
    std::string component;
    double weight = 1.0;
    std::shared_ptr<const Verifier> verifier;
  };
  explicit CombinedReward(std::vector<Part> parts) : parts_(std::move(parts)) {}

  std::string_view name() const override { return kCombinedRewardName; }
  absl::StatusOr<Judgement> Verify(const VerifyInput& input) const override;

  const std::vector<Part>& parts() const { return parts_; }

 private:
  std::vector<Part> parts_;
};

// Builds the combination for `spec` from kinds known to `registry` (load plugins first).
// VerifierSpec.weight defaults to 1 when unset; component defaults to the verifier name;
// duplicate component names are an error.
absl::StatusOr<std::unique_ptr<CombinedReward>> BuildCombinedReward(
    const rlvr::v1::RewardSpec& spec, const VerifierRegistry& registry);

// Everything a service needs from a RewardSpec: loads spec.plugins into `registry`
// (shared libraries and remote verifiers), adds each VerifierSpec's configured verifier as an
// instance named by its component (unless that is exactly a default-options kind of the same
// name), and adds the combination under kCombinedRewardName.
absl::Status ConfigureRewards(const rlvr::v1::RewardSpec& spec, VerifierRegistry* registry);

}  // namespace rlvr

#endif  // RLVR_VERIFIERS_REWARD_H_
