// The math answer extractor, normalizer, parser and comparer on arbitrary bytes. The input is
// split at its first newline into a ground truth and a response; both are hostile.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "verifiers/math_expr.h"
#include "verifiers/math_verifier.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  size_t newline = text.find('\n');
  std::string_view gold = newline == std::string_view::npos ? text : text.substr(0, newline);
  std::string_view response = newline == std::string_view::npos ? text : text.substr(newline + 1);

  std::string normalized = rlvr::math::NormalizeLatex(response);
  absl::StatusOr<rlvr::math::Expr> expr = rlvr::math::ParseAnswer(normalized);
  if (expr.ok()) (void)rlvr::math::ToString(*expr, expr->root);
  (void)rlvr::ExtractMathAnswers(response, rlvr::AnswerSource::kAuto);
  (void)rlvr::MathEqual(gold, response, rlvr::MathOptions(), absl::Now() + absl::Seconds(5));
  return 0;
}
