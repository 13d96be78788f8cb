// Finite-difference checks of every backward op in kernels/backend.h, on both CPU backends.
// Each check uses a scalar loss L = sum(out * R) with a fixed random R.
#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/backend.h"
#include "tests/kernels/test_util.h"

namespace rlvr {
namespace {

using testing::Dot;
using testing::ExpectGradientMatches;
using testing::RandomVector;

std::vector<std::unique_ptr<Backend>> Backends() {
  std::vector<std::unique_ptr<Backend>> b;
  b.push_back(MakeReferenceBackend());
  b.push_back(MakeCpuBackend(2));
  return b;
}

TEST(GradCheck, RmsNorm) {
  for (const auto& be : Backends()) {
    SCOPED_TRACE(be->name());
    const int rows = 3, dim = 8;
    auto x = RandomVector(rows * dim, 1), w = RandomVector(dim, 2), r = RandomVector(rows * dim, 3);
    std::vector<float> out(rows * dim), rstd(rows), dx(rows * dim), dw(dim, 0.0f);
    auto loss = [&] {
      be->RmsNormForward(x.data(), w.data(), rows, dim, 1e-6f, out.data(), rstd.data());
      return Dot(out, r);
    };
    loss();
    be->RmsNormBackward(r.data(), x.data(), w.data(), rstd.data(), rows, dim, dx.data(), dw.data());
    ExpectGradientMatches("dx", &x, dx, loss);
    ExpectGradientMatches("dw", &w, dw, loss);
  }
}

TEST(GradCheck, LinearWithBiasAndAccumulatedInputGradient) {
  for (const auto& be : Backends()) {
    SCOPED_TRACE(be->name());
    const int rows = 4, in = 5, out = 3;
    auto x = RandomVector(rows * in, 4), w = RandomVector(out * in, 5), b = RandomVector(out, 6);
    auto r = RandomVector(rows * out, 7);
    std::vector<float> y(rows * out), dw(out * in, 0.0f), db(out, 0.0f);
    auto loss = [&] {
      be->LinearForward(x.data(), w.data(), b.data(), rows, in, out, y.data());
      return Dot(y, r);
    };
    // dx_beta = 1 adds to what is there: start from 1s and subtract them afterwards.
    std::vector<float> dx(rows * in, 1.0f);
    be->LinearBackward(r.data(), x.data(), w.data(), rows, in, out, dx.data(), 1.0f, dw.data(),
                       db.data());
    for (float& v : dx) v -= 1.0f;
    ExpectGradientMatches("dx", &x, dx, loss);
    ExpectGradientMatches("dw", &w, dw, loss);
    ExpectGradientMatches("db", &b, db, loss);
  }
}

TEST(GradCheck, Rope) {
  for (const auto& be : Backends()) {
    SCOPED_TRACE(be->name());
    const int tokens = 3, heads = 2, dim = 8;
    const std::vector<int32_t> pos = {0, 5, 17};
    auto x = RandomVector(tokens * heads * dim, 8), r = RandomVector(tokens * heads * dim, 9);
    auto loss = [&] {
      std::vector<float> y = x;
      be->RopeForward(y.data(), pos.data(), tokens, heads, dim, 10000.0f);
      return Dot(y, r);
    };
    std::vector<float> dx = r;
    be->RopeBackward(dx.data(), pos.data(), tokens, heads, dim, 10000.0f);
    ExpectGradientMatches("dx", &x, dx, loss);
  }
}

TEST(GradCheck, PackedCausalGqaAttention) {
  for (const auto& be : Backends()) {
    SCOPED_TRACE(be->name());
    const std::vector<int32_t> cu = {0, 3, 7};
    AttentionShape s{7, 2, 4, 2, 8};
    auto q = RandomVector(7 * 4 * 8, 10), k = RandomVector(7 * 2 * 8, 11);
    auto v = RandomVector(7 * 2 * 8, 12), r = RandomVector(7 * 4 * 8, 13);
    std::vector<float> out(q.size()), lse(7 * 4), dq(q.size()), dk(k.size()), dv(v.size());
    auto loss = [&] {
      be->AttentionForward(s, q.data(), k.data(), v.data(), cu.data(), out.data(), lse.data());
      return Dot(out, r);
    };
    loss();
    be->AttentionBackward(s, r.data(), q.data(), k.data(), v.data(), out.data(), lse.data(),
                          cu.data(), dq.data(), dk.data(), dv.data());
    ExpectGradientMatches("dq", &q, dq, loss);
    ExpectGradientMatches("dk", &k, dk, loss);
    ExpectGradientMatches("dv", &v, dv, loss);
  }
}

TEST(GradCheck, SigmoidGate) {
  for (const auto& be : Backends()) {
    SCOPED_TRACE(be->name());
    const int tokens = 4, dim = 5;
    auto logit = RandomVector(tokens, 32, 2.0f), x = RandomVector(tokens * dim, 33);
    auto base = RandomVector(tokens * dim, 34), r = RandomVector(tokens * dim, 35);
    auto loss = [&] {
      std::vector<float> out = base;
      be->SigmoidGateForward(logit.data(), x.data(), tokens, dim, out.data());
      return Dot(out, r);
    };
    std::vector<float> dx(tokens * dim), dlogit(tokens);
    be->SigmoidGateBackward(r.data(), logit.data(), x.data(), tokens, dim, dx.data(),
                            dlogit.data());
    ExpectGradientMatches("dx", &x, dx, loss);
    ExpectGradientMatches("dlogit", &logit, dlogit, loss);
  }
}

TEST(GradCheck, SwiGlu) {
  for (const auto& be : Backends()) {
    SCOPED_TRACE(be->name());
    const int n = 20;
    auto g = RandomVector(n, 14, 3.0f), u = RandomVector(n, 15), r = RandomVector(n, 16);
    std::vector<float> out(n), dg(n), du(n);
    auto loss = [&] {
      be->SwiGluForward(g.data(), u.data(), n, out.data());
      return Dot(out, r);
    };
    be->SwiGluBackward(r.data(), g.data(), u.data(), n, dg.data(), du.data());
    ExpectGradientMatches("dgate", &g, dg, loss);
    ExpectGradientMatches("dup", &u, du, loss);
  }
}

// Router variants: softmax with and without renormalisation, sigmoid with correction bias and
// scaling. Logits are spread out so that a small step never changes the chosen experts.
TEST(GradCheck, RouterTopK) {
  struct Variant {
    RouterScoring scoring;
    bool norm;
    float scaling;
    bool bias;
  };
  for (const Variant& var : {Variant{RouterScoring::kSoftmax, false, 1.0f, false},
                             Variant{RouterScoring::kSoftmax, true, 1.0f, false},
                             Variant{RouterScoring::kSigmoid, true, 2.5f, true}}) {
    for (const auto& be : Backends()) {
      SCOPED_TRACE(be->name());
      RouterShape s{5, 6, 2, var.scoring, var.norm, var.scaling};
      std::vector<float> z(5 * 6);
      for (int t = 0; t < 5; ++t) {
        for (int e = 0; e < 6; ++e) z[t * 6 + e] = 0.7f * ((e * 5 + t * 3) % 6) - 1.5f;
      }
      auto bias = RandomVector(6, 17, 0.05f);
      auto r = RandomVector(5 * 2, 18), r2 = RandomVector(5 * 6, 19);
      std::vector<float> scores(30), w(10), dz(30);
      std::vector<int32_t> idx(10), idx0;
      auto loss = [&] {
        be->RouterForward(s, z.data(), var.bias ? bias.data() : nullptr, scores.data(), idx.data(),
                          w.data());
        if (!idx0.empty()) {
          EXPECT_EQ(idx, idx0);
        }
        return Dot(w, r) + Dot(scores, r2);
      };
      loss();
      idx0 = idx;
      be->RouterBackward(s, scores.data(), idx.data(), r.data(), r2.data(), dz.data());
      ExpectGradientMatches("dlogits", &z, dz, loss, 1e-3f);
    }
  }
}

TEST(GradCheck, MoeGatherAndCombine) {
  for (const auto& be : Backends()) {
    SCOPED_TRACE(be->name());
    const int tokens = 3, k = 2, dim = 4, rows = 6;
    const std::vector<int32_t> slot_of = {4, 0, 1, 5, 3, 2};  // (t, k) -> expert row
    std::vector<int32_t> token_of(rows);
    for (int i = 0; i < tokens * k; ++i) token_of[slot_of[i]] = i / k;
    auto x = RandomVector(tokens * dim, 20), w = RandomVector(tokens * k, 21);
    auto r = RandomVector(tokens * dim, 22);
    auto expert = RandomVector(rows * dim, 23);
    // Gather then a fixed per-row map (rows * 1.5 + expert) then combine.
    auto loss = [&] {
      std::vector<float> g(rows * dim), y(tokens * dim);
      be->MoeGather(x.data(), token_of.data(), rows, dim, g.data());
      for (int i = 0; i < rows * dim; ++i) g[i] = 1.5f * g[i] + expert[i];
      be->MoeCombine(g.data(), slot_of.data(), w.data(), tokens, k, dim, y.data());
      return Dot(y, r);
    };
    std::vector<float> g(rows * dim), dg(rows * dim), dw(tokens * k), dx(tokens * dim, 0.0f);
    be->MoeGather(x.data(), token_of.data(), rows, dim, g.data());
    for (int i = 0; i < rows * dim; ++i) g[i] = 1.5f * g[i] + expert[i];
    be->MoeCombineBackward(r.data(), g.data(), slot_of.data(), w.data(), tokens, k, dim, dg.data(),
                           dw.data());
    std::vector<float> dexpert = dg;
    for (float& v : dg) v *= 1.5f;
    be->MoeGatherBackward(dg.data(), slot_of.data(), tokens, k, dim, dx.data());
    ExpectGradientMatches("dx", &x, dx, loss);
    ExpectGradientMatches("dw", &w, dw, loss);
    ExpectGradientMatches("dexpert_out", &expert, dexpert, loss);
  }
}

TEST(GradCheck, FusedLogprobHeadWithEntropy) {
  for (const auto& be : Backends()) {
    SCOPED_TRACE(be->name());
    const int tokens = 4, dim = 6, vocab = 11;
    auto h = RandomVector(tokens * dim, 24), w = RandomVector(vocab * dim, 25);
    const std::vector<int32_t> targets = {3, -1, 10, 0};
    auto r = RandomVector(tokens, 26), r2 = RandomVector(tokens, 31);
    std::vector<float> lp(tokens), ent(tokens), lse(tokens), dh(tokens * dim),
        dw(vocab * dim, 0.0f);
    auto loss = [&] {
      be->LogprobForward(h.data(), w.data(), targets.data(), tokens, dim, vocab, lp.data(),
                         ent.data(), lse.data());
      return Dot(lp, r) + Dot(ent, r2);
    };
    loss();
    be->LogprobBackward(r.data(), r2.data(), h.data(), w.data(), targets.data(), lse.data(),
                        ent.data(), tokens, dim, vocab, dh.data(), dw.data());
    ExpectGradientMatches("dh", &h, dh, loss);
    ExpectGradientMatches("dw", &w, dw, loss);
  }
}

TEST(GradCheck, CrossEntropy) {
  for (const auto& be : Backends()) {
    SCOPED_TRACE(be->name());
    const int rows = 3, vocab = 7;
    auto z = RandomVector(rows * vocab, 27, 2.0f), r = RandomVector(rows, 28);
    const std::vector<int32_t> targets = {6, 0, -1};
    std::vector<float> l(rows), dz(rows * vocab);
    auto loss = [&] {
      be->CrossEntropyForward(z.data(), targets.data(), rows, vocab, l.data());
      return Dot(l, r);
    };
    be->CrossEntropyBackward(r.data(), z.data(), targets.data(), rows, vocab, dz.data());
    ExpectGradientMatches("dlogits", &z, dz, loss);
  }
}

TEST(GradCheck, Embedding) {
  for (const auto& be : Backends()) {
    SCOPED_TRACE(be->name());
    const int n = 5, dim = 3, vocab = 4;
    const std::vector<int32_t> ids = {1, 3, 1, 0, 1};
    auto table = RandomVector(vocab * dim, 29), r = RandomVector(n * dim, 30);
    std::vector<float> out(n * dim), dtable(vocab * dim, 0.0f);
    auto loss = [&] {
      be->EmbeddingForward(ids.data(), n, table.data(), dim, out.data());
      return Dot(out, r);
    };
    be->EmbeddingBackward(ids.data(), n, r.data(), dim, dtable.data());
    ExpectGradientMatches("dtable", &table, dtable, loss);
  }
}

}  // namespace
}  // namespace rlvr

namespace rlvr {
namespace {

TEST(MakeBackend, NamesFromConfigs) {
  absl::StatusOr<std::unique_ptr<Backend>> cpu = MakeBackend("", 1);
  ASSERT_TRUE(cpu.ok());
  EXPECT_EQ((*cpu)->name(), "cpu");
  absl::StatusOr<std::unique_ptr<Backend>> ref = MakeBackend("reference", 1);
  ASSERT_TRUE(ref.ok());
  EXPECT_EQ((*ref)->name(), "reference");
  EXPECT_FALSE(MakeBackend("tpu", 1).ok());
  EXPECT_FALSE(MakeBackend("cuda", 1).ok());
}

}  // namespace
}  // namespace rlvr
