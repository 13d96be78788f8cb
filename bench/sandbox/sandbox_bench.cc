// Isolated executions per second of a trivial Python test (a function plus an assert), on two
// workers, against the same program run as plain unsandboxed python3 subprocesses, two at a
// time, in the same process run. Prints one JSON object.
//
//   rlvr_bench_sandbox [--runs N]
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "core/config.h"
#include "sandbox/executor.h"
#include "sandbox/zygote.h"

extern char** environ;

namespace {

constexpr char kSource[] = "def add(a, b):\n    return a + b\n";
constexpr char kTests[] = "assert add(1, 2) == 3\nassert add(-1, 1) == 0\n";
constexpr int kWorkers = 2;
constexpr int kWarmupRuns = 10;

struct Result {
  double runs_per_s = 0;
  double p50_ms = 0;
  int failures = 0;
};

// Runs `one` `runs` times on kWorkers threads; `one` returns success.
template <typename F>
Result Measure(int runs, F one) {
  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  absl::Mutex mu;
  std::vector<double> latencies_ms;
  absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (int w = 0; w < kWorkers; ++w) {
    threads.emplace_back([&, w] {
      while (next.fetch_add(1) < runs) {
        absl::Time t0 = absl::Now();
        if (!one(w)) failures.fetch_add(1);
        double ms = absl::ToDoubleMilliseconds(absl::Now() - t0);
        absl::MutexLock lock(&mu);
        latencies_ms.push_back(ms);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  std::sort(latencies_ms.begin(), latencies_ms.end());
  Result r;
  r.runs_per_s = runs / seconds;
  r.p50_ms = latencies_ms.empty() ? 0 : latencies_ms[latencies_ms.size() / 2];
  r.failures = failures.load();
  return r;
}

bool RunPython(const std::vector<std::string>& flags) {
  std::string program = std::string(kSource) + kTests;
  std::vector<std::string> args = {"/usr/bin/python3"};
  args.insert(args.end(), flags.begin(), flags.end());
  args.push_back("-c");
  args.push_back(program);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return false;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  rlvr::sandbox::RunZygoteIfRequested(argc, argv);
  int runs = 400;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--runs" && !absl::SimpleAtoi(argv[i + 1], &runs)) {
      fprintf(stderr, "--runs takes a number\n");
      return 2;
    }
  }
  rlvr::v1::SandboxServiceConfig config;
  if (absl::Status s = rlvr::LoadConfig(RLVR_SOURCE_DIR "/configs/sandbox.textproto", {}, &config);
      !s.ok()) {
    fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    return 1;
  }
  config.set_workers(kWorkers);
  absl::StatusOr<std::unique_ptr<rlvr::sandbox::Executor>> executor =
      rlvr::sandbox::Executor::Create(config);
  if (!executor.ok()) {
    fprintf(stderr, "%s\n", std::string(executor.status().message()).c_str());
    return 1;
  }
  rlvr::v1::ExecuteRequest request;
  request.set_language("python3");
  request.set_source(kSource);
  request.set_test_code(kTests);
  auto sandboxed = [&](int worker) {
    absl::StatusOr<rlvr::v1::ExecuteResponse> r = (*executor)->Execute(request, worker);
    return r.ok() && r->passed();
  };
  auto plain = [](int) { return RunPython({}); };
  auto plain_isolated = [](int) { return RunPython({"-I", "-S"}); };

  Measure(kWarmupRuns, sandboxed);
  Measure(kWarmupRuns, plain);
  Result sandbox = Measure(runs, sandboxed);
  Result baseline = Measure(runs, plain);
  Result baseline_is = Measure(runs, plain_isolated);

  printf(
      "{\"bench\": \"sandbox_trivial_python_test\", \"runs\": %d, \"workers\": %d, "
      "\"cpus\": %ld,\n"
      " \"sandboxed\": {\"runs_per_s\": %.1f, \"p50_ms\": %.2f, \"failures\": %d},\n"
      " \"baseline_python3\": {\"runs_per_s\": %.1f, \"p50_ms\": %.2f, \"failures\": %d},\n"
      " \"baseline_python3_I_S\": {\"runs_per_s\": %.1f, \"p50_ms\": %.2f, \"failures\": %d},\n"
      " \"speedup_vs_python3\": %.2f, \"speedup_vs_python3_I_S\": %.2f}\n",
      runs, kWorkers, sysconf(_SC_NPROCESSORS_ONLN), sandbox.runs_per_s, sandbox.p50_ms,
      sandbox.failures, baseline.runs_per_s, baseline.p50_ms, baseline.failures,
      baseline_is.runs_per_s, baseline_is.p50_ms, baseline_is.failures,
      sandbox.runs_per_s / baseline.runs_per_s, sandbox.runs_per_s / baseline_is.runs_per_s);
  return sandbox.failures == 0 && baseline.failures == 0 ? 0 : 1;
}
