#include "core/safetensors.h"

#include <dirent.h>
#include <stdlib.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rlvr {
namespace {

using ::testing::HasSubstr;

std::string MakeTempDir() {
  std::string templ = testing::TempDir() + "/safetensors_test.XXXXXX";
  char* dir = mkdtemp(templ.data());
  EXPECT_NE(dir, nullptr);
  return templ;
}

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(d);
  return names;
}

std::string Bytes(const TensorView& t) {
  return std::string(reinterpret_cast<const char*>(t.data.data()), t.data.size());
}

// A file made of the given header text and data bytes (the length prefix is computed).
std::string FileWithHeader(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  const uint64_t n = header.size();
  std::memcpy(out.data(), &n, sizeof(n));
  return out + header + data;
}

// Asserts that parsing fails with InvalidArgument, naming the source and containing `phrase`.
void ExpectRejected(const std::string& bytes, const std::string& phrase) {
  absl::StatusOr<SafetensorsFile> file = SafetensorsFile::FromBytes(bytes, "bad.safetensors");
  ASSERT_FALSE(file.ok()) << "accepted a file that should fail with: " << phrase;
  EXPECT_EQ(file.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(file.status().message()), HasSubstr("bad.safetensors"));
  EXPECT_THAT(std::string(file.status().message()), HasSubstr(phrase));
}

const char kEntryA[] = R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";

// ---------------------------------------------------------------------------------------------
// Round trips

