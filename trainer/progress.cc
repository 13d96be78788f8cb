#include "trainer/progress.h"

#include <cmath>

#include "absl/strings/str_format.h"

namespace rlvr {
namespace {

const double* Find(const MetricList& m, const char* name) {
  for (const auto& [k, v] : m) {
    if (k == name) return &v;
  }
  return nullptr;
}

}  // namespace

std::string FormatDuration(double seconds) {
  if (!(seconds >= 0) || !std::isfinite(seconds)) return "?";
  const auto s = static_cast<int64_t>(std::llround(seconds));
  if (s >= 3600) return absl::StrFormat("%dh%02dm", s / 3600, (s % 3600) / 60);
  if (s >= 60) return absl::StrFormat("%dm%02ds", s / 60, s % 60);
  return absl::StrFormat("%ds", s);
}

std::string FormatProgress(int64_t step, int64_t total_steps, const MetricList& metrics,
                           double seconds_per_step) {
  std::string line = total_steps > 0 ? absl::StrFormat("step %d/%d", step + 1, total_steps)
                                     : absl::StrFormat("step %d", step + 1);
  if (const double* v = Find(metrics, "reward/mean")) line += absl::StrFormat(" | reward %.3f", *v);
  if (const double* v = Find(metrics, "accuracy")) line += absl::StrFormat(" | acc %.3f", *v);
  if (const double* v = Find(metrics, "response_length/mean")) {
    line += absl::StrFormat(" | len %.0f", *v);
  }
  if (const double* v = Find(metrics, "rollout/tokens_per_second")) {
    line += absl::StrFormat(" | %.0f tok/s", *v);
  }
  if (seconds_per_step > 0) {
    line += absl::StrFormat(" | %.1f s/step", seconds_per_step);
    if (total_steps > step + 1) {
      line += " | ETA " +
              FormatDuration(seconds_per_step * static_cast<double>(total_steps - step - 1));
    }
  }
  return line;
}

ProgressDisplay::ProgressDisplay(std::FILE* out, bool tty, int64_t total_steps)
    : out_(out), tty_(tty), total_(total_steps) {}

void ProgressDisplay::Update(int64_t step, const MetricList& metrics) {
  if (const double* v = Find(metrics, "time/step")) {
    seconds_sum_ += *v;
    ++seen_;
  }
  const double rate = seen_ > 0 ? seconds_sum_ / static_cast<double>(seen_) : 0;
  const std::string line = FormatProgress(step, total_, metrics, rate);
  if (tty_) {
    std::fprintf(out_, "\r%s\033[K", line.c_str());
    line_open_ = true;
  } else {
    std::fprintf(out_, "%s\n", line.c_str());
  }
  std::fflush(out_);
}

void ProgressDisplay::Note(const std::string& text) {
  if (line_open_) std::fprintf(out_, "\r\033[K");
  std::fprintf(out_, "%s\n", text.c_str());
  line_open_ = false;
  std::fflush(out_);
}

void ProgressDisplay::Finish() {
  if (line_open_) std::fprintf(out_, "\n");
  line_open_ = false;
  std::fflush(out_);
}

}  // namespace rlvr
