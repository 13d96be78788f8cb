#include "tools/launcher.h"

#include <signal.h>
#include <string.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "core/config.h"
#include "core/json.h"
#include "tools/health_check.h"
#include "tools/report.h"
#include "tools/supervisor.h"

namespace rlvr {
namespace {

namespace fs = std::filesystem;
using v1::ExperimentConfig;

constexpr int64_t kDefaultStartupTimeoutMs = 120000;
constexpr int64_t kDefaultStopGraceMs = 10000;
constexpr int kDefaultLogTailLines = 20;
constexpr char kLoopbackAnyPort[] = "127.0.0.1:0";

absl::Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return absl::FailedPreconditionError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

// A started service: which child runs it and where it listens.
struct Service {
  int child = -1;
  std::string address;
};

class Launch {
 public:
  explicit Launch(const LaunchOptions& options) : options_(options) {
    console_ = options.console ? options.console : [](const std::string& line) {
      std::fwrite(line.data(), 1, line.size(), stdout);
      std::fputc('\n', stdout);
      std::fflush(stdout);
    };
  }

  LaunchOutcome Run() {
    LaunchOutcome outcome;
    absl::Status st = Prepare();
    outcome.run_dir = run_dir_;
    if (st.ok()) st = StartAndSupervise();
    if (supervisor_ != nullptr) {
      if (supervisor_->num_children() > 0) Say("stopping all processes");
      supervisor_->StopAll(absl::Milliseconds(stop_grace_ms_));
      if (const int signo = supervisor_->interrupted(); signo != 0 && st.ok()) {
        st = absl::CancelledError(absl::StrCat("interrupted by ", strsignal(signo)));
      }
      interrupted_ = supervisor_->interrupted();
      supervisor_.reset();  // restores the signal handlers
    }
    if (st.ok() && !config_.launch().skip_report()) st = WriteReport();
    outcome.status = st;
    outcome.exit_code = st.ok() ? 0 : (interrupted_ != 0 ? 128 + interrupted_ : 1);
    if (!st.ok()) Say(absl::StrCat("error: ", st.message()));
    if (!run_dir_.empty()) SayWhereThingsAre();
    return outcome;
  }

 private:
  void Say(const std::string& text) { console_(absl::StrCat("rlvr launch: ", text)); }

  absl::Status Prepare() {
    if (absl::Status st = LoadConfig(options_.config_path, options_.overrides, &config_);
        !st.ok()) {
      return st;
    }
    run_dir_ = RunDirectory(config_);
    std::error_code ec;
    fs::create_directories(fs::path(run_dir_) / "logs", ec);
    if (ec) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot create run directory ", run_dir_, ": ", ec.message()));
    }
    const v1::LaunchConfig& launch = config_.launch();
    bin_dir_ = launch.bin_dir().empty() ? options_.default_bin_dir : launch.bin_dir();
    startup_timeout_ms_ =
        launch.startup_timeout_ms() > 0 ? launch.startup_timeout_ms() : kDefaultStartupTimeoutMs;
    stop_grace_ms_ = launch.stop_grace_ms() > 0 ? launch.stop_grace_ms() : kDefaultStopGraceMs;
    log_tail_lines_ = launch.log_tail_lines() > 0 ? launch.log_tail_lines() : kDefaultLogTailLines;

    // The trainer reads the same experiment, with logging.dir pinned to this run directory.
    ExperimentConfig effective = config_;
    effective.mutable_logging()->set_dir(run_dir_);
    if (absl::Status st = WriteText(RunPath("experiment.textproto"), ConfigToText(effective));
        !st.ok()) {
      return st;
    }
    v1::SandboxServiceConfig sandbox = config_.sandbox();
    sandbox.set_listen_address(kLoopbackAnyPort);
    if (!sandbox.has_reward()) *sandbox.mutable_reward() = config_.reward();
    if (absl::Status st = WriteText(RunPath("sandbox.textproto"), ConfigToText(sandbox));
        !st.ok()) {
      return st;
    }
    v1::RolloutServiceConfig rollout = config_.rollout();
    rollout.set_listen_address(kLoopbackAnyPort);
    if (!rollout.has_model()) *rollout.mutable_model() = config_.model();
    // Stop strings and text prompts need the tokenizer on the worker too.
    if (!rollout.has_tokenizer() && config_.has_tokenizer()) {
      *rollout.mutable_tokenizer() = config_.tokenizer();
    }
    return WriteText(RunPath("rollout.textproto"), ConfigToText(rollout));
  }

