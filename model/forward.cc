// The training forward: embedding -> layers (attention block, MLP/MoE block) -> final norm ->
// LM head fused with log-softmax. Every activation the backward needs is kept in Activations.
#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"
#include "model/attention.h"
#include "model/model.h"
#include "model/moe.h"

namespace rlvr {

absl::Status ValidateBatch(const ModelConfig& config, const PackedBatch& batch) {
  const auto& cu = batch.cu_seqlens;
  if (cu.size() < 2 || cu.front() != 0) {
    return absl::InvalidArgumentError("batch: cu_seqlens must start with 0 and hold >= 2 entries");
  }
  for (size_t s = 1; s < cu.size(); ++s) {
    if (cu[s] <= cu[s - 1]) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "batch: cu_seqlens must be strictly increasing (sequence %d is empty or negative)",
          s - 1));
    }
  }
  if (cu.back() != batch.num_tokens()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "batch: cu_seqlens ends at %d but there are %d tokens", cu.back(), batch.num_tokens()));
  }
  for (size_t i = 0; i < batch.tokens.size(); ++i) {
    if (batch.tokens[i] < 0 || batch.tokens[i] >= config.vocab_size) {
      return absl::InvalidArgumentError(
          absl::StrFormat("batch: token %d at index %d is outside the vocabulary [0, %d)",
                          batch.tokens[i], i, config.vocab_size));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ForwardResult> Forward(const Model& model, const Backend& be,
                                      const PackedBatch& batch, const ForwardOptions& options,
                                      Activations* acts) {
  const ModelConfig& c = model.config;
  const ModelWeights& w = model.weights;
  if (absl::Status s = ValidateBatch(c, batch); !s.ok()) return s;
  Activations local;
  Activations& a = acts != nullptr ? *acts : local;
  const int64_t t = batch.num_tokens(), h = c.hidden_size;
  const int64_t nq = static_cast<int64_t>(c.num_attention_heads) * c.head_dim;
  a.tokens = batch.tokens;
  a.cu_seqlens = batch.cu_seqlens;
  a.positions.resize(t);
  a.targets.resize(t);
  for (int s = 0; s < batch.num_seqs(); ++s) {
    for (int32_t i = batch.cu_seqlens[s]; i < batch.cu_seqlens[s + 1]; ++i) {
      a.positions[i] = i - batch.cu_seqlens[s];
      a.targets[i] = i + 1 < batch.cu_seqlens[s + 1] ? batch.tokens[i + 1] : -1;
    }
  }
  // Without a caller's Activations nothing is kept for a backward: one layer's scratch is reused.
  a.layers.resize(acts != nullptr ? c.num_hidden_layers : 1);
  std::vector<float> x(t * h), o(t * h), y(t * h);
  be.EmbeddingForward(batch.tokens.data(), t, w.embed_tokens.ptr(), h, x.data());
  AttentionShape shape{t, batch.num_seqs(), c.num_attention_heads, c.num_key_value_heads,
                       c.head_dim};
  ForwardResult result;
  a.pooled_counts.assign(std::max(c.num_experts, 0), 0.0);
  a.pooled_rows = 0;
  std::vector<double> pooled_probs(std::max(c.num_experts, 0), 0.0);
  for (int l = 0; l < c.num_hidden_layers; ++l) {
    const LayerWeights& lw = w.layers[l];
    LayerActivations& la = a.layers[acts != nullptr ? l : 0];
    la.x = x;
    la.rstd1.resize(t);
    la.h1.resize(t * h);
    be.RmsNormForward(la.x.data(), lw.input_layernorm.ptr(), t, h, c.rms_norm_eps, la.h1.data(),
                      la.rstd1.data());
    QkvForward(c, lw, be, la.h1.data(), t, a.positions.data(), &la);
    la.attn.resize(t * nq);
    la.lse.resize(t * c.num_attention_heads);
    be.AttentionForward(shape, la.q.data(), la.k.data(), la.v.data(), a.cu_seqlens.data(),
                        la.attn.data(), la.lse.data());
    be.LinearForward(la.attn.data(), lw.o_proj.ptr(), lw.o_bias.ptr(), t, nq, h, o.data());
    la.x_mid.resize(t * h);
    be.Add(la.x.data(), o.data(), t * h, la.x_mid.data());
    la.rstd2.resize(t);
    la.h2.resize(t * h);
    be.RmsNormForward(la.x_mid.data(), lw.post_attention_layernorm.ptr(), t, h, c.rms_norm_eps,
                      la.h2.data(), la.rstd2.data());
    const bool moe = c.IsMoeLayer(l);
    MlpForward(c, lw, be, moe, la.h2.data(), t, &la, y.data());
    be.Add(la.x_mid.data(), y.data(), t * h, x.data());
    if (moe) {
      const int e = c.num_experts, k = c.num_experts_per_tok;
      std::vector<int64_t> load(e, 0);
      for (int64_t i = 0; i < t * k; ++i) ++load[la.moe.topk_idx[i]];
      for (int j = 0; j < e; ++j) a.pooled_counts[j] += static_cast<double>(load[j]);
      for (int64_t i = 0; i < t; ++i) {
        for (int j = 0; j < e; ++j) pooled_probs[j] += la.moe.scores[i * e + j];
      }
      a.pooled_rows += static_cast<double>(t);
      result.expert_load.push_back(std::move(load));
    }
  }
  if (a.pooled_rows > 0) {
    double aux = 0;
    for (int j = 0; j < c.num_experts; ++j) {
      aux += (a.pooled_counts[j] / a.pooled_rows) * (pooled_probs[j] / a.pooled_rows);
    }
    result.aux_loss = static_cast<float>(aux * c.num_experts);
  }
  a.x_final = std::move(x);
  a.rstd_f.resize(t);
  a.h_f.resize(t * h);
  be.RmsNormForward(a.x_final.data(), w.norm.ptr(), t, h, c.rms_norm_eps, a.h_f.data(),
                    a.rstd_f.data());
  const float* wout = w.output_weight().ptr();
  std::vector<float> lp(t);
  std::vector<float>& ent = a.entropy;
  ent.assign(options.compute_entropy ? t : 0, 0.0f);
  a.lse.resize(t);
  be.LogprobForward(a.h_f.data(), wout, a.targets.data(), t, h, c.vocab_size, lp.data(),
                    options.compute_entropy ? ent.data() : nullptr, a.lse.data());
  // Row i predicts tokens[i + 1]: shift so that results line up with the tokens they score.
  result.logprobs.assign(t, 0.0f);
  if (options.compute_entropy) result.entropy.assign(t, 0.0f);
  for (int64_t i = 0; i + 1 < t; ++i) {
    if (a.targets[i] < 0) continue;
    result.logprobs[i + 1] = lp[i];
    if (options.compute_entropy) result.entropy[i + 1] = ent[i];
  }
  if (options.return_logits) {
    result.logits.resize(t * c.vocab_size);
    be.LinearForward(a.h_f.data(), wout, nullptr, t, h, c.vocab_size, result.logits.data());
  }
  return result;
}

void UpdateRouterBias(const ModelConfig& config,
                      const std::vector<std::vector<int64_t>>& expert_load, float rate,
                      ModelWeights* weights) {
  if (!config.router_correction_bias) return;
  size_t moe_index = 0;
  for (int l = 0; l < config.num_hidden_layers; ++l) {
    if (!config.IsMoeLayer(l)) continue;
    if (moe_index >= expert_load.size()) return;
    const std::vector<int64_t>& load = expert_load[moe_index++];
    double mean = 0;
    for (int64_t n : load) mean += static_cast<double>(n);
    mean /= static_cast<double>(load.size());
    float* bias = weights->layers[l].router_correction_bias.ptr();
    for (size_t e = 0; e < load.size(); ++e) {
      const double diff = mean - static_cast<double>(load[e]);
      bias[e] += diff > 0 ? rate : (diff < 0 ? -rate : 0.0f);
    }
  }
}

}  // namespace rlvr
