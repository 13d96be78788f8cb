// Plugins: the example shared library (examples/plugins/cpp), its ABI check, the remote
// Verifier client with retries, and the example Python server (examples/plugins/python).
#include "verifiers/plugins.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "rlvr/v1/verifier.grpc.pb.h"
#include "tests/verifiers/test_util.h"
#include "verifiers/batch.h"
#include "verifiers/plugin_abi.h"
#include "verifiers/reward.h"

namespace rlvr {
namespace {

using vtest::RunVerifier;

const std::string kPluginDir = std::string(RLVR_BINARY_DIR) + "/plugins/";

TEST(SharedLibraryPluginTest, LoadsAndVerifies) {
  VerifierRegistry r;
  ASSERT_TRUE(LoadSharedLibraryPlugin(kPluginDir + "librlvr_keyword_verifier.so", &r).ok());
  auto v = r.Find("keyword");
  ASSERT_TRUE(v.ok()) << v.status();
  absl::StatusOr<Judgement> j = RunVerifier(**v, "the cat sat on the mat", "cat, dog, mat");
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_DOUBLE_EQ(j->reward, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(j->components.at("keyword"), 2.0 / 3.0);
  EXPECT_EQ(j->detail, "2/3 keywords");
}

TEST(SharedLibraryPluginTest, PluginThatCannotJudgeIsAnError) {
  VerifierRegistry r;
  ASSERT_TRUE(LoadSharedLibraryPlugin(kPluginDir + "librlvr_keyword_verifier.so", &r).ok());
  absl::StatusOr<Judgement> j = RunVerifier(**r.Find("keyword"), "text", " , ");
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.status().message().find("ground truth has no keywords"), std::string::npos);
}

TEST(SharedLibraryPluginTest, AbiVersionMismatchIsAClearError) {
  VerifierRegistry r;
  absl::Status s =
      LoadSharedLibraryPlugin(kPluginDir + "librlvr_keyword_verifier_wrong_abi.so", &r);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("ABI version mismatch"), std::string::npos) << s;
  EXPECT_NE(s.message().find("version 999"), std::string::npos) << s;
  EXPECT_FALSE(r.Contains("keyword"));
}

TEST(SharedLibraryPluginTest, MissingFileIsNotFound) {
  VerifierRegistry r;
  absl::Status s = LoadSharedLibraryPlugin(kPluginDir + "no_such_plugin.so", &r);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(s.message().find("no_such_plugin.so"), std::string::npos);
}

TEST(SharedLibraryPluginTest, NameClashWithABuiltinIsRejected) {
  VerifierRegistry r;
  ASSERT_TRUE(LoadSharedLibraryPlugin(kPluginDir + "librlvr_keyword_verifier.so", &r).ok());
  absl::Status s = LoadSharedLibraryPlugin(kPluginDir + "librlvr_keyword_verifier.so", &r);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'keyword' is already registered"), std::string::npos);
}

TEST(SharedLibraryPluginTest, LoadedThroughTheRewardSpec) {
  VerifierRegistry r;
  ASSERT_TRUE(RegisterBuiltinVerifiers(&r, nullptr).ok());
  rlvr::v1::RewardSpec spec;
  spec.add_plugins()->set_shared_library(kPluginDir + "librlvr_keyword_verifier.so");
  spec.add_verifiers()->set_name("math");
  auto* kw = spec.add_verifiers();
  kw->set_name("keyword");
  kw->set_weight(0.5);
  ASSERT_TRUE(ConfigureRewards(spec, &r).ok());
  rlvr::v1::VerifyRequest request;
  auto* item = request.add_items();
  item->set_id("1");
  item->set_verifier(kCombinedRewardName);
  item->set_response("so the answer is \\boxed{4}");
  item->set_ground_truth("4");
  rlvr::v1::VerifyResponse response = VerifyBatch(r, request);
  ASSERT_EQ(response.results_size(), 1);
  // math = 1 (boxed 4); keyword "4" appears: 1 * 0.5.
  EXPECT_EQ(response.results(0).status(), rlvr::v1::VERIFY_OK) << response.results(0).detail();
  EXPECT_DOUBLE_EQ(response.results(0).reward(), 1.5);
}

// ---- remote plugins ----------------------------------------------------------------------------

// A Verifier service that answers UNAVAILABLE to its first `failures` calls.
class FlakyVerifierService final : public rlvr::v1::Verifier::Service {
 public:
  explicit FlakyVerifierService(int failures) : failures_(failures) {}
  grpc::Status Verify(grpc::ServerContext*, const rlvr::v1::VerifyRequest* request,
                      rlvr::v1::VerifyResponse* response) override {
    if (calls_.fetch_add(1) < failures_) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "warming up");
    }
    for (const auto& item : request->items()) {
      auto* r = response->add_results();
      r->set_id(item.id());
      r->set_status(rlvr::v1::VERIFY_OK);
      r->set_reward(item.response() == item.ground_truth() ? 1.0 : 0.0);
    }
    return grpc::Status::OK;
  }
  grpc::Status ListVerifiers(grpc::ServerContext*, const rlvr::v1::ListVerifiersRequest*,
                             rlvr::v1::ListVerifiersResponse* response) override {
    response->add_names("same");
    return grpc::Status::OK;
  }
  int calls() const { return calls_.load(); }

 private:
  int failures_;
  std::atomic<int> calls_{0};
};

