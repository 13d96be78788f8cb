// Reference loops for the elementwise, normalization, GEMM and output ops.
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/cpu/reference_backend.h"

namespace rlvr::cpu {

float RopeInvFreq(int i, int head_dim, float theta) {
  const float exponent = static_cast<float>(2 * i) / static_cast<float>(head_dim);
  return 1.0f / std::pow(theta, exponent);
}

void ReferenceBackend::EmbeddingForward(const int32_t* ids, int64_t n, const float* table,
                                        int64_t dim, float* out) const {
  for (int64_t i = 0; i < n; ++i) {
    std::memcpy(out + i * dim, table + static_cast<int64_t>(ids[i]) * dim, dim * sizeof(float));
  }
}

void ReferenceBackend::EmbeddingBackward(const int32_t* ids, int64_t n, const float* dout,
                                         int64_t dim, float* dtable) const {
  for (int64_t i = 0; i < n; ++i) {
    float* row = dtable + static_cast<int64_t>(ids[i]) * dim;
    for (int64_t j = 0; j < dim; ++j) row[j] += dout[i * dim + j];
  }
}

void ReferenceBackend::RmsNormForward(const float* x, const float* w, int64_t rows, int64_t dim,
                                      float eps, float* out, float* rstd) const {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * dim;
    double ss = 0;
    for (int64_t i = 0; i < dim; ++i) ss += static_cast<double>(xr[i]) * xr[i];
    const float rs = static_cast<float>(1.0 / std::sqrt(ss / dim + eps));
    rstd[r] = rs;
    for (int64_t i = 0; i < dim; ++i) out[r * dim + i] = w[i] * (xr[i] * rs);
  }
}

void ReferenceBackend::RmsNormBackward(const float* dout, const float* x, const float* w,
                                       const float* rstd, int64_t rows, int64_t dim, float* dx,
                                       float* dw) const {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * dim;
    const float* dr = dout + r * dim;
    const double rs = rstd[r];
    double dot = 0;  // sum_i dout_i w_i x_i
    for (int64_t i = 0; i < dim; ++i) dot += static_cast<double>(dr[i]) * w[i] * xr[i];
    const double c = dot * rs * rs * rs / dim;
    for (int64_t i = 0; i < dim; ++i) {
      dx[r * dim + i] = static_cast<float>(rs * dr[i] * w[i] - c * xr[i]);
      dw[i] += static_cast<float>(dr[i] * xr[i] * rs);
    }
  }
}

void ReferenceBackend::LinearForward(const float* x, const float* w, const float* b, int64_t rows,
                                     int64_t in, int64_t out, float* y) const {
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t o = 0; o < out; ++o) {
      double acc = b != nullptr ? b[o] : 0.0;
      for (int64_t i = 0; i < in; ++i) acc += static_cast<double>(x[r * in + i]) * w[o * in + i];
      y[r * out + o] = static_cast<float>(acc);
    }
  }
}

void ReferenceBackend::LinearBackward(const float* dy, const float* x, const float* w, int64_t rows,
                                      int64_t in, int64_t out, float* dx, float dx_beta, float* dw,
                                      float* db) const {
  if (dx != nullptr) {
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t i = 0; i < in; ++i) {
        double acc = 0;
        for (int64_t o = 0; o < out; ++o)
          acc += static_cast<double>(dy[r * out + o]) * w[o * in + i];
        dx[r * in + i] = static_cast<float>((dx_beta != 0 ? dx_beta * dx[r * in + i] : 0.0) + acc);
      }
    }
  }
  for (int64_t o = 0; o < out; ++o) {
    for (int64_t i = 0; i < in; ++i) {
      double acc = 0;
      for (int64_t r = 0; r < rows; ++r)
        acc += static_cast<double>(dy[r * out + o]) * x[r * in + i];
      dw[o * in + i] += static_cast<float>(acc);
    }
    if (db != nullptr) {
      double acc = 0;
      for (int64_t r = 0; r < rows; ++r) acc += dy[r * out + o];
      db[o] += static_cast<float>(acc);
    }
  }
}

