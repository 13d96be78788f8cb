// Prompt templates: how a dataset record's prompt becomes the text the policy continues.
//
// A template is text with "{prompt}" where the record's prompt goes (every occurrence is
// replaced; other braces are left alone). Built-in templates, chosen by PromptTemplate.name:
//   "r1_zero"  the template DeepSeek-R1-Zero was trained with (DeepSeek-R1 paper, Table 1),
//              with the prompt in place of "prompt".
//   "chat"     one user turn in ChatML (the Qwen chat format), ending where the assistant's
//              answer begins.
//   "raw"      the prompt as it is.
#ifndef RLVR_TRAINER_PROMPT_TEMPLATE_H_
#define RLVR_TRAINER_PROMPT_TEMPLATE_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "rlvr/v1/config.pb.h"

namespace rlvr {

inline constexpr char kR1ZeroTemplate[] =
    "A conversation between User and Assistant. The user asks a question, and the Assistant "
    "solves it. The assistant first thinks about the reasoning process in the mind and then "
    "provides the user with the answer. The reasoning process and answer are enclosed within "
    "<think> </think> and <answer> </answer> tags, respectively, i.e., <think> reasoning "
    "process here </think> <answer> answer here </answer>. User: {prompt}. Assistant:";

inline constexpr char kChatTemplate[] =
    "<|im_start|>user\n{prompt}<|im_end|>\n<|im_start|>assistant\n";

class PromptFormatter {
 public:
  // Text wins over name; neither set means "raw". Errors: an unknown name, or a text without
  // "{prompt}".
  static absl::StatusOr<PromptFormatter> Create(const rlvr::v1::PromptTemplate& config);

  std::string Format(std::string_view prompt) const;
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

}  // namespace rlvr

#endif  // RLVR_TRAINER_PROMPT_TEMPLATE_H_
