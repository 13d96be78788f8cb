// rlvr-rollout: the rollout worker. Serves rlvr.v1.Rollout and the standard gRPC health service
// for one model.
//
//   rlvr-rollout --config configs/rollout.textproto [--set model.path=...] [--print-config]
//
// The config is an rlvr.v1.RolloutServiceConfig. Prints "listening on HOST:PORT" on stdout once
// it serves (a port of 0 picks a free one). SIGTERM or SIGINT: stop taking requests, let running
// ones finish for up to drain_timeout_ms, abort the rest, exit 0.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "core/config.h"
#include "core/tokenizer.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "rlvr/v1/config.pb.h"
#include "rollout/engine.h"
#include "rollout/service.h"
#include "rollout/transformer_model.h"

namespace rlvr {
namespace {

constexpr char kDefaultListenAddress[] = "127.0.0.1:0";
constexpr int kDefaultKvBlockSize = 16;
constexpr int kDefaultKvBlocks = 1024;
constexpr int kDefaultMaxRunning = 256;
constexpr int kDefaultDrainTimeoutMs = 30000;

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "rlvr-rollout: %s\n", status.ToString().c_str());
  return 1;
}

int Run(int argc, char** argv) {
  absl::StatusOr<ConfigArgs> args = ParseConfigArgs(argc, argv);
  if (!args.ok()) return Fail(args.status());
  if (args->help || args->config_path.empty()) {
    std::printf(
        "usage: rlvr-rollout --config FILE [--set field=value ...] [--print-config]\n"
        "FILE is a text-format rlvr.v1.RolloutServiceConfig.\n");
    return args->help ? 0 : 2;
  }
  if (!args->rest.empty()) {
    return Fail(absl::InvalidArgumentError("unexpected argument: " + args->rest[0]));
  }
  v1::RolloutServiceConfig config;
  if (absl::Status s = LoadConfig(args->config_path, args->overrides, &config); !s.ok()) {
    return Fail(s);
  }
  if (args->print_config) {
    std::printf("%s", ConfigToText(config).c_str());
    return 0;
  }
  if (config.model().path().empty()) {
    return Fail(absl::InvalidArgumentError(args->config_path + ": model.path is required"));
  }

  // Signals are taken by sigwait below; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto model = TransformerDecodeModel::Load(config.model().path(), config.model().backend(),
                                            config.model().num_threads());
  if (!model.ok()) return Fail(model.status());

  std::unique_ptr<Tokenizer> tokenizer;
  std::unique_ptr<TokenizerDecoder> decoder;
  if (!config.tokenizer().path().empty()) {
    auto t = Tokenizer::FromFile(config.tokenizer().path());
    if (!t.ok()) return Fail(t.status());
    tokenizer = *std::move(t);
    decoder = std::make_unique<TokenizerDecoder>(tokenizer.get());
  }

  // Zero means "default"; anything else (negative values included) goes to the engine's checks.
  EngineOptions options;
  options.kv_block_size =
      config.kv_block_size() != 0 ? config.kv_block_size() : kDefaultKvBlockSize;
  options.kv_blocks = config.kv_blocks() != 0 ? config.kv_blocks() : kDefaultKvBlocks;
  options.max_running_sequences =
      config.max_running_sequences() != 0 ? config.max_running_sequences() : kDefaultMaxRunning;
  options.max_context = config.max_context();
  options.max_waiting_sequences = config.max_waiting_sequences();
  options.abort_in_flight_on_update = config.abort_in_flight_on_update();
  options.initial_weight_version = config.initial_weight_version();
  options.decoder = decoder.get();
  auto engine = Engine::Create(*std::move(model), options);
  if (!engine.ok()) return Fail(engine.status());
  (*engine)->Start();

  RolloutService service(engine->get(), tokenizer.get());
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  const std::string address =
      config.listen_address().empty() ? kDefaultListenAddress : config.listen_address();
  int port = 0;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port);
  const int max_message =
      config.max_message_bytes() > 0 ? config.max_message_bytes() : kDefaultRolloutMaxMessageBytes;
  builder.SetMaxReceiveMessageSize(max_message);
  builder.SetMaxSendMessageSize(max_message);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return Fail(absl::UnavailableError("cannot listen on " + address));
  }
  server->GetHealthCheckService()->SetServingStatus(true);
  const std::string host = address.substr(0, address.rfind(':'));
  std::printf("listening on %s:%d\n", host.c_str(), port);
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  std::fprintf(stderr, "rlvr-rollout: signal %d, draining\n", signal_number);
  server->GetHealthCheckService()->SetServingStatus(false);
  service.StartDrain();
  const int drain_ms =
      config.drain_timeout_ms() > 0 ? config.drain_timeout_ms() : kDefaultDrainTimeoutMs;
  if (!service.WaitForIdle(absl::Milliseconds(drain_ms))) {
    std::fprintf(stderr, "rlvr-rollout: drain timeout, aborting the remaining requests\n");
  }
  // Aborts what is left; the handlers then return their partial completions.
  (*engine)->Stop();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return 0;
}

}  // namespace
}  // namespace rlvr

int main(int argc, char** argv) { return rlvr::Run(argc, argv); }
