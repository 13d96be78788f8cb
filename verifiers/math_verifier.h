// math: is the final answer of a response mathematically equal to the ground truth?
//
// Extraction (option `source`): auto (default) looks in the <answer> block if there is one,
// else the whole response, and takes the first of: the last \boxed{...} (together with the
// \boxed groups just before it, "\boxed{1} and \boxed{2}"), a "final answer is ..." statement,
// the last LaTeX math span ($...$, $$...$$, \(...\), \[...\]), the last number in plain text.
// boxed / answer_tag / full restrict it. The ground truth is read the same way when it looks
// like a solution text (it contains \boxed, $ or "####"); otherwise it is the answer itself.
//
// Equivalence: exact rationals (128-bit, falling back to floating point), decimals vs fractions
// (a decimal with k places matches a value that rounds to it at min(k, float_rounding) places),
// radicals and pi, algebraic expressions by evaluation at seeded random points, equations
// ("x=3" vs "3", proportional equations), inequalities, tuples, intervals, sets, unions,
// +-, matrices, and text answers.
//
// Options: source=auto|boxed|answer_tag|full, float_rounding=6, seed=0 (random points),
// plain_numbers=true (fall back to the last number of plain text),
// allow_set_relation_comp=false (let a response "1 <= x <= 2" match a set answer [1,2]),
// strict=true (function and variable names must match).
#ifndef RLVR_VERIFIERS_MATH_VERIFIER_H_
#define RLVR_VERIFIERS_MATH_VERIFIER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "verifiers/extract.h"
#include "verifiers/registry.h"
#include "verifiers/verifier.h"

namespace rlvr {

struct MathOptions {
  AnswerSource source = AnswerSource::kAuto;
  int float_rounding = 6;
  uint64_t seed = 0;
  bool allow_set_relation_comp = false;
  bool strict = true;
  // Extraction of the ground truth: kAuto decides by its look (see above); kFull takes it whole.
  AnswerSource gold_source = AnswerSource::kAuto;
  // Fall back to the last plain-text number when a text has no LaTeX answer.
  bool plain_numbers = true;
  // Work budget of one comparison (expression nodes visited); beyond it RESOURCE_EXHAUSTED.
  uint64_t max_work = 20'000'000;
};

// The answer candidates found in `text`, best first (empty when there is none).
std::vector<std::string> ExtractMathAnswers(std::string_view text, AnswerSource source,
                                            bool plain_numbers = true);

enum class MathVerdict { kEqual, kNotEqual };

// Compares two already extracted answers. An error means the comparison could not be carried
// out (deadline passed); answers that do not parse are compared as normalized text.
absl::StatusOr<MathVerdict> CompareMathAnswers(std::string_view gold, std::string_view answer,
                                               const MathOptions& options,
                                               absl::Time deadline = absl::InfiniteFuture());

// The whole judgement: extracts from both sides, then compares. No answer in the response is
// kNotEqual; a ground truth with no answer is INVALID_ARGUMENT.
absl::StatusOr<MathVerdict> MathEqual(std::string_view gold_text, std::string_view response,
                                      const MathOptions& options,
                                      absl::Time deadline = absl::InfiniteFuture());

absl::StatusOr<std::unique_ptr<Verifier>> MakeMathVerifier(const VerifierOptions& options);

}  // namespace rlvr

#endif  // RLVR_VERIFIERS_MATH_VERIFIER_H_
