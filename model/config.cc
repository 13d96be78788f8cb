#include "model/config.h"

#include <algorithm>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace rlvr {
namespace {

absl::StatusOr<int> OptInt(const JsonValue& json, const char* key, int fallback) {
  const JsonValue* v = json.Find(key);
  if (v == nullptr || v->is_null()) return fallback;
  if (!v->is_integer() || v->integer() < 0 || v->integer() > (1 << 30)) {
    return absl::InvalidArgumentError(
        absl::StrCat("config.json: '", key, "' must be a non-negative integer"));
  }
  return static_cast<int>(v->integer());
}

absl::StatusOr<double> OptNumber(const JsonValue& json, const char* key, double fallback) {
  const JsonValue* v = json.Find(key);
  if (v == nullptr || v->is_null()) return fallback;
  if (!v->is_number()) {
    return absl::InvalidArgumentError(absl::StrCat("config.json: '", key, "' must be a number"));
  }
  return v->number();
}

absl::StatusOr<bool> OptBool(const JsonValue& json, const char* key, bool fallback) {
  const JsonValue* v = json.Find(key);
  if (v == nullptr || v->is_null()) return fallback;
  if (!v->is_bool()) {
    return absl::InvalidArgumentError(absl::StrCat("config.json: '", key, "' must be true/false"));
  }
  return v->bool_value();
}

absl::StatusOr<std::string> OptString(const JsonValue& json, const char* key,
                                      const std::string& fallback) {
  const JsonValue* v = json.Find(key);
  if (v == nullptr || v->is_null()) return fallback;
  if (!v->is_string()) {
    return absl::InvalidArgumentError(absl::StrCat("config.json: '", key, "' must be a string"));
  }
  return v->string();
}

#define RLVR_ASSIGN(lhs, expr)        \
  do {                                \
    auto _v = (expr);                 \
    if (!_v.ok()) return _v.status(); \
    lhs = *_v;                        \
  } while (0)

// Rope settings: HF writes "rope_theta" (+ "rope_scaling") in older files and
// "rope_parameters": {"rope_type", "rope_theta"} in newer ones.
absl::Status ParseRope(const JsonValue& json, ModelConfig* c) {
  double theta = 10000.0;
  RLVR_ASSIGN(theta, OptNumber(json, "rope_theta", theta));
  for (const char* key : {"rope_scaling", "rope_parameters"}) {
    const JsonValue* rope = json.Find(key);
    if (rope == nullptr || rope->is_null()) continue;
    if (!rope->is_object()) {
      return absl::InvalidArgumentError(absl::StrCat("config.json: '", key, "' must be an object"));
    }
    std::string type = "default";
    RLVR_ASSIGN(type, OptString(*rope, "type", type));
    RLVR_ASSIGN(type, OptString(*rope, "rope_type", type));
    if (type != "default") {
      return absl::InvalidArgumentError(absl::StrCat("config.json: ", key, ".rope_type '", type,
                                                     "' is not supported (only 'default')"));
    }
    RLVR_ASSIGN(theta, OptNumber(*rope, "rope_theta", theta));
  }
  if (!(theta > 0)) return absl::InvalidArgumentError("config.json: rope_theta must be > 0");
  c->rope_theta = static_cast<float>(theta);
  return absl::OkStatus();
}

absl::Status ParseMoe(const JsonValue& json, ModelConfig* c) {
  const bool is_qwen2 = c->model_type == "qwen2_moe";
  // transformers 5 writes qwen3_moe's expert count as "num_local_experts".
  RLVR_ASSIGN(c->num_experts, OptInt(json, "num_local_experts", is_qwen2 ? 60 : 128));
  RLVR_ASSIGN(c->num_experts, OptInt(json, "num_experts", c->num_experts));
  RLVR_ASSIGN(c->num_experts_per_tok, OptInt(json, "num_experts_per_tok", is_qwen2 ? 4 : 8));
  RLVR_ASSIGN(c->moe_intermediate_size,
              OptInt(json, "moe_intermediate_size", is_qwen2 ? 1408 : 768));
  if (is_qwen2) {
    RLVR_ASSIGN(c->shared_expert_intermediate_size,
                OptInt(json, "shared_expert_intermediate_size", 5632));
  }
  RLVR_ASSIGN(c->norm_topk_prob, OptBool(json, "norm_topk_prob", false));
  RLVR_ASSIGN(c->decoder_sparse_step, OptInt(json, "decoder_sparse_step", 1));
  double coef = 0.001;
  RLVR_ASSIGN(coef, OptNumber(json, "router_aux_loss_coef", coef));
  c->router_aux_loss_coef = static_cast<float>(coef);
  if (const JsonValue* only = json.Find("mlp_only_layers"); only != nullptr && !only->is_null()) {
    if (!only->is_array()) {
      return absl::InvalidArgumentError("config.json: 'mlp_only_layers' must be a list of ints");
    }
    for (const JsonValue& v : only->array()) {
      if (!v.is_integer()) {
        return absl::InvalidArgumentError("config.json: 'mlp_only_layers' must be a list of ints");
      }
      c->mlp_only_layers.push_back(static_cast<int>(v.integer()));
    }
  }
  std::string scoring = "softmax", topk_method = "greedy";
  RLVR_ASSIGN(scoring, OptString(json, "scoring_func", scoring));
  RLVR_ASSIGN(topk_method, OptString(json, "topk_method", topk_method));
  if (scoring == "softmax") {
    c->scoring = RouterScoring::kSoftmax;
  } else if (scoring == "sigmoid") {
    c->scoring = RouterScoring::kSigmoid;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("config.json: scoring_func '", scoring,
                                                   "' is not supported (softmax or sigmoid)"));
  }
  if (topk_method == "noaux_tc") {
    c->router_correction_bias = true;
  } else if (topk_method != "greedy") {
    return absl::InvalidArgumentError(absl::StrCat("config.json: topk_method '", topk_method,
                                                   "' is not supported (greedy or noaux_tc)"));
  }
  int groups = 1;
  RLVR_ASSIGN(groups, OptInt(json, "n_group", 1));
  if (groups > 1) {
    return absl::InvalidArgumentError(
        "config.json: group-limited routing (n_group > 1) is not supported yet");
  }
  double scaling = 1.0;
  RLVR_ASSIGN(scaling, OptNumber(json, "routed_scaling_factor", scaling));
  c->routed_scaling_factor = static_cast<float>(scaling);
  return absl::OkStatus();
}

