#include "verifiers/math_compare.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace rlvr::math {
namespace {

using C = std::complex<double>;

// Random points at which expressions with free symbols are compared.
constexpr int kPoints = 4;
// Relative tolerance for values computed in floating point.
constexpr double kRelTol = 1e-9;
// Upper bound on items compared pairwise in one collection.
constexpr size_t kMaxItems = 256;
// Upper bound on the ± choices expanded in one scalar (2^k variants).
constexpr int kMaxPlusMinus = 4;

// One side of a comparison: a node of an expression, with the choice made for each ± in it.
struct Ref {
  const Expr* e = nullptr;
  int node = -1;
  uint32_t pm_mask = 0;
  // True once the ± choices of this scalar are fixed by pm_mask.
  bool expanded = false;
  const Node& n() const { return e->at(node); }
};

class Comparer {
 public:
  explicit Comparer(const CompareOptions& options) : options_(options) {
    std::mt19937_64 rng(options.seed);
    std::uniform_real_distribution<double> dist(0.6, 2.4);
    for (auto& point : points_) {
      for (auto& v : point) v = dist(rng);
    }
  }

  bool expired() const { return expired_; }
  bool over_budget() const { return ticks_ > options_.max_work; }

  // --- time budget --------------------------------------------------------------------------
  bool Tick() {
    if (expired_) return false;
    if ((++ticks_ & 255) == 0 && (absl::Now() > options_.deadline || ticks_ > options_.max_work)) {
      expired_ = true;
    }
    return !expired_;
  }

  // --- structure helpers --------------------------------------------------------------------
  static bool IsCollection(NodeKind k) {
    return k == NodeKind::kTuple || k == NodeKind::kSet || k == NodeKind::kList ||
           k == NodeKind::kInterval || k == NodeKind::kUnion || k == NodeKind::kMatrix;
  }

  // Labels name a value: "x", "f(x)", "a_3", "(p, q)", "|AB|", "A:B", "NO/BO".
  bool IsLabel(const Expr& e, int i, int depth = 0) const {
    if (depth > kMaxDepth * 4) return false;
    const Node& n = e.at(i);
    switch (n.kind) {
      case NodeKind::kSymbol:
        return true;
      case NodeKind::kMul:
      case NodeKind::kInv:
      case NodeKind::kFunc:
      case NodeKind::kTuple:
      case NodeKind::kRatio:
        for (int k : n.kids) {
          if (!IsLabel(e, k, depth + 1)) return false;
        }
        return !n.kids.empty();
      default:
        return false;
    }
  }

  // Splits a relation at \approx: "x = 1/3 \approx 0.33" keeps "x = 1/3"; "x \approx 11" keeps
  // "11". Returns the [first, last] kid range to keep.
  static std::pair<int, int> ApproxRange(const Node& rel) {
    int first = 0;
    int last = static_cast<int>(rel.kids.size()) - 1;
    for (size_t i = 0; i < rel.ops.size(); ++i) {
      if (rel.ops[i] == "approx") {
        if (i >= 1) return {0, static_cast<int>(i)};
        first = static_cast<int>(i) + 1;
      }
    }
    return {first, last};
  }

  // What a relation stands for as an answer. gold_side: the gold's own rules apply.
  // Returns the node to compare (possibly the relation itself) or -2 when it becomes an
  // interval (written to *interval).
  struct Resolved {
    Ref ref;
    bool is_interval = false;  // a chain a < x < b read as an interval
    Ref lo, hi;
    bool lo_closed = false, hi_closed = false;
    bool is_equation = false;  // kept as a relation with a single '=' (first, last terms)
    int eq_lhs = -1, eq_rhs = -1;
  };

