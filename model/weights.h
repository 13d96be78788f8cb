// Model parameters with their Hugging Face names, loading and saving them as safetensors, and
// seeded random initialisation.
//
// Names on disk (and in ForEachParameter) are the Hugging Face checkpoint names, e.g.
//   model.embed_tokens.weight, model.norm.weight, lm_head.weight (absent when tied),
//   model.layers.{l}.input_layernorm.weight, .post_attention_layernorm.weight,
//   model.layers.{l}.self_attn.{q,k,v,o}_proj.{weight,bias}, .self_attn.{q,k}_norm.weight,
//   model.layers.{l}.mlp.{gate,up,down}_proj.weight                   (dense layers)
//   model.layers.{l}.mlp.gate.weight                                  (router, [E, hidden])
//   model.layers.{l}.mlp.experts.{e}.{gate,up,down}_proj.weight      (routed experts)
//   model.layers.{l}.mlp.shared_expert.{gate,up,down}_proj.weight, .mlp.shared_expert_gate.weight
//   model.layers.{l}.mlp.gate.e_score_correction_bias                 (buffer, topk_method
//   noaux_tc)
// Linear weights are [out, in]. Everything is fp32 in memory; BF16/F16 files are converted on load.
#ifndef RLVR_MODEL_WEIGHTS_H_
#define RLVR_MODEL_WEIGHTS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "model/config.h"

namespace rlvr {

// A dense fp32 tensor that owns its data. An empty shape with no data means "absent".
struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> data;

  int64_t size() const { return static_cast<int64_t>(data.size()); }
  bool empty() const { return data.empty(); }
  float* ptr() { return data.empty() ? nullptr : data.data(); }
  const float* ptr() const { return data.empty() ? nullptr : data.data(); }
};

struct MlpWeights {
  Tensor gate_proj;  // [inter, hidden]
  Tensor up_proj;    // [inter, hidden]
  Tensor down_proj;  // [hidden, inter]
};

struct LayerWeights {
  Tensor input_layernorm;  // [hidden]
  Tensor q_proj, k_proj, v_proj, o_proj;
  Tensor q_bias, k_bias, v_bias, o_bias;  // present per qkv_bias / o_bias
  Tensor q_norm, k_norm;                  // [head_dim], present per qk_norm
  Tensor post_attention_layernorm;        // [hidden]
  MlpWeights mlp;                         // dense layers only
  // MoE layers only:
  Tensor router;                    // [num_experts, hidden]
  Tensor router_correction_bias;    // [num_experts], a buffer (not a parameter), noaux_tc only
  std::vector<MlpWeights> experts;  // [num_experts]
  MlpWeights shared_expert;         // present per has_shared_expert()
  Tensor shared_expert_gate;        // [1, hidden]
};

// All parameters of one model. The same structure holds gradients and optimizer moments (see
// ZerosLike), so that code can walk parameters and their gradients in lock step.
struct ModelWeights {
  Tensor embed_tokens;  // [vocab, hidden]
  Tensor norm;          // [hidden]
  Tensor lm_head;       // [vocab, hidden]; empty when tie_word_embeddings
  std::vector<LayerWeights> layers;

  // Every trainable tensor with its Hugging Face name, in a fixed order that depends only on the
  // config (the same for weights, gradients and moments of one config). Buffers are excluded.
  void ForEachParameter(const std::function<void(const std::string&, Tensor&)>& fn);
  void ForEachParameter(const std::function<void(const std::string&, const Tensor&)>& fn) const;
  // Non-trainable state saved with the checkpoint (router correction biases).
  void ForEachBuffer(const std::function<void(const std::string&, Tensor&)>& fn);
  void ForEachBuffer(const std::function<void(const std::string&, const Tensor&)>& fn) const;

  // The parameter or buffer called `name`, or nullptr (a walk over all names).
  Tensor* Find(const std::string& name);
  const Tensor* Find(const std::string& name) const;

  // The output projection actually used: lm_head, or embed_tokens when tied.
  const Tensor& output_weight() const { return lm_head.empty() ? embed_tokens : lm_head; }
  int64_t num_parameters() const;  // number of floats over all parameters
};

// Every parameter and buffer of `config` with its shape, filled with zeros.
ModelWeights ZeroWeights(const ModelConfig& config);

// Deterministic random initialisation from `seed` (the same values on every machine):
// matrices ~ N(0, init_std^2), RMSNorm weights 1, biases and buffers 0.
ModelWeights RandomWeights(const ModelConfig& config, uint64_t seed, float init_std = 0.02f);

// Loads <path> (a .safetensors file, or a folder holding model.safetensors or
// model-XXXXX-of-YYYYY.safetensors shards). Every parameter of `config` must be present with its
// exact shape; tensors the config does not use are an error (a sign of a config/weights
// mismatch), except lm_head.weight of a tied model.
absl::StatusOr<ModelWeights> LoadWeights(const ModelConfig& config, const std::string& path);

// Writes every parameter and buffer as F32 into one safetensors file (atomically).
absl::Status SaveWeights(const ModelWeights& weights, const std::string& path);

// A model = config + weights. LoadModel reads <dir>/config.json and the safetensors in <dir>.
struct Model {
  ModelConfig config;
  ModelWeights weights;
};
absl::StatusOr<Model> LoadModel(const std::string& dir);
// Writes <dir>/config.json and <dir>/model.safetensors (dir must exist).
absl::Status SaveModel(const Model& model, const std::string& dir);

}  // namespace rlvr

#endif  // RLVR_MODEL_WEIGHTS_H_
