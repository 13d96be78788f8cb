// Integration: the real rlvr-sandbox binary on a loopback port it picks, called over gRPC.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <future>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/impl/codegen/client_unary_call.h"
#include "gtest/gtest.h"
#include "rlvr/v1/sandbox.grpc.pb.h"
#include "tests/sandbox/sandbox_testing.h"

namespace rlvr::sandbox {
namespace {

using rlvr::v1::ExecuteRequest;
using rlvr::v1::ExecuteResponse;

// Guards against a service that never starts; not a timing assertion.
constexpr int kStartTimeoutMs = 120000;

class ServiceProcess {
 public:
  explicit ServiceProcess(std::vector<std::string> overrides) {
    int out[2];
    if (pipe(out) != 0) return;
    std::vector<std::string> args = {RLVR_BINARY_DIR "/bin/rlvr-sandbox", "--config",
                                     RLVR_SOURCE_DIR "/configs/sandbox.textproto", "--set",
                                     absl::StrCat("sandbox_uid_base=", UidBase())};
    for (const std::string& o : overrides) {
      args.push_back("--set");
      args.push_back(o);
    }
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], 1);
      close(out[0]);
      close(out[1]);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(out[1]);
    stdout_fd_ = out[0];
    std::string line;
    while (line.find('\n') == std::string::npos) {
      pollfd p = {stdout_fd_, POLLIN, 0};
      if (poll(&p, 1, kStartTimeoutMs) <= 0) break;
      char c;
      if (read(stdout_fd_, &c, 1) != 1) break;
      line.push_back(c);
    }
    const std::string marker = "listening on ";
    if (absl::StartsWith(line, marker)) {
      address_ = line.substr(marker.size(), line.size() - marker.size() - 1);
    }
  }

  ~ServiceProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (stdout_fd_ >= 0) close(stdout_fd_);
  }

  // SIGTERM, then the exit status.
  int Stop() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

  const std::string& address() const { return address_; }

  std::unique_ptr<rlvr::v1::Sandbox::Stub> Stub() const {
    return rlvr::v1::Sandbox::NewStub(
        grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
  }

 private:
  static uint32_t UidBase() { return 100000 + static_cast<uint32_t>(getpid() % 50000) * 8 + 4; }

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string address_;
};

