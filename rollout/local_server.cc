#include "rollout/local_server.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace rlvr {

absl::StatusOr<std::unique_ptr<LocalRolloutServer>> LocalRolloutServer::Start(
    std::unique_ptr<DecodeModel> model, const EngineOptions& options, const Tokenizer* tokenizer) {
  std::unique_ptr<LocalRolloutServer> s(new LocalRolloutServer());
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(std::move(model), options);
  if (!engine.ok()) return engine.status();
  s->engine_ = *std::move(engine);
  s->engine_->Start();
  s->service_ = std::make_unique<RolloutService>(s->engine_.get(), tokenizer);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(kDefaultRolloutMaxMessageBytes);
  builder.SetMaxSendMessageSize(kDefaultRolloutMaxMessageBytes);
  builder.RegisterService(s->service_.get());
  s->server_ = builder.BuildAndStart();
  if (s->server_ == nullptr || port == 0) {
    s->engine_->Stop();
    return absl::UnavailableError("cannot listen on a loopback port");
  }
  s->address_ = absl::StrCat("127.0.0.1:", port);
  return s;
}

void LocalRolloutServer::Stop() {
  if (server_ == nullptr) return;
  service_->StartDrain();
  engine_->Stop();
  server_->Shutdown();
  server_.reset();
}

LocalRolloutServer::~LocalRolloutServer() { Stop(); }

}  // namespace rlvr
