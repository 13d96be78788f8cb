// Checksums for stored and transferred bytes: CRC32C (Castagnoli), the "masked" CRC that
// TensorBoard event files and TFRecord use, and the per-tensor checksum carried by weight
// transfer (WeightChunk.checksum in rollout.proto).
#ifndef RLVR_CORE_CHECKSUM_H_
#define RLVR_CORE_CHECKSUM_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/types/span.h"

namespace rlvr {

// CRC32C of data (polynomial 0x1EDC6F41, reflected, init and final xor 0xFFFFFFFF), the variant
// used by iSCSI, ext4 and TFRecord. Crc32c("123456789") == 0xE3069283. Uses the SSE4.2
// instruction when the CPU has it and a table otherwise; both give the same value.
uint32_t Crc32c(const void* data, size_t size);
inline uint32_t Crc32c(std::string_view data) { return Crc32c(data.data(), data.size()); }

// Continues a CRC: Crc32cExtend(Crc32c(a), b) == Crc32c(a + b). Crc32cExtend(0, x) == Crc32c(x).
uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t size);

// The masking TFRecord/TensorBoard apply to stored CRCs (so that a CRC of data that itself
// holds CRCs stays well distributed): rotate right by 15 and add 0xA282EAD8.
uint32_t MaskCrc32c(uint32_t crc);
uint32_t UnmaskCrc32c(uint32_t masked);

// The checksum of one tensor's raw bytes as sent with weight updates: CRC32C of the bytes.
inline uint32_t TensorChecksum(absl::Span<const uint8_t> bytes) {
  return Crc32c(bytes.data(), bytes.size());
}

namespace internal {
// The two implementations behind Crc32cExtend, exposed so tests can compare them. The hardware
// one must only be called when Crc32cHardwareAvailable().
uint32_t Crc32cExtendTable(uint32_t crc, const void* data, size_t size);
uint32_t Crc32cExtendHardware(uint32_t crc, const void* data, size_t size);
bool Crc32cHardwareAvailable();
}  // namespace internal

}  // namespace rlvr

#endif  // RLVR_CORE_CHECKSUM_H_
