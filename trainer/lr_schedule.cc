#include "trainer/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"

namespace rlvr {

absl::StatusOr<LrSchedule> LrSchedule::Create(const rlvr::v1::OptimizerConfig& optimizer,
                                              const rlvr::v1::ScheduleConfig& schedule) {
  if (!(optimizer.learning_rate() > 0) || !std::isfinite(optimizer.learning_rate())) {
    return absl::InvalidArgumentError(
        absl::StrFormat("optimizer.learning_rate must be > 0, got %g", optimizer.learning_rate()));
  }
  if (schedule.steps() < 0 || schedule.warmup_steps() < 0) {
    return absl::InvalidArgumentError("schedule.steps and schedule.warmup_steps must be >= 0");
  }
  if (schedule.min_lr_ratio() < 0 || schedule.min_lr_ratio() > 1) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "schedule.min_lr_ratio must be in [0, 1], got %g", schedule.min_lr_ratio()));
  }
  LrSchedule s;
  if (schedule.decay().empty() || schedule.decay() == "constant") {
    s.cosine_ = false;
  } else if (schedule.decay() == "cosine") {
    s.cosine_ = true;
  } else {
    return absl::InvalidArgumentError(
        absl::StrFormat("schedule.decay: unknown value '%s' (expected \"constant\" or \"cosine\")",
                        schedule.decay()));
  }
  s.base_lr_ = optimizer.learning_rate();
  s.warmup_ = schedule.warmup_steps();
  s.total_ = schedule.steps();
  s.min_ratio_ = schedule.min_lr_ratio();
  return s;
}

double LrSchedule::At(int64_t step) const {
  if (step < warmup_) {
    return base_lr_ * static_cast<double>(step + 1) / static_cast<double>(warmup_);
  }
  if (!cosine_) return base_lr_;
  const double span = static_cast<double>(std::max<int64_t>(1, total_ - warmup_));
  const double p = std::clamp(static_cast<double>(step - warmup_) / span, 0.0, 1.0);
  const double c = 0.5 * (1.0 + std::cos(std::numbers::pi * p));
  return base_lr_ * (min_ratio_ + (1.0 - min_ratio_) * c);
}

}  // namespace rlvr
