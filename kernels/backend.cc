#include "kernels/backend.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace rlvr {

absl::StatusOr<std::unique_ptr<Backend>> MakeBackend(std::string_view name, int num_threads) {
  if (name.empty() || name == "cpu") return MakeCpuBackend(num_threads);
  if (name == "reference") return MakeReferenceBackend();
  if (name == "cuda") {
    return absl::UnimplementedError(
        "model backend 'cuda' cannot run the model yet (only the CUDA RMSNorm kernel exists); "
        "use 'cpu'");
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown kernel backend '", std::string(name), "' (cpu, reference or cuda)"));
}

}  // namespace rlvr