  Resolved Resolve(const Ref& r, bool gold_side, bool gold_is_equation) const {
    Resolved out;
    out.ref = r;
    const Node& n = r.n();
    if (n.kind != NodeKind::kRelation) return out;
    auto [first, last] = ApproxRange(n);
    if (first == last) {
      out.ref = Ref{r.e, n.kids[first], r.pm_mask};
      return out;
    }
    std::vector<std::string> ops(n.ops.begin() + first, n.ops.begin() + last);
    bool all_eq =
        std::all_of(ops.begin(), ops.end(), [](const std::string& o) { return o == "="; });
    if (all_eq) {
      if (gold_side) {
        if (last - first >= 2 || IsLabel(*r.e, n.kids[first])) {
          out.ref = Ref{r.e, n.kids[last], r.pm_mask};
          return out;
        }
        out.is_equation = true;
        out.eq_lhs = n.kids[first];
        out.eq_rhs = n.kids[last];
        return out;
      }
      if (gold_is_equation) {
        out.is_equation = true;
        out.eq_lhs = n.kids[first];
        out.eq_rhs = n.kids[last];
        return out;
      }
      out.ref = Ref{r.e, n.kids[last], r.pm_mask};
      return out;
    }
    if (ops.size() == 1 && ops[0] == "in" && IsLabel(*r.e, n.kids[first])) {
      out.ref = Ref{r.e, n.kids[last], r.pm_mask};
      return out;
    }
    // a < x < b (or with <=, or reversed) as an interval.
    if (ops.size() == 2 && (gold_side || options_.allow_set_relation_comp)) {
      bool up = (ops[0] == "<" || ops[0] == "<=") && (ops[1] == "<" || ops[1] == "<=");
      bool down = (ops[0] == ">" || ops[0] == ">=") && (ops[1] == ">" || ops[1] == ">=");
      if ((up || down) && IsLabel(*r.e, n.kids[first + 1])) {
        out.is_interval = true;
        int lo = up ? first : first + 2;
        int hi = up ? first + 2 : first;
        out.lo = Ref{r.e, n.kids[lo], r.pm_mask};
        out.hi = Ref{r.e, n.kids[hi], r.pm_mask};
        out.lo_closed = (up ? ops[0] : ops[1]).size() == 2;
        out.hi_closed = (up ? ops[1] : ops[0]).size() == 2;
        return out;
      }
    }
    return out;
  }

  // --- evaluation ---------------------------------------------------------------------------
  int SymbolSlot(const std::string& name) {
    auto it = slots_.find(name);
    if (it != slots_.end()) return it->second;
    int slot = static_cast<int>(slots_.size());
    slots_.emplace(name, slot);
    return slot;
  }

  void CollectSymbols(const Expr& e, int i, std::set<std::string>* out, int depth = 0) const {
    if (depth > kMaxDepth * 4) return;
    const Node& n = e.at(i);
    if (n.kind == NodeKind::kSymbol) out->insert(n.name);
    for (int k : n.kids) CollectSymbols(e, k, out, depth + 1);
  }

  // ± nodes of a subtree, in a fixed order, for masks.
  void CollectPlusMinus(const Expr& e, int i, std::vector<int>* out, int depth = 0) const {
    if (depth > kMaxDepth * 4) return;
    const Node& n = e.at(i);
    if (n.kind == NodeKind::kPlusMinus) out->push_back(i);
    for (int k : n.kids) CollectPlusMinus(e, k, out, depth + 1);
  }

  struct EvalCtx {
    const Expr* e;
    const std::vector<int>* pm_nodes;
    uint32_t mask;
    int point;
    // Non-strict comparison: this side's symbols renamed to the other side's (may be null).
    const std::map<std::string, std::string>* rename = nullptr;
  };

