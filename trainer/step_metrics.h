// The numbers logged every training step (ARCHITECTURE.md, "logged every step"), gathered from
// the step's samples, loss evaluations, optimizer steps and phase timers.
//
// Names (stable; dashboards and tests key on them):
//   reward/mean, reward/std, reward/<component>/mean, accuracy, format_rate,
//   response_length/mean, response_length/max, response_length/truncated_share,
//   verify/error_share, entropy, kl, clip_fraction, clip_fraction/low, clip_fraction/high,
//   dual_clip_fraction, ratio/mean, ratio/min, ratio/max, loss, loss/pg, loss/kl,
//   importance_weight/mean, importance_weight/capped_share, logprob_gap/mean, logprob_gap/max,
//   grad_norm, grad_norm/max, lr, weight_version_lag/mean, weight_version_lag/max,
//   time/<phase> (seconds), plus whatever Set() adds.
// A metric with nothing to average (no loss evaluated, no format component) is left out.
#ifndef RLVR_TRAINER_STEP_METRICS_H_
#define RLVR_TRAINER_STEP_METRICS_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "trainer/policy_loss.h"

namespace rlvr {

// A sample counts as correct when its accuracy reward reaches this value (rewards in [0, 1]).
inline constexpr double kCorrectThreshold = 1.0 - 1e-9;
// The reward component the format verifier reports; > 0 means the response is well formed.
inline constexpr char kFormatComponent[] = "format";

struct SampleOutcome {
  double reward = 0;
  std::map<std::string, double> components;
  int64_t response_tokens = 0;
  bool truncated = false;
  bool verify_error = false;
  int64_t weight_version = 0;
};

struct StepMetricsOptions {
  // Component whose value decides accuracy; when empty or absent in a sample, the total
  // reward decides.
  std::string accuracy_component;
  // Component whose value > 0 means "well formatted".
  std::string format_component = kFormatComponent;
};

using MetricList = std::vector<std::pair<std::string, double>>;

class StepMetrics {
 public:
  explicit StepMetrics(StepMetricsOptions options = {}) : options_(std::move(options)) {}

  void AddSample(const SampleOutcome& sample);
  // One loss evaluation (one mini-batch update); averaged over the step, weighted by tokens.
  void AddLoss(double loss, const PolicyLossMetrics& metrics);
  void AddOptimizerStep(double grad_norm, double lr);
  // Adds to time/<phase>.
  void AddPhaseSeconds(const std::string& phase, double seconds);
  void Set(const std::string& name, double value);

  // The metrics, sorted by name. policy_version is the version the step trained from; the
  // lag of a sample is policy_version - its weight_version.
  MetricList Finish(int64_t policy_version) const;

  int64_t samples() const { return static_cast<int64_t>(samples_.size()); }

 private:
  StepMetricsOptions options_;
  std::vector<SampleOutcome> samples_;
  // Token-weighted sums over loss evaluations.
  double loss_tokens_ = 0;
  std::map<std::string, double> loss_sums_;
  double ratio_min_ = 0, ratio_max_ = 0, gap_max_ = 0;
  int64_t loss_calls_ = 0;
  std::vector<double> grad_norms_;
  double last_lr_ = 0;
  std::map<std::string, double> phases_;
  std::map<std::string, double> extra_;
};

}  // namespace rlvr

#endif  // RLVR_TRAINER_STEP_METRICS_H_
