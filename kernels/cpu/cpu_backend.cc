// The optimized CPU backend: thread pool plumbing and the elementwise / row-wise ops.
#include "kernels/cpu/cpu_backend.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <thread>
#include <vector>

namespace rlvr {
namespace cpu {
namespace {

// Below this much work (roughly, flops) an op runs on the calling thread.
constexpr int64_t kMinParallelWork = 1 << 15;
// SumSquares adds partial sums of blocks of this many floats, in block order.
constexpr int64_t kSumBlock = 1 << 14;

}  // namespace

float DotF(const float* a, const float* b, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; ++j) acc[j] += a[i + j] * b[i + j];
  }
  for (int j = 0; i < n; ++i, ++j) acc[j] += a[i] * b[i];
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

void AxpyF(float a, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

CpuBackend::CpuBackend(int num_threads) {
  if (num_threads <= 0) num_threads = static_cast<int>(std::thread::hardware_concurrency());
  num_threads_ = std::max(num_threads, 1);
  if (num_threads_ > 1) pool_ = std::make_unique<ThreadPool>(num_threads_);
  // Parallelism comes from this pool; OpenBLAS threads on top would oversubscribe the cores.
  openblas_set_num_threads(1);
}

void CpuBackend::For(int64_t n, int64_t cost_per_item,
                     const std::function<void(int64_t, int64_t)>& fn) const {
  if (n <= 0) return;
  if (pool_ == nullptr || n == 1 || n * cost_per_item < kMinParallelWork) {
    fn(0, n);
    return;
  }
  pool_->ParallelFor(0, n, fn);
}

void CpuBackend::Gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                      const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                      float* c, int64_t ldc) const {
  if (m == 0 || n == 0) return;
  const CBLAS_TRANSPOSE ta = trans_a ? CblasTrans : CblasNoTrans;
  const CBLAS_TRANSPOSE tb = trans_b ? CblasTrans : CblasNoTrans;
  if (m >= n || m >= 4 * num_threads_) {
    For(m, n * k, [&](int64_t r0, int64_t r1) {
      cblas_sgemm(CblasRowMajor, ta, tb, r1 - r0, n, k, alpha, trans_a ? a + r0 : a + r0 * lda, lda,
                  b, ldb, beta, c + r0 * ldc, ldc);
    });
  } else {
    For(n, m * k, [&](int64_t c0, int64_t c1) {
      cblas_sgemm(CblasRowMajor, ta, tb, m, c1 - c0, k, alpha, a, lda,
                  trans_b ? b + c0 * ldb : b + c0, ldb, beta, c + c0, ldc);
    });
  }
}

void CpuBackend::EmbeddingBackward(const int32_t* ids, int64_t n, const float* dout, int64_t dim,
                                   float* dtable) const {
  // Split over columns so that each table entry is summed over tokens in token order.
  For(dim, n, [&](int64_t c0, int64_t c1) {
    for (int64_t i = 0; i < n; ++i) {
      float* row = dtable + static_cast<int64_t>(ids[i]) * dim;
      for (int64_t c = c0; c < c1; ++c) row[c] += dout[i * dim + c];
    }
  });
}

void CpuBackend::RmsNormForward(const float* x, const float* w, int64_t rows, int64_t dim,
                                float eps, float* out, float* rstd) const {
  For(rows, dim, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* xr = x + r * dim;
      const float ss = DotF(xr, xr, dim);
      const float rs = 1.0f / std::sqrt(ss / static_cast<float>(dim) + eps);
      rstd[r] = rs;
      float* o = out + r * dim;
      for (int64_t i = 0; i < dim; ++i) o[i] = w[i] * (xr[i] * rs);
    }
  });
}

void CpuBackend::RmsNormBackward(const float* dout, const float* x, const float* w,
                                 const float* rstd, int64_t rows, int64_t dim, float* dx,
                                 float* dw) const {
  For(rows, dim, [&](int64_t r0, int64_t r1) {
    std::vector<float> dw_x(dim);
    for (int64_t r = r0; r < r1; ++r) {
      const float* xr = x + r * dim;
      const float* dr = dout + r * dim;
      for (int64_t i = 0; i < dim; ++i) dw_x[i] = dr[i] * w[i];
      const float rs = rstd[r];
      const float c = DotF(dw_x.data(), xr, dim) * rs * rs * rs / static_cast<float>(dim);
      float* d = dx + r * dim;
      for (int64_t i = 0; i < dim; ++i) d[i] = rs * dw_x[i] - c * xr[i];
    }
  });
  For(dim, rows, [&](int64_t c0, int64_t c1) {
    for (int64_t r = 0; r < rows; ++r) {
      const float rs = rstd[r];
      for (int64_t i = c0; i < c1; ++i) dw[i] += dout[r * dim + i] * x[r * dim + i] * rs;
    }
  });
}

