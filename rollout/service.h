// The gRPC face of the engine: rlvr.v1.Rollout (Generate, UpdateWeights, GetStats). Handlers
// convert and validate, then call the engine; the logic lives in engine.h and
// weight_receiver.h.
#ifndef RLVR_ROLLOUT_SERVICE_H_
#define RLVR_ROLLOUT_SERVICE_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "rlvr/v1/rollout.grpc.pb.h"
#include "rollout/engine.h"

namespace rlvr {

class Tokenizer;

// Converts a wire request: text prompts are tokenized (tokenizer may be null, and then text
// prompts are an error), and unset fields take their defaults (top_p 0 means 1, max_new_tokens
// 0 means "up to the context"). Range checks are Engine::Validate's.
absl::StatusOr<GenerationRequest> GenerationRequestFromProto(const v1::GenerateRequest& request,
                                                             const Tokenizer* tokenizer);

v1::Completion CompletionToProto(const CompletionResult& result);

// The largest gRPC message a rollout server takes by default (weight chunks, big batches).
inline constexpr int kDefaultRolloutMaxMessageBytes = 64 << 20;

class RolloutService final : public v1::Rollout::Service {
 public:
  // engine and tokenizer (may be null) must outlive the service.
  RolloutService(Engine* engine, const Tokenizer* tokenizer);

  grpc::Status Generate(grpc::ServerContext* context, const v1::GenerateRequest* request,
                        grpc::ServerWriter<v1::GenerateResponse>* writer) override;
  grpc::Status UpdateWeights(grpc::ServerContext* context,
                             grpc::ServerReader<v1::WeightChunk>* reader,
                             v1::UpdateAck* ack) override;
  grpc::Status GetStats(grpc::ServerContext* context, const v1::GetStatsRequest* request,
                        v1::RolloutStats* stats) override;

  // After this, Generate answers UNAVAILABLE; requests already accepted go on.
  void StartDrain();
  // Waits until no Generate call is in progress, or the timeout passes; returns whether idle.
  bool WaitForIdle(absl::Duration timeout);

 private:
  Engine* engine_;
  const Tokenizer* tokenizer_;
  absl::Mutex mu_;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  int active_generates_ ABSL_GUARDED_BY(mu_) = 0;
  bool receiving_update_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace rlvr

#endif  // RLVR_ROLLOUT_SERVICE_H_
