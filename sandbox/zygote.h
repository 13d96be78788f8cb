// The zygote: a long-lived helper process that has already entered the sandbox's read-only root
// and (optionally) started and warmed a Python interpreter. Each session is a fork of it in
// fresh PID, mount, network, IPC and UTS namespaces; the fork becomes the PID-namespace init of
// the session and runs its steps (compile, each test case) one after the other.
//
// Every binary that creates a Zygote must call RunZygoteIfRequested(argc, argv) first thing in
// main(): the zygote is the same executable, re-executed.
#ifndef RLVR_SANDBOX_ZYGOTE_H_
#define RLVR_SANDBOX_ZYGOTE_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sandbox/channel.h"
#include "sandbox/wire.pb.h"

namespace rlvr::sandbox {

// How long a program that keeps computing may run past its wall-clock limit: until
// WallCapMs(wall, cpu) (its RLIMIT_CPU normally ends it first). Programs that wait are stopped
// at the wall-clock limit itself.
inline constexpr int64_t kWallCapCpuMultiple = 10;
int64_t WallCapMs(int64_t wall_time_ms, int64_t cpu_time_ms);

// When argv asks for the zygote, runs it and exits the process; otherwise returns.
void RunZygoteIfRequested(int argc, char** argv);

// What one step produced, as seen from the service.
struct StepOutcome {
  wire::StepResult result;
  bool result_received = false;  // false when the session died before reporting
  std::string stdout_data;
  std::string stderr_data;
  bool output_exceeded = false;    // stdout + stderr went past the limit; the session was killed
  bool deadline_exceeded = false;  // the service's backstop deadline killed the session
  std::string result_channel;      // what arrived on the result fd (at most kMaxResultBytes)
};

// A running session: its init process and the socket to it. Destroying it kills every process
// of the session.
class Session {
 public:
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Runs one step. Output beyond `output_limit_bytes` (stdout + stderr) kills the session.
  // The step's own wall-clock limit is enforced by the session init; `deadline` is a backstop.
  absl::StatusOr<StepOutcome> Run(const wire::Step& step, const std::string& stdin_data,
                                  int64_t output_limit_bytes, absl::Time deadline);

  // False once the session's init has died or been killed.
  bool alive() const { return alive_; }

 private:
  friend class Zygote;
  Session() = default;
  void Kill();

  UniqueFd socket_;
  UniqueFd pidfd_;
  bool alive_ = true;
};

struct ZygoteOptions {
  std::vector<std::string> ro_paths;
  std::vector<std::string> hidden_paths;
  std::vector<std::string> preload_modules;
  bool embedded_python = true;
};

class Zygote {
 public:
  // Starts the zygote and waits until it is ready (root built, interpreter warmed).
  static absl::StatusOr<std::unique_ptr<Zygote>> Start(const ZygoteOptions& options);
  ~Zygote();

  // Forks a new session. `cgroup_procs_fds` (borrowed) are cgroup.procs files the session
  // joins before running anything. Thread-safe.
  absl::StatusOr<std::unique_ptr<Session>> StartSession(const wire::SessionStart& start,
                                                        const std::vector<int>& cgroup_procs_fds);

  pid_t pid() const { return pid_; }

 private:
  Zygote() = default;
  absl::Mutex mu_;
  UniqueFd control_ ABSL_GUARDED_BY(mu_);
  UniqueFd pidfd_;
  pid_t pid_ = -1;
};

}  // namespace rlvr::sandbox

#endif  // RLVR_SANDBOX_ZYGOTE_H_
