// Finite-difference check of the whole model's backward: every parameter tensor, a few
// coordinates each, for L = sum_t (r_t logprob_t + r2_t entropy_t) + coef * aux_loss.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/backend.h"
#include "model/model.h"
#include "tests/model/tiny_models.h"

namespace rlvr {
namespace {

class ModelGradCheck : public ::testing::TestWithParam<const char*> {};

TEST_P(ModelGradCheck, EveryParameterMatchesFiniteDifferences) {
  Model model;
  model.config = testing::ParseConfigOrDie(GetParam());
  model.weights = RandomWeights(model.config, 11, 0.3f);
  auto be = MakeReferenceBackend();
  PackedBatch batch;
  batch.tokens = {3, 7, 1, 0, 9, 4, 4, 12, 5, 8};
  batch.cu_seqlens = {0, 6, 10};
  std::vector<float> r(batch.tokens.size());
  std::vector<float> r2(r.size());
  for (size_t i = 0; i < r.size(); ++i) {
    r[i] = std::cos(1.7 * i);
    r2[i] = 0.5f * std::sin(0.9 * i);
  }
  const float coef = 0.3f;

  Activations acts;
  absl::StatusOr<ForwardResult> base = Forward(model, *be, batch, {}, &acts);
  ASSERT_TRUE(base.ok()) << base.status();
  std::vector<std::vector<int32_t>> routing;
  for (const auto& la : acts.layers) routing.push_back(la.moe.topk_idx);
  ModelWeights grads = ZeroWeights(model.config);
  BackwardOptions bw;
  bw.aux_loss_coef = coef;
  bw.dentropy = r2;
  ASSERT_TRUE(Backward(model, *be, acts, r, bw, &grads).ok());

  bool routing_changed = false;
  auto loss = [&]() {
    Activations a;
    absl::StatusOr<ForwardResult> f = Forward(model, *be, batch, {}, &a);
    for (size_t l = 0; l < a.layers.size(); ++l) {
      if (a.layers[l].moe.topk_idx != routing[l]) routing_changed = true;
    }
    double s = coef * static_cast<double>(f->aux_loss);
    for (size_t i = 0; i < r.size(); ++i) {
      s += r[i] * static_cast<double>(f->logprobs[i]) + r2[i] * static_cast<double>(f->entropy[i]);
    }
    return s;
  };

  std::vector<Tensor*> params, grad_tensors;
  std::vector<std::string> names;
  model.weights.ForEachParameter([&](const std::string& n, Tensor& t) {
    params.push_back(&t);
    names.push_back(n);
  });
  grads.ForEachParameter([&](const std::string&, Tensor& t) { grad_tensors.push_back(&t); });
  const float eps = 1e-3f;
  int checked = 0, skipped = 0, bad = 0;
  for (size_t p = 0; p < params.size(); ++p) {
    Tensor& t = *params[p];
    const int64_t step = std::max<int64_t>(1, t.size() / 5);
    for (int64_t i = (p * 7) % step; i < t.size(); i += step) {
      const float keep = t.data[i];
      routing_changed = false;
      t.data[i] = keep + eps;
      const double up = loss();
      t.data[i] = keep - eps;
      const double down = loss();
      t.data[i] = keep;
      if (routing_changed) {  // the loss is not differentiable across a routing change
        ++skipped;
        continue;
      }
      ++checked;
      const double numeric = (up - down) / (2 * eps);
      const double analytic = grad_tensors[p]->data[i];
      if (std::fabs(numeric - analytic) > 2e-3 + 2e-2 * std::fabs(numeric) && bad++ < 10) {
        ADD_FAILURE() << names[p] << "[" << i << "]: analytic " << analytic << " numeric "
                      << numeric;
      }
    }
  }
  EXPECT_EQ(bad, 0);
  EXPECT_GT(checked, 10 * skipped) << "too many coordinates change the routing";
}

INSTANTIATE_TEST_SUITE_P(Configs, ModelGradCheck,
                         ::testing::Values(testing::kTinyMoeJson, testing::kTinySigmoidMoeJson));

}  // namespace
}  // namespace rlvr
