#include "trainer/model_policy.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "model/model.h"
#include "model/optimizer.h"

namespace rlvr {

absl::StatusOr<std::unique_ptr<ModelPolicy>> ModelPolicy::Load(
    const rlvr::v1::ModelConfig& model, const rlvr::v1::OptimizerConfig& optimizer,
    double aux_loss_coef) {
  std::unique_ptr<ModelPolicy> p(new ModelPolicy());
  if (model.backend().empty() || model.backend() == "cpu") {
    p->backend_ = MakeCpuBackend(model.num_threads());
  } else if (model.backend() == "reference") {
    p->backend_ = MakeReferenceBackend();
  } else {
    return absl::InvalidArgumentError(absl::StrFormat(
        "model.backend '%s' is not available to the trainer (cpu, reference)", model.backend()));
  }
  absl::StatusOr<Model> m = LoadModel(model.path());
  if (!m.ok()) return m.status();
  p->model_ = *std::move(m);
  p->optimizer_ = optimizer;
  p->aux_loss_coef_ = aux_loss_coef;
  return p;
}

absl::StatusOr<PolicyForward> ModelPolicy::Forward(const TrainBatch& batch,
                                                   bool keep_for_backward) {
  PackedBatch pb;
  pb.tokens = batch.tokens;
  pb.cu_seqlens = batch.cu_seqlens;
  ForwardOptions options;
  options.compute_entropy = true;
  absl::StatusOr<ForwardResult> r =
      rlvr::Forward(model_, *backend_, pb, options, keep_for_backward ? &acts_ : nullptr);
  if (!r.ok()) return r.status();
  have_acts_ = keep_for_backward;
  if (keep_for_backward && router_bias_rate_ > 0) {
    // Loads of the forwards the next optimizer step trains on, summed.
    if (expert_load_.empty()) {
      expert_load_ = r->expert_load;
    } else {
      for (size_t l = 0; l < expert_load_.size() && l < r->expert_load.size(); ++l) {
        for (size_t e = 0; e < expert_load_[l].size() && e < r->expert_load[l].size(); ++e) {
          expert_load_[l][e] += r->expert_load[l][e];
        }
      }
    }
  }
  PolicyForward f;
  f.logprobs = std::move(r->logprobs);
  f.entropy = std::move(r->entropy);
  return f;
}

absl::Status ModelPolicy::Backward(absl::Span<const float> dlogprobs) {
  if (!have_acts_) {
    return absl::FailedPreconditionError("Backward without a Forward that kept activations");
  }
  if (!have_grads_) {
    grads_ = ZeroWeights(model_.config);
    have_grads_ = true;
  }
  BackwardOptions options;
  options.aux_loss_coef = static_cast<float>(aux_loss_coef_);
  return rlvr::Backward(model_, *backend_, acts_, dlogprobs, options, &grads_);
}

absl::StatusOr<double> ModelPolicy::OptimizerStep(double lr) {
  if (!have_grads_) {
    grads_ = ZeroWeights(model_.config);
    have_grads_ = true;
  }
  if (m_.layers.empty() && m_.embed_tokens.empty()) {
    m_ = ZeroWeights(model_.config);
    v_ = ZeroWeights(model_.config);
  }
  const double norm =
      ClipGradNorm(*backend_, static_cast<float>(optimizer_.max_grad_norm()), &grads_);
  ++steps_;
  std::vector<Tensor*> g, m, v;
  grads_.ForEachParameter([&](const std::string&, Tensor& t) { g.push_back(&t); });
  m_.ForEachParameter([&](const std::string&, Tensor& t) { m.push_back(&t); });
  v_.ForEachParameter([&](const std::string&, Tensor& t) { v.push_back(&t); });
  size_t i = 0;
  model_.weights.ForEachParameter([&](const std::string&, Tensor& p) {
    AdamWParams a;
    a.lr = static_cast<float>(lr);
    a.beta1 = static_cast<float>(optimizer_.beta1() > 0 ? optimizer_.beta1() : kDefaultAdamBeta1);
    a.beta2 = static_cast<float>(optimizer_.beta2() > 0 ? optimizer_.beta2() : kDefaultAdamBeta2);
    a.eps = static_cast<float>(optimizer_.eps() > 0 ? optimizer_.eps() : kDefaultAdamEps);
    // Decay matrices only, not norms or biases.
    a.weight_decay = p.shape.size() >= 2 ? static_cast<float>(optimizer_.weight_decay()) : 0.0f;
    a.step = steps_;
    backend_->AdamWStep(a, p.ptr(), g[i]->ptr(), m[i]->ptr(), v[i]->ptr(), p.size());
    ++i;
  });
  ZeroGrads(&grads_);
  if (router_bias_rate_ > 0 && !expert_load_.empty()) {
    UpdateRouterBias(model_.config, expert_load_, static_cast<float>(router_bias_rate_),
                     &model_.weights);
    expert_load_.clear();
  }
  return norm;
}

std::vector<NamedTensor> ModelPolicy::Parameters() {
  std::vector<NamedTensor> out;
  auto add = [&](const std::string& name, Tensor& t) {
    out.push_back({name, t.shape, absl::MakeSpan(t.data)});
  };
  model_.weights.ForEachParameter(add);
  model_.weights.ForEachBuffer(add);
  return out;
}

std::vector<NamedTensor> ModelPolicy::OptimizerState() {
  if (m_.layers.empty() && m_.embed_tokens.empty()) {
    m_ = ZeroWeights(model_.config);
    v_ = ZeroWeights(model_.config);
  }
  std::vector<NamedTensor> out;
  m_.ForEachParameter([&](const std::string& name, Tensor& t) {
    out.push_back({"exp_avg." + name, t.shape, absl::MakeSpan(t.data)});
  });
  v_.ForEachParameter([&](const std::string& name, Tensor& t) {
    out.push_back({"exp_avg_sq." + name, t.shape, absl::MakeSpan(t.data)});
  });
  return out;
}

absl::StatusOr<std::unique_ptr<TokenizerCodec>> TokenizerCodec::Load(const std::string& path) {
  absl::StatusOr<std::unique_ptr<Tokenizer>> t = Tokenizer::FromFile(path);
  if (!t.ok()) return t.status();
  return std::make_unique<TokenizerCodec>(*std::move(t));
}

}  // namespace rlvr
