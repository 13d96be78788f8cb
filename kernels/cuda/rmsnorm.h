// CUDA RMSNorm, the same contract as the CPU op:
//   out[r, i] = x[r, i] / sqrt(mean_i(x[r, :]^2) + eps) * weight[i]
#ifndef RLVR_KERNELS_CUDA_RMSNORM_H_
#define RLVR_KERNELS_CUDA_RMSNORM_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace rlvr::cuda {

// Number of CUDA devices usable from this process, or an error saying why none can be used
// (no driver, driver too old, no device).
absl::StatusOr<int> DeviceCount();

// Host-memory convenience: copies in, runs the kernel, copies out. x and out are [rows, dim].
absl::Status RmsNormForwardHost(const std::vector<float>& x, const std::vector<float>& weight,
                                int rows, int dim, float eps, std::vector<float>* out);

}  // namespace rlvr::cuda

#endif  // RLVR_KERNELS_CUDA_RMSNORM_H_
