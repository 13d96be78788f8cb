// Tiny configs for model tests, parsed from config.json text like real checkpoints.
#ifndef RLVR_TESTS_MODEL_TINY_MODELS_H_
#define RLVR_TESTS_MODEL_TINY_MODELS_H_

#include <string>

#include "core/json.h"
#include "gtest/gtest.h"
#include "model/config.h"

namespace rlvr::testing {

// The project's own shape of model: many small routed experts plus a shared expert.
inline constexpr char kTinyMoeJson[] = R"({
  "model_type": "qwen2_moe", "vocab_size": 64, "hidden_size": 24, "num_hidden_layers": 2,
  "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 32,
  "num_experts": 8, "num_experts_per_tok": 3, "moe_intermediate_size": 8,
  "shared_expert_intermediate_size": 16, "norm_topk_prob": true, "mlp_only_layers": [0],
  "router_aux_loss_coef": 0.05, "rope_theta": 10000.0, "rms_norm_eps": 1e-6
})";

// Qwen3 attention (q/k norm, head_dim != hidden/heads), tied embeddings, DeepSeek-V3 routing.
inline constexpr char kTinySigmoidMoeJson[] = R"({
  "model_type": "qwen3_moe", "vocab_size": 48, "hidden_size": 16, "num_hidden_layers": 2,
  "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 12, "intermediate_size": 24,
  "num_experts": 6, "num_experts_per_tok": 2, "moe_intermediate_size": 8,
  "norm_topk_prob": true, "scoring_func": "sigmoid", "topk_method": "noaux_tc",
  "routed_scaling_factor": 2.0, "tie_word_embeddings": true, "attention_bias": true,
  "router_aux_loss_coef": 0.0, "rope_parameters": {"rope_type": "default", "rope_theta": 500.0}
})";

inline ModelConfig ParseConfigOrDie(const char* text) {
  absl::StatusOr<JsonValue> json = ParseJson(text);
  EXPECT_TRUE(json.ok()) << json.status();
  absl::StatusOr<ModelConfig> c = ParseModelConfig(*json);
  EXPECT_TRUE(c.ok()) << c.status();
  return *c;
}

}  // namespace rlvr::testing

#endif  // RLVR_TESTS_MODEL_TINY_MODELS_H_
