// Learning-rate schedule: linear warmup, then constant or cosine decay to a floor.
//
//   step < warmup:     lr * (step + 1) / warmup       (the last warmup step reaches lr)
//   "constant":        lr
//   "cosine":          lr * (m + (1 - m) * (1 + cos(pi * p)) / 2),
//                      p = (step - warmup) / max(1, steps - warmup) clamped to [0, 1],
//                      m = min_lr_ratio
// Steps are 0-based optimizer steps.
#ifndef RLVR_TRAINER_LR_SCHEDULE_H_
#define RLVR_TRAINER_LR_SCHEDULE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "rlvr/v1/config.pb.h"

namespace rlvr {

class LrSchedule {
 public:
  // Errors: learning_rate <= 0, negative step counts, an unknown decay name, min_lr_ratio
  // outside [0, 1]. An empty decay means "constant".
  static absl::StatusOr<LrSchedule> Create(const rlvr::v1::OptimizerConfig& optimizer,
                                           const rlvr::v1::ScheduleConfig& schedule);

  double At(int64_t step) const;

 private:
  double base_lr_ = 0;
  int64_t warmup_ = 0;
  int64_t total_ = 0;
  bool cosine_ = false;
  double min_ratio_ = 0;
};

}  // namespace rlvr

#endif  // RLVR_TRAINER_LR_SCHEDULE_H_
