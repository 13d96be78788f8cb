// The gRPC CodeRunner against an in-process Sandbox service: what code_tests does when it runs
// outside the sandbox process.
#include <atomic>
#include <memory>
#include <string>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "rlvr/v1/sandbox.grpc.pb.h"
#include "tests/verifiers/test_util.h"
#include "verifiers/code_runner.h"
#include "verifiers/code_tests.h"

namespace rlvr {
namespace {

// Passes a program when its source contains the test code's expected token; UNAVAILABLE for
// the first `failures` calls.
class FakeSandbox final : public rlvr::v1::Sandbox::Service {
 public:
  explicit FakeSandbox(int failures) : failures_(failures) {}
  grpc::Status Execute(grpc::ServerContext*, const rlvr::v1::ExecuteRequest* request,
                       rlvr::v1::ExecuteResponse* response) override {
    if (calls_.fetch_add(1) < failures_) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "starting");
    }
    bool passed = request->source().find(request->test_code()) != std::string::npos;
    response->set_id(request->id());
    response->set_passed(passed);
    response->set_verdict(passed ? rlvr::v1::OK : rlvr::v1::RUNTIME_ERROR);
    return grpc::Status::OK;
  }
  int calls() const { return calls_.load(); }

 private:
  int failures_;
  std::atomic<int> calls_{0};
};

struct SandboxServer {
  explicit SandboxServer(int failures) : service(failures) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service);
    server = builder.BuildAndStart();
  }
  ~SandboxServer() { server->Shutdown(); }
  FakeSandbox service;
  int port = 0;
  std::unique_ptr<grpc::Server> server;
};

TEST(GrpcCodeRunnerTest, CodeTestsJudgesThroughSandboxExecute) {
  SandboxServer sandbox(/*failures=*/1);
  ASSERT_NE(sandbox.port, 0);
  GrpcCodeRunnerOptions options;
  options.max_retries = 1;
  std::unique_ptr<CodeRunner> runner =
      MakeGrpcCodeRunner("127.0.0.1:" + std::to_string(sandbox.port), options);
  auto verifier = MakeCodeTestsVerifier({}, runner.get());
  ASSERT_TRUE(verifier.ok());
  EXPECT_EQ(vtest::Reward(**verifier, "```python\nok_token\n```", "ok_token"), 1.0);
  EXPECT_EQ(vtest::Reward(**verifier, "```python\nwrong\n```", "ok_token"), 0.0);
  // The first call was refused once and retried.
  EXPECT_EQ(sandbox.service.calls(), 3);
}

TEST(GrpcCodeRunnerTest, NoRetriesMeansOneAttempt) {
  SandboxServer sandbox(/*failures=*/1);
  GrpcCodeRunnerOptions options;
  options.max_retries = 0;
  std::unique_ptr<CodeRunner> runner =
      MakeGrpcCodeRunner("127.0.0.1:" + std::to_string(sandbox.port), options);
  absl::StatusOr<rlvr::v1::ExecuteResponse> r =
      runner->Run(rlvr::v1::ExecuteRequest(), absl::Now() + absl::Seconds(20));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(sandbox.service.calls(), 1);
}

}  // namespace
}  // namespace rlvr
