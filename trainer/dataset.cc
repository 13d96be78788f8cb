#include "trainer/dataset.h"

#include <filesystem>

#include "absl/strings/str_format.h"
#include "absl/types/span.h"
#include "core/json.h"
#include "core/rng.h"

namespace rlvr {
namespace {

std::string FieldOr(const std::string& value, const char* fallback) {
  return value.empty() ? std::string(fallback) : value;
}

std::string ValueText(const JsonValue& v) { return v.is_string() ? v.string() : v.Serialize(); }

}  // namespace

absl::StatusOr<std::vector<Example>> LoadDataset(const rlvr::v1::DatasetConfig& config) {
  if (config.path().empty()) {
    return absl::InvalidArgumentError("dataset path is empty");
  }
  absl::StatusOr<std::vector<JsonValue>> records = ReadJsonl(config.path());
  if (!records.ok()) return records.status();
  const std::string prompt_field = FieldOr(config.prompt_field(), kDefaultPromptField);
  const std::string truth_field = FieldOr(config.ground_truth_field(), kDefaultGroundTruthField);
  const std::string id_field = FieldOr(config.id_field(), kDefaultIdField);
  const std::string& verifier_field = config.verifier_field();
  const std::string stem = std::filesystem::path(config.path()).stem().string();

  std::vector<Example> out;
  for (size_t i = 0; i < records->size(); ++i) {
    if (config.max_records() > 0 && static_cast<int64_t>(out.size()) >= config.max_records()) {
      break;
    }
    const JsonValue& r = (*records)[i];
    auto where = [&] { return absl::StrFormat("%s: record %d", config.path(), i + 1); };
    if (!r.is_object()) {
      return absl::InvalidArgumentError(where() + ": not a JSON object");
    }
    Example ex;
    ex.index = static_cast<int64_t>(out.size());
    const JsonValue* prompt = r.Find(prompt_field);
    if (prompt == nullptr || !prompt->is_string()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: no string field '%s' (set the dataset's prompt_field)", where(), prompt_field));
    }
    ex.prompt = prompt->string();
    const JsonValue* truth = r.Find(truth_field);
    if (truth == nullptr || truth->is_null()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: no field '%s' (set the dataset's ground_truth_field)", where(), truth_field));
    }
    ex.ground_truth = ValueText(*truth);
    if (const JsonValue* id = r.Find(id_field); id != nullptr && !id->is_null()) {
      ex.id = ValueText(*id);
    } else {
      ex.id = absl::StrFormat("%s:%d", stem, i);
    }
    if (!verifier_field.empty()) {
      const JsonValue* v = r.Find(verifier_field);
      if (v != nullptr && !v->is_string()) {
        return absl::InvalidArgumentError(
            absl::StrFormat("%s: field '%s' is not a string", where(), verifier_field));
      }
      if (v != nullptr) ex.verifier = v->string();
    }
    for (const auto& [key, value] : r.object()) {
      if (key == prompt_field || key == truth_field || key == id_field ||
          (!verifier_field.empty() && key == verifier_field)) {
        continue;
      }
      ex.metadata.emplace_back(key, ValueText(value));
    }
    out.push_back(std::move(ex));
  }
  if (out.empty()) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: no records", config.path()));
  }
  return out;
}

PromptOrder::PromptOrder(int64_t size, uint64_t seed, bool shuffle)
    : size_(size), seed_(seed), shuffle_(shuffle) {
  order_ = EpochOrder(0);
}

std::vector<int64_t> PromptOrder::EpochOrder(int64_t epoch) const {
  std::vector<int64_t> order(static_cast<size_t>(size_ > 0 ? size_ : 0));
  for (int64_t i = 0; i < size_; ++i) order[static_cast<size_t>(i)] = i;
  if (!shuffle_) return order;
  Rng(seed_).Fork(static_cast<uint64_t>(epoch)).Shuffle(absl::MakeSpan(order));
  return order;
}

int64_t PromptOrder::Next() {
  if (size_ <= 0) return -1;
  if (cursor_.offset >= size_) {
    ++cursor_.epoch;
    cursor_.offset = 0;
    order_ = EpochOrder(cursor_.epoch);
  }
  return order_[static_cast<size_t>(cursor_.offset++)];
}

std::vector<int64_t> PromptOrder::Take(int64_t n) {
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(n > 0 ? n : 0));
  for (int64_t i = 0; i < n; ++i) out.push_back(Next());
  return out;
}

absl::Status PromptOrder::Seek(const DataCursor& cursor) {
  if (cursor.epoch < 0 || cursor.offset < 0 || cursor.offset > size_) {
    return absl::InvalidArgumentError(
        absl::StrFormat("data cursor (epoch %d, offset %d) does not fit a dataset of %d examples",
                        cursor.epoch, cursor.offset, size_));
  }
  cursor_ = cursor;
  order_ = EpochOrder(cursor_.epoch);
  return absl::OkStatus();
}

}  // namespace rlvr
