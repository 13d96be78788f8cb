#include "verifiers/options.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"

namespace rlvr {
namespace {

std::string JoinViews(std::initializer_list<std::string_view> items) {
  std::string out;
  for (std::string_view item : items) {
    if (!out.empty()) out += ", ";
    out.append(item);
  }
  return out;
}

}  // namespace

absl::Status OptionReader::CheckKnown(std::initializer_list<std::string_view> known) const {
  for (const auto& [key, value] : options_) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "verifier '%s': unknown option '%s' (known: %s)", verifier_, key, JoinViews(known)));
    }
  }
  return absl::OkStatus();
}

std::string OptionReader::String(const std::string& key, std::string fallback) const {
  auto it = options_.find(key);
  return it == options_.end() ? fallback : it->second;
}

absl::StatusOr<bool> OptionReader::Bool(const std::string& key, bool fallback) const {
  auto it = options_.find(key);
  if (it == options_.end()) return fallback;
  std::string v = absl::AsciiStrToLower(it->second);
  if (v == "true" || v == "1" || v == "yes") return true;
  if (v == "false" || v == "0" || v == "no") return false;
  return absl::InvalidArgumentError(absl::StrFormat(
      "verifier '%s': option '%s' must be true or false, got '%s'", verifier_, key, it->second));
}

absl::StatusOr<double> OptionReader::Double(const std::string& key, double fallback) const {
  auto it = options_.find(key);
  if (it == options_.end()) return fallback;
  double v;
  if (!absl::SimpleAtod(it->second, &v)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "verifier '%s': option '%s' must be a number, got '%s'", verifier_, key, it->second));
  }
  return v;
}

absl::StatusOr<int64_t> OptionReader::Int(const std::string& key, int64_t fallback) const {
  auto it = options_.find(key);
  if (it == options_.end()) return fallback;
  int64_t v;
  if (!absl::SimpleAtoi(it->second, &v)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "verifier '%s': option '%s' must be an integer, got '%s'", verifier_, key, it->second));
  }
  return v;
}

absl::StatusOr<std::string> OptionReader::Choice(
    const std::string& key, std::string fallback,
    std::initializer_list<std::string_view> choices) const {
  std::string v = String(key, std::move(fallback));
  if (std::find(choices.begin(), choices.end(), v) == choices.end()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("verifier '%s': option '%s' must be one of %s, got '%s'", verifier_, key,
                        JoinViews(choices), v));
  }
  return v;
}

}  // namespace rlvr
