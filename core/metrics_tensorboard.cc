// TensorBoardSink: TFRecord-framed Event protobufs, encoded by hand (the few fields needed do
// not justify depending on TensorFlow's protos). Field numbers follow tensorboard's
// compat/proto/event.proto, summary.proto and tensor.proto.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/checksum.h"
#include "core/metrics.h"

namespace rlvr {
namespace {

constexpr char kFileVersion[] = "brain.Event:2";
constexpr int kMaxNameCollisions = 1000;

// Protobuf wire format.
enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

// Field numbers.
constexpr uint32_t kEventWallTime = 1;     // double
constexpr uint32_t kEventStep = 2;         // int64
constexpr uint32_t kEventFileVersion = 3;  // string
constexpr uint32_t kEventSummary = 5;      // Summary
constexpr uint32_t kSummaryValue = 1;      // repeated Summary.Value
constexpr uint32_t kValueTag = 1;          // string
constexpr uint32_t kValueSimpleValue = 2;  // float
constexpr uint32_t kValueTensor = 8;       // TensorProto
constexpr uint32_t kValueMetadata = 9;     // SummaryMetadata
constexpr uint32_t kMetadataPluginData = 1;
constexpr uint32_t kPluginDataName = 1;
constexpr uint32_t kTensorDtype = 1;
constexpr uint32_t kTensorShape = 2;
constexpr uint32_t kTensorStringVal = 8;
constexpr uint64_t kDtString = 7;  // DataType.DT_STRING

void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void PutKey(std::string& out, uint32_t field, WireType type) {
  PutVarint(out, (static_cast<uint64_t>(field) << 3) | type);
}

template <typename T>
void PutLittleEndian(std::string& out, T v) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &v, sizeof(T));  // supported targets are little-endian
  out.append(bytes, sizeof(T));
}

void PutBytes(std::string& out, uint32_t field, std::string_view bytes) {
  PutKey(out, field, kLengthDelimited);
  PutVarint(out, bytes.size());
  out.append(bytes.data(), bytes.size());
}

std::string EventHeader(double wall_time, int64_t step) {
  std::string event;
  PutKey(event, kEventWallTime, kFixed64);
  PutLittleEndian(event, wall_time);
  PutKey(event, kEventStep, kVarint);
  PutVarint(event, static_cast<uint64_t>(step));  // int64: two's complement, 10 bytes if < 0
  return event;
}

std::string SummaryEvent(double wall_time, int64_t step, const std::string& value) {
  std::string summary;
  PutBytes(summary, kSummaryValue, value);
  std::string event = EventHeader(wall_time, step);
  PutBytes(event, kEventSummary, summary);
  return event;
}

std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TensorBoardSink>> TensorBoardSink::Open(const std::string& logdir,
                                                                       Options options) {
  std::error_code ec;
  std::filesystem::create_directories(logdir, ec);
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrCat(logdir, ": cannot create log folder: ", ec.message()));
  }
  const double now = options.clock();
  const std::string host = options.hostname.empty() ? HostName() : options.hostname;
  const std::string base =
      absl::StrCat(logdir, "/events.out.tfevents.", static_cast<int64_t>(now), ".", host);
  for (int attempt = 0; attempt < kMaxNameCollisions; ++attempt) {
    const std::string path = attempt == 0 ? base : absl::StrCat(base, ".", attempt);
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EEXIST) continue;
    if (fd < 0) {
      return absl::PermissionDeniedError(
          absl::StrCat(path, ": cannot create event file: ", std::strerror(errno)));
    }
    std::FILE* file = fdopen(fd, "w");
    if (file == nullptr) {
      close(fd);
      return absl::InternalError(absl::StrCat(path, ": fdopen failed: ", std::strerror(errno)));
    }
    auto sink =
        std::unique_ptr<TensorBoardSink>(new TensorBoardSink(path, file, std::move(options.clock)));
    std::string first = EventHeader(now, 0);
    PutBytes(first, kEventFileVersion, kFileVersion);
    sink->WriteRecord(first);
    if (absl::Status s = sink->Flush(); !s.ok()) return s;
    return sink;
  }
  return absl::AlreadyExistsError(absl::StrCat(base, ": too many event files with this name"));
}

TensorBoardSink::TensorBoardSink(std::string path, std::FILE* file, WallClock clock)
    : path_(std::move(path)), clock_(std::move(clock)), file_(file) {}

TensorBoardSink::~TensorBoardSink() {
  absl::MutexLock lock(&mu_);
  std::fclose(file_);
}

void TensorBoardSink::WriteRecord(const std::string& event) {
  // TFRecord: uint64 length, masked crc32c(length bytes), data, masked crc32c(data).
  std::string record;
  PutLittleEndian<uint64_t>(record, event.size());
  PutLittleEndian<uint32_t>(record, MaskCrc32c(Crc32c(record)));
  record += event;
  PutLittleEndian<uint32_t>(record, MaskCrc32c(Crc32c(event)));
  absl::MutexLock lock(&mu_);
  if (std::fwrite(record.data(), 1, record.size(), file_) != record.size() && status_.ok()) {
    status_ = absl::InternalError(absl::StrCat(path_, ": write failed: ", std::strerror(errno)));
  }
}

void TensorBoardSink::LogScalar(std::string_view name, int64_t step, double value) {
  std::string summary_value;
  PutBytes(summary_value, kValueTag, name);
  PutKey(summary_value, kValueSimpleValue, kFixed32);
  PutLittleEndian(summary_value, static_cast<float>(value));
  WriteRecord(SummaryEvent(clock_(), step, summary_value));
}

void TensorBoardSink::LogText(std::string_view name, int64_t step, std::string_view text) {
  std::string tensor;
  PutKey(tensor, kTensorDtype, kVarint);
  PutVarint(tensor, kDtString);
  PutBytes(tensor, kTensorShape, "");  // scalar
  PutBytes(tensor, kTensorStringVal, text);
  std::string plugin_data;
  PutBytes(plugin_data, kPluginDataName, "text");
  std::string metadata;
  PutBytes(metadata, kMetadataPluginData, plugin_data);
  std::string summary_value;
  PutBytes(summary_value, kValueTag, name);
  PutBytes(summary_value, kValueTensor, tensor);
  PutBytes(summary_value, kValueMetadata, metadata);
  WriteRecord(SummaryEvent(clock_(), step, summary_value));
}

absl::Status TensorBoardSink::Flush() {
  absl::MutexLock lock(&mu_);
  if (std::fflush(file_) != 0 && status_.ok()) {
    status_ = absl::InternalError(absl::StrCat(path_, ": flush failed: ", std::strerror(errno)));
  }
  return status_;
}

}  // namespace rlvr