void CpuBackend::LinearForward(const float* x, const float* w, const float* b, int64_t rows,
                               int64_t in, int64_t out, float* y) const {
  if (rows == 0) return;
  Gemm(false, true, rows, out, in, 1.0f, x, in, w, in, 0.0f, y, out);
  if (b == nullptr) return;
  For(rows, out, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      for (int64_t o = 0; o < out; ++o) y[r * out + o] += b[o];
    }
  });
}

void CpuBackend::LinearBackward(const float* dy, const float* x, const float* w, int64_t rows,
                                int64_t in, int64_t out, float* dx, float dx_beta, float* dw,
                                float* db) const {
  if (rows == 0) return;
  if (dx != nullptr) {
    Gemm(false, false, rows, in, out, 1.0f, dy, out, w, in, dx_beta, dx, in);
  }
  Gemm(true, false, out, in, rows, 1.0f, dy, out, x, in, 1.0f, dw, in);
  if (db == nullptr) return;
  For(out, rows, [&](int64_t o0, int64_t o1) {
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t o = o0; o < o1; ++o) db[o] += dy[r * out + o];
    }
  });
}

namespace {

void RopeRows(float* x, const int32_t* positions, int64_t t0, int64_t t1, int heads, int head_dim,
              float theta, float sign) {
  const int half = head_dim / 2;
  std::vector<float> inv(half), c(half), s(half);
  for (int i = 0; i < half; ++i) inv[i] = RopeInvFreq(i, head_dim, theta);
  for (int64_t t = t0; t < t1; ++t) {
    for (int i = 0; i < half; ++i) {
      const float angle = static_cast<float>(positions[t]) * inv[i];
      c[i] = static_cast<float>(std::cos(static_cast<double>(angle)));
      s[i] = sign * static_cast<float>(std::sin(static_cast<double>(angle)));
    }
    for (int h = 0; h < heads; ++h) {
      float* xh = x + (t * heads + h) * head_dim;
      for (int i = 0; i < half; ++i) {
        const float a = xh[i], b = xh[i + half];
        xh[i] = a * c[i] - b * s[i];
        xh[i + half] = b * c[i] + a * s[i];
      }
    }
  }
}

}  // namespace

void CpuBackend::RopeForward(float* x, const int32_t* positions, int64_t tokens, int heads,
                             int head_dim, float theta) const {
  For(tokens, heads * head_dim * 4, [&](int64_t t0, int64_t t1) {
    RopeRows(x, positions, t0, t1, heads, head_dim, theta, 1.0f);
  });
}

void CpuBackend::RopeBackward(float* dx, const int32_t* positions, int64_t tokens, int heads,
                              int head_dim, float theta) const {
  For(tokens, heads * head_dim * 4, [&](int64_t t0, int64_t t1) {
    RopeRows(dx, positions, t0, t1, heads, head_dim, theta, -1.0f);
  });
}

void CpuBackend::Add(const float* a, const float* b, int64_t n, float* out) const {
  For(n, 1, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) out[i] = a[i] + b[i];
  });
}

void CpuBackend::SigmoidGateForward(const float* logit, const float* x, int64_t tokens, int64_t dim,
                                    float* out) const {
  For(tokens, dim, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      AxpyF(1.0f / (1.0f + std::exp(-logit[t])), x + t * dim, out + t * dim, dim);
    }
  });
}

void CpuBackend::SigmoidGateBackward(const float* dout, const float* logit, const float* x,
                                     int64_t tokens, int64_t dim, float* dx, float* dlogit) const {
  For(tokens, dim, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const float s = 1.0f / (1.0f + std::exp(-logit[t]));
      for (int64_t i = 0; i < dim; ++i) dx[t * dim + i] = s * dout[t * dim + i];
      dlogit[t] = DotF(dout + t * dim, x + t * dim, dim) * s * (1.0f - s);
    }
  });
}

