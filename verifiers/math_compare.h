// Equivalence of two parsed math answers (see math_verifier.h for the rules).
#ifndef RLVR_VERIFIERS_MATH_COMPARE_H_
#define RLVR_VERIFIERS_MATH_COMPARE_H_

#include <cstdint>

#include "absl/time/time.h"
#include "verifiers/math_expr.h"

namespace rlvr::math {

struct CompareOptions {
  int float_rounding = 6;
  uint64_t seed = 0;
  bool allow_set_relation_comp = false;
  bool strict = true;
  absl::Time deadline = absl::InfiniteFuture();
  // Work budget (node visits, checked every 256): nested collections compare pairwise at every
  // level, so a hostile answer could otherwise take as long as the deadline allows.
  uint64_t max_work = 20'000'000;
};

// kOutOfTime: the deadline passed; kTooMuchWork: the answers need more than the work budget.
enum class CompareResult { kEqual, kNotEqual, kOutOfTime, kTooMuchWork };

// Is `pred` an acceptable answer for `gold`? Not symmetric: a gold "x = 3" accepts "3", a
// gold equation "2x + 1 = 0" only equations.
CompareResult CompareExprs(const Expr& gold, const Expr& pred, const CompareOptions& options);

}  // namespace rlvr::math

#endif  // RLVR_VERIFIERS_MATH_COMPARE_H_
