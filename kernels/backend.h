// The kernel backend: every numeric op the model runs, as one table of virtual functions.
//
// The model (model/) calls only these ops and never branches on the device. kernels/cpu offers
// two implementations of the same table: a plain reference (the documentation of what each op
// means) and an optimized one (BLAS, threads, SIMD); a CUDA backend slots in beside them.
//
// Conventions for every op:
//   - fp32, row-major, C order; shapes are given in the comments as [rows, cols].
//   - Linear weights use the Hugging Face layout W[out, in]: y = x W^T + b.
//   - Forward outputs are overwritten. In backward ops, gradients of activations (dx, dq, ...)
//     are overwritten unless stated, and gradients of parameters (dw, db) are ACCUMULATED (+=),
//     so one gradient buffer can collect a whole batch.
//   - Pointers the caller passes must not alias unless an op says "in place".
//   - Results are deterministic: the same inputs give bitwise-identical outputs on every run,
//     whatever the thread count of the optimized backend (fixed reduction orders).
#ifndef RLVR_KERNELS_BACKEND_H_
#define RLVR_KERNELS_BACKEND_H_

#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/status/statusor.h"

namespace rlvr {

// Causal grouped-query attention over packed variable-length sequences (no padding).
// Sequence s owns tokens [cu_seqlens[s], cu_seqlens[s+1]); token i of a sequence attends to
// tokens 0..i of the same sequence. Query head h reads key/value head h / (q_heads / kv_heads).
// Scale is 1/sqrt(head_dim); softmax in fp32.
struct AttentionShape {
  int64_t tokens = 0;
  int num_seqs = 0;
  int q_heads = 0;
  int kv_heads = 0;
  int head_dim = 0;
};

// One layer's view of a paged KV cache. Token slot s (= block * block_size + offset) of this
// layer keeps its keys at k + block * block_stride + offset * kv_heads * head_dim, values
// likewise from v; each slot holds [kv_heads, head_dim].
struct PagedKvLayer {
  float* k = nullptr;
  float* v = nullptr;
  int64_t block_stride = 0;  // floats between consecutive blocks
  int block_size = 0;        // tokens per block
  int kv_heads = 0;
  int head_dim = 0;
};

// Decode-time attention over a paged cache. Query token t belongs to sequence seq_of[t], sits at
// absolute position positions[t] and attends to positions 0..positions[t] of that sequence,
// whose blocks are block_tables[table_starts[s] .. table_starts[s+1]) in position order. The
// caller has already written K/V for every attended position.
struct PagedAttentionArgs {
  int64_t tokens = 0;
  int q_heads = 0;
  const int32_t* seq_of = nullptr;        // [tokens]
  const int32_t* positions = nullptr;     // [tokens]
  const int32_t* block_tables = nullptr;  // concatenated block ids
  const int64_t* table_starts = nullptr;  // [num_seqs + 1]
};

enum class RouterScoring {
  kSoftmax,  // scores = softmax(logits); Qwen2-MoE, Qwen3-MoE, Mixtral
  kSigmoid,  // scores = sigmoid(logits); DeepSeek-V3
};

// Top-k routing. Experts are chosen by the k largest (scores + correction_bias) (bias only when
// given; ties go to the lower expert id) and listed in descending order. The weight of a chosen
// expert is its score (without bias), divided by the sum of the k chosen scores when
// norm_topk_prob, then multiplied by scaling.
struct RouterShape {
  int64_t tokens = 0;
  int num_experts = 0;
  int top_k = 0;
  RouterScoring scoring = RouterScoring::kSoftmax;
  bool norm_topk_prob = false;
  float scaling = 1.0f;
};

// AdamW with decoupled weight decay (Loshchilov & Hutter), as torch.optim.AdamW:
//   p -= lr * weight_decay * p
//   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2
//   p -= lr / (1 - beta1^step) * m / (sqrt(v / (1 - beta2^step)) + eps)
struct AdamWParams {
  float lr = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
  float weight_decay = 0.0f;
  int64_t step = 1;  // 1-based step number, for bias correction
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string_view name() const = 0;

  // out[i, :] = table[ids[i], :]. ids must be in [0, rows of table).
  virtual void EmbeddingForward(const int32_t* ids, int64_t n, const float* table, int64_t dim,
                                float* out) const = 0;
  // dtable[ids[i], :] += dout[i, :]
  virtual void EmbeddingBackward(const int32_t* ids, int64_t n, const float* dout, int64_t dim,
                                 float* dtable) const = 0;

