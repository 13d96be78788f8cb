// The verifier registry: verifier kinds by name (factories taking options) and ready-to-call
// named instances. Sandbox.Verify resolves each item's `verifier` field through Find().
//
//   VerifierRegistry registry;
//   RegisterBuiltinVerifiers(&registry, code_runner);       // math, countdown, format, ...
//   RLVR_RETURN_IF_ERROR(ConfigureRewards(spec, &registry)); // plugins + the spec's instances
//   auto v = registry.Find("math");
#ifndef RLVR_VERIFIERS_REGISTRY_H_
#define RLVR_VERIFIERS_REGISTRY_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "verifiers/verifier.h"

namespace rlvr {

class CodeRunner;

// Verifier options as written in VerifierSpec.options. Factories reject keys they do not know.
using VerifierOptions = std::map<std::string, std::string>;

using VerifierFactory =
    std::function<absl::StatusOr<std::unique_ptr<Verifier>>(const VerifierOptions& options)>;

// Thread-safe. Factories and instances live as long as the registry; instances handed out by
// Find/Create are shared and may outlive it.
class VerifierRegistry {
 public:
  VerifierRegistry() = default;
  VerifierRegistry(const VerifierRegistry&) = delete;
  VerifierRegistry& operator=(const VerifierRegistry&) = delete;

  // Adds a verifier kind. ALREADY_EXISTS when the name is taken (by a kind or an instance).
  absl::Status RegisterFactory(std::string kind, VerifierFactory factory);

  // Adds a named, ready instance (e.g. one VerifierSpec's configured verifier, or a plugin's
  // verifier). An instance may share its name with a kind, and then Find returns the instance
  // (a configured "math" replaces the default one). ALREADY_EXISTS when an instance of that
  // name exists.
  absl::Status AddInstance(std::string name, std::shared_ptr<const Verifier> verifier);

  // A new verifier of `kind` with `options`. NOT_FOUND for an unknown kind (the message lists
  // the known ones); INVALID_ARGUMENT for bad options.
  absl::StatusOr<std::shared_ptr<const Verifier>> Create(std::string_view kind,
                                                         const VerifierOptions& options) const;

  // The instance named `name`, or else a default-options verifier of the kind `name` (created
  // once and cached). NOT_FOUND lists the known names.
  absl::StatusOr<std::shared_ptr<const Verifier>> Find(std::string_view name) const;

  // True when `name` is a kind or an instance.
  bool Contains(std::string_view name) const;

  // Every kind and instance name, sorted, without duplicates.
  std::vector<std::string> Names() const;

 private:
  std::vector<std::string> NamesLocked() const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::map<std::string, VerifierFactory, std::less<>> factories_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::shared_ptr<const Verifier>, std::less<>> instances_
      ABSL_GUARDED_BY(mu_);
  // Default-options verifiers made by Find.
  mutable std::map<std::string, std::shared_ptr<const Verifier>, std::less<>> defaults_
      ABSL_GUARDED_BY(mu_);
};

// Registers math, countdown, format, code_tests, exact_match and multiple_choice.
// `code_runner` (not owned; may be null, must outlive the registry) serves code_tests; without
// one, code_tests judges nothing and returns FAILED_PRECONDITION.
absl::Status RegisterBuiltinVerifiers(VerifierRegistry* registry, CodeRunner* code_runner);

}  // namespace rlvr

#endif  // RLVR_VERIFIERS_REGISTRY_H_
