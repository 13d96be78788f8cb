// Helpers shared by the verifier tests.
#ifndef RLVR_TESTS_VERIFIERS_TEST_UTIL_H_
#define RLVR_TESTS_VERIFIERS_TEST_UTIL_H_

#include <map>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "verifiers/registry.h"
#include "verifiers/verifier.h"

namespace rlvr::vtest {

// Creates a built-in verifier (RegisterBuiltinVerifiers with no code runner) with options.
inline std::shared_ptr<const Verifier> MakeBuiltin(const std::string& kind,
                                                   const VerifierOptions& options = {}) {
  static VerifierRegistry* registry = [] {
    auto* r = new VerifierRegistry();
    EXPECT_TRUE(RegisterBuiltinVerifiers(r, nullptr).ok());
    return r;
  }();
  absl::StatusOr<std::shared_ptr<const Verifier>> v = registry->Create(kind, options);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *v : nullptr;
}

// Runs `v` on one response; metadata from a std::map for brevity.
inline absl::StatusOr<Judgement> RunVerifier(const Verifier& v, const std::string& response,
                                             const std::string& truth,
                                             const std::map<std::string, std::string>& meta = {}) {
  VerifyMetadata metadata;
  for (const auto& [k, val] : meta) metadata[k] = val;
  VerifyInput input;
  input.response = response;
  input.ground_truth = truth;
  input.metadata = &metadata;
  return v.Verify(input);
}

// The reward, or -1 when the verifier could not judge.
inline double Reward(const Verifier& v, const std::string& response, const std::string& truth,
                     const std::map<std::string, std::string>& meta = {}) {
  absl::StatusOr<Judgement> j = RunVerifier(v, response, truth, meta);
  return j.ok() ? j->reward : -1.0;
}

}  // namespace rlvr::vtest

#endif  // RLVR_TESTS_VERIFIERS_TEST_UTIL_H_