namespace {

// Rotates each head of x by the angle of its token's position; sign -1 applies the inverse.
void RopeRotate(float* x, const int32_t* positions, int64_t tokens, int heads, int head_dim,
                float theta, float sign) {
  const int half = head_dim / 2;
  for (int64_t t = 0; t < tokens; ++t) {
    for (int i = 0; i < half; ++i) {
      const float angle = static_cast<float>(positions[t]) * RopeInvFreq(i, head_dim, theta);
      const float c = static_cast<float>(std::cos(static_cast<double>(angle)));
      const float s = sign * static_cast<float>(std::sin(static_cast<double>(angle)));
      for (int h = 0; h < heads; ++h) {
        float* xh = x + (t * heads + h) * head_dim;
        const float a = xh[i];
        const float b = xh[i + half];
        xh[i] = a * c - b * s;
        xh[i + half] = b * c + a * s;
      }
    }
  }
}

}  // namespace

void ReferenceBackend::RopeForward(float* x, const int32_t* positions, int64_t tokens, int heads,
                                   int head_dim, float theta) const {
  RopeRotate(x, positions, tokens, heads, head_dim, theta, 1.0f);
}

void ReferenceBackend::RopeBackward(float* dx, const int32_t* positions, int64_t tokens, int heads,
                                    int head_dim, float theta) const {
  RopeRotate(dx, positions, tokens, heads, head_dim, theta, -1.0f);
}

