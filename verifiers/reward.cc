#include "verifiers/reward.h"

#include <cmath>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_format.h"
#include "verifiers/plugins.h"

namespace rlvr {

absl::StatusOr<Judgement> CombinedReward::Verify(const VerifyInput& input) const {
  Judgement total;
  std::vector<std::string> details;
  for (const Part& part : parts_) {
    absl::StatusOr<Judgement> j = part.verifier->Verify(input);
    if (!j.ok()) {
      return absl::Status(j.status().code(),
                          absl::StrFormat("component '%s' (%s) could not judge: %s", part.component,
                                          part.verifier->name(), j.status().message()));
    }
    total.reward += part.weight * j->reward;
    total.components[part.component] = j->reward;
    for (const auto& [name, value] : j->components) {
      if (name != part.component && name != part.verifier->name()) {
        total.components[absl::StrFormat("%s/%s", part.component, name)] = value;
      }
    }
    if (!total.detail.empty()) total.detail += "; ";
    absl::StrAppendFormat(&total.detail, "%s=%g", part.component, j->reward);
    if (!j->detail.empty()) absl::StrAppendFormat(&total.detail, " (%s)", j->detail);
  }
  return total;
}

namespace {

absl::StatusOr<std::shared_ptr<const Verifier>> MakePart(const rlvr::v1::VerifierSpec& spec,
                                                         const VerifierRegistry& registry) {
  if (spec.options().empty()) return registry.Find(spec.name());
  VerifierOptions options(spec.options().begin(), spec.options().end());
  return registry.Create(spec.name(), options);
}

}  // namespace

absl::StatusOr<std::unique_ptr<CombinedReward>> BuildCombinedReward(
    const rlvr::v1::RewardSpec& spec, const VerifierRegistry& registry) {
  std::vector<CombinedReward::Part> parts;
  absl::flat_hash_set<std::string> seen;
  for (int i = 0; i < spec.verifiers_size(); ++i) {
    const rlvr::v1::VerifierSpec& v = spec.verifiers(i);
    if (v.name().empty()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("reward.verifiers[%d]: missing verifier name", i));
    }
    CombinedReward::Part part;
    part.component = v.component().empty() ? v.name() : v.component();
    part.weight = v.has_weight() ? v.weight() : 1.0;
    if (!std::isfinite(part.weight)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("reward.verifiers[%d] ('%s'): weight must be finite", i, part.component));
    }
    if (!seen.insert(part.component).second) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "reward.verifiers[%d]: component '%s' appears twice; give each one its own "
          "'component' name",
          i, part.component));
    }
    absl::StatusOr<std::shared_ptr<const Verifier>> made = MakePart(v, registry);
    if (!made.ok()) {
      return absl::Status(made.status().code(),
                          absl::StrFormat("reward.verifiers[%d]: %s", i, made.status().message()));
    }
    part.verifier = *std::move(made);
    parts.push_back(std::move(part));
  }
  if (parts.empty()) {
    return absl::InvalidArgumentError("reward spec has no verifiers");
  }
  return std::make_unique<CombinedReward>(std::move(parts));
}

absl::Status ConfigureRewards(const rlvr::v1::RewardSpec& spec, VerifierRegistry* registry) {
  for (int i = 0; i < spec.plugins_size(); ++i) {
    absl::Status s = LoadPlugin(spec.plugins(i), registry);
    if (!s.ok()) {
      return absl::Status(s.code(), absl::StrFormat("reward.plugins[%d]: %s", i, s.message()));
    }
  }
  if (spec.verifiers().empty()) return absl::OkStatus();
  absl::StatusOr<std::unique_ptr<CombinedReward>> combined = BuildCombinedReward(spec, *registry);
  if (!combined.ok()) return combined.status();
  for (int i = 0; i < spec.verifiers_size(); ++i) {
    const rlvr::v1::VerifierSpec& v = spec.verifiers(i);
    const CombinedReward::Part& part = (*combined)->parts()[i];
    // A default-options verifier under its own kind name is what Find already returns.
    if (part.component == v.name() && v.options().empty()) continue;
    absl::Status s = registry->AddInstance(part.component, part.verifier);
    if (!s.ok()) {
      return absl::Status(s.code(), absl::StrFormat("reward.verifiers[%d]: %s", i, s.message()));
    }
  }
  return registry->AddInstance(kCombinedRewardName,
                               std::shared_ptr<const Verifier>(*std::move(combined)));
}

}  // namespace rlvr