TEST(SafetensorsTest, RoundTripsEveryDtypeThroughAFile) {
  const std::string dir = MakeTempDir();
  const std::vector<DType> dtypes = {
      DType::kBool, DType::kU8,  DType::kI8,  DType::kU16, DType::kI16, DType::kF16, DType::kBF16,
      DType::kU32,  DType::kI32, DType::kF32, DType::kU64, DType::kI64, DType::kF64};
  std::vector<std::string> payloads;
  std::vector<TensorToWrite> tensors;
  for (size_t i = 0; i < dtypes.size(); ++i) {
    const std::vector<int64_t> shape = {2, 3};
    std::string bytes(6 * DTypeSize(dtypes[i]), '\0');
    for (size_t b = 0; b < bytes.size(); ++b) bytes[b] = static_cast<char>(b * 7 + i);
    if (dtypes[i] == DType::kBool) bytes = std::string("\x01\x00\x00\x01\x01\x00", 6);
    payloads.push_back(bytes);
  }
  for (size_t i = 0; i < dtypes.size(); ++i) {
    tensors.push_back({absl::StrCat("t_", std::string(DTypeName(dtypes[i]))),
                       dtypes[i],
                       {2, 3},
                       {reinterpret_cast<const uint8_t*>(payloads[i].data()), payloads[i].size()}});
  }
  const std::string path = dir + "/all.safetensors";
  ASSERT_TRUE(WriteSafetensors(path, tensors, {{"format", "pt"}, {"step", "12"}}).ok());

  absl::StatusOr<SafetensorsFile> file = SafetensorsFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_EQ(file->tensors().size(), dtypes.size());
  for (size_t i = 0; i < dtypes.size(); ++i) {
    const TensorView& t = file->tensors()[i];
    EXPECT_EQ(t.name, tensors[i].name);
    EXPECT_EQ(t.dtype, dtypes[i]);
    EXPECT_EQ(t.shape, (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(t.num_elements(), 6);
    EXPECT_EQ(Bytes(t), payloads[i]) << t.name;
  }
  EXPECT_EQ(file->Metadata("format"), "pt");
  EXPECT_EQ(file->Metadata("step"), "12");
  EXPECT_EQ(file->Metadata("missing"), std::nullopt);
}

TEST(SafetensorsTest, RoundTripsFloatValuesAndSpecialShapes) {
  const std::vector<float> values = {1.5f, -2.25f, 0.0f, 3e-30f, 7.0f, -1e30f};
  const std::vector<float> scalar = {42.0f};
  const std::vector<uint16_t> bf16 = {F32ToBf16(1.0f), F32ToBf16(-3.5f)};
  const std::vector<uint16_t> f16 = {F32ToF16(0.5f), F32ToF16(-65504.0f), F32ToF16(1e-7f)};
  std::vector<TensorToWrite> tensors = {
      TensorToWrite::F32("w", {3, 2}, values), TensorToWrite::F32("scalar", {}, scalar),
      TensorToWrite::F32("empty", {0, 4}, {}), TensorToWrite::Bf16("b", {2}, bf16),
      TensorToWrite::F16("h", {3}, f16)};
  absl::StatusOr<std::string> bytes = SerializeSafetensors(tensors);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  uint64_t header_len;
  std::memcpy(&header_len, bytes->data(), 8);
  EXPECT_EQ(header_len % 8, 0u) << "data section should start 8-byte aligned";

  absl::StatusOr<SafetensorsFile> file = SafetensorsFile::FromBytes(*bytes);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(*TensorToF32(**file->Get("w")), values);
  EXPECT_EQ(*TensorToF32(**file->Get("scalar")), scalar);
  EXPECT_TRUE((*file->Get("scalar"))->shape.empty());
  EXPECT_EQ((*file->Get("empty"))->num_elements(), 0);
  EXPECT_EQ(*TensorToF32(**file->Get("b")), (std::vector<float>{1.0f, -3.5f}));
  const std::vector<float> h = *TensorToF32(**file->Get("h"));
  EXPECT_EQ(h[0], 0.5f);
  EXPECT_EQ(h[1], -65504.0f);
  EXPECT_NEAR(h[2], 1e-7f, 3e-8f);  // f16 subnormal spacing is 2^-24
  EXPECT_FALSE(TensorToI64(**file->Get("w")).ok());
}

TEST(SafetensorsTest, MovedFileKeepsViewsValid) {
  const std::vector<float> values = {1, 2, 3, 4};
  absl::StatusOr<std::string> bytes = SerializeSafetensors({TensorToWrite::F32("x", {4}, values)});
  ASSERT_TRUE(bytes.ok());
  absl::StatusOr<SafetensorsFile> file = SafetensorsFile::FromBytes(*bytes);
  ASSERT_TRUE(file.ok());
  SafetensorsFile moved = std::move(*file);
  EXPECT_EQ(*TensorToF32(**moved.Get("x")), values);
}

TEST(SafetensorsTest, MissingTensorIsNotFoundNamingTheFile) {
  absl::StatusOr<SafetensorsFile> file =
      SafetensorsFile::FromBytes(*SerializeSafetensors({}), "m.safetensors");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_TRUE(file->tensors().empty());
  absl::StatusOr<const TensorView*> t = file->Get("nope");
  EXPECT_EQ(t.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("m.safetensors"));
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("nope"));
}

TEST(SafetensorsTest, OpenMissingFileIsNotFound) {
  absl::StatusOr<SafetensorsFile> file = SafetensorsFile::Open("/nonexistent/x.safetensors");
  EXPECT_EQ(file.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(file.status().message()), HasSubstr("/nonexistent/x.safetensors"));
}

// ---------------------------------------------------------------------------------------------
// Writing

TEST(SafetensorsWriteTest, ReplacesExistingFileAndLeavesNoTemporaryFiles) {
  const std::string dir = MakeTempDir();
  const std::string path = dir + "/w.safetensors";
  const std::vector<float> a = {1, 2}, b = {3, 4, 5};
  ASSERT_TRUE(WriteSafetensors(path, {TensorToWrite::F32("a", {2}, a)}).ok());
  ASSERT_TRUE(WriteSafetensors(path, {TensorToWrite::F32("b", {3}, b)}).ok());
  absl::StatusOr<SafetensorsFile> file = SafetensorsFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->Find("a"), nullptr);
  EXPECT_EQ(*TensorToF32(**file->Get("b")), b);
  EXPECT_EQ(ListDir(dir), std::vector<std::string>{"w.safetensors"});
}

TEST(SafetensorsWriteTest, InvalidTensorsLeaveTheOldFileUntouched) {
  const std::string dir = MakeTempDir();
  const std::string path = dir + "/w.safetensors";
  const std::vector<float> a = {1, 2};
  ASSERT_TRUE(WriteSafetensors(path, {TensorToWrite::F32("a", {2}, a)}).ok());

  absl::Status wrong_size = WriteSafetensors(path, {TensorToWrite::F32("a", {3}, a)});
  EXPECT_EQ(wrong_size.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(wrong_size.message()), HasSubstr("needs 12 bytes but 8"));
  EXPECT_FALSE(
      WriteSafetensors(path, {TensorToWrite::F32("a", {2}, a), TensorToWrite::F32("a", {2}, a)})
          .ok());
  EXPECT_FALSE(WriteSafetensors(path, {TensorToWrite::F32("__metadata__", {2}, a)}).ok());
  EXPECT_FALSE(WriteSafetensors(path, {TensorToWrite::F32("n", {-1, -2}, a)}).ok());

  absl::StatusOr<SafetensorsFile> file = SafetensorsFile::Open(path);
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(*TensorToF32(**file->Get("a")), a);
  EXPECT_EQ(ListDir(dir), std::vector<std::string>{"w.safetensors"});
}

