#include "model/moe.h"

#include <cmath>
#include <vector>

namespace rlvr {
namespace {

// y = down(silu(gate(x)) * up(x)) for `rows` rows; keeps gate, up and act.
void SwiGluMlpForward(const MlpWeights& w, const Backend& be, const float* x, int64_t rows,
                      int64_t hidden, int64_t inter, float* gate, float* up, float* act, float* y) {
  be.LinearForward(x, w.gate_proj.ptr(), nullptr, rows, hidden, inter, gate);
  be.LinearForward(x, w.up_proj.ptr(), nullptr, rows, hidden, inter, up);
  be.SwiGluForward(gate, up, rows * inter, act);
  be.LinearForward(act, w.down_proj.ptr(), nullptr, rows, inter, hidden, y);
}

// dx = dx_beta * dx + d/dx; gradients into g.
void SwiGluMlpBackward(const MlpWeights& w, const Backend& be, const float* x, int64_t rows,
                       int64_t hidden, int64_t inter, const float* gate, const float* up,
                       const float* act, const float* dy, float* dx, float dx_beta, MlpWeights* g) {
  std::vector<float> dact(rows * inter), dgate(rows * inter), dup(rows * inter);
  be.LinearBackward(dy, act, w.down_proj.ptr(), rows, inter, hidden, dact.data(), 0.0f,
                    g->down_proj.ptr(), nullptr);
  be.SwiGluBackward(dact.data(), gate, up, rows * inter, dgate.data(), dup.data());
  be.LinearBackward(dgate.data(), x, w.gate_proj.ptr(), rows, hidden, inter, dx, dx_beta,
                    g->gate_proj.ptr(), nullptr);
  be.LinearBackward(dup.data(), x, w.up_proj.ptr(), rows, hidden, inter, dx, 1.0f, g->up_proj.ptr(),
                    nullptr);
}

// Groups the (token, k) assignments by expert: rows of expert e are [offsets[e], offsets[e+1]),
// in token order (a counting sort, so the layout depends only on the routing).
void PlanDispatch(const int32_t* topk_idx, int64_t tokens, int k, int experts, MoeActivations* m) {
  m->offsets.assign(experts + 1, 0);
  for (int64_t i = 0; i < tokens * k; ++i) ++m->offsets[topk_idx[i] + 1];
  for (int e = 0; e < experts; ++e) m->offsets[e + 1] += m->offsets[e];
  std::vector<int32_t> next(m->offsets.begin(), m->offsets.end() - 1);
  m->token_of.resize(tokens * k);
  m->slot_of.resize(tokens * k);
  for (int64_t t = 0; t < tokens; ++t) {
    for (int j = 0; j < k; ++j) {
      const int32_t row = next[topk_idx[t * k + j]]++;
      m->token_of[row] = static_cast<int32_t>(t);
      m->slot_of[t * k + j] = row;
    }
  }
}

}  // namespace

void MlpForward(const ModelConfig& c, const LayerWeights& w, const Backend& be, bool moe,
                const float* h2, int64_t t, LayerActivations* a, float* out) {
  const int64_t h = c.hidden_size;
  if (!moe) {
    const int64_t inter = c.intermediate_size;
    a->gate.resize(t * inter);
    a->up.resize(t * inter);
    a->act.resize(t * inter);
    SwiGluMlpForward(w.mlp, be, h2, t, h, inter, a->gate.data(), a->up.data(), a->act.data(), out);
    return;
  }
  MoeActivations& m = a->moe;
  const int e = c.num_experts, k = c.num_experts_per_tok;
  const int64_t inter = c.moe_intermediate_size, rows = t * k;
  std::vector<float> logits(t * e);
  m.scores.resize(t * e);
  m.topk_idx.resize(t * k);
  m.topk_w.resize(t * k);
  be.LinearForward(h2, w.router.ptr(), nullptr, t, h, e, logits.data());
  be.RouterForward(c.router_shape(t), logits.data(), w.router_correction_bias.ptr(),
                   m.scores.data(), m.topk_idx.data(), m.topk_w.data());
  PlanDispatch(m.topk_idx.data(), t, k, e, &m);
  m.x.resize(rows * h);
  m.gate.resize(rows * inter);
  m.up.resize(rows * inter);
  m.act.resize(rows * inter);
  m.out.resize(rows * h);
  be.MoeGather(h2, m.token_of.data(), rows, h, m.x.data());
  for (int ex = 0; ex < e; ++ex) {
    const int64_t r0 = m.offsets[ex], n = m.offsets[ex + 1] - r0;
    if (n == 0) continue;
    SwiGluMlpForward(w.experts[ex], be, m.x.data() + r0 * h, n, h, inter,
                     m.gate.data() + r0 * inter, m.up.data() + r0 * inter,
                     m.act.data() + r0 * inter, m.out.data() + r0 * h);
  }
  be.MoeCombine(m.out.data(), m.slot_of.data(), m.topk_w.data(), t, k, h, out);
  if (!c.has_shared_expert()) return;
  const int64_t si = c.shared_expert_intermediate_size;
  m.s_gate.resize(t * si);
  m.s_up.resize(t * si);
  m.s_act.resize(t * si);
  m.s_out.resize(t * h);
  m.s_logit.resize(t);
  SwiGluMlpForward(w.shared_expert, be, h2, t, h, si, m.s_gate.data(), m.s_up.data(),
                   m.s_act.data(), m.s_out.data());
  be.LinearForward(h2, w.shared_expert_gate.ptr(), nullptr, t, h, 1, m.s_logit.data());
  be.SigmoidGateForward(m.s_logit.data(), m.s_out.data(), t, h, out);
}

void MlpBackward(const ModelConfig& c, const LayerWeights& w, const Backend& be, bool moe,
                 const float* h2, int64_t t, const LayerActivations& a, const float* dout,
                 const float* dscores, float* dh2, LayerWeights* g) {
  const int64_t h = c.hidden_size;
  if (!moe) {
    SwiGluMlpBackward(w.mlp, be, h2, t, h, c.intermediate_size, a.gate.data(), a.up.data(),
                      a.act.data(), dout, dh2, 0.0f, &g->mlp);
    return;
  }
  const MoeActivations& m = a.moe;
  const int e = c.num_experts, k = c.num_experts_per_tok;
  const int64_t inter = c.moe_intermediate_size, rows = t * k;
  // Routed experts: combine -> experts -> gather.
  std::vector<float> dexp_out(rows * h), dtopk_w(t * k), dx_rows(rows * h);
  be.MoeCombineBackward(dout, m.out.data(), m.slot_of.data(), m.topk_w.data(), t, k, h,
                        dexp_out.data(), dtopk_w.data());
  for (int ex = 0; ex < e; ++ex) {
    const int64_t r0 = m.offsets[ex], n = m.offsets[ex + 1] - r0;
    if (n == 0) continue;
    SwiGluMlpBackward(w.experts[ex], be, m.x.data() + r0 * h, n, h, inter,
                      m.gate.data() + r0 * inter, m.up.data() + r0 * inter,
                      m.act.data() + r0 * inter, dexp_out.data() + r0 * h, dx_rows.data() + r0 * h,
                      0.0f, &g->experts[ex]);
  }
  std::vector<float> dlogits(t * e);
  be.RouterBackward(c.router_shape(t), m.scores.data(), m.topk_idx.data(), dtopk_w.data(), dscores,
                    dlogits.data());
  be.LinearBackward(dlogits.data(), h2, w.router.ptr(), t, h, e, dh2, 0.0f, g->router.ptr(),
                    nullptr);
  be.MoeGatherBackward(dx_rows.data(), m.slot_of.data(), t, k, h, dh2);
  if (!c.has_shared_expert()) return;
  // Shared expert: out += sigmoid(logit) * s_out.
  const int64_t si = c.shared_expert_intermediate_size;
  std::vector<float> ds_out(t * h), dlogit(t);
  be.SigmoidGateBackward(dout, m.s_logit.data(), m.s_out.data(), t, h, ds_out.data(),
                         dlogit.data());
  be.LinearBackward(dlogit.data(), h2, w.shared_expert_gate.ptr(), t, h, 1, dh2, 1.0f,
                    g->shared_expert_gate.ptr(), nullptr);
  SwiGluMlpBackward(w.shared_expert, be, h2, t, h, si, m.s_gate.data(), m.s_up.data(),
                    m.s_act.data(), ds_out.data(), dh2, 1.0f, &g->shared_expert);
}

}  // namespace rlvr
