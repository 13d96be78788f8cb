// A stand-in for rlvr-sandbox, rlvr-rollout and rlvr-trainer in the launcher tests. It accepts
// the services' command line (--config FILE --set a.b=c ...) and behaves as --mode says:
//
//   serve          gRPC server with the standard health service (always SERVING) on 127.0.0.1:0;
//   prints
//                  "listening on 127.0.0.1:PORT"; exits 0 on SIGTERM
//   serve_stubborn the same, but ignores SIGTERM (only SIGKILL ends it)
//   fail_start     prints a message and exits 3 before listening
//   train_ok       prints two progress lines and exits 0
//   train_fail     prints a progress line and an error, exits 7
//   train_wait     prints a progress line, then waits for SIGTERM
//   kill_role=R    (trainer) kills the process that registered role R, then waits for SIGTERM
//
// Every run records itself in --state-dir: a file "<pid>" holding its role, and "<pid>.args"
// with its arguments one per line, so tests can find and check every process afterwards.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace {

// Answers SERVING, like grpc::EnableDefaultHealthCheckService does for the real services.
class AlwaysServing final : public grpc::health::v1::Health::Service {
  grpc::Status Check(grpc::ServerContext*, const grpc::health::v1::HealthCheckRequest*,
                     grpc::health::v1::HealthCheckResponse* response) override {
    response->set_status(grpc::health::v1::HealthCheckResponse::SERVING);
    return grpc::Status::OK;
  }
};

int WaitForTerm() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int signo = 0;
  sigwait(&set, &signo);
  return 0;
}

void Say(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::string role, state_dir, mode;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--role" && i + 1 < argc) {
      role = argv[++i];
    } else if (a == "--state-dir" && i + 1 < argc) {
      state_dir = argv[++i];
    } else if (a == "--mode" && i + 1 < argc) {
      mode = argv[++i];
    } else {
      args.push_back(a);
    }
  }
  // SIGTERM and SIGINT are taken by sigwait, never by default action, so the mode decides.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  const std::string pid = std::to_string(getpid());
  {
    std::ofstream(state_dir + "/" + pid + ".args") << [&] {
      std::string all;
      for (const std::string& a : args) all += a + "\n";
      return all;
    }();
    std::ofstream(state_dir + "/" + pid) << role;
  }

  if (mode == "serve" || mode == "serve_stubborn") {
    AlwaysServing health;
    grpc::ServerBuilder builder;
    builder.RegisterService(&health);
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
    if (!server || port == 0) {
      Say("fake: cannot listen");
      return 1;
    }
    Say("fake " + role + " listening on 127.0.0.1:" + std::to_string(port));
    if (mode == "serve_stubborn") {
      for (;;) WaitForTerm();  // SIGTERM is swallowed; SIGKILL ends the process
    }
    WaitForTerm();
    server->Shutdown();
    Say("fake " + role + " stopped");
    return 0;
  }
  if (mode == "fail_start") {
    Say("fake " + role + ": failing on purpose before listening");
    return 3;
  }
  if (mode == "train_ok") {
    Say("step 1/2 reward 0.25");
    Say("step 2/2 reward 0.75");
    return 0;
  }
  if (mode == "train_fail") {
    Say("step 1/2 reward 0.25");
    Say("fake trainer: error on purpose");
    return 7;
  }
  if (mode == "train_wait") {
    Say("step 1 running");
    WaitForTerm();
    return 0;
  }
  if (mode.rfind("kill_role=", 0) == 0) {
    const std::string victim = mode.substr(10);
    for (const auto& entry : std::filesystem::directory_iterator(state_dir)) {
      if (entry.path().has_extension()) continue;
      std::ifstream in(entry.path());
      std::string r;
      std::getline(in, r);
      if (r == victim) kill(std::atoi(entry.path().filename().c_str()), SIGKILL);
    }
    Say("step 1 running; killed " + victim);
    WaitForTerm();
    return 0;
  }
  Say("fake: unknown mode '" + mode + "'");
  return 2;
}
