#include "tools/supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <deque>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/json.h"

namespace rlvr {
namespace {

// The write end of the running supervisor's wake pipe, for the signal handlers.
std::atomic<int> g_wake_fd{-1};
// The last SIGINT/SIGTERM seen by the handler, and how many there were.
volatile sig_atomic_t g_pending_signal = 0;
std::atomic<int> g_signal_count{0};
std::atomic<bool> g_supervisor_exists{false};

constexpr int kHandledSignals[] = {SIGINT, SIGTERM, SIGCHLD};
struct sigaction g_previous[3];

void OnSignal(int signo) {
  const int saved_errno = errno;
  if (signo == SIGINT || signo == SIGTERM) {
    g_pending_signal = signo;
    g_signal_count.fetch_add(1);
  }
  const int fd = g_wake_fd.load();
  if (fd >= 0) {
    const char byte = 1;
    if (write(fd, &byte, 1) < 0) {
      // A full pipe already guarantees a wake-up.
    }
  }
  errno = saved_errno;
}

std::string SignalName(int signo) {
  const char* name = strsignal(signo);
  return name != nullptr ? std::string(name) : absl::StrCat("signal ", signo);
}

std::string ErrnoText(int err) { return std::string(strerror(err)); }

constexpr absl::Duration kDestructorGrace = absl::Seconds(10);

}  // namespace

std::string ChildExit::Describe() const {
  if (signal > 0) return absl::StrFormat("killed by signal %d (%s)", signal, SignalName(signal));
  if (exit_code >= 0) return absl::StrFormat("exited with code %d", exit_code);
  return "ended (status unknown)";
}

std::optional<std::string> ParseListeningLine(const std::string& line) {
  static constexpr char kMarker[] = "listening on ";
  const size_t at = line.find(kMarker);
  if (at == std::string::npos) return std::nullopt;
  size_t begin = at + sizeof(kMarker) - 1;
  while (begin < line.size() && line[begin] == ' ') ++begin;
  size_t end = begin;
  while (end < line.size() && line[end] != ' ' && line[end] != '\t' && line[end] != '\r') ++end;
  if (end == begin) return std::nullopt;
  return line.substr(begin, end - begin);
}

struct ChildSupervisor::Child {
  std::string name;
  std::string log_path;
  bool echo = false;
  pid_t pid = -1;
  int out_fd = -1;  // read end of the child's stdout/stderr pipe (non-blocking); -1 after EOF
  int log_fd = -1;
  std::string partial_line;
  std::optional<std::string> listen_address;
  std::optional<ChildExit> exit;
};

ChildSupervisor::ChildSupervisor(ConsoleFn console) : console_(std::move(console)) {
  if (!console_) {
    console_ = [](const std::string& line) {
      std::fwrite(line.data(), 1, line.size(), stdout);
      std::fputc('\n', stdout);
      std::fflush(stdout);
    };
  }
}

absl::StatusOr<std::unique_ptr<ChildSupervisor>> ChildSupervisor::Create(ConsoleFn console) {
  bool expected = false;
  if (!g_supervisor_exists.compare_exchange_strong(expected, true)) {
    return absl::FailedPreconditionError("another ChildSupervisor is running in this process");
  }
  std::unique_ptr<ChildSupervisor> supervisor(new ChildSupervisor(std::move(console)));
  if (absl::Status st = supervisor->Init(); !st.ok()) {
    return st;  // the destructor releases what Init acquired
  }
  return supervisor;
}

absl::Status ChildSupervisor::Init() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    return absl::InternalError(absl::StrCat("pipe2: ", ErrnoText(errno)));
  }
  wake_read_ = fds[0];
  wake_write_ = fds[1];
  g_pending_signal = 0;
  g_signal_count.store(0);
  g_wake_fd.store(wake_write_);
  for (size_t i = 0; i < 3; ++i) {
    struct sigaction action {};
    action.sa_handler = OnSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART | (kHandledSignals[i] == SIGCHLD ? SA_NOCLDSTOP : 0);
    sigaction(kHandledSignals[i], &action, &g_previous[i]);
  }
  io_thread_ = std::thread([this] { IoLoop(); });
  return absl::OkStatus();
}

