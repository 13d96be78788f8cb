// Batch verification: what Sandbox.Verify (and the Verifier service of a plugin host) does with
// a VerifyRequest.
#ifndef RLVR_VERIFIERS_BATCH_H_
#define RLVR_VERIFIERS_BATCH_H_

#include "absl/time/time.h"
#include "rlvr/v1/verifier.pb.h"
#include "verifiers/registry.h"
#include "verifiers/verifier.h"

namespace rlvr {

struct VerifyBatchOptions {
  // Time budget of each item; an item that exceeds it is reported as VERIFY_ERROR
  // ("deadline exceeded"), never as a reward.
  absl::Duration per_item_timeout = absl::Seconds(10);
  // Items verified concurrently (1 = in the calling thread).
  int parallelism = 1;
};

// Verifies one item with `verifier`; errors become VERIFY_ERROR results with the reason in
// detail. Never fails as a whole.
rlvr::v1::VerifyResult VerifyItemWith(const Verifier& verifier, const rlvr::v1::VerifyItem& item,
                                      absl::Duration timeout);

// Verifies every item of `request`, resolving item.verifier through registry.Find(). Results
// come in request order with the items' ids. An unknown verifier name is a VERIFY_ERROR result
// for that item, not a failure of the batch.
rlvr::v1::VerifyResponse VerifyBatch(const VerifierRegistry& registry,
                                     const rlvr::v1::VerifyRequest& request,
                                     const VerifyBatchOptions& options = {});

}  // namespace rlvr

#endif  // RLVR_VERIFIERS_BATCH_H_
