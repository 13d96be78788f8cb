#include "model/weights.h"

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/rng.h"

namespace rlvr {
namespace {

// Walks parameters (buffers=false) or buffers (buffers=true) of W (const or not) in a fixed order.
template <typename W, typename Fn>
void Walk(W& w, bool buffers, const Fn& fn) {
  auto visit = [&](const std::string& name, auto& t) {
    if (!t.empty()) fn(name, t);
  };
  if (buffers) {
    for (size_t l = 0; l < w.layers.size(); ++l) {
      visit(absl::StrCat("model.layers.", l, ".mlp.gate.e_score_correction_bias"),
            w.layers[l].router_correction_bias);
    }
    return;
  }
  visit("model.embed_tokens.weight", w.embed_tokens);
  for (size_t l = 0; l < w.layers.size(); ++l) {
    auto& L = w.layers[l];
    const std::string p = absl::StrCat("model.layers.", l, ".");
    visit(p + "input_layernorm.weight", L.input_layernorm);
    visit(p + "self_attn.q_proj.weight", L.q_proj);
    visit(p + "self_attn.q_proj.bias", L.q_bias);
    visit(p + "self_attn.k_proj.weight", L.k_proj);
    visit(p + "self_attn.k_proj.bias", L.k_bias);
    visit(p + "self_attn.v_proj.weight", L.v_proj);
    visit(p + "self_attn.v_proj.bias", L.v_bias);
    visit(p + "self_attn.o_proj.weight", L.o_proj);
    visit(p + "self_attn.o_proj.bias", L.o_bias);
    visit(p + "self_attn.q_norm.weight", L.q_norm);
    visit(p + "self_attn.k_norm.weight", L.k_norm);
    visit(p + "post_attention_layernorm.weight", L.post_attention_layernorm);
    auto mlp = [&](const std::string& q, auto& m) {
      visit(q + "gate_proj.weight", m.gate_proj);
      visit(q + "up_proj.weight", m.up_proj);
      visit(q + "down_proj.weight", m.down_proj);
    };
    mlp(p + "mlp.", L.mlp);
    visit(p + "mlp.gate.weight", L.router);
    for (size_t e = 0; e < L.experts.size(); ++e) {
      mlp(absl::StrCat(p, "mlp.experts.", e, "."), L.experts[e]);
    }
    mlp(p + "mlp.shared_expert.", L.shared_expert);
    visit(p + "mlp.shared_expert_gate.weight", L.shared_expert_gate);
  }
  visit("model.norm.weight", w.norm);
  visit("lm_head.weight", w.lm_head);
}

Tensor Zeros(std::vector<int64_t> shape) {
  Tensor t;
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  t.shape = std::move(shape);
  t.data.assign(n, 0.0f);
  return t;
}

MlpWeights ZeroMlp(int64_t hidden, int64_t inter) {
  return {Zeros({inter, hidden}), Zeros({inter, hidden}), Zeros({hidden, inter})};
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

void ModelWeights::ForEachParameter(const std::function<void(const std::string&, Tensor&)>& fn) {
  Walk(*this, false, fn);
}
void ModelWeights::ForEachParameter(
    const std::function<void(const std::string&, const Tensor&)>& fn) const {
  Walk(*this, false, fn);
}
void ModelWeights::ForEachBuffer(const std::function<void(const std::string&, Tensor&)>& fn) {
  Walk(*this, true, fn);
}
void ModelWeights::ForEachBuffer(
    const std::function<void(const std::string&, const Tensor&)>& fn) const {
  Walk(*this, true, fn);
}

Tensor* ModelWeights::Find(const std::string& name) {
  Tensor* found = nullptr;
  auto look = [&](const std::string& n, Tensor& t) {
    if (n == name) found = &t;
  };
  ForEachParameter(look);
  if (found == nullptr) ForEachBuffer(look);
  return found;
}

const Tensor* ModelWeights::Find(const std::string& name) const {
  return const_cast<ModelWeights*>(this)->Find(name);
}

int64_t ModelWeights::num_parameters() const {
  int64_t n = 0;
  ForEachParameter([&](const std::string&, const Tensor& t) { n += t.size(); });
  return n;
}

ModelWeights ZeroWeights(const ModelConfig& c) {
  const int64_t h = c.hidden_size, d = c.head_dim;
  const int64_t q = static_cast<int64_t>(c.num_attention_heads) * d;
  const int64_t kv = static_cast<int64_t>(c.num_key_value_heads) * d;
  ModelWeights w;
  w.embed_tokens = Zeros({c.vocab_size, h});
  w.norm = Zeros({h});
  if (!c.tie_word_embeddings) w.lm_head = Zeros({c.vocab_size, h});
  w.layers.resize(c.num_hidden_layers);
  for (int l = 0; l < c.num_hidden_layers; ++l) {
    LayerWeights& L = w.layers[l];
    L.input_layernorm = Zeros({h});
    L.post_attention_layernorm = Zeros({h});
    L.q_proj = Zeros({q, h});
    L.k_proj = Zeros({kv, h});
    L.v_proj = Zeros({kv, h});
    L.o_proj = Zeros({h, q});
    if (c.qkv_bias) {
      L.q_bias = Zeros({q});
      L.k_bias = Zeros({kv});
      L.v_bias = Zeros({kv});
    }
    if (c.o_bias) L.o_bias = Zeros({h});
    if (c.qk_norm) {
      L.q_norm = Zeros({d});
      L.k_norm = Zeros({d});
    }
    if (!c.IsMoeLayer(l)) {
      L.mlp = ZeroMlp(h, c.intermediate_size);
      continue;
    }
    L.router = Zeros({c.num_experts, h});
    if (c.router_correction_bias) L.router_correction_bias = Zeros({c.num_experts});
    for (int e = 0; e < c.num_experts; ++e)
      L.experts.push_back(ZeroMlp(h, c.moe_intermediate_size));
    if (c.has_shared_expert()) {
      L.shared_expert = ZeroMlp(h, c.shared_expert_intermediate_size);
      L.shared_expert_gate = Zeros({1, h});
    }
  }
  return w;
}

ModelWeights RandomWeights(const ModelConfig& config, uint64_t seed, float init_std) {
  ModelWeights w = ZeroWeights(config);
  Rng rng(seed);
  w.ForEachParameter([&](const std::string& name, Tensor& t) {
    if (EndsWith(name, "norm.weight")) {
      for (float& x : t.data) x = 1.0f;
    } else if (t.shape.size() == 2) {
      for (float& x : t.data) x = static_cast<float>(rng.Normal() * init_std);
    }
  });
  return w;
}

absl::StatusOr<ModelWeights> LoadWeights(const ModelConfig& config, const std::string& path);

absl::StatusOr<Model> LoadModel(const std::string& dir) {
  absl::StatusOr<ModelConfig> config = LoadModelConfig(dir + "/config.json");
  if (!config.ok()) return config.status();
  absl::StatusOr<ModelWeights> weights = LoadWeights(*config, dir);
  if (!weights.ok()) return weights.status();
  return Model{*std::move(config), *std::move(weights)};
}

}  // namespace rlvr
