// Factories of the built-in verifiers (RegisterBuiltinVerifiers registers them all). Each
// reports one component under its own name. Options (VerifierSpec.options):
//
// exact_match      source=auto|boxed|answer_tag|full (auto: <answer>, else \boxed, else the
//                  whole text), case_sensitive=false, collapse_whitespace=true.
// multiple_choice  source=auto, choices=ABCD (letters a response may pick; see PickChoice). The
//                  ground truth is a letter ("B", "(B)", "b"); anything else is an error.
// format           pattern=<RE2, full match; default the R1-Zero <think>...</think>
//                  <answer>...</answer> layout>, single_blocks=true (exactly one think and one
//                  answer block).
// countdown        source=answer_tag|auto|full (default auto), format_reward=0 (reward for a
//                  well-formed expression that is wrong). Numbers come from metadata "numbers"
//                  ("3,5,7" or "[3, 5, 7]"), the target from the ground truth (or metadata
//                  "target"); alternatively the ground truth is {"target":..,"numbers":[..]}.
// code_tests       see code_tests.h.
// math             see math_verifier.h.
#ifndef RLVR_VERIFIERS_BUILTIN_VERIFIERS_H_
#define RLVR_VERIFIERS_BUILTIN_VERIFIERS_H_

#include <memory>
#include <optional>
#include <string_view>

#include "absl/status/statusor.h"
#include "verifiers/extract.h"
#include "verifiers/registry.h"
#include "verifiers/verifier.h"

namespace rlvr {

// The letter a multiple-choice response picks among `choices` (upper-case letters): from the
// answer source, else the last "answer is (X)" statement, else a leading "X." , else the only
// choice letter standing alone as a word. nullopt when there is none.
std::optional<char> PickChoice(std::string_view response, std::string_view choices,
                               AnswerSource source = AnswerSource::kAuto);

absl::StatusOr<std::unique_ptr<Verifier>> MakeExactMatchVerifier(const VerifierOptions& options);
absl::StatusOr<std::unique_ptr<Verifier>> MakeMultipleChoiceVerifier(
    const VerifierOptions& options);
absl::StatusOr<std::unique_ptr<Verifier>> MakeFormatVerifier(const VerifierOptions& options);
absl::StatusOr<std::unique_ptr<Verifier>> MakeCountdownVerifier(const VerifierOptions& options);

}  // namespace rlvr

#endif  // RLVR_VERIFIERS_BUILTIN_VERIFIERS_H_
