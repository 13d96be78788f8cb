// Reading VerifierOptions: typed getters that reject malformed values and unknown keys with
// messages naming the verifier and the option.
#ifndef RLVR_VERIFIERS_OPTIONS_H_
#define RLVR_VERIFIERS_OPTIONS_H_

#include <initializer_list>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "verifiers/registry.h"

namespace rlvr {

class OptionReader {
 public:
  OptionReader(std::string_view verifier, const VerifierOptions& options)
      : verifier_(verifier), options_(options) {}

  // INVALID_ARGUMENT naming the first key not in `known`.
  absl::Status CheckKnown(std::initializer_list<std::string_view> known) const;

  std::string String(const std::string& key, std::string fallback) const;
  absl::StatusOr<bool> Bool(const std::string& key, bool fallback) const;
  absl::StatusOr<double> Double(const std::string& key, double fallback) const;
  absl::StatusOr<int64_t> Int(const std::string& key, int64_t fallback) const;
  // One of `choices`; INVALID_ARGUMENT lists them otherwise.
  absl::StatusOr<std::string> Choice(const std::string& key, std::string fallback,
                                     std::initializer_list<std::string_view> choices) const;

 private:
  std::string verifier_;
  const VerifierOptions& options_;
};

}  // namespace rlvr

#endif  // RLVR_VERIFIERS_OPTIONS_H_
