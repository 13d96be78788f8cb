// The trainer's side of Sandbox.Verify: an interface (gRPC or in-process), and a wrapper that
// retries an unavailable sandbox with exponential backoff before giving up with a clear error.
#ifndef RLVR_TRAINER_VERIFY_CLIENT_H_
#define RLVR_TRAINER_VERIFY_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "rlvr/v1/config.pb.h"
#include "rlvr/v1/verifier.pb.h"

namespace rlvr {

class VerifyClient {
 public:
  virtual ~VerifyClient() = default;
  virtual std::string name() const = 0;
  virtual absl::StatusOr<rlvr::v1::VerifyResponse> Verify(
      const rlvr::v1::VerifyRequest& request) = 0;
};

struct RetryPolicy {
  int max_attempts = 6;  // including the first
  int64_t initial_backoff_ms = 200;
  double multiplier = 2.0;
  int64_t max_backoff_ms = 5000;
  // Waits between attempts; replaceable so tests do not wait.
  std::function<void(int64_t ms)> sleep;
};

// The policy of ExperimentConfig.verify_retry: fields left at 0 keep RetryPolicy's defaults.
// INVALID_ARGUMENT naming the field for negative values or a multiplier below 1.
absl::StatusOr<RetryPolicy> RetryPolicyFromConfig(const rlvr::v1::RetryConfig& config);

// Retries calls that fail with UNAVAILABLE, DEADLINE_EXCEEDED or RESOURCE_EXHAUSTED; other
// errors return at once. After the last attempt the error says how many attempts were made over
// how long and names the sandbox. A response must answer every item id exactly once.
class RetryingVerifyClient : public VerifyClient {
 public:
  RetryingVerifyClient(std::unique_ptr<VerifyClient> inner, RetryPolicy policy);
  std::string name() const override { return inner_->name(); }
  absl::StatusOr<rlvr::v1::VerifyResponse> Verify(const rlvr::v1::VerifyRequest& request) override;
  int64_t retries() const { return retries_.load(); }

 private:
  std::unique_ptr<VerifyClient> inner_;
  RetryPolicy policy_;
  std::atomic<int64_t> retries_{0};
};

}  // namespace rlvr

#endif  // RLVR_TRAINER_VERIFY_CLIENT_H_
