#include "core/metrics.h"

#include <utility>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace rlvr {

double UnixSecondsNow() { return absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()); }

MultiSink::MultiSink(std::vector<std::unique_ptr<MetricsSink>> sinks) : sinks_(std::move(sinks)) {}

void MultiSink::LogScalar(std::string_view name, int64_t step, double value) {
  for (const auto& sink : sinks_) sink->LogScalar(name, step, value);
}

void MultiSink::LogText(std::string_view name, int64_t step, std::string_view text) {
  for (const auto& sink : sinks_) sink->LogText(name, step, text);
}

absl::Status MultiSink::Flush() {
  absl::Status first;
  for (const auto& sink : sinks_) {
    absl::Status s = sink->Flush();
    if (first.ok() && !s.ok()) first = std::move(s);
  }
  return first;
}

}  // namespace rlvr
