// An example verifier plugin as a shared library: "keyword" rewards the fraction of the
// comma-separated keywords in the ground truth that appear in the response.
//
// Build it with any C or C++ compiler against verifiers/plugin_abi.h (it needs nothing else from
// rlvr), then name the .so in the experiment config:
//
//   reward {
//     plugins { shared_library: "build/plugins/librlvr_keyword_verifier.so" }
//     verifiers { name: "keyword" weight: 0.5 }
//   }
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "verifiers/plugin_abi.h"

namespace {

// For the ABI-mismatch test, the same source is also built claiming another ABI version.
#ifdef RLVR_EXAMPLE_CLAIMED_ABI_VERSION
constexpr uint32_t kAbiVersion = RLVR_EXAMPLE_CLAIMED_ABI_VERSION;
#else
constexpr uint32_t kAbiVersion = RLVR_VERIFIER_ABI_VERSION;
#endif

std::vector<std::string_view> SplitKeywords(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string_view::npos) comma = s.size();
    std::string_view k = s.substr(start, comma - start);
    while (!k.empty() && k.front() == ' ') k.remove_prefix(1);
    while (!k.empty() && k.back() == ' ') k.remove_suffix(1);
    if (!k.empty()) out.push_back(k);
    start = comma + 1;
  }
  return out;
}

int VerifyKeywords(void* /*user_data*/, const RlvrVerifyArgs* args, const RlvrVerifyOutput* out) {
  std::string_view response(args->response, args->response_len);
  std::vector<std::string_view> keywords =
      SplitKeywords(std::string_view(args->ground_truth, args->ground_truth_len));
  if (keywords.empty()) {
    // Could not judge: the host reports this as an error, never as a reward of 0.
    const char kReason[] = "ground truth has no keywords";
    out->set_detail(out->ctx, kReason, sizeof(kReason) - 1);
    return RLVR_VERIFY_ERROR;
  }
  int found = 0;
  for (std::string_view k : keywords) found += response.find(k) != std::string_view::npos;
  double reward = static_cast<double>(found) / keywords.size();
  out->set_reward(out->ctx, reward);
  out->add_component(out->ctx, "keyword", 7, reward);
  std::string detail = std::to_string(found) + "/" + std::to_string(keywords.size()) + " keywords";
  out->set_detail(out->ctx, detail.data(), detail.size());
  return RLVR_VERIFY_JUDGED;
}

}  // namespace

extern "C" RLVR_PLUGIN_EXPORT uint32_t rlvr_verifier_abi_version(void) { return kAbiVersion; }

extern "C" RLVR_PLUGIN_EXPORT int rlvr_register_verifiers(const RlvrPluginHost* host) {
  RlvrVerifierDef def;
  std::memset(&def, 0, sizeof(def));
  def.name = "keyword";
  def.user_data = nullptr;
  def.verify = VerifyKeywords;
  def.destroy = nullptr;
  return host->register_verifier(host->ctx, &def);
}