void CpuBackend::SwiGluForward(const float* gate, const float* up, int64_t n, float* out) const {
  For(n, 16, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const float g = gate[i];
      out[i] = g / (1.0f + std::exp(-g)) * up[i];
    }
  });
}

void CpuBackend::SwiGluBackward(const float* dout, const float* gate, const float* up, int64_t n,
                                float* dgate, float* dup) const {
  For(n, 16, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const float g = gate[i];
      const float sig = 1.0f / (1.0f + std::exp(-g));
      dup[i] = dout[i] * g * sig;
      dgate[i] = dout[i] * up[i] * sig * (1.0f + g * (1.0f - sig));
    }
  });
}

void CpuBackend::MoeGather(const float* x, const int32_t* token_of, int64_t rows, int64_t dim,
                           float* out) const {
  For(rows, dim, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      std::memcpy(out + r * dim, x + static_cast<int64_t>(token_of[r]) * dim, dim * sizeof(float));
    }
  });
}

void CpuBackend::MoeGatherBackward(const float* dgathered, const int32_t* slot_of, int64_t tokens,
                                   int top_k, int64_t dim, float* dx) const {
  For(tokens, dim * top_k, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      for (int i = 0; i < top_k; ++i) {
        AxpyF(1.0f, dgathered + static_cast<int64_t>(slot_of[t * top_k + i]) * dim, dx + t * dim,
              dim);
      }
    }
  });
}

void CpuBackend::MoeCombine(const float* expert_out, const int32_t* slot_of, const float* w,
                            int64_t tokens, int top_k, int64_t dim, float* out) const {
  For(tokens, dim * top_k, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      float* o = out + t * dim;
      std::fill(o, o + dim, 0.0f);
      for (int i = 0; i < top_k; ++i) {
        AxpyF(w[t * top_k + i], expert_out + static_cast<int64_t>(slot_of[t * top_k + i]) * dim, o,
              dim);
      }
    }
  });
}

void CpuBackend::MoeCombineBackward(const float* dout, const float* expert_out,
                                    const int32_t* slot_of, const float* w, int64_t tokens,
                                    int top_k, int64_t dim, float* dexpert_out, float* dw) const {
  For(tokens, dim * top_k, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const float* d = dout + t * dim;
      for (int i = 0; i < top_k; ++i) {
        const int64_t slot = slot_of[t * top_k + i];
        const float wi = w[t * top_k + i];
        float* de = dexpert_out + slot * dim;
        for (int64_t c = 0; c < dim; ++c) de[c] = wi * d[c];
        dw[t * top_k + i] = DotF(d, expert_out + slot * dim, dim);
      }
    }
  });
}

void CpuBackend::AdamWStep(const AdamWParams& hp, float* param, const float* grad, float* m,
                           float* v, int64_t n) const {
  const double bc1 = 1.0 - std::pow(static_cast<double>(hp.beta1), static_cast<double>(hp.step));
  const double bc2 = 1.0 - std::pow(static_cast<double>(hp.beta2), static_cast<double>(hp.step));
  const float step_size = static_cast<float>(hp.lr / bc1);
  const float bc2_sqrt = static_cast<float>(std::sqrt(bc2));
  const float decay = 1.0f - hp.lr * hp.weight_decay;
  For(n, 8, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      param[i] *= decay;
      m[i] = hp.beta1 * m[i] + (1.0f - hp.beta1) * grad[i];
      v[i] = hp.beta2 * v[i] + (1.0f - hp.beta2) * grad[i] * grad[i];
      param[i] -= step_size * m[i] / (std::sqrt(v[i]) / bc2_sqrt + hp.eps);
    }
  });
}

double CpuBackend::SumSquares(const float* x, int64_t n) const {
  const int64_t blocks = (n + kSumBlock - 1) / kSumBlock;
  std::vector<double> partial(blocks);
  For(blocks, kSumBlock, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t begin = b * kSumBlock, len = std::min(kSumBlock, n - begin);
      partial[b] = DotF(x + begin, x + begin, len);
    }
  });
  double sum = 0;
  for (double p : partial) sum += p;
  return sum;
}

void CpuBackend::Scale(float* x, int64_t n, float s) const {
  For(n, 1, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) x[i] *= s;
  });
}

}  // namespace cpu

std::unique_ptr<Backend> MakeCpuBackend(int num_threads) {
  return std::make_unique<cpu::CpuBackend>(num_threads);
}

}  // namespace rlvr
