// Everything the training forward keeps for the backward, named per op (the llm.c way).
// Filled by Forward(), read by Backward(); callers treat it as opaque and may reuse one object
// across steps (buffers are resized, not reallocated, when shapes repeat).
#ifndef RLVR_MODEL_ACTIVATIONS_H_
#define RLVR_MODEL_ACTIVATIONS_H_

#include <cstdint>
#include <vector>

namespace rlvr {

struct MoeActivations {
  std::vector<float> scores;         // [T, E] router softmax / sigmoid scores
  std::vector<int32_t> topk_idx;     // [T, K]
  std::vector<float> topk_w;         // [T, K]
  std::vector<int32_t> offsets;      // [E + 1] rows of expert e: [offsets[e], offsets[e+1])
  std::vector<int32_t> token_of;     // [T*K] token of each expert row
  std::vector<int32_t> slot_of;      // [T, K] expert row of each (token, k)
  std::vector<float> x;              // [T*K, H] gathered inputs
  std::vector<float> gate, up, act;  // [T*K, I]
  std::vector<float> out;            // [T*K, H] expert outputs before routing weights
  // Shared expert (when present).
  std::vector<float> s_gate, s_up, s_act;  // [T, Is]
  std::vector<float> s_out;                // [T, H] before the sigmoid gate
  std::vector<float> s_logit;              // [T] shared_expert_gate(x)
};

struct LayerActivations {
  std::vector<float> x;               // [T, H] layer input (residual stream)
  std::vector<float> rstd1, h1;       // input_layernorm: [T], [T, H]
  std::vector<float> q_lin, k_lin;    // projections before q_norm/k_norm (qk_norm only)
  std::vector<float> q_rstd, k_rstd;  // [T*Hq], [T*Hkv] (qk_norm only)
  std::vector<float> q, k, v;         // after norm and RoPE: [T, Hq*D], [T, Hkv*D], [T, Hkv*D]
  std::vector<float> attn, lse;       // attention output [T, Hq*D], log-sum-exp [T, Hq]
  std::vector<float> x_mid;           // [T, H] after the attention residual
  std::vector<float> rstd2, h2;       // post_attention_layernorm
  std::vector<float> gate, up, act;   // dense MLP [T, I]
  MoeActivations moe;
};

struct Activations {
  std::vector<int32_t> tokens;      // [T]
  std::vector<int32_t> cu_seqlens;  // [S + 1]
  std::vector<int32_t> positions;   // [T]
  std::vector<int32_t> targets;     // [T] next token in the sequence, -1 at sequence ends
  std::vector<LayerActivations> layers;
  std::vector<float> x_final;      // [T, H] residual stream after the last layer
  std::vector<float> rstd_f, h_f;  // final norm
  std::vector<float> lse;          // [T] of the output logits
  std::vector<float> entropy;      // [T] per output row (empty unless compute_entropy)
  // Balancing-loss statistics pooled over MoE layers (Hugging Face definition).
  std::vector<double> pooled_counts;  // [E] top-k assignments per expert id
  double pooled_rows = 0;             // number of (layer, token) router rows
};

}  // namespace rlvr

#endif  // RLVR_MODEL_ACTIVATIONS_H_