absl::Status Validate(const ModelConfig& c) {
  auto positive = [](int v, const char* name) -> absl::Status {
    if (v <= 0)
      return absl::InvalidArgumentError(absl::StrCat("config.json: '", name, "' must be > 0"));
    return absl::OkStatus();
  };
  for (auto [v, name] :
       {std::pair{c.vocab_size, "vocab_size"}, std::pair{c.hidden_size, "hidden_size"},
        std::pair{c.num_hidden_layers, "num_hidden_layers"},
        std::pair{c.num_attention_heads, "num_attention_heads"},
        std::pair{c.num_key_value_heads, "num_key_value_heads"}, std::pair{c.head_dim, "head_dim"},
        std::pair{c.intermediate_size, "intermediate_size"}}) {
    if (absl::Status s = positive(v, name); !s.ok()) return s;
  }
  if (c.num_attention_heads % c.num_key_value_heads != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "config.json: num_attention_heads (%d) must be a multiple of num_key_value_heads (%d)",
        c.num_attention_heads, c.num_key_value_heads));
  }
  if (c.head_dim % 2 != 0) {
    return absl::InvalidArgumentError("config.json: head_dim must be even for rotary embeddings");
  }
  if (!(c.rms_norm_eps > 0))
    return absl::InvalidArgumentError("config.json: rms_norm_eps must be > 0");
  if (c.num_experts > 0) {
    if (c.num_experts_per_tok <= 0 || c.num_experts_per_tok > c.num_experts) {
      return absl::InvalidArgumentError(
          absl::StrFormat("config.json: num_experts_per_tok (%d) must be in [1, num_experts = %d]",
                          c.num_experts_per_tok, c.num_experts));
    }
    if (c.moe_intermediate_size <= 0) {
      return absl::InvalidArgumentError("config.json: 'moe_intermediate_size' must be > 0");
    }
    if (c.decoder_sparse_step <= 0) {
      return absl::InvalidArgumentError("config.json: 'decoder_sparse_step' must be > 0");
    }
  }
  return absl::OkStatus();
}

}  // namespace

