// Token sampling for the rollout engine: temperature, top-k, top-p, min-p and greedy decoding,
// with the logprob of every sampled token.
//
// The logprob returned with a token is ALWAYS the log-softmax of the raw logits (temperature 1,
// no top-k/top-p/min-p), computed the way the trainer's LogprobForward kernel computes it:
//   mx = max_j z_j (fp32);  lse = mx + log(sum_j exp(z_j - mx)) (fp64);  logprob = float(z_t - lse)
// so that on CPU the trainer's recomputation of the same token equals it.
//
// Randomness is counter based: the uniform number used for step `step` of a sample depends only
// on (seed, stream, step), never on which other sequences share the batch, so a request gives the
// same tokens alone or batched with others.
#ifndef RLVR_ROLLOUT_SAMPLER_H_
#define RLVR_ROLLOUT_SAMPLER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/types/span.h"

namespace rlvr {

// Sampling parameters after validation and defaulting (see ValidateGenerateRequest).
struct SamplingParams {
  double temperature = 0.0;  // 0: greedy (argmax, lowest id on ties)
  int top_k = 0;             // 0: off
  double top_p = 1.0;        // in (0, 1]; 1: off
  double min_p = 0.0;        // in [0, 1]; 0: off
  int max_new_tokens = 0;    // > 0
  std::vector<int32_t> stop_token_ids;
  std::vector<std::string> stop_strings;
  uint64_t seed = 0;
};

// A uniform double in [0, 1) that is a pure function of its three arguments (a counter-based
// generator: SplitMix64 finalizers chained over the inputs).
double CounterUniform(uint64_t seed, uint64_t stream, uint64_t step);

// The stream of sample `sample_index` of prompt `prompt_index` within one request.
uint64_t SampleStream(int prompt_index, int sample_index);

// log-softmax(logits)[token] as defined at the top of this file.
float TokenLogprob(absl::Span<const float> logits, int32_t token);

struct SampledToken {
  int32_t token = -1;
  float logprob = 0.0f;  // TokenLogprob(logits, token)
};

// Draws one token from logits [vocab] under params, using the uniform number u in [0, 1).
//   temperature == 0: argmax.
//   otherwise p_i ∝ exp(z_i / T); then, in this order: keep the top_k most likely (when > 0);
//   keep the smallest most-likely-first prefix whose probability (renormalised over what is
//   left) reaches top_p; drop tokens whose probability is below min_p times the largest one.
//   The kept tokens, visited in id order, are sampled by inverse CDF with u.
// Keeps its buffers between calls to avoid allocation. logits must be finite and non-empty.
class Sampler {
 public:
  SampledToken Sample(absl::Span<const float> logits, const SamplingParams& params, double u);

 private:
  std::vector<double> weights_;
  std::vector<int32_t> order_;
  std::vector<char> keep_;
};

// The plain reference: same contract as Sampler::Sample, written as directly as possible (full
// sort, no shortcuts). Tests compare the two.
SampledToken ReferenceSample(absl::Span<const float> logits, const SamplingParams& params,
                             double u);

}  // namespace rlvr

#endif  // RLVR_ROLLOUT_SAMPLER_H_
