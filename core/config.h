// Loading experiment and service configs: protobuf text-format files plus command-line
// overrides.
//
//   rlvr-trainer --config configs/x.textproto --set optimizer.learning_rate=1e-6
//                --set 'reward.verifiers[0].weight=0.5' --print-config
//
// Every error names where the problem is: "configs/x.textproto:12:3: Message type
// "rlvr.v1.OptimizerConfig" has no field named "lerning_rate"", "--set optimizer.lr=1: no field
// 'lr' in rlvr.v1.OptimizerConfig", "configs/x.textproto: missing required field
// 'model.path'".
#ifndef RLVR_CORE_CONFIG_H_
#define RLVR_CORE_CONFIG_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"

namespace rlvr {

// Parses text-format `text` into *out (cleared first). `source_name` is used in error messages.
absl::Status ParseConfigText(std::string_view text, std::string_view source_name,
                             google::protobuf::Message* out);

// Applies one override "path.to.field=value" to *msg.
//   - path segments are field names; a repeated field may be indexed: "verifiers[1].weight"
//     (index == size appends a new element).
//   - value is text-format for the field: a number, true/false, an enum name, a string (quotes
//     optional), a message "{ name: 'math' weight: 1 }", or for an unindexed repeated field a
//     list "[1, 2, 3]" that replaces the whole field.
absl::Status ApplyOverride(std::string_view assignment, google::protobuf::Message* msg);

// Returns an error naming the first field marked [(rlvr.v1.required) = true] that is unset, as a
// dotted path ("model.path"), in any message reachable from *msg that is present.
absl::Status CheckRequiredFields(const google::protobuf::Message& msg,
                                 std::string_view source_name);

// Reads `path`, parses it, applies `overrides` in order, then checks required fields.
absl::Status LoadConfig(const std::string& path, const std::vector<std::string>& overrides,
                        google::protobuf::Message* out);

// The effective config as text format (what --print-config shows).
std::string ConfigToText(const google::protobuf::Message& msg);

// Command-line arguments common to every rlvr binary.
struct ConfigArgs {
  std::string config_path;             // --config PATH
  std::vector<std::string> overrides;  // --set a.b=c (repeatable)
  bool print_config = false;           // --print-config
  bool help = false;                   // --help / -h
  std::vector<std::string> rest;       // everything else, in order
};

// Parses argv (argv[0] skipped). Accepts "--config X" and "--config=X", likewise for --set.
absl::StatusOr<ConfigArgs> ParseConfigArgs(int argc, char** argv);

}  // namespace rlvr

#endif  // RLVR_CORE_CONFIG_H_
