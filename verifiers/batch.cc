#include "verifiers/batch.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"

namespace rlvr {
namespace {

rlvr::v1::VerifyResult ErrorResult(const rlvr::v1::VerifyItem& item, const absl::Status& status) {
  rlvr::v1::VerifyResult result;
  result.set_id(item.id());
  result.set_status(rlvr::v1::VERIFY_ERROR);
  result.set_reward(0.0);
  result.set_detail(status.ToString());
  return result;
}

}  // namespace

rlvr::v1::VerifyResult VerifyItemWith(const Verifier& verifier, const rlvr::v1::VerifyItem& item,
                                      absl::Duration timeout) {
  VerifyInput input;
  input.response = item.response();
  input.ground_truth = item.ground_truth();
  input.metadata = &item.metadata();
  input.deadline = absl::Now() + timeout;
  absl::StatusOr<Judgement> judged = verifier.Verify(input);
  if (!judged.ok()) return ErrorResult(item, judged.status());
  // A judgement that arrives late is still discarded: the budget is part of the contract.
  if (absl::Now() > input.deadline) {
    return ErrorResult(item, absl::DeadlineExceededError(
                                 absl::StrFormat("verifier '%s' took longer than %s",
                                                 verifier.name(), absl::FormatDuration(timeout))));
  }
  if (!std::isfinite(judged->reward)) {
    return ErrorResult(item, absl::InternalError(absl::StrFormat(
                                 "verifier '%s' returned a non-finite reward", verifier.name())));
  }
  rlvr::v1::VerifyResult result;
  result.set_id(item.id());
  result.set_status(rlvr::v1::VERIFY_OK);
  result.set_reward(judged->reward);
  for (const auto& [name, value] : judged->components) {
    (*result.mutable_components())[name] = value;
  }
  result.set_detail(std::move(judged->detail));
  return result;
}

rlvr::v1::VerifyResponse VerifyBatch(const VerifierRegistry& registry,
                                     const rlvr::v1::VerifyRequest& request,
                                     const VerifyBatchOptions& options) {
  const int n = request.items_size();
  std::vector<rlvr::v1::VerifyResult> results(n);
  auto verify_one = [&](int i) {
    const rlvr::v1::VerifyItem& item = request.items(i);
    absl::StatusOr<std::shared_ptr<const Verifier>> verifier = registry.Find(item.verifier());
    if (!verifier.ok()) {
      results[i] = ErrorResult(item, verifier.status());
      return;
    }
    results[i] = VerifyItemWith(**verifier, item, options.per_item_timeout);
  };
  const int threads = std::clamp(options.parallelism, 1, std::max(n, 1));
  if (threads == 1) {
    for (int i = 0; i < n; ++i) verify_one(i);
  } else {
    std::atomic<int> next{0};
    std::vector<std::thread> pool;
    pool.reserve(threads);
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&] {
        for (int i = next.fetch_add(1); i < n; i = next.fetch_add(1)) verify_one(i);
      });
    }
    for (std::thread& th : pool) th.join();
  }
  rlvr::v1::VerifyResponse response;
  response.mutable_results()->Reserve(n);
  for (auto& r : results) *response.add_results() = std::move(r);
  return response;
}

}  // namespace rlvr