bool ModelConfig::IsMoeLayer(int layer) const {
  if (num_experts <= 0) return false;
  if (std::find(mlp_only_layers.begin(), mlp_only_layers.end(), layer) != mlp_only_layers.end()) {
    return false;
  }
  return (layer + 1) % decoder_sparse_step == 0;
}

RouterShape ModelConfig::router_shape(int64_t tokens) const {
  RouterShape s;
  s.tokens = tokens;
  s.num_experts = num_experts;
  s.top_k = num_experts_per_tok;
  s.scoring = scoring;
  s.norm_topk_prob = norm_topk_prob;
  s.scaling = routed_scaling_factor;
  return s;
}

absl::StatusOr<ModelConfig> ParseModelConfig(const JsonValue& json) {
  if (!json.is_object()) return absl::InvalidArgumentError("config.json: not a JSON object");
  ModelConfig c;
  RLVR_ASSIGN(c.model_type, OptString(json, "model_type", ""));
  const std::string& t = c.model_type;
  if (t != "qwen2" && t != "qwen2_moe" && t != "qwen3" && t != "qwen3_moe") {
    return absl::InvalidArgumentError(absl::StrCat(
        "config.json: model_type '", t, "' is not supported (qwen2, qwen2_moe, qwen3, qwen3_moe)"));
  }
  std::string act;
  RLVR_ASSIGN(act, OptString(json, "hidden_act", "silu"));
  if (act != "silu") {
    return absl::InvalidArgumentError(
        absl::StrCat("config.json: hidden_act '", act, "' is not supported (only silu)"));
  }
  bool sliding = false;
  RLVR_ASSIGN(sliding, OptBool(json, "use_sliding_window", false));
  if (sliding) {
    return absl::InvalidArgumentError(
        "config.json: use_sliding_window=true is not supported (full causal attention only)");
  }
  if (const JsonValue* types = json.Find("layer_types"); types != nullptr && types->is_array()) {
    for (const JsonValue& v : types->array()) {
      if (!v.is_string() || v.string() != "full_attention") {
        return absl::InvalidArgumentError(
            "config.json: layer_types other than 'full_attention' are not supported");
      }
    }
  }
  RLVR_ASSIGN(c.vocab_size, OptInt(json, "vocab_size", 151936));
  RLVR_ASSIGN(c.hidden_size, OptInt(json, "hidden_size", 0));
  RLVR_ASSIGN(c.num_hidden_layers, OptInt(json, "num_hidden_layers", 0));
  RLVR_ASSIGN(c.num_attention_heads, OptInt(json, "num_attention_heads", 0));
  RLVR_ASSIGN(c.num_key_value_heads, OptInt(json, "num_key_value_heads", c.num_attention_heads));
  const int default_head_dim =
      c.num_attention_heads > 0 ? c.hidden_size / c.num_attention_heads : 0;
  RLVR_ASSIGN(c.head_dim, OptInt(json, "head_dim", default_head_dim));
  RLVR_ASSIGN(c.intermediate_size, OptInt(json, "intermediate_size", 0));
  RLVR_ASSIGN(c.max_position_embeddings, OptInt(json, "max_position_embeddings", 32768));
  double eps = 1e-6;
  RLVR_ASSIGN(eps, OptNumber(json, "rms_norm_eps", eps));
  c.rms_norm_eps = static_cast<float>(eps);
  RLVR_ASSIGN(c.tie_word_embeddings, OptBool(json, "tie_word_embeddings", false));
  if (absl::Status s = ParseRope(json, &c); !s.ok()) return s;
  if (t == "qwen2") {
    c.qkv_bias = true;
  } else if (t == "qwen2_moe") {
    RLVR_ASSIGN(c.qkv_bias, OptBool(json, "qkv_bias", true));
  } else {
    bool bias = false;
    RLVR_ASSIGN(bias, OptBool(json, "attention_bias", false));
    c.qkv_bias = c.o_bias = bias;
    c.qk_norm = true;
  }
  if (t == "qwen2_moe" || t == "qwen3_moe") {
    if (absl::Status s = ParseMoe(json, &c); !s.ok()) return s;
  }
  if (absl::Status s = Validate(c); !s.ok()) return s;
  return c;
}