  std::optional<C> Eval(const EvalCtx& ctx, int i, int depth = 0) {
    if (!Tick() || depth > kMaxDepth * 4) return std::nullopt;
    const Node& n = ctx.e->at(i);
    auto kid = [&](int k) { return Eval(ctx, n.kids[k], depth + 1); };
    switch (n.kind) {
      case NodeKind::kNumber:
        return C(n.value, 0.0);
      case NodeKind::kSymbol: {
        const std::string* name = &n.name;
        if (ctx.rename != nullptr) {
          auto it = ctx.rename->find(n.name);
          if (it != ctx.rename->end()) name = &it->second;
        }
        int slot = SymbolSlot(*name);
        return C(points_[ctx.point][slot % kMaxSymbols] + 0.37 * (slot / kMaxSymbols), 0.0);
      }
      case NodeKind::kConst:
        if (n.name == "pi") return C(M_PI, 0);
        if (n.name == "e") return C(M_E, 0);
        return C(HUGE_VAL, 0);
      case NodeKind::kAdd: {
        C acc(0, 0);
        for (size_t k = 0; k < n.kids.size(); ++k) {
          std::optional<C> v = kid(k);
          if (!v) return std::nullopt;
          acc += *v;
        }
        return acc;
      }
      case NodeKind::kMul: {
        C acc(1, 0);
        for (size_t k = 0; k < n.kids.size(); ++k) {
          std::optional<C> v = kid(k);
          if (!v) return std::nullopt;
          acc *= *v;
        }
        return acc;
      }
      case NodeKind::kNeg: {
        std::optional<C> v = kid(0);
        if (!v) return std::nullopt;
        return -*v;
      }
      case NodeKind::kInv: {
        std::optional<C> v = kid(0);
        if (!v) return std::nullopt;
        return C(1, 0) / *v;
      }
      case NodeKind::kPow: {
        std::optional<C> b = kid(0);
        std::optional<C> x = kid(1);
        if (!b || !x) return std::nullopt;
        if (x->imag() == 0 && std::abs(x->real()) < 64 && x->real() == std::round(x->real())) {
          // Integer powers exactly, so that (-2)^3 stays real.
          C acc(1, 0);
          int e = static_cast<int>(std::abs(x->real()));
          for (int k = 0; k < e; ++k) acc *= *b;
          return x->real() < 0 ? C(1, 0) / acc : acc;
        }
        if (b->imag() == 0 && b->real() < 0 && x->imag() == 0) {
          // Real odd roots of negative numbers: (-8)^(1/3) = -2.
          double inv = 1.0 / x->real();
          if (std::abs(inv - std::round(inv)) < 1e-12 &&
              static_cast<int64_t>(std::round(inv)) % 2 != 0) {
            return C(-std::pow(-b->real(), x->real()), 0);
          }
        }
        return std::pow(*b, *x);
      }
      case NodeKind::kFactorial: {
        std::optional<C> v = kid(0);
        if (!v) return std::nullopt;
        double x = v->real();
        if (v->imag() != 0 || x < 0 || x != std::floor(x)) return std::nullopt;
        if (x > 170) return C(HUGE_VAL, 0);
        return C(std::tgamma(x + 1), 0);
      }
      case NodeKind::kPlusMinus: {
        auto it = std::find(ctx.pm_nodes->begin(), ctx.pm_nodes->end(), i);
        int bit = static_cast<int>(it - ctx.pm_nodes->begin());
        bool minus = bit < 32 && ((ctx.mask >> bit) & 1u);
        if (n.kids.size() == 1) {
          std::optional<C> v = kid(0);
          if (!v) return std::nullopt;
          return minus ? -*v : *v;
        }
        std::optional<C> a = kid(0);
        std::optional<C> b = kid(1);
        if (!a || !b) return std::nullopt;
        return minus ? *a - *b : *a + *b;
      }
      case NodeKind::kFunc:
        return EvalFunc(ctx, n, depth);
      default:
        return std::nullopt;  // not a scalar
    }
  }

  std::optional<C> EvalFunc(const EvalCtx& ctx, const Node& n, int depth) {
    std::vector<C> args;
    for (int k : n.kids) {
      std::optional<C> v = Eval(ctx, k, depth + 1);
      if (!v) return std::nullopt;
      args.push_back(*v);
    }
    if (args.empty()) return std::nullopt;
    const std::string& f = n.name;
    const C x = args[0];
    if (f == "sqrt") return std::sqrt(x);
    if (f == "root" && args.size() == 2) {
      if (x.imag() == 0 && x.real() < 0 && args[1].imag() == 0 &&
          static_cast<int64_t>(std::round(args[1].real())) % 2 != 0) {
        return C(-std::pow(-x.real(), 1.0 / args[1].real()), 0);
      }
      return std::pow(x, C(1, 0) / args[1]);
    }
    if (f == "abs") return C(std::abs(x), 0);
    if (f == "sin") return std::sin(x);
    if (f == "cos") return std::cos(x);
    if (f == "tan") return std::tan(x);
    if (f == "sec") return C(1, 0) / std::cos(x);
    if (f == "csc") return C(1, 0) / std::sin(x);
    if (f == "cot") return C(1, 0) / std::tan(x);
    if (f == "arcsin") return std::asin(x);
    if (f == "arccos") return std::acos(x);
    if (f == "arctan") return std::atan(x);
    if (f == "sinh") return std::sinh(x);
    if (f == "cosh") return std::cosh(x);
    if (f == "tanh") return std::tanh(x);
    if (f == "exp") return std::exp(x);
    if (f == "ln") return std::log(x);
    if (f == "lg") return std::log10(x);
    if (f == "log") return args.size() == 2 ? std::log(x) / std::log(args[1]) : std::log(x);
    if (f == "floor") return C(std::floor(x.real()), 0);
    if (f == "ceil") return C(std::ceil(x.real()), 0);
    if (f == "binom" && args.size() == 2) {
      double a = x.real(), b = args[1].real();
      return C(std::exp(std::lgamma(a + 1) - std::lgamma(b + 1) - std::lgamma(a - b + 1)), 0);
    }
    // An unknown function f(x): a product of a symbol and its argument, the same on both sides.
    std::optional<C> sym = C(points_[ctx.point][SymbolSlot(f) % kMaxSymbols], 0);
    C acc = *sym;
    for (const C& a : args) acc *= a;
    return acc;
  }

