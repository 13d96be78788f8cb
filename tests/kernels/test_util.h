// Helpers for kernel tests: seeded random inputs and central finite differences.
#ifndef RLVR_TESTS_KERNELS_TEST_UTIL_H_
#define RLVR_TESTS_KERNELS_TEST_UTIL_H_

#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace rlvr::testing {

inline std::vector<float> RandomVector(int64_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-scale, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(gen);
  return v;
}

inline double Dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

// Checks analytic[i] against (L(x + eps e_i) - L(x - eps e_i)) / 2 eps for every i (or every
// stride-th i), where loss() reads *x. Tolerance: |a - n| <= atol + rtol * max(|a|, |n|).
inline void ExpectGradientMatches(const std::string& what, std::vector<float>* x,
                                  const std::vector<float>& analytic,
                                  const std::function<double()>& loss, float eps = 1e-2f,
                                  double atol = 2e-3, double rtol = 2e-2, int stride = 1) {
  ASSERT_EQ(x->size(), analytic.size()) << what;
  int bad = 0;
  for (size_t i = 0; i < x->size(); i += stride) {
    const float keep = (*x)[i];
    (*x)[i] = keep + eps;
    const double up = loss();
    (*x)[i] = keep - eps;
    const double down = loss();
    (*x)[i] = keep;
    const double numeric = (up - down) / (2.0 * eps);
    const double tol = atol + rtol * std::max(std::fabs(numeric), std::fabs(double{analytic[i]}));
    if (std::fabs(numeric - analytic[i]) > tol && bad++ < 5) {
      ADD_FAILURE() << what << "[" << i << "]: analytic " << analytic[i] << " numeric " << numeric;
    }
  }
  EXPECT_EQ(bad, 0) << what;
}

// max |a - b| / (atol + rtol |b|) <= 1 elementwise.
inline void ExpectClose(const std::string& what, const std::vector<float>& a,
                        const std::vector<float>& b, double atol, double rtol) {
  ASSERT_EQ(a.size(), b.size()) << what;
  int bad = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!(std::fabs(double{a[i]} - b[i]) <= atol + rtol * std::fabs(double{b[i]})) && bad++ < 5) {
      ADD_FAILURE() << what << "[" << i << "]: " << a[i] << " vs " << b[i];
    }
  }
  EXPECT_EQ(bad, 0) << what;
}

}  // namespace rlvr::testing

#endif  // RLVR_TESTS_KERNELS_TEST_UTIL_H_
