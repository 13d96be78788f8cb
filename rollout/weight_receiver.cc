#include "rollout/weight_receiver.h"

#include <cstring>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/checksum.h"
#include "core/safetensors.h"

namespace rlvr {
namespace {

std::string ShapeString(const std::vector<int64_t>& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

int64_t DTypeBytes(const std::string& dtype) {
  if (dtype == "F32") return 4;
  if (dtype == "BF16" || dtype == "F16") return 2;
  return 0;
}

}  // namespace

WeightReceiver::WeightReceiver(const std::vector<ParameterSpec>& specs) {
  for (const ParameterSpec& spec : specs) specs_[spec.name] = &spec;
}

absl::Status WeightReceiver::Add(const v1::WeightChunk& chunk) {
  if (!started_) {
    started_ = true;
    version_ = chunk.version();
  } else if (chunk.version() != version_) {
    return absl::InvalidArgumentError(
        absl::StrFormat("chunk of '%s' has version %d, the update started with version %d",
                        chunk.tensor_name(), chunk.version(), version_));
  }
  if (in_tensor_ && chunk.tensor_name() != name_) {
    return absl::InvalidArgumentError(
        absl::StrFormat("tensor '%s' started before '%s' was complete (%d of %d bytes)",
                        chunk.tensor_name(), name_, bytes_.size(), total_bytes_));
  }
  if (!in_tensor_) {
    // The first chunk of a tensor.
    const std::string& name = chunk.tensor_name();
    auto it = specs_.find(name);
    if (it == specs_.end()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("'%s' is not a parameter of the served model", name));
    }
    if (done_.contains(name)) {
      return absl::InvalidArgumentError(absl::StrFormat("tensor '%s' sent twice", name));
    }
    const ParameterSpec& spec = *it->second;
    const std::vector<int64_t> shape(chunk.shape().begin(), chunk.shape().end());
    if (shape != spec.shape) {
      return absl::InvalidArgumentError(
          absl::StrFormat("tensor '%s' has shape %s, the model's is %s", name, ShapeString(shape),
                          ShapeString(spec.shape)));
    }
    const int64_t element_bytes = DTypeBytes(chunk.dtype());
    if (element_bytes == 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "tensor '%s' has dtype '%s'; weight updates take F32, BF16 or F16", name, chunk.dtype()));
    }
    if (chunk.total_bytes() != spec.num_elements() * element_bytes) {
      return absl::InvalidArgumentError(
          absl::StrFormat("tensor '%s': total_bytes %d does not match %s x %s (%d bytes)", name,
                          chunk.total_bytes(), ShapeString(spec.shape), chunk.dtype(),
                          spec.num_elements() * element_bytes));
    }
    if (chunk.offset() != 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "first chunk of tensor '%s' has offset %d, expected 0", name, chunk.offset()));
    }
    in_tensor_ = true;
    name_ = name;
    dtype_ = chunk.dtype();
    total_bytes_ = chunk.total_bytes();
    checksum_ = chunk.checksum();
    bytes_.clear();
    bytes_.reserve(total_bytes_);
  } else if (chunk.offset() != static_cast<int64_t>(bytes_.size())) {
    return absl::InvalidArgumentError(
        absl::StrFormat("chunk of tensor '%s' has offset %d, expected %d (chunks must arrive "
                        "in order)",
                        name_, chunk.offset(), bytes_.size()));
  }
  if (static_cast<int64_t>(bytes_.size() + chunk.data().size()) > total_bytes_) {
    return absl::InvalidArgumentError(
        absl::StrFormat("tensor '%s' got more than its total_bytes %d", name_, total_bytes_));
  }
  bytes_.append(chunk.data());
  if (static_cast<int64_t>(bytes_.size()) == total_bytes_) return CompleteTensor();
  return absl::OkStatus();
}

absl::Status WeightReceiver::CompleteTensor() {
  in_tensor_ = false;
  const uint32_t crc = Crc32c(bytes_.data(), bytes_.size());
  if (crc != checksum_) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "tensor '%s': CRC32C of the received bytes is %08x, the sender's is %08x (corrupted "
        "in transfer)",
        name_, crc, checksum_));
  }
  ParameterValues values;
  values.name = name_;
  if (dtype_ == "F32") {
    values.values.resize(bytes_.size() / 4);
    std::memcpy(values.values.data(), bytes_.data(), bytes_.size());
  } else {
    values.values.resize(bytes_.size() / 2);
    for (size_t i = 0; i < values.values.size(); ++i) {
      uint16_t bits;
      std::memcpy(&bits, bytes_.data() + 2 * i, 2);
      values.values[i] = dtype_ == "BF16" ? Bf16ToF32(bits) : F16ToF32(bits);
    }
  }
  done_.insert(name_);
  update_.params.push_back(std::move(values));
  bytes_.clear();
  bytes_.shrink_to_fit();
  return absl::OkStatus();
}

absl::StatusOr<WeightUpdate> WeightReceiver::Finish() {
  if (!started_) return absl::InvalidArgumentError("weight update stream had no chunks");
  if (in_tensor_) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "stream ended inside tensor '%s' (%d of %d bytes)", name_, bytes_.size(), total_bytes_));
  }
  std::vector<std::string> missing;
  for (const auto& [name, spec] : specs_) {
    if (spec->required && !done_.contains(name)) missing.push_back(name);
  }
  if (!missing.empty()) {
    std::sort(missing.begin(), missing.end());
    const size_t shown = std::min<size_t>(missing.size(), 5);
    return absl::InvalidArgumentError(
        absl::StrFormat("weight update is missing %d required parameters, e.g. %s", missing.size(),
                        absl::StrJoin(missing.begin(), missing.begin() + shown, ", ")));
  }
  update_.version = version_;
  return std::move(update_);
}

}  // namespace rlvr