ChildSupervisor::~ChildSupervisor() {
  if (io_thread_.joinable()) {
    StopAll(kDestructorGrace);
    {
      absl::MutexLock lock(&mu_);
      quit_ = true;
    }
    Wake();
    io_thread_.join();
    for (size_t i = 0; i < 3; ++i) sigaction(kHandledSignals[i], &g_previous[i], nullptr);
  }
  g_wake_fd.store(-1);
  for (auto& child : children_) {
    if (child->out_fd >= 0) close(child->out_fd);
    if (child->log_fd >= 0) close(child->log_fd);
  }
  if (wake_read_ >= 0) close(wake_read_);
  if (wake_write_ >= 0) close(wake_write_);
  g_supervisor_exists.store(false);
}

void ChildSupervisor::Wake() {
  const char byte = 0;
  if (write(wake_write_, &byte, 1) < 0) {
    // Full pipe: the I/O thread will wake anyway.
  }
}

absl::StatusOr<int> ChildSupervisor::Start(const ChildSpec& spec) {
  if (spec.argv.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("child '", spec.name, "' has an empty argv"));
  }
  const int log_fd = open(spec.log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return absl::FailedPreconditionError(absl::StrCat("cannot create log file ", spec.log_path,
                                                      " for ", spec.name, ": ", ErrnoText(errno)));
  }
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    close(log_fd);
    return absl::InternalError(absl::StrCat("pipe2: ", ErrnoText(errno)));
  }
  if (pipe2(err, O_CLOEXEC) != 0) {
    close(log_fd);
    close(out[0]);
    close(out[1]);
    return absl::InternalError(absl::StrCat("pipe2: ", ErrnoText(errno)));
  }
  const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

  // Everything the child needs is prepared before fork: between fork and exec only
  // async-signal-safe calls are allowed.
  std::vector<char*> argv;
  argv.reserve(spec.argv.size() + 1);
  for (const std::string& arg : spec.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  const pid_t parent = getpid();

  const pid_t pid = fork();
  if (pid < 0) {
    const int e = errno;
    close(log_fd);
    close(out[0]);
    close(out[1]);
    close(err[0]);
    close(err[1]);
    if (null_fd >= 0) close(null_fd);
    return absl::ResourceExhaustedError(absl::StrCat("fork for ", spec.name, ": ", ErrnoText(e)));
  }
  if (pid == 0) {
    setpgid(0, 0);
    // The child follows the launcher down if the launcher is killed outright.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(126);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (int signo : {SIGINT, SIGTERM, SIGCHLD, SIGPIPE, SIGHUP}) sigaction(signo, &dfl, nullptr);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (null_fd >= 0) dup2(null_fd, 0);
    dup2(out[1], 1);
    dup2(out[1], 2);
    execv(argv[0], argv.data());
    const int e = errno;
    if (write(err[1], &e, sizeof(e)) < 0) {
      // Nothing more can be reported.
    }
    _exit(127);
  }

  setpgid(pid, pid);  // also done by the child; whichever runs first wins, both agree
  close(out[1]);
  close(err[1]);
  if (null_fd >= 0) close(null_fd);
  int exec_errno = 0;
  ssize_t n;
  do {
    n = read(err[0], &exec_errno, sizeof(exec_errno));
  } while (n < 0 && errno == EINTR);
  close(err[0]);
  if (n == static_cast<ssize_t>(sizeof(exec_errno))) {
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    close(out[0]);
    close(log_fd);
    return absl::FailedPreconditionError(
        absl::StrCat("cannot start ", spec.name, ": ", spec.argv[0], ": ", ErrnoText(exec_errno)));
  }
  fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);

  auto child = std::make_unique<Child>();
  child->name = spec.name;
  child->log_path = spec.log_path;
  child->echo = spec.echo;
  child->pid = pid;
  child->out_fd = out[0];
  child->log_fd = log_fd;
  int id;
  {
    absl::MutexLock lock(&mu_);
    id = static_cast<int>(children_.size());
    children_.push_back(std::move(child));
  }
  Wake();  // the I/O thread polls the new pipe and reaps a child that already exited
  return id;
}

