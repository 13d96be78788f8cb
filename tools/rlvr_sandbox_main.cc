// rlvr-sandbox: the sandbox service (rlvr.v1.Sandbox: Execute, ExecuteBatch, Verify) plus the
// standard gRPC health service.
//
//   rlvr-sandbox --config configs/sandbox.textproto [--set workers=4] [--print-config]
//
// Prints "listening on HOST:PORT" on stdout once it serves (port 0 in listen_address picks a
// free one). SIGTERM or SIGINT drains: no new calls are accepted, the ones in flight finish.
#include <signal.h>

#include <cstdio>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/config.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "rlvr/v1/config.pb.h"
#include "sandbox/execution_queue.h"
#include "sandbox/executor.h"
#include "sandbox/service.h"
#include "sandbox/zygote.h"
#include "verifiers/registry.h"
#include "verifiers/reward.h"

namespace {

constexpr char kUsage[] =
    "usage: rlvr-sandbox --config FILE [--set field=value]... [--print-config]\n"
    "Serves rlvr.v1.Sandbox (Execute, ExecuteBatch, Verify) on the config's listen_address.\n";
// How long in-flight calls may take to finish after SIGTERM.
constexpr absl::Duration kDrainTimeout = absl::Seconds(120);
// Largest gRPC message accepted (a batch of programs).
constexpr int kMaxMessageBytes = 512 << 20;

int Fail(const std::string& message) {
  fprintf(stderr, "rlvr-sandbox: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  rlvr::sandbox::RunZygoteIfRequested(argc, argv);

  absl::StatusOr<rlvr::ConfigArgs> args = rlvr::ParseConfigArgs(argc, argv);
  if (!args.ok()) return Fail(std::string(args.status().message()) + "\n" + kUsage);
  if (args->help) {
    fputs(kUsage, stdout);
    return 0;
  }
  if (args->config_path.empty() || !args->rest.empty()) return Fail(kUsage);
  rlvr::v1::SandboxServiceConfig loaded;
  if (absl::Status s = rlvr::LoadConfig(args->config_path, args->overrides, &loaded); !s.ok()) {
    return Fail(std::string(s.message()));
  }
  rlvr::v1::SandboxServiceConfig config = rlvr::sandbox::WithDefaults(loaded);
  if (args->print_config) {
    fputs(rlvr::ConfigToText(config).c_str(), stdout);
    return 0;
  }

  // Termination signals are taken by sigwait below, never by a handler in another thread.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  absl::StatusOr<std::unique_ptr<rlvr::sandbox::Executor>> executor =
      rlvr::sandbox::Executor::Create(config);
  if (!executor.ok()) return Fail(std::string(executor.status().message()));
  fprintf(stderr, "rlvr-sandbox: isolation: %s\n", (*executor)->DescribeIsolation().c_str());

  rlvr::sandbox::ExecutionQueue queue(config.workers(), config.queue_capacity());
  rlvr::sandbox::QueuedRunner runner(executor->get(), &queue);
  rlvr::VerifierRegistry registry;
  if (absl::Status s = rlvr::RegisterBuiltinVerifiers(&registry, &runner); !s.ok()) {
    return Fail(absl::StrCat("verifiers: ", s.message()));
  }
  if (config.reward().verifiers_size() > 0) {
    if (absl::Status s = rlvr::ConfigureRewards(config.reward(), &registry); !s.ok()) {
      return Fail(absl::StrCat("reward spec: ", s.message()));
    }
  }
  rlvr::sandbox::SandboxService service(executor->get(), &runner, &registry);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(config.listen_address(), grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return Fail(absl::StrCat("cannot listen on ", config.listen_address()));
  }
  std::string host = config.listen_address().substr(0, config.listen_address().rfind(':'));
  printf("listening on %s:%d\n", host.c_str(), port);
  fflush(stdout);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  fprintf(stderr, "rlvr-sandbox: signal %d, draining\n", sig);
  server->Shutdown(absl::ToChronoTime(absl::Now() + kDrainTimeout));
  queue.Shutdown();
  fprintf(stderr, "rlvr-sandbox: stopped\n");
  return 0;
}