  // Exact rational value for trees of numbers, + - * / and small integer powers.
  std::optional<Rational> Exact(const Expr& e, int i, int depth = 0) {
    if (!Tick() || depth > kMaxDepth * 4) return std::nullopt;
    const Node& n = e.at(i);
    switch (n.kind) {
      case NodeKind::kNumber:
        if (n.has_exact) return n.exact;
        return std::nullopt;
      case NodeKind::kAdd:
      case NodeKind::kMul: {
        Rational acc = Rational::FromInt(n.kind == NodeKind::kAdd ? 0 : 1);
        for (int k : n.kids) {
          std::optional<Rational> v = Exact(e, k, depth + 1);
          if (!v) return std::nullopt;
          RationalResult r = n.kind == NodeKind::kAdd ? Add(acc, *v) : Mul(acc, *v);
          if (!r.ok()) return std::nullopt;
          acc = r.value;
        }
        return acc;
      }
      case NodeKind::kNeg: {
        std::optional<Rational> v = Exact(e, n.kids[0], depth + 1);
        if (!v) return std::nullopt;
        RationalResult r = Sub(Rational::FromInt(0), *v);
        if (!r.ok()) return std::nullopt;
        return r.value;
      }
      case NodeKind::kInv: {
        std::optional<Rational> v = Exact(e, n.kids[0], depth + 1);
        if (!v) return std::nullopt;
        RationalResult r = Div(Rational::FromInt(1), *v);
        if (!r.ok()) return std::nullopt;
        return r.value;
      }
      case NodeKind::kPow: {
        std::optional<Rational> b = Exact(e, n.kids[0], depth + 1);
        std::optional<Rational> x = Exact(e, n.kids[1], depth + 1);
        if (!b || !x || !x->is_integer()) return std::nullopt;
        // Pow caps the exponent itself (except for the bases 0 and +-1).
        constexpr Rational::Int kExpCap = Rational::Int(1) << 62;
        if (x->num() > kExpCap || x->num() < -kExpCap) return std::nullopt;
        RationalResult r = Pow(*b, static_cast<int64_t>(x->num()));
        if (!r.ok()) return std::nullopt;
        return r.value;
      }
      case NodeKind::kFactorial: {
        std::optional<Rational> v = Exact(e, n.kids[0], depth + 1);
        if (!v || !v->is_integer() || v->num() < 0 || v->num() > 33) return std::nullopt;
        Rational acc = Rational::FromInt(1);
        for (int k = 2; k <= static_cast<int>(v->num()); ++k) {
          RationalResult r = Mul(acc, Rational::FromInt(k));
          if (!r.ok()) return std::nullopt;
          acc = r.value;
        }
        return acc;
      }
      default:
        return std::nullopt;
    }
  }

  // Places of a plain decimal literal (possibly negated), else -1.
  static int DecimalPlaces(const Expr& e, int i) {
    const Node& n = e.at(i);
    if (n.kind == NodeKind::kNeg) return DecimalPlaces(e, n.kids[0]);
    if (n.kind == NodeKind::kNumber) return n.decimals;
    return -1;
  }

  static bool Close(C a, C b, double tol) {
    if (std::isnan(a.real()) || std::isnan(b.real()) || std::isnan(a.imag()) ||
        std::isnan(b.imag())) {
      return false;
    }
    if (std::isinf(a.real()) || std::isinf(b.real())) {
      return a.real() == b.real() && std::abs(a.imag() - b.imag()) <= tol;
    }
    double scale = std::max({1.0, std::abs(a), std::abs(b)});
    return std::abs(a - b) <= tol * scale;
  }

  // --- scalars ------------------------------------------------------------------------------
  bool ScalarEqual(const Ref& a, const Ref& b) {
    std::vector<int> pa, pb;
    CollectPlusMinus(*a.e, a.node, &pa);
    CollectPlusMinus(*b.e, b.node, &pb);
    if (pa.empty() && pb.empty()) {
      std::optional<Rational> ea = Exact(*a.e, a.node);
      std::optional<Rational> eb = Exact(*b.e, b.node);
      if (ea && eb) {
        if (*ea == *eb) return true;
        return DecimalMatch(a, b, ea->ToDouble(), eb->ToDouble());
      }
    }
    std::set<std::string> sa, sb;
    CollectSymbols(*a.e, a.node, &sa);
    CollectSymbols(*b.e, b.node, &sb);
    // Without strict, "f(x)" and "f(y)" name the same function: the answer's symbols are
    // renamed, in sorted order, to the gold's.
    std::map<std::string, std::string> rename;
    if (sa != sb) {
      if (options_.strict || sa.size() != sb.size()) return false;
      auto ia = sa.begin();
      for (const std::string& name : sb) rename[name] = *ia++;
    }
    bool constant = sa.empty() && sb.empty();
    for (int p = 0; p < (constant ? 1 : kPoints); ++p) {
      std::optional<C> va = Eval({a.e, &pa, a.pm_mask, p}, a.node);
      std::optional<C> vb = Eval({b.e, &pb, b.pm_mask, p, &rename}, b.node);
      if (!va || !vb) return false;
      if (Close(*va, *vb, kRelTol)) continue;
      if (constant && va->imag() == 0 && vb->imag() == 0 &&
          DecimalMatch(a, b, va->real(), vb->real())) {
        continue;
      }
      return false;
    }
    return true;
  }

