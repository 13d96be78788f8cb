// Loading the verifiers a user adds without rebuilding rlvr: shared libraries (dlopen, the C ABI
// in plugin_abi.h) and remote servers implementing the rlvr.v1.Verifier gRPC service.
#ifndef RLVR_VERIFIERS_PLUGINS_H_
#define RLVR_VERIFIERS_PLUGINS_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "rlvr/v1/config.pb.h"
#include "verifiers/registry.h"
#include "verifiers/verifier.h"

namespace rlvr {

// dlopens `path`, checks its ABI version against RLVR_VERIFIER_ABI_VERSION and adds every
// verifier it registers to `registry` as an instance. Errors name the path and say what is wrong
// (file not found, missing symbol, "ABI version 2, this build expects 1", duplicate name).
// The library is never unloaded.
absl::Status LoadSharedLibraryPlugin(const std::string& path, VerifierRegistry* registry);

struct RemoteVerifierOptions {
  // Deadline of one attempt (also capped by the item's own deadline).
  absl::Duration timeout = absl::Seconds(10);
  // Attempts after the first one, made when the server is UNAVAILABLE or an attempt times out.
  int max_retries = 2;
  // Wait before retry k (k = 1, 2, ...) is backoff * 2^(k-1).
  absl::Duration backoff = absl::Milliseconds(50);
};

// A verifier that sends each item, with verifier = `name`, to Verifier.Verify at `address`
// ("host:port"). A server that stays down through every retry yields UNAVAILABLE naming the
// address and the number of attempts.
std::unique_ptr<Verifier> MakeRemoteVerifier(const std::string& address, const std::string& name,
                                             const RemoteVerifierOptions& options = {});

// The names a remote server serves (Verifier.ListVerifiers), with the same timeout and retries.
absl::StatusOr<std::vector<std::string>> ListRemoteVerifiers(
    const std::string& address, const RemoteVerifierOptions& options = {});

// Loads one PluginSpec: a shared library, or a remote server whose `names` become instances
// (when `names` is empty they are asked from the server, which must then be up).
// PluginSpec.timeout_ms > 0 overrides the default attempt timeout; PluginSpec.max_retries is
// used as given (0: a single attempt).
absl::Status LoadPlugin(const rlvr::v1::PluginSpec& spec, VerifierRegistry* registry);

}  // namespace rlvr

#endif  // RLVR_VERIFIERS_PLUGINS_H_
