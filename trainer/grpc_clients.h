// gRPC implementations of the trainer's clients: RolloutWorker over rlvr.v1.Rollout and
// VerifyClient over rlvr.v1.Sandbox.Verify.
#ifndef RLVR_TRAINER_GRPC_CLIENTS_H_
#define RLVR_TRAINER_GRPC_CLIENTS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "grpcpp/grpcpp.h"
#include "trainer/rollout_client.h"
#include "trainer/verify_client.h"

namespace rlvr {

// Largest message either side sends (weight chunks are far smaller).
inline constexpr int kMaxGrpcMessageBytes = 64 << 20;

// Maps a gRPC status onto absl (same codes, message kept).
absl::Status FromGrpcStatus(const grpc::Status& status);

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address);

struct GrpcDeadlines {
  int64_t generate_ms = 0;      // 0: no deadline (long generations are normal)
  int64_t weights_ms = 600000;  // one whole weight push
  int64_t verify_ms = 600000;   // one verify batch
  int64_t stats_ms = 30000;     // GetStats
};

std::unique_ptr<RolloutWorker> NewGrpcRolloutWorker(const std::string& address,
                                                    GrpcDeadlines deadlines = {});
std::unique_ptr<VerifyClient> NewGrpcVerifyClient(const std::string& address,
                                                  GrpcDeadlines deadlines = {});

}  // namespace rlvr

#endif  // RLVR_TRAINER_GRPC_CLIENTS_H_
