#include "rollout/stop_condition.h"

#include <algorithm>

namespace rlvr {

bool IsStopToken(int32_t token, absl::Span<const int32_t> stop_token_ids) {
  return std::find(stop_token_ids.begin(), stop_token_ids.end(), token) != stop_token_ids.end();
}

bool EndsInNewStopString(const std::string& text, size_t checked_prefix,
                         const std::vector<std::string>& stop_strings) {
  for (const std::string& stop : stop_strings) {
    if (stop.empty() || stop.size() > text.size()) continue;
    // An occurrence that ends after checked_prefix starts at or after this.
    const size_t from = checked_prefix >= stop.size() ? checked_prefix - stop.size() + 1 : 0;
    if (text.find(stop, from) != std::string::npos) return true;
  }
  return false;
}

}  // namespace rlvr
