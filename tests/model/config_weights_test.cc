// config.json parsing (families, defaults, errors) and safetensors loading/saving of weights.
#include <filesystem>
#include <string>

#include "core/json.h"
#include "core/safetensors.h"
#include "gtest/gtest.h"
#include "model/config.h"
#include "model/weights.h"
#include "tests/model/tiny_models.h"

namespace rlvr {
namespace {

absl::StatusOr<ModelConfig> Parse(const std::string& text) {
  absl::StatusOr<JsonValue> json = ParseJson(text);
  if (!json.ok()) return json.status();
  return ParseModelConfig(*json);
}

std::string Fixture(const std::string& family) {
  return std::string(RLVR_SOURCE_DIR) + "/tests/model/fixtures/" + family;
}

TEST(ModelConfig, ReadsEachFamilyAsTransformersWritesIt) {
  absl::StatusOr<ModelConfig> q2 = LoadModelConfig(Fixture("qwen2") + "/config.json");
  ASSERT_TRUE(q2.ok()) << q2.status();
  EXPECT_TRUE(q2->qkv_bias);
  EXPECT_FALSE(q2->o_bias);
  EXPECT_FALSE(q2->qk_norm);
  EXPECT_EQ(q2->head_dim, 8);
  EXPECT_EQ(q2->num_experts, 0);
  absl::StatusOr<ModelConfig> q3m = LoadModelConfig(Fixture("qwen3_moe") + "/config.json");
  ASSERT_TRUE(q3m.ok()) << q3m.status();
  EXPECT_EQ(q3m->num_experts, 8);  // written as num_local_experts
  EXPECT_EQ(q3m->num_experts_per_tok, 3);
  EXPECT_TRUE(q3m->qk_norm);
  EXPECT_TRUE(q3m->o_bias);
  EXPECT_FALSE(q3m->IsMoeLayer(0));  // mlp_only_layers: [0]
  EXPECT_TRUE(q3m->IsMoeLayer(1));
  EXPECT_FALSE(q3m->has_shared_expert());
  absl::StatusOr<ModelConfig> q2m = LoadModelConfig(Fixture("qwen2_moe") + "/config.json");
  ASSERT_TRUE(q2m.ok()) << q2m.status();
  EXPECT_EQ(q2m->shared_expert_intermediate_size, 24);
  EXPECT_FLOAT_EQ(q2m->rope_theta, 1e6f);
  EXPECT_FLOAT_EQ(q2m->router_aux_loss_coef, 0.01f);
}

TEST(ModelConfig, DecoderSparseStepPicksMoeLayers) {
  absl::StatusOr<ModelConfig> c = Parse(R"({"model_type": "qwen2_moe", "hidden_size": 8,
    "num_hidden_layers": 4, "num_attention_heads": 2, "intermediate_size": 8, "num_experts": 4,
    "num_experts_per_tok": 1, "moe_intermediate_size": 4, "decoder_sparse_step": 2})");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->IsMoeLayer(0));
  EXPECT_TRUE(c->IsMoeLayer(1));
  EXPECT_FALSE(c->IsMoeLayer(2));
  EXPECT_TRUE(c->IsMoeLayer(3));
}

TEST(ModelConfig, UnsupportedValuesAreErrorsNamingTheField) {
  const std::string base = R"("hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2,
    "intermediate_size": 8)";
  struct Case {
    std::string json;
    std::string needle;
  };
  for (const Case& c : std::vector<Case>{
           {R"({"model_type": "llama", )" + base + "}", "model_type"},
           {R"({"model_type": "qwen2", "hidden_act": "gelu", )" + base + "}", "hidden_act"},
           {R"({"model_type": "qwen2", "use_sliding_window": true, )" + base + "}", "sliding"},
           {R"({"model_type": "qwen2", "rope_scaling": {"type": "yarn"}, )" + base + "}",
            "rope_type"},
           {R"({"model_type": "qwen2", "num_key_value_heads": 3, )" + base + "}",
            "num_key_value_heads"},
           {R"({"model_type": "qwen2", "hidden_size": "8"})", "hidden_size"},
           {R"({"model_type": "qwen3_moe", "num_experts": 4, "num_experts_per_tok": 5, )" + base +
                "}",
            "num_experts_per_tok"},
           {R"({"model_type": "qwen3_moe", "scoring_func": "relu", )" + base + "}", "scoring_func"},
           {R"({"model_type": "qwen3_moe", "n_group": 4, )" + base + "}", "n_group"},
           {R"({"model_type": "qwen2"})", "hidden_size"},
       }) {
    absl::StatusOr<ModelConfig> parsed = Parse(c.json);
    ASSERT_FALSE(parsed.ok()) << c.json;
    EXPECT_NE(parsed.status().message().find(c.needle), std::string::npos)
        << parsed.status().message();
  }
}

