// The MLP block (internal to model/): a dense SwiGLU MLP, or a mixture of experts — router,
// top-k, dispatch to routed experts, combine with the routing weights, plus an optional shared
// expert scaled by sigmoid(shared_expert_gate(x)). Kept apart from attention so that other expert
// layouts (DeepSeek-V3 group-limited routing, several shared experts) change only this file.
#ifndef RLVR_MODEL_MOE_H_
#define RLVR_MODEL_MOE_H_

#include <cstdint>

#include "kernels/backend.h"
#include "model/activations.h"
#include "model/config.h"
#include "model/weights.h"

namespace rlvr {

// h2 [T, H] -> out [T, H] (overwritten), keeping intermediates in *a.
void MlpForward(const ModelConfig& c, const LayerWeights& w, const Backend& be, bool moe,
                const float* h2, int64_t tokens, LayerActivations* a, float* out);

// dout [T, H] -> dh2 [T, H] (overwritten); parameter gradients accumulated into g.
// dscores [T, E] is an extra gradient on the router scores (balancing loss) or null.
void MlpBackward(const ModelConfig& c, const LayerWeights& w, const Backend& be, bool moe,
                 const float* h2, int64_t tokens, const LayerActivations& a, const float* dout,
                 const float* dscores, float* dh2, LayerWeights* g);

}  // namespace rlvr

#endif  // RLVR_MODEL_MOE_H_