  std::string RunPath(const std::string& name) const { return (fs::path(run_dir_) / name); }
  std::string Binary(const std::string& name) const { return (fs::path(bin_dir_) / name); }

  absl::StatusOr<int> StartChild(const std::string& name, std::vector<std::string> argv,
                                 bool echo) {
    ChildSpec spec;
    spec.name = name;
    spec.argv = std::move(argv);
    spec.log_path = RunPath(absl::StrCat("logs/", name, ".log"));
    spec.echo = echo;
    absl::StatusOr<int> id = supervisor_->Start(spec);
    if (id.ok()) Say(absl::StrCat("started ", name, " (pid ", supervisor_->pid(*id), ")"));
    return id;
  }

  // An error for a child that ended, with the tail of its log.
  absl::Status ChildFailure(int id, const std::string& what) {
    const std::string tail = supervisor_->LogTail(id, log_tail_lines_);
    console_(absl::StrFormat("---- last lines of %s ----", supervisor_->log_path(id)));
    if (!tail.empty()) console_(std::string(tail.data(), tail.size() - 1));
    console_("----");
    return absl::UnavailableError(
        absl::StrCat(supervisor_->name(id), " ", what, "; its log: ", supervisor_->log_path(id)));
  }

  absl::Status WaitReady(Service& service) {
    const absl::Time deadline = absl::Now() + absl::Milliseconds(startup_timeout_ms_);
    absl::StatusOr<std::string> address =
        supervisor_->WaitForListenAddress(service.child, deadline);
    if (!address.ok()) {
      if (absl::IsCancelled(address.status())) return address.status();
      if (auto exit = supervisor_->exit_status(service.child)) {
        return ChildFailure(service.child, absl::StrCat(exit->Describe(), " during startup"));
      }
      return ChildFailure(service.child, std::string(address.status().message()));
    }
    service.address = *address;
    const int id = service.child;
    absl::Status healthy = WaitUntilServing(service.address, deadline, [&]() -> absl::Status {
      if (int signo = supervisor_->interrupted(); signo != 0) {
        return absl::CancelledError(absl::StrCat("interrupted by ", strsignal(signo)));
      }
      if (auto exit = supervisor_->exit_status(id)) {
        return absl::UnavailableError(exit->Describe());
      }
      return absl::OkStatus();
    });
    if (absl::IsCancelled(healthy)) return healthy;
    if (!healthy.ok()) {
      return ChildFailure(id, absl::StrCat("failed its health check at ", service.address, ": ",
                                           healthy.message()));
    }
    Say(absl::StrCat(supervisor_->name(id), " is serving on ", service.address));
    return absl::OkStatus();
  }

