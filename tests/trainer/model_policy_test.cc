#include "trainer/model_policy.h"

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "core/json.h"
#include "gtest/gtest.h"
#include "kernels/backend.h"
#include "model/config.h"
#include "model/model.h"
#include "model/weights.h"
#include "tests/model/tiny_models.h"
#include "trainer/checkpoint.h"
#include "trainer/policy_loss.h"

namespace rlvr {
namespace {

constexpr char kTinyMoe[] = R"({
  "model_type": "qwen2_moe", "vocab_size": 32, "hidden_size": 16, "num_hidden_layers": 2,
  "num_attention_heads": 2, "num_key_value_heads": 1, "intermediate_size": 24,
  "num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 8,
  "shared_expert_intermediate_size": 8, "norm_topk_prob": true, "mlp_only_layers": [0],
  "router_aux_loss_coef": 0.0, "rope_theta": 10000.0, "rms_norm_eps": 1e-6
})";

std::string MakeTinyModel(const std::string& name, uint64_t seed) {
  const std::string dir = ::testing::TempDir() + "/" + name;
  std::filesystem::create_directories(dir);
  absl::StatusOr<JsonValue> json = ParseJson(kTinyMoe);
  EXPECT_TRUE(json.ok());
  absl::StatusOr<ModelConfig> config = ParseModelConfig(*json);
  EXPECT_TRUE(config.ok()) << config.status();
  Model m{*config, RandomWeights(*config, seed, 0.2f)};
  EXPECT_TRUE(SaveModel(m, dir).ok());
  return dir;
}

std::unique_ptr<ModelPolicy> LoadPolicy(const std::string& dir) {
  rlvr::v1::ModelConfig mc;
  mc.set_path(dir);
  mc.set_backend("reference");
  rlvr::v1::OptimizerConfig oc;
  oc.set_max_grad_norm(0);
  auto p = ModelPolicy::Load(mc, oc, 0.0);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *std::move(p) : nullptr;
}

// Two sequences: prompt 3 + response 4, prompt 2 + response 3.
struct Fixture {
  TrainBatch batch{{1, 5, 7, 2, 9, 9, 30, 4, 11, 3, 3, 17}, {0, 7, 12}};
  std::vector<int64_t> resp_start = {3, 9};
  std::vector<int64_t> offsets = {0, 4, 7};
  std::vector<double> advantages = {0.7, -1.3};
  std::vector<float> old_delta = {0.05f, -0.08f, 0.02f, 0.1f, -0.04f, 0.07f, -0.09f};
};

std::vector<float> ResponseValues(const Fixture& f, const std::vector<float>& full) {
  std::vector<float> out;
  for (size_t s = 0; s < f.resp_start.size(); ++s) {
    for (int64_t t = 0; t < f.offsets[s + 1] - f.offsets[s]; ++t) {
      out.push_back(full[static_cast<size_t>(f.resp_start[s] + t)]);
    }
  }
  return out;
}

// The policy loss of the current weights, with old/ref logprobs fixed from `base`.
double Loss(ModelPolicy& p, const Fixture& f, const std::vector<float>& old,
            const std::vector<float>& ref, PolicyLossResult* result = nullptr) {
  auto fw = p.Forward(f.batch, result != nullptr);
  EXPECT_TRUE(fw.ok());
  std::vector<float> logp = ResponseValues(f, fw->logprobs);
  PolicyLossBatch b;
  b.offsets = f.offsets;
  b.logp = logp;
  b.old_logp = old;
  b.ref_logp = ref;
  b.advantages = f.advantages;
  PolicyLossOptions o;
  o.kl_beta = 0.1;
  o.kl_estimator = rlvr::v1::K3;
  o.aggregation = rlvr::v1::SEQ_MEAN_TOKEN_MEAN;
  auto r = ComputePolicyLoss(b, o);
  EXPECT_TRUE(r.ok()) << r.status();
  if (result != nullptr) *result = *r;
  return r->loss;
}

