// Exact rational arithmetic on 128-bit integers with overflow detection: every operation says
// whether its result is exact, so callers can fall back (or refuse to judge) instead of
// silently wrapping around.
#ifndef RLVR_VERIFIERS_RATIONAL_H_
#define RLVR_VERIFIERS_RATIONAL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rlvr {

class Rational {
 public:
  using Int = __int128;

  Rational() = default;
  // Integer value.
  static Rational FromInt(Int v) { return Rational(v, 1); }
  // num/den in lowest terms with den > 0; nullopt when den == 0.
  static std::optional<Rational> Make(Int num, Int den);
  // Parses "123", "-4.50", "1e3", "2.5e-2" exactly; nullopt when malformed or too large.
  static std::optional<Rational> Parse(std::string_view text);

  Int num() const { return num_; }
  Int den() const { return den_; }
  bool is_integer() const { return den_ == 1; }
  bool is_zero() const { return num_ == 0; }
  double ToDouble() const;
  std::string ToString() const;

  friend bool operator==(const Rational& a, const Rational& b) {
    return a.num_ == b.num_ && a.den_ == b.den_;
  }

 private:
  Rational(Int num, Int den) : num_(num), den_(den) {}
  Int num_ = 0;
  Int den_ = 1;
};

enum class ArithError { kNone, kOverflow, kDivisionByZero };

struct RationalResult {
  Rational value;
  ArithError error = ArithError::kNone;
  bool ok() const { return error == ArithError::kNone; }
};

RationalResult Add(const Rational& a, const Rational& b);
RationalResult Sub(const Rational& a, const Rational& b);
RationalResult Mul(const Rational& a, const Rational& b);
RationalResult Div(const Rational& a, const Rational& b);
// a^e for an integer exponent |e| <= 4096 (larger exponents report kOverflow unless the base
// is 0, 1 or -1).
RationalResult Pow(const Rational& a, int64_t e);

}  // namespace rlvr

#endif  // RLVR_VERIFIERS_RATIONAL_H_
