// Inference with a paged KV cache: batched prefill and batched one-token decode.
//
// Both are one call, RunCached, over a batch of chunks. A chunk is a run of new tokens of one
// sequence at positions start_pos .. start_pos + n - 1; positions 0 .. start_pos - 1 must already
// be in the cache (an earlier chunk, or a shared prefix the engine mapped into the table).
// RunCached writes K/V of the new positions through the chunk's block table and returns the
// logits of each chunk's last token. Prefill = chunks starting at 0 (or at a cached prefix);
// decode = chunks of one token.
//
// These logits equal the training Forward's logits on the same tokens (fp32, up to summation
// order), so log-softmax of them is the logprob the trainer recomputes (see model/model.h).
#ifndef RLVR_MODEL_INFERENCE_H_
#define RLVR_MODEL_INFERENCE_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "kernels/backend.h"
#include "model/kv_cache.h"
#include "model/weights.h"

namespace rlvr {

struct SeqChunk {
  absl::Span<const int32_t> tokens;       // new tokens, at least one
  int32_t start_pos = 0;                  // positions already cached for this sequence
  absl::Span<const int32_t> block_table;  // must cover start_pos + tokens.size() positions
};

// Runs the chunks as one batch. logits receives [chunks.size(), vocab]: row i is the logits at
// the last token of chunk i. Errors (nothing is written to the cache then): a token id out of
// range, an empty chunk, a block table too short or naming a block outside the pool, or two
// chunks writing the same cache slot.
absl::Status RunCached(const Model& model, const Backend& backend, KvCachePool* cache,
                       absl::Span<const SeqChunk> chunks, std::vector<float>* logits);

// log-softmax of one row of logits (the logprob definition of model/model.h), in double.
void LogSoftmax(absl::Span<const float> logits, std::vector<float>* logprobs);

}  // namespace rlvr

#endif  // RLVR_MODEL_INFERENCE_H_
