// Assembles a weight update from the WeightChunk stream of Rollout.UpdateWeights and checks it
// before anything reaches the model:
//   - every chunk carries the same version;
//   - a tensor's chunks arrive together, in order (offset = bytes received so far); its first
//     chunk gives shape, dtype, total_bytes and the CRC32C of the whole tensor;
//   - the name is a parameter of the model, the shape is the model's, the dtype is F32, BF16 or
//     F16 and total_bytes = elements * dtype size; no tensor is sent twice;
//   - each completed tensor's CRC32C matches;
//   - at the end, every required parameter has arrived (buffers may be left out and keep their
//     values).
// The first violation is an InvalidArgument error naming the tensor; the update is then dropped
// as a whole.
#ifndef RLVR_ROLLOUT_WEIGHT_RECEIVER_H_
#define RLVR_ROLLOUT_WEIGHT_RECEIVER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rlvr/v1/rollout.pb.h"
#include "rollout/decode_model.h"
#include "rollout/engine.h"

namespace rlvr {

class WeightReceiver {
 public:
  // specs must outlive the receiver.
  explicit WeightReceiver(const std::vector<ParameterSpec>& specs);

  absl::Status Add(const v1::WeightChunk& chunk);
  // The checked update, converted to fp32. Errors: no chunk, a tensor cut short, a required
  // parameter missing.
  absl::StatusOr<WeightUpdate> Finish();

  bool started() const { return started_; }
  int64_t version() const { return version_; }

 private:
  absl::Status CompleteTensor();

  absl::flat_hash_map<std::string, const ParameterSpec*> specs_;
  bool started_ = false;
  int64_t version_ = 0;
  // The tensor being received.
  std::string name_;
  std::string dtype_;
  int64_t total_bytes_ = 0;
  uint32_t checksum_ = 0;
  std::string bytes_;
  bool in_tensor_ = false;
  absl::flat_hash_set<std::string> done_;
  WeightUpdate update_;
};

}  // namespace rlvr

#endif  // RLVR_ROLLOUT_WEIGHT_RECEIVER_H_
