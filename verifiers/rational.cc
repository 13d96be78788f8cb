#include "verifiers/rational.h"

#include <cmath>
#include <limits>

namespace rlvr {
namespace {

using Int = Rational::Int;

constexpr Int kMax = std::numeric_limits<Int>::max();

Int Abs(Int v) { return v < 0 ? -v : v; }

Int Gcd(Int a, Int b) {
  a = Abs(a);
  b = Abs(b);
  while (b != 0) {
    Int t = a % b;
    a = b;
    b = t;
  }
  return a;
}

bool MulOverflows(Int a, Int b, Int* out) { return __builtin_mul_overflow(a, b, out); }
bool AddOverflows(Int a, Int b, Int* out) { return __builtin_add_overflow(a, b, out); }

RationalResult Overflow() { return {Rational(), ArithError::kOverflow}; }

}  // namespace

std::optional<Rational> Rational::Make(Int num, Int den) {
  if (den == 0) return std::nullopt;
  // -min is not representable; such values never arise from checked operations.
  if (num == std::numeric_limits<Int>::min() || den == std::numeric_limits<Int>::min()) {
    return std::nullopt;
  }
  if (den < 0) {
    num = -num;
    den = -den;
  }
  Int g = Gcd(num, den);
  if (g > 1) {
    num /= g;
    den /= g;
  }
  return Rational(num, den);
}

std::optional<Rational> Rational::Parse(std::string_view text) {
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
  Int num = 0;
  Int den = 1;
  bool digits = false;
  bool point = false;
  constexpr Int kLimit = kMax / 100;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c >= '0' && c <= '9') {
      digits = true;
      if (num > kLimit || (point && den > kLimit)) return std::nullopt;
      num = num * 10 + (c - '0');
      if (point) den *= 10;
    } else if (c == '.' && !point) {
      point = true;
    } else {
      break;
    }
  }
  if (!digits) return std::nullopt;
  int64_t exponent = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool eneg = false;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) eneg = text[i++] == '-';
    if (i >= text.size()) return std::nullopt;
    for (; i < text.size(); ++i) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      exponent = exponent * 10 + (text[i] - '0');
      if (exponent > 40) return std::nullopt;
    }
    if (eneg) exponent = -exponent;
  }
  if (i != text.size()) return std::nullopt;
  for (; exponent > 0; --exponent) {
    if (MulOverflows(num, 10, &num)) return std::nullopt;
  }
  for (; exponent < 0; ++exponent) {
    if (MulOverflows(den, 10, &den)) return std::nullopt;
  }
  return Make(negative ? -num : num, den);
}

double Rational::ToDouble() const {
  return static_cast<double>(static_cast<long double>(num_) / static_cast<long double>(den_));
}

std::string Rational::ToString() const {
  auto to_string = [](Int v) {
    if (v == 0) return std::string("0");
    bool neg = v < 0;
    std::string s;
    while (v != 0) {
      int d = static_cast<int>(v % 10);
      s.insert(s.begin(), static_cast<char>('0' + (d < 0 ? -d : d)));
      v /= 10;
    }
    if (neg) s.insert(s.begin(), '-');
    return s;
  };
  return den_ == 1 ? to_string(num_) : to_string(num_) + "/" + to_string(den_);
}

RationalResult Add(const Rational& a, const Rational& b) {
  Int g = Gcd(a.den(), b.den());
  Int l, r, d;
  if (MulOverflows(a.num(), b.den() / g, &l) || MulOverflows(b.num(), a.den() / g, &r) ||
      AddOverflows(l, r, &l) || MulOverflows(a.den() / g, b.den(), &d)) {
    return Overflow();
  }
  std::optional<Rational> v = Rational::Make(l, d);
  if (!v) return Overflow();
  return {*v, ArithError::kNone};
}

RationalResult Sub(const Rational& a, const Rational& b) {
  std::optional<Rational> nb = Rational::Make(-b.num(), b.den());
  if (!nb) return Overflow();
  return Add(a, *nb);
}

RationalResult Mul(const Rational& a, const Rational& b) {
  // Cross-reduce first so that results that fit are found.
  Int g1 = Gcd(a.num(), b.den());
  Int g2 = Gcd(b.num(), a.den());
  if (g1 == 0) g1 = 1;
  if (g2 == 0) g2 = 1;
  Int n, d;
  if (MulOverflows(a.num() / g1, b.num() / g2, &n) ||
      MulOverflows(a.den() / g2, b.den() / g1, &d)) {
    return Overflow();
  }
  std::optional<Rational> v = Rational::Make(n, d);
  if (!v) return Overflow();
  return {*v, ArithError::kNone};
}

RationalResult Div(const Rational& a, const Rational& b) {
  if (b.is_zero()) return {Rational(), ArithError::kDivisionByZero};
  std::optional<Rational> inv = Rational::Make(b.den(), b.num());
  if (!inv) return Overflow();
  return Mul(a, *inv);
}

RationalResult Pow(const Rational& a, int64_t e) {
  if (a.num() == 0) {
    if (e < 0) return {Rational(), ArithError::kDivisionByZero};
    return {e == 0 ? Rational::FromInt(1) : Rational(), ArithError::kNone};
  }
  if (a.den() == 1 && (a.num() == 1 || a.num() == -1)) {
    return {Rational::FromInt((a.num() == -1 && (e % 2 != 0)) ? -1 : 1), ArithError::kNone};
  }
  constexpr int64_t kMaxExponent = 4096;
  if (e > kMaxExponent || e < -kMaxExponent) return Overflow();
  Rational base = a;
  if (e < 0) {
    RationalResult inv = Div(Rational::FromInt(1), a);
    if (!inv.ok()) return inv;
    base = inv.value;
    e = -e;
  }
  Rational result = Rational::FromInt(1);
  for (int64_t k = 0; k < e; ++k) {
    RationalResult r = Mul(result, base);
    if (!r.ok()) return r;  // |base| >= 2 overflows within 128 steps
    result = r.value;
  }
  return {result, ArithError::kNone};
}

}  // namespace rlvr
