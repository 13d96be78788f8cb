#include "sandbox/service.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "verifiers/batch.h"

namespace rlvr::sandbox {
namespace {

using rlvr::v1::ExecuteRequest;
using rlvr::v1::ExecuteResponse;

grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

absl::Time Deadline(const grpc::ServerContext* context) {
  auto d = context->deadline();
  if (d == std::chrono::system_clock::time_point::max()) return absl::InfiniteFuture();
  return absl::FromChrono(d);
}

// Results of one admitted group of runs, shared with the jobs (which may outlive a caller that
// gave up at its deadline).
struct Pending {
  explicit Pending(size_t n) : results(n), left(n) {}
  absl::Mutex mu;
  std::vector<absl::StatusOr<ExecuteResponse>> results ABSL_GUARDED_BY(mu);
  size_t left ABSL_GUARDED_BY(mu);
  bool abandoned ABSL_GUARDED_BY(mu) = false;
};

}  // namespace

absl::StatusOr<std::vector<ExecuteResponse>> QueuedRunner::RunBatch(
    const std::vector<const ExecuteRequest*>& requests, absl::Time deadline) {
  for (size_t i = 0; i < requests.size(); ++i) {
    absl::Status valid = executor_->Validate(*requests[i]);
    if (!valid.ok()) {
      return absl::InvalidArgumentError(requests.size() == 1
                                            ? std::string(valid.message())
                                            : absl::StrCat("requests[", i, "]: ", valid.message()));
    }
  }
  auto pending = std::make_shared<Pending>(requests.size());
  std::vector<ExecutionQueue::Job> jobs;
  for (size_t i = 0; i < requests.size(); ++i) {
    auto request = std::make_shared<ExecuteRequest>(*requests[i]);
    jobs.push_back([this, pending, request, i](int worker) {
      {
        absl::MutexLock lock(&pending->mu);
        if (pending->abandoned) {
          --pending->left;
          return;
        }
      }
      absl::StatusOr<ExecuteResponse> r = executor_->Execute(*request, worker);
      absl::MutexLock lock(&pending->mu);
      pending->results[i] = std::move(r);
      --pending->left;
    });
  }
  if (absl::Status s = queue_->SubmitAll(std::move(jobs)); !s.ok()) return s;
  absl::MutexLock lock(&pending->mu);
  auto all_done = [&pending]()
                      ABSL_EXCLUSIVE_LOCKS_REQUIRED(pending->mu) { return pending->left == 0; };
  if (!pending->mu.AwaitWithDeadline(absl::Condition(&all_done), deadline)) {
    pending->abandoned = true;
    return absl::DeadlineExceededError("the runs did not finish before the call's deadline");
  }
  std::vector<ExecuteResponse> out;
  for (absl::StatusOr<ExecuteResponse>& r : pending->results) {
    if (!r.ok()) return r.status();
    out.push_back(*std::move(r));
  }
  return out;
}

absl::StatusOr<ExecuteResponse> QueuedRunner::Run(const ExecuteRequest& request,
                                                  absl::Time deadline) {
  absl::StatusOr<std::vector<ExecuteResponse>> r = RunBatch({&request}, deadline);
  if (!r.ok()) return r.status();
  return std::move((*r)[0]);
}

SandboxService::SandboxService(Executor* executor, QueuedRunner* runner,
                               const VerifierRegistry* registry)
    : executor_(executor), runner_(runner), registry_(registry) {}

grpc::Status SandboxService::Execute(grpc::ServerContext* context, const ExecuteRequest* request,
                                     ExecuteResponse* response) {
  absl::StatusOr<ExecuteResponse> r = runner_->Run(*request, Deadline(context));
  if (!r.ok()) return ToGrpc(r.status());
  *response = *std::move(r);
  return grpc::Status::OK;
}

grpc::Status SandboxService::ExecuteBatch(grpc::ServerContext* context,
                                          const rlvr::v1::ExecuteBatchRequest* request,
                                          rlvr::v1::ExecuteBatchResponse* response) {
  if (request->requests_size() > executor_->config().max_batch_size()) {
    return grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat("batch of ", request->requests_size(), " requests; the maximum is ",
                     executor_->config().max_batch_size()));
  }
  std::vector<const ExecuteRequest*> requests;
  for (const ExecuteRequest& r : request->requests()) requests.push_back(&r);
  absl::StatusOr<std::vector<ExecuteResponse>> r = runner_->RunBatch(requests, Deadline(context));
  if (!r.ok()) return ToGrpc(r.status());
  for (ExecuteResponse& one : *r) *response->add_responses() = std::move(one);
  return grpc::Status::OK;
}

grpc::Status SandboxService::Verify(grpc::ServerContext* /*context*/,
                                    const rlvr::v1::VerifyRequest* request,
                                    rlvr::v1::VerifyResponse* response) {
  if (registry_ == nullptr) {
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "no verifier registry configured");
  }
  VerifyBatchOptions options;
  options.parallelism = executor_->config().verify_parallelism();
  options.per_item_timeout = absl::Milliseconds(executor_->config().verify_item_timeout_ms());
  *response = VerifyBatch(*registry_, *request, options);
  return grpc::Status::OK;
}

}  // namespace rlvr::sandbox