TEST(SafetensorsWriteTest, UnwritableFolderIsAnError) {
  const std::vector<float> a = {1};
  absl::Status s =
      WriteSafetensors("/nonexistent/dir/w.safetensors", {TensorToWrite::F32("a", {1}, a)});
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("/nonexistent/dir/w.safetensors"));
}

// ---------------------------------------------------------------------------------------------
// Corrupt input: every case is an InvalidArgument naming the file, never a crash.

TEST(SafetensorsCorruptTest, EveryTruncationIsRejected) {
  const std::vector<float> values = {1, 2, 3, 4, 5};
  const std::string good = *SerializeSafetensors(
      {TensorToWrite::F32("x", {5}, values), TensorToWrite::F32("y", {1}, {values.data(), 1})});
  ASSERT_TRUE(SafetensorsFile::FromBytes(good).ok());
  for (size_t n = 0; n < good.size(); ++n) {
    absl::StatusOr<SafetensorsFile> file = SafetensorsFile::FromBytes(good.substr(0, n), "cut");
    ASSERT_FALSE(file.ok()) << "prefix of " << n << " bytes accepted";
    EXPECT_EQ(file.status().code(), absl::StatusCode::kInvalidArgument);
  }
  ExpectRejected(good.substr(0, 5), "truncated");
  ExpectRejected(good.substr(0, 20), "truncated");
  ExpectRejected(good.substr(0, good.size() - 1), "run past the data section");
}

TEST(SafetensorsCorruptTest, TruncatedFileOnDiskIsRejected) {
  const std::string dir = MakeTempDir();
  const std::string path = dir + "/t.safetensors";
  const std::vector<float> values = {1, 2, 3, 4};
  ASSERT_TRUE(WriteSafetensors(path, {TensorToWrite::F32("x", {4}, values)}).ok());
  ASSERT_EQ(truncate(path.c_str(), 30), 0);
  absl::StatusOr<SafetensorsFile> file = SafetensorsFile::Open(path);
  ASSERT_FALSE(file.ok());
  EXPECT_THAT(std::string(file.status().message()), HasSubstr(path));
  EXPECT_THAT(std::string(file.status().message()), HasSubstr("truncated"));
  ASSERT_EQ(truncate(path.c_str(), 0), 0);
  EXPECT_FALSE(SafetensorsFile::Open(path).ok());
}

TEST(SafetensorsCorruptTest, AbsurdHeaderLengthIsRejected) {
  std::string bytes = FileWithHeader(absl::StrCat("{", kEntryA, "}"), std::string(8, '\0'));
  uint64_t huge = uint64_t{1} << 40;
  std::memcpy(bytes.data(), &huge, 8);
  ExpectRejected(bytes, "exceeds the limit");
  huge = ~uint64_t{0};
  std::memcpy(bytes.data(), &huge, 8);
  ExpectRejected(bytes, "exceeds the limit");
  const uint64_t past_end = bytes.size();
  std::memcpy(bytes.data(), &past_end, 8);
  ExpectRejected(bytes, "truncated");
}

TEST(SafetensorsCorruptTest, HeaderThatIsNotJsonIsRejected) {
  ExpectRejected(FileWithHeader(R"({"a":{"dtype":"F32")", ""), "not valid JSON");
  ExpectRejected(FileWithHeader(R"({"a":1,})", ""), "not valid JSON");
  ExpectRejected(FileWithHeader("[1,2]", ""), "does not start with '{'");
  ExpectRejected(FileWithHeader("", ""), "does not start with '{'");
  ExpectRejected(FileWithHeader(R"({"a":[1]})", ""), "entry is not a JSON object");
}

