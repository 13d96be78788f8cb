// AdamW over all model parameters, and global-norm gradient clipping.
#ifndef RLVR_MODEL_OPTIMIZER_H_
#define RLVR_MODEL_OPTIMIZER_H_

#include <cstdint>

#include "kernels/backend.h"
#include "model/weights.h"

namespace rlvr {

// sqrt of the sum of squares of every gradient (accumulated in double, in parameter order).
double GradNorm(const Backend& backend, const ModelWeights& grads);

// When max_norm > 0 and the global norm exceeds it, scales every gradient by max_norm / norm
// (as torch.nn.utils.clip_grad_norm_, with its 1e-6 guard). Returns the norm before clipping.
double ClipGradNorm(const Backend& backend, float max_norm, ModelWeights* grads);

struct AdamWConfig {
  float lr = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
  float weight_decay = 0.0f;
  // Decay only matrices (not RMSNorm weights or biases), the usual LLM practice.
  bool decay_matrices_only = true;
};

// Optimizer state: first and second moments with the parameters' layout.
class AdamW {
 public:
  AdamW(const ModelConfig& config, const AdamWConfig& hp);
  // One update of every parameter from grads; lr overrides hp.lr when >= 0 (schedules).
  void Step(const Backend& backend, const ModelWeights& grads, ModelWeights* params,
            float lr = -1.0f);
  int64_t step() const { return step_; }
  const ModelWeights& m() const { return m_; }
  const ModelWeights& v() const { return v_; }

 private:
  AdamWConfig hp_;
  int64_t step_ = 0;
  ModelWeights m_, v_;
};

// Sets every gradient to zero (keeps the buffers).
void ZeroGrads(ModelWeights* grads);

}  // namespace rlvr

#endif  // RLVR_MODEL_OPTIMIZER_H_
