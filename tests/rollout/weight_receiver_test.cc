#include "rollout/weight_receiver.h"

#include <cstring>
#include <string>
#include <vector>

#include "core/checksum.h"
#include "core/safetensors.h"
#include "gtest/gtest.h"

namespace rlvr {
namespace {

const std::vector<ParameterSpec>& Specs() {
  static const auto* specs = new std::vector<ParameterSpec>{
      {"a.weight", {2, 3}, "F32", true},
      {"b.weight", {4}, "F32", true},
      {"c.bias", {2}, "F32", false},
  };
  return *specs;
}

std::string Bytes(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4);
}

// Chunks of one tensor, `per_chunk` bytes each.
std::vector<v1::WeightChunk> Chunks(int64_t version, const std::string& name,
                                    std::vector<int64_t> shape, const std::string& bytes,
                                    const std::string& dtype = "F32", size_t per_chunk = 5) {
  std::vector<v1::WeightChunk> out;
  for (size_t off = 0; off == 0 || off < bytes.size(); off += per_chunk) {
    v1::WeightChunk c;
    c.set_version(version);
    c.set_tensor_name(name);
    c.set_offset(off);
    if (off == 0) {
      for (int64_t d : shape) c.add_shape(d);
      c.set_dtype(dtype);
      c.set_total_bytes(bytes.size());
      c.set_checksum(Crc32c(bytes.data(), bytes.size()));
    }
    c.set_data(bytes.substr(off, per_chunk));
    out.push_back(c);
  }
  return out;
}

absl::Status AddAll(WeightReceiver* r, const std::vector<v1::WeightChunk>& chunks) {
  for (const auto& c : chunks) {
    if (absl::Status s = r->Add(c); !s.ok()) return s;
  }
  return absl::OkStatus();
}

const std::vector<float> kA = {1, 2, 3, 4, 5, 6};
const std::vector<float> kB = {-1, -2, -3, -4};

TEST(WeightReceiverTest, AssemblesChunkedTensors) {
  WeightReceiver r(Specs());
  ASSERT_TRUE(AddAll(&r, Chunks(3, "a.weight", {2, 3}, Bytes(kA))).ok());
  ASSERT_TRUE(AddAll(&r, Chunks(3, "b.weight", {4}, Bytes(kB))).ok());
  absl::StatusOr<WeightUpdate> u = r.Finish();
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->version, 3);
  ASSERT_EQ(u->params.size(), 2u);
  EXPECT_EQ(u->params[0].name, "a.weight");
  EXPECT_EQ(u->params[0].values, kA);
  EXPECT_EQ(u->params[1].values, kB);
}

TEST(WeightReceiverTest, ConvertsBf16) {
  WeightReceiver r(Specs());
  std::vector<uint16_t> bits;
  for (float v : kB) bits.push_back(F32ToBf16(v));
  const std::string bytes(reinterpret_cast<const char*>(bits.data()), bits.size() * 2);
  ASSERT_TRUE(AddAll(&r, Chunks(1, "a.weight", {2, 3}, Bytes(kA))).ok());
  ASSERT_TRUE(AddAll(&r, Chunks(1, "b.weight", {4}, bytes, "BF16")).ok());
  absl::StatusOr<WeightUpdate> u = r.Finish();
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->params[1].values, kB);  // small integers are exact in bf16
}

TEST(WeightReceiverTest, RejectsCorruptedBytes) {
  WeightReceiver r(Specs());
  auto chunks = Chunks(1, "a.weight", {2, 3}, Bytes(kA));
  std::string data = chunks[1].data();
  data[0] ^= 1;
  chunks[1].set_data(data);
  absl::Status s = AddAll(&r, chunks);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("CRC32C"), std::string::npos) << s;
  EXPECT_NE(s.message().find("a.weight"), std::string::npos);
}

TEST(WeightReceiverTest, RejectsWrongShapeNameDtypeAndSize) {
  {
    WeightReceiver r(Specs());
    absl::Status s = AddAll(&r, Chunks(1, "a.weight", {3, 2}, Bytes(kA)));
    EXPECT_NE(s.message().find("shape [3, 2], the model's is [2, 3]"), std::string::npos) << s;
  }
  {
    WeightReceiver r(Specs());
    absl::Status s = AddAll(&r, Chunks(1, "z.weight", {4}, Bytes(kB)));
    EXPECT_NE(s.message().find("not a parameter"), std::string::npos) << s;
  }
  {
    WeightReceiver r(Specs());
    absl::Status s = AddAll(&r, Chunks(1, "b.weight", {4}, Bytes(kB), "I32"));
    EXPECT_NE(s.message().find("dtype 'I32'"), std::string::npos) << s;
  }
  {
    WeightReceiver r(Specs());
    auto chunks = Chunks(1, "b.weight", {4}, Bytes(kB));
    chunks[0].set_total_bytes(12);
    absl::Status s = AddAll(&r, chunks);
    EXPECT_NE(s.message().find("total_bytes"), std::string::npos) << s;
  }
}

TEST(WeightReceiverTest, RejectsOutOfOrderMixedVersionAndDuplicateTensors) {
  {
    WeightReceiver r(Specs());
    auto chunks = Chunks(1, "a.weight", {2, 3}, Bytes(kA));
    std::swap(chunks[1], chunks[2]);
    EXPECT_NE(AddAll(&r, chunks).message().find("offset"), std::string::npos);
  }
  {
    WeightReceiver r(Specs());
    ASSERT_TRUE(AddAll(&r, Chunks(1, "a.weight", {2, 3}, Bytes(kA))).ok());
    EXPECT_NE(AddAll(&r, Chunks(2, "b.weight", {4}, Bytes(kB))).message().find("version"),
              std::string::npos);
  }
  {
    WeightReceiver r(Specs());
    ASSERT_TRUE(AddAll(&r, Chunks(1, "a.weight", {2, 3}, Bytes(kA))).ok());
    EXPECT_NE(AddAll(&r, Chunks(1, "a.weight", {2, 3}, Bytes(kA))).message().find("twice"),
              std::string::npos);
  }
  {
    WeightReceiver r(Specs());
    auto a = Chunks(1, "a.weight", {2, 3}, Bytes(kA));
    ASSERT_TRUE(r.Add(a[0]).ok());
    EXPECT_NE(AddAll(&r, Chunks(1, "b.weight", {4}, Bytes(kB))).message().find("before"),
              std::string::npos);
  }
}

TEST(WeightReceiverTest, FinishNeedsEveryRequiredParameterAndNoCutTensor) {
  {
    WeightReceiver r(Specs());
    ASSERT_TRUE(AddAll(&r, Chunks(1, "a.weight", {2, 3}, Bytes(kA))).ok());
    absl::StatusOr<WeightUpdate> u = r.Finish();
    ASSERT_FALSE(u.ok());
    EXPECT_NE(u.status().message().find("b.weight"), std::string::npos) << u.status();
  }
  {
    WeightReceiver r(Specs());
    auto a = Chunks(1, "a.weight", {2, 3}, Bytes(kA));
    a.pop_back();
    ASSERT_TRUE(AddAll(&r, a).ok());
    EXPECT_FALSE(r.Finish().ok());
  }
  {
    WeightReceiver r(Specs());
    EXPECT_FALSE(r.Finish().ok());
  }
}

}  // namespace
}  // namespace rlvr
