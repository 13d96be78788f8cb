#include <algorithm>
#include <memory>
#include <string>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "rlvr/v1/sandbox.grpc.pb.h"
#include "verifiers/code_runner.h"
#include "verifiers/grpc_util.h"

namespace rlvr {
namespace {

class GrpcCodeRunner : public CodeRunner {
 public:
  GrpcCodeRunner(const std::string& address, const GrpcCodeRunnerOptions& options)
      : address_(address),
        options_(options),
        stub_(rlvr::v1::Sandbox::NewStub(
            grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))) {}

  absl::StatusOr<rlvr::v1::ExecuteResponse> Run(const rlvr::v1::ExecuteRequest& request,
                                                absl::Time deadline) override {
    const int attempts = 1 + std::max(0, options_.max_retries);
    grpc::Status last;
    for (int attempt = 0; attempt < attempts; ++attempt) {
      if (attempt > 0) {
        absl::Duration wait = options_.backoff * (1 << std::min(attempt - 1, 10));
        if (absl::Now() + wait >= deadline) break;
        absl::SleepFor(wait);
      }
      absl::Time now = absl::Now();
      if (now >= deadline) break;
      grpc::ClientContext context;
      context.set_deadline(ToChrono(std::min(deadline, now + options_.attempt_timeout)));
      rlvr::v1::ExecuteResponse response;
      last = stub_->Execute(&context, request, &response);
      if (last.ok()) return response;
      if (last.error_code() != grpc::StatusCode::UNAVAILABLE) break;
    }
    if (last.ok()) {
      return absl::DeadlineExceededError(
          absl::StrFormat("sandbox at %s: no time left to run the program", address_));
    }
    return absl::Status(
        FromGrpcStatus(last).code(),
        absl::StrFormat("sandbox at %s: Execute failed: %s", address_, last.error_message()));
  }

 private:
  std::string address_;
  GrpcCodeRunnerOptions options_;
  std::unique_ptr<rlvr::v1::Sandbox::Stub> stub_;
};

}  // namespace

std::unique_ptr<CodeRunner> MakeGrpcCodeRunner(const std::string& address,
                                               const GrpcCodeRunnerOptions& options) {
  return std::make_unique<GrpcCodeRunner>(address, options);
}

}  // namespace rlvr
