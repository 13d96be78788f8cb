// The training backward: the forward's ops in reverse, reading the kept Activations.
#include <vector>

#include "absl/strings/str_format.h"
#include "model/attention.h"
#include "model/model.h"
#include "model/moe.h"

namespace rlvr {

absl::Status Backward(const Model& model, const Backend& be, const Activations& a,
                      absl::Span<const float> dlogprobs, const BackwardOptions& options,
                      ModelWeights* grads) {
  const ModelConfig& c = model.config;
  const ModelWeights& w = model.weights;
  const int64_t t = static_cast<int64_t>(a.tokens.size()), h = c.hidden_size;
  const int64_t nq = static_cast<int64_t>(c.num_attention_heads) * c.head_dim;
  const int64_t nkv = static_cast<int64_t>(c.num_key_value_heads) * c.head_dim;
  if (static_cast<int64_t>(dlogprobs.size()) != t) {
    return absl::InvalidArgumentError(
        absl::StrFormat("Backward: %d loss weights for a batch of %d tokens", dlogprobs.size(), t));
  }
  if (static_cast<int>(a.layers.size()) != c.num_hidden_layers || t == 0) {
    return absl::FailedPreconditionError("Backward: activations do not come from a Forward");
  }
  if (grads->layers.size() != w.layers.size() ||
      grads->embed_tokens.size() != w.embed_tokens.size() ||
      grads->lm_head.size() != w.lm_head.size()) {
    return absl::InvalidArgumentError("Backward: grads must have the layout of ZeroWeights()");
  }
  const float coef = options.aux_loss_coef >= 0 ? options.aux_loss_coef : c.router_aux_loss_coef;

  // LM head and final norm. Row i of the output predicts tokens[i + 1] (see Forward).
  std::vector<float> drow(t, 0.0f);
  for (int64_t i = 0; i + 1 < t; ++i) {
    if (a.targets[i] >= 0) drow[i] = dlogprobs[i + 1];
  }
  std::vector<float> dh(t * h), dx(t * h), dmid(t * h), tmp(t * h);
  Tensor& dwout = c.tie_word_embeddings ? grads->embed_tokens : grads->lm_head;
  std::vector<float> drow_entropy;
  if (!options.dentropy.empty()) {
    if (static_cast<int64_t>(options.dentropy.size()) != t || a.entropy.empty()) {
      return absl::InvalidArgumentError(
          "Backward: dentropy needs one value per token and a Forward with compute_entropy");
    }
    drow_entropy.assign(t, 0.0f);
    for (int64_t i = 0; i + 1 < t; ++i) {
      if (a.targets[i] >= 0) drow_entropy[i] = options.dentropy[i + 1];
    }
  }
  be.LogprobBackward(drow.data(), drow_entropy.empty() ? nullptr : drow_entropy.data(),
                     a.h_f.data(), w.output_weight().ptr(), a.targets.data(), a.lse.data(),
                     a.entropy.empty() ? nullptr : a.entropy.data(), t, h, c.vocab_size, dh.data(),
                     dwout.ptr());
  be.RmsNormBackward(dh.data(), a.x_final.data(), w.norm.ptr(), a.rstd_f.data(), t, h, dx.data(),
                     grads->norm.ptr());

  // Balancing loss: aux = E * sum_e (count_e / N) (sum_rows score_e / N), counts constant.
  std::vector<float> dscores;
  if (coef != 0 && a.pooled_rows > 0) {
    const int e = c.num_experts;
    dscores.assign(t * e, 0.0f);
    const double n = a.pooled_rows;
    for (int j = 0; j < e; ++j) {
      const float g = static_cast<float>(coef * e * a.pooled_counts[j] / (n * n));
      for (int64_t i = 0; i < t; ++i) dscores[i * e + j] = g;
    }
  }

  AttentionShape shape{t, static_cast<int>(a.cu_seqlens.size()) - 1, c.num_attention_heads,
                       c.num_key_value_heads, c.head_dim};
  std::vector<float> dattn(t * nq), dq(t * nq), dk(t * nkv), dv(t * nkv);
  for (int l = c.num_hidden_layers - 1; l >= 0; --l) {
    const LayerWeights& lw = w.layers[l];
    LayerWeights& lg = grads->layers[l];
    const LayerActivations& la = a.layers[l];
    // x_out = x_mid + mlp(norm(x_mid))
    const bool moe = c.IsMoeLayer(l);
    MlpBackward(c, lw, be, moe, la.h2.data(), t, la, dx.data(),
                moe && !dscores.empty() ? dscores.data() : nullptr, dh.data(), &lg);
    be.RmsNormBackward(dh.data(), la.x_mid.data(), lw.post_attention_layernorm.ptr(),
                       la.rstd2.data(), t, h, tmp.data(), lg.post_attention_layernorm.ptr());
    be.Add(dx.data(), tmp.data(), t * h, dmid.data());
    // x_mid = x + o_proj(attention(qkv(norm(x))))
    be.LinearBackward(dmid.data(), la.attn.data(), lw.o_proj.ptr(), t, nq, h, dattn.data(), 0.0f,
                      lg.o_proj.ptr(), lg.o_bias.ptr());
    be.AttentionBackward(shape, dattn.data(), la.q.data(), la.k.data(), la.v.data(), la.attn.data(),
                         la.lse.data(), a.cu_seqlens.data(), dq.data(), dk.data(), dv.data());
    QkvBackward(c, lw, be, la.h1.data(), t, a.positions.data(), la, dq.data(), dk.data(), dv.data(),
                dh.data(), &lg);
    be.RmsNormBackward(dh.data(), la.x.data(), lw.input_layernorm.ptr(), la.rstd1.data(), t, h,
                       tmp.data(), lg.input_layernorm.ptr());
    be.Add(dmid.data(), tmp.data(), t * h, dx.data());
  }
  be.EmbeddingBackward(a.tokens.data(), t, dx.data(), h, grads->embed_tokens.ptr());
  return absl::OkStatus();
}

}  // namespace rlvr
