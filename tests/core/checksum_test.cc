#include "core/checksum.h"

#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace rlvr {
namespace {

// Bit-at-a-time CRC32C straight from the definition, as an independent reference.
uint32_t BitwiseCrc32c(const std::vector<uint8_t>& bytes) {
  uint32_t crc = 0xFFFFFFFF;
  for (uint8_t b : bytes) {
    crc ^= b;
    for (int i = 0; i < 8; ++i) crc = (crc >> 1) ^ ((crc & 1) ? 0x82F63B78u : 0u);
  }
  return ~crc;
}

std::vector<uint8_t> PseudoRandomBytes(size_t n, uint32_t seed) {
  std::vector<uint8_t> out(n);
  uint32_t x = seed;
  for (auto& b : out) {
    x = x * 1664525u + 1013904223u;
    b = static_cast<uint8_t>(x >> 24);
  }
  return out;
}

TEST(Crc32cTest, MatchesStandardCheckValue) {
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(internal::Crc32cExtendTable(0, "123456789", 9), 0xE3069283u);
}

// Test vectors from RFC 3720 (iSCSI), appendix B.4.
TEST(Crc32cTest, MatchesRfc3720Vectors) {
  std::vector<uint8_t> zeros(32, 0), ones(32, 0xFF), up(32), down(32);
  for (int i = 0; i < 32; ++i) {
    up[i] = static_cast<uint8_t>(i);
    down[i] = static_cast<uint8_t>(31 - i);
  }
  EXPECT_EQ(Crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(ones.data(), ones.size()), 0x62A8AB43u);
  EXPECT_EQ(Crc32c(up.data(), up.size()), 0x46DD794Eu);
  EXPECT_EQ(Crc32c(down.data(), down.size()), 0x113FDB5Cu);
}

TEST(Crc32cTest, EmptyInputIsZero) { EXPECT_EQ(Crc32c(nullptr, 0), 0u); }

TEST(Crc32cTest, TableAndHardwareAgreeWithBitwiseReferenceOnAllLengths) {
  for (size_t n = 0; n < 300; ++n) {
    const std::vector<uint8_t> data = PseudoRandomBytes(n, static_cast<uint32_t>(n) + 7);
    const uint32_t expected = BitwiseCrc32c(data);
    EXPECT_EQ(internal::Crc32cExtendTable(0, data.data(), n), expected) << "length " << n;
    if (internal::Crc32cHardwareAvailable()) {
      EXPECT_EQ(internal::Crc32cExtendHardware(0, data.data(), n), expected) << "length " << n;
    }
    EXPECT_EQ(Crc32c(data.data(), n), expected) << "length " << n;
  }
}

TEST(Crc32cTest, UnalignedStartGivesSameValue) {
  const std::vector<uint8_t> data = PseudoRandomBytes(100, 3);
  for (size_t offset = 1; offset < 9; ++offset) {
    std::vector<uint8_t> tail(data.begin() + offset, data.end());
    EXPECT_EQ(Crc32c(data.data() + offset, data.size() - offset), BitwiseCrc32c(tail));
  }
}

TEST(Crc32cTest, ExtendEqualsCrcOfConcatenation) {
  const std::vector<uint8_t> data = PseudoRandomBytes(1000, 11);
  const uint32_t whole = Crc32c(data.data(), data.size());
  for (size_t split : {0, 1, 7, 8, 9, 500, 999, 1000}) {
    const uint32_t first = Crc32c(data.data(), split);
    EXPECT_EQ(Crc32cExtend(first, data.data() + split, data.size() - split), whole) << split;
  }
}

TEST(MaskCrc32cTest, MatchesTfRecordDefinitionAndRoundTrips) {
  EXPECT_EQ(MaskCrc32c(0), 0xA282EAD8u);
  // rotate-right-15 of 0x00008000 is 0x00000001.
  EXPECT_EQ(MaskCrc32c(0x00008000u), 0xA282EAD9u);
  for (uint32_t crc : {0u, 1u, 0xE3069283u, 0xFFFFFFFFu, 0x80000000u}) {
    EXPECT_EQ(UnmaskCrc32c(MaskCrc32c(crc)), crc);
  }
}

TEST(TensorChecksumTest, IsCrc32cOfTheBytesAndDetectsAFlippedBit) {
  std::vector<uint8_t> bytes = PseudoRandomBytes(4096, 5);
  const uint32_t sum = TensorChecksum(bytes);
  EXPECT_EQ(sum, BitwiseCrc32c(bytes));
  bytes[1234] ^= 0x10;
  EXPECT_NE(TensorChecksum(bytes), sum);
}

}  // namespace
}  // namespace rlvr