TEST(ModelConfig, WrittenJsonReadsBackTheSame) {
  const ModelConfig c = testing::ParseConfigOrDie(testing::kTinySigmoidMoeJson);
  absl::StatusOr<ModelConfig> back = Parse(ModelConfigToJson(c));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(ModelConfigToJson(*back), ModelConfigToJson(c));
  EXPECT_EQ(back->scoring, RouterScoring::kSigmoid);
  EXPECT_TRUE(back->router_correction_bias);
  EXPECT_EQ(back->head_dim, 12);
}

TEST(ModelWeights, RandomWeightsAreSeededAndNamedLikeHuggingFace) {
  const ModelConfig c = testing::ParseConfigOrDie(testing::kTinyMoeJson);
  const ModelWeights a = RandomWeights(c, 5), b = RandomWeights(c, 5), d = RandomWeights(c, 6);
  EXPECT_EQ(a.layers[1].experts[2].up_proj.data, b.layers[1].experts[2].up_proj.data);
  EXPECT_NE(a.layers[1].experts[2].up_proj.data, d.layers[1].experts[2].up_proj.data);
  std::vector<std::string> names;
  a.ForEachParameter([&](const std::string& n, const Tensor&) { names.push_back(n); });
  EXPECT_EQ(names.front(), "model.embed_tokens.weight");
  EXPECT_EQ(names.back(), "lm_head.weight");
  EXPECT_NE(std::find(names.begin(), names.end(), "model.layers.1.mlp.experts.7.down_proj.weight"),
            names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "model.layers.1.mlp.shared_expert_gate.weight"),
            names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "model.layers.0.mlp.gate_proj.weight"),
            names.end());
}

TEST(ModelWeights, FindLooksUpParametersAndBuffersByName) {
  const ModelConfig c = testing::ParseConfigOrDie(testing::kTinySigmoidMoeJson);
  ModelWeights w = RandomWeights(c, 2);
  EXPECT_EQ(w.Find("model.layers.1.mlp.experts.4.up_proj.weight"), &w.layers[1].experts[4].up_proj);
  EXPECT_EQ(w.Find("model.layers.0.mlp.gate.e_score_correction_bias"),
            &w.layers[0].router_correction_bias);
  EXPECT_EQ(w.Find("lm_head.weight"), nullptr);  // tied
  EXPECT_EQ(w.Find("nope"), nullptr);
}

TEST(ModelWeights, SaveThenLoadRoundTripsEveryTensor) {
  Model m;
  m.config = testing::ParseConfigOrDie(testing::kTinySigmoidMoeJson);
  m.weights = RandomWeights(m.config, 9);
  m.weights.layers[0].router_correction_bias.data[1] = 0.25f;
  const std::string dir = ::testing::TempDir() + "/model_roundtrip";
  std::filesystem::create_directories(dir);
  ASSERT_TRUE(SaveModel(m, dir).ok());
  absl::StatusOr<Model> back = LoadModel(dir);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->weights.layers[0].router_correction_bias.data[1], 0.25f);
  std::vector<std::vector<float>> want, got;
  m.weights.ForEachParameter([&](const std::string&, const Tensor& t) { want.push_back(t.data); });
  back->weights.ForEachParameter(
      [&](const std::string&, const Tensor& t) { got.push_back(t.data); });
  EXPECT_EQ(want, got);
}

