#include "model/attention.h"

#include <vector>

namespace rlvr {

void QkvForward(const ModelConfig& c, const LayerWeights& w, const Backend& be, const float* h1,
                int64_t t, const int32_t* positions, LayerActivations* a) {
  const int64_t h = c.hidden_size, d = c.head_dim;
  const int64_t nq = c.num_attention_heads * d, nkv = c.num_key_value_heads * d;
  a->q.resize(t * nq);
  a->k.resize(t * nkv);
  a->v.resize(t * nkv);
  be.LinearForward(h1, w.v_proj.ptr(), w.v_bias.ptr(), t, h, nkv, a->v.data());
  if (c.qk_norm) {
    a->q_lin.resize(t * nq);
    a->k_lin.resize(t * nkv);
    a->q_rstd.resize(t * c.num_attention_heads);
    a->k_rstd.resize(t * c.num_key_value_heads);
    be.LinearForward(h1, w.q_proj.ptr(), w.q_bias.ptr(), t, h, nq, a->q_lin.data());
    be.LinearForward(h1, w.k_proj.ptr(), w.k_bias.ptr(), t, h, nkv, a->k_lin.data());
    be.RmsNormForward(a->q_lin.data(), w.q_norm.ptr(), t * c.num_attention_heads, d, c.rms_norm_eps,
                      a->q.data(), a->q_rstd.data());
    be.RmsNormForward(a->k_lin.data(), w.k_norm.ptr(), t * c.num_key_value_heads, d, c.rms_norm_eps,
                      a->k.data(), a->k_rstd.data());
  } else {
    be.LinearForward(h1, w.q_proj.ptr(), w.q_bias.ptr(), t, h, nq, a->q.data());
    be.LinearForward(h1, w.k_proj.ptr(), w.k_bias.ptr(), t, h, nkv, a->k.data());
  }
  be.RopeForward(a->q.data(), positions, t, c.num_attention_heads, d, c.rope_theta);
  be.RopeForward(a->k.data(), positions, t, c.num_key_value_heads, d, c.rope_theta);
}

void QkvBackward(const ModelConfig& c, const LayerWeights& w, const Backend& be, const float* h1,
                 int64_t t, const int32_t* positions, const LayerActivations& a, float* dq,
                 float* dk, const float* dv, float* dh1, LayerWeights* g) {
  const int64_t h = c.hidden_size, d = c.head_dim;
  const int64_t nq = c.num_attention_heads * d, nkv = c.num_key_value_heads * d;
  be.RopeBackward(dq, positions, t, c.num_attention_heads, d, c.rope_theta);
  be.RopeBackward(dk, positions, t, c.num_key_value_heads, d, c.rope_theta);
  const float* dq_lin = dq;
  const float* dk_lin = dk;
  std::vector<float> dq_pre, dk_pre;
  if (c.qk_norm) {
    dq_pre.resize(t * nq);
    dk_pre.resize(t * nkv);
    be.RmsNormBackward(dq, a.q_lin.data(), w.q_norm.ptr(), a.q_rstd.data(),
                       t * c.num_attention_heads, d, dq_pre.data(), g->q_norm.ptr());
    be.RmsNormBackward(dk, a.k_lin.data(), w.k_norm.ptr(), a.k_rstd.data(),
                       t * c.num_key_value_heads, d, dk_pre.data(), g->k_norm.ptr());
    dq_lin = dq_pre.data();
    dk_lin = dk_pre.data();
  }
  be.LinearBackward(dq_lin, h1, w.q_proj.ptr(), t, h, nq, dh1, 0.0f, g->q_proj.ptr(),
                    g->q_bias.ptr());
  be.LinearBackward(dk_lin, h1, w.k_proj.ptr(), t, h, nkv, dh1, 1.0f, g->k_proj.ptr(),
                    g->k_bias.ptr());
  be.LinearBackward(dv, h1, w.v_proj.ptr(), t, h, nkv, dh1, 1.0f, g->v_proj.ptr(), g->v_bias.ptr());
}

}  // namespace rlvr
