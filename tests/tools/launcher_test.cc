#include "tools/launcher.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "core/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/supervisor.h"

namespace rlvr {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// A process a stand-in service recorded in the state folder.
struct Recorded {
  pid_t pid;
  std::string role;
  std::vector<std::string> args;
};

bool Alive(pid_t pid) { return kill(pid, 0) == 0 || errno == EPERM; }

std::string Slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A scratch world: a bin folder of wrapper scripts that run the stand-in with a mode per role,
// a state folder where every stand-in registers itself, and a run folder.
class LaunchWorld {
 public:
  explicit LaunchWorld(const std::string& test_name) {
    root_ = fs::path(testing::TempDir()) / absl::StrCat("launch_", test_name, "_", getpid());
    fs::remove_all(root_);
    fs::create_directories(root_ / "bin");
    fs::create_directories(root_ / "state");
  }
  ~LaunchWorld() { fs::remove_all(root_); }

  void SetMode(const std::string& binary, const std::string& role, const std::string& mode) {
    const fs::path path = root_ / "bin" / binary;
    std::ofstream(path) << "#!/bin/sh\nexec '" << RLVR_FAKE_SERVICE << "' --role " << role
                        << " --state-dir '" << (root_ / "state").string() << "' --mode " << mode
                        << " \"$@\"\n";
    fs::permissions(path, fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read);
  }

  // Writes the experiment config; `extra` is appended text-format.
  std::string WriteConfig(int rollout_workers, const std::string& extra = "",
                          int stop_grace_ms = 10000) {
    const fs::path path = root_ / "experiment.textproto";
    std::ofstream(path) << "name: \"fake\"\n"
                        << "rollout_workers: " << rollout_workers << "\n"
                        << "logging { dir: \"" << run_dir() << "\" }\n"
                        << "launch { bin_dir: \"" << (root_ / "bin").string()
                        << "\" stop_grace_ms: " << stop_grace_ms << " startup_timeout_ms: 60000 }\n"
                        << extra;
    return path.string();
  }

  std::string run_dir() const { return (root_ / "run").string(); }
  const fs::path& root() const { return root_; }

  std::vector<Recorded> Processes() const {
    std::vector<Recorded> out;
    for (const auto& entry : fs::directory_iterator(root_ / "state")) {
      if (entry.path().has_extension()) continue;
      Recorded r;
      r.pid = std::stoi(entry.path().filename().string());
      r.role = Slurp(entry.path());
      std::istringstream args(Slurp(entry.path().string() + ".args"));
      for (std::string line; std::getline(args, line);) r.args.push_back(line);
      out.push_back(r);
    }
    return out;
  }

  std::map<std::string, int> RoleCounts() const {
    std::map<std::string, int> counts;
    for (const Recorded& r : Processes()) ++counts[r.role];
    return counts;
  }

  void ExpectNoneAlive() const {
    for (const Recorded& r : Processes()) {
      EXPECT_FALSE(Alive(r.pid)) << r.role << " (pid " << r.pid << ") is still running";
    }
  }

