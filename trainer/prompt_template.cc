#include "trainer/prompt_template.h"

#include "absl/status/status.h"
#include "absl/strings/str_format.h"

namespace rlvr {
namespace {
constexpr std::string_view kPlaceholder = "{prompt}";
}  // namespace

absl::StatusOr<PromptFormatter> PromptFormatter::Create(const rlvr::v1::PromptTemplate& config) {
  PromptFormatter f;
  if (!config.text().empty()) {
    f.text_ = config.text();
  } else if (config.name().empty() || config.name() == "raw") {
    f.text_ = std::string(kPlaceholder);
  } else if (config.name() == "r1_zero") {
    f.text_ = kR1ZeroTemplate;
  } else if (config.name() == "chat") {
    f.text_ = kChatTemplate;
  } else {
    return absl::InvalidArgumentError(absl::StrFormat(
        "data.template.name: unknown template '%s' (built-in: r1_zero, chat, raw)", config.name()));
  }
  if (f.text_.find(kPlaceholder) == std::string::npos) {
    return absl::InvalidArgumentError(
        "data.template.text must contain {prompt} where the record's prompt goes");
  }
  return f;
}

std::string PromptFormatter::Format(std::string_view prompt) const {
  std::string out;
  out.reserve(text_.size() + prompt.size());
  size_t pos = 0;
  while (true) {
    const size_t hit = text_.find(kPlaceholder, pos);
    if (hit == std::string::npos) break;
    out.append(text_, pos, hit - pos);
    out.append(prompt);
    pos = hit + kPlaceholder.size();
  }
  out.append(text_, pos, std::string::npos);
  return out;
}

}  // namespace rlvr
