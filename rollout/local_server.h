// A rollout service inside the calling process, on a free loopback port: the engine, the gRPC
// Rollout service and its server, started and stopped together. For tests, benchmarks and tools
// that need a real Rollout endpoint without a separate process (rlvr-rollout is the process).
#ifndef RLVR_ROLLOUT_LOCAL_SERVER_H_
#define RLVR_ROLLOUT_LOCAL_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "rollout/decode_model.h"
#include "rollout/engine.h"
#include "rollout/service.h"

namespace rlvr {

class LocalRolloutServer {
 public:
  // Starts the engine on `model` and serves it on 127.0.0.1 at a port the kernel picks.
  // `tokenizer` (may be null) serves text prompts and must outlive the server. UNAVAILABLE when
  // no port can be had; the engine's errors for bad options.
  static absl::StatusOr<std::unique_ptr<LocalRolloutServer>> Start(
      std::unique_ptr<DecodeModel> model, const EngineOptions& options,
      const Tokenizer* tokenizer = nullptr);

  // Drains, stops the engine and shuts the server down; idempotent (the destructor calls it).
  void Stop();
  ~LocalRolloutServer();

  const std::string& address() const { return address_; }  // "127.0.0.1:PORT"
  Engine& engine() { return *engine_; }

 private:
  LocalRolloutServer() = default;

  std::unique_ptr<Engine> engine_;
  std::unique_ptr<RolloutService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

}  // namespace rlvr

#endif  // RLVR_ROLLOUT_LOCAL_SERVER_H_
