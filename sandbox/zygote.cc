#include "sandbox/zygote.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "sandbox/isolation.h"
#include "sandbox/python_host.h"

namespace rlvr::sandbox {
namespace {

constexpr char kZygoteFlag[] = "--rlvr-sandbox-zygote-fd=";
constexpr char kZygoteArgv0[] = "rlvr-sandbox-zygote";
// Bytes kept from the result channel; a genuine token is far shorter.
constexpr size_t kMaxResultBytes = 1024;
// How long the service waits for the zygote to become ready, and for a session to start.
constexpr absl::Duration kZygoteStartTimeout = absl::Seconds(120);
constexpr absl::Duration kSessionStartTimeout = absl::Seconds(30);
// How long destroying a session waits for its processes to be gone.
constexpr absl::Duration kSessionExitTimeout = absl::Seconds(30);
// Where the program process finds its result fd (Python runs only).
constexpr int kResultFd = 3;
// A program past its wall-clock limit counts as computing when it used at least this share of
// one CPU since the last check; it then gets another slice of at least this length.
constexpr int64_t kMinBusyPercent = 1;
constexpr int64_t kMinExtensionUs = 250000;

}  // namespace

int64_t WallCapMs(int64_t wall_time_ms, int64_t cpu_time_ms) {
  return std::max(wall_time_ms, kWallCapCpuMultiple * cpu_time_ms);
}

namespace {

absl::Status Errno(const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", strerror(errno)));
}

int PidfdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

int PidfdSignal(int pidfd, int sig) {
  return static_cast<int>(syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

int64_t MonotonicMicros() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

int64_t CpuMicros(const rusage& ru) {
  return (static_cast<int64_t>(ru.ru_utime.tv_sec) + ru.ru_stime.tv_sec) * 1000000 +
         ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

// Waits until `fd` is readable or `deadline` passes.
bool WaitReadable(int fd, absl::Time deadline) {
  while (true) {
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    pollfd p = {fd, POLLIN, 0};
    int n = poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

absl::Status ReceiveWithTimeout(int socket, google::protobuf::MessageLite* message,
                                std::vector<UniqueFd>* fds, absl::Duration timeout,
                                const char* what) {
  if (!WaitReadable(socket, absl::Now() + timeout)) {
    return absl::DeadlineExceededError(absl::StrCat("timed out waiting for ", what));
  }
  absl::Status s = ReceiveMessage(socket, message, fds);
  if (absl::IsNotFound(s)) {
    return absl::UnavailableError(absl::StrCat(what, ": the sandbox process exited"));
  }
  return s;
}

// ------------------------------------------------------------------------------------------
// Inside the session init (PID 1 of the session's namespace).

// Moves `fds` to the fd numbers 0, 1, 2, ... in order, closes every other fd except `keep`
// (which is moved to the first number after them and returned).
int ArrangeFds(const std::vector<int>& fds, int keep) {
  std::vector<int> high;
  for (int fd : fds) high.push_back(fcntl(fd, F_DUPFD_CLOEXEC, 100));
  int keep_high = fcntl(keep, F_DUPFD_CLOEXEC, 100);
  for (size_t i = 0; i < high.size(); ++i) dup2(high[i], static_cast<int>(i));
  int keep_fd = static_cast<int>(high.size());
  dup3(keep_high, keep_fd, O_CLOEXEC);
  syscall(SYS_close_range, keep_fd + 1, ~0U, 0);
  return keep_fd;
}

[[noreturn]] void ProgramMain(const wire::SessionStart& start, const wire::Step& step,
                              const std::vector<int>& fds, int error_fd) {
  auto fail = [&](const std::string& message) {
    WriteAll(error_fd, message.data(), message.size());
    _exit(127);
  };
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  setsid();
  bool python = step.kind() == wire::Step::PYTHON;
  // stdin, stdout, stderr (+ the result fd for Python runs).
  std::vector<int> wanted(fds.begin(), fds.begin() + (python ? 4 : 3));
  error_fd = ArrangeFds(wanted, error_fd);
  if (chdir("/tmp") != 0) fail(absl::StrCat("chdir /tmp: ", strerror(errno)));
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  if (!python) {
    // execve keeps ignored signals ignored; programs start with default dispositions.
    for (int sig = 1; sig < NSIG; ++sig) signal(sig, SIG_DFL);
  }
  ProcessLimits limits;
  limits.cpu_time_ms = step.cpu_time_ms();
  limits.memory_bytes = step.memory_bytes();
  limits.file_size_bytes = step.file_size_bytes();
  limits.open_files = step.open_files();
  limits.processes = step.processes();
  absl::Status s = RestrictProcess(limits, start.uid(), start.gid(),
                                   python ? SeccompProfile::kPython : SeccompProfile::kExec);
  if (!s.ok()) fail(std::string(s.message()));
  if (python) {
    close(error_fd);
    RunPythonProgram(step, kResultFd);
  }
  std::vector<char*> argv, envp;
  for (const std::string& a : step.argv()) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const std::string& e : step.env()) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  if (argv.size() < 2) fail("empty argv");
  execve(argv[0], argv.data(), envp.data());
  fail(absl::StrCat("execve ", argv[0], ": ", strerror(errno)));
  _exit(127);
}

// Kills every other process of the namespace and reaps them all.
void KillAllAndReap() {
  kill(-1, SIGKILL);
  while (true) {
    pid_t p = waitpid(-1, nullptr, 0);
    if (p > 0) continue;
    if (p < 0 && errno == EINTR) continue;
    break;
  }
}

wire::StepResult RunStep(const wire::SessionStart& start, const wire::Step& step,
                         std::vector<UniqueFd> fds, int session_socket) {
  wire::StepResult result;
  if (fds.size() != 4) {
    result.set_error("step needs 4 fds");
    return result;
  }
  int error_pipe[2];
  if (pipe2(error_pipe, O_CLOEXEC) != 0) {
    result.set_error(absl::StrCat("pipe: ", strerror(errno)));
    return result;
  }
  std::vector<int> raw;
  for (const UniqueFd& fd : fds) raw.push_back(fd.get());
  rusage before;
  getrusage(RUSAGE_CHILDREN, &before);
  int64_t t0 = MonotonicMicros();
  pid_t pid = fork();
  if (pid < 0) {
    result.set_error(absl::StrCat("fork: ", strerror(errno)));
    close(error_pipe[0]);
    close(error_pipe[1]);
    return result;
  }
  if (pid == 0) {
    close(error_pipe[0]);
    ProgramMain(start, step, raw, error_pipe[1]);
  }
  close(error_pipe[1]);
  fds.clear();  // the program holds the only copies now
  std::string setup_error;
  char buf[512];
  ssize_t n;
  while ((n = read(error_pipe[0], buf, sizeof(buf))) != 0) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    setup_error.append(buf, static_cast<size_t>(n));
  }
  close(error_pipe[0]);

  UniqueFd pidfd(PidfdOpen(pid));
  bool wall_timeout = false;
  if (setup_error.empty() && pidfd.valid()) {
    // The wall-clock limit ends programs that wait (sleep, block, spin in a child). A program
    // that is computing when it is reached gets more time, in slices, as long as it keeps
    // using CPU and up to WallCap: on a loaded machine its CPU limit, not the load, decides.
    const int64_t limit_us = step.wall_time_ms() * 1000;
    const int64_t cap_us = WallCapMs(step.wall_time_ms(), step.cpu_time_ms()) * 1000;
    const int64_t slice_us = std::max<int64_t>(kMinExtensionUs, limit_us / 4);
    clockid_t program_clock;
    const bool have_clock = clock_getcpuclockid(pid, &program_clock) == 0;
    int64_t deadline_us = limit_us;
    int64_t checked_at_us = 0, cpu_at_check_us = 0;
    while (true) {
      int64_t elapsed_us = MonotonicMicros() - t0;
      int64_t left_us = deadline_us - elapsed_us;
      if (left_us <= 0) {
        timespec cpu_ts = {};
        int64_t cpu_us = have_clock && clock_gettime(program_clock, &cpu_ts) == 0
                             ? cpu_ts.tv_sec * 1000000 + cpu_ts.tv_nsec / 1000
                             : 0;
        bool computing =
            (cpu_us - cpu_at_check_us) * 100 >= (elapsed_us - checked_at_us) * kMinBusyPercent;
        if (have_clock && computing && elapsed_us < cap_us) {
          checked_at_us = elapsed_us;
          cpu_at_check_us = cpu_us;
          deadline_us = std::min(cap_us, elapsed_us + slice_us);
          continue;
        }
        wall_timeout = true;
        break;
      }
      pollfd p[2] = {{pidfd.get(), POLLIN, 0}, {session_socket, POLLIN, 0}};
      int r = poll(p, 2, static_cast<int>((left_us + 999) / 1000));
      if (r < 0 && errno != EINTR) break;
      if (r > 0 && (p[0].revents & POLLIN)) break;
      if (r > 0 && p[1].revents != 0) {
        // The service went away or misbehaves: end the session.
        KillAllAndReap();
        _exit(1);
      }
    }
  }
  if (wall_timeout) kill(pid, SIGKILL);
  int status = 0;
  rusage ru = {};
  while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {
  }
  int64_t wall_us = MonotonicMicros() - t0;
  KillAllAndReap();
  rusage after;
  getrusage(RUSAGE_CHILDREN, &after);

  if (!setup_error.empty()) {
    result.set_error(setup_error);
    return result;
  }
  result.set_started(true);
  result.set_wall_time_us(wall_us);
  result.set_cpu_time_us(CpuMicros(after) - CpuMicros(before));
  result.set_peak_memory_bytes(static_cast<int64_t>(ru.ru_maxrss) * 1024);
  result.set_wall_timeout(wall_timeout);
  if (WIFEXITED(status)) {
    result.set_exited(true);
    result.set_exit_code(WEXITSTATUS(status));
  } else if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    result.set_signal(sig);
    bool over_cpu = step.cpu_time_ms() > 0 && result.cpu_time_us() >= step.cpu_time_ms() * 1000;
    result.set_cpu_timeout(sig == SIGXCPU || (sig == SIGKILL && !wall_timeout && over_cpu));
  }
  return result;
}

absl::Status WriteSessionFiles(const wire::SessionStart& start) {
  for (const wire::File& file : start.files()) {
    const std::string& path = file.path();
    if (path.empty() || path[0] == '/' || absl::StrContains(path, "..")) {
      return absl::InvalidArgumentError(absl::StrCat("bad file path: ", path));
    }
    std::string full = "/tmp/" + path;
    for (size_t i = 5; i < full.size(); ++i) {
      if (full[i] != '/') continue;
      std::string dir = full.substr(0, i);
      if (mkdir(dir.c_str(), 0755) == 0) {
        if (chown(dir.c_str(), start.uid(), start.gid()) != 0) return Errno("chown " + dir);
      } else if (errno != EEXIST) {
        return Errno("mkdir " + dir);
      }
    }
    UniqueFd fd(open(full.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
                     file.executable() ? 0755 : 0644));
    if (!fd.valid()) return Errno("create " + full);
    if (!WriteAll(fd.get(), file.content().data(), file.content().size())) {
      return Errno("write " + full);
    }
    if (fchown(fd.get(), start.uid(), start.gid()) != 0) return Errno("chown " + full);
  }
  return absl::OkStatus();
}

[[noreturn]] void SessionInitMain(const wire::SessionStart& start, std::vector<UniqueFd> fds) {
  signal(SIGCHLD, SIG_DFL);
  int socket = fds[0].get();
  auto report = [&](const absl::Status& status, int pidfd) {
    wire::SessionStarted started;
    if (!status.ok()) started.set_error(std::string(status.message()));
    std::vector<int> out;
    if (pidfd >= 0) out.push_back(pidfd);
    SendMessage(socket, started, out).IgnoreError();
  };
  absl::Status s;
  for (size_t i = 1; i < fds.size() && s.ok(); ++i) {
    if (write(fds[i].get(), "0", 1) != 1) s = Errno("join cgroup");
  }
  for (size_t i = 1; i < fds.size(); ++i) fds[i].reset();
  if (s.ok()) {
    s = MountSessionFilesystems(start.uid(), start.gid(), start.tmp_size_bytes(), start.tmp_exec(),
                                start.mount_proc());
  }
  if (s.ok()) s = WriteSessionFiles(start);
  UniqueFd self(s.ok() ? PidfdOpen(1) : -1);
  if (s.ok() && !self.valid()) s = Errno("pidfd_open");
  report(s, self.get());
  if (!s.ok()) _exit(1);
  self.reset();
  while (true) {
    wire::Step step;
    std::vector<UniqueFd> step_fds;
    absl::Status r = ReceiveMessage(socket, &step, &step_fds);
    if (!r.ok()) {
      KillAllAndReap();
      _exit(0);
    }
    wire::StepResult result = RunStep(start, step, std::move(step_fds), socket);
    if (!SendMessage(socket, result, {}).ok()) _exit(1);
  }
}

// ------------------------------------------------------------------------------------------
// The zygote process.

[[noreturn]] void ZygoteMain(int control) {
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  // Sessions are reaped by the kernel: nobody waits for them here.
  signal(SIGCHLD, SIG_IGN);
  wire::ZygoteSetup setup;
  std::vector<UniqueFd> unused;
  if (!ReceiveMessage(control, &setup, &unused).ok()) _exit(1);
  std::vector<std::string> ro(setup.ro_paths().begin(), setup.ro_paths().end());
  std::vector<std::string> hidden(setup.hidden_paths().begin(), setup.hidden_paths().end());
  absl::Status s = EnterSandboxRoot(ro, hidden);
  if (s.ok() && setup.embedded_python()) {
    std::vector<std::string> preload(setup.preload_modules().begin(),
                                     setup.preload_modules().end());
    s = InitializeEmbeddedPython(preload);
  }
  wire::SessionStarted ready;
  if (!s.ok()) ready.set_error(std::string(s.message()));
  if (!SendMessage(control, ready, {}).ok() || !s.ok()) _exit(1);

  while (true) {
    wire::SessionStart start;
    std::vector<UniqueFd> fds;
    absl::Status r = ReceiveMessage(control, &start, &fds);
    if (!r.ok()) _exit(0);  // the service closed the channel
    wire::SessionStarted ack;
    if (fds.empty()) {
      ack.set_error("session start without a socket");
      SendMessage(control, ack, {}).IgnoreError();
      continue;
    }
    if (setup.embedded_python()) PythonBeforeFork();
    pid_t child = fork();
    if (child == 0) {
      // The first child only creates the namespaces; its own child is the session init,
      // PID 1 of the new PID namespace. It exits at once and the init is re-parented to the
      // zygote (a subreaper) and reaped by the kernel when it ends.
      if (unshare(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) != 0) {
        wire::SessionStarted failed;
        failed.set_error(absl::StrCat("unshare: ", strerror(errno)));
        SendMessage(fds[0].get(), failed, {}).IgnoreError();
        _exit(1);
      }
      pid_t init = fork();
      if (init == 0) SessionInitMain(start, std::move(fds));
      if (init < 0) {
        wire::SessionStarted failed;
        failed.set_error(absl::StrCat("fork: ", strerror(errno)));
        SendMessage(fds[0].get(), failed, {}).IgnoreError();
      }
      _exit(0);
    }
    if (setup.embedded_python()) PythonAfterForkParent();
    if (child < 0) ack.set_error(absl::StrCat("fork: ", strerror(errno)));
    fds.clear();
    if (!SendMessage(control, ack, {}).ok()) _exit(1);
  }
}

}  // namespace

void RunZygoteIfRequested(int argc, char** argv) {
  if (argc < 2 || !absl::StartsWith(argv[1], kZygoteFlag)) return;
  int fd;
  if (!absl::SimpleAtoi(argv[1] + strlen(kZygoteFlag), &fd)) _exit(2);
  ZygoteMain(fd);
}

// ------------------------------------------------------------------------------------------
// Service side.

Session::~Session() {
  Kill();
  // The init's pidfd turns readable once it has exited, and a PID-namespace init exits only
  // after every other process of its namespace is gone: after this, nothing of the session
  // runs (and its cgroup can be removed at once).
  if (pidfd_.valid()) {
    pollfd p = {pidfd_.get(), POLLIN, 0};
    while (poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(kSessionExitTimeout))) < 0 &&
           errno == EINTR) {
    }
  }
}

void Session::Kill() {
  if (pidfd_.valid()) PidfdSignal(pidfd_.get(), SIGKILL);
  alive_ = false;
}

absl::StatusOr<StepOutcome> Session::Run(const wire::Step& step, const std::string& stdin_data,
                                         int64_t output_limit_bytes, absl::Time deadline) {
  if (!alive_) return absl::FailedPreconditionError("session is no longer running");
  UniqueFd in, out_r, out_w, err_r, err_w, res_r, res_w;
  if (absl::Status s = MakeMemfd(stdin_data, &in); !s.ok()) return s;
  if (absl::Status s = MakePipe(&out_r, &out_w); !s.ok()) return s;
  if (absl::Status s = MakePipe(&err_r, &err_w); !s.ok()) return s;
  if (absl::Status s = MakePipe(&res_r, &res_w); !s.ok()) return s;
  if (absl::Status s =
          SendMessage(socket_.get(), step, {in.get(), out_w.get(), err_w.get(), res_w.get()});
      !s.ok()) {
    Kill();
    return s;
  }
  in.reset();
  out_w.reset();
  err_w.reset();
  res_w.reset();

  StepOutcome outcome;
  bool socket_open = true;
  bool out_open = true, err_open = true, res_open = true;
  int64_t output_total = 0;  // every byte the program wrote, kept or not
  char buf[65536];
  // Reads what is available into `sink` (keeping at most `cap` bytes); returns the bytes read.
  auto drain = [&](int fd, std::string* sink, size_t cap, bool* open) -> int64_t {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return 0;
    if (n <= 0) {
      *open = false;
      return 0;
    }
    size_t room = sink->size() < cap ? cap - sink->size() : 0;
    sink->append(buf, std::min(room, static_cast<size_t>(n)));
    return n;
  };
  auto count_output = [&](int64_t n) {
    output_total += n;
    if (output_total > output_limit_bytes && !outcome.output_exceeded) {
      outcome.output_exceeded = true;
      Kill();
    }
  };
  size_t cap = static_cast<size_t>(std::max<int64_t>(output_limit_bytes, 0));
  while (out_open || err_open || res_open || (socket_open && !outcome.result_received)) {
    std::vector<pollfd> p;
    if (out_open) p.push_back({out_r.get(), POLLIN, 0});
    if (err_open) p.push_back({err_r.get(), POLLIN, 0});
    if (res_open) p.push_back({res_r.get(), POLLIN, 0});
    if (socket_open && !outcome.result_received) p.push_back({socket_.get(), POLLIN, 0});
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration() && alive_) {
      Kill();
      outcome.deadline_exceeded = true;
    }
    int timeout_ms = alive_ ? static_cast<int>(absl::ToInt64Milliseconds(left)) + 1 : 1000;
    int r = poll(p.data(), p.size(), timeout_ms);
    if (r < 0 && errno != EINTR) return Errno("poll");
    for (const pollfd& q : p) {
      if (q.revents == 0) continue;
      if (q.fd == out_r.get()) count_output(drain(q.fd, &outcome.stdout_data, cap, &out_open));
      if (q.fd == err_r.get()) count_output(drain(q.fd, &outcome.stderr_data, cap, &err_open));
      if (q.fd == res_r.get()) drain(q.fd, &outcome.result_channel, kMaxResultBytes, &res_open);
      if (q.fd == socket_.get()) {
        std::vector<UniqueFd> none;
        absl::Status s = ReceiveMessage(socket_.get(), &outcome.result, &none);
        if (s.ok()) {
          outcome.result_received = true;
        } else {
          socket_open = false;
          alive_ = false;
        }
      }
    }
  }
  if (outcome.output_exceeded) {
    // Keep exactly the limit's worth of output.
    int64_t keep_out = std::min<int64_t>(outcome.stdout_data.size(), output_limit_bytes);
    outcome.stdout_data.resize(static_cast<size_t>(keep_out));
    outcome.stderr_data.resize(static_cast<size_t>(
        std::min<int64_t>(outcome.stderr_data.size(), output_limit_bytes - keep_out)));
  }
  return outcome;
}

