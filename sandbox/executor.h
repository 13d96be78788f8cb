// The executor: turns an ExecuteRequest into isolated runs (compile, then each case) and the
// runs' outcomes into verdicts. It owns the zygotes and the cgroup manager and is safe to call
// from several threads; callers bound concurrency (see ExecutionQueue) and pass each concurrent
// call a distinct worker index, which selects the unprivileged uid the programs run as.
#ifndef RLVR_SANDBOX_EXECUTOR_H_
#define RLVR_SANDBOX_EXECUTOR_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rlvr/v1/config.pb.h"
#include "rlvr/v1/sandbox.pb.h"
#include "sandbox/cgroups.h"
#include "sandbox/zygote.h"

namespace rlvr::sandbox {

// The service config with every unset field given its default (documented in
// docs/sandbox.md). Without languages, those of configs/sandbox.textproto are used.
rlvr::v1::SandboxServiceConfig WithDefaults(const rlvr::v1::SandboxServiceConfig& config);

class Executor {
 public:
  // Starts the zygotes. FAILED_PRECONDITION when the machine cannot isolate (e.g. not root).
  static absl::StatusOr<std::unique_ptr<Executor>> Create(
      const rlvr::v1::SandboxServiceConfig& config);

  // INVALID_ARGUMENT naming the problem when `request` is malformed or asks for more than the
  // configured maxima.
  absl::Status Validate(const rlvr::v1::ExecuteRequest& request) const;

  // Runs a request that passed Validate. Program failures are verdicts in the response; the
  // status is an error only when the sandbox itself failed.
  absl::StatusOr<rlvr::v1::ExecuteResponse> Execute(const rlvr::v1::ExecuteRequest& request,
                                                    int worker);

  const rlvr::v1::SandboxServiceConfig& config() const { return config_; }
  // One line on how runs are isolated here (cgroups available or why not).
  std::string DescribeIsolation() const;

 private:
  Executor() = default;

  rlvr::v1::SandboxServiceConfig config_;
  absl::flat_hash_map<std::string, rlvr::v1::LanguageConfig> languages_;
  std::vector<std::unique_ptr<Zygote>> zygotes_;
  std::unique_ptr<CgroupManager> cgroups_;
};

}  // namespace rlvr::sandbox

#endif  // RLVR_SANDBOX_EXECUTOR_H_