void ChildSupervisor::ConsumeOutputLocked(Child& child, const char* data, size_t n) {
  if (child.log_fd >= 0) {
    size_t done = 0;
    while (done < n) {
      const ssize_t w = write(child.log_fd, data + done, n - done);
      if (w < 0) {
        if (errno == EINTR) continue;
        break;  // a full disk loses log text, never the child
      }
      done += static_cast<size_t>(w);
    }
  }
  child.partial_line.append(data, n);
  size_t start = 0;
  for (size_t nl; (nl = child.partial_line.find('\n', start)) != std::string::npos;
       start = nl + 1) {
    HandleLineLocked(child, child.partial_line.substr(start, nl - start));
  }
  child.partial_line.erase(0, start);
}

void ChildSupervisor::HandleLineLocked(Child& child, const std::string& line) {
  if (!child.listen_address) child.listen_address = ParseListeningLine(line);
  if (child.echo) console_(absl::StrCat("[", child.name, "] ", line));
}

void ChildSupervisor::FlushPartialLineLocked(Child& child) {
  if (child.partial_line.empty()) return;
  HandleLineLocked(child, child.partial_line);
  child.partial_line.clear();
}

void ChildSupervisor::DrainLocked(Child& child) {
  char buf[16384];
  while (child.out_fd >= 0) {
    const ssize_t n = read(child.out_fd, buf, sizeof(buf));
    if (n > 0) {
      ConsumeOutputLocked(child, buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    // EOF (or a broken pipe): the last line may lack its newline.
    FlushPartialLineLocked(child);
    close(child.out_fd);
    child.out_fd = -1;
  }
}

void ChildSupervisor::ReapLocked() {
  for (auto& child : children_) {
    if (child->exit) continue;
    int status = 0;
    const pid_t r = waitpid(child->pid, &status, WNOHANG);
    if (r == 0) continue;
    if (r < 0 && errno == EINTR) continue;
    DrainLocked(*child);  // everything the child wrote is in the pipe by now
    FlushPartialLineLocked(*child);
    ChildExit exit;
    if (r == child->pid && WIFEXITED(status)) exit.exit_code = WEXITSTATUS(status);
    if (r == child->pid && WIFSIGNALED(status)) exit.signal = WTERMSIG(status);
    child->exit = exit;
  }
}

void ChildSupervisor::IoLoop() {
  std::vector<pollfd> fds;
  std::vector<int> owners;  // child index per pollfd after the first
  for (;;) {
    fds.clear();
    owners.clear();
    fds.push_back({wake_read_, POLLIN, 0});
    {
      absl::MutexLock lock(&mu_);
      if (quit_) return;
      for (size_t i = 0; i < children_.size(); ++i) {
        if (children_[i]->out_fd >= 0) {
          fds.push_back({children_[i]->out_fd, POLLIN, 0});
          owners.push_back(static_cast<int>(i));
        }
      }
    }
    if (poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) {
      std::perror("rlvr: poll");
      return;
    }
    absl::MutexLock lock(&mu_);
    if (fds[0].revents & POLLIN) {
      char buf[256];
      while (read(wake_read_, buf, sizeof(buf)) > 0) {
      }
    }
    if (const int signo = g_pending_signal; signo != 0 && interrupted_ == 0) {
      interrupted_ = signo;
    }
    for (size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].revents != 0) DrainLocked(*children_[owners[i - 1]]);
    }
    ReapLocked();
  }
}

bool ChildSupervisor::AllExitedLocked() const {
  for (const auto& child : children_) {
    if (!child->exit) return false;
  }
  return true;
}

