#include "trainer/policy_loss.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"

namespace rlvr {
namespace {

constexpr double kDefaultClipEps = 0.2;

absl::Status CheckTokenSpan(absl::Span<const float> span, const char* name, int64_t tokens,
                            bool required) {
  if (span.empty() && !required) return absl::OkStatus();
  if (static_cast<int64_t>(span.size()) != tokens) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "policy loss: %s has %d values but the batch has %d tokens", name, span.size(), tokens));
  }
  for (size_t t = 0; t < span.size(); ++t) {
    if (!std::isfinite(span[t])) {
      return absl::InvalidArgumentError(
          absl::StrFormat("policy loss: %s[%d] is not finite", name, t));
    }
  }
  return absl::OkStatus();
}

absl::Status Validate(const PolicyLossBatch& b, const PolicyLossOptions& o) {
  if (b.offsets.empty() || b.offsets.front() != 0) {
    return absl::InvalidArgumentError("policy loss: offsets must start at 0");
  }
  for (size_t i = 1; i < b.offsets.size(); ++i) {
    if (b.offsets[i] < b.offsets[i - 1]) {
      return absl::InvalidArgumentError(
          absl::StrFormat("policy loss: offsets decrease at response %d", i - 1));
    }
  }
  const size_t responses = b.offsets.size() - 1;
  const int64_t tokens = b.offsets.back();
  if (b.advantages.size() != responses) {
    return absl::InvalidArgumentError(absl::StrFormat("policy loss: %d advantages for %d responses",
                                                      b.advantages.size(), responses));
  }
  for (size_t i = 0; i < responses; ++i) {
    if (!std::isfinite(b.advantages[i])) {
      return absl::InvalidArgumentError(
          absl::StrFormat("policy loss: advantage %d is not finite", i));
    }
  }
  if (!b.sequence_mask.empty() && b.sequence_mask.size() != responses) {
    return absl::InvalidArgumentError(
        absl::StrFormat("policy loss: sequence_mask has %d entries for %d responses",
                        b.sequence_mask.size(), responses));
  }
  if (auto s = CheckTokenSpan(b.logp, "logp", tokens, true); !s.ok()) return s;
  if (auto s = CheckTokenSpan(b.old_logp, "old_logp", tokens, true); !s.ok()) return s;
  if (auto s = CheckTokenSpan(b.rollout_logp, "rollout_logp", tokens, false); !s.ok()) return s;
  if (auto s = CheckTokenSpan(b.ref_logp, "ref_logp", tokens, o.kl_beta != 0); !s.ok()) {
    return o.kl_beta != 0 && b.ref_logp.empty()
               ? absl::InvalidArgumentError(
                     "policy loss: kl_beta is not 0 but no reference logprobs were given")
               : s;
  }
  if (auto s = CheckTokenSpan(b.entropy, "entropy", tokens, false); !s.ok()) return s;
  if (!(o.clip_eps_low >= 0 && o.clip_eps_low < 1)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("policy loss: clip_eps_low %g is not in [0, 1)", o.clip_eps_low));
  }
  if (!(o.clip_eps_high >= 0)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("policy loss: clip_eps_high %g is negative", o.clip_eps_high));
  }
  if (o.dual_clip != 0 && !(o.dual_clip > 1)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "policy loss: dual_clip must be 0 (off) or greater than 1, got %g", o.dual_clip));
  }
  if (o.kl_beta < 0 || !std::isfinite(o.kl_beta)) {
    return absl::InvalidArgumentError("policy loss: kl_beta must be a finite value >= 0");
  }
  if (o.importance_weight_cap < 0) {
    return absl::InvalidArgumentError("policy loss: importance_weight_cap must be >= 0");
  }
  switch (o.aggregation) {
    case rlvr::v1::TOKEN_MEAN:
    case rlvr::v1::SEQ_MEAN_TOKEN_MEAN:
      break;
    case rlvr::v1::SEQ_MEAN_TOKEN_SUM_NORM:
      if (!(o.seq_sum_norm > 0)) {
        return absl::InvalidArgumentError(
            "policy loss: SEQ_MEAN_TOKEN_SUM_NORM needs algorithm.seq_sum_norm > 0");
      }
      break;
    default:
      return absl::InvalidArgumentError("policy loss: unspecified loss aggregation");
  }
  if (o.kl_beta != 0) {
    switch (o.kl_estimator) {
      case rlvr::v1::K1:
      case rlvr::v1::K2:
      case rlvr::v1::K3:
        break;
      default:
        return absl::InvalidArgumentError("policy loss: unspecified KL estimator");
    }
  }
  return absl::OkStatus();
}

// KL estimate and its derivative with respect to logp.
void KlTerm(rlvr::v1::KlEstimator estimator, double logp, double ref, double* kl, double* dkl) {
  const double d = logp - ref;
  switch (estimator) {
    case rlvr::v1::K1:
      *kl = d;
      *dkl = 1;
      return;
    case rlvr::v1::K2:
      *kl = 0.5 * d * d;
      *dkl = d;
      return;
    default: {  // K3
      const double e = std::exp(-d);
      *kl = e + d - 1;
      *dkl = 1 - e;
      return;
    }
  }
}

}  // namespace

PolicyLossOptions PolicyLossOptionsFromConfig(const rlvr::v1::AlgorithmConfig& config) {
  PolicyLossOptions o;
  o.clip_eps_low = config.clip_eps_low() > 0 ? config.clip_eps_low() : kDefaultClipEps;
  o.clip_eps_high = config.clip_eps_high() > 0 ? config.clip_eps_high() : o.clip_eps_low;
  o.dual_clip = config.dual_clip();
  o.kl_beta = config.kl_beta();
  o.kl_estimator = config.kl_estimator() == rlvr::v1::KL_ESTIMATOR_UNSPECIFIED
                       ? rlvr::v1::K3
                       : config.kl_estimator();
  o.aggregation = config.loss_aggregation() == rlvr::v1::LOSS_AGGREGATION_UNSPECIFIED
                      ? rlvr::v1::TOKEN_MEAN
                      : config.loss_aggregation();
  o.seq_sum_norm = config.seq_sum_norm();
  o.importance_weight_cap = config.importance_weight_cap();
  return o;
}

