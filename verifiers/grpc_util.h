// Small helpers shared by the gRPC clients in this folder.
#ifndef RLVR_VERIFIERS_GRPC_UTIL_H_
#define RLVR_VERIFIERS_GRPC_UTIL_H_

#include <chrono>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"

namespace rlvr {

// The same code and message; gRPC and absl share the canonical code numbering.
inline absl::Status FromGrpcStatus(const grpc::Status& s) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

inline std::chrono::system_clock::time_point ToChrono(absl::Time t) {
  return absl::ToChronoTime(t);
}

// Codes worth another attempt: the peer is down or did not answer in time.
inline bool IsRetryable(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::DEADLINE_EXCEEDED;
}

}  // namespace rlvr

#endif  // RLVR_VERIFIERS_GRPC_UTIL_H_
