// When a completion ends: a stop token id, or a stop string appearing in the decoded text.
#ifndef RLVR_ROLLOUT_STOP_CONDITION_H_
#define RLVR_ROLLOUT_STOP_CONDITION_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/types/span.h"

namespace rlvr {

// The text of single tokens, so that stop strings can be matched while generating. Byte-level
// vocabularies (GPT-2 style, Qwen) decode a sequence as the concatenation of its tokens' bytes,
// which is what the engine relies on.
class TokenDecoder {
 public:
  virtual ~TokenDecoder() = default;
  // The raw bytes of token `id` (empty for special or unknown ids).
  virtual std::string TokenBytes(int32_t id) const = 0;
};

// True when token is one of stop_token_ids.
bool IsStopToken(int32_t token, absl::Span<const int32_t> stop_token_ids);

// True when one of stop_strings occurs in text at a position that ends after the first
// `checked_prefix` bytes, i.e. an occurrence that the bytes appended since the last check helped
// form. Empty stop strings never match.
bool EndsInNewStopString(const std::string& text, size_t checked_prefix,
                         const std::vector<std::string>& stop_strings);

}  // namespace rlvr

#endif  // RLVR_ROLLOUT_STOP_CONDITION_H_
