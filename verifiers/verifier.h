// The Verifier interface: one model response, judged against its ground truth, becomes a reward
// with named components — or an error saying why it could not be judged.
//
// A verifier that cannot judge (malformed ground truth, missing metadata, a plugin that is down,
// the time budget spent) returns an error status. Callers must never turn such an error into a
// reward of 0: a wrong answer and an unjudgeable one are different facts.
#ifndef RLVR_VERIFIERS_VERIFIER_H_
#define RLVR_VERIFIERS_VERIFIER_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/map.h"

namespace rlvr {

// Per-item key/value data that travels with a response (e.g. countdown's "numbers" and
// "target", code_tests' "language"); the same type as VerifyItem.metadata.
using VerifyMetadata = google::protobuf::Map<std::string, std::string>;

// What a verifier looks at. Views: the caller keeps the strings alive during Verify.
struct VerifyInput {
  std::string_view response;
  std::string_view ground_truth;
  // May be null (no metadata).
  const VerifyMetadata* metadata = nullptr;
  // Verifiers check this cooperatively in long loops and give up with DEADLINE_EXCEEDED.
  absl::Time deadline = absl::InfiniteFuture();

  // The metadata value for key, or nullopt when absent.
  std::optional<std::string_view> Meta(const std::string& key) const {
    if (metadata == nullptr) return std::nullopt;
    auto it = metadata->find(key);
    if (it == metadata->end()) return std::nullopt;
    return std::string_view(it->second);
  }
};

// A judgement. reward is what the trainer optimizes; components break it down for logging (a
// single verifier usually reports one component under its own name).
struct Judgement {
  double reward = 0.0;
  std::map<std::string, double> components;
  // A short human-readable explanation ("extracted 3/4, expected 0.75: equal").
  std::string detail;
};

class Verifier {
 public:
  virtual ~Verifier() = default;

  // The verifier's kind name ("math", "countdown", ...), used in messages.
  virtual std::string_view name() const = 0;

  // Judges one response. Must be safe to call concurrently from several threads, must not
  // crash or hang on any input (responses are untrusted model output), and must return
  // promptly once input.deadline has passed. An error status means "could not judge".
  virtual absl::StatusOr<Judgement> Verify(const VerifyInput& input) const = 0;
};

}  // namespace rlvr

#endif  // RLVR_VERIFIERS_VERIFIER_H_
