// The model's shape and options, read from a Hugging Face config.json.
//
// Families (the "model_type" field):
//   qwen2      dense; q/k/v projections with bias, o without.
//   qwen2_moe  MoE layers with routed experts (moe_intermediate_size), a shared expert
//              (shared_expert_intermediate_size) scaled by sigmoid(shared_expert_gate(x)),
//              q/k/v bias per "qkv_bias" (default true).
//   qwen3      dense; per-head RMSNorm on q and k (q_norm, k_norm) before RoPE; "head_dim";
//              "attention_bias" for q/k/v/o (default false).
//   qwen3_moe  qwen3 attention + MoE layers with routed experts, no shared expert.
// The project's own tiny models use these same families (typically qwen2_moe with many small
// routed experts plus a shared expert) and may add the DeepSeek-V3 routing fields
//   "scoring_func": "softmax" (default) | "sigmoid",
//   "topk_method": "greedy" (default) | "noaux_tc"  (a per-layer correction bias, buffer
//                  "mlp.gate.e_score_correction_bias", chooses experts; aux-loss-free balancing),
//   "routed_scaling_factor": float (default 1).
// Layer l is an MoE layer when num_experts > 0, l is not in mlp_only_layers and
// (l + 1) % decoder_sparse_step == 0; other layers use a dense SwiGLU MLP of intermediate_size.
//
// Unsupported values are errors that name the field: another model_type, hidden_act other than
// "silu", rope scaling other than "default", sliding-window attention, group-limited routing.
#ifndef RLVR_MODEL_CONFIG_H_
#define RLVR_MODEL_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/json.h"
#include "kernels/backend.h"

namespace rlvr {

struct ModelConfig {
  std::string model_type;  // "qwen2", "qwen2_moe", "qwen3" or "qwen3_moe"
  int vocab_size = 0;
  int hidden_size = 0;
  int num_hidden_layers = 0;
  int num_attention_heads = 0;
  int num_key_value_heads = 0;
  int head_dim = 0;           // defaults to hidden_size / num_attention_heads
  int intermediate_size = 0;  // dense MLP width
  int max_position_embeddings = 0;
  float rms_norm_eps = 1e-6f;
  float rope_theta = 10000.0f;
  bool tie_word_embeddings = false;
  bool qkv_bias = false;  // bias on q_proj, k_proj, v_proj
  bool o_bias = false;    // bias on o_proj
  bool qk_norm = false;   // per-head RMSNorm on q and k (qwen3 families)

  // Mixture of experts (num_experts == 0: every layer is dense).
  int num_experts = 0;
  int num_experts_per_tok = 0;
  int moe_intermediate_size = 0;
  int shared_expert_intermediate_size = 0;  // 0: no shared expert
  bool norm_topk_prob = false;
  int decoder_sparse_step = 1;
  std::vector<int> mlp_only_layers;
  float router_aux_loss_coef = 0.0f;
  RouterScoring scoring = RouterScoring::kSoftmax;
  bool router_correction_bias = false;  // topk_method "noaux_tc"
  float routed_scaling_factor = 1.0f;

  bool IsMoeLayer(int layer) const;
  bool has_shared_expert() const { return shared_expert_intermediate_size > 0; }
  RouterShape router_shape(int64_t tokens) const;
};

// Parses a config.json object. Missing optional fields take the family's Hugging Face default.
absl::StatusOr<ModelConfig> ParseModelConfig(const JsonValue& json);
// Reads and parses <path>; errors name the path.
absl::StatusOr<ModelConfig> LoadModelConfig(const std::string& path);
// config.json text that ParseModelConfig (and Hugging Face) read back to the same config.
std::string ModelConfigToJson(const ModelConfig& config);

}  // namespace rlvr

#endif  // RLVR_MODEL_CONFIG_H_
