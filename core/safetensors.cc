#include "core/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/json.h"

namespace rlvr {
namespace {

constexpr size_t kHeaderLengthBytes = 8;
constexpr size_t kHeaderAlignment = 8;  // the data section starts 8-byte aligned
constexpr std::string_view kMetadataKey = "__metadata__";

struct DTypeInfo {
  DType dtype;
  std::string_view name;
  size_t size;
};

constexpr DTypeInfo kDTypes[] = {
    {DType::kBool, "BOOL", 1}, {DType::kU8, "U8", 1},   {DType::kI8, "I8", 1},
    {DType::kU16, "U16", 2},   {DType::kI16, "I16", 2}, {DType::kF16, "F16", 2},
    {DType::kBF16, "BF16", 2}, {DType::kU32, "U32", 4}, {DType::kI32, "I32", 4},
    {DType::kF32, "F32", 4},   {DType::kU64, "U64", 8}, {DType::kI64, "I64", 8},
    {DType::kF64, "F64", 8},
};

const DTypeInfo& Info(DType dtype) {
  for (const DTypeInfo& info : kDTypes) {
    if (info.dtype == dtype) return info;
  }
  return kDTypes[0];  // unreachable for valid enum values
}

// absl::string_view is not std::string_view in this Abseil build; StrCat needs the former.
absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

std::string ShapeString(const std::vector<int64_t>& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

template <typename T>
T LoadLe(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;  // supported targets are little-endian
}

// Elements of a shape, or nullopt when the product (or product * element size) overflows.
std::optional<uint64_t> ByteCount(const std::vector<int64_t>& shape, size_t element_size) {
  uint64_t count = 1;
  for (int64_t dim : shape) {
    if (__builtin_mul_overflow(count, static_cast<uint64_t>(dim), &count)) return std::nullopt;
  }
  uint64_t bytes;
  if (__builtin_mul_overflow(count, static_cast<uint64_t>(element_size), &bytes)) {
    return std::nullopt;
  }
  if (bytes > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
  return bytes;
}

absl::StatusOr<uint64_t> NonNegativeInteger(const JsonValue& v) {
  if (!v.is_integer() || v.integer() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected a non-negative integer, got ", v.Serialize()));
  }
  return static_cast<uint64_t>(v.integer());
}

}  // namespace

std::string_view DTypeName(DType dtype) { return Info(dtype).name; }
size_t DTypeSize(DType dtype) { return Info(dtype).size; }

absl::StatusOr<DType> ParseDType(std::string_view name) {
  for (const DTypeInfo& info : kDTypes) {
    if (info.name == name) return info.dtype;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown dtype '", Sv(name), "'"));
}

int64_t TensorView::num_elements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

// The bytes of a file: a read-only private mapping, or a heap copy.
class SafetensorsFile::Storage {
 public:
  Storage(void* map_addr, size_t map_size) : map_addr_(map_addr), map_size_(map_size) {}
  explicit Storage(std::string_view bytes) : heap_(bytes.begin(), bytes.end()) {}
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  ~Storage() {
    if (map_addr_ != nullptr) munmap(map_addr_, map_size_);
  }

  absl::Span<const uint8_t> bytes() const {
    if (map_addr_ != nullptr) return {static_cast<const uint8_t*>(map_addr_), map_size_};
    return heap_;
  }

 private:
  void* map_addr_ = nullptr;
  size_t map_size_ = 0;
  std::vector<uint8_t> heap_;
};

SafetensorsFile::SafetensorsFile(SafetensorsFile&&) noexcept = default;
SafetensorsFile& SafetensorsFile::operator=(SafetensorsFile&&) noexcept = default;
SafetensorsFile::~SafetensorsFile() = default;

absl::StatusOr<SafetensorsFile> SafetensorsFile::Open(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const std::string message = absl::StrCat(path, ": cannot open: ", std::strerror(errno));
    return errno == ENOENT ? absl::NotFoundError(message) : absl::PermissionDeniedError(message);
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    const int err = errno;
    close(fd);
    return absl::InternalError(absl::StrCat(path, ": cannot stat: ", std::strerror(err)));
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a regular file"));
  }
  SafetensorsFile file;
  file.source_ = path;
  const size_t size = static_cast<size_t>(st.st_size);
  if (size == 0) {
    file.storage_ = std::make_unique<Storage>(std::string_view());
  } else {
    void* addr = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (addr == MAP_FAILED) {
      const int err = errno;
      close(fd);
      return absl::InternalError(absl::StrCat(path, ": cannot mmap: ", std::strerror(err)));
    }
    file.storage_ = std::make_unique<Storage>(addr, size);
  }
  close(fd);  // the mapping keeps the file's pages reachable
  if (absl::Status s = file.Parse(); !s.ok()) return s;
  return file;
}

absl::StatusOr<SafetensorsFile> SafetensorsFile::FromBytes(std::string_view bytes,
                                                           std::string source) {
  SafetensorsFile file;
  file.source_ = std::move(source);
  file.storage_ = std::make_unique<Storage>(bytes);
  if (absl::Status s = file.Parse(); !s.ok()) return s;
  return file;
}

absl::Status SafetensorsFile::Parse() {
  const absl::Span<const uint8_t> bytes = storage_->bytes();
  auto error = [&](auto&&... parts) {
    return absl::InvalidArgumentError(absl::StrCat(source_, ": ", parts...));
  };
  if (bytes.size() < kHeaderLengthBytes) {
    return error("truncated: ", bytes.size(),
                 " bytes, a safetensors file starts with an 8-byte header length");
  }
  const uint64_t header_size = LoadLe<uint64_t>(bytes.data());
  if (header_size > kMaxSafetensorsHeader) {
    return error("header length ", header_size, " exceeds the limit of ", kMaxSafetensorsHeader,
                 " bytes (corrupt file or not safetensors)");
  }
  if (header_size > bytes.size() - kHeaderLengthBytes) {
    return error("truncated: header length is ", header_size, " bytes but only ",
                 bytes.size() - kHeaderLengthBytes, " bytes follow it");
  }
  const std::string_view header(reinterpret_cast<const char*>(bytes.data()) + kHeaderLengthBytes,
                                header_size);
  if (header.empty() || header.front() != '{') {
    return error("header does not start with '{' (corrupt file or not safetensors)");
  }
  absl::StatusOr<JsonValue> json = ParseJson(header);
  if (!json.ok()) return error("header is not valid JSON: ", json.status().message());
  if (!json->is_object()) return error("header is not a JSON object");

  const absl::Span<const uint8_t> data = bytes.subspan(kHeaderLengthBytes + header_size);
  struct Range {
    uint64_t begin, end;
    size_t tensor;
  };
  std::vector<Range> ranges;

  for (const auto& member : json->object()) {
    // Named references, not a structured binding: clang < 16 cannot capture bindings in lambdas.
    const std::string& name = member.first;
    const JsonValue& entry = member.second;
    if (name == kMetadataKey) {
      if (!entry.is_object()) return error("__metadata__ is not a JSON object");
      for (const auto& [key, value] : entry.object()) {
        if (!value.is_string()) {
          return error("__metadata__ value for '", key, "' is not a string");
        }
        metadata_.emplace_back(key, value.string());
      }
      continue;
    }
    auto tensor_error = [&](auto&&... parts) { return error("tensor '", name, "': ", parts...); };
    if (!index_.emplace(name, tensors_.size()).second) {
      return tensor_error("duplicate tensor name");
    }
    if (!entry.is_object()) return tensor_error("entry is not a JSON object");

    absl::StatusOr<std::string> dtype_name = entry.GetString("dtype");
    if (!dtype_name.ok()) return tensor_error(dtype_name.status().message());
    absl::StatusOr<DType> dtype = ParseDType(*dtype_name);
    if (!dtype.ok()) return tensor_error(dtype.status().message());

    absl::StatusOr<const JsonValue*> shape_json = entry.Get("shape", JsonValue::Type::kArray);
    if (!shape_json.ok()) return tensor_error(shape_json.status().message());
    std::vector<int64_t> shape;
    for (const JsonValue& dim : (*shape_json)->array()) {
      absl::StatusOr<uint64_t> d = NonNegativeInteger(dim);
      if (!d.ok()) return tensor_error("shape: ", d.status().message());
      shape.push_back(static_cast<int64_t>(*d));
    }

    absl::StatusOr<const JsonValue*> offsets_json =
        entry.Get("data_offsets", JsonValue::Type::kArray);
    if (!offsets_json.ok()) return tensor_error(offsets_json.status().message());
    if ((*offsets_json)->array().size() != 2) {
      return tensor_error("data_offsets must be [begin, end], got ", (*offsets_json)->Serialize());
    }
    absl::StatusOr<uint64_t> begin = NonNegativeInteger((*offsets_json)->array()[0]);
    absl::StatusOr<uint64_t> end = NonNegativeInteger((*offsets_json)->array()[1]);
    if (!begin.ok()) return tensor_error("data_offsets: ", begin.status().message());
    if (!end.ok()) return tensor_error("data_offsets: ", end.status().message());
    if (*end < *begin) {
      return tensor_error("data_offsets [", *begin, ", ", *end, "] go backwards");
    }
    if (*end > data.size()) {
      return tensor_error("data_offsets [", *begin, ", ", *end, "] run past the data section (",
                          data.size(), " bytes; file truncated?)");
    }
    const std::optional<uint64_t> expected = ByteCount(shape, DTypeSize(*dtype));
    if (!expected.has_value()) {
      return tensor_error("shape ", ShapeString(shape), " is too large");
    }
    if (*end - *begin != *expected) {
      return tensor_error("data_offsets [", *begin, ", ", *end, "] hold ", *end - *begin,
                          " bytes but ", Sv(DTypeName(*dtype)), " ", ShapeString(shape), " needs ",
                          *expected);
    }
    ranges.push_back({*begin, *end, tensors_.size()});
    tensors_.push_back(
        TensorView{name, *dtype, std::move(shape), data.subspan(*begin, *end - *begin)});
  }

  // The tensors must tile the data section exactly: no overlaps, no holes, nothing after.
  std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t covered = 0;
  const std::string* previous = nullptr;
  for (const Range& r : ranges) {
    const std::string& name = tensors_[r.tensor].name;
    if (r.begin < covered) {
      return error("tensor '", name, "': data_offsets [", r.begin, ", ", r.end,
                   "] overlap tensor '", *previous, "' (which ends at ", covered, ")");
    }
    if (r.begin > covered) {
      return error("data section bytes [", covered, ", ", r.begin,
                   ") belong to no tensor (hole before tensor '", name, "')");
    }
    covered = r.end;
    previous = &name;
  }
  if (covered != data.size()) {
    return error("data section has ", data.size() - covered,
                 " bytes after the last tensor that belong to no tensor");
  }
  return absl::OkStatus();
}

const TensorView* SafetensorsFile::Find(std::string_view name) const {
  const auto it = index_.find(std::string(name));
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

absl::StatusOr<const TensorView*> SafetensorsFile::Get(std::string_view name) const {
  const TensorView* t = Find(name);
  if (t == nullptr)
    return absl::NotFoundError(absl::StrCat(source_, ": no tensor '", Sv(name), "'"));
  return t;
}

std::optional<std::string> SafetensorsFile::Metadata(std::string_view key) const {
  for (const auto& [k, v] : metadata_) {
    if (k == key) return v;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Writing

TensorToWrite TensorToWrite::F32(std::string name, std::vector<int64_t> shape,
                                 absl::Span<const float> values) {
  return {std::move(name),
          DType::kF32,
          std::move(shape),
          {reinterpret_cast<const uint8_t*>(values.data()), values.size() * sizeof(float)}};
}

TensorToWrite TensorToWrite::Bf16(std::string name, std::vector<int64_t> shape,
                                  absl::Span<const uint16_t> bits) {
  return {std::move(name),
          DType::kBF16,
          std::move(shape),
          {reinterpret_cast<const uint8_t*>(bits.data()), bits.size() * sizeof(uint16_t)}};
}

TensorToWrite TensorToWrite::F16(std::string name, std::vector<int64_t> shape,
                                 absl::Span<const uint16_t> bits) {
  return {std::move(name),
          DType::kF16,
          std::move(shape),
          {reinterpret_cast<const uint8_t*>(bits.data()), bits.size() * sizeof(uint16_t)}};
}

namespace {

// The length prefix plus the padded JSON header.
absl::StatusOr<std::string> BuildHeader(absl::Span<const TensorToWrite> tensors,
                                        const SafetensorsMetadata& metadata) {
  JsonValue header = JsonValue::MakeObject();
  if (!metadata.empty()) {
    JsonValue& meta = header.Add(std::string(kMetadataKey), JsonValue::MakeObject());
    absl::flat_hash_set<std::string_view> keys;
    for (const auto& [k, v] : metadata) {
      if (!keys.insert(k).second) {
        return absl::InvalidArgumentError(absl::StrCat("duplicate metadata key '", k, "'"));
      }
      meta.Add(k, JsonValue::String(v));
    }
  }
  absl::flat_hash_set<std::string_view> names;
  uint64_t offset = 0;
  for (const TensorToWrite& t : tensors) {
    if (t.name.empty() || t.name == kMetadataKey) {
      return absl::InvalidArgumentError(absl::StrCat("invalid tensor name '", t.name, "'"));
    }
    if (!names.insert(t.name).second) {
      return absl::InvalidArgumentError(absl::StrCat("duplicate tensor name '", t.name, "'"));
    }
    for (int64_t d : t.shape) {
      if (d < 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "tensor '", t.name, "': negative dimension in shape ", ShapeString(t.shape)));
      }
    }
    const std::optional<uint64_t> bytes = ByteCount(t.shape, DTypeSize(t.dtype));
    if (!bytes.has_value() || *bytes != t.data.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor '", t.name, "': ", Sv(DTypeName(t.dtype)), " ", ShapeString(t.shape),
                       " needs ", bytes.has_value() ? absl::StrCat(*bytes) : "too many",
                       " bytes but ", t.data.size(), " were given"));
    }
    JsonValue entry = JsonValue::MakeObject();
    entry.Add("dtype", JsonValue::String(std::string(DTypeName(t.dtype))));
    JsonValue& shape = entry.Add("shape", JsonValue::MakeArray());
    for (int64_t d : t.shape) shape.Push(JsonValue::Integer(d));
    JsonValue& offsets = entry.Add("data_offsets", JsonValue::MakeArray());
    offsets.Push(JsonValue::Integer(static_cast<int64_t>(offset)));
    offset += *bytes;
    offsets.Push(JsonValue::Integer(static_cast<int64_t>(offset)));
    header.Add(t.name, std::move(entry));
  }
  std::string json = header.Serialize();
  json.append((kHeaderAlignment - json.size() % kHeaderAlignment) % kHeaderAlignment, ' ');
  if (json.size() > kMaxSafetensorsHeader) {
    return absl::InvalidArgumentError(
        absl::StrCat("header of ", json.size(), " bytes exceeds the safetensors limit"));
  }
  std::string out(kHeaderLengthBytes, '\0');
  const uint64_t n = json.size();
  std::memcpy(out.data(), &n, sizeof(n));
  out += json;
  return out;
}

absl::Status WriteAll(int fd, const void* data, size_t size, const std::string& path) {
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError(absl::StrCat(path, ": write failed: ", std::strerror(errno)));
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> SerializeSafetensors(absl::Span<const TensorToWrite> tensors,
                                                 const SafetensorsMetadata& metadata) {
  absl::StatusOr<std::string> out = BuildHeader(tensors, metadata);
  if (!out.ok()) return out.status();
  for (const TensorToWrite& t : tensors) {
    out->append(reinterpret_cast<const char*>(t.data.data()), t.data.size());
  }
  return out;
}

absl::Status WriteSafetensors(const std::string& path, absl::Span<const TensorToWrite> tensors,
                              const SafetensorsMetadata& metadata) {
  absl::StatusOr<std::string> header = BuildHeader(tensors, metadata);
  if (!header.ok())
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", header.status().message()));

  static std::atomic<uint64_t> counter{0};
  const std::string tmp = absl::StrCat(path, ".tmp.", getpid(), ".", counter.fetch_add(1));
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::PermissionDeniedError(
        absl::StrCat(tmp, ": cannot create: ", std::strerror(errno)));
  }
  absl::Status status = WriteAll(fd, header->data(), header->size(), tmp);
  for (const TensorToWrite& t : tensors) {
    if (!status.ok()) break;
    status = WriteAll(fd, t.data.data(), t.data.size(), tmp);
  }
  if (status.ok() && fsync(fd) != 0) {
    status = absl::InternalError(absl::StrCat(tmp, ": fsync failed: ", std::strerror(errno)));
  }
  if (close(fd) != 0 && status.ok()) {
    status = absl::InternalError(absl::StrCat(tmp, ": close failed: ", std::strerror(errno)));
  }
  if (status.ok() && rename(tmp.c_str(), path.c_str()) != 0) {
    status = absl::InternalError(
        absl::StrCat("cannot rename ", tmp, " to ", path, ": ", std::strerror(errno)));
  }
  if (!status.ok()) {
    unlink(tmp.c_str());
    return status;
  }
  // Make the rename itself durable (best effort: some file systems refuse fsync on folders).
  const std::string::size_type slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  const int dir_fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    fsync(dir_fd);
    close(dir_fd);
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// 16-bit float conversions

float Bf16ToF32(uint16_t bits) {
  const uint32_t u = static_cast<uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &u, sizeof(f));
  return f;
}

uint16_t F32ToBf16(float value) {
  uint32_t u;
  std::memcpy(&u, &value, sizeof(u));
  if ((u & 0x7FFFFFFF) > 0x7F800000) return static_cast<uint16_t>((u >> 16) | 0x0040);  // NaN
  const uint32_t lsb = (u >> 16) & 1;
  u += 0x7FFF + lsb;  // round to nearest, ties to even; carries into the exponent as needed
  return static_cast<uint16_t>(u >> 16);
}

float F16ToF32(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000) << 16;
  const uint32_t exponent = (bits >> 10) & 0x1F;
  const uint32_t mantissa = bits & 0x3FF;
  uint32_t u;
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24, exact in float.
    const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    std::memcpy(&u, &magnitude, sizeof(u));
    u |= sign;
  } else if (exponent == 0x1F) {
    u = sign | 0x7F800000 | (mantissa << 13);  // inf or NaN
  } else {
    u = sign | ((exponent + (127 - 15)) << 23) | (mantissa << 13);
  }
  float f;
  std::memcpy(&f, &u, sizeof(f));
  return f;
}

uint16_t F32ToF16(float value) {
  uint32_t u;
  std::memcpy(&u, &value, sizeof(u));
  const uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000);
  u &= 0x7FFFFFFF;
  if (u > 0x7F800000) return static_cast<uint16_t>(sign | 0x7E00 | ((u >> 13) & 0x3FF));  // NaN
  if (u >= 0x477FF000) return sign | 0x7C00;  // >= 65520 rounds to infinity (and infinity)
  if (u < 0x38800000) {
    // Below the smallest normal half (2^-14): the result is round(|x| * 2^24) units of 2^-24.
    // Scaling by a power of two is exact; nearbyint rounds ties to even. 1024 becomes the
    // smallest normal, which has the same bit pattern.
    float magnitude;
    std::memcpy(&magnitude, &u, sizeof(magnitude));
    return static_cast<uint16_t>(sign |
                                 static_cast<uint16_t>(std::nearbyint(std::ldexp(magnitude, 24))));
  }
  const uint32_t exponent = (u >> 23) - (127 - 15);
  const uint32_t mantissa = u & 0x7FFFFF;
  uint32_t half = (exponent << 10) | (mantissa >> 13);
  const uint32_t rest = mantissa & 0x1FFF;
  if (rest > 0x1000 || (rest == 0x1000 && (half & 1))) ++half;
  return static_cast<uint16_t>(sign | half);
}

