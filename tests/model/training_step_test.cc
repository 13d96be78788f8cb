// A full training step (forward, backward, clipping, AdamW): bitwise reproducible, and it
// lowers the loss it follows.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/backend.h"
#include "model/model.h"
#include "model/optimizer.h"
#include "tests/model/tiny_models.h"

namespace rlvr {
namespace {

PackedBatch Batch() {
  PackedBatch b;
  b.tokens = {3, 7, 1, 0, 9, 4, 4, 12, 5, 8, 2, 2, 31};
  b.cu_seqlens = {0, 6, 10, 13};
  return b;
}

// Runs `steps` steps of minimizing the mean negative logprob; returns the weights and losses.
std::pair<ModelWeights, std::vector<float>> Train(const Backend& be, int steps) {
  Model model;
  model.config = testing::ParseConfigOrDie(testing::kTinyMoeJson);
  model.weights = RandomWeights(model.config, 21, 0.1f);
  const PackedBatch batch = Batch();
  std::vector<float> dlp(batch.tokens.size(), -1.0f / 10);
  ModelWeights grads = ZeroWeights(model.config);
  AdamWConfig hp;
  hp.lr = 1e-2f;
  hp.weight_decay = 0.01f;
  AdamW opt(model.config, hp);
  std::vector<float> losses;
  for (int s = 0; s < steps; ++s) {
    Activations acts;
    absl::StatusOr<ForwardResult> f = Forward(model, be, batch, {}, &acts);
    EXPECT_TRUE(f.ok());
    double loss = 0;
    for (size_t i = 0; i < dlp.size(); ++i) loss += dlp[i] * f->logprobs[i];
    losses.push_back(static_cast<float>(loss));
    ZeroGrads(&grads);
    EXPECT_TRUE(Backward(model, be, acts, dlp, {}, &grads).ok());
    ClipGradNorm(be, 1.0f, &grads);
    opt.Step(be, grads, &model.weights);
  }
  return {std::move(model.weights), losses};
}

TEST(TrainingStep, SameSeedAndInputsGiveBitwiseIdenticalWeights) {
  for (int threads : {1, 2}) {
    auto be = MakeCpuBackend(threads);
    auto [w1, l1] = Train(*be, 3);
    auto [w2, l2] = Train(*be, 3);
    EXPECT_EQ(l1, l2);
    std::vector<std::vector<float>> a, b;
    w1.ForEachParameter([&](const std::string&, const Tensor& t) { a.push_back(t.data); });
    w2.ForEachParameter([&](const std::string&, const Tensor& t) { b.push_back(t.data); });
    EXPECT_TRUE(a == b) << "threads " << threads;
  }
}

TEST(TrainingStep, LossGoesDown) {
  auto be = MakeCpuBackend(2);
  auto [w, losses] = Train(*be, 8);
  EXPECT_LT(losses.back(), losses.front());
}

TEST(Optimizer, AdamWFirstStepMatchesTheFormula) {
  // p = 1, g = 0.5, lr = 0.1, wd = 0.1: decay to 0.99, then m_hat = 0.5, v_hat = 0.25, so the
  // step is 0.1 * 0.5 / (0.5 + 1e-8).
  auto be = MakeReferenceBackend();
  float p = 1.0f, g = 0.5f, m = 0.0f, v = 0.0f;
  AdamWParams hp;
  hp.lr = 0.1f;
  hp.weight_decay = 0.1f;
  be->AdamWStep(hp, &p, &g, &m, &v, 1);
  EXPECT_NEAR(p, 0.99f - 0.1f, 1e-6f);
  EXPECT_NEAR(m, 0.05f, 1e-7f);
  EXPECT_NEAR(v, 0.00025f, 1e-8f);  // 1 - beta2 is inexact in fp32
}

TEST(Optimizer, ClipGradNormScalesToTheLimit) {
  auto be = MakeReferenceBackend();
  const ModelConfig c = testing::ParseConfigOrDie(testing::kTinyMoeJson);
  ModelWeights g = RandomWeights(c, 3, 1.0f);
  const double before = ClipGradNorm(*be, 2.0f, &g);
  EXPECT_GT(before, 2.0);
  EXPECT_NEAR(GradNorm(*be, g), 2.0, 1e-4);
  EXPECT_NEAR(ClipGradNorm(*be, 100.0f, &g), 2.0, 1e-4);  // below the limit: unchanged
  EXPECT_NEAR(GradNorm(*be, g), 2.0, 1e-4);
}

TEST(RouterBias, MovesTowardsBalancedLoad) {
  Model m;
  m.config = testing::ParseConfigOrDie(testing::kTinySigmoidMoeJson);
  m.weights = RandomWeights(m.config, 1);
  std::vector<std::vector<int64_t>> load = {{5, 1, 3, 3, 0, 6}, {3, 3, 3, 3, 3, 3}};
  UpdateRouterBias(m.config, load, 0.1f, &m.weights);
  EXPECT_EQ(m.weights.layers[0].router_correction_bias.data,
            (std::vector<float>{-0.1f, 0.1f, 0.0f, 0.0f, 0.1f, -0.1f}));
  EXPECT_EQ(m.weights.layers[1].router_correction_bias.data, std::vector<float>(6, 0.0f));
}

TEST(Forward, KeepingActivationsDoesNotChangeResults) {
  Model m;
  m.config = testing::ParseConfigOrDie(testing::kTinyMoeJson);
  m.weights = RandomWeights(m.config, 4, 0.2f);
  auto be = MakeCpuBackend(2);
  Activations acts;
  absl::StatusOr<ForwardResult> kept = Forward(m, *be, Batch(), {}, &acts);
  absl::StatusOr<ForwardResult> plain = Forward(m, *be, Batch(), {}, nullptr);
  ASSERT_TRUE(kept.ok() && plain.ok());
  EXPECT_EQ(kept->logprobs, plain->logprobs);
  EXPECT_EQ(kept->entropy, plain->entropy);
  EXPECT_EQ(kept->aux_loss, plain->aux_loss);
  EXPECT_EQ(kept->expert_load, plain->expert_load);
}

TEST(Forward, RejectsMalformedBatches) {
  Model m;
  m.config = testing::ParseConfigOrDie(testing::kTinyMoeJson);
  m.weights = RandomWeights(m.config, 1);
  auto be = MakeReferenceBackend();
  for (const PackedBatch& b :
       {PackedBatch{{1, 2}, {0, 3}}, PackedBatch{{1, 2}, {1, 2}}, PackedBatch{{1, 2}, {0, 0, 2}},
        PackedBatch{{1, 64}, {0, 2}}, PackedBatch{{1, -1}, {0, 2}}, PackedBatch{{}, {0}}}) {
    EXPECT_FALSE(Forward(m, *be, b, {}, nullptr).ok());
  }
  Activations acts;
  ASSERT_TRUE(Forward(m, *be, Batch(), {}, &acts).ok());
  ModelWeights g = ZeroWeights(m.config);
  std::vector<float> too_short(3);
  EXPECT_FALSE(Backward(m, *be, acts, too_short, {}, &g).ok());
}

}  // namespace
}  // namespace rlvr
