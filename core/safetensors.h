// Reading and writing safetensors files (https://github.com/huggingface/safetensors).
//
// Layout: an 8-byte little-endian header length N, N bytes of JSON header, then the data section.
// The header maps each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} with
// offsets relative to the data section, plus an optional "__metadata__" object of string values.
//
// The reader treats its input as hostile: every number in the header is checked before use, and
// any problem (truncation, a header length larger than the file or than kMaxSafetensorsHeader,
// invalid JSON, an unknown dtype, a bad shape, offsets that go backwards, overlap, leave holes or
// run past the data, a byte count that does not match dtype * shape, duplicate names) is an
// InvalidArgument error that names the file and the tensor, never a crash or an out-of-bounds read.
#ifndef RLVR_CORE_SAFETENSORS_H_
#define RLVR_CORE_SAFETENSORS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace rlvr {

// Element types, spelled in files as in DTypeName (e.g. "BF16").
enum class DType { kBool, kU8, kI8, kU16, kI16, kF16, kBF16, kU32, kI32, kF32, kU64, kI64, kF64 };

std::string_view DTypeName(DType dtype);
absl::StatusOr<DType> ParseDType(std::string_view name);
size_t DTypeSize(DType dtype);  // bytes per element

// The largest JSON header accepted (the limit the reference implementation uses).
inline constexpr uint64_t kMaxSafetensorsHeader = 100u << 20;

// One tensor inside an open file. `data` points into the file's mapping and stays valid for the
// life of the SafetensorsFile it came from (moving that object keeps it valid). Data is
// little-endian, C order, and need not be aligned: copy it out (memcpy or the To* helpers).
struct TensorView {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  absl::Span<const uint8_t> data;

  int64_t num_elements() const;
};

// A parsed safetensors file. Open() memory-maps the file read-only; the object owns the mapping.
// If another process truncates the file while it is mapped, reads may fault: the format gives no
// protection against that, so write files with WriteSafetensors (temp + rename) as this
// project does.
class SafetensorsFile {
 public:
  static absl::StatusOr<SafetensorsFile> Open(const std::string& path);
  // Parses a file held in memory (copied into the object). `source` names it in errors.
  static absl::StatusOr<SafetensorsFile> FromBytes(std::string_view bytes,
                                                   std::string source = "<memory>");

  SafetensorsFile(SafetensorsFile&&) noexcept;
  SafetensorsFile& operator=(SafetensorsFile&&) noexcept;
  ~SafetensorsFile();

  const std::string& source() const { return source_; }
  // Tensors in header order.
  const std::vector<TensorView>& tensors() const { return tensors_; }
  // nullptr when absent.
  const TensorView* Find(std::string_view name) const;
  // NotFound error naming the file when absent.
  absl::StatusOr<const TensorView*> Get(std::string_view name) const;

  // The "__metadata__" entries in header order (empty when the file has none).
  const std::vector<std::pair<std::string, std::string>>& metadata() const { return metadata_; }
  std::optional<std::string> Metadata(std::string_view key) const;

 private:
  class Storage;
  SafetensorsFile() = default;
  absl::Status Parse();

  std::string source_;
  std::unique_ptr<Storage> storage_;
  std::vector<TensorView> tensors_;
  absl::flat_hash_map<std::string, size_t> index_;  // name -> position in tensors_
  std::vector<std::pair<std::string, std::string>> metadata_;
};

// A tensor to write: `data` must hold exactly num_elements(shape) * DTypeSize(dtype) bytes,
// little-endian, C order. The caller keeps the bytes alive during the write.
struct TensorToWrite {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  absl::Span<const uint8_t> data;

  static TensorToWrite F32(std::string name, std::vector<int64_t> shape,
                           absl::Span<const float> values);
  // bits: raw 16-bit patterns (see F32ToBf16 / F32ToF16).
  static TensorToWrite Bf16(std::string name, std::vector<int64_t> shape,
                            absl::Span<const uint16_t> bits);
  static TensorToWrite F16(std::string name, std::vector<int64_t> shape,
                           absl::Span<const uint16_t> bits);
};

using SafetensorsMetadata = std::vector<std::pair<std::string, std::string>>;

// Serializes tensors (in the given order, packed back to back) into safetensors bytes. The
// header is padded with spaces to a multiple of 8 bytes so that the data section is aligned.
// Errors: empty or duplicate names, the reserved name "__metadata__", negative dimensions, or
// data of the wrong size.
absl::StatusOr<std::string> SerializeSafetensors(absl::Span<const TensorToWrite> tensors,
                                                 const SafetensorsMetadata& metadata = {});

// Writes a safetensors file atomically: to a temporary file in the same folder, fsync, then
// rename over `path`. On error `path` is untouched and the temporary file is removed.
absl::Status WriteSafetensors(const std::string& path, absl::Span<const TensorToWrite> tensors,
                              const SafetensorsMetadata& metadata = {});

// Conversions between 16-bit floats and float. F32To* round to nearest, ties to even; NaN
// stays NaN (quiet), overflow becomes infinity, F16 handles subnormals.
float Bf16ToF32(uint16_t bits);
uint16_t F32ToBf16(float value);
float F16ToF32(uint16_t bits);
uint16_t F32ToF16(float value);

// Copies a floating tensor (F32, F16, BF16 or F64) out as float values.
absl::StatusOr<std::vector<float>> TensorToF32(const TensorView& tensor);
// Copies an integer or bool tensor out as int64 values (U64 values above INT64_MAX are an error).
absl::StatusOr<std::vector<int64_t>> TensorToI64(const TensorView& tensor);

}  // namespace rlvr

#endif  // RLVR_CORE_SAFETENSORS_H_