  // out[r, :] = x[r, :] * rstd[r] * w, rstd[r] = 1 / sqrt(mean(x[r, :]^2) + eps).
  // x, out: [rows, dim]; w: [dim]; rstd: [rows] (kept for the backward).
  virtual void RmsNormForward(const float* x, const float* w, int64_t rows, int64_t dim, float eps,
                              float* out, float* rstd) const = 0;
  // dx = ... (overwritten), dw += ...
  virtual void RmsNormBackward(const float* dout, const float* x, const float* w, const float* rstd,
                               int64_t rows, int64_t dim, float* dx, float* dw) const = 0;

  // y[rows, out] = x[rows, in] w[out, in]^T (+ b[out] when b is not null).
  virtual void LinearForward(const float* x, const float* w, const float* b, int64_t rows,
                             int64_t in, int64_t out, float* y) const = 0;
  // dx = dx_beta * dx + dy w (dx_beta 0 overwrites, 1 accumulates; dx may be null to skip);
  // dw += dy^T x; db += sum_rows dy (db may be null).
  virtual void LinearBackward(const float* dy, const float* x, const float* w, int64_t rows,
                              int64_t in, int64_t out, float* dx, float dx_beta, float* dw,
                              float* db) const = 0;

  // Rotary embedding, Hugging Face rotate_half convention, in place on x[tokens, heads, dim]:
  //   for i < dim/2, a = positions[t] * theta^(-2i/dim) (angle in fp32 as HF does):
  //   x'[i] = x[i] cos a - x[i + dim/2] sin a;  x'[i + dim/2] = x[i + dim/2] cos a + x[i] sin a.
  virtual void RopeForward(float* x, const int32_t* positions, int64_t tokens, int heads,
                           int head_dim, float theta) const = 0;
  // The transpose rotation, in place on dx.
  virtual void RopeBackward(float* dx, const int32_t* positions, int64_t tokens, int heads,
                            int head_dim, float theta) const = 0;

  // q, out: [tokens, q_heads, head_dim]; k, v: [tokens, kv_heads, head_dim];
  // cu_seqlens: [num_seqs + 1], cu_seqlens[0] = 0, cu_seqlens[num_seqs] = tokens;
  // lse: [tokens, q_heads] log-sum-exp of the scaled scores (kept for the backward).
  virtual void AttentionForward(const AttentionShape& shape, const float* q, const float* k,
                                const float* v, const int32_t* cu_seqlens, float* out,
                                float* lse) const = 0;
  // dq, dk, dv overwritten.
  virtual void AttentionBackward(const AttentionShape& shape, const float* dout, const float* q,
                                 const float* k, const float* v, const float* out, const float* lse,
                                 const int32_t* cu_seqlens, float* dq, float* dk,
                                 float* dv) const = 0;

  // Writes k, v [tokens, kv_heads, head_dim] into cache slots slots[t].
  virtual void KvCacheWrite(const float* k, const float* v, int64_t tokens, const int64_t* slots,
                            const PagedKvLayer& cache) const = 0;
  // q, out: [tokens, q_heads, head_dim]; see PagedAttentionArgs.
  virtual void PagedAttentionForward(const PagedAttentionArgs& args, const float* q,
                                     const PagedKvLayer& cache, float* out) const = 0;

  // out = a + b over n values (residual connections); out may be a or b.
  virtual void Add(const float* a, const float* b, int64_t n, float* out) const = 0;

  // Gated shared expert: out[t, :] += sigmoid(logit[t]) * x[t, :], x and out [tokens, dim].
  virtual void SigmoidGateForward(const float* logit, const float* x, int64_t tokens, int64_t dim,
                                  float* out) const = 0;
  // With s = sigmoid(logit[t]): dx[t, :] = s dout[t, :] and
  // dlogit[t] = dot(dout[t, :], x[t, :]) s (1 - s) (both overwritten).
  virtual void SigmoidGateBackward(const float* dout, const float* logit, const float* x,
                                   int64_t tokens, int64_t dim, float* dx, float* dlogit) const = 0;

  // out = silu(gate) * up, elementwise over n values; silu(x) = x / (1 + exp(-x)).
  virtual void SwiGluForward(const float* gate, const float* up, int64_t n, float* out) const = 0;
  virtual void SwiGluBackward(const float* dout, const float* gate, const float* up, int64_t n,
                              float* dgate, float* dup) const = 0;

  // logits, scores: [tokens, num_experts]; correction_bias: [num_experts] or null;
  // topk_idx, topk_w: [tokens, top_k]. See RouterShape.
  virtual void RouterForward(const RouterShape& shape, const float* logits,
                             const float* correction_bias, float* scores, int32_t* topk_idx,
                             float* topk_w) const = 0;
  // dlogits [tokens, num_experts] (overwritten) from dtopk_w [tokens, top_k] and, when not null,
  // dscores [tokens, num_experts] (a gradient on all scores, e.g. from the balancing loss).
  // Selection is piecewise constant and gets no gradient.
  virtual void RouterBackward(const RouterShape& shape, const float* scores,
                              const int32_t* topk_idx, const float* dtopk_w, const float* dscores,
                              float* dlogits) const = 0;