absl::StatusOr<PolicyLossResult> ComputePolicyLoss(const PolicyLossBatch& b,
                                                   const PolicyLossOptions& o) {
  if (absl::Status s = Validate(b, o); !s.ok()) return s;
  const size_t responses = b.offsets.size() - 1;
  PolicyLossResult result;
  result.grad_logp.assign(static_cast<size_t>(b.offsets.back()), 0.0f);
  PolicyLossMetrics& m = result.metrics;

  auto active = [&](size_t i) {
    return (b.sequence_mask.empty() || b.sequence_mask[i] != 0) && b.offsets[i + 1] > b.offsets[i];
  };
  for (size_t i = 0; i < responses; ++i) {
    if (!active(i)) continue;
    ++m.active_sequences;
    m.active_tokens += b.offsets[i + 1] - b.offsets[i];
  }
  if (m.active_tokens == 0) {
    m.importance_weight_mean = 1;
    return result;
  }

  const bool use_is = o.importance_weight_cap > 0 && !b.rollout_logp.empty();
  const bool use_kl = o.kl_beta != 0;
  double ratio_sum = 0, entropy_sum = 0, kl_sum = 0, w_sum = 0, gap_sum = 0;
  double ratio_min = std::numeric_limits<double>::infinity();
  double ratio_max = -std::numeric_limits<double>::infinity();
  int64_t clipped = 0, clipped_low = 0, clipped_high = 0, dual_clipped = 0, capped = 0;

  for (size_t i = 0; i < responses; ++i) {
    if (!active(i)) continue;
    const int64_t begin = b.offsets[i], end = b.offsets[i + 1];
    const double a = b.advantages[i];
    double coef = 0;  // d aggregate / d l_t for this response's tokens
    switch (o.aggregation) {
      case rlvr::v1::TOKEN_MEAN:
        coef = 1.0 / static_cast<double>(m.active_tokens);
        break;
      case rlvr::v1::SEQ_MEAN_TOKEN_MEAN:
        coef = 1.0 / (static_cast<double>(m.active_sequences) * static_cast<double>(end - begin));
        break;
      default:
        coef = 1.0 / (static_cast<double>(m.active_sequences) * o.seq_sum_norm);
        break;
    }
    for (int64_t t = begin; t < end; ++t) {
      const double logp = b.logp[t];
      const double ratio = std::exp(logp - static_cast<double>(b.old_logp[t]));
      const double clipped_ratio = std::clamp(ratio, 1 - o.clip_eps_low, 1 + o.clip_eps_high);
      const double unclipped_loss = -ratio * a;
      const double clipped_loss = -clipped_ratio * a;
      double pg, dpg;
      if (clipped_loss > unclipped_loss) {
        // The clipped branch is active and constant in logp.
        pg = clipped_loss;
        dpg = 0;
        ++clipped;
        if (ratio < 1 - o.clip_eps_low) ++clipped_low;
        if (ratio > 1 + o.clip_eps_high) ++clipped_high;
      } else {
        pg = unclipped_loss;
        dpg = -ratio * a;
      }
      if (o.dual_clip > 0 && a < 0 && pg > -o.dual_clip * a) {
        pg = -o.dual_clip * a;
        dpg = 0;
        ++dual_clipped;
      }
      double w = 1;
      if (use_is) {
        w = std::exp(static_cast<double>(b.old_logp[t]) - static_cast<double>(b.rollout_logp[t]));
        if (w > o.importance_weight_cap) {
          w = o.importance_weight_cap;
          ++capped;
        }
      }
      double kl = 0, dkl = 0;
      if (use_kl) KlTerm(o.kl_estimator, logp, b.ref_logp[t], &kl, &dkl);

      m.pg_loss += coef * w * pg;
      m.kl_loss += coef * o.kl_beta * kl;
      result.grad_logp[t] = static_cast<float>(coef * (w * dpg + o.kl_beta * dkl));

      ratio_sum += ratio;
      ratio_min = std::min(ratio_min, ratio);
      ratio_max = std::max(ratio_max, ratio);
      kl_sum += kl;
      w_sum += w;
      if (!b.entropy.empty()) entropy_sum += b.entropy[t];
      if (!b.rollout_logp.empty()) {
        const double gap = std::fabs(static_cast<double>(b.old_logp[t]) - b.rollout_logp[t]);
        gap_sum += gap;
        m.logprob_gap_max = std::max(m.logprob_gap_max, gap);
      }
    }
  }
  const double n = static_cast<double>(m.active_tokens);
  result.loss = m.pg_loss + m.kl_loss;
  m.kl_mean = kl_sum / n;
  m.clip_fraction = static_cast<double>(clipped) / n;
  m.clip_low_fraction = static_cast<double>(clipped_low) / n;
  m.clip_high_fraction = static_cast<double>(clipped_high) / n;
  m.dual_clip_fraction = static_cast<double>(dual_clipped) / n;
  m.ratio_mean = ratio_sum / n;
  m.ratio_min = ratio_min;
  m.ratio_max = ratio_max;
  m.entropy_mean = entropy_sum / n;
  m.importance_weight_mean = w_sum / n;
  m.importance_capped_fraction = static_cast<double>(capped) / n;
  m.logprob_gap_mean = gap_sum / n;
  return result;
}

}  // namespace rlvr
