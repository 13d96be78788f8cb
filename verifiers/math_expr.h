// The math answer language: a LaTeX (or plain text) answer parsed into a small expression tree,
// for the math verifier. Parsing is bounded: input length, nesting depth and node count are
// capped, and nothing recurses deeper than the nesting it has checked.
#ifndef RLVR_VERIFIERS_MATH_EXPR_H_
#define RLVR_VERIFIERS_MATH_EXPR_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "verifiers/rational.h"

namespace rlvr::math {

enum class NodeKind {
  kNumber,     // exact (has_exact) or approximate value
  kSymbol,     // name: "x", "a_3", "\alpha"
  kConst,      // name: "pi", "e", "inf"
  kAdd,        // n-ary sum
  kMul,        // n-ary product
  kNeg,        // -kid
  kInv,        // 1/kid
  kPow,        // kid0 ^ kid1
  kFunc,       // name(kids...): sin, sqrt, root (kid0 = radicand, kid1 = index), log, ...
  kFactorial,  // kid!
  kPlusMinus,  // kid0 ± kid1 (one kid: ±kid0)
  kTuple,      // (a, b, ...)
  kSet,        // {a, b, ...}
  kList,       // a, b, ... (top-level enumeration; compared without order)
  kInterval,   // kid0, kid1 with left_closed/right_closed
  kUnion,      // kid0 ∪ kid1 ∪ ...
  kMatrix,     // rows x cols kids, row-major
  kRelation,   // kid0 op[0] kid1 op[1] kid2 ... (ops: = < > <= >= != in)
  kRatio,      // kid0 : kid1
  kText,       // name: the text of a \text{...} answer
};

struct Node {
  NodeKind kind = NodeKind::kNumber;
  std::vector<int> kids;
  // kNumber
  Rational exact;
  bool has_exact = false;
  double value = 0.0;
  int decimals = -1;  // places after the point for a decimal literal, else -1
  // kSymbol, kConst, kFunc, kText
  std::string name;
  // kRelation
  std::vector<std::string> ops;
  // kInterval
  bool left_closed = false;
  bool right_closed = false;
  // kMatrix
  int rows = 0;
  int cols = 0;
};

// A parsed answer: nodes in an arena, children before parents; root is the last one added.
struct Expr {
  std::vector<Node> nodes;
  int root = -1;
  const Node& at(int i) const { return nodes[i]; }
};

struct ParseOptions {
  // Plain-text numbers: "1,22" is 1.22 (decimal comma) rather than the list 1, 22.
  bool decimal_comma = false;
};

// Limits that keep hostile answers cheap.
inline constexpr size_t kMaxAnswerBytes = 8192;
inline constexpr int kMaxDepth = 64;
inline constexpr int kMaxNodes = 4096;

// Rewrites spellings with one meaning into one form: \dfrac -> \frac, \left( -> (, \le -> <=,
// unicode operators, degree and percent signs, thousands separators ("14{,}916"), spacing
// commands. The result is still LaTeX.
std::string NormalizeLatex(std::string_view text);

// Parses a normalized answer. INVALID_ARGUMENT when it is not a math expression this parser
// understands (callers then compare text), RESOURCE_EXHAUSTED when it exceeds the limits.
absl::StatusOr<Expr> ParseAnswer(std::string_view normalized, const ParseOptions& options = {});

// A compact rendering for messages and tests.
std::string ToString(const Expr& e, int node);

}  // namespace rlvr::math

#endif  // RLVR_VERIFIERS_MATH_EXPR_H_