absl::StatusOr<std::unique_ptr<Zygote>> Zygote::Start(const ZygoteOptions& options) {
  UniqueFd parent_end, child_end;
  if (absl::Status s = MakeSocketPair(&parent_end, &child_end); !s.ok()) return s;
  std::string flag = absl::StrCat(kZygoteFlag, 3);
  char* argv[] = {const_cast<char*>(kZygoteArgv0), flag.data(), nullptr};
  int child_fd = child_end.get();
  pid_t pid = fork();
  if (pid < 0) return Errno("fork zygote");
  if (pid == 0) {
    // Only async-signal-safe calls until execv: the service may have threads.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    // stdin and stdout from /dev/null (stdout belongs to the service); stderr is kept for
    // the zygote's own error messages.
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      dup2(devnull, 0);
      dup2(devnull, 1);
    }
    dup2(child_fd, 3);  // dup2 clears close-on-exec on the copy
    syscall(SYS_close_range, 4, ~0U, 0);
    execv("/proc/self/exe", argv);
    _exit(127);
  }
  child_end.reset();
  std::unique_ptr<Zygote> z(new Zygote());
  z->pid_ = pid;
  z->pidfd_.reset(PidfdOpen(pid));
  wire::ZygoteSetup setup;
  for (const std::string& p : options.ro_paths) setup.add_ro_paths(p);
  for (const std::string& p : options.hidden_paths) setup.add_hidden_paths(p);
  for (const std::string& m : options.preload_modules) setup.add_preload_modules(m);
  setup.set_embedded_python(options.embedded_python);
  absl::MutexLock lock(&z->mu_);
  z->control_ = std::move(parent_end);
  if (absl::Status s = SendMessage(z->control_.get(), setup, {}); !s.ok()) return s;
  wire::SessionStarted ready;
  std::vector<UniqueFd> fds;
  absl::Status s =
      ReceiveWithTimeout(z->control_.get(), &ready, &fds, kZygoteStartTimeout, "the zygote");
  if (!s.ok()) {
    return absl::Status(s.code(), absl::StrCat("starting the sandbox zygote (does main() call "
                                               "RunZygoteIfRequested?): ",
                                               s.message()));
  }
  if (!ready.error().empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the sandbox zygote could not start: ", ready.error()));
  }
  return z;
}