TEST(SafetensorsCorruptTest, DuplicateNamesAreRejected) {
  ExpectRejected(
      FileWithHeader(absl::StrCat("{", kEntryA, ",", kEntryA, "}"), std::string(8, '\0')),
      "duplicate");
}

TEST(SafetensorsCorruptTest, UnknownDtypeIsRejected) {
  ExpectRejected(FileWithHeader(R"({"a":{"dtype":"F128","shape":[2],"data_offsets":[0,8]}})",
                                std::string(8, 0)),
                 "unknown dtype 'F128'");
  ExpectRejected(FileWithHeader(R"({"a":{"shape":[2],"data_offsets":[0,8]}})", std::string(8, 0)),
                 "dtype");
}

TEST(SafetensorsCorruptTest, BadShapesAreRejected) {
  const std::string data(8, '\0');
  ExpectRejected(FileWithHeader(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", data),
                 "shape: expected a non-negative integer");
  ExpectRejected(
      FileWithHeader(R"({"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,8]}})", data),
      "shape: expected a non-negative integer");
  ExpectRejected(
      FileWithHeader(R"({"a":{"dtype":"F32","shape":["2"],"data_offsets":[0,8]}})", data),
      "shape: expected a non-negative integer");
  ExpectRejected(FileWithHeader(R"({"a":{"dtype":"F32","shape":2,"data_offsets":[0,8]}})", data),
                 "shape");
  ExpectRejected(
      FileWithHeader(
          R"({"a":{"dtype":"F32","shape":[4611686018427387904,4611686018427387904],"data_offsets":[0,8]}})",
          data),
      "too large");
  ExpectRejected(
      FileWithHeader(R"({"a":{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,8]}})",
                     data),
      "shape: expected a non-negative integer");
}

TEST(SafetensorsCorruptTest, SizeNotMatchingDtypeTimesShapeIsRejected) {
  ExpectRejected(FileWithHeader(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})",
                                std::string(8, 0)),
                 "hold 8 bytes but F32 [3] needs 12");
  ExpectRejected(FileWithHeader(R"({"a":{"dtype":"BF16","shape":[2,2],"data_offsets":[0,4]}})",
                                std::string(4, 0)),
                 "needs 8");
}

TEST(SafetensorsCorruptTest, BadOffsetsAreRejected) {
  const std::string data(16, '\0');
  ExpectRejected(FileWithHeader(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", data),
                 "go backwards");
  ExpectRejected(FileWithHeader(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}})", data),
                 "run past the data section");
  ExpectRejected(
      FileWithHeader(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8,9]}})", data),
      "data_offsets must be [begin, end]");
  ExpectRejected(FileWithHeader(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}})", data),
                 "data_offsets: expected a non-negative integer");
  ExpectRejected(FileWithHeader(R"({"a":{"dtype":"F32","shape":[2]}})", data), "data_offsets");
  ExpectRejected(
      FileWithHeader(
          R"({"a":{"dtype":"U8","shape":[0],"data_offsets":[18446744073709551615,18446744073709551615]}})",
          data),
      "data_offsets: expected a non-negative integer");
}

TEST(SafetensorsCorruptTest, OverlappingTensorsAreRejected) {
  ExpectRejected(FileWithHeader(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                                std::string(12, '\0')),
                 "overlap tensor 'a'");
  // Two names for the same bytes (aliasing) is an overlap too.
  ExpectRejected(FileWithHeader(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                R"("b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                                std::string(8, '\0')),
                 "overlap");
}

TEST(SafetensorsCorruptTest, HolesInTheDataSectionAreRejected) {
  ExpectRejected(FileWithHeader(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                R"("b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}})",
                                std::string(20, '\0')),
                 "bytes [8, 12) belong to no tensor");
  ExpectRejected(FileWithHeader(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                                std::string(12, '\0')),
                 "bytes [0, 4) belong to no tensor");
  ExpectRejected(FileWithHeader(absl::StrCat("{", kEntryA, "}"), std::string(9, '\0')),
                 "1 bytes after the last tensor");
  ExpectRejected(FileWithHeader("{}", "xyz"), "3 bytes after the last tensor");
}

TEST(SafetensorsCorruptTest, BadMetadataIsRejected) {
  ExpectRejected(FileWithHeader(R"({"__metadata__":{"k":1}})", ""), "'k' is not a string");
  ExpectRejected(FileWithHeader(R"({"__metadata__":"x"})", ""), "__metadata__ is not");
}

