// Optimized LM head fused with log-softmax: logits exist only for kLogitChunk rows at a time.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/cpu/cpu_backend.h"

namespace rlvr::cpu {
namespace {

// Rows of logits materialized at once (fixed, so results do not depend on the thread count).
constexpr int64_t kLogitChunk = 64;

}  // namespace

void CpuBackend::LogprobForward(const float* h, const float* w, const int32_t* targets,
                                int64_t tokens, int64_t dim, int64_t vocab, float* logprob,
                                float* entropy, float* lse) const {
  std::vector<float> z(std::min(tokens, kLogitChunk) * vocab);
  for (int64_t c0 = 0; c0 < tokens; c0 += kLogitChunk) {
    const int64_t rows = std::min(kLogitChunk, tokens - c0);
    Gemm(false, true, rows, vocab, dim, 1.0f, h + c0 * dim, dim, w, dim, 0.0f, z.data(), vocab);
    For(rows, vocab * 8, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const float* zr = z.data() + r * vocab;
        const float mx = *std::max_element(zr, zr + vocab);
        double sum = 0, sum_ez = 0;
        for (int64_t j = 0; j < vocab; ++j) {
          const float e = std::exp(zr[j] - mx);
          sum += e;
          sum_ez += static_cast<double>(e) * zr[j];
        }
        const double l = mx + std::log(sum);
        const int64_t t = c0 + r;
        lse[t] = static_cast<float>(l);
        logprob[t] = targets[t] >= 0 ? static_cast<float>(zr[targets[t]] - l) : 0.0f;
        if (entropy != nullptr) entropy[t] = static_cast<float>(l - sum_ez / sum);
      }
    });
  }
}

void CpuBackend::LogprobBackward(const float* dlogprob, const float* dentropy, const float* h,
                                 const float* w, const int32_t* targets, const float* lse,
                                 const float* entropy, int64_t tokens, int64_t dim, int64_t vocab,
                                 float* dh, float* dw) const {
  std::vector<float> z(std::min(tokens, kLogitChunk) * vocab);
  for (int64_t c0 = 0; c0 < tokens; c0 += kLogitChunk) {
    const int64_t rows = std::min(kLogitChunk, tokens - c0);
    Gemm(false, true, rows, vocab, dim, 1.0f, h + c0 * dim, dim, w, dim, 0.0f, z.data(), vocab);
    // z becomes dz = dlogprob (onehot - p) - dentropy p (z - E_p[z]).
    For(rows, vocab * 4, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const int64_t t = c0 + r;
        float* zr = z.data() + r * vocab;
        const float g = targets[t] >= 0 ? dlogprob[t] : 0.0f;
        const float ge = dentropy != nullptr ? dentropy[t] : 0.0f;
        if (g == 0.0f && ge == 0.0f) {
          std::fill(zr, zr + vocab, 0.0f);
          continue;
        }
        const float l = lse[t];
        const float mean_z = ge != 0.0f ? l - entropy[t] : 0.0f;
        for (int64_t j = 0; j < vocab; ++j) {
          const float p = std::exp(zr[j] - l);
          zr[j] = -g * p - ge * p * (zr[j] - mean_z);
        }
        if (g != 0.0f) zr[targets[t]] += g;
      }
    });
    Gemm(false, false, rows, dim, vocab, 1.0f, z.data(), vocab, w, dim, 0.0f, dh + c0 * dim, dim);
    Gemm(true, false, vocab, dim, rows, 1.0f, z.data(), vocab, h + c0 * dim, dim, 1.0f, dw, dim);
  }
}

}  // namespace rlvr::cpu