absl::StatusOr<ModelConfig> LoadModelConfig(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  absl::StatusOr<JsonValue> json = ParseJson(*text);
  if (!json.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", json.status().message()));
  }
  absl::StatusOr<ModelConfig> config = ParseModelConfig(*json);
  if (!config.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", config.status().message()));
  }
  return config;
}

std::string ModelConfigToJson(const ModelConfig& c) {
  JsonValue j = JsonValue::MakeObject();
  j.Add("model_type", JsonValue::String(c.model_type));
  j.Add("architectures", JsonValue::MakeArray());
  {
    std::string arch = c.model_type == "qwen2"       ? "Qwen2ForCausalLM"
                       : c.model_type == "qwen2_moe" ? "Qwen2MoeForCausalLM"
                       : c.model_type == "qwen3"     ? "Qwen3ForCausalLM"
                                                     : "Qwen3MoeForCausalLM";
    j.mutable_object().back().second.Push(JsonValue::String(arch));
  }
  j.Add("vocab_size", JsonValue::Integer(c.vocab_size));
  j.Add("hidden_size", JsonValue::Integer(c.hidden_size));
  j.Add("num_hidden_layers", JsonValue::Integer(c.num_hidden_layers));
  j.Add("num_attention_heads", JsonValue::Integer(c.num_attention_heads));
  j.Add("num_key_value_heads", JsonValue::Integer(c.num_key_value_heads));
  j.Add("head_dim", JsonValue::Integer(c.head_dim));
  j.Add("intermediate_size", JsonValue::Integer(c.intermediate_size));
  j.Add("max_position_embeddings", JsonValue::Integer(c.max_position_embeddings));
  j.Add("rms_norm_eps", JsonValue::Number(c.rms_norm_eps));
  j.Add("rope_theta", JsonValue::Number(c.rope_theta));
  j.Add("hidden_act", JsonValue::String("silu"));
  j.Add("tie_word_embeddings", JsonValue::Bool(c.tie_word_embeddings));
  if (c.model_type == "qwen2_moe") j.Add("qkv_bias", JsonValue::Bool(c.qkv_bias));
  if (c.qk_norm) j.Add("attention_bias", JsonValue::Bool(c.qkv_bias));
  if (c.model_type == "qwen2_moe" || c.model_type == "qwen3_moe") {
    j.Add("num_experts", JsonValue::Integer(c.num_experts));
    j.Add("num_experts_per_tok", JsonValue::Integer(c.num_experts_per_tok));
    j.Add("moe_intermediate_size", JsonValue::Integer(c.moe_intermediate_size));
    if (c.model_type == "qwen2_moe") {
      j.Add("shared_expert_intermediate_size",
            JsonValue::Integer(c.shared_expert_intermediate_size));
    }
    j.Add("norm_topk_prob", JsonValue::Bool(c.norm_topk_prob));
    j.Add("decoder_sparse_step", JsonValue::Integer(c.decoder_sparse_step));
    JsonValue only = JsonValue::MakeArray();
    for (int l : c.mlp_only_layers) only.Push(JsonValue::Integer(l));
    j.Add("mlp_only_layers", std::move(only));
    j.Add("router_aux_loss_coef", JsonValue::Number(c.router_aux_loss_coef));
    j.Add("scoring_func",
          JsonValue::String(c.scoring == RouterScoring::kSigmoid ? "sigmoid" : "softmax"));
    j.Add("topk_method", JsonValue::String(c.router_correction_bias ? "noaux_tc" : "greedy"));
    j.Add("routed_scaling_factor", JsonValue::Number(c.routed_scaling_factor));
  }
  return j.Serialize();
}

}  // namespace rlvr