TEST(SafetensorsCorruptTest, AcceptsTrailingSpacePaddingAndEmptyTensorsAnywhere) {
  EXPECT_TRUE(SafetensorsFile::FromBytes(
                  FileWithHeader(absl::StrCat("{", kEntryA, "}     "), std::string(8, '\0')))
                  .ok());
  EXPECT_TRUE(
      SafetensorsFile::FromBytes(
          FileWithHeader(absl::StrCat("{", kEntryA,
                                      R"(,"e":{"dtype":"F32","shape":[0],"data_offsets":[8,8]}})"),
                         std::string(8, '\0')))
          .ok());
}

TEST(SafetensorsCorruptTest, EverySingleByteCorruptionParsesOrFailsCleanly) {
  const std::vector<float> values = {1, 2, 3};
  const std::vector<uint16_t> half = {1, 2};
  const std::string good = *SerializeSafetensors(
      {TensorToWrite::F32("x", {3}, values), TensorToWrite::Bf16("y", {2}, half)}, {{"k", "v"}});
  int rejected = 0;
  for (size_t i = 0; i < good.size(); ++i) {
    for (uint8_t replacement : {0x00, 0xFF, 0x22, 0x7B, 0x39}) {
      std::string bad = good;
      bad[i] = static_cast<char>(replacement);
      absl::StatusOr<SafetensorsFile> file = SafetensorsFile::FromBytes(bad);
      if (!file.ok()) {
        ++rejected;
        continue;
      }
      // Whatever was accepted must be internally consistent.
      for (const TensorView& t : file->tensors()) {
        EXPECT_EQ(t.data.size(), static_cast<size_t>(t.num_elements()) * DTypeSize(t.dtype));
        // Touch every byte of the view (the sanitizer builds catch out-of-bounds reads).
        uint32_t sum = 0;
        for (uint8_t byte : t.data) sum += byte;
        EXPECT_LE(sum, 255u * t.data.size());
      }
    }
  }
  EXPECT_GT(rejected, 0);
}

// ---------------------------------------------------------------------------------------------
// 16-bit float conversions

TEST(HalfFloatTest, EveryF16BitPatternRoundTripsThroughFloat) {
  for (uint32_t b = 0; b < 0x10000; ++b) {
    const float f = F16ToF32(static_cast<uint16_t>(b));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(F16ToF32(F32ToF16(f)))) << b;
      continue;
    }
    EXPECT_EQ(F32ToF16(f), b) << "bits 0x" << std::hex << b;
  }
}

TEST(HalfFloatTest, EveryBf16BitPatternRoundTripsThroughFloat) {
  for (uint32_t b = 0; b < 0x10000; ++b) {
    const float f = Bf16ToF32(static_cast<uint16_t>(b));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(Bf16ToF32(F32ToBf16(f)))) << b;
      continue;
    }
    EXPECT_EQ(F32ToBf16(f), b) << "bits 0x" << std::hex << b;
  }
}

TEST(HalfFloatTest, KnownValues) {
  EXPECT_EQ(F32ToF16(1.0f), 0x3C00);
  EXPECT_EQ(F32ToF16(-2.0f), 0xC000);
  EXPECT_EQ(F32ToF16(65504.0f), 0x7BFF);
  EXPECT_EQ(F32ToF16(std::ldexp(1.0f, -24)), 0x0001);
  EXPECT_EQ(F32ToBf16(1.0f), 0x3F80);
  EXPECT_EQ(F32ToBf16(-2.0f), 0xC000);
  EXPECT_EQ(Bf16ToF32(0x4049), 3.140625f);
}

// ---------------------------------------------------------------------------------------------
// A file written by the Python safetensors library (tests/core/make_safetensors_fixture.py).

float ExpectedFloat(const JsonValue& v) {
  if (v.is_string()) {
    if (v.string() == "nan") return NAN;
    return v.string() == "inf" ? INFINITY : -INFINITY;
  }
  return static_cast<float>(v.number());
}

void ExpectSameFloat(float actual, float expected, const std::string& where) {
  if (std::isnan(expected)) {
    EXPECT_TRUE(std::isnan(actual)) << where;
  } else {
    EXPECT_EQ(actual, expected) << where;
  }
}

class PythonFixtureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string dir = std::string(RLVR_SOURCE_DIR) + "/tests/core/fixtures/safetensors/";
    absl::StatusOr<SafetensorsFile> file =
        SafetensorsFile::Open(dir + "python_written.safetensors");
    ASSERT_TRUE(file.ok()) << file.status();
    file_.emplace(std::move(*file));
    absl::StatusOr<std::string> text = ReadFile(dir + "expected.json");
    ASSERT_TRUE(text.ok()) << text.status();
    absl::StatusOr<JsonValue> json = ParseJson(*text);
    ASSERT_TRUE(json.ok()) << json.status();
    expected_ = std::move(*json);
  }

  std::vector<uint16_t> Bits16(const std::string& name) {
    std::vector<uint16_t> out;
    for (const JsonValue& v : expected_.Find("tensors")->Find(name)->Find("bits")->array()) {
      out.push_back(static_cast<uint16_t>(v.integer()));
    }
    return out;
  }

  std::optional<SafetensorsFile> file_;
  JsonValue expected_;
};

TEST_F(PythonFixtureTest, EveryTensorHasTheExpectedDtypeShapeAndValues) {
  const JsonValue::Object& tensors = expected_.Find("tensors")->object();
  ASSERT_EQ(file_->tensors().size(), tensors.size());
  for (const auto& [name, want] : tensors) {
    SCOPED_TRACE(name);
    absl::StatusOr<const TensorView*> t = file_->Get(name);
    ASSERT_TRUE(t.ok()) << t.status();
    EXPECT_EQ(DTypeName((*t)->dtype), want.Find("dtype")->string());
    std::vector<int64_t> shape;
    for (const JsonValue& d : want.Find("shape")->array()) shape.push_back(d.integer());
    EXPECT_EQ((*t)->shape, shape);
    const JsonValue::Array& values = want.Find("values")->array();
    ASSERT_EQ(static_cast<size_t>((*t)->num_elements()), values.size());

    absl::StatusOr<std::vector<float>> floats = TensorToF32(**t);
    if (floats.ok()) {
      for (size_t i = 0; i < values.size(); ++i) {
        ExpectSameFloat((*floats)[i], ExpectedFloat(values[i]), absl::StrCat("element ", i));
      }
      if (const JsonValue* bits = want.Find("bits")) {
        const size_t width = DTypeSize((*t)->dtype);
        for (size_t i = 0; i < values.size(); ++i) {
          uint32_t raw = 0;
          std::memcpy(&raw, (*t)->data.data() + i * width, width);
          EXPECT_EQ(raw, static_cast<uint32_t>(bits->array()[i].integer())) << "element " << i;
        }
      }
    } else {
      absl::StatusOr<std::vector<int64_t>> ints = TensorToI64(**t);
      ASSERT_TRUE(ints.ok()) << ints.status();
      for (size_t i = 0; i < values.size(); ++i) {
        EXPECT_EQ((*ints)[i], values[i].integer()) << "element " << i;
      }
    }
  }
}

TEST_F(PythonFixtureTest, MetadataMatches) {
  const JsonValue::Object& metadata = expected_.Find("metadata")->object();
  ASSERT_EQ(file_->metadata().size(), metadata.size());
  for (const auto& [key, value] : metadata) EXPECT_EQ(file_->Metadata(key), value.string());
}

TEST_F(PythonFixtureTest, FloatToBf16AndF16RoundLikeTorch) {
  const std::vector<float> src = *TensorToF32(**file_->Get("conv_src"));
  const std::vector<uint16_t> bf16 = Bits16("conv_bf16");
  const std::vector<uint16_t> f16 = Bits16("conv_f16");
  ASSERT_EQ(src.size(), bf16.size());
  ASSERT_EQ(src.size(), f16.size());
  for (size_t i = 0; i < src.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("element ", i, " value ", src[i]));
    if (std::isnan(src[i])) {
      EXPECT_TRUE(std::isnan(Bf16ToF32(F32ToBf16(src[i]))));
      EXPECT_TRUE(std::isnan(F16ToF32(F32ToF16(src[i]))));
      continue;
    }
    EXPECT_EQ(F32ToBf16(src[i]), bf16[i]);
    EXPECT_EQ(F32ToF16(src[i]), f16[i]);
  }
}

}  // namespace
}  // namespace rlvr
