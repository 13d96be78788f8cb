#include "verifiers/registry.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace rlvr {
namespace {

std::string JoinNames(const std::vector<std::string>& names) {
  return names.empty() ? "none" : absl::StrJoin(names, ", ");
}

}  // namespace

absl::Status VerifierRegistry::RegisterFactory(std::string kind, VerifierFactory factory) {
  if (kind.empty()) return absl::InvalidArgumentError("verifier kind name is empty");
  if (!factory) {
    return absl::InvalidArgumentError(absl::StrFormat("verifier kind '%s': no factory", kind));
  }
  absl::MutexLock lock(&mu_);
  if (factories_.contains(kind)) {
    return absl::AlreadyExistsError(
        absl::StrFormat("a verifier kind named '%s' is already registered", kind));
  }
  factories_.emplace(std::move(kind), std::move(factory));
  return absl::OkStatus();
}

absl::Status VerifierRegistry::AddInstance(std::string name,
                                           std::shared_ptr<const Verifier> verifier) {
  if (name.empty()) return absl::InvalidArgumentError("verifier instance name is empty");
  if (verifier == nullptr) {
    return absl::InvalidArgumentError(absl::StrFormat("verifier '%s' is null", name));
  }
  absl::MutexLock lock(&mu_);
  if (instances_.contains(name)) {
    return absl::AlreadyExistsError(
        absl::StrFormat("a verifier instance named '%s' is already registered", name));
  }
  instances_.emplace(std::move(name), std::move(verifier));
  return absl::OkStatus();
}

std::vector<std::string> VerifierRegistry::NamesLocked() const {
  std::vector<std::string> names;
  for (const auto& [name, f] : factories_) names.push_back(name);
  for (const auto& [name, v] : instances_) {
    if (!factories_.contains(name)) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

absl::StatusOr<std::shared_ptr<const Verifier>> VerifierRegistry::Create(
    std::string_view kind, const VerifierOptions& options) const {
  VerifierFactory factory;
  {
    absl::ReaderMutexLock lock(&mu_);
    auto it = factories_.find(kind);
    if (it == factories_.end()) {
      std::vector<std::string> kinds;
      for (const auto& [name, f] : factories_) kinds.push_back(name);
      std::sort(kinds.begin(), kinds.end());
      return absl::NotFoundError(
          absl::StrFormat("unknown verifier kind '%s' (known kinds: %s)", kind, JoinNames(kinds)));
    }
    factory = it->second;
  }
  absl::StatusOr<std::unique_ptr<Verifier>> made = factory(options);
  if (!made.ok()) return made.status();
  if (*made == nullptr) {
    return absl::InternalError(absl::StrFormat("verifier factory '%s' returned null", kind));
  }
  return std::shared_ptr<const Verifier>(std::move(*made));
}

absl::StatusOr<std::shared_ptr<const Verifier>> VerifierRegistry::Find(
    std::string_view name) const {
  {
    absl::ReaderMutexLock lock(&mu_);
    auto it = instances_.find(name);
    if (it != instances_.end()) return it->second;
    auto d = defaults_.find(name);
    if (d != defaults_.end()) return d->second;
    if (!factories_.contains(name)) {
      return absl::NotFoundError(
          absl::StrFormat("unknown verifier '%s' (known: %s)", name, JoinNames(NamesLocked())));
    }
  }
  absl::StatusOr<std::shared_ptr<const Verifier>> made = Create(name, {});
  if (!made.ok()) return made.status();
  absl::MutexLock lock(&mu_);
  // Another thread may have cached one meanwhile; keep the first.
  auto [it, inserted] = defaults_.emplace(std::string(name), *std::move(made));
  return it->second;
}

bool VerifierRegistry::Contains(std::string_view name) const {
  absl::ReaderMutexLock lock(&mu_);
  return factories_.contains(name) || instances_.contains(name);
}

std::vector<std::string> VerifierRegistry::Names() const {
  absl::ReaderMutexLock lock(&mu_);
  return NamesLocked();
}

}  // namespace rlvr