  // Expert dispatch: out[r, :] = x[token_of[r], :] for r < rows.
  virtual void MoeGather(const float* x, const int32_t* token_of, int64_t rows, int64_t dim,
                         float* out) const = 0;
  // Backward of the gather for routed rows: dx[t, :] += sum_k dgathered[slot_of[t, k], :]
  // over the top_k slots of token t.
  virtual void MoeGatherBackward(const float* dgathered, const int32_t* slot_of, int64_t tokens,
                                 int top_k, int64_t dim, float* dx) const = 0;
  // Expert combine: out[t, :] = sum_k w[t, k] * expert_out[slot_of[t, k], :] (overwritten, k in
  // ascending order).
  virtual void MoeCombine(const float* expert_out, const int32_t* slot_of, const float* w,
                          int64_t tokens, int top_k, int64_t dim, float* out) const = 0;
  // dexpert_out[slot_of[t, k], :] = w[t, k] * dout[t, :] (overwritten);
  // dw[t, k] = dot(dout[t, :], expert_out[slot_of[t, k], :]) (overwritten).
  virtual void MoeCombineBackward(const float* dout, const float* expert_out,
                                  const int32_t* slot_of, const float* w, int64_t tokens, int top_k,
                                  int64_t dim, float* dexpert_out, float* dw) const = 0;

  // LM head fused with log-softmax, never holding more than a chunk of logits:
  //   z = h w^T (h: [tokens, dim], w: [vocab, dim]); lse[t] = logsumexp(z[t, :]);
  //   logprob[t] = z[t, targets[t]] - lse[t]  (0 where targets[t] < 0);
  //   entropy[t] = -sum_j p_j log p_j  (entropy may be null).
  virtual void LogprobForward(const float* h, const float* w, const int32_t* targets,
                              int64_t tokens, int64_t dim, int64_t vocab, float* logprob,
                              float* entropy, float* lse) const = 0;
  // From dlogprob [tokens] and, when dentropy is not null, dentropy [tokens] with the forward's
  // entropy [tokens]: dz = dlogprob (onehot - p) - dentropy p (z - (lse - entropy)),
  // p = softmax(z); dh = dz w (overwritten), dw += dz^T h.
  virtual void LogprobBackward(const float* dlogprob, const float* dentropy, const float* h,
                               const float* w, const int32_t* targets, const float* lse,
                               const float* entropy, int64_t tokens, int64_t dim, int64_t vocab,
                               float* dh, float* dw) const = 0;

  // Per-row cross-entropy on materialized logits [rows, vocab]:
  //   loss[r] = logsumexp(logits[r, :]) - logits[r, targets[r]]  (0 where targets[r] < 0).
  virtual void CrossEntropyForward(const float* logits, const int32_t* targets, int64_t rows,
                                   int64_t vocab, float* loss) const = 0;
  // dlogits[r, :] = dloss[r] (softmax(logits[r, :]) - onehot(targets[r])) (overwritten).
  virtual void CrossEntropyBackward(const float* dloss, const float* logits, const int32_t* targets,
                                    int64_t rows, int64_t vocab, float* dlogits) const = 0;

  // One AdamW update of n parameters; m and v are the moment buffers (start at zero).
  virtual void AdamWStep(const AdamWParams& hp, float* param, const float* grad, float* m, float* v,
                         int64_t n) const = 0;
  // sum x[i]^2 in double, fixed order.
  virtual double SumSquares(const float* x, int64_t n) const = 0;
  // x *= s
  virtual void Scale(float* x, int64_t n, float s) const = 0;
};

// The plain reference backend: single-threaded loops that state what each op means.
std::unique_ptr<Backend> MakeReferenceBackend();

// The optimized CPU backend: OpenBLAS sgemm for GEMMs, a fixed thread pool of num_threads
// workers (0 = one per core) with deterministic partitioning, vectorizable inner loops. It sets
// OpenBLAS to one thread (a process-wide setting): GEMMs are split over the backend's own pool.
std::unique_ptr<Backend> MakeCpuBackend(int num_threads = 0);

// The backend named in a config (ModelConfig.backend): "cpu" (also for an empty name),
// "reference"; anything else is an error saying what is available.
absl::StatusOr<std::unique_ptr<Backend>> MakeBackend(std::string_view name, int num_threads);

}  // namespace rlvr

#endif  // RLVR_KERNELS_BACKEND_H_