  absl::Status StartAndSupervise() {
    absl::StatusOr<std::unique_ptr<ChildSupervisor>> supervisor = ChildSupervisor::Create(console_);
    if (!supervisor.ok()) return supervisor.status();
    supervisor_ = std::move(*supervisor);
    const bool echo_services = config_.launch().echo_service_logs();

    // Services the config does not already point at.
    std::vector<Service> services;
    std::optional<size_t> sandbox_index;
    if (config_.sandbox_address().empty()) {
      absl::StatusOr<int> id =
          StartChild("sandbox", {Binary("rlvr-sandbox"), "--config", RunPath("sandbox.textproto")},
                     echo_services);
      if (!id.ok()) return id.status();
      sandbox_index = services.size();
      services.push_back({*id, ""});
    }
    std::vector<size_t> rollout_indices;
    if (config_.rollout_addresses().empty()) {
      const int workers = std::max(1, config_.rollout_workers());
      for (int i = 0; i < workers; ++i) {
        absl::StatusOr<int> id = StartChild(
            absl::StrCat("rollout-", i),
            {Binary("rlvr-rollout"), "--config", RunPath("rollout.textproto")}, echo_services);
        if (!id.ok()) return id.status();
        rollout_indices.push_back(services.size());
        services.push_back({*id, ""});
      }
    }
    for (Service& service : services) {
      if (absl::Status st = WaitReady(service); !st.ok()) return st;
    }

    std::vector<std::string> trainer_argv = {Binary("rlvr-trainer"), "--config",
                                             RunPath("experiment.textproto")};
    if (sandbox_index) {
      trainer_argv.push_back("--set");
      trainer_argv.push_back(absl::StrCat("sandbox_address=", services[*sandbox_index].address));
    }
    if (!rollout_indices.empty()) {
      std::vector<std::string> quoted;
      for (size_t i : rollout_indices) quoted.push_back(JsonQuote(services[i].address));
      trainer_argv.push_back("--set");
      trainer_argv.push_back(absl::StrCat("rollout_addresses=[", absl::StrJoin(quoted, ", "), "]"));
    }
    absl::StatusOr<int> trainer = StartChild("trainer", std::move(trainer_argv), true);
    if (!trainer.ok()) return trainer.status();
    Say("all services are up; training (Ctrl-C stops everything)");

    const SupervisorEvent event = supervisor_->WaitForEvent();
    switch (event.kind) {
      case SupervisorEvent::Kind::kInterrupted:
        return absl::CancelledError(absl::StrCat("interrupted by ", strsignal(event.signal)));
      case SupervisorEvent::Kind::kChildExited: {
        const ChildExit exit = *supervisor_->exit_status(event.child);
        if (event.child == *trainer && exit.success()) {
          Say("the trainer finished");
          return absl::OkStatus();
        }
        if (event.child == *trainer) return ChildFailure(event.child, exit.Describe());
        return ChildFailure(event.child, absl::StrCat(exit.Describe(), " while training ran"));
      }
      case SupervisorEvent::Kind::kTimeout:
        break;
    }
    return absl::InternalError("supervisor returned without an event");
  }

  absl::Status WriteReport() {
    const std::string metrics = RunPath(kMetricsFile);
    if (!fs::exists(metrics)) {
      Say(absl::StrCat("no ", metrics, "; skipping the report"));
      return absl::OkStatus();
    }
    ReportOptions report;
    report.title = absl::StrCat("rlvr run: ", config_.name());
    if (absl::Status st = WriteReportFile(metrics, RunPath(kReportFile), report); !st.ok()) {
      return st;
    }
    return absl::OkStatus();
  }

  void SayWhereThingsAre() {
    Say(absl::StrCat("run directory: ", run_dir_));
    Say(absl::StrCat("  logs:        ", RunPath("logs")));
    if (fs::exists(RunPath(kMetricsFile))) {
      Say(absl::StrCat("  metrics:     ", RunPath(kMetricsFile)));
    }
    if (fs::exists(RunPath(kTensorboardDir))) {
      Say(absl::StrCat("  tensorboard: tensorboard --logdir ", RunPath(kTensorboardDir)));
    }
    if (!config_.checkpoint().dir().empty()) {
      Say(absl::StrCat("  checkpoints: ", config_.checkpoint().dir()));
    }
    if (fs::exists(RunPath(kReportFile))) {
      Say(absl::StrCat("  report:      ", RunPath(kReportFile)));
    }
  }

  const LaunchOptions& options_;
  std::function<void(const std::string&)> console_;
  ExperimentConfig config_;
  std::string run_dir_;
  std::string bin_dir_;
  int64_t startup_timeout_ms_ = kDefaultStartupTimeoutMs;
  int64_t stop_grace_ms_ = kDefaultStopGraceMs;
  int log_tail_lines_ = kDefaultLogTailLines;
  int interrupted_ = 0;
  std::unique_ptr<ChildSupervisor> supervisor_;
};

}  // namespace

std::string RunDirectory(const ExperimentConfig& config) {
  if (!config.logging().dir().empty()) return config.logging().dir();
  return (fs::path("runs") / config.name()).string();
}

LaunchOutcome RunLaunch(const LaunchOptions& options) { return Launch(options).Run(); }

}  // namespace rlvr