Zygote::~Zygote() {
  {
    absl::MutexLock lock(&mu_);
    control_.reset();
  }
  if (pidfd_.valid()) PidfdSignal(pidfd_.get(), SIGKILL);
  if (pid_ > 0) waitpid(pid_, nullptr, 0);
}

absl::StatusOr<std::unique_ptr<Session>> Zygote::StartSession(
    const wire::SessionStart& start, const std::vector<int>& cgroup_procs_fds) {
  UniqueFd ours, theirs;
  if (absl::Status s = MakeSocketPair(&ours, &theirs); !s.ok()) return s;
  wire::SessionStart msg = start;
  msg.set_cgroup_fd_count(static_cast<int>(cgroup_procs_fds.size()));
  std::vector<int> fds = {theirs.get()};
  fds.insert(fds.end(), cgroup_procs_fds.begin(), cgroup_procs_fds.end());
  {
    absl::MutexLock lock(&mu_);
    if (!control_.valid()) return absl::UnavailableError("the sandbox zygote is gone");
    if (absl::Status s = SendMessage(control_.get(), msg, fds); !s.ok()) {
      return absl::UnavailableError(absl::StrCat("the sandbox zygote is gone: ", s.message()));
    }
    wire::SessionStarted ack;
    std::vector<UniqueFd> none;
    absl::Status s =
        ReceiveWithTimeout(control_.get(), &ack, &none, kSessionStartTimeout, "the zygote");
    if (!s.ok()) return s;
    if (!ack.error().empty()) return absl::InternalError(ack.error());
  }
  theirs.reset();
  wire::SessionStarted started;
  std::vector<UniqueFd> got;
  absl::Status s =
      ReceiveWithTimeout(ours.get(), &started, &got, kSessionStartTimeout, "the session");
  if (!s.ok()) return s;
  if (!started.error().empty()) {
    return absl::InternalError(absl::StrCat("session setup failed: ", started.error()));
  }
  if (got.size() != 1) return absl::InternalError("session did not send its pidfd");
  std::unique_ptr<Session> session(new Session());
  session->socket_ = std::move(ours);
  session->pidfd_ = std::move(got[0]);
  return session;
}

}  // namespace rlvr::sandbox
