// Optimized attention: per (sequence, head) blocks of query rows against their causal prefix of
// keys through sgemm for the packed training form; per token loops over the block table for the
// paged decode form.
#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/cpu/cpu_backend.h"

namespace rlvr::cpu {

namespace {

// Query rows per block: a block of queries [i0, i1) only needs keys [0, i1), so the score matrix
// of one task is kQueryBlock x i1, not L x L, and the causal upper half is mostly skipped.
constexpr int64_t kQueryBlock = 64;

}  // namespace

void CpuBackend::AttentionForward(const AttentionShape& shape, const float* q, const float* k,
                                  const float* v, const int32_t* cu_seqlens, float* out,
                                  float* lse) const {
  const int hq = shape.q_heads, hkv = shape.kv_heads, d = shape.head_dim;
  const int group = hq / hkv;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  const int64_t tasks = static_cast<int64_t>(shape.num_seqs) * hq;
  For(tasks, int64_t{1} << 20, [&](int64_t t0, int64_t t1) {
    std::vector<float> s;
    for (int64_t task = t0; task < t1; ++task) {
      const int seq = static_cast<int>(task / hq), h = static_cast<int>(task % hq);
      const int kh = h / group;
      const int64_t begin = cu_seqlens[seq], len = cu_seqlens[seq + 1] - begin;
      const float* kk = k + (begin * hkv + kh) * d;
      const float* vv = v + (begin * hkv + kh) * d;
      for (int64_t i0 = 0; i0 < len; i0 += kQueryBlock) {
        const int64_t i1 = std::min(len, i0 + kQueryBlock), rows = i1 - i0;
        s.resize(rows * i1);
        const float* qh = q + ((begin + i0) * hq + h) * d;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, i1, d, scale, qh, hq * d, kk,
                    hkv * d, 0.0f, s.data(), i1);
        for (int64_t r = 0; r < rows; ++r) {
          const int64_t i = i0 + r;
          float* row = s.data() + r * i1;
          float mx = row[0];
          for (int64_t j = 1; j <= i; ++j) mx = std::max(mx, row[j]);
          float sum = 0;
          for (int64_t j = 0; j <= i; ++j) {
            row[j] = std::exp(row[j] - mx);
            sum += row[j];
          }
          const float inv = 1.0f / sum;
          for (int64_t j = 0; j <= i; ++j) row[j] *= inv;
          std::fill(row + i + 1, row + i1, 0.0f);
          lse[(begin + i) * hq + h] = mx + std::log(sum);
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, d, i1, 1.0f, s.data(), i1, vv,
                    hkv * d, 0.0f, out + ((begin + i0) * hq + h) * d, hq * d);
      }
    }
  });
}

