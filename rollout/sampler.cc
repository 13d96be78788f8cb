#include "rollout/sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace rlvr {
namespace {

uint64_t SplitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Probability weights exp((z_i - max z) / T), in fp64; the largest is exactly 1.
void TemperatureWeights(absl::Span<const float> logits, double temperature,
                        std::vector<double>* w) {
  float mx = logits[0];
  for (float z : logits) mx = std::max(mx, z);
  w->resize(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) {
    (*w)[i] = std::exp((static_cast<double>(logits[i]) - mx) / temperature);
  }
}

int32_t Argmax(absl::Span<const float> logits) {
  int32_t best = 0;
  for (size_t i = 1; i < logits.size(); ++i) {
    if (logits[i] > logits[best]) best = static_cast<int32_t>(i);
  }
  return best;
}

// Number of leading entries of `sorted` (most likely first) to keep for top_p.
size_t TopPPrefix(const std::vector<int32_t>& sorted, size_t count, const std::vector<double>& w,
                  double top_p) {
  double total = 0;
  for (size_t i = 0; i < count; ++i) total += w[sorted[i]];
  const double target = top_p * total;
  double cum = 0;
  for (size_t i = 0; i < count; ++i) {
    cum += w[sorted[i]];
    if (cum >= target) return i + 1;
  }
  return count;
}

// Inverse-CDF draw over the tokens with keep[i] (visited in id order).
int32_t DrawInIdOrder(const std::vector<double>& w, const std::vector<char>& keep, double u) {
  double total = 0;
  int32_t last = -1;
  for (size_t i = 0; i < w.size(); ++i) {
    if (keep[i]) {
      total += w[i];
      last = static_cast<int32_t>(i);
    }
  }
  const double target = u * total;
  double cum = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    if (!keep[i]) continue;
    cum += w[i];
    if (cum > target) return static_cast<int32_t>(i);
  }
  return last;
}

}  // namespace

double CounterUniform(uint64_t seed, uint64_t stream, uint64_t step) {
  uint64_t x = SplitMix64(seed);
  x = SplitMix64(x ^ stream);
  x = SplitMix64(x ^ step);
  return static_cast<double>(x >> 11) * 0x1.0p-53;
}

uint64_t SampleStream(int prompt_index, int sample_index) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(prompt_index)) << 32) |
         static_cast<uint32_t>(sample_index);
}

float TokenLogprob(absl::Span<const float> logits, int32_t token) {
  float mx = logits[0];
  for (float z : logits) mx = std::max(mx, z);
  double sum = 0;
  for (float z : logits) sum += std::exp(static_cast<double>(z) - mx);
  const double lse = mx + std::log(sum);
  return static_cast<float>(logits[token] - lse);
}

SampledToken ReferenceSample(absl::Span<const float> logits, const SamplingParams& params,
                             double u) {
  const size_t vocab = logits.size();
  int32_t token;
  if (params.temperature == 0.0) {
    token = Argmax(logits);
  } else {
    std::vector<double> w;
    TemperatureWeights(logits, params.temperature, &w);
    std::vector<int32_t> sorted(vocab);
    std::iota(sorted.begin(), sorted.end(), 0);
    std::sort(sorted.begin(), sorted.end(),
              [&](int32_t a, int32_t b) { return w[a] > w[b] || (w[a] == w[b] && a < b); });
    size_t count = vocab;
    if (params.top_k > 0) count = std::min<size_t>(count, params.top_k);
    if (params.top_p < 1.0) count = TopPPrefix(sorted, count, w, params.top_p);
    std::vector<char> keep(vocab, 0);
    for (size_t i = 0; i < count; ++i) {
      if (w[sorted[i]] >= params.min_p) keep[sorted[i]] = 1;  // the largest weight is 1
    }
    token = DrawInIdOrder(w, keep, u);
  }
  return {token, TokenLogprob(logits, token)};
}

SampledToken Sampler::Sample(absl::Span<const float> logits, const SamplingParams& params,
                             double u) {
  const size_t vocab = logits.size();
  if (params.temperature == 0.0) {
    const int32_t token = Argmax(logits);
    return {token, TokenLogprob(logits, token)};
  }
  TemperatureWeights(logits, params.temperature, &weights_);
  const std::vector<double>& w = weights_;
  auto more_likely = [&](int32_t a, int32_t b) { return w[a] > w[b] || (w[a] == w[b] && a < b); };
  const bool top_k = params.top_k > 0 && static_cast<size_t>(params.top_k) < vocab;
  const bool top_p = params.top_p < 1.0;
  keep_.assign(vocab, 1);
  if (top_k || top_p) {
    // Only the candidates need ordering: the top_k set (found by selection) or everything.
    order_.resize(vocab);
    std::iota(order_.begin(), order_.end(), 0);
    size_t count = vocab;
    if (top_k) {
      count = params.top_k;
      std::nth_element(order_.begin(), order_.begin() + (count - 1), order_.end(), more_likely);
    }
    if (top_p) {
      std::sort(order_.begin(), order_.begin() + count, more_likely);
      count = TopPPrefix(order_, count, w, params.top_p);
    }
    keep_.assign(vocab, 0);
    for (size_t i = 0; i < count; ++i) keep_[order_[i]] = 1;
  }
  if (params.min_p > 0.0) {
    for (size_t i = 0; i < vocab; ++i) {
      if (w[i] < params.min_p) keep_[i] = 0;
    }
  }
  const int32_t token = DrawInIdOrder(w, keep_, u);
  return {token, TokenLogprob(logits, token)};
}

}  // namespace rlvr