TEST(ModelPolicyTest, PolicyLossGradientThroughTheModelMatchesFiniteDifferences) {
  std::unique_ptr<ModelPolicy> p = LoadPolicy(MakeTinyModel("policy_fd", 11));
  ASSERT_NE(p, nullptr);
  Fixture f;
  auto fw = p->Forward(f.batch, false);
  ASSERT_TRUE(fw.ok()) << fw.status();
  std::vector<float> base = ResponseValues(f, fw->logprobs);
  std::vector<float> old(base.size()), ref(base.size());
  for (size_t t = 0; t < base.size(); ++t) {
    old[t] = base[t] + f.old_delta[t];
    ref[t] = base[t] - 0.3f;
  }
  PolicyLossResult r;
  Loss(*p, f, old, ref, &r);
  std::vector<float> dlogp(f.batch.tokens.size(), 0.0f);
  for (size_t s = 0; s < f.resp_start.size(); ++s) {
    for (int64_t t = 0; t < f.offsets[s + 1] - f.offsets[s]; ++t) {
      dlogp[static_cast<size_t>(f.resp_start[s] + t)] = r.grad_logp[f.offsets[s] + t];
    }
  }
  ASSERT_TRUE(p->Backward(dlogp).ok());

  std::vector<NamedTensor> params = p->Parameters();
  std::vector<std::string> checked;
  for (const NamedTensor& t : params) {
    const std::string& name = t.name;
    if (name != "lm_head.weight" && name != "model.embed_tokens.weight" &&
        name.find("layers.1.self_attn.q_proj.weight") == std::string::npos &&
        name.find("layers.1.mlp.experts.0.up_proj.weight") == std::string::npos) {
      continue;
    }
    const Tensor* g = p->gradients().Find(name);
    ASSERT_NE(g, nullptr) << name;
    for (size_t i : {size_t{0}, t.data.size() / 2, t.data.size() - 1}) {
      const float saved = t.data[i];
      const float h = 1e-2f;
      t.data[i] = saved + h;
      const double lp = Loss(*p, f, old, ref);
      t.data[i] = saved - h;
      const double lm = Loss(*p, f, old, ref);
      t.data[i] = saved;
      const double fd = (lp - lm) / (2.0 * h);
      EXPECT_NEAR(g->data[i], fd, 2e-4 + 2e-2 * std::fabs(fd)) << name << "[" << i << "]";
    }
    checked.push_back(name);
  }
  EXPECT_EQ(checked.size(), 4u);
}

TEST(ModelPolicyTest, OptimizerStepLowersTheLossAndCheckpointsRoundTrip) {
  const std::string dir = MakeTinyModel("policy_step", 5);
  std::unique_ptr<ModelPolicy> p = LoadPolicy(dir);
  ASSERT_NE(p, nullptr);
  Fixture f;
  auto fw = p->Forward(f.batch, false);
  ASSERT_TRUE(fw.ok());
  std::vector<float> base = ResponseValues(f, fw->logprobs);
  std::vector<float> ref(base.size());
  for (size_t t = 0; t < base.size(); ++t) ref[t] = base[t];
  PolicyLossResult r;
  const double before = Loss(*p, f, base, ref, &r);
  std::vector<float> dlogp(f.batch.tokens.size(), 0.0f);
  for (size_t s = 0; s < 2; ++s) {
    for (int64_t t = 0; t < f.offsets[s + 1] - f.offsets[s]; ++t) {
      dlogp[static_cast<size_t>(f.resp_start[s] + t)] = r.grad_logp[f.offsets[s] + t];
    }
  }
  ASSERT_TRUE(p->Backward(dlogp).ok());
  auto norm = p->OptimizerStep(1e-3);
  ASSERT_TRUE(norm.ok());
  EXPECT_GT(*norm, 0);
  EXPECT_LT(Loss(*p, f, base, ref), before);

  const std::string ck = ::testing::TempDir() + "/policy_ckpt";
  std::filesystem::remove_all(ck);
  TrainerState st;
  st.step = 1;
  st.rng = "x";
  ASSERT_TRUE(SaveCheckpoint(ck, st, *p).ok());
  std::unique_ptr<ModelPolicy> q = LoadPolicy(dir);
  auto loaded = LoadCheckpoint(ck + "/step_1", *q);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(q->optimizer_steps(), 1);
  auto pp = p->Parameters(), qp = q->Parameters();
  ASSERT_EQ(pp.size(), qp.size());
  for (size_t i = 0; i < pp.size(); ++i) {
    EXPECT_TRUE(std::equal(pp[i].data.begin(), pp[i].data.end(), qp[i].data.begin())) << pp[i].name;
  }
  auto po = p->OptimizerState(), qo = q->OptimizerState();
  for (size_t i = 0; i < po.size(); ++i) {
    EXPECT_TRUE(std::equal(po[i].data.begin(), po[i].data.end(), qo[i].data.begin())) << po[i].name;
  }
}

