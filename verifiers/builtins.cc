#include "verifiers/builtin_verifiers.h"
#include "verifiers/code_tests.h"
#include "verifiers/math_verifier.h"
#include "verifiers/registry.h"

namespace rlvr {

absl::Status RegisterBuiltinVerifiers(VerifierRegistry* registry, CodeRunner* code_runner) {
  struct Entry {
    const char* name;
    VerifierFactory factory;
  };
  const Entry entries[] = {
      {"math", MakeMathVerifier},
      {"countdown", MakeCountdownVerifier},
      {"format", MakeFormatVerifier},
      {"exact_match", MakeExactMatchVerifier},
      {"multiple_choice", MakeMultipleChoiceVerifier},
      {"code_tests",
       [code_runner](const VerifierOptions& options) {
         return MakeCodeTestsVerifier(options, code_runner);
       }},
  };
  for (const Entry& e : entries) {
    if (absl::Status s = registry->RegisterFactory(e.name, e.factory); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace rlvr
