// The optimized CPU backend against the plain reference on random inputs, at sizes that cross
// the parallel thresholds. Tolerance: |opt - ref| <= kAtol + kRtol |ref| elementwise (fp32
// accumulation against the reference's double accumulation). Also: the optimized backend gives
// bitwise-identical results when run twice.
#include <memory>
#include <numeric>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/backend.h"
#include "tests/kernels/test_util.h"

namespace rlvr {
namespace {

using testing::ExpectClose;
using testing::RandomVector;

constexpr double kAtol = 2e-5;
constexpr double kRtol = 2e-4;

class CpuVsReference : public ::testing::TestWithParam<int> {
 protected:
  std::unique_ptr<Backend> ref_ = MakeReferenceBackend();
  std::unique_ptr<Backend> opt_ = MakeCpuBackend(GetParam());
};

TEST_P(CpuVsReference, RmsNormForwardBackward) {
  const int rows = 300, dim = 96;
  auto x = RandomVector(rows * dim, 1, 2.0f), w = RandomVector(dim, 2),
       dy = RandomVector(rows * dim, 3);
  std::vector<float> o1(rows * dim), o2(rows * dim), r1(rows), r2(rows);
  ref_->RmsNormForward(x.data(), w.data(), rows, dim, 1e-6f, o1.data(), r1.data());
  opt_->RmsNormForward(x.data(), w.data(), rows, dim, 1e-6f, o2.data(), r2.data());
  ExpectClose("out", o2, o1, kAtol, kRtol);
  std::vector<float> dx1(rows * dim), dx2(rows * dim), dw1(dim, 0.5f), dw2(dim, 0.5f);
  ref_->RmsNormBackward(dy.data(), x.data(), w.data(), r1.data(), rows, dim, dx1.data(),
                        dw1.data());
  opt_->RmsNormBackward(dy.data(), x.data(), w.data(), r1.data(), rows, dim, dx2.data(),
                        dw2.data());
  ExpectClose("dx", dx2, dx1, kAtol, kRtol);
  ExpectClose("dw", dw2, dw1, 1e-4, kRtol);
}

TEST_P(CpuVsReference, LinearForwardBackward) {
  const int rows = 70, in = 48, out = 40;
  auto x = RandomVector(rows * in, 4), w = RandomVector(out * in, 5), b = RandomVector(out, 6);
  auto dy = RandomVector(rows * out, 7);
  std::vector<float> y1(rows * out), y2(rows * out);
  ref_->LinearForward(x.data(), w.data(), b.data(), rows, in, out, y1.data());
  opt_->LinearForward(x.data(), w.data(), b.data(), rows, in, out, y2.data());
  ExpectClose("y", y2, y1, kAtol, kRtol);
  std::vector<float> dx1(rows * in, 1.0f), dx2(rows * in, 1.0f), dw1(out * in, 0.25f),
      dw2(out * in, 0.25f), db1(out, 0.0f), db2(out, 0.0f);
  ref_->LinearBackward(dy.data(), x.data(), w.data(), rows, in, out, dx1.data(), 1.0f, dw1.data(),
                       db1.data());
  opt_->LinearBackward(dy.data(), x.data(), w.data(), rows, in, out, dx2.data(), 1.0f, dw2.data(),
                       db2.data());
  ExpectClose("dx", dx2, dx1, kAtol, kRtol);
  ExpectClose("dw", dw2, dw1, 1e-4, kRtol);
  ExpectClose("db", db2, db1, 1e-4, kRtol);
}

TEST_P(CpuVsReference, RopeBothDirections) {
  const int tokens = 200, heads = 3, dim = 16;
  std::vector<int32_t> pos(tokens);
  std::iota(pos.begin(), pos.end(), 1000);
  auto x1 = RandomVector(tokens * heads * dim, 8), x2 = x1;
  ref_->RopeForward(x1.data(), pos.data(), tokens, heads, dim, 1e6f);
  opt_->RopeForward(x2.data(), pos.data(), tokens, heads, dim, 1e6f);
  ExpectClose("forward", x2, x1, 1e-6, 1e-6);
  ref_->RopeBackward(x1.data(), pos.data(), tokens, heads, dim, 1e6f);
  opt_->RopeBackward(x2.data(), pos.data(), tokens, heads, dim, 1e6f);
  ExpectClose("backward", x2, x1, 1e-6, 1e-6);
}

TEST_P(CpuVsReference, PackedAttentionForwardBackward) {
  // Sequences longer than the optimized kernel's query block (64) as well as short ones.
  const std::vector<int32_t> cu = {0, 37, 38, 181, 230};
  AttentionShape s{230, 4, 6, 2, 16};
  auto q = RandomVector(230 * 6 * 16, 9), k = RandomVector(230 * 2 * 16, 10);
  auto v = RandomVector(230 * 2 * 16, 11), dout = RandomVector(230 * 6 * 16, 12);
  std::vector<float> o1(q.size()), o2(q.size()), l1(230 * 6), l2(230 * 6);
  ref_->AttentionForward(s, q.data(), k.data(), v.data(), cu.data(), o1.data(), l1.data());
  opt_->AttentionForward(s, q.data(), k.data(), v.data(), cu.data(), o2.data(), l2.data());
  ExpectClose("out", o2, o1, kAtol, kRtol);
  ExpectClose("lse", l2, l1, kAtol, kRtol);
  std::vector<float> dq1(q.size()), dq2(q.size()), dk1(k.size()), dk2(k.size()), dv1(v.size()),
      dv2(v.size());
  ref_->AttentionBackward(s, dout.data(), q.data(), k.data(), v.data(), o1.data(), l1.data(),
                          cu.data(), dq1.data(), dk1.data(), dv1.data());
  opt_->AttentionBackward(s, dout.data(), q.data(), k.data(), v.data(), o1.data(), l1.data(),
                          cu.data(), dq2.data(), dk2.data(), dv2.data());
  ExpectClose("dq", dq2, dq1, kAtol, kRtol);
  ExpectClose("dk", dk2, dk1, kAtol, kRtol);
  ExpectClose("dv", dv2, dv1, kAtol, kRtol);
}

// The paged op against the packed op on the same keys/values scattered over blocks.
TEST_P(CpuVsReference, PagedAttentionEqualsPackedAttention) {
  const int tokens = 45, hq = 4, hkv = 2, d = 8, bs = 4, blocks = 16;
  auto q = RandomVector(tokens * hq * d, 13), k = RandomVector(tokens * hkv * d, 14);
  auto v = RandomVector(tokens * hkv * d, 15);
  const std::vector<int32_t> cu = {0, 20, 45};
  AttentionShape s{tokens, 2, hq, hkv, d};
  std::vector<float> want(q.size()), lse(tokens * hq);
  ref_->AttentionForward(s, q.data(), k.data(), v.data(), cu.data(), want.data(), lse.data());
  std::vector<float> pool(static_cast<size_t>(blocks) * 2 * bs * hkv * d, 0.0f);
  PagedKvLayer layer{pool.data(), pool.data() + bs * hkv * d, 2 * bs * hkv * d, bs, hkv, d};
  const std::vector<int32_t> tables = {7, 1, 12, 3, 9, 0, 15, 2, 11, 5, 6, 13, 4};  // 5 + 7 (+1)
  const std::vector<int64_t> starts = {0, 5, 13};
  std::vector<int32_t> seq_of(tokens), positions(tokens);
  std::vector<int64_t> slots(tokens);
  for (int t = 0; t < tokens; ++t) {
    seq_of[t] = t < 20 ? 0 : 1;
    positions[t] = t - cu[seq_of[t]];
    slots[t] = static_cast<int64_t>(tables[starts[seq_of[t]] + positions[t] / bs]) * bs +
               positions[t] % bs;
  }
  PagedAttentionArgs args{tokens,        hq,           seq_of.data(), positions.data(),
                          tables.data(), starts.data()};
  for (const Backend* be : {ref_.get(), opt_.get()}) {
    be->KvCacheWrite(k.data(), v.data(), tokens, slots.data(), layer);
    std::vector<float> got(q.size());
    be->PagedAttentionForward(args, q.data(), layer, got.data());
    ExpectClose(std::string(be->name()), got, want, kAtol, kRtol);
  }
}

TEST_P(CpuVsReference, SwiGluMoeAndEmbedding) {
  const int n = 5000;
  auto g = RandomVector(n, 16, 4.0f), u = RandomVector(n, 17), d = RandomVector(n, 18);
  std::vector<float> a1(n), a2(n), dg1(n), dg2(n), du1(n), du2(n);
  ref_->SwiGluForward(g.data(), u.data(), n, a1.data());
  opt_->SwiGluForward(g.data(), u.data(), n, a2.data());
  ExpectClose("swiglu", a2, a1, kAtol, kRtol);
  ref_->SwiGluBackward(d.data(), g.data(), u.data(), n, dg1.data(), du1.data());
  opt_->SwiGluBackward(d.data(), g.data(), u.data(), n, dg2.data(), du2.data());
  ExpectClose("dgate", dg2, dg1, kAtol, kRtol);
  ExpectClose("dup", du2, du1, kAtol, kRtol);

  std::vector<float> s1(n), s2(n);
  ref_->Add(g.data(), u.data(), n, s1.data());
  opt_->Add(g.data(), u.data(), n, s2.data());
  EXPECT_EQ(s1, s2);

  const int tokens = 90, k = 3, dim = 40, rows = tokens * k;
  std::vector<int32_t> slot_of(rows), token_of(rows);
  for (int i = 0; i < rows; ++i) slot_of[i] = (i * 7) % rows;  // a permutation (gcd(7, 270) = 1)
  for (int i = 0; i < rows; ++i) token_of[slot_of[i]] = i / k;
  auto x = RandomVector(tokens * dim, 19), eo = RandomVector(rows * dim, 20);
  auto w = RandomVector(rows, 21), dy = RandomVector(tokens * dim, 22);
  std::vector<float> gx1(rows * dim), gx2(rows * dim), y1(tokens * dim), y2(tokens * dim);
  ref_->MoeGather(x.data(), token_of.data(), rows, dim, gx1.data());
  opt_->MoeGather(x.data(), token_of.data(), rows, dim, gx2.data());
  EXPECT_EQ(gx1, gx2);
  ref_->MoeCombine(eo.data(), slot_of.data(), w.data(), tokens, k, dim, y1.data());
  opt_->MoeCombine(eo.data(), slot_of.data(), w.data(), tokens, k, dim, y2.data());
  ExpectClose("combine", y2, y1, kAtol, kRtol);
  std::vector<float> de1(rows * dim), de2(rows * dim), dw1(rows), dw2(rows);
  ref_->MoeCombineBackward(dy.data(), eo.data(), slot_of.data(), w.data(), tokens, k, dim,
                           de1.data(), dw1.data());
  opt_->MoeCombineBackward(dy.data(), eo.data(), slot_of.data(), w.data(), tokens, k, dim,
                           de2.data(), dw2.data());
  ExpectClose("dexpert", de2, de1, kAtol, kRtol);
  ExpectClose("dw", dw2, dw1, kAtol, kRtol);
  std::vector<float> dx1(tokens * dim, 0.0f), dx2(tokens * dim, 0.0f);
  ref_->MoeGatherBackward(eo.data(), slot_of.data(), tokens, k, dim, dx1.data());
  opt_->MoeGatherBackward(eo.data(), slot_of.data(), tokens, k, dim, dx2.data());
  ExpectClose("gather backward", dx2, dx1, kAtol, kRtol);

  auto logit = RandomVector(tokens, 36, 3.0f);
  std::vector<float> go1 = y1, go2 = y1, sx1(tokens * dim), sx2(tokens * dim), gl1(tokens),
                     gl2(tokens);
  ref_->SigmoidGateForward(logit.data(), x.data(), tokens, dim, go1.data());
  opt_->SigmoidGateForward(logit.data(), x.data(), tokens, dim, go2.data());
  ExpectClose("gate forward", go2, go1, kAtol, kRtol);
  ref_->SigmoidGateBackward(dy.data(), logit.data(), x.data(), tokens, dim, sx1.data(), gl1.data());
  opt_->SigmoidGateBackward(dy.data(), logit.data(), x.data(), tokens, dim, sx2.data(), gl2.data());
  ExpectClose("gate dx", sx2, sx1, kAtol, kRtol);
  ExpectClose("gate dlogit", gl2, gl1, kAtol, kRtol);

  std::vector<int32_t> ids(tokens);
  for (int i = 0; i < tokens; ++i) ids[i] = (i * 5) % 17;
  std::vector<float> t1(17 * dim, 0.0f), t2(17 * dim, 0.0f);
  ref_->EmbeddingBackward(ids.data(), tokens, dy.data(), dim, t1.data());
  opt_->EmbeddingBackward(ids.data(), tokens, dy.data(), dim, t2.data());
  ExpectClose("embedding backward", t2, t1, kAtol, kRtol);
}

TEST_P(CpuVsReference, FusedLogprobHead) {
  const int tokens = 150, dim = 32, vocab = 500;  // more than one chunk of rows
  auto h = RandomVector(tokens * dim, 23), w = RandomVector(vocab * dim, 24);
  auto dl = RandomVector(tokens, 25);
  std::vector<int32_t> targets(tokens);
  for (int i = 0; i < tokens; ++i) targets[i] = i % 13 == 0 ? -1 : (i * 31) % vocab;
  std::vector<float> lp1(tokens), lp2(tokens), e1(tokens), e2(tokens), l1(tokens), l2(tokens);
  ref_->LogprobForward(h.data(), w.data(), targets.data(), tokens, dim, vocab, lp1.data(),
                       e1.data(), l1.data());
  opt_->LogprobForward(h.data(), w.data(), targets.data(), tokens, dim, vocab, lp2.data(),
                       e2.data(), l2.data());
  ExpectClose("logprob", lp2, lp1, kAtol, kRtol);
  ExpectClose("entropy", e2, e1, kAtol, kRtol);
  std::vector<float> dh1(tokens * dim), dh2(tokens * dim), dw1(vocab * dim, 0.0f),
      dw2(vocab * dim, 0.0f);
  auto de = RandomVector(tokens, 31);
  ref_->LogprobBackward(dl.data(), de.data(), h.data(), w.data(), targets.data(), l1.data(),
                        e1.data(), tokens, dim, vocab, dh1.data(), dw1.data());
  opt_->LogprobBackward(dl.data(), de.data(), h.data(), w.data(), targets.data(), l1.data(),
                        e1.data(), tokens, dim, vocab, dh2.data(), dw2.data());
  ExpectClose("dh", dh2, dh1, kAtol, kRtol);
  ExpectClose("dw", dw2, dw1, kAtol, kRtol);
}

TEST_P(CpuVsReference, AdamWAndSumSquares) {
  const int n = 70000;
  auto p1 = RandomVector(n, 26), g = RandomVector(n, 27);
  auto p2 = p1;
  std::vector<float> m1(n, 0.0f), m2(n, 0.0f), v1(n, 0.0f), v2(n, 0.0f);
  AdamWParams hp;
  hp.weight_decay = 0.1f;
  for (int step = 1; step <= 3; ++step) {
    hp.step = step;
    ref_->AdamWStep(hp, p1.data(), g.data(), m1.data(), v1.data(), n);
    opt_->AdamWStep(hp, p2.data(), g.data(), m2.data(), v2.data(), n);
  }
  ExpectClose("param", p2, p1, 1e-6, 1e-6);
  EXPECT_NEAR(opt_->SumSquares(g.data(), n), ref_->SumSquares(g.data(), n),
              1e-5 * ref_->SumSquares(g.data(), n));
}

TEST_P(CpuVsReference, OptimizedRunsAreBitwiseRepeatable) {
  const std::vector<int32_t> cu = {0, 50, 120};
  AttentionShape s{120, 2, 4, 2, 16};
  auto q = RandomVector(120 * 64, 28), k = RandomVector(120 * 32, 29),
       v = RandomVector(120 * 32, 30);
  std::vector<float> o1(q.size()), o2(q.size()), l1(480), l2(480);
  opt_->AttentionForward(s, q.data(), k.data(), v.data(), cu.data(), o1.data(), l1.data());
  opt_->AttentionForward(s, q.data(), k.data(), v.data(), cu.data(), o2.data(), l2.data());
  EXPECT_EQ(o1, o2);
  EXPECT_EQ(l1, l2);
}

INSTANTIATE_TEST_SUITE_P(Threads, CpuVsReference, ::testing::Values(1, 3));

}  // namespace
}  // namespace rlvr
