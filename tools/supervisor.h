// Child processes of `rlvr launch`: started with fork/exec, each in its own process group, their
// merged stdout/stderr copied to a log file by one I/O thread, and stopped with SIGTERM, then
// SIGKILL after a grace period.
//
// While a ChildSupervisor exists it owns the process's SIGINT, SIGTERM and SIGCHLD handlers: an
// interrupt is recorded (and wakes every waiter) instead of killing the process, so the caller
// can stop the children in order. Only one ChildSupervisor may exist at a time.
#ifndef RLVR_TOOLS_SUPERVISOR_H_
#define RLVR_TOOLS_SUPERVISOR_H_

#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace rlvr {

struct ChildSpec {
  std::string name;               // shown in messages: "sandbox", "rollout-0", "trainer"
  std::vector<std::string> argv;  // argv[0] is the program's path (not searched in PATH)
  std::string log_path;           // receives stdout and stderr, merged; truncated at start
  bool echo = false;              // also pass each output line to the console, as "[name] line"
};

// How a child ended: exactly one of exit_code >= 0 or signal > 0.
struct ChildExit {
  int exit_code = -1;
  int signal = 0;
  bool success() const { return exit_code == 0; }
  std::string Describe() const;  // "exited with code 3", "killed by signal 9 (Killed)"
};

// What ended a wait on the children.
struct SupervisorEvent {
  enum class Kind { kChildExited, kInterrupted, kTimeout };
  Kind kind = Kind::kTimeout;
  int child = -1;  // for kChildExited: the first child (by start order) that has exited
  int signal = 0;  // for kInterrupted: SIGINT or SIGTERM
};

class ChildSupervisor {
 public:
  // Receives whole lines for the console (echoed child lines and nothing else), from the I/O
  // thread; the default writes to stdout.
  using ConsoleFn = std::function<void(const std::string& line)>;

  // Installs the signal handlers and starts the I/O thread. FAILED_PRECONDITION when another
  // ChildSupervisor exists.
  static absl::StatusOr<std::unique_ptr<ChildSupervisor>> Create(ConsoleFn console = nullptr);

  // Stops every running child (grace of 10 s), then restores the previous signal handlers.
  ~ChildSupervisor();

  ChildSupervisor(const ChildSupervisor&) = delete;
  ChildSupervisor& operator=(const ChildSupervisor&) = delete;

  // Starts a child; returns its index (0, 1, ... in start order). An error when the log file
  // cannot be created or the program cannot be executed (the message names both).
  absl::StatusOr<int> Start(const ChildSpec& spec);

  // Waits until child `id` prints a line containing "listening on ADDRESS" and returns ADDRESS.
  // UNAVAILABLE when the child exits first, CANCELLED when interrupted, DEADLINE_EXCEEDED at
  // `deadline`.
  absl::StatusOr<std::string> WaitForListenAddress(int id, absl::Time deadline);

  // Waits until some child has exited, the process is interrupted, or `deadline` passes.
  // Interrupts take precedence; a child that had already exited is reported at once.
  SupervisorEvent WaitForEvent(absl::Time deadline = absl::InfiniteFuture());

  // Records an interrupt as if signal `signo` had arrived.
  void Interrupt(int signo);
  // The interrupting signal, or 0.
  int interrupted() const;

  // Sends SIGTERM to the process group of every running child, waits up to `grace` for them to
  // exit, then sends SIGKILL to the groups still running and waits for those. Afterwards every
  // child has been reaped and its output copied to its log.
  void StopAll(absl::Duration grace);

  int num_children() const;
  const std::string& name(int id) const;
  pid_t pid(int id) const;
  const std::string& log_path(int id) const;
  // The exit status, or nullopt while the child runs.
  std::optional<ChildExit> exit_status(int id) const;
  // The last `lines` lines of the child's log (what it has written so far).
  std::string LogTail(int id, int lines) const;

 private:
  struct Child;
  explicit ChildSupervisor(ConsoleFn console);
  absl::Status Init();
  void IoLoop();
  void ReapLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DrainLocked(Child& child) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ConsumeOutputLocked(Child& child, const char* data, size_t n)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void HandleLineLocked(Child& child, const std::string& line) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FlushPartialLineLocked(Child& child) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Wake();
  bool AllExitedLocked() const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  ConsoleFn console_;
  int wake_read_ = -1;
  int wake_write_ = -1;
  std::thread io_thread_;

  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<Child>> children_ ABSL_GUARDED_BY(mu_);
  int interrupted_ ABSL_GUARDED_BY(mu_) = 0;
  bool quit_ ABSL_GUARDED_BY(mu_) = false;
};

// Finds "listening on ADDRESS" in a line of service output; ADDRESS is the next
// whitespace-delimited word (e.g. "127.0.0.1:40123").
std::optional<std::string> ParseListeningLine(const std::string& line);

}  // namespace rlvr

#endif  // RLVR_TOOLS_SUPERVISOR_H_
