// Shared set-up of the sandbox tests: the project's own sandbox config and one executor per
// test process.
#ifndef RLVR_TESTS_SANDBOX_SANDBOX_TESTING_H_
#define RLVR_TESTS_SANDBOX_SANDBOX_TESTING_H_

#include <unistd.h>

#include <cstdlib>
#include <string>

#include "core/config.h"
#include "gtest/gtest.h"
#include "rlvr/v1/config.pb.h"
#include "rlvr/v1/sandbox.pb.h"
#include "sandbox/executor.h"

namespace rlvr::sandbox::testing {

inline rlvr::v1::SandboxServiceConfig TestConfig() {
  rlvr::v1::SandboxServiceConfig config;
  absl::Status s = LoadConfig(RLVR_SOURCE_DIR "/configs/sandbox.textproto", {}, &config);
  if (!s.ok()) {
    fprintf(stderr, "cannot load the sandbox config: %s\n", std::string(s.message()).c_str());
    abort();
  }
  // Test processes may run side by side: each takes its own uid range.
  config.set_sandbox_uid_base(200000 + static_cast<uint32_t>(getpid() % 100000) * 8);
  return config;
}

// One executor for the whole test process (starting the zygote warms an interpreter).
inline Executor& SharedExecutor() {
  static Executor* executor = [] {
    absl::StatusOr<std::unique_ptr<Executor>> e = Executor::Create(TestConfig());
    if (!e.ok()) {
      fprintf(stderr, "cannot start the sandbox: %s\n", std::string(e.status().message()).c_str());
      abort();
    }
    return e->release();
  }();
  return *executor;
}

inline rlvr::v1::ExecuteResponse Execute(const rlvr::v1::ExecuteRequest& request, int worker = 0) {
  Executor& e = SharedExecutor();
  absl::Status valid = e.Validate(request);
  EXPECT_TRUE(valid.ok()) << valid;
  absl::StatusOr<rlvr::v1::ExecuteResponse> r = e.Execute(request, worker);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : rlvr::v1::ExecuteResponse();
}

// The first case's output, or a marker when the run has no case (e.g. it did not compile).
inline std::string Stdout(const rlvr::v1::ExecuteResponse& r) {
  return r.cases_size() > 0 ? r.cases(0).stdout() : "<no case>";
}
inline std::string Stderr(const rlvr::v1::ExecuteResponse& r) {
  return r.cases_size() > 0 ? r.cases(0).stderr() : "<no case>";
}

inline rlvr::v1::ExecuteRequest Python(const std::string& source,
                                       const std::string& test_code = "") {
  rlvr::v1::ExecuteRequest r;
  r.set_language("python3");
  r.set_source(source);
  r.set_test_code(test_code);
  return r;
}

inline rlvr::v1::ExecuteRequest Program(const std::string& language, const std::string& source) {
  rlvr::v1::ExecuteRequest r;
  r.set_language(language);
  r.set_source(source);
  return r;
}

}  // namespace rlvr::sandbox::testing

#endif  // RLVR_TESTS_SANDBOX_SANDBOX_TESTING_H_