  // A decimal literal with k places matches a value that rounds to it at
  // min(k, float_rounding) places.
  bool DecimalMatch(const Ref& a, const Ref& b, double va, double vb) const {
    int da = DecimalPlaces(*a.e, a.node);
    int db = DecimalPlaces(*b.e, b.node);
    int places = -1;
    if (da > 0 && db > 0) {
      places = std::min({da, db, options_.float_rounding});
    } else if (da > 0 || db > 0) {
      places = std::min(std::max(da, db), options_.float_rounding);
    }
    if (places < 0) return false;
    double tol = 0.5 * std::pow(10.0, -places) * (1 + 1e-9) + 1e-12 * std::max(1.0, std::abs(va));
    return std::abs(va - vb) <= tol;
  }

  // --- items of collections -----------------------------------------------------------------
  // Flattens lists and sets (nested ones too) and expands ± in scalars into separate items.
  void Items(const Ref& r, std::vector<Ref>* out, int depth = 0) {
    if (out->size() > kMaxItems || depth > kMaxDepth) return;
    const Node& n = r.n();
    if (n.kind == NodeKind::kList || n.kind == NodeKind::kSet) {
      for (int k : n.kids) Items(Ref{r.e, k, r.pm_mask, r.expanded}, out, depth + 1);
      return;
    }
    if (!IsCollection(n.kind) && n.kind != NodeKind::kRelation && n.kind != NodeKind::kText) {
      std::vector<int> pm;
      CollectPlusMinus(*r.e, r.node, &pm);
      if (!r.expanded && !pm.empty() && pm.size() <= kMaxPlusMinus) {
        for (uint32_t m = 0; m < (1u << pm.size()); ++m) {
          out->push_back(Ref{r.e, r.node, m, true});
        }
        return;
      }
    }
    out->push_back(r);
  }

  // Set semantics: every item of each side equals some item of the other (repeats collapse).
  bool Unordered(const std::vector<Ref>& a, const std::vector<Ref>& b) {
    if (a.empty() != b.empty() || a.size() > kMaxItems || b.size() > kMaxItems) return false;
    auto covered = [&](const std::vector<Ref>& xs, const std::vector<Ref>& ys, bool gold_first) {
      for (const Ref& x : xs) {
        bool found = false;
        for (const Ref& y : ys) {
          if (gold_first ? Equal(x, y, false) : Equal(y, x, false)) {
            found = true;
            break;
          }
          if (expired_) return false;
        }
        if (!found) return false;
      }
      return true;
    };
    return covered(a, b, true) && covered(b, a, false);
  }