absl::StatusOr<std::vector<float>> TensorToF32(const TensorView& tensor) {
  const size_t n = tensor.data.size() / DTypeSize(tensor.dtype);
  const uint8_t* p = tensor.data.data();
  std::vector<float> out(n);
  switch (tensor.dtype) {
    case DType::kF32:
      if (n > 0) std::memcpy(out.data(), p, n * sizeof(float));
      return out;
    case DType::kBF16:
      for (size_t i = 0; i < n; ++i) out[i] = Bf16ToF32(LoadLe<uint16_t>(p + 2 * i));
      return out;
    case DType::kF16:
      for (size_t i = 0; i < n; ++i) out[i] = F16ToF32(LoadLe<uint16_t>(p + 2 * i));
      return out;
    case DType::kF64:
      for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(LoadLe<double>(p + 8 * i));
      return out;
    default:
      return absl::InvalidArgumentError(absl::StrCat("tensor '", tensor.name, "' has dtype ",
                                                     Sv(DTypeName(tensor.dtype)),
                                                     ", not a floating type"));
  }
}

absl::StatusOr<std::vector<int64_t>> TensorToI64(const TensorView& tensor) {
  const size_t n = tensor.data.size() / DTypeSize(tensor.dtype);
  const uint8_t* p = tensor.data.data();
  std::vector<int64_t> out(n);
  for (size_t i = 0; i < n; ++i) {
    switch (tensor.dtype) {
      case DType::kBool:
      case DType::kU8:
        out[i] = p[i];
        break;
      case DType::kI8:
        out[i] = static_cast<int8_t>(p[i]);
        break;
      case DType::kU16:
        out[i] = LoadLe<uint16_t>(p + 2 * i);
        break;
      case DType::kI16:
        out[i] = LoadLe<int16_t>(p + 2 * i);
        break;
      case DType::kU32:
        out[i] = LoadLe<uint32_t>(p + 4 * i);
        break;
      case DType::kI32:
        out[i] = LoadLe<int32_t>(p + 4 * i);
        break;
      case DType::kI64:
        out[i] = LoadLe<int64_t>(p + 8 * i);
        break;
      case DType::kU64: {
        const uint64_t v = LoadLe<uint64_t>(p + 8 * i);
        if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
          return absl::OutOfRangeError(
              absl::StrCat("tensor '", tensor.name, "' element ", i, " does not fit in int64"));
        }
        out[i] = static_cast<int64_t>(v);
        break;
      }
      default:
        return absl::InvalidArgumentError(absl::StrCat("tensor '", tensor.name, "' has dtype ",
                                                       Sv(DTypeName(tensor.dtype)),
                                                       ", not an integer type"));
    }
  }
  return out;
}

}  // namespace rlvr
