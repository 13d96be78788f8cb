// Waiting for a service to pass the standard gRPC health check (grpc.health.v1.Health/Check
// with an empty service name, answered SERVING).
#ifndef RLVR_TOOLS_HEALTH_CHECK_H_
#define RLVR_TOOLS_HEALTH_CHECK_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace rlvr {

// Blocks until the server at `address` ("host:port") answers SERVING. Each attempt waits for the
// connection (gRPC wait-for-ready) for at most `attempt_timeout`; between attempts `abandon` is
// asked whether to give up (e.g. the service's process has exited), and if it returns a non-OK
// status that status is returned. DEADLINE_EXCEEDED at `deadline`, naming the last answer.
absl::Status WaitUntilServing(const std::string& address, absl::Time deadline,
                              const std::function<absl::Status()>& abandon,
                              absl::Duration attempt_timeout = absl::Milliseconds(500));

}  // namespace rlvr

#endif  // RLVR_TOOLS_HEALTH_CHECK_H_
