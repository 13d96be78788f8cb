#include "trainer/verify_client.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include "absl/strings/str_format.h"

namespace rlvr {
namespace {

bool Retryable(const absl::Status& s) {
  return absl::IsUnavailable(s) || absl::IsDeadlineExceeded(s) || absl::IsResourceExhausted(s);
}

absl::Status CheckAnswersEveryItem(const rlvr::v1::VerifyRequest& request,
                                   const rlvr::v1::VerifyResponse& response) {
  std::set<std::string> want;
  for (const auto& item : request.items()) want.insert(item.id());
  std::set<std::string> got;
  for (const auto& r : response.results()) {
    if (!want.count(r.id()) || !got.insert(r.id()).second) {
      return absl::InternalError(
          absl::StrFormat("sandbox answered item '%s' that was not asked or twice", r.id()));
    }
  }
  if (got.size() != want.size()) {
    return absl::InternalError(
        absl::StrFormat("sandbox answered %d of %d items", got.size(), want.size()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RetryPolicy> RetryPolicyFromConfig(const rlvr::v1::RetryConfig& config) {
  RetryPolicy policy;
  if (config.max_attempts() < 0 || config.initial_backoff_ms() < 0 || config.max_backoff_ms() < 0) {
    const char* field = config.max_attempts() < 0         ? "max_attempts"
                        : config.initial_backoff_ms() < 0 ? "initial_backoff_ms"
                                                          : "max_backoff_ms";
    return absl::InvalidArgumentError(absl::StrFormat("verify_retry.%s must be >= 0", field));
  }
  if (config.multiplier() != 0 && !(config.multiplier() >= 1)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("verify_retry.multiplier must be >= 1 (or 0 for the default), got %g",
                        config.multiplier()));
  }
  if (config.max_attempts() > 0) policy.max_attempts = config.max_attempts();
  if (config.initial_backoff_ms() > 0) policy.initial_backoff_ms = config.initial_backoff_ms();
  if (config.multiplier() > 0) policy.multiplier = config.multiplier();
  if (config.max_backoff_ms() > 0) policy.max_backoff_ms = config.max_backoff_ms();
  return policy;
}

RetryingVerifyClient::RetryingVerifyClient(std::unique_ptr<VerifyClient> inner, RetryPolicy policy)
    : inner_(std::move(inner)), policy_(std::move(policy)) {
  if (!policy_.sleep) {
    policy_.sleep = [](int64_t ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); };
  }
  policy_.max_attempts = std::max(1, policy_.max_attempts);
}

absl::StatusOr<rlvr::v1::VerifyResponse> RetryingVerifyClient::Verify(
    const rlvr::v1::VerifyRequest& request) {
  double backoff = static_cast<double>(policy_.initial_backoff_ms);
  int64_t waited_ms = 0;
  absl::Status last;
  for (int attempt = 1; attempt <= policy_.max_attempts; ++attempt) {
    absl::StatusOr<rlvr::v1::VerifyResponse> r = inner_->Verify(request);
    if (r.ok()) {
      if (absl::Status s = CheckAnswersEveryItem(request, *r); !s.ok()) return s;
      return r;
    }
    last = r.status();
    if (!Retryable(last)) break;
    if (attempt == policy_.max_attempts) {
      return absl::UnavailableError(absl::StrFormat(
          "sandbox %s unavailable: %d attempts over %.1f s failed; last error: %s. Check that "
          "rlvr-sandbox is running and sandbox_address is right.",
          inner_->name(), attempt, static_cast<double>(waited_ms) / 1000.0, last.ToString()));
    }
    const auto wait =
        static_cast<int64_t>(std::min(backoff, static_cast<double>(policy_.max_backoff_ms)));
    policy_.sleep(wait);
    waited_ms += wait;
    backoff *= policy_.multiplier;
    ++retries_;
  }
  return absl::Status(
      last.code(), absl::StrFormat("sandbox %s: %s", inner_->name(), std::string(last.message())));
}

}  // namespace rlvr