TEST(Service, ExecuteOverGrpc) {
  ServiceProcess service({});
  ASSERT_TRUE(absl::StartsWith(service.address(), "127.0.0.1:")) << service.address();
  auto stub = service.Stub();
  grpc::ClientContext ctx;
  ExecuteResponse r;
  grpc::Status s = stub->Execute(&ctx, testing::Python("print(7 * 6)"), &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(r.verdict(), v1::OK);
  EXPECT_EQ(testing::Stdout(r), "42\n");
  EXPECT_EQ(service.Stop(), 0);
}

TEST(Service, ExecuteBatchKeepsOrder) {
  ServiceProcess service({});
  auto stub = service.Stub();
  rlvr::v1::ExecuteBatchRequest batch;
  *batch.add_requests() = testing::Python("def f():\n    return 1\n", "assert f() == 1\n");
  *batch.add_requests() = testing::Python("def f():\n    return 2\n", "assert f() == 1\n");
  *batch.add_requests() = testing::Program("bash", "echo hi");
  grpc::ClientContext ctx;
  rlvr::v1::ExecuteBatchResponse r;
  grpc::Status s = stub->ExecuteBatch(&ctx, batch, &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(r.responses_size(), 3);
  EXPECT_EQ(r.responses(0).verdict(), v1::OK);
  EXPECT_EQ(r.responses(1).verdict(), v1::WRONG_ANSWER);
  EXPECT_EQ(testing::Stdout(r.responses(2)), "hi\n");
}

TEST(Service, MalformedRequestsAreInvalidArgument) {
  ServiceProcess service({});
  auto stub = service.Stub();
  {
    grpc::ClientContext ctx;
    ExecuteResponse r;
    grpc::Status s = stub->Execute(&ctx, testing::Program("fortran", "x"), &r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  {
    ExecuteRequest req = testing::Python("pass");
    req.mutable_limits()->set_memory_bytes(1ll << 50);
    grpc::ClientContext ctx;
    ExecuteResponse r;
    grpc::Status s = stub->Execute(&ctx, req, &r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(s.error_message().find("memory_bytes"), std::string::npos);
  }
}

TEST(Service, HealthServiceAnswersServing) {
  ServiceProcess service({});
  auto channel = grpc::CreateChannel(service.address(), grpc::InsecureChannelCredentials());
  grpc::ClientContext ctx;
  grpc::Slice empty("");  // HealthCheckRequest{} serializes to no bytes
  grpc::ByteBuffer request(&empty, 1), response;
  grpc::Status s = grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
      channel.get(),
      grpc::internal::RpcMethod("/grpc.health.v1.Health/Check",
                                grpc::internal::RpcMethod::NORMAL_RPC),
      &ctx, request, &response);
  ASSERT_TRUE(s.ok()) << s.error_message();
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(response.Dump(&slices).ok());
  std::string bytes;
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  EXPECT_EQ(bytes, std::string("\x08\x01", 2));  // status: SERVING
}

TEST(Service, FullQueueIsResourceExhaustedAndSigtermDrains) {
  // One worker, two places: a batch of two slow runs takes both.
  ServiceProcess service({"workers=1", "queue_capacity=2"});
  auto stub = service.Stub();
  rlvr::v1::ExecuteBatchRequest slow;
  for (int i = 0; i < 2; ++i) {
    *slow.add_requests() = testing::Python("import time\ntime.sleep(2)\nprint('done')\n");
  }
  auto batch = std::async(std::launch::async, [&] {
    while (true) {  // a probe may hold a place when the batch arrives: retry until admitted
      grpc::ClientContext ctx;
      rlvr::v1::ExecuteBatchResponse r;
      grpc::Status s = stub->ExecuteBatch(&ctx, slow, &r);
      if (s.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED) return std::make_pair(s, r);
    }
  });
  // Probe until the batch has been admitted (only the batch can take both places); probes
  // before that are accepted and run.
  grpc::StatusCode probe = grpc::StatusCode::OK;
  while (batch.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    grpc::ClientContext ctx;
    ExecuteResponse r;
    probe = stub->Execute(&ctx, testing::Python("pass"), &r).error_code();
    if (probe == grpc::StatusCode::RESOURCE_EXHAUSTED) break;
  }
  EXPECT_EQ(probe, grpc::StatusCode::RESOURCE_EXHAUSTED);
  // Drain: the admitted runs still complete, then the process exits cleanly.
  int status = service.Stop();
  auto [s, r] = batch.get();
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(r.responses_size(), 2);
  for (const ExecuteResponse& one : r.responses()) {
    EXPECT_EQ(one.verdict(), v1::OK);
    EXPECT_EQ(testing::Stdout(one), "done\n");
  }
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST(Service, VerifyRunsCodeTestsInTheSandbox) {
  ServiceProcess service({});
  auto stub = service.Stub();
  rlvr::v1::VerifyRequest req;
  auto* good = req.add_items();
  good->set_id("good");
  good->set_verifier("code_tests");
  good->set_response("Here:\n```python\ndef add(a, b):\n    return a + b\n```\n");
  good->set_ground_truth("assert add(1, 2) == 3\nassert add(0, 0) == 0\n");
  auto* bad = req.add_items();
  bad->set_id("bad");
  bad->set_verifier("code_tests");
  bad->set_response("```python\ndef add(a, b):\n    import sys\n    sys.exit(0)\n```\n");
  bad->set_ground_truth("assert add(1, 2) == 3\n");
  grpc::ClientContext ctx;
  rlvr::v1::VerifyResponse r;
  grpc::Status s = stub->Verify(&ctx, req, &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(r.results_size(), 2);
  EXPECT_EQ(r.results(0).id(), "good");
  EXPECT_EQ(r.results(0).status(), v1::VERIFY_OK) << r.results(0).detail();
  EXPECT_EQ(r.results(0).reward(), 1.0);
  EXPECT_EQ(r.results(1).status(), v1::VERIFY_OK) << r.results(1).detail();
  EXPECT_EQ(r.results(1).reward(), 0.0);
}

}  // namespace
}  // namespace rlvr::sandbox