// Hub checkpoints are usually BF16: they load as the float values the BF16 bits stand for, and
// may be split over shards.
TEST(ModelWeights, LoadsBf16ShardsAsFloat) {
  const ModelConfig c = testing::ParseConfigOrDie(testing::kTinyMoeJson);
  const ModelWeights w = RandomWeights(c, 8);
  const std::string dir = ::testing::TempDir() + "/model_bf16";
  std::filesystem::create_directories(dir);
  std::vector<std::vector<uint16_t>> bits;
  std::vector<TensorToWrite> shard[2];
  int i = 0;
  w.ForEachParameter([&](const std::string& n, const Tensor& t) {
    std::vector<uint16_t> b(t.data.size());
    for (size_t j = 0; j < b.size(); ++j) b[j] = F32ToBf16(t.data[j]);
    bits.push_back(std::move(b));
    shard[i++ % 2].push_back(TensorToWrite::Bf16(n, t.shape, bits.back()));
  });
  ASSERT_TRUE(WriteSafetensors(dir + "/model-00001-of-00002.safetensors", shard[0]).ok());
  ASSERT_TRUE(WriteSafetensors(dir + "/model-00002-of-00002.safetensors", shard[1]).ok());
  absl::StatusOr<ModelWeights> back = LoadWeights(c, dir);
  ASSERT_TRUE(back.ok()) << back.status();
  size_t k = 0;
  back->ForEachParameter([&](const std::string& n, const Tensor& t) {
    const std::vector<uint16_t>& b = bits[k++];
    for (size_t j = 0; j < b.size(); ++j) ASSERT_EQ(t.data[j], Bf16ToF32(b[j])) << n;
  });
  EXPECT_EQ(k, bits.size());
}

TEST(ModelWeights, MissingExtraOrMisshapedTensorsAreErrors) {
  const ModelConfig c = testing::ParseConfigOrDie(testing::kTinyMoeJson);
  const ModelWeights w = RandomWeights(c, 1);
  const std::string dir = ::testing::TempDir() + "/model_bad";
  std::filesystem::create_directories(dir);
  auto write_without = [&](const std::string& skip, const std::string& extra,
                           std::vector<int64_t> reshape) {
    std::vector<TensorToWrite> out;
    std::vector<float> dummy(4, 0.0f);
    w.ForEachParameter([&](const std::string& n, const Tensor& t) {
      if (n == skip) return;
      out.push_back(
          TensorToWrite::F32(n, n == extra && !reshape.empty() ? reshape : t.shape, t.data));
    });
    if (!extra.empty() && reshape.empty()) out.push_back(TensorToWrite::F32(extra, {4}, dummy));
    return WriteSafetensors(dir + "/model.safetensors", out);
  };
  ASSERT_TRUE(write_without("model.layers.1.mlp.experts.3.gate_proj.weight", "", {}).ok());
  absl::StatusOr<ModelWeights> r = LoadWeights(c, dir);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("experts.3.gate_proj"), std::string::npos);
  ASSERT_TRUE(write_without("", "model.layers.9.mlp.gate.weight", {}).ok());
  r = LoadWeights(c, dir);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("layers.9"), std::string::npos);
  // Same number of elements, wrong shape.
  ASSERT_TRUE(write_without("", "model.norm.weight", {4, 6}).ok());
  r = LoadWeights(c, dir);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("shape"), std::string::npos);
  EXPECT_FALSE(LoadWeights(c, dir + "/nope").ok());
}

}  // namespace
}  // namespace rlvr
