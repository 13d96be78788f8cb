#include "model/optimizer.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace rlvr {

double GradNorm(const Backend& be, const ModelWeights& grads) {
  double sum = 0;
  grads.ForEachParameter(
      [&](const std::string&, const Tensor& g) { sum += be.SumSquares(g.ptr(), g.size()); });
  return std::sqrt(sum);
}

double ClipGradNorm(const Backend& be, float max_norm, ModelWeights* grads) {
  const double norm = GradNorm(be, *grads);
  if (max_norm > 0 && norm > max_norm) {
    const float scale = static_cast<float>(max_norm / (norm + 1e-6));
    grads->ForEachParameter(
        [&](const std::string&, Tensor& g) { be.Scale(g.ptr(), g.size(), scale); });
  }
  return norm;
}

AdamW::AdamW(const ModelConfig& config, const AdamWConfig& hp)
    : hp_(hp), m_(ZeroWeights(config)), v_(ZeroWeights(config)) {}

void AdamW::Step(const Backend& be, const ModelWeights& grads, ModelWeights* params, float lr) {
  ++step_;
  std::vector<const Tensor*> g;
  std::vector<Tensor*> m, v;
  grads.ForEachParameter([&](const std::string&, const Tensor& t) { g.push_back(&t); });
  m_.ForEachParameter([&](const std::string&, Tensor& t) { m.push_back(&t); });
  v_.ForEachParameter([&](const std::string&, Tensor& t) { v.push_back(&t); });
  size_t i = 0;
  params->ForEachParameter([&](const std::string&, Tensor& p) {
    AdamWParams a;
    a.lr = lr >= 0 ? lr : hp_.lr;
    a.beta1 = hp_.beta1;
    a.beta2 = hp_.beta2;
    a.eps = hp_.eps;
    a.weight_decay = (!hp_.decay_matrices_only || p.shape.size() >= 2) ? hp_.weight_decay : 0.0f;
    a.step = step_;
    be.AdamWStep(a, p.ptr(), g[i]->ptr(), m[i]->ptr(), v[i]->ptr(), p.size());
    ++i;
  });
}

void ZeroGrads(ModelWeights* grads) {
  grads->ForEachParameter(
      [](const std::string&, Tensor& g) { std::fill(g.data.begin(), g.data.end(), 0.0f); });
}

}  // namespace rlvr
