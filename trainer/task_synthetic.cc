#include "trainer/task_synthetic.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace rlvr {
namespace {

constexpr int kDefaultMinDigits = 2;
constexpr int kDefaultMaxDigits = 4;
constexpr int kMaxDigits = 18;
constexpr int kDefaultCountdownOperands = 4;
constexpr int kDefaultSumOperands = 5;
constexpr int kMaxSumOperands = 32;
constexpr int kMaxCountdownOperands = 6;
constexpr int64_t kCountdownMaxNumber = 99;
constexpr int64_t kCountdownMaxTarget = 999;
constexpr int kCountdownMaxAttempts = 1000;

// A decimal number with exactly `digits` digits (no leading zero unless it is one digit).
std::string RandomNumber(Rng& rng, int digits) {
  std::string s;
  for (int i = 0; i < digits; ++i) {
    const uint64_t lo = (i == 0 && digits > 1) ? 1 : 0;
    s.push_back(static_cast<char>('0' + lo + rng.UniformInt(10 - lo)));
  }
  return s;
}

// a + b for non-negative decimal strings.
std::string DecimalSum(const std::string& a, const std::string& b) {
  std::string out;
  int carry = 0;
  for (size_t i = 0; i < std::max(a.size(), b.size()) || carry; ++i) {
    const int da = i < a.size() ? a[a.size() - 1 - i] - '0' : 0;
    const int db = i < b.size() ? b[b.size() - 1 - i] - '0' : 0;
    const int s = da + db + carry;
    out.push_back(static_cast<char>('0' + s % 10));
    carry = s / 10;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

class AdditionTask : public SyntheticTask {
 public:
  AdditionTask(int min_digits, int max_digits) : min_(min_digits), max_(max_digits) {}

  TaskProblem Sample(Rng& rng) const override {
    const int da = min_ + static_cast<int>(rng.UniformInt(max_ - min_ + 1));
    const int db = min_ + static_cast<int>(rng.UniformInt(max_ - min_ + 1));
    const std::string a = RandomNumber(rng, da);
    const std::string b = RandomNumber(rng, db);
    const std::string sum = DecimalSum(a, b);
    TaskProblem p;
    p.question = absl::StrCat(a, "+", b);
    p.ground_truth = sum;
    p.worked = AdditionWorkedSolution(a, b);
    p.direct = p.question;
    p.answer = sum;
    p.bare = absl::StrCat(a, "+", b, "=", sum);
    return p;
  }
  std::string verifier() const override { return "exact_match"; }
  std::vector<std::string> characters() const override {
    return {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "+", "=", "c", "r"};
  }

 private:
  int min_, max_;
};

class SumTask : public SyntheticTask {
 public:
  SumTask(int operands, int min_digits, int max_digits)
      : operands_(operands), min_(min_digits), max_(max_digits) {}

  TaskProblem Sample(Rng& rng) const override {
    std::vector<std::string> numbers;
    for (int i = 0; i < operands_; ++i) {
      numbers.push_back(
          RandomNumber(rng, min_ + static_cast<int>(rng.UniformInt(max_ - min_ + 1))));
    }
    TaskProblem p;
    p.question = absl::StrJoin(numbers, "+");
    p.worked = SumWorkedSolution(numbers);
    std::string total = numbers[0];
    for (size_t i = 1; i < numbers.size(); ++i) total = DecimalSum(total, numbers[i]);
    p.ground_truth = total;
    p.direct = p.question;
    p.answer = total;
    p.bare = absl::StrCat(p.question, "=", total);
    return p;
  }
  std::string verifier() const override { return "exact_match"; }
  std::vector<std::string> characters() const override {
    return {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "+", "="};
  }

 private:
  int operands_, min_, max_;
};

class CountdownTask : public SyntheticTask {
 public:
  explicit CountdownTask(int operands) : operands_(operands) {}

  TaskProblem Sample(Rng& rng) const override {
    for (int attempt = 0;; ++attempt) {
      std::vector<int64_t> numbers;
      for (int i = 0; i < operands_; ++i) {
        numbers.push_back(1 + static_cast<int64_t>(rng.UniformInt(kCountdownMaxNumber)));
      }
      // Combine the pool two at a time until one value is left.
      std::vector<std::pair<int64_t, std::string>> pool;
      for (int64_t n : numbers) pool.emplace_back(n, absl::StrCat(n));
      std::vector<std::string> steps;
      while (pool.size() > 1) {
        const size_t i = rng.UniformInt(pool.size());
        size_t j = rng.UniformInt(pool.size() - 1);
        if (j >= i) ++j;
        auto [a, ea] = pool[i];
        auto [b, eb] = pool[j];
        if (a < b) {
          std::swap(a, b);
          std::swap(ea, eb);
        }
        // Operations with exact, non-negative integer results.
        std::vector<char> ops = {'+', '*'};
        if (a > b) ops.push_back('-');
        if (b > 1 && a % b == 0) ops.push_back('/');
        const char op = ops[rng.UniformInt(ops.size())];
        const int64_t r = op == '+' ? a + b : op == '-' ? a - b : op == '*' ? a * b : a / b;
        steps.push_back(absl::StrCat(a, std::string(1, op), b, "=", r));
        const std::string expr = absl::StrCat("(", ea, " ", std::string(1, op), " ", eb, ")");
        pool.erase(pool.begin() + std::max(i, j));
        pool.erase(pool.begin() + std::min(i, j));
        pool.emplace_back(r, expr);
      }
      const int64_t target = pool[0].first;
      if ((target < 1 || target > kCountdownMaxTarget) && attempt < kCountdownMaxAttempts) {
        continue;
      }
      std::string expr = pool[0].second;
      if (expr.size() >= 2 && expr.front() == '(') expr = expr.substr(1, expr.size() - 2);
      std::vector<std::string> shown;
      for (int64_t n : numbers) shown.push_back(absl::StrCat(n));
      TaskProblem p;
      p.question = absl::StrCat("Using the numbers ", absl::StrJoin(shown, " "),
                                " once each, write an equation that equals ", target);
      p.ground_truth =
          absl::StrCat("{\"target\":", target, ",\"numbers\":[", absl::StrJoin(shown, ","), "]}");
      p.worked = absl::StrJoin(steps, "\n");
      p.direct = absl::StrCat(absl::StrJoin(shown, " "), " make ", target);
      p.answer = expr;
      p.bare = absl::StrCat(expr, "=", target);
      return p;
    }
  }
  std::string verifier() const override { return "countdown"; }
  std::vector<std::string> characters() const override {
    return {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "+", "-", "*", "/", "=", "(", ")"};
  }

 private:
  int operands_;
};

}  // namespace

std::string AdditionWorkedSolution(const std::string& a, const std::string& b) {
  std::vector<std::string> lines;
  std::string ra = a, rb = b, result;
  int carry = 0;
  lines.push_back(absl::StrCat(ra, "+", rb, " c0 r"));
  while (!ra.empty() || !rb.empty()) {
    int s = carry;
    if (!ra.empty()) {
      s += ra.back() - '0';
      ra.pop_back();
    }
    if (!rb.empty()) {
      s += rb.back() - '0';
      rb.pop_back();
    }
    result.insert(result.begin(), static_cast<char>('0' + s % 10));
    carry = s / 10;
    lines.push_back(absl::StrCat(ra, "+", rb, " c", carry, " r", result));
  }
  lines.push_back(absl::StrCat("= ", carry ? "1" : "", result));
  return absl::StrJoin(lines, "\n");
}

std::string SumWorkedSolution(const std::vector<std::string>& numbers) {
  std::vector<std::string> lines = {absl::StrJoin(numbers, "+")};
  std::vector<std::string> rest = numbers;
  while (rest.size() > 1) {
    const std::string total = DecimalSum(rest[0], rest[1]);
    lines.push_back(absl::StrCat(rest[0], "+", rest[1], "=", total));
    rest[1] = total;
    rest.erase(rest.begin());
    lines.push_back(absl::StrJoin(rest, "+"));
  }
  return absl::StrJoin(lines, "\n");
}

absl::StatusOr<std::unique_ptr<SyntheticTask>> MakeSyntheticTask(
    const v1::SyntheticTaskConfig& config) {
  if (config.family() == "addition") {
    const int lo = config.min_digits() > 0 ? config.min_digits() : kDefaultMinDigits;
    const int hi = config.max_digits() > 0 ? config.max_digits() : std::max(lo, kDefaultMaxDigits);
    if (lo > hi || hi > kMaxDigits) {
      return absl::InvalidArgumentError(absl::StrCat(
          "task: need 1 <= min_digits <= max_digits <= ", kMaxDigits, ", got ", lo, "..", hi));
    }
    if (config.operands() != 0 && config.operands() != 2) {
      return absl::InvalidArgumentError("task.operands: addition supports 2 operands");
    }
    return std::make_unique<AdditionTask>(lo, hi);
  }
  if (config.family() == "sum") {
    const int lo = config.min_digits() > 0 ? config.min_digits() : kDefaultMinDigits;
    const int hi = config.max_digits() > 0 ? config.max_digits() : lo;
    const int n = config.operands() > 0 ? config.operands() : kDefaultSumOperands;
    if (lo > hi || hi > kMaxDigits) {
      return absl::InvalidArgumentError(absl::StrCat(
          "task: need 1 <= min_digits <= max_digits <= ", kMaxDigits, ", got ", lo, "..", hi));
    }
    if (n < 2 || n > kMaxSumOperands) {
      return absl::InvalidArgumentError(
          absl::StrCat("task.operands: sum needs 2..", kMaxSumOperands, ", got ", n));
    }
    return std::make_unique<SumTask>(n, lo, hi);
  }
  if (config.family() == "countdown") {
    const int n = config.operands() > 0 ? config.operands() : kDefaultCountdownOperands;
    if (n < 2 || n > kMaxCountdownOperands) {
      return absl::InvalidArgumentError(
          absl::StrCat("task.operands: countdown needs 2..", kMaxCountdownOperands, ", got ", n));
    }
    return std::make_unique<CountdownTask>(n);
  }
  return absl::InvalidArgumentError(absl::StrCat("task.family: unknown family '", config.family(),
                                                 "' (known: addition, sum, countdown)"));
}

}  // namespace rlvr
