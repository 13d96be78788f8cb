// Where training and evaluation metrics go: one small interface, MetricsSink, with a JSONL
// writer, a TensorBoard event-file writer, and a fan-out to several sinks. See docs/metrics.md.
//
// Logging calls do not return errors (a metric that fails to write must not stop a run);
// each sink remembers the first I/O error and reports it from Flush(). All sinks are safe to
// call from several threads.
#ifndef RLVR_CORE_METRICS_H_
#define RLVR_CORE_METRICS_H_

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace rlvr {

class MetricsSink {
 public:
  virtual ~MetricsSink() = default;

  // name: a slash-separated tag such as "reward/mean" (TensorBoard groups by the first part).
  virtual void LogScalar(std::string_view name, int64_t step, double value) = 0;
  // Free text (a sample completion, the effective config).
  virtual void LogText(std::string_view name, int64_t step, std::string_view text) = 0;
  // Pushes buffered records to the file; returns the first error seen since the sink opened.
  virtual absl::Status Flush() = 0;
};

// Seconds since the Unix epoch; injectable so tests get fixed timestamps.
using WallClock = std::function<double()>;
double UnixSecondsNow();

// One JSON object per line:
//   {"step":12,"name":"reward/mean","value":0.5,"wall_time":1700000000.25}
//   {"step":12,"name":"sample","text":"...","wall_time":1700000000.25}
// Non-finite values are written as the strings "NaN", "Infinity" and "-Infinity" (JSON has no
// literal for them). Lines are buffered until Flush() or destruction.
class JsonlMetricsSink : public MetricsSink {
 public:
  struct Options {
    bool append = true;  // false truncates an existing file
    WallClock clock = UnixSecondsNow;
  };
  static absl::StatusOr<std::unique_ptr<JsonlMetricsSink>> Open(const std::string& path,
                                                                Options options);
  static absl::StatusOr<std::unique_ptr<JsonlMetricsSink>> Open(const std::string& path) {
    return Open(path, Options());
  }
  ~JsonlMetricsSink() override;

  void LogScalar(std::string_view name, int64_t step, double value) override;
  void LogText(std::string_view name, int64_t step, std::string_view text) override;
  absl::Status Flush() override;

 private:
  JsonlMetricsSink(std::string path, std::FILE* file, WallClock clock);
  void WriteLine(const std::string& line);

  const std::string path_;
  const WallClock clock_;
  absl::Mutex mu_;
  std::FILE* file_ ABSL_GUARDED_BY(mu_);
  absl::Status status_ ABSL_GUARDED_BY(mu_);
};

// Writes a TensorBoard event file, logdir/events.out.tfevents.<unix seconds>.<hostname>, that
// `tensorboard --logdir <logdir>` displays: TFRecord framing (length, masked CRC32C of the
// length, an Event protobuf, masked CRC32C of the data), a first record with file_version
// "brain.Event:2", then one Event per LogScalar (Summary.Value.simple_value) or LogText (a
// string tensor for the text plugin). Records are buffered until Flush() or destruction.
class TensorBoardSink : public MetricsSink {
 public:
  struct Options {
    WallClock clock = UnixSecondsNow;
    std::string hostname;  // empty: this machine's name
  };
  // Creates logdir (and parents) if needed. A second sink opened in the same second gets a
  // numbered suffix instead of overwriting the first file.
  static absl::StatusOr<std::unique_ptr<TensorBoardSink>> Open(const std::string& logdir,
                                                               Options options);
  static absl::StatusOr<std::unique_ptr<TensorBoardSink>> Open(const std::string& logdir) {
    return Open(logdir, Options());
  }
  ~TensorBoardSink() override;

  const std::string& path() const { return path_; }

  void LogScalar(std::string_view name, int64_t step, double value) override;
  void LogText(std::string_view name, int64_t step, std::string_view text) override;
  absl::Status Flush() override;

 private:
  TensorBoardSink(std::string path, std::FILE* file, WallClock clock);
  void WriteRecord(const std::string& event);

  const std::string path_;
  const WallClock clock_;
  absl::Mutex mu_;
  std::FILE* file_ ABSL_GUARDED_BY(mu_);
  absl::Status status_ ABSL_GUARDED_BY(mu_);
};

// Sends every call to each of its sinks, in order; Flush flushes all and returns the first error.
class MultiSink : public MetricsSink {
 public:
  explicit MultiSink(std::vector<std::unique_ptr<MetricsSink>> sinks);

  void LogScalar(std::string_view name, int64_t step, double value) override;
  void LogText(std::string_view name, int64_t step, std::string_view text) override;
  absl::Status Flush() override;

 private:
  std::vector<std::unique_ptr<MetricsSink>> sinks_;
};

}  // namespace rlvr

#endif  // RLVR_CORE_METRICS_H_
