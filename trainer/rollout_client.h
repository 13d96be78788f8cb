// The trainer's side of the rollout fleet: one RolloutWorker per rollout service (gRPC or
// in-process), and RolloutFleet, which spreads prompts over the live workers, re-dispatches
// the prompts of a worker that fails, and pushes new weights to every worker.
#ifndef RLVR_TRAINER_ROLLOUT_CLIENT_H_
#define RLVR_TRAINER_ROLLOUT_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "rlvr/v1/rollout.pb.h"

namespace rlvr {

// One tensor of the policy, as pushed to the workers (float32, C order).
struct WeightTensorView {
  std::string name;
  std::vector<int64_t> shape;
  absl::Span<const float> data;
};

// Default size of one WeightChunk's payload.
inline constexpr int64_t kDefaultWeightChunkBytes = 4 << 20;

// Splits tensors into WeightChunk messages of at most chunk_bytes payload each, in tensor
// order. The first chunk of a tensor carries its shape, dtype "F32", total_bytes and the CRC32C
// of all its bytes (core/checksum.h); every chunk carries version, tensor_name and offset.
// A tensor of zero bytes still gets one (empty) chunk.
std::vector<rlvr::v1::WeightChunk> ChunkWeights(int64_t version,
                                                absl::Span<const WeightTensorView> tensors,
                                                int64_t chunk_bytes = kDefaultWeightChunkBytes);

class RolloutWorker {
 public:
  virtual ~RolloutWorker() = default;
  // Name for messages (its address).
  virtual std::string name() const = 0;
  // Generates n completions for each prompt. An error means none of the results can be
  // trusted (the fleet discards whatever this call produced and retries elsewhere).
  virtual absl::StatusOr<std::vector<rlvr::v1::Completion>> Generate(
      const rlvr::v1::GenerateRequest& request) = 0;
  // Sends one weight version as a stream of chunks; OK once the worker acknowledged it.
  virtual absl::Status UpdateWeights(const std::vector<rlvr::v1::WeightChunk>& chunks) = 0;
  // The weight version the worker serves (Rollout.GetStats).
  virtual absl::StatusOr<int64_t> WeightVersion() = 0;
};

struct FleetStats {
  int64_t redispatched_prompts = 0;  // prompts sent again after a worker failed
  int64_t failed_calls = 0;
  int live_workers = 0;
};

// Thread-safe: Generate and PushWeights may be called from different threads.
class RolloutFleet {
 public:
  explicit RolloutFleet(std::vector<std::unique_ptr<RolloutWorker>> workers);

  // Generates request.n completions for every prompt of the request. Each prompt's whole group
  // goes to one worker; prompts are spread round-robin over the live workers and the calls run
  // in parallel. A worker whose call fails is marked dead and its prompts go to the others, so
  // every (prompt, sample) comes back exactly once. The result is ordered by the request's
  // prompt order, then sample_index. Errors: every worker is dead; a worker returned a
  // completion for an unknown prompt, or the wrong number.
  absl::StatusOr<std::vector<rlvr::v1::Completion>> Generate(
      const rlvr::v1::GenerateRequest& request);

  // Pushes one version to every live worker (in parallel). A worker that fails is marked dead;
  // the push fails only if no worker took it.
  absl::Status PushWeights(int64_t version, absl::Span<const WeightTensorView> tensors,
                           int64_t chunk_bytes = kDefaultWeightChunkBytes);

  // The highest weight version any live worker serves; workers that do not answer are marked
  // dead. Error when none answers.
  absl::StatusOr<int64_t> MaxWeightVersion();

  FleetStats stats() const;
  int size() const { return static_cast<int>(workers_.size()); }

 private:
  std::vector<int> LiveWorkers() const;
  void MarkDead(int worker, int64_t prompts);

  std::vector<std::unique_ptr<RolloutWorker>> workers_;
  mutable absl::Mutex mu_;  // Generate and PushWeights may run concurrently (async mode)
  std::vector<bool> alive_ ABSL_GUARDED_BY(mu_);
  FleetStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rlvr

#endif  // RLVR_TRAINER_ROLLOUT_CLIENT_H_
