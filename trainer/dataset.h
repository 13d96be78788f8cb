// Prompt datasets: JSONL records with field names from the config, and the order in which a
// run visits them (seeded shuffling, epochs, a cursor that a checkpoint can store).
#ifndef RLVR_TRAINER_DATASET_H_
#define RLVR_TRAINER_DATASET_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rlvr/v1/config.pb.h"

namespace rlvr {

inline constexpr char kDefaultPromptField[] = "prompt";
inline constexpr char kDefaultGroundTruthField[] = "answer";
inline constexpr char kDefaultIdField[] = "id";

struct Example {
  int64_t index = 0;         // position in the dataset (0-based)
  std::string id;            // the record's id field, or "<file stem>:<index>"
  std::string prompt;        // untemplated
  std::string ground_truth;  // strings as they are; numbers and other JSON serialized
  std::string verifier;      // per-record verifier name; empty means the reward spec
  // Every other top-level field, strings as they are, other values as JSON.
  std::vector<std::pair<std::string, std::string>> metadata;
};

// Reads config.path. Errors name the file and record: unreadable file, a record that is not an
// object, a missing or non-string prompt, a missing ground truth, an empty dataset.
absl::StatusOr<std::vector<Example>> LoadDataset(const rlvr::v1::DatasetConfig& config);

// Where a run is in its data: the epoch and how many examples of that epoch were taken.
struct DataCursor {
  int64_t epoch = 0;
  int64_t offset = 0;
  bool operator==(const DataCursor&) const = default;
};

// Visits example indices 0..size-1 epoch after epoch. With shuffle, each epoch is a
// permutation drawn from (seed, epoch) alone, so a cursor is all a resumed run needs.
class PromptOrder {
 public:
  PromptOrder(int64_t size, uint64_t seed, bool shuffle);

  // The next index; moves to the next epoch after the last one.
  int64_t Next();
  std::vector<int64_t> Take(int64_t n);

  DataCursor cursor() const { return cursor_; }
  // Error when offset is outside [0, size].
  absl::Status Seek(const DataCursor& cursor);

  // The visiting order of one epoch.
  std::vector<int64_t> EpochOrder(int64_t epoch) const;

 private:
  int64_t size_;
  uint64_t seed_;
  bool shuffle_;
  DataCursor cursor_;
  std::vector<int64_t> order_;  // of cursor_.epoch
};

}  // namespace rlvr

#endif  // RLVR_TRAINER_DATASET_H_
