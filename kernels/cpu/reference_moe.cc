// Reference loops for mixture-of-experts routing, dispatch and combine.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "kernels/cpu/reference_backend.h"

namespace rlvr::cpu {

void ReferenceBackend::RouterForward(const RouterShape& shape, const float* logits,
                                     const float* correction_bias, float* scores, int32_t* topk_idx,
                                     float* topk_w) const {
  const int e = shape.num_experts, k = shape.top_k;
  std::vector<int32_t> order(e);
  std::vector<float> key(e);
  for (int64_t t = 0; t < shape.tokens; ++t) {
    const float* z = logits + t * e;
    float* s = scores + t * e;
    if (shape.scoring == RouterScoring::kSoftmax) {
      float mx = z[0];
      for (int j = 1; j < e; ++j) mx = std::max(mx, z[j]);
      double sum = 0;
      for (int j = 0; j < e; ++j) sum += std::exp(static_cast<double>(z[j]) - mx);
      for (int j = 0; j < e; ++j) {
        s[j] = static_cast<float>(std::exp(static_cast<double>(z[j]) - mx) / sum);
      }
    } else {
      for (int j = 0; j < e; ++j) s[j] = 1.0f / (1.0f + std::exp(-z[j]));
    }
    for (int j = 0; j < e; ++j) key[j] = s[j] + (correction_bias ? correction_bias[j] : 0.0f);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int32_t a, int32_t b) { return key[a] > key[b]; });
    double chosen = 0;
    for (int i = 0; i < k; ++i) chosen += s[order[i]];
    for (int i = 0; i < k; ++i) {
      topk_idx[t * k + i] = order[i];
      const double w = shape.norm_topk_prob ? s[order[i]] / chosen : s[order[i]];
      topk_w[t * k + i] = static_cast<float>(w * shape.scaling);
    }
  }
}

void ReferenceBackend::RouterBackward(const RouterShape& shape, const float* scores,
                                      const int32_t* topk_idx, const float* dtopk_w,
                                      const float* dscores, float* dlogits) const {
  const int e = shape.num_experts, k = shape.top_k;
  std::vector<double> ds(e);
  for (int64_t t = 0; t < shape.tokens; ++t) {
    const float* s = scores + t * e;
    for (int j = 0; j < e; ++j) ds[j] = dscores ? dscores[t * e + j] : 0.0;
    const int32_t* idx = topk_idx + t * k;
    const float* dw = dtopk_w + t * k;
    if (shape.norm_topk_prob) {
      // w_i = c s_i / Z, Z = sum of the chosen scores: dL/ds_i = c (dw_i - sum_j dw_j w_j/c) / Z.
      double z = 0, dot = 0;
      for (int i = 0; i < k; ++i) z += s[idx[i]];
      for (int i = 0; i < k; ++i) dot += static_cast<double>(dw[i]) * s[idx[i]];
      for (int i = 0; i < k; ++i) ds[idx[i]] += shape.scaling * (dw[i] / z - dot / (z * z));
    } else {
      for (int i = 0; i < k; ++i) ds[idx[i]] += shape.scaling * static_cast<double>(dw[i]);
    }
    float* dz = dlogits + t * e;
    if (shape.scoring == RouterScoring::kSoftmax) {
      double dot = 0;
      for (int j = 0; j < e; ++j) dot += s[j] * ds[j];
      for (int j = 0; j < e; ++j) dz[j] = static_cast<float>(s[j] * (ds[j] - dot));
    } else {
      for (int j = 0; j < e; ++j) dz[j] = static_cast<float>(ds[j] * s[j] * (1.0 - s[j]));
    }
  }
}

void ReferenceBackend::MoeGather(const float* x, const int32_t* token_of, int64_t rows, int64_t dim,
                                 float* out) const {
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < dim; ++c) out[r * dim + c] = x[token_of[r] * dim + c];
  }
}

void ReferenceBackend::MoeGatherBackward(const float* dgathered, const int32_t* slot_of,
                                         int64_t tokens, int top_k, int64_t dim, float* dx) const {
  for (int64_t t = 0; t < tokens; ++t) {
    for (int i = 0; i < top_k; ++i) {
      const int64_t slot = slot_of[t * top_k + i];
      for (int64_t c = 0; c < dim; ++c) dx[t * dim + c] += dgathered[slot * dim + c];
    }
  }
}

void ReferenceBackend::MoeCombine(const float* expert_out, const int32_t* slot_of, const float* w,
                                  int64_t tokens, int top_k, int64_t dim, float* out) const {
  for (int64_t t = 0; t < tokens; ++t) {
    for (int64_t c = 0; c < dim; ++c) {
      float acc = 0;
      for (int i = 0; i < top_k; ++i) {
        acc += w[t * top_k + i] * expert_out[slot_of[t * top_k + i] * dim + c];
      }
      out[t * dim + c] = acc;
    }
  }
}

void ReferenceBackend::MoeCombineBackward(const float* dout, const float* expert_out,
                                          const int32_t* slot_of, const float* w, int64_t tokens,
                                          int top_k, int64_t dim, float* dexpert_out,
                                          float* dw) const {
  for (int64_t t = 0; t < tokens; ++t) {
    for (int i = 0; i < top_k; ++i) {
      const int64_t slot = slot_of[t * top_k + i];
      double dot = 0;
      for (int64_t c = 0; c < dim; ++c) {
        dexpert_out[slot * dim + c] = w[t * top_k + i] * dout[t * dim + c];
        dot += static_cast<double>(dout[t * dim + c]) * expert_out[slot * dim + c];
      }
      dw[t * top_k + i] = static_cast<float>(dot);
    }
  }
}

}  // namespace rlvr::cpu
