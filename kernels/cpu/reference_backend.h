// The plain reference backend: one obvious loop nest per op, single-threaded, accumulating in
// double where a sum is long. It is the documentation of what each op in kernels/backend.h means
// and the yardstick the optimized backend is tested against. The optimized CPU backend derives
// from it and overrides the ops where speed matters; everything else falls back to these loops.
#ifndef RLVR_KERNELS_CPU_REFERENCE_BACKEND_H_
#define RLVR_KERNELS_CPU_REFERENCE_BACKEND_H_

#include <cstdint>
#include <string_view>

#include "kernels/backend.h"

namespace rlvr::cpu {

class ReferenceBackend : public Backend {
 public:
  std::string_view name() const override { return "reference"; }

  void EmbeddingForward(const int32_t* ids, int64_t n, const float* table, int64_t dim,
                        float* out) const override;
  void EmbeddingBackward(const int32_t* ids, int64_t n, const float* dout, int64_t dim,
                         float* dtable) const override;
  void RmsNormForward(const float* x, const float* w, int64_t rows, int64_t dim, float eps,
                      float* out, float* rstd) const override;
  void RmsNormBackward(const float* dout, const float* x, const float* w, const float* rstd,
                       int64_t rows, int64_t dim, float* dx, float* dw) const override;
  void LinearForward(const float* x, const float* w, const float* b, int64_t rows, int64_t in,
                     int64_t out, float* y) const override;
  void LinearBackward(const float* dy, const float* x, const float* w, int64_t rows, int64_t in,
                      int64_t out, float* dx, float dx_beta, float* dw, float* db) const override;
  void RopeForward(float* x, const int32_t* positions, int64_t tokens, int heads, int head_dim,
                   float theta) const override;
  void RopeBackward(float* dx, const int32_t* positions, int64_t tokens, int heads, int head_dim,
                    float theta) const override;
  void AttentionForward(const AttentionShape& shape, const float* q, const float* k, const float* v,
                        const int32_t* cu_seqlens, float* out, float* lse) const override;
  void AttentionBackward(const AttentionShape& shape, const float* dout, const float* q,
                         const float* k, const float* v, const float* out, const float* lse,
                         const int32_t* cu_seqlens, float* dq, float* dk, float* dv) const override;
  void KvCacheWrite(const float* k, const float* v, int64_t tokens, const int64_t* slots,
                    const PagedKvLayer& cache) const override;
  void PagedAttentionForward(const PagedAttentionArgs& args, const float* q,
                             const PagedKvLayer& cache, float* out) const override;
  void Add(const float* a, const float* b, int64_t n, float* out) const override;
  void SigmoidGateForward(const float* logit, const float* x, int64_t tokens, int64_t dim,
                          float* out) const override;
  void SigmoidGateBackward(const float* dout, const float* logit, const float* x, int64_t tokens,
                           int64_t dim, float* dx, float* dlogit) const override;
  void SwiGluForward(const float* gate, const float* up, int64_t n, float* out) const override;
  void SwiGluBackward(const float* dout, const float* gate, const float* up, int64_t n,
                      float* dgate, float* dup) const override;
  void RouterForward(const RouterShape& shape, const float* logits, const float* correction_bias,
                     float* scores, int32_t* topk_idx, float* topk_w) const override;
  void RouterBackward(const RouterShape& shape, const float* scores, const int32_t* topk_idx,
                      const float* dtopk_w, const float* dscores, float* dlogits) const override;
  void MoeGather(const float* x, const int32_t* token_of, int64_t rows, int64_t dim,
                 float* out) const override;
  void MoeGatherBackward(const float* dgathered, const int32_t* slot_of, int64_t tokens, int top_k,
                         int64_t dim, float* dx) const override;
  void MoeCombine(const float* expert_out, const int32_t* slot_of, const float* w, int64_t tokens,
                  int top_k, int64_t dim, float* out) const override;
  void MoeCombineBackward(const float* dout, const float* expert_out, const int32_t* slot_of,
                          const float* w, int64_t tokens, int top_k, int64_t dim,
                          float* dexpert_out, float* dw) const override;
  void LogprobForward(const float* h, const float* w, const int32_t* targets, int64_t tokens,
                      int64_t dim, int64_t vocab, float* logprob, float* entropy,
                      float* lse) const override;
  void LogprobBackward(const float* dlogprob, const float* dentropy, const float* h, const float* w,
                       const int32_t* targets, const float* lse, const float* entropy,
                       int64_t tokens, int64_t dim, int64_t vocab, float* dh,
                       float* dw) const override;
  void CrossEntropyForward(const float* logits, const int32_t* targets, int64_t rows, int64_t vocab,
                           float* loss) const override;
  void CrossEntropyBackward(const float* dloss, const float* logits, const int32_t* targets,
                            int64_t rows, int64_t vocab, float* dlogits) const override;
  void AdamWStep(const AdamWParams& hp, float* param, const float* grad, float* m, float* v,
                 int64_t n) const override;
  double SumSquares(const float* x, int64_t n) const override;
  void Scale(float* x, int64_t n, float s) const override;
};

// Rotary inverse frequency of pair i for a head of head_dim, computed in fp32 the way Hugging
// Face does: 1 / theta^(2i / head_dim).
float RopeInvFreq(int i, int head_dim, float theta);

}  // namespace rlvr::cpu

#endif  // RLVR_KERNELS_CPU_REFERENCE_BACKEND_H_