void CpuBackend::AttentionBackward(const AttentionShape& shape, const float* dout, const float* q,
                                   const float* k, const float* v, const float* out,
                                   const float* lse, const int32_t* cu_seqlens, float* dq,
                                   float* dk, float* dv) const {
  const int hq = shape.q_heads, hkv = shape.kv_heads, d = shape.head_dim;
  const int group = hq / hkv;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  // One task per (sequence, kv head): dk and dv of a kv head collect its query heads and query
  // blocks in a fixed order.
  const int64_t tasks = static_cast<int64_t>(shape.num_seqs) * hkv;
  For(tasks, int64_t{1} << 20, [&](int64_t t0, int64_t t1) {
    std::vector<float> p, dp;
    for (int64_t task = t0; task < t1; ++task) {
      const int seq = static_cast<int>(task / hkv), kh = static_cast<int>(task % hkv);
      const int64_t begin = cu_seqlens[seq], len = cu_seqlens[seq + 1] - begin;
      const float* kk = k + (begin * hkv + kh) * d;
      const float* vv = v + (begin * hkv + kh) * d;
      float* dkk = dk + (begin * hkv + kh) * d;
      float* dvv = dv + (begin * hkv + kh) * d;
      for (int64_t j = 0; j < len; ++j) {
        std::fill(dkk + j * hkv * d, dkk + j * hkv * d + d, 0.0f);
        std::fill(dvv + j * hkv * d, dvv + j * hkv * d + d, 0.0f);
      }
      for (int g = 0; g < group; ++g) {
        const int h = kh * group + g;
        for (int64_t i0 = 0; i0 < len; i0 += kQueryBlock) {
          const int64_t i1 = std::min(len, i0 + kQueryBlock), rows = i1 - i0;
          p.resize(rows * i1);
          dp.resize(rows * i1);
          const float* qh = q + ((begin + i0) * hq + h) * d;
          const float* doh = dout + ((begin + i0) * hq + h) * d;
          const float* oh = out + ((begin + i0) * hq + h) * d;
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, i1, d, scale, qh, hq * d, kk,
                      hkv * d, 0.0f, p.data(), i1);
          for (int64_t r = 0; r < rows; ++r) {
            const int64_t i = i0 + r;
            float* row = p.data() + r * i1;
            const float l = lse[(begin + i) * hq + h];
            for (int64_t j = 0; j <= i; ++j) row[j] = std::exp(row[j] - l);
            std::fill(row + i + 1, row + i1, 0.0f);
          }
          // dV[0, i1) += P^T dO; dP = dO V^T.
          cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, i1, d, rows, 1.0f, p.data(), i1, doh,
                      hq * d, 1.0f, dvv, hkv * d);
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, i1, d, 1.0f, doh, hq * d, vv,
                      hkv * d, 0.0f, dp.data(), i1);
          // dS = P (dP - rowsum(dO * O)) * scale, written over dp.
          for (int64_t r = 0; r < rows; ++r) {
            const int64_t i = i0 + r;
            const float di = DotF(doh + r * hq * d, oh + r * hq * d, d);
            const float* prow = p.data() + r * i1;
            float* drow = dp.data() + r * i1;
            for (int64_t j = 0; j <= i; ++j) drow[j] = prow[j] * (drow[j] - di) * scale;
            std::fill(drow + i + 1, drow + i1, 0.0f);
          }
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, d, i1, 1.0f, dp.data(), i1,
                      kk, hkv * d, 0.0f, dq + ((begin + i0) * hq + h) * d, hq * d);
          cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, i1, d, rows, 1.0f, dp.data(), i1, qh,
                      hq * d, 1.0f, dkk, hkv * d);
        }
      }
    }
  });
}

void CpuBackend::PagedAttentionForward(const PagedAttentionArgs& args, const float* q,
                                       const PagedKvLayer& cache, float* out) const {
  const int hq = args.q_heads, hkv = cache.kv_heads, d = cache.head_dim;
  const int group = hq / hkv;
  const int64_t row = static_cast<int64_t>(hkv) * d;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  For(args.tokens, int64_t{hq} * d * 64, [&](int64_t t0, int64_t t1) {
    std::vector<float> s;
    for (int64_t t = t0; t < t1; ++t) {
      const int32_t* table = args.block_tables + args.table_starts[args.seq_of[t]];
      const int64_t n = static_cast<int64_t>(args.positions[t]) + 1;
      s.resize(n);
      for (int h = 0; h < hq; ++h) {
        const int kh = h / group;
        const float* qt = q + (t * hq + h) * d;
        float mx = -INFINITY;
        for (int64_t p = 0; p < n; ++p) {
          const int64_t at = table[p / cache.block_size] * cache.block_stride +
                             (p % cache.block_size) * row + kh * d;
          s[p] = DotF(qt, cache.k + at, d) * scale;
          mx = std::max(mx, s[p]);
        }
        float sum = 0;
        for (int64_t p = 0; p < n; ++p) {
          s[p] = std::exp(s[p] - mx);
          sum += s[p];
        }
        float* o = out + (t * hq + h) * d;
        std::fill(o, o + d, 0.0f);
        for (int64_t p = 0; p < n; ++p) {
          const int64_t at = table[p / cache.block_size] * cache.block_stride +
                             (p % cache.block_size) * row + kh * d;
          AxpyF(s[p], cache.v + at, o, d);
        }
        const float inv = 1.0f / sum;
        for (int c = 0; c < d; ++c) o[c] *= inv;
      }
    }
  });
}

}  // namespace rlvr::cpu
