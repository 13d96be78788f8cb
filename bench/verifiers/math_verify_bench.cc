// Math verifier throughput and agreement on the answer-equivalence pairs
// (../shared/data/math_equivalence.jsonl): extraction + parsing + comparison of every pair,
// repeated for at least --min_seconds. Prints one JSON object. The Python baseline
// (math_verify_baseline.py) checks the same pairs; run_bench.py runs both and merges them.
//
//   rlvr_bench_verifiers [--data PATH] [--min_seconds 2]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/json.h"
#include "verifiers/math_verifier.h"

namespace {

struct Pair {
  std::string gold;
  std::string pred;
  bool expected = false;
  bool sympy_level = false;
  rlvr::MathOptions options;
};

// The cases both checkers can run: gold/pred comparisons (kind verify and sympy), minus the one
// label the data set marks as mathematically wrong.
std::vector<Pair> LoadPairs(const std::string& path) {
  absl::StatusOr<std::vector<rlvr::JsonValue>> rows = rlvr::ReadJsonl(path);
  if (!rows.ok()) {
    std::fprintf(stderr, "%s\n", rows.status().ToString().c_str());
    std::exit(1);
  }
  std::vector<Pair> pairs;
  for (const rlvr::JsonValue& row : *rows) {
    std::string kind = row.GetString("kind").value_or("");
    if (kind == "parse") continue;
    if (row.GetString("note").value_or("").find("LABEL QUESTIONABLE") != std::string::npos) {
      continue;
    }
    Pair p;
    p.gold = row.GetString("gold").value_or("");
    p.pred = row.GetString("pred").value_or("");
    p.expected = row.GetBool("equal").value_or(false);
    p.sympy_level = kind == "sympy";
    if (const rlvr::JsonValue* c = row.Find("config"); c != nullptr) {
      if (auto fr = c->GetInt("float_rounding"); fr.ok()) p.options.float_rounding = *fr;
      if (auto s = c->GetBool("strict"); s.ok()) p.options.strict = *s;
      if (auto a = c->GetBool("allow_set_relation_comp"); a.ok()) {
        p.options.allow_set_relation_comp = *a;
      }
      if (const rlvr::JsonValue* t = c->Find("extraction"); t != nullptr && t->is_array()) {
        bool expr = false;
        for (const rlvr::JsonValue& x : t->array()) {
          expr = expr || (x.is_string() && x.string() == "expr");
        }
        p.options.plain_numbers = expr;
      }
    }
    pairs.push_back(std::move(p));
  }
  return pairs;
}

bool Check(const Pair& p) {
  absl::StatusOr<rlvr::MathVerdict> v = p.sympy_level
                                            ? rlvr::CompareMathAnswers(p.gold, p.pred, p.options)
                                            : rlvr::MathEqual(p.gold, p.pred, p.options);
  return v.ok() && *v == rlvr::MathVerdict::kEqual;
}

}  // namespace

int main(int argc, char** argv) {
  std::string data = std::string(RLVR_SHARED_DATA_DIR) + "/math_equivalence.jsonl";
  double min_seconds = 2.0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--data") == 0) {
      data = argv[i + 1];
    } else if (std::strcmp(argv[i], "--min_seconds") == 0) {
      min_seconds = std::atof(argv[i + 1]);
    } else {
      std::fprintf(stderr, "usage: %s [--data PATH] [--min_seconds S]\n", argv[0]);
      return 2;
    }
  }
  std::vector<Pair> pairs = LoadPairs(data);
  int agree = 0;
  for (const Pair& p : pairs) agree += Check(p) == p.expected;
  // Timed passes over all pairs.
  int64_t checks = 0;
  int sink = 0;
  auto start = std::chrono::steady_clock::now();
  double elapsed = 0;
  do {
    for (const Pair& p : pairs) sink += Check(p);
    checks += static_cast<int64_t>(pairs.size());
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (elapsed < min_seconds);
  std::printf(
      "{\"impl\":\"rlvr\",\"pairs\":%zu,\"agreement\":%.4f,\"checks\":%lld,\"seconds\":%.3f,"
      "\"checks_per_second\":%.1f,\"threads\":1,\"equal_seen\":%d}\n",
      pairs.size(), static_cast<double>(agree) / pairs.size(), static_cast<long long>(checks),
      elapsed, checks / elapsed, sink);
  return 0;
}
