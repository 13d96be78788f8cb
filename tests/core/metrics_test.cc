#include "core/metrics.h"

#include <stdlib.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "core/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"

namespace rlvr {
namespace {

using ::testing::HasSubstr;

constexpr double kFixedTime = 1700000000.5;

std::string MakeTempDir() {
  std::string templ = testing::TempDir() + "/metrics_test.XXXXXX";
  EXPECT_NE(mkdtemp(templ.data()), nullptr);
  return templ;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// ---------------------------------------------------------------------------------------------
// An independent reader for TFRecord framing and the protobuf wire format, written from the
// format definitions (it shares no code with the writer).

uint32_t ReferenceCrc32c(std::string_view bytes) {
  uint32_t crc = 0xFFFFFFFF;
  for (unsigned char b : bytes) {
    crc ^= b;
    for (int i = 0; i < 8; ++i) crc = (crc >> 1) ^ ((crc & 1) ? 0x82F63B78u : 0u);
  }
  return ~crc;
}

uint32_t ReferenceMasked(std::string_view bytes) {
  const uint32_t crc = ReferenceCrc32c(bytes);
  return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u;
}

template <typename T>
T Load(std::string_view bytes, size_t offset) {
  T v;
  std::memcpy(&v, bytes.data() + offset, sizeof(T));
  return v;
}

// Splits an event file into record payloads, checking every length and CRC field.
std::vector<std::string> ReadRecords(const std::string& file) {
  std::vector<std::string> records;
  size_t pos = 0;
  while (pos < file.size()) {
    EXPECT_GE(file.size() - pos, 12u) << "truncated record header at " << pos;
    if (file.size() - pos < 12) break;
    const std::string_view length_bytes(file.data() + pos, 8);
    const uint64_t length = Load<uint64_t>(file, pos);
    EXPECT_EQ(Load<uint32_t>(file, pos + 8), ReferenceMasked(length_bytes))
        << "length CRC of record at " << pos;
    EXPECT_GE(file.size() - pos - 12, length + 4) << "truncated record at " << pos;
    if (file.size() - pos - 12 < length + 4) break;
    const std::string data = file.substr(pos + 12, length);
    EXPECT_EQ(Load<uint32_t>(file, pos + 12 + length), ReferenceMasked(data))
        << "data CRC of record at " << pos;
    records.push_back(data);
    pos += 12 + length + 4;
  }
  return records;
}

struct Field {
  int wire_type = 0;
  uint64_t number = 0;  // varint, fixed32 and fixed64 payloads
  std::string bytes;    // length-delimited payloads
};
using Message = std::multimap<uint32_t, Field>;

uint64_t ReadVarint(std::string_view s, size_t& pos) {
  uint64_t v = 0;
  for (int shift = 0; pos < s.size() && shift < 64; shift += 7) {
    const uint8_t b = static_cast<uint8_t>(s[pos++]);
    v |= static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) return v;
  }
  ADD_FAILURE() << "bad varint";
  return v;
}

Message Decode(std::string_view s) {
  Message m;
  size_t pos = 0;
  while (pos < s.size()) {
    const uint64_t key = ReadVarint(s, pos);
    Field f;
    f.wire_type = static_cast<int>(key & 7);
    switch (f.wire_type) {
      case 0:
        f.number = ReadVarint(s, pos);
        break;
      case 1:
        f.number = Load<uint64_t>(s, pos);
        pos += 8;
        break;
      case 5:
        f.number = Load<uint32_t>(s, pos);
        pos += 4;
        break;
      case 2: {
        const uint64_t n = ReadVarint(s, pos);
        f.bytes = std::string(s.substr(pos, n));
        pos += n;
        break;
      }
      default:
        ADD_FAILURE() << "unexpected wire type " << f.wire_type;
        return m;
    }
    m.emplace(static_cast<uint32_t>(key >> 3), f);
  }
  EXPECT_EQ(pos, s.size());
  return m;
}

const Field& Get(const Message& m, uint32_t field) {
  static const Field kMissing;
  auto it = m.find(field);
  EXPECT_NE(it, m.end()) << "missing field " << field;
  return it == m.end() ? kMissing : it->second;
}

double AsDouble(const Field& f) {
  EXPECT_EQ(f.wire_type, 1);
  double d;
  std::memcpy(&d, &f.number, 8);
  return d;
}

float AsFloat(const Field& f) {
  EXPECT_EQ(f.wire_type, 5);
  const uint32_t bits = static_cast<uint32_t>(f.number);
  float v;
  std::memcpy(&v, &bits, 4);
  return v;
}

TensorBoardSink::Options FixedOptions() {
  TensorBoardSink::Options options;
  options.clock = [] { return kFixedTime; };
  options.hostname = "testhost";
  return options;
}

// ---------------------------------------------------------------------------------------------
// TensorBoard

TEST(TensorBoardSinkTest, FileNameFollowsTensorBoardConvention) {
  const std::string dir = MakeTempDir() + "/run1/nested";
  absl::StatusOr<std::unique_ptr<TensorBoardSink>> sink =
      TensorBoardSink::Open(dir, FixedOptions());
  ASSERT_TRUE(sink.ok()) << sink.status();
  EXPECT_EQ((*sink)->path(), dir + "/events.out.tfevents.1700000000.testhost");
  absl::StatusOr<std::unique_ptr<TensorBoardSink>> second =
      TensorBoardSink::Open(dir, FixedOptions());
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ((*second)->path(), dir + "/events.out.tfevents.1700000000.testhost.1");
}

TEST(TensorBoardSinkTest, RecordsHaveValidLengthsCrcsAndEvents) {
  const std::string dir = MakeTempDir();
  std::string path;
  {
    absl::StatusOr<std::unique_ptr<TensorBoardSink>> sink =
        TensorBoardSink::Open(dir, FixedOptions());
    ASSERT_TRUE(sink.ok()) << sink.status();
    path = (*sink)->path();
    (*sink)->LogScalar("loss", 1, 0.25);
    (*sink)->LogScalar("reward/mean", 300, -1.5);
    (*sink)->LogScalar("big_step", int64_t{1} << 40, 3.0);
    (*sink)->LogText("sample", 2, "hello \xE2\x9C\x93");
    ASSERT_TRUE((*sink)->Flush().ok());
  }
  const std::vector<std::string> records = ReadRecords(Slurp(path));
  ASSERT_EQ(records.size(), 5u);

  const Message header = Decode(records[0]);
  EXPECT_EQ(AsDouble(Get(header, 1)), kFixedTime);
  EXPECT_EQ(Get(header, 3).bytes, "brain.Event:2");

  struct Expected {
    int64_t step;
    std::string tag;
    float value;
  };
  const Expected scalars[] = {
      {1, "loss", 0.25f}, {300, "reward/mean", -1.5f}, {int64_t{1} << 40, "big_step", 3.0f}};
  for (size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(scalars[i].tag);
    const Message event = Decode(records[1 + i]);
    EXPECT_EQ(AsDouble(Get(event, 1)), kFixedTime);
    EXPECT_EQ(static_cast<int64_t>(Get(event, 2).number), scalars[i].step);
    const Message summary = Decode(Get(event, 5).bytes);
    EXPECT_EQ(summary.count(1), 1u);
    const Message value = Decode(Get(summary, 1).bytes);
    EXPECT_EQ(Get(value, 1).bytes, scalars[i].tag);
    EXPECT_EQ(AsFloat(Get(value, 2)), scalars[i].value);
  }

  const Message text_event = Decode(records[4]);
  EXPECT_EQ(Get(text_event, 2).number, 2u);
  const Message text_value = Decode(Get(Decode(Get(text_event, 5).bytes), 1).bytes);
  EXPECT_EQ(Get(text_value, 1).bytes, "sample");
  const Message tensor = Decode(Get(text_value, 8).bytes);
  EXPECT_EQ(Get(tensor, 1).number, 7u);  // DT_STRING
  EXPECT_EQ(Get(tensor, 8).bytes, "hello \xE2\x9C\x93");
  const Message plugin = Decode(Get(Decode(Get(text_value, 9).bytes), 1).bytes);
  EXPECT_EQ(Get(plugin, 1).bytes, "text");
}

// Writes a known set of events. tests/core/check_tensorboard_events.py runs this test with
// RLVR_TENSORBOARD_CHECK_DIR set and reads the file back with the real tensorboard package.
TEST(TensorBoardSinkTest, KnownScalarsForTheTensorBoardCheck) {
  const char* env_dir = std::getenv("RLVR_TENSORBOARD_CHECK_DIR");
  const std::string dir = env_dir != nullptr ? env_dir : MakeTempDir();
  std::string path;
  {
    auto sink = TensorBoardSink::Open(dir);
    ASSERT_TRUE(sink.ok()) << sink.status();
    path = (*sink)->path();
    for (int i = 0; i < 10; ++i) (*sink)->LogScalar("check/linear", i, 0.5 * i);
    for (int i = 0; i < 5; ++i) (*sink)->LogScalar("check/negative", 1000 + i, -i);
    (*sink)->LogText("check/text", 3, "hello tensorboard");
    ASSERT_TRUE((*sink)->Flush().ok());
  }
  EXPECT_EQ(ReadRecords(Slurp(path)).size(), 17u);
}

TEST(TensorBoardSinkTest, CorruptedRecordFailsTheIndependentCheck) {
  // Guards the checker itself: a flipped byte must be noticed.
  const std::string dir = MakeTempDir();
  std::string path;
  {
    auto sink = TensorBoardSink::Open(dir, FixedOptions());
    ASSERT_TRUE(sink.ok());
    path = (*sink)->path();
    (*sink)->LogScalar("x", 1, 1.0);
  }
  std::string bytes = Slurp(path);
  bytes[bytes.size() - 6] ^= 0x01;  // inside the last event's data
  EXPECT_NONFATAL_FAILURE(ReadRecords(bytes), "data CRC");
}

TEST(TensorBoardSinkTest, UncreatableFolderIsAnError) {
  absl::StatusOr<std::unique_ptr<TensorBoardSink>> sink =
      TensorBoardSink::Open("/proc/self/no/such/dir", FixedOptions());
  EXPECT_FALSE(sink.ok());
  EXPECT_THAT(std::string(sink.status().message()), HasSubstr("/proc/self/no/such/dir"));
}

// ---------------------------------------------------------------------------------------------
// JSONL

std::vector<JsonValue> ReadLines(const std::string& path) {
  absl::StatusOr<std::vector<JsonValue>> lines = ReadJsonl(path);
  EXPECT_TRUE(lines.ok()) << lines.status();
  return lines.ok() ? *lines : std::vector<JsonValue>{};
}

JsonlMetricsSink::Options FixedJsonlOptions(bool append) {
  JsonlMetricsSink::Options options;
  options.append = append;
  options.clock = [] { return kFixedTime; };
  return options;
}

TEST(JsonlMetricsSinkTest, WritesOneObjectPerLine) {
  const std::string path = MakeTempDir() + "/metrics.jsonl";
  {
    auto sink = JsonlMetricsSink::Open(path, FixedJsonlOptions(false));
    ASSERT_TRUE(sink.ok()) << sink.status();
    (*sink)->LogScalar("reward/mean", 3, 0.125);
    (*sink)->LogText("sample", 4, "line one\nline \"two\"");
    ASSERT_TRUE((*sink)->Flush().ok());
  }
  const std::vector<JsonValue> lines = ReadLines(path);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(*lines[0].GetInt("step"), 3);
  EXPECT_EQ(*lines[0].GetString("name"), "reward/mean");
  EXPECT_EQ(*lines[0].GetNumber("value"), 0.125);
  EXPECT_EQ(*lines[0].GetNumber("wall_time"), kFixedTime);
  EXPECT_EQ(*lines[1].GetString("text"), "line one\nline \"two\"");
  EXPECT_EQ(*lines[1].GetInt("step"), 4);
}

TEST(JsonlMetricsSinkTest, NonFiniteValuesAreWrittenAsStrings) {
  const std::string path = MakeTempDir() + "/metrics.jsonl";
  {
    auto sink = JsonlMetricsSink::Open(path, FixedJsonlOptions(false));
    ASSERT_TRUE(sink.ok());
    (*sink)->LogScalar("a", 1, std::nan(""));
    (*sink)->LogScalar("b", 1, INFINITY);
    (*sink)->LogScalar("c", 1, -INFINITY);
  }
  const std::vector<JsonValue> lines = ReadLines(path);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(*lines[0].GetString("value"), "NaN");
  EXPECT_EQ(*lines[1].GetString("value"), "Infinity");
  EXPECT_EQ(*lines[2].GetString("value"), "-Infinity");
}

TEST(JsonlMetricsSinkTest, AppendKeepsOldLinesAndTruncateDropsThem) {
  const std::string path = MakeTempDir() + "/metrics.jsonl";
  for (int i = 0; i < 2; ++i) {
    auto sink = JsonlMetricsSink::Open(path, FixedJsonlOptions(true));
    ASSERT_TRUE(sink.ok());
    (*sink)->LogScalar("x", i, i);
  }
  EXPECT_EQ(ReadLines(path).size(), 2u);
  {
    auto sink = JsonlMetricsSink::Open(path, FixedJsonlOptions(false));
    ASSERT_TRUE(sink.ok());
    (*sink)->LogScalar("x", 9, 9);
  }
  EXPECT_EQ(ReadLines(path).size(), 1u);
}

TEST(JsonlMetricsSinkTest, WriteErrorsAreReportedByFlush) {
  if (access("/dev/full", W_OK) != 0) GTEST_SKIP() << "/dev/full not available";
  auto sink = JsonlMetricsSink::Open("/dev/full", FixedJsonlOptions(false));
  ASSERT_TRUE(sink.ok()) << sink.status();
  (*sink)->LogScalar("x", 1, 1.0);
  absl::Status s = (*sink)->Flush();
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("/dev/full"));
  (*sink)->LogScalar("x", 2, 1.0);
  EXPECT_FALSE((*sink)->Flush().ok());  // the error is sticky
}

TEST(JsonlMetricsSinkTest, UnopenablePathIsAnError) {
  auto sink = JsonlMetricsSink::Open("/nonexistent/dir/m.jsonl");
  EXPECT_FALSE(sink.ok());
  EXPECT_THAT(std::string(sink.status().message()), HasSubstr("/nonexistent/dir/m.jsonl"));
}

// ---------------------------------------------------------------------------------------------
// MultiSink

class RecordingSink : public MetricsSink {
 public:
  RecordingSink(std::vector<std::string>* log, absl::Status flush_status)
      : log_(log), flush_status_(std::move(flush_status)) {}
  void LogScalar(std::string_view name, int64_t step, double value) override {
    log_->push_back(std::string(name) + "@" + std::to_string(step) + "=" + std::to_string(value));
  }
  void LogText(std::string_view name, int64_t step, std::string_view text) override {
    log_->push_back(std::string(name) + "@" + std::to_string(step) + ":" + std::string(text));
  }
  absl::Status Flush() override {
    log_->push_back("flush");
    return flush_status_;
  }

 private:
  std::vector<std::string>* log_;
  absl::Status flush_status_;
};

TEST(MultiSinkTest, ForwardsEveryCallToEverySinkAndReturnsFirstFlushError) {
  std::vector<std::string> a, b, c;
  std::vector<std::unique_ptr<MetricsSink>> sinks;
  sinks.push_back(std::make_unique<RecordingSink>(&a, absl::OkStatus()));
  sinks.push_back(std::make_unique<RecordingSink>(&b, absl::InternalError("disk b")));
  sinks.push_back(std::make_unique<RecordingSink>(&c, absl::InternalError("disk c")));
  MultiSink multi(std::move(sinks));
  multi.LogScalar("loss", 7, 0.5);
  multi.LogText("note", 8, "hi");
  const absl::Status s = multi.Flush();
  EXPECT_EQ(s.message(), "disk b");
  const std::vector<std::string> expected = {"loss@7=0.500000", "note@8:hi", "flush"};
  EXPECT_EQ(a, expected);
  EXPECT_EQ(b, expected);
  EXPECT_EQ(c, expected);  // flushed even after an earlier sink failed
}

}  // namespace
}  // namespace rlvr