 private:
  fs::path root_;
};

// Console lines, collected from the launcher (and its I/O thread).
class Console {
 public:
  std::function<void(const std::string&)> Fn() {
    return [this](const std::string& line) {
      absl::MutexLock lock(&mu_);
      lines_.push_back(line);
      if (on_line_) on_line_(line);
    };
  }
  void OnLine(std::function<void(const std::string&)> fn) { on_line_ = std::move(fn); }
  std::string Text() {
    absl::MutexLock lock(&mu_);
    return absl::StrJoin(lines_, "\n");
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> lines_;
  std::function<void(const std::string&)> on_line_;
};

LaunchOutcome RunWorld(const std::string& config, Console& console) {
  LaunchOptions options;
  options.config_path = config;
  options.console = console.Fn();
  return RunLaunch(options);
}

std::string ListenAddressIn(const std::string& log) {
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (auto address = ParseListeningLine(line)) return *address;
  }
  return "";
}

TEST(Launch, RunsTheTrainerToTheEndAndPassesItTheServiceAddresses) {
  LaunchWorld world("ok");
  world.SetMode("rlvr-sandbox", "sandbox", "serve");
  world.SetMode("rlvr-rollout", "rollout", "serve");
  world.SetMode("rlvr-trainer", "trainer", "train_ok");
  Console console;
  const LaunchOutcome outcome = RunWorld(world.WriteConfig(2), console);
  EXPECT_EQ(outcome.exit_code, 0) << outcome.status;
  EXPECT_EQ(world.RoleCounts(),
            (std::map<std::string, int>{{"rollout", 2}, {"sandbox", 1}, {"trainer", 1}}));
  world.ExpectNoneAlive();

  const fs::path logs = fs::path(world.run_dir()) / "logs";
  const std::string sandbox = ListenAddressIn(Slurp(logs / "sandbox.log"));
  const std::string rollout0 = ListenAddressIn(Slurp(logs / "rollout-0.log"));
  const std::string rollout1 = ListenAddressIn(Slurp(logs / "rollout-1.log"));
  ASSERT_THAT(sandbox, HasSubstr("127.0.0.1:"));
  ASSERT_THAT(rollout0, HasSubstr("127.0.0.1:"));
  ASSERT_THAT(rollout1, HasSubstr("127.0.0.1:"));
  for (const Recorded& r : world.Processes()) {
    if (r.role != "trainer") continue;
    EXPECT_THAT(r.args, ::testing::Contains(absl::StrCat("sandbox_address=", sandbox)));
    EXPECT_THAT(r.args, ::testing::Contains(absl::StrCat("rollout_addresses=[\"", rollout0,
                                                         "\", \"", rollout1, "\"]")));
    EXPECT_THAT(r.args,
                ::testing::Contains((fs::path(world.run_dir()) / "experiment.textproto").string()));
  }
  // The trainer's progress reaches the console; its log holds the same lines.
  EXPECT_THAT(console.Text(), HasSubstr("[trainer] step 2/2 reward 0.75"));
  EXPECT_THAT(Slurp(logs / "trainer.log"), HasSubstr("step 2/2 reward 0.75"));
  EXPECT_THAT(console.Text(), HasSubstr(logs.string()));
}

TEST(Launch, ServiceFailingAtStartupIsReportedWithItsLogAndTheOthersStop) {
  LaunchWorld world("startfail");
  world.SetMode("rlvr-sandbox", "sandbox", "serve");
  world.SetMode("rlvr-rollout", "rollout", "fail_start");
  world.SetMode("rlvr-trainer", "trainer", "train_ok");
  Console console;
  const LaunchOutcome outcome = RunWorld(world.WriteConfig(1), console);
  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_THAT(outcome.status.message(), HasSubstr("rollout-0"));
  EXPECT_THAT(outcome.status.message(), HasSubstr("exited with code 3"));
  // The tail of the failed child's log is shown.
  EXPECT_THAT(console.Text(), HasSubstr("failing on purpose before listening"));
  EXPECT_EQ(world.RoleCounts().count("trainer"), 0u);
  world.ExpectNoneAlive();
}

TEST(Launch, ServiceDyingDuringTrainingStopsEveryOtherChild) {
  LaunchWorld world("servicedies");
  world.SetMode("rlvr-sandbox", "sandbox", "serve");
  world.SetMode("rlvr-rollout", "rollout", "serve");
  world.SetMode("rlvr-trainer", "trainer", "kill_role=sandbox");
  Console console;
  const LaunchOutcome outcome = RunWorld(world.WriteConfig(2), console);
  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_THAT(outcome.status.message(), HasSubstr("sandbox"));
  EXPECT_THAT(outcome.status.message(), HasSubstr("signal 9"));
  EXPECT_THAT(console.Text(), HasSubstr("last lines of"));
  EXPECT_EQ(world.RoleCounts()["trainer"], 1);
  world.ExpectNoneAlive();
}

TEST(Launch, TrainerFailureStopsTheServices) {
  LaunchWorld world("trainerfails");
  world.SetMode("rlvr-sandbox", "sandbox", "serve");
  world.SetMode("rlvr-rollout", "rollout", "serve");
  world.SetMode("rlvr-trainer", "trainer", "train_fail");
  Console console;
  const LaunchOutcome outcome = RunWorld(world.WriteConfig(1), console);
  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_THAT(outcome.status.message(), HasSubstr("trainer exited with code 7"));
  EXPECT_THAT(console.Text(), HasSubstr("fake trainer: error on purpose"));
  world.ExpectNoneAlive();
}

TEST(Launch, SigintDuringTrainingStopsEveryChild) {
  LaunchWorld world("sigint");
  world.SetMode("rlvr-sandbox", "sandbox", "serve");
  world.SetMode("rlvr-rollout", "rollout", "serve");
  world.SetMode("rlvr-trainer", "trainer", "train_wait");
  Console console;
  // The interrupt arrives as a real signal once the trainer reports progress.
  console.OnLine([](const std::string& line) {
    if (line == "[trainer] step 1 running") kill(getpid(), SIGINT);
  });
  const LaunchOutcome outcome = RunWorld(world.WriteConfig(2), console);
  EXPECT_EQ(outcome.exit_code, 128 + SIGINT) << outcome.status;
  EXPECT_TRUE(absl::IsCancelled(outcome.status)) << outcome.status;
  EXPECT_EQ(world.RoleCounts()["trainer"], 1);
  world.ExpectNoneAlive();
}

TEST(Launch, ChildIgnoringSigtermIsKilledAfterTheGracePeriod) {
  LaunchWorld world("stubborn");
  world.SetMode("rlvr-sandbox", "sandbox", "serve_stubborn");
  world.SetMode("rlvr-rollout", "rollout", "serve");
  world.SetMode("rlvr-trainer", "trainer", "train_ok");
  Console console;
  const LaunchOutcome outcome = RunWorld(world.WriteConfig(1, "", /*stop_grace_ms=*/100), console);
  EXPECT_EQ(outcome.exit_code, 0) << outcome.status;
  world.ExpectNoneAlive();
}

TEST(Launch, MissingServiceBinaryIsAClearError) {
  LaunchWorld world("missing");
  world.SetMode("rlvr-sandbox", "sandbox", "serve");
  world.SetMode("rlvr-trainer", "trainer", "train_ok");
  Console console;
  const LaunchOutcome outcome = RunWorld(world.WriteConfig(1), console);
  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_THAT(outcome.status.message(), HasSubstr("rlvr-rollout"));
  EXPECT_THAT(outcome.status.message(), HasSubstr("No such file"));
  world.ExpectNoneAlive();
}

TEST(Launch, BadConfigNamesTheFileAndNothingStarts) {
  LaunchWorld world("badconfig");
  world.SetMode("rlvr-sandbox", "sandbox", "serve");
  Console console;
  const std::string config = world.WriteConfig(1, "rollout_wokers: 3\n");
  const LaunchOutcome outcome = RunWorld(config, console);
  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_THAT(outcome.status.message(), HasSubstr("experiment.textproto:"));
  EXPECT_THAT(outcome.status.message(), HasSubstr("rollout_wokers"));
  EXPECT_TRUE(world.Processes().empty());
}

// The real `rlvr launch` binary, interrupted with SIGINT from outside like a Ctrl-C.
TEST(LaunchCli, SigintStopsEveryChildAndExitsWith130) {
  LaunchWorld world("cli");
  world.SetMode("rlvr-sandbox", "sandbox", "serve");
  world.SetMode("rlvr-rollout", "rollout", "serve");
  world.SetMode("rlvr-trainer", "trainer", "train_wait");
  const std::string config = world.WriteConfig(2);
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(out[1], 1);
    dup2(out[1], 2);
    close(out[0]);
    close(out[1]);
    execl(RLVR_CLI, RLVR_CLI, "launch", config.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  FILE* in = fdopen(out[0], "r");
  ASSERT_NE(in, nullptr);
  std::string all;
  char line[4096];
  bool sent = false;
  while (std::fgets(line, sizeof(line), in) != nullptr) {
    all += line;
    if (!sent && std::string(line).find("[trainer] step 1 running") != std::string::npos) {
      kill(pid, SIGINT);
      sent = true;
    }
  }
  std::fclose(in);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(sent) << all;
  ASSERT_TRUE(WIFEXITED(status)) << all;
  EXPECT_EQ(WEXITSTATUS(status), 130) << all;
  EXPECT_THAT(all, HasSubstr("interrupted"));
  EXPECT_EQ(world.RoleCounts()["trainer"], 1);
  EXPECT_EQ(world.RoleCounts()["rollout"], 2);
  world.ExpectNoneAlive();
}

TEST(LaunchCli, EverySubcommandHasHelp) {
  for (const char* command : {"launch", "pretrain", "eval", "data", "report"}) {
    const std::string cmd = absl::StrCat("'", RLVR_CLI, "' ", command, " --help");
    FILE* p = popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string text;
    char buf[1024];
    while (std::fgets(buf, sizeof(buf), p) != nullptr) text += buf;
    EXPECT_EQ(pclose(p), 0) << command;
    EXPECT_THAT(text, HasSubstr(absl::StrCat("usage: rlvr ", command))) << command;
  }
}

// ChildSupervisor on its own.

TEST(Supervisor, ParsesTheListeningLine) {
  EXPECT_EQ(ParseListeningLine("rlvr-sandbox listening on 127.0.0.1:4242"), "127.0.0.1:4242");
  EXPECT_EQ(ParseListeningLine("listening on  [::1]:80 (grpc)"), "[::1]:80");
  EXPECT_EQ(ParseListeningLine("listening on "), std::nullopt);
  EXPECT_EQ(ParseListeningLine("ready"), std::nullopt);
}

TEST(Supervisor, ChildExitingBeforeListeningIsUnavailableAndItsOutputIsLogged) {
  absl::StatusOr<std::unique_ptr<ChildSupervisor>> sup =
      ChildSupervisor::Create([](const std::string&) {});
  ASSERT_TRUE(sup.ok()) << sup.status();
  const std::string log = testing::TempDir() + "/supervisor_exit.log";
  absl::StatusOr<int> id = (*sup)->Start(
      {"early", {"/bin/sh", "-c", "echo one; echo two; printf three; exit 4"}, log, false});
  ASSERT_TRUE(id.ok()) << id.status();
  absl::StatusOr<std::string> address = (*sup)->WaitForListenAddress(*id, absl::InfiniteFuture());
  EXPECT_TRUE(absl::IsUnavailable(address.status())) << address.status();
  ASSERT_TRUE((*sup)->exit_status(*id).has_value());
  EXPECT_EQ((*sup)->exit_status(*id)->exit_code, 4);
  EXPECT_EQ((*sup)->LogTail(*id, 2), "two\nthree\n");
  EXPECT_EQ(Slurp(log), "one\ntwo\nthree");
}

TEST(Supervisor, ProgramThatCannotRunIsAnErrorNamingIt) {
  absl::StatusOr<std::unique_ptr<ChildSupervisor>> sup =
      ChildSupervisor::Create([](const std::string&) {});
  ASSERT_TRUE(sup.ok());
  absl::StatusOr<int> id =
      (*sup)->Start({"ghost", {"/nonexistent/rlvr-ghost"}, testing::TempDir() + "/g.log", false});
  ASSERT_FALSE(id.ok());
  EXPECT_THAT(id.status().message(), HasSubstr("/nonexistent/rlvr-ghost"));
  EXPECT_EQ((*sup)->num_children(), 0);
}

TEST(Supervisor, OnlyOneAtATime) {
  absl::StatusOr<std::unique_ptr<ChildSupervisor>> first = ChildSupervisor::Create();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(ChildSupervisor::Create().status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(Supervisor, StopAllEndsTheWholeProcessGroup) {
  absl::StatusOr<std::unique_ptr<ChildSupervisor>> sup =
      ChildSupervisor::Create([](const std::string&) {});
  ASSERT_TRUE(sup.ok());
  // The child starts a helper in its own group and reports the helper's pid.
  absl::StatusOr<int> id =
      (*sup)->Start({"parent",
                     {"/bin/sh", "-c", "sleep 1000 & echo \"listening on helper-$!\"; wait"},
                     testing::TempDir() + "/group.log",
                     false});
  ASSERT_TRUE(id.ok());
  absl::StatusOr<std::string> word = (*sup)->WaitForListenAddress(*id, absl::InfiniteFuture());
  ASSERT_TRUE(word.ok()) << word.status();
  const pid_t helper = std::stoi(word->substr(std::string("helper-").size()));
  // A pidfd becomes readable when the helper ends, whoever reaps it.
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, helper, 0));
  ASSERT_GE(pidfd, 0) << "pidfd_open: " << strerror(errno);
  (*sup)->StopAll(absl::Seconds(10));
  ASSERT_TRUE((*sup)->exit_status(*id).has_value());
  pollfd fd = {pidfd, POLLIN, 0};
  EXPECT_EQ(poll(&fd, 1, /*timeout_ms=*/60000), 1) << "the helper outlived its group's stop";
  close(pidfd);
}

}  // namespace
}  // namespace rlvr
