// PolicyModel over the project's transformer (model/): training forward/backward over packed
// batches, global-norm clipping, and AdamW through the kernel backend's AdamWStep with the
// moments held here (so that checkpoints can save and restore them exactly). Parameters() also
// lists the model's buffers (the noaux_tc routers' correction bias), so that checkpoints, the
// Hugging Face export and the weight push carry them; the optimizer never touches them. Also a
// TextCodec over core/tokenizer.h.
#ifndef RLVR_TRAINER_MODEL_POLICY_H_
#define RLVR_TRAINER_MODEL_POLICY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/tokenizer.h"
#include "kernels/backend.h"
#include "model/activations.h"
#include "model/weights.h"
#include "rlvr/v1/config.pb.h"
#include "trainer/policy.h"

namespace rlvr {

// Defaults used when OptimizerConfig leaves a field at 0.
inline constexpr double kDefaultAdamBeta1 = 0.9;
inline constexpr double kDefaultAdamBeta2 = 0.999;
inline constexpr double kDefaultAdamEps = 1e-8;

class ModelPolicy : public PolicyModel {
 public:
  // Loads model.path (config.json + safetensors) on model.backend ("cpu" or empty; "reference"
  // for the plain kernels). aux_loss_coef < 0 uses the model config's router_aux_loss_coef.
  static absl::StatusOr<std::unique_ptr<ModelPolicy>> Load(
      const rlvr::v1::ModelConfig& model, const rlvr::v1::OptimizerConfig& optimizer,
      double aux_loss_coef);

  absl::StatusOr<PolicyForward> Forward(const TrainBatch& batch, bool keep_for_backward) override;
  absl::Status Backward(absl::Span<const float> dlogprobs) override;
  absl::StatusOr<double> OptimizerStep(double lr) override;
  std::vector<NamedTensor> Parameters() override;
  std::vector<NamedTensor> OptimizerState() override;
  int64_t optimizer_steps() const override { return steps_; }
  void set_optimizer_steps(int64_t steps) override { steps_ = steps; }

  // DeepSeek-V3 bias balancing (AlgorithmConfig.router_bias_update_rate): after each optimizer
  // step, UpdateRouterBias with the expert loads summed over the Forward calls that kept
  // activations since the previous step. 0 (the default) leaves the bias alone.
  void set_router_bias_update_rate(double rate) { router_bias_rate_ = rate; }

  const Model& model() const { return model_; }
  // The gradient accumulated since the last OptimizerStep (tests).
  const ModelWeights& gradients() const { return grads_; }

 private:
  ModelPolicy() = default;

  Model model_;
  std::unique_ptr<Backend> backend_;
  rlvr::v1::OptimizerConfig optimizer_;
  double aux_loss_coef_ = -1;
  bool have_grads_ = false;
  ModelWeights grads_, m_, v_;
  Activations acts_;
  bool have_acts_ = false;
  int64_t steps_ = 0;
  double router_bias_rate_ = 0;
  std::vector<std::vector<int64_t>> expert_load_;  // [layer][expert], since the last step
};

class TokenizerCodec : public TextCodec {
 public:
  explicit TokenizerCodec(std::unique_ptr<Tokenizer> tokenizer)
      : tokenizer_(std::move(tokenizer)) {}
  static absl::StatusOr<std::unique_ptr<TokenizerCodec>> Load(const std::string& path);

  std::vector<int32_t> Encode(const std::string& text) const override {
    return tokenizer_->Encode(text, /*add_special_tokens=*/true);
  }
  std::string Decode(absl::Span<const int32_t> ids) const override {
    return tokenizer_->Decode(ids, /*skip_special_tokens=*/true);
  }

 private:
  std::unique_ptr<Tokenizer> tokenizer_;
};

}  // namespace rlvr

#endif  // RLVR_TRAINER_MODEL_POLICY_H_