absl::StatusOr<std::string> ChildSupervisor::WaitForListenAddress(int id, absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  Child& child = *children_.at(id);
  auto ready = [&]() { return child.listen_address || child.exit || interrupted_ != 0; };
  mu_.AwaitWithDeadline(absl::Condition(&ready), deadline);
  if (child.listen_address) return *child.listen_address;
  if (interrupted_ != 0) {
    return absl::CancelledError(absl::StrCat("interrupted by ", SignalName(interrupted_)));
  }
  if (child.exit) {
    return absl::UnavailableError(absl::StrCat(child.name, " ", child.exit->Describe(),
                                               " before printing its 'listening on' line"));
  }
  return absl::DeadlineExceededError(
      absl::StrCat(child.name, " printed no 'listening on ADDRESS' line in time"));
}

SupervisorEvent ChildSupervisor::WaitForEvent(absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  auto first_exited = [&]() -> int {
    for (size_t i = 0; i < children_.size(); ++i) {
      if (children_[i]->exit) return static_cast<int>(i);
    }
    return -1;
  };
  auto ready = [&]() { return interrupted_ != 0 || first_exited() >= 0; };
  mu_.AwaitWithDeadline(absl::Condition(&ready), deadline);
  SupervisorEvent event;
  if (interrupted_ != 0) {
    event.kind = SupervisorEvent::Kind::kInterrupted;
    event.signal = interrupted_;
  } else if (const int id = first_exited(); id >= 0) {
    event.kind = SupervisorEvent::Kind::kChildExited;
    event.child = id;
  }
  return event;
}

void ChildSupervisor::Interrupt(int signo) {
  absl::MutexLock lock(&mu_);
  if (interrupted_ == 0) interrupted_ = signo;
}

int ChildSupervisor::interrupted() const {
  absl::MutexLock lock(&mu_);
  return interrupted_;
}

void ChildSupervisor::StopAll(absl::Duration grace) {
  absl::MutexLock lock(&mu_);
  const int signals_before = g_signal_count.load();
  auto send = [&](int signo) {
    for (auto& child : children_) {
      if (child->exit) continue;
      // The whole group: a service's helper processes go too.
      if (kill(-child->pid, signo) != 0) kill(child->pid, signo);
    }
  };
  auto all_exited = [&]() { return AllExitedLocked(); };
  // A second Ctrl-C skips the rest of the grace period.
  auto done_or_hurried = [&]() {
    return AllExitedLocked() || g_signal_count.load() > signals_before;
  };
  send(SIGTERM);
  mu_.AwaitWithTimeout(absl::Condition(&done_or_hurried), grace);
  if (!AllExitedLocked()) {
    send(SIGKILL);
    mu_.AwaitWithTimeout(absl::Condition(&all_exited), kDestructorGrace);
  }
  // Leftovers of a group whose leader is gone (helpers that ignored SIGTERM).
  for (auto& child : children_) kill(-child->pid, SIGKILL);
}

int ChildSupervisor::num_children() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(children_.size());
}

const std::string& ChildSupervisor::name(int id) const {
  absl::MutexLock lock(&mu_);
  return children_.at(id)->name;
}

pid_t ChildSupervisor::pid(int id) const {
  absl::MutexLock lock(&mu_);
  return children_.at(id)->pid;
}

const std::string& ChildSupervisor::log_path(int id) const {
  absl::MutexLock lock(&mu_);
  return children_.at(id)->log_path;
}

std::optional<ChildExit> ChildSupervisor::exit_status(int id) const {
  absl::MutexLock lock(&mu_);
  return children_.at(id)->exit;
}

std::string ChildSupervisor::LogTail(int id, int lines) const {
  absl::StatusOr<std::string> text = ReadFile(log_path(id));
  if (!text.ok()) return std::string(text.status().message());
  std::deque<std::string_view> tail;
  std::string_view rest(*text);
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    tail.push_back(line);
    if (static_cast<int>(tail.size()) > lines) tail.pop_front();
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  std::string out;
  for (std::string_view line : tail) {
    out.append(line.data(), line.size());
    out.push_back('\n');
  }
  return out;
}

}  // namespace rlvr
