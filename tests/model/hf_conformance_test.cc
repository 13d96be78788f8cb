// The model against Hugging Face transformers on tiny random checkpoints of each family
// (fixtures made by tests/model/make_hf_fixtures.py): logits, logprobs, balancing loss, loss and
// parameter gradients agree to a relative error <= 1e-4, where the relative error of a tensor is
// max|ours - theirs| / max|theirs|.
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "core/safetensors.h"
#include "gtest/gtest.h"
#include "kernels/backend.h"
#include "model/model.h"
#include "model/weights.h"

namespace rlvr {
namespace {

constexpr double kMaxRelError = 1e-4;

std::string FixtureDir(const std::string& family) {
  return std::string(RLVR_SOURCE_DIR) + "/tests/model/fixtures/" + family;
}

double RelError(const std::vector<float>& ours, const std::vector<float>& theirs) {
  double diff = 0, scale = 0;
  for (size_t i = 0; i < theirs.size(); ++i) {
    diff = std::max(diff, std::fabs(double{ours[i]} - theirs[i]));
    scale = std::max(scale, std::fabs(double{theirs[i]}));
  }
  return diff / std::max(scale, 1e-30);
}

class HfConformance : public ::testing::TestWithParam<std::string> {};

TEST_P(HfConformance, ForwardLossAndGradientsMatchTransformers) {
  const std::string dir = FixtureDir(GetParam());
  absl::StatusOr<Model> model = LoadModel(dir);
  ASSERT_TRUE(model.ok()) << model.status();
  absl::StatusOr<SafetensorsFile> expected = SafetensorsFile::Open(dir + "/expected.safetensors");
  ASSERT_TRUE(expected.ok()) << expected.status();
  auto f32 = [&](const std::string& name) {
    absl::StatusOr<const TensorView*> t = expected->Get(name);
    EXPECT_TRUE(t.ok()) << t.status();
    return *TensorToF32(**t);
  };
  auto i32 = [&](const std::string& name) {
    std::vector<int64_t> v = *TensorToI64(**expected->Get(name));
    return std::vector<int32_t>(v.begin(), v.end());
  };
  PackedBatch batch{i32("tokens"), i32("cu_seqlens")};
  const std::vector<float> dlogprobs = f32("dlogprobs");
  const float aux_coef = f32("aux_coef")[0];

  std::unique_ptr<Backend> backends[] = {MakeReferenceBackend(), MakeCpuBackend(2)};
  for (const auto& backend : backends) {
    SCOPED_TRACE(backend->name());
    Activations acts;
    ForwardOptions options;
    options.return_logits = true;
    absl::StatusOr<ForwardResult> fwd = Forward(*model, *backend, batch, options, &acts);
    ASSERT_TRUE(fwd.ok()) << fwd.status();
    EXPECT_LE(RelError(fwd->logits, f32("logits")), kMaxRelError) << "logits";
    EXPECT_LE(RelError(fwd->logprobs, f32("logprobs")), kMaxRelError) << "logprobs";
    EXPECT_LE(RelError({fwd->aux_loss}, f32("aux_loss")), kMaxRelError) << "aux_loss";
    double loss = aux_coef * fwd->aux_loss;
    for (size_t t = 0; t < dlogprobs.size(); ++t) loss += dlogprobs[t] * fwd->logprobs[t];
    EXPECT_LE(RelError({static_cast<float>(loss)}, f32("loss")), kMaxRelError) << "loss";

    ModelWeights grads = ZeroWeights(model->config);
    BackwardOptions bw;
    bw.aux_loss_coef = aux_coef;
    ASSERT_TRUE(Backward(*model, *backend, acts, dlogprobs, bw, &grads).ok());
    int checked = 0;
    grads.ForEachParameter([&](const std::string& name, const Tensor& g) {
      if (expected->Find("grad." + name) == nullptr) return;
      ++checked;
      EXPECT_LE(RelError(g.data, f32("grad." + name)), kMaxRelError) << "grad of " << name;
    });
    EXPECT_GE(checked, 8);
  }
}

INSTANTIATE_TEST_SUITE_P(Families, HfConformance,
                         ::testing::Values("qwen2", "qwen2_moe", "qwen3", "qwen3_moe"));

}  // namespace
}  // namespace rlvr
