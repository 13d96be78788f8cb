#include "tools/health_check.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace rlvr {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

absl::Status WaitUntilServing(const std::string& address, absl::Time deadline,
                              const std::function<absl::Status()>& abandon,
                              absl::Duration attempt_timeout) {
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  std::unique_ptr<Health::Stub> stub = Health::NewStub(channel);
  std::string last = "no answer";
  for (;;) {
    if (abandon) {
      if (absl::Status st = abandon(); !st.ok()) return st;
    }
    const absl::Time now = absl::Now();
    if (now >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat(address, " did not pass its health check in time (", last, ")"));
    }
    grpc::ClientContext context;
    context.set_wait_for_ready(true);
    context.set_deadline(absl::ToChronoTime(std::min(deadline, now + attempt_timeout)));
    HealthCheckRequest request;
    HealthCheckResponse response;
    const grpc::Status status = stub->Check(&context, request, &response);
    if (status.ok() && response.status() == HealthCheckResponse::SERVING) {
      return absl::OkStatus();
    }
    if (status.ok()) {
      last = absl::StrCat("status ", HealthCheckResponse::ServingStatus_Name(response.status()));
      // Not ready yet: ask again when the server says something new.
      grpc::ClientContext watch_context;
      watch_context.set_deadline(absl::ToChronoTime(std::min(deadline, now + attempt_timeout)));
      std::unique_ptr<grpc::ClientReader<HealthCheckResponse>> reader =
          stub->Watch(&watch_context, request);
      HealthCheckResponse update;
      while (reader->Read(&update)) {
        if (update.status() == HealthCheckResponse::SERVING) return absl::OkStatus();
      }
      const grpc::Status watch_status = reader->Finish();
      if (watch_status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
        absl::SleepFor(attempt_timeout);  // a Check-only server: ask again later
      }
    } else if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
      return absl::FailedPreconditionError(
          absl::StrCat(address, " does not serve grpc.health.v1.Health"));
    } else {
      last = status.error_message().empty() ? absl::StrCat("code ", status.error_code())
                                            : status.error_message();
    }
  }
}

}  // namespace rlvr
