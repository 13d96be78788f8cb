#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/cuda/rmsnorm.h"

namespace rlvr::cuda {
namespace {

// Plain reference: the definition of RMSNorm.
std::vector<float> RmsNormReference(const std::vector<float>& x, const std::vector<float>& w,
                                    int rows, int dim, float eps) {
  std::vector<float> out(x.size());
  for (int r = 0; r < rows; ++r) {
    double ss = 0;
    for (int i = 0; i < dim; ++i) ss += double(x[r * dim + i]) * x[r * dim + i];
    const double inv = 1.0 / std::sqrt(ss / dim + eps);
    for (int i = 0; i < dim; ++i) out[r * dim + i] = float(x[r * dim + i] * inv * w[i]);
  }
  return out;
}

TEST(RmsNormCuda, MatchesReferenceOnRandomRows) {
  absl::StatusOr<int> devices = DeviceCount();
  if (!devices.ok()) GTEST_SKIP() << "GPU test skipped: " << devices.status().message();
  const int rows = 37, dim = 1000;
  std::mt19937 gen(7);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> x(rows * dim), w(dim), out;
  for (float& v : x) v = dist(gen);
  for (float& v : w) v = dist(gen);
  ASSERT_TRUE(RmsNormForwardHost(x, w, rows, dim, 1e-6f, &out).ok());
  std::vector<float> ref = RmsNormReference(x, w, rows, dim, 1e-6f);
  for (size_t i = 0; i < ref.size(); ++i)
    EXPECT_NEAR(out[i], ref[i], 1e-4f * (1 + std::fabs(ref[i])));
}

TEST(RmsNormCuda, RejectsShapeMismatch) {
  std::vector<float> x(10), w(3), out;
  EXPECT_EQ(RmsNormForwardHost(x, w, 2, 4, 1e-6f, &out).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace rlvr::cuda