// DeepSeek-V3 balancing: the correction bias is a buffer the optimizer never touches; with a
// rate, each optimizer step moves it by UpdateRouterBias over the loads of the kept forwards.
TEST(ModelPolicyTest, RouterBiasFollowsTheLoadsOfTheStepAndTravelsWithTheParameters) {
  const ModelConfig config = testing::ParseConfigOrDie(testing::kTinySigmoidMoeJson);
  const std::string dir = ::testing::TempDir() + "/noaux_policy";
  std::filesystem::create_directories(dir);
  Model start{config, RandomWeights(config, 41, 0.3f)};
  ASSERT_TRUE(SaveModel(start, dir).ok());
  const TrainBatch a{{1, 5, 7, 2, 9, 9, 30, 4, 11, 3, 3, 17}, {0, 7, 12}};
  const TrainBatch b{{8, 6, 40, 2, 2, 19, 33}, {0, 3, 7}};

  // The expected bias: the loads of both forwards, summed, applied once.
  std::unique_ptr<Backend> backend = MakeReferenceBackend();
  std::vector<std::vector<int64_t>> load;
  for (const TrainBatch* t : {&a, &b}) {
    PackedBatch pb;
    pb.tokens = t->tokens;
    pb.cu_seqlens = t->cu_seqlens;
    absl::StatusOr<ForwardResult> r = Forward(start, *backend, pb, {}, nullptr);
    ASSERT_TRUE(r.ok()) << r.status();
    if (load.empty()) load.assign(r->expert_load.size(), {});
    for (size_t l = 0; l < load.size(); ++l) {
      load[l].resize(r->expert_load[l].size());
      for (size_t e = 0; e < load[l].size(); ++e) load[l][e] += r->expert_load[l][e];
    }
  }
  constexpr double kRate = 0.01;
  Model expected = start;
  UpdateRouterBias(config, load, static_cast<float>(kRate), &expected.weights);

  for (double rate : {0.0, kRate}) {
    std::unique_ptr<ModelPolicy> p = LoadPolicy(dir);
    ASSERT_NE(p, nullptr);
    p->set_router_bias_update_rate(rate);
    int buffers = 0;
    for (const NamedTensor& t : p->Parameters()) {
      buffers += absl::EndsWith(t.name, ".mlp.gate.e_score_correction_bias") ? 1 : 0;
    }
    EXPECT_EQ(buffers, config.num_hidden_layers);
    for (const TrainBatch* t : {&a, &b}) {
      ASSERT_TRUE(p->Forward(*t, true).ok());
      ASSERT_TRUE(p->Backward(std::vector<float>(t->tokens.size(), 0.0f)).ok());
    }
    ASSERT_TRUE(p->OptimizerStep(0.0).ok());
    const Model& want = rate > 0 ? expected : start;
    bool moved = false;
    for (size_t l = 0; l < want.weights.layers.size(); ++l) {
      const Tensor& got = p->model().weights.layers[l].router_correction_bias;
      const Tensor& w = want.weights.layers[l].router_correction_bias;
      ASSERT_EQ(got.data.size(), w.data.size());
      for (size_t e = 0; e < w.data.size(); ++e) {
        EXPECT_EQ(got.data[e], w.data[e]) << "rate " << rate << " layer " << l << " expert " << e;
        moved |= got.data[e] != start.weights.layers[l].router_correction_bias.data[e];
      }
    }
    EXPECT_EQ(moved, rate > 0);
  }
}

}  // namespace
}  // namespace rlvr