struct TestServer {
  explicit TestServer(int failures) : service(failures) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service);
    server = builder.BuildAndStart();
  }
  ~TestServer() { server->Shutdown(); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port); }
  FlakyVerifierService service;
  int port = 0;
  std::unique_ptr<grpc::Server> server;
};

TEST(RemotePluginTest, RetriesUnavailableServerPerConfig) {
  TestServer server(/*failures=*/2);
  ASSERT_NE(server.port, 0);
  VerifierRegistry r;
  rlvr::v1::PluginSpec spec;
  spec.set_address(server.address());
  spec.add_names("same");
  spec.set_max_retries(2);
  spec.set_timeout_ms(2000);
  ASSERT_TRUE(LoadPlugin(spec, &r).ok());
  absl::StatusOr<Judgement> j = RunVerifier(**r.Find("same"), "abc", "abc");
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_EQ(j->reward, 1.0);
  EXPECT_EQ(server.service.calls(), 3);
}

TEST(RemotePluginTest, GivesUpAfterConfiguredRetries) {
  TestServer server(/*failures=*/5);
  VerifierRegistry r;
  rlvr::v1::PluginSpec spec;
  spec.set_address(server.address());
  spec.add_names("same");
  spec.set_max_retries(1);
  ASSERT_TRUE(LoadPlugin(spec, &r).ok());
  absl::StatusOr<Judgement> j = RunVerifier(**r.Find("same"), "abc", "abc");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(server.service.calls(), 2);
  EXPECT_NE(j.status().message().find("after 2 attempts"), std::string::npos) << j.status();
}

TEST(RemotePluginTest, ServerDownIsUnavailableNamingTheAddress) {
  VerifierRegistry r;
  rlvr::v1::PluginSpec spec;
  spec.set_address("127.0.0.1:1");  // nothing listens on port 1
  spec.add_names("remote_check");
  spec.set_max_retries(2);
  spec.set_timeout_ms(500);
  ASSERT_TRUE(LoadPlugin(spec, &r).ok());
  absl::StatusOr<Judgement> j = RunVerifier(**r.Find("remote_check"), "x", "y");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(j.status().message().find("127.0.0.1:1"), std::string::npos);
  EXPECT_NE(j.status().message().find("after 3 attempts"), std::string::npos) << j.status();
  // Through a batch it is a per-item error, not a reward.
  rlvr::v1::VerifyRequest request;
  request.add_items()->set_verifier("remote_check");
  rlvr::v1::VerifyResponse response = VerifyBatch(r, request);
  EXPECT_EQ(response.results(0).status(), rlvr::v1::VERIFY_ERROR);
}

TEST(RemotePluginTest, ListingNamesFromADownServerFailsToLoad) {
  VerifierRegistry r;
  rlvr::v1::PluginSpec spec;
  spec.set_address("127.0.0.1:1");
  spec.set_timeout_ms(500);
  absl::Status s = LoadPlugin(spec, &r);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("names"), std::string::npos) << s;
}

TEST(RemotePluginTest, NamesAreListedByALiveServer) {
  TestServer server(0);
  VerifierRegistry r;
  rlvr::v1::PluginSpec spec;
  spec.set_address(server.address());
  ASSERT_TRUE(LoadPlugin(spec, &r).ok());
  EXPECT_TRUE(r.Contains("same"));
}

// ---- the example Python server -----------------------------------------------------------------

class PythonServer {
 public:
  // Starts the example server on a free port; false when it does not come up.
  bool Start() {
    // Everything the child needs is prepared before fork: the child only calls
    // async-signal-safe functions until exec.
    const std::string script =
        std::string(RLVR_SOURCE_DIR) + "/examples/plugins/python/verifier_server.py";
    int fds[2];
    if (pipe(fds) != 0) return false;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], STDOUT_FILENO);
      close(fds[0]);
      close(fds[1]);
      execlp("python3", "python3", script.c_str(), "--port", "0", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[1]);
    out_ = fdopen(fds[0], "r");
    char line[128];
    // Blocks until the server prints its port (or exits, closing the pipe).
    while (out_ != nullptr && std::fgets(line, sizeof(line), out_) != nullptr) {
      if (std::sscanf(line, "LISTENING %d", &port_) == 1) return true;
    }
    return false;
  }
  ~PythonServer() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    if (out_ != nullptr) std::fclose(out_);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  int port_ = 0;
};

TEST(PythonPluginTest, ExampleServerJudgesThroughTheRemoteClient) {
  if (std::system("python3 -c 'import grpc, grpc_tools' > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "python3 with grpcio and grpcio-tools is not installed "
                    "(pip install grpcio grpcio-tools); the Python plugin example is not tested";
  }
  PythonServer server;
  ASSERT_TRUE(server.Start()) << "the example Python verifier server did not start";
  VerifierRegistry r;
  rlvr::v1::PluginSpec spec;
  spec.set_address(server.address());  // names from ListVerifiers
  spec.set_timeout_ms(5000);
  ASSERT_TRUE(LoadPlugin(spec, &r).ok());
  auto v = r.Find("word_budget");
  ASSERT_TRUE(v.ok()) << v.status();
  absl::StatusOr<Judgement> j = RunVerifier(**v, "<answer>three short words</answer>", "3");
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_EQ(j->reward, 1.0);
  j = RunVerifier(**v, "<answer>now four short words</answer>", "3");
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_EQ(j->reward, 0.0);
  j = RunVerifier(**v, "anything", "many");
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.status().message().find("not a word count"), std::string::npos) << j.status();
}

}  // namespace
}  // namespace rlvr
