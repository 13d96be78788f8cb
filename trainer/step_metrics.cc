#include "trainer/step_metrics.h"

#include <algorithm>
#include <cmath>

namespace rlvr {

void StepMetrics::AddSample(const SampleOutcome& sample) { samples_.push_back(sample); }

void StepMetrics::AddLoss(double loss, const PolicyLossMetrics& m) {
  const double w = static_cast<double>(m.active_tokens);
  if (w <= 0) return;
  auto add = [&](const char* name, double v) { loss_sums_[name] += w * v; };
  add("loss", loss);
  add("loss/pg", m.pg_loss);
  add("loss/kl", m.kl_loss);
  add("kl", m.kl_mean);
  add("entropy", m.entropy_mean);
  add("clip_fraction", m.clip_fraction);
  add("clip_fraction/low", m.clip_low_fraction);
  add("clip_fraction/high", m.clip_high_fraction);
  add("dual_clip_fraction", m.dual_clip_fraction);
  add("ratio/mean", m.ratio_mean);
  add("importance_weight/mean", m.importance_weight_mean);
  add("importance_weight/capped_share", m.importance_capped_fraction);
  add("logprob_gap/mean", m.logprob_gap_mean);
  if (loss_calls_ == 0) {
    ratio_min_ = m.ratio_min;
    ratio_max_ = m.ratio_max;
    gap_max_ = m.logprob_gap_max;
  } else {
    ratio_min_ = std::min(ratio_min_, m.ratio_min);
    ratio_max_ = std::max(ratio_max_, m.ratio_max);
    gap_max_ = std::max(gap_max_, m.logprob_gap_max);
  }
  loss_tokens_ += w;
  ++loss_calls_;
}

void StepMetrics::AddOptimizerStep(double grad_norm, double lr) {
  grad_norms_.push_back(grad_norm);
  last_lr_ = lr;
}

void StepMetrics::AddPhaseSeconds(const std::string& phase, double seconds) {
  phases_[phase] += seconds;
}

void StepMetrics::Set(const std::string& name, double value) { extra_[name] = value; }

MetricList StepMetrics::Finish(int64_t policy_version) const {
  std::map<std::string, double> out;
  const auto n = static_cast<double>(samples_.size());
  if (!samples_.empty()) {
    double sum = 0, len_sum = 0, len_max = 0, truncated = 0, errors = 0, correct = 0;
    double lag_sum = 0, lag_max = 0, formatted = 0, format_seen = 0;
    std::map<std::string, std::pair<double, double>> components;  // sum, count
    for (const SampleOutcome& s : samples_) {
      sum += s.reward;
      const auto len = static_cast<double>(s.response_tokens);
      len_sum += len;
      len_max = std::max(len_max, len);
      truncated += s.truncated ? 1 : 0;
      errors += s.verify_error ? 1 : 0;
      double acc_value = s.reward;
      if (!options_.accuracy_component.empty()) {
        auto it = s.components.find(options_.accuracy_component);
        if (it != s.components.end()) acc_value = it->second;
      }
      correct += acc_value >= kCorrectThreshold ? 1 : 0;
      if (auto it = s.components.find(options_.format_component); it != s.components.end()) {
        format_seen += 1;
        formatted += it->second > 0 ? 1 : 0;
      }
      for (const auto& [name, value] : s.components) {
        components[name].first += value;
        components[name].second += 1;
      }
      const auto lag = static_cast<double>(policy_version - s.weight_version);
      lag_sum += lag;
      lag_max = std::max(lag_max, lag);
    }
    const double mean = sum / n;
    double sq = 0;
    for (const SampleOutcome& s : samples_) sq += (s.reward - mean) * (s.reward - mean);
    out["reward/mean"] = mean;
    out["reward/std"] = std::sqrt(sq / n);
    for (const auto& [name, sc] : components)
      out["reward/" + name + "/mean"] = sc.first / sc.second;
    out["accuracy"] = correct / n;
    if (format_seen > 0) out["format_rate"] = formatted / format_seen;
    out["response_length/mean"] = len_sum / n;
    out["response_length/max"] = len_max;
    out["response_length/truncated_share"] = truncated / n;
    out["verify/error_share"] = errors / n;
    out["weight_version_lag/mean"] = lag_sum / n;
    out["weight_version_lag/max"] = lag_max;
  }
  if (loss_tokens_ > 0) {
    for (const auto& [name, s] : loss_sums_) out[name] = s / loss_tokens_;
    out["ratio/min"] = ratio_min_;
    out["ratio/max"] = ratio_max_;
    out["logprob_gap/max"] = gap_max_;
  }
  if (!grad_norms_.empty()) {
    double s = 0, mx = 0;
    for (double g : grad_norms_) {
      s += g;
      mx = std::max(mx, g);
    }
    out["grad_norm"] = s / static_cast<double>(grad_norms_.size());
    out["grad_norm/max"] = mx;
    out["lr"] = last_lr_;
  }
  for (const auto& [phase, secs] : phases_) out["time/" + phase] = secs;
  for (const auto& [name, v] : extra_) out[name] = v;
  return MetricList(out.begin(), out.end());
}

}  // namespace rlvr
