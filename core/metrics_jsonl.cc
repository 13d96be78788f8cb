// JsonlMetricsSink: one JSON object per line.
#include <cerrno>
#include <cmath>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/json.h"
#include "core/metrics.h"

namespace rlvr {
namespace {

JsonValue ScalarJson(double value) {
  if (std::isnan(value)) return JsonValue::String("NaN");
  if (std::isinf(value)) return JsonValue::String(value > 0 ? "Infinity" : "-Infinity");
  return JsonValue::Number(value);
}

}  // namespace

absl::StatusOr<std::unique_ptr<JsonlMetricsSink>> JsonlMetricsSink::Open(const std::string& path,
                                                                         Options options) {
  std::FILE* file = std::fopen(path.c_str(), options.append ? "ae" : "we");
  if (file == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat(path, ": cannot open metrics file: ", std::strerror(errno)));
  }
  return std::unique_ptr<JsonlMetricsSink>(
      new JsonlMetricsSink(path, file, std::move(options.clock)));
}

JsonlMetricsSink::JsonlMetricsSink(std::string path, std::FILE* file, WallClock clock)
    : path_(std::move(path)), clock_(std::move(clock)), file_(file) {}

JsonlMetricsSink::~JsonlMetricsSink() {
  absl::MutexLock lock(&mu_);
  std::fclose(file_);
}

void JsonlMetricsSink::WriteLine(const std::string& line) {
  absl::MutexLock lock(&mu_);
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() && status_.ok()) {
    status_ = absl::InternalError(absl::StrCat(path_, ": write failed: ", std::strerror(errno)));
  }
}

void JsonlMetricsSink::LogScalar(std::string_view name, int64_t step, double value) {
  JsonValue record = JsonValue::MakeObject();
  record.Add("step", JsonValue::Integer(step));
  record.Add("name", JsonValue::String(std::string(name)));
  record.Add("value", ScalarJson(value));
  record.Add("wall_time", JsonValue::Number(clock_()));
  WriteLine(record.Serialize() + "\n");
}

void JsonlMetricsSink::LogText(std::string_view name, int64_t step, std::string_view text) {
  JsonValue record = JsonValue::MakeObject();
  record.Add("step", JsonValue::Integer(step));
  record.Add("name", JsonValue::String(std::string(name)));
  record.Add("text", JsonValue::String(std::string(text)));
  record.Add("wall_time", JsonValue::Number(clock_()));
  WriteLine(record.Serialize() + "\n");
}

absl::Status JsonlMetricsSink::Flush() {
  absl::MutexLock lock(&mu_);
  if (std::fflush(file_) != 0 && status_.ok()) {
    status_ = absl::InternalError(absl::StrCat(path_, ": flush failed: ", std::strerror(errno)));
  }
  return status_;
}

}  // namespace rlvr
