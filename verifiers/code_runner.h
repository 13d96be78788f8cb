// CodeRunner: how the code_tests verifier runs untrusted programs. The sandbox service
// implements it in-process (and injects it into the verifier registry it serves); processes
// outside the sandbox use the gRPC client below, which calls Sandbox.Execute at an address.
#ifndef RLVR_VERIFIERS_CODE_RUNNER_H_
#define RLVR_VERIFIERS_CODE_RUNNER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "rlvr/v1/sandbox.pb.h"

namespace rlvr {

class CodeRunner {
 public:
  virtual ~CodeRunner() = default;

  // Runs request to completion. A program that fails, crashes or times out is an OK status with
  // the verdict in the response; an error status means the run could not be carried out at all
  // (sandbox unavailable, request rejected) and the caller cannot judge the program.
  // `deadline` bounds the whole call, including waiting for a busy executor.
  // Must be safe to call concurrently.
  virtual absl::StatusOr<rlvr::v1::ExecuteResponse> Run(const rlvr::v1::ExecuteRequest& request,
                                                        absl::Time deadline) = 0;
};

struct GrpcCodeRunnerOptions {
  // Attempts after the first one when the sandbox is UNAVAILABLE.
  int max_retries = 2;
  // Upper bound per attempt, on top of the caller's deadline.
  absl::Duration attempt_timeout = absl::Seconds(60);
  // Wait before retry k (k = 1, 2, ...) is backoff * 2^(k-1).
  absl::Duration backoff = absl::Milliseconds(50);
};

// A CodeRunner that calls rlvr.v1.Sandbox/Execute at `address` ("host:port") over an insecure
// channel. Connection happens lazily; a sandbox that is down yields UNAVAILABLE from Run.
std::unique_ptr<CodeRunner> MakeGrpcCodeRunner(const std::string& address,
                                               const GrpcCodeRunnerOptions& options = {});

}  // namespace rlvr

#endif  // RLVR_VERIFIERS_CODE_RUNNER_H_
