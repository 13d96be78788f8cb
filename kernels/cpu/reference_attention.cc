// Reference loops for causal grouped-query attention: packed training form and paged decode form.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/cpu/reference_backend.h"

namespace rlvr::cpu {

void ReferenceBackend::AttentionForward(const AttentionShape& shape, const float* q, const float* k,
                                        const float* v, const int32_t* cu_seqlens, float* out,
                                        float* lse) const {
  const int hq = shape.q_heads, hkv = shape.kv_heads, d = shape.head_dim;
  const int group = hq / hkv;
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  std::vector<double> s;
  for (int seq = 0; seq < shape.num_seqs; ++seq) {
    const int64_t begin = cu_seqlens[seq], end = cu_seqlens[seq + 1];
    for (int64_t i = begin; i < end; ++i) {
      for (int h = 0; h < hq; ++h) {
        const float* qi = q + (i * hq + h) * d;
        const int kh = h / group;
        s.assign(i - begin + 1, 0.0);
        double mx = -INFINITY;
        for (int64_t j = begin; j <= i; ++j) {
          const float* kj = k + (j * hkv + kh) * d;
          double dot = 0;
          for (int c = 0; c < d; ++c) dot += static_cast<double>(qi[c]) * kj[c];
          s[j - begin] = dot * scale;
          mx = std::max(mx, s[j - begin]);
        }
        double sum = 0;
        for (double& x : s) {
          x = std::exp(x - mx);
          sum += x;
        }
        float* oi = out + (i * hq + h) * d;
        for (int c = 0; c < d; ++c) {
          double acc = 0;
          for (int64_t j = begin; j <= i; ++j) acc += s[j - begin] * v[(j * hkv + kh) * d + c];
          oi[c] = static_cast<float>(acc / sum);
        }
        lse[i * hq + h] = static_cast<float>(mx + std::log(sum));
      }
    }
  }
}

void ReferenceBackend::AttentionBackward(const AttentionShape& shape, const float* dout,
                                         const float* q, const float* k, const float* v,
                                         const float* out, const float* lse,
                                         const int32_t* cu_seqlens, float* dq, float* dk,
                                         float* dv) const {
  const int hq = shape.q_heads, hkv = shape.kv_heads, d = shape.head_dim;
  const int group = hq / hkv;
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  const int64_t t = shape.tokens;
  std::vector<double> gq(t * hq * d, 0.0), gk(t * hkv * d, 0.0), gv(t * hkv * d, 0.0);
  for (int seq = 0; seq < shape.num_seqs; ++seq) {
    const int64_t begin = cu_seqlens[seq], end = cu_seqlens[seq + 1];
    for (int64_t i = begin; i < end; ++i) {
      for (int h = 0; h < hq; ++h) {
        const int kh = h / group;
        const float* qi = q + (i * hq + h) * d;
        const float* doi = dout + (i * hq + h) * d;
        const float* oi = out + (i * hq + h) * d;
        double di = 0;  // sum_j p_ij dp_ij = dout_i . out_i
        for (int c = 0; c < d; ++c) di += static_cast<double>(doi[c]) * oi[c];
        for (int64_t j = begin; j <= i; ++j) {
          const float* kj = k + (j * hkv + kh) * d;
          const float* vj = v + (j * hkv + kh) * d;
          double dot = 0, dp = 0;
          for (int c = 0; c < d; ++c) {
            dot += static_cast<double>(qi[c]) * kj[c];
            dp += static_cast<double>(doi[c]) * vj[c];
          }
          const double p = std::exp(dot * scale - lse[i * hq + h]);
          const double ds = p * (dp - di) * scale;
          for (int c = 0; c < d; ++c) {
            gq[(i * hq + h) * d + c] += ds * kj[c];
            gk[(j * hkv + kh) * d + c] += ds * qi[c];
            gv[(j * hkv + kh) * d + c] += p * doi[c];
          }
        }
      }
    }
  }
  for (size_t i = 0; i < gq.size(); ++i) dq[i] = static_cast<float>(gq[i]);
  for (size_t i = 0; i < gk.size(); ++i) {
    dk[i] = static_cast<float>(gk[i]);
    dv[i] = static_cast<float>(gv[i]);
  }
}

void ReferenceBackend::KvCacheWrite(const float* k, const float* v, int64_t tokens,
                                    const int64_t* slots, const PagedKvLayer& cache) const {
  const int64_t row = static_cast<int64_t>(cache.kv_heads) * cache.head_dim;
  for (int64_t t = 0; t < tokens; ++t) {
    const int64_t block = slots[t] / cache.block_size, offset = slots[t] % cache.block_size;
    const int64_t at = block * cache.block_stride + offset * row;
    std::memcpy(cache.k + at, k + t * row, row * sizeof(float));
    std::memcpy(cache.v + at, v + t * row, row * sizeof(float));
  }
}

void ReferenceBackend::PagedAttentionForward(const PagedAttentionArgs& args, const float* q,
                                             const PagedKvLayer& cache, float* out) const {
  const int hq = args.q_heads, hkv = cache.kv_heads, d = cache.head_dim;
  const int group = hq / hkv;
  const int64_t row = static_cast<int64_t>(hkv) * d;
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  std::vector<double> s;
  for (int64_t t = 0; t < args.tokens; ++t) {
    const int32_t* table = args.block_tables + args.table_starts[args.seq_of[t]];
    const int64_t n = static_cast<int64_t>(args.positions[t]) + 1;
    for (int h = 0; h < hq; ++h) {
      const int kh = h / group;
      const float* qt = q + (t * hq + h) * d;
      s.assign(n, 0.0);
      double mx = -INFINITY;
      for (int64_t p = 0; p < n; ++p) {
        const int64_t at = table[p / cache.block_size] * cache.block_stride +
                           (p % cache.block_size) * row + kh * d;
        double dot = 0;
        for (int c = 0; c < d; ++c) dot += static_cast<double>(qt[c]) * cache.k[at + c];
        s[p] = dot * scale;
        mx = std::max(mx, s[p]);
      }
      double sum = 0;
      for (double& x : s) {
        x = std::exp(x - mx);
        sum += x;
      }
      std::vector<double> acc(d, 0.0);
      for (int64_t p = 0; p < n; ++p) {
        const int64_t at = table[p / cache.block_size] * cache.block_stride +
                           (p % cache.block_size) * row + kh * d;
        for (int c = 0; c < d; ++c) acc[c] += s[p] * cache.v[at + c];
      }
      for (int c = 0; c < d; ++c) out[(t * hq + h) * d + c] = static_cast<float>(acc[c] / sum);
    }
  }
}

}  // namespace rlvr::cpu
