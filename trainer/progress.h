// The one-line live progress display: rewritten in place on a terminal, one plain line per
// step otherwise (logs, pipes).
//
//   step 12/100 | reward 0.531 | acc 0.410 | len 123 | 1520 tok/s | 4.1 s/step | ETA 6m01s
#ifndef RLVR_TRAINER_PROGRESS_H_
#define RLVR_TRAINER_PROGRESS_H_

#include <cstdint>
#include <cstdio>
#include <string>

#include "trainer/step_metrics.h"

namespace rlvr {

// The line for one step (no newline). seconds_per_step <= 0 leaves out the rate and ETA.
std::string FormatProgress(int64_t step, int64_t total_steps, const MetricList& metrics,
                           double seconds_per_step);

// "6m01s", "1h02m", "45s".
std::string FormatDuration(double seconds);

class ProgressDisplay {
 public:
  // tty: rewrite one line with carriage returns; otherwise print a line per update.
  ProgressDisplay(std::FILE* out, bool tty, int64_t total_steps);
  // step is 0-based; the line shows step + 1. Uses time/step from the metrics for the rate.
  void Update(int64_t step, const MetricList& metrics);
  // Prints a line of other text without breaking the live line.
  void Note(const std::string& text);
  // Ends the live line.
  void Finish();

 private:
  std::FILE* out_;
  bool tty_;
  int64_t total_;
  double seconds_sum_ = 0;
  int64_t seen_ = 0;
  bool line_open_ = false;
};

}  // namespace rlvr

#endif  // RLVR_TRAINER_PROGRESS_H_
