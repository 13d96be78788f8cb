// The optimized CPU backend (internal to kernels/cpu; construct it with MakeCpuBackend).
//
// GEMMs are single-threaded OpenBLAS sgemm calls on parts of the output, spread over the same
// fixed thread pool as every other op (one pool, so no oversubscription). Determinism: every
// output element is computed entirely inside one chunk, and reductions across rows (parameter
// gradients) run in a fixed order, so results do not depend on how chunks are spread over
// threads.
#ifndef RLVR_KERNELS_CPU_CPU_BACKEND_H_
#define RLVR_KERNELS_CPU_CPU_BACKEND_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "core/thread_pool.h"
#include "kernels/cpu/reference_backend.h"

namespace rlvr::cpu {

class CpuBackend final : public ReferenceBackend {
 public:
  explicit CpuBackend(int num_threads);
  std::string_view name() const override { return "cpu"; }
  int num_threads() const { return num_threads_; }

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
  void AdamWStep(const AdamWParams& hp, float* param, const float* grad, float* m, float* v,
                 int64_t n) const override;
  double SumSquares(const float* x, int64_t n) const override;
  void Scale(float* x, int64_t n, float s) const override;

 private:
  // Calls fn(begin, end) over [0, n) split into chunks; inline when n * cost_per_item is small.
  void For(int64_t n, int64_t cost_per_item, const std::function<void(int64_t, int64_t)>& fn) const;
  // Row-major C[m, n] = alpha op(A) op(B) + beta C, split over the rows (or, when there are few
  // rows, the columns) of C; each part is one single-threaded sgemm.
  void Gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
            const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
            int64_t ldc) const;

  int num_threads_;
  std::unique_ptr<ThreadPool> pool_;
};

// Fixed-order float helpers shared by the optimized ops: 8 independent accumulators, so the
// compiler vectorizes them and the result depends only on n and the data.
float DotF(const float* a, const float* b, int64_t n);
// y += a * x
void AxpyF(float a, const float* x, float* y, int64_t n);

}  // namespace rlvr::cpu

#endif  // RLVR_KERNELS_CPU_CPU_BACKEND_H_
