// The rlvr.v1.Sandbox gRPC service: thin handlers over the executor, the bounded execution
// queue and the verifier registry.
#ifndef RLVR_SANDBOX_SERVICE_H_
#define RLVR_SANDBOX_SERVICE_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "rlvr/v1/sandbox.grpc.pb.h"
#include "sandbox/execution_queue.h"
#include "sandbox/executor.h"
#include "verifiers/code_runner.h"
#include "verifiers/registry.h"

namespace rlvr::sandbox {

// Runs requests on the executor through the queue and waits for them. It is also the
// CodeRunner the code_tests verifier uses inside the service.
class QueuedRunner : public CodeRunner {
 public:
  QueuedRunner(Executor* executor, ExecutionQueue* queue) : executor_(executor), queue_(queue) {}

  // INVALID_ARGUMENT for a bad request, RESOURCE_EXHAUSTED when the queue is full,
  // DEADLINE_EXCEEDED when `deadline` passes first.
  absl::StatusOr<rlvr::v1::ExecuteResponse> Run(const rlvr::v1::ExecuteRequest& request,
                                                absl::Time deadline) override;

  // All requests or none are admitted; responses in request order.
  absl::StatusOr<std::vector<rlvr::v1::ExecuteResponse>> RunBatch(
      const std::vector<const rlvr::v1::ExecuteRequest*>& requests, absl::Time deadline);

 private:
  Executor* executor_;
  ExecutionQueue* queue_;
};

class SandboxService final : public rlvr::v1::Sandbox::Service {
 public:
  // `registry` may be null (Verify then answers UNIMPLEMENTED).
  SandboxService(Executor* executor, QueuedRunner* runner, const VerifierRegistry* registry);

  grpc::Status Execute(grpc::ServerContext* context, const rlvr::v1::ExecuteRequest* request,
                       rlvr::v1::ExecuteResponse* response) override;
  grpc::Status ExecuteBatch(grpc::ServerContext* context,
                            const rlvr::v1::ExecuteBatchRequest* request,
                            rlvr::v1::ExecuteBatchResponse* response) override;
  grpc::Status Verify(grpc::ServerContext* context, const rlvr::v1::VerifyRequest* request,
                      rlvr::v1::VerifyResponse* response) override;

 private:
  Executor* executor_;
  QueuedRunner* runner_;
  const VerifierRegistry* registry_;
};

}  // namespace rlvr::sandbox

#endif  // RLVR_SANDBOX_SERVICE_H_