void ReferenceBackend::Add(const float* a, const float* b, int64_t n, float* out) const {
  for (int64_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
}

void ReferenceBackend::SigmoidGateForward(const float* logit, const float* x, int64_t tokens,
                                          int64_t dim, float* out) const {
  for (int64_t t = 0; t < tokens; ++t) {
    const float s = 1.0f / (1.0f + std::exp(-logit[t]));
    for (int64_t i = 0; i < dim; ++i) out[t * dim + i] += s * x[t * dim + i];
  }
}

void ReferenceBackend::SigmoidGateBackward(const float* dout, const float* logit, const float* x,
                                           int64_t tokens, int64_t dim, float* dx,
                                           float* dlogit) const {
  for (int64_t t = 0; t < tokens; ++t) {
    const float s = 1.0f / (1.0f + std::exp(-logit[t]));
    double dot = 0;
    for (int64_t i = 0; i < dim; ++i) {
      dx[t * dim + i] = s * dout[t * dim + i];
      dot += static_cast<double>(dout[t * dim + i]) * x[t * dim + i];
    }
    dlogit[t] = static_cast<float>(dot * s * (1.0f - s));
  }
}

void ReferenceBackend::SwiGluForward(const float* gate, const float* up, int64_t n,
                                     float* out) const {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    out[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

void ReferenceBackend::SwiGluBackward(const float* dout, const float* gate, const float* up,
                                      int64_t n, float* dgate, float* dup) const {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    const float sig = 1.0f / (1.0f + std::exp(-g));
    const float silu = g * sig;
    dup[i] = dout[i] * silu;
    dgate[i] = dout[i] * up[i] * sig * (1.0f + g * (1.0f - sig));
  }
}

void ReferenceBackend::LogprobForward(const float* h, const float* w, const int32_t* targets,
                                      int64_t tokens, int64_t dim, int64_t vocab, float* logprob,
                                      float* entropy, float* lse) const {
  std::vector<float> z(vocab);
  for (int64_t t = 0; t < tokens; ++t) {
    LinearForward(h + t * dim, w, nullptr, 1, dim, vocab, z.data());
    float mx = z[0];
    for (int64_t j = 1; j < vocab; ++j) mx = std::max(mx, z[j]);
    double sum = 0, sum_pz = 0;
    for (int64_t j = 0; j < vocab; ++j) {
      const double e = std::exp(static_cast<double>(z[j]) - mx);
      sum += e;
      sum_pz += e * z[j];
    }
    const double l = mx + std::log(sum);
    lse[t] = static_cast<float>(l);
    logprob[t] = targets[t] >= 0 ? static_cast<float>(z[targets[t]] - l) : 0.0f;
    if (entropy != nullptr) entropy[t] = static_cast<float>(l - sum_pz / sum);
  }
}

void ReferenceBackend::LogprobBackward(const float* dlogprob, const float* dentropy, const float* h,
                                       const float* w, const int32_t* targets, const float* lse,
                                       const float* entropy, int64_t tokens, int64_t dim,
                                       int64_t vocab, float* dh, float* dw) const {
  std::vector<float> z(vocab), dz(vocab);
  for (int64_t t = 0; t < tokens; ++t) {
    LinearForward(h + t * dim, w, nullptr, 1, dim, vocab, z.data());
    const double mean_z = dentropy != nullptr ? lse[t] - entropy[t] : 0.0;  // E_p[z]
    for (int64_t j = 0; j < vocab; ++j) {
      const double p = std::exp(static_cast<double>(z[j]) - lse[t]);
      double g = targets[t] >= 0 ? dlogprob[t] * ((j == targets[t] ? 1.0 : 0.0) - p) : 0.0;
      if (dentropy != nullptr) g -= dentropy[t] * p * (z[j] - mean_z);
      dz[j] = static_cast<float>(g);
    }
    LinearBackward(dz.data(), h + t * dim, w, 1, dim, vocab, dh + t * dim, 0.0f, dw, nullptr);
  }
}

void ReferenceBackend::CrossEntropyForward(const float* logits, const int32_t* targets,
                                           int64_t rows, int64_t vocab, float* loss) const {
  for (int64_t r = 0; r < rows; ++r) {
    const float* z = logits + r * vocab;
    if (targets[r] < 0) {
      loss[r] = 0;
      continue;
    }
    float mx = z[0];
    for (int64_t j = 1; j < vocab; ++j) mx = std::max(mx, z[j]);
    double sum = 0;
    for (int64_t j = 0; j < vocab; ++j) sum += std::exp(static_cast<double>(z[j]) - mx);
    loss[r] = static_cast<float>(mx + std::log(sum) - z[targets[r]]);
  }
}

void ReferenceBackend::CrossEntropyBackward(const float* dloss, const float* logits,
                                            const int32_t* targets, int64_t rows, int64_t vocab,
                                            float* dlogits) const {
  for (int64_t r = 0; r < rows; ++r) {
    const float* z = logits + r * vocab;
    float* dz = dlogits + r * vocab;
    if (targets[r] < 0) {
      for (int64_t j = 0; j < vocab; ++j) dz[j] = 0;
      continue;
    }
    float mx = z[0];
    for (int64_t j = 1; j < vocab; ++j) mx = std::max(mx, z[j]);
    double sum = 0;
    for (int64_t j = 0; j < vocab; ++j) sum += std::exp(static_cast<double>(z[j]) - mx);
    for (int64_t j = 0; j < vocab; ++j) {
      const double p = std::exp(static_cast<double>(z[j]) - mx) / sum;
      dz[j] = static_cast<float>(dloss[r] * (p - (j == targets[r] ? 1.0 : 0.0)));
    }
  }
}

void ReferenceBackend::AdamWStep(const AdamWParams& hp, float* param, const float* grad, float* m,
                                 float* v, int64_t n) const {
  const double bc1 = 1.0 - std::pow(static_cast<double>(hp.beta1), static_cast<double>(hp.step));
  const double bc2 = 1.0 - std::pow(static_cast<double>(hp.beta2), static_cast<double>(hp.step));
  const float step_size = static_cast<float>(hp.lr / bc1);
  const float bc2_sqrt = static_cast<float>(std::sqrt(bc2));
  const float decay = 1.0f - hp.lr * hp.weight_decay;
  for (int64_t i = 0; i < n; ++i) {
    param[i] *= decay;
    m[i] = hp.beta1 * m[i] + (1.0f - hp.beta1) * grad[i];
    v[i] = hp.beta2 * v[i] + (1.0f - hp.beta2) * grad[i] * grad[i];
    const float denom = std::sqrt(v[i]) / bc2_sqrt + hp.eps;
    param[i] -= step_size * m[i] / denom;
  }
}

double ReferenceBackend::SumSquares(const float* x, int64_t n) const {
  double acc = 0;
  for (int64_t i = 0; i < n; ++i) acc += static_cast<double>(x[i]) * x[i];
  return acc;
}

void ReferenceBackend::Scale(float* x, int64_t n, float s) const {
  for (int64_t i = 0; i < n; ++i) x[i] *= s;
}

}  // namespace rlvr::cpu

namespace rlvr {

std::unique_ptr<Backend> MakeReferenceBackend() {
  return std::make_unique<cpu::ReferenceBackend>();
}

}  // namespace rlvr
