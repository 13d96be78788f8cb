// The attention block's projections (internal to model/): input-normed hidden states to rotated
// q, k and v, and back. The attention op itself (packed for training, paged for inference) and
// o_proj are called by the training forward and by inference around these.
#ifndef RLVR_MODEL_ATTENTION_H_
#define RLVR_MODEL_ATTENTION_H_

#include <cstdint>

#include "kernels/backend.h"
#include "model/activations.h"
#include "model/config.h"
#include "model/weights.h"

namespace rlvr {

// h1 [T, H] -> a->q [T, Hq*D], a->k, a->v [T, Hkv*D]: projection (+ bias), per-head q_norm /
// k_norm (qwen3; pre-norm values kept in q_lin / k_lin), RoPE at positions[t].
void QkvForward(const ModelConfig& c, const LayerWeights& w, const Backend& be, const float* h1,
                int64_t tokens, const int32_t* positions, LayerActivations* a);

// From dq, dk (w.r.t. the rotated values; clobbered) and dv: dh1 [T, H] (overwritten) and the
// projection / norm gradients (accumulated into g).
void QkvBackward(const ModelConfig& c, const LayerWeights& w, const Backend& be, const float* h1,
                 int64_t tokens, const int32_t* positions, const LayerActivations& a, float* dq,
                 float* dk, const float* dv, float* dh1, LayerWeights* g);

}  // namespace rlvr

#endif  // RLVR_MODEL_ATTENTION_H_