  bool Ordered(const std::vector<Ref>& a, const std::vector<Ref>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!Equal(a[i], b[i], false)) return false;
    }
    return true;
  }

  std::vector<Ref> Kids(const Ref& r) const {
    std::vector<Ref> out;
    for (int k : r.n().kids) out.push_back(Ref{r.e, k, r.pm_mask, r.expanded});
    return out;
  }

  // Sorted by numeric value when every element is a real constant.
  std::vector<Ref> SortedByValue(std::vector<Ref> items) {
    std::vector<std::pair<double, Ref>> keyed;
    for (const Ref& r : items) {
      std::vector<int> pm;
      CollectPlusMinus(*r.e, r.node, &pm);
      std::optional<C> v = Eval({r.e, &pm, r.pm_mask, 0}, r.node);
      if (!v || v->imag() != 0) return items;
      keyed.push_back({v->real(), r});
    }
    std::stable_sort(keyed.begin(), keyed.end(),
                     [](const auto& x, const auto& y) { return x.first < y.first; });
    std::vector<Ref> out;
    for (auto& [k, r] : keyed) out.push_back(r);
    return out;
  }

  static std::string Squeeze(std::string_view s) {
    std::string out;
    for (char c : s) {
      if (c == ' ' || c == '(' || c == ')' || c == '.' || c == '~' || c == '\t') continue;
      out.push_back(c);
    }
    return out;
  }

  // "odd" parsed as o*d*d, for comparison with \text{odd}.
  std::optional<std::string> Letters(const Ref& r) const {
    const Node& n = r.n();
    if (n.kind == NodeKind::kSymbol) return n.name;
    if (n.kind == NodeKind::kText) return Squeeze(n.name);
    if (n.kind == NodeKind::kConst && n.name == "e") return std::string("e");
    if (n.kind != NodeKind::kMul) return std::nullopt;
    std::string s;
    for (int k : n.kids) {
      const Node& c = r.e->at(k);
      if (c.kind != NodeKind::kSymbol) return std::nullopt;
      s += c.name;
    }
    return s;
  }

  // --- relations ----------------------------------------------------------------------------
  // f = lhs - rhs, compared up to a constant factor (positive for inequalities).
  bool Proportional(const Ref& la, const Ref& ra, const Ref& lb, const Ref& rb,
                    bool positive_only) {
    std::vector<int> none;
    std::set<std::string> sa, sb;
    CollectSymbols(*la.e, la.node, &sa);
    CollectSymbols(*ra.e, ra.node, &sa);
    CollectSymbols(*lb.e, lb.node, &sb);
    CollectSymbols(*rb.e, rb.node, &sb);
    if (options_.strict && sa != sb) return false;
    std::optional<C> ratio;
    for (int p = 0; p < kPoints; ++p) {
      std::optional<C> a1 = Eval({la.e, &none, 0, p}, la.node);
      std::optional<C> a2 = Eval({ra.e, &none, 0, p}, ra.node);
      std::optional<C> b1 = Eval({lb.e, &none, 0, p}, lb.node);
      std::optional<C> b2 = Eval({rb.e, &none, 0, p}, rb.node);
      if (!a1 || !a2 || !b1 || !b2) return false;
      C fa = *a1 - *a2;
      C fb = *b1 - *b2;
      bool za = Close(fa, 0, kRelTol);
      bool zb = Close(fb, 0, kRelTol);
      if (za || zb) {
        if (za != zb) return false;
        continue;
      }
      C r = fa / fb;
      if (!ratio) {
        ratio = r;
        if (positive_only && !(r.real() > 0 && std::abs(r.imag()) < kRelTol)) return false;
      } else if (!Close(*ratio, r, 1e-7)) {
        return false;
      }
    }
    return true;
  }

  // Orientation: a < b as (b - a > 0, strict).
  struct Inequality {
    Ref big, small;
    bool strict;
  };
  static std::optional<Inequality> AsInequality(const Ref& lhs, const std::string& op,
                                                const Ref& rhs) {
    if (op == "<") return Inequality{rhs, lhs, true};
    if (op == "<=") return Inequality{rhs, lhs, false};
    if (op == ">") return Inequality{lhs, rhs, true};
    if (op == ">=") return Inequality{lhs, rhs, false};
    return std::nullopt;
  }

  bool RelationEqual(const Ref& a, const Ref& b) {
    const Node& na = a.n();
    const Node& nb = b.n();
    if (na.ops.size() != nb.ops.size()) return false;
    if (na.ops.size() == 1) {
      Ref la{a.e, na.kids[0], a.pm_mask}, ra{a.e, na.kids[1], a.pm_mask};
      Ref lb{b.e, nb.kids[0], b.pm_mask}, rb{b.e, nb.kids[1], b.pm_mask};
      const std::string& oa = na.ops[0];
      const std::string& ob = nb.ops[0];
      if (oa == "=" && ob == "=") {
        if (Equal(la, lb, false) && Equal(ra, rb, false)) return true;
        return Proportional(la, ra, lb, rb, false);
      }
      if (oa == "!=" && ob == "!=") return Proportional(la, ra, lb, rb, false);
      std::optional<Inequality> ia = AsInequality(la, oa, ra);
      std::optional<Inequality> ib = AsInequality(lb, ob, rb);
      if (ia && ib) {
        if (ia->strict != ib->strict) return false;
        if (Equal(ia->big, ib->big, false) && Equal(ia->small, ib->small, false)) return true;
        return Proportional(ia->big, ia->small, ib->big, ib->small, true);
      }
      if (oa == ob) return Equal(la, lb, false) && Equal(ra, rb, false);
      return false;
    }
    if (na.ops != nb.ops) return false;
    return Ordered(Kids(a), Kids(b));
  }

  // --- the comparison -----------------------------------------------------------------------
  bool Equal(const Ref& a_in, const Ref& b_in, bool top) {
    if (!Tick()) return false;
    Resolved ra = Resolve(a_in, /*gold_side=*/true, false);
    Resolved rb = Resolve(b_in, /*gold_side=*/false, ra.is_equation);
    if (ra.is_equation || rb.is_equation) {
      if (!(ra.is_equation && rb.is_equation)) return false;
      Ref la{a_in.e, ra.eq_lhs, 0}, ga{a_in.e, ra.eq_rhs, 0};
      Ref lb{b_in.e, rb.eq_lhs, 0}, gb{b_in.e, rb.eq_rhs, 0};
      if (Equal(la, lb, false) && Equal(ga, gb, false)) return true;
      return Proportional(la, ga, lb, gb, false);
    }
    if (ra.is_interval || rb.is_interval) {
      return IntervalEqual(ra, rb);
    }
    const Ref& a = ra.ref;
    const Ref& b = rb.ref;
    const Node& na = a.n();
    const Node& nb = b.n();
    (void)top;

    // Text answers.
    if (na.kind == NodeKind::kText || nb.kind == NodeKind::kText) {
      std::optional<std::string> la = Letters(a);
      std::optional<std::string> lb = Letters(b);
      return la && lb && *la == *lb;
    }

    // Collections without order, and ± values.
    bool a_set = na.kind == NodeKind::kList || na.kind == NodeKind::kSet;
    bool b_set = nb.kind == NodeKind::kList || nb.kind == NodeKind::kSet;
    if (a_set || b_set) {
      std::vector<Ref> ia, ib;
      Items(a, &ia);
      Items(b, &ib);
      if (na.kind == NodeKind::kTuple && nb.kind == NodeKind::kSet) {
        return Ordered(Kids(a), SortedByValue(ib));
      }
      if (nb.kind == NodeKind::kTuple && na.kind == NodeKind::kSet) {
        return Ordered(SortedByValue(ia), Kids(b));
      }
      if (ia.size() == 1 && ib.size() == 1 && (ia[0].node != a.node || ib[0].node != b.node)) {
        return Equal(ia[0], ib[0], false);
      }
      return Unordered(ia, ib);
    }
    if (!IsCollection(na.kind) && !IsCollection(nb.kind) && na.kind != NodeKind::kRelation &&
        nb.kind != NodeKind::kRelation && na.kind != NodeKind::kRatio &&
        nb.kind != NodeKind::kRatio) {
      std::vector<Ref> ia, ib;
      Items(a, &ia);
      Items(b, &ib);
      if (ia.size() == 1 && ib.size() == 1) return ScalarEqual(ia[0], ib[0]);
      return Unordered(ia, ib);
    }

    if (na.kind == NodeKind::kRelation && nb.kind == NodeKind::kRelation) {
      return RelationEqual(a, b);
    }
    if (na.kind == NodeKind::kRatio && nb.kind == NodeKind::kRatio) {
      return Ordered(Kids(a), Kids(b));
    }
    if (na.kind == NodeKind::kTuple && nb.kind == NodeKind::kTuple) {
      return Ordered(Kids(a), Kids(b));
    }
    if (na.kind == NodeKind::kInterval || nb.kind == NodeKind::kInterval) {
      Resolved x = AsIntervalView(a);
      Resolved y = AsIntervalView(b);
      if (!x.is_interval || !y.is_interval) return false;
      return IntervalEqual(x, y);
    }
    if (na.kind == NodeKind::kUnion && nb.kind == NodeKind::kUnion) {
      return Ordered(Kids(a), Kids(b)) || Unordered(Kids(a), Kids(b));
    }
    if (na.kind == NodeKind::kMatrix && nb.kind == NodeKind::kMatrix) {
      return na.rows == nb.rows && na.cols == nb.cols && Ordered(Kids(a), Kids(b));
    }
    if (na.kind == NodeKind::kMatrix || nb.kind == NodeKind::kMatrix) return MatrixValueEqual(a, b);
    return false;
  }

  // --- matrix arithmetic (sums and products of matrices), numerically -------------------------
  struct NumMatrix {
    int rows = 0;
    int cols = 0;
    std::vector<C> v;  // row-major; rows == 0 means a scalar in v[0]
  };

  std::optional<NumMatrix> EvalMatrix(const Ref& r, int point, int depth = 0) {
    if (!Tick() || depth > kMaxDepth) return std::nullopt;
    const Node& n = r.n();
    std::vector<int> none;
    if (n.kind == NodeKind::kMatrix) {
      NumMatrix m{n.rows, n.cols, {}};
      for (int k : n.kids) {
        std::optional<C> x = Eval({r.e, &none, 0, point}, k);
        if (!x) return std::nullopt;
        m.v.push_back(*x);
      }
      return m;
    }
    if (n.kind == NodeKind::kAdd || n.kind == NodeKind::kMul || n.kind == NodeKind::kNeg) {
      std::optional<NumMatrix> acc;
      for (int k : n.kids) {
        std::optional<NumMatrix> x = EvalMatrix(Ref{r.e, k, 0}, point, depth + 1);
        if (!x) return std::nullopt;
        if (n.kind == NodeKind::kNeg) {
          for (C& c : x->v) c = -c;
          return x;
        }
        if (!acc) {
          acc = std::move(x);
        } else if (n.kind == NodeKind::kAdd) {
          if (acc->rows != x->rows || acc->cols != x->cols) return std::nullopt;
          for (size_t i = 0; i < acc->v.size(); ++i) acc->v[i] += x->v[i];
        } else {
          acc = MatMul(*acc, *x);
          if (!acc) return std::nullopt;
        }
      }
      return acc;
    }
    std::optional<C> x = Eval({r.e, &none, 0, point}, r.node);
    if (!x) return std::nullopt;
    return NumMatrix{0, 0, {*x}};
  }

  static std::optional<NumMatrix> MatMul(const NumMatrix& a, const NumMatrix& b) {
    if (a.rows == 0 || b.rows == 0) {
      const NumMatrix& m = a.rows == 0 ? b : a;
      C k = a.rows == 0 ? a.v[0] : b.v[0];
      NumMatrix out = m;
      for (C& c : out.v) c *= k;
      return out;
    }
    if (a.cols != b.rows) return std::nullopt;
    NumMatrix out{a.rows, b.cols, std::vector<C>(static_cast<size_t>(a.rows) * b.cols)};
    for (int i = 0; i < a.rows; ++i) {
      for (int j = 0; j < b.cols; ++j) {
        C sum(0, 0);
        for (int k = 0; k < a.cols; ++k) sum += a.v[i * a.cols + k] * b.v[k * b.cols + j];
        out.v[i * b.cols + j] = sum;
      }
    }
    return out;
  }

  bool MatrixValueEqual(const Ref& a, const Ref& b) {
    for (int p = 0; p < kPoints; ++p) {
      std::optional<NumMatrix> x = EvalMatrix(a, p);
      std::optional<NumMatrix> y = EvalMatrix(b, p);
      if (!x || !y || x->rows == 0 || x->rows != y->rows || x->cols != y->cols) return false;
      for (size_t i = 0; i < x->v.size(); ++i) {
        if (!Close(x->v[i], y->v[i], kRelTol)) return false;
      }
    }
    return true;
  }

  // Intervals, and 2-tuples read as open intervals.
  Resolved AsIntervalView(const Ref& r) const {
    Resolved out;
    const Node& n = r.n();
    if (n.kind == NodeKind::kInterval || (n.kind == NodeKind::kTuple && n.kids.size() == 2)) {
      out.is_interval = true;
      out.lo = Ref{r.e, n.kids[0], r.pm_mask};
      out.hi = Ref{r.e, n.kids[1], r.pm_mask};
      out.lo_closed = n.kind == NodeKind::kInterval && n.left_closed;
      out.hi_closed = n.kind == NodeKind::kInterval && n.right_closed;
    }
    return out;
  }

  bool IntervalEqual(const Resolved& ra, const Resolved& rb) {
    Resolved a = ra.is_interval ? ra : AsIntervalView(ra.ref);
    Resolved b = rb.is_interval ? rb : AsIntervalView(rb.ref);
    if (!a.is_interval || !b.is_interval) return false;
    return a.lo_closed == b.lo_closed && a.hi_closed == b.hi_closed && Equal(a.lo, b.lo, false) &&
           Equal(a.hi, b.hi, false);
  }

 private:
  static constexpr int kMaxSymbols = 16;
  CompareOptions options_;
  double points_[kPoints][kMaxSymbols];
  std::map<std::string, int> slots_;
  uint64_t ticks_ = 0;
  bool expired_ = false;
};

}  // namespace

CompareResult CompareExprs(const Expr& gold, const Expr& pred, const CompareOptions& options) {
  Comparer c(options);
  bool eq = c.Equal(Ref{&gold, gold.root, 0}, Ref{&pred, pred.root, 0}, true);
  if (c.expired()) {
    return c.over_budget() ? CompareResult::kTooMuchWork : CompareResult::kOutOfTime;
  }
  return eq ? CompareResult::kEqual : CompareResult::kNotEqual;
}

}  // namespace rlvr::math
