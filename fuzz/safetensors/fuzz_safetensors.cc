// Fuzz target for the safetensors reader: any byte string must parse or be rejected with an
// error, never crash, hang or read out of bounds (run under the address sanitizer).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::StatusOr<rlvr::SafetensorsFile> file = rlvr::SafetensorsFile::FromBytes(
      std::string_view(reinterpret_cast<const char*>(data), size), "fuzz-input");
  if (!file.ok()) return 0;
  // Touch every accepted view so that a view reaching past the buffer is caught.
  uint64_t sum = 0;
  for (const rlvr::TensorView& t : file->tensors()) {
    for (uint8_t b : t.data) sum += b;
    if (t.dtype == rlvr::DType::kF32 || t.dtype == rlvr::DType::kBF16 ||
        t.dtype == rlvr::DType::kF16 || t.dtype == rlvr::DType::kF64) {
      sum += rlvr::TensorToF32(t)->size();
    } else {
      absl::StatusOr<std::vector<int64_t>> ints = rlvr::TensorToI64(t);
      if (ints.ok()) sum += ints->size();
    }
  }
  for (const auto& [key, value] : file->metadata()) sum += key.size() + value.size();
  volatile uint64_t sink = sum;
  (void)sink;
  return 0;
}
