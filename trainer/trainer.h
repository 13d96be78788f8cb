// The GRPO step loop: prompts -> rollout fleet -> sandbox verification -> rewards ->
// advantages -> mini-batch policy updates -> weight push -> metrics, eval, checkpoints.
//
// The loop talks to its collaborators only through interfaces (PolicyModel, RolloutFleet of
// RolloutWorkers, VerifyClient, TextCodec), so the same code runs against gRPC services,
// in-process engines or test doubles.
#ifndef RLVR_TRAINER_TRAINER_H_
#define RLVR_TRAINER_TRAINER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/metrics.h"
#include "core/rng.h"
#include "rlvr/v1/config.pb.h"
#include "trainer/advantages.h"
#include "trainer/checkpoint.h"
#include "trainer/dataset.h"
#include "trainer/dynamic_sampling.h"
#include "trainer/lr_schedule.h"
#include "trainer/policy.h"
#include "trainer/policy_loss.h"
#include "trainer/prompt_template.h"
#include "trainer/rollout_client.h"
#include "trainer/step_metrics.h"
#include "trainer/verify_client.h"

namespace rlvr {

// The verifier name sent for records without their own: the sandbox's combined reward spec.
inline constexpr char kRewardSpecVerifier[] = "reward";

struct TrainerParts {
  PolicyModel* policy = nullptr;     // required
  PolicyModel* reference = nullptr;  // required when algorithm.kl_beta > 0
  RolloutFleet* rollout = nullptr;   // required
  VerifyClient* verifier = nullptr;  // required
  const TextCodec* codec = nullptr;  // required
  MetricsSink* metrics = nullptr;    // optional
  // Called after every step and evaluation with its metrics (progress display).
  std::function<void(int64_t step, const MetricList& metrics)> on_metrics;
};

// One prompt's group after verification.
struct VerifiedSample {
  rlvr::v1::Completion completion;
  double reward = 0;
  std::map<std::string, double> components;
  bool truncated = false;
  bool verify_error = false;
};
struct VerifiedGroup {
  int64_t example = 0;
  std::vector<int32_t> prompt_tokens;
  std::vector<VerifiedSample> samples;
};

class Trainer {
 public:
  // Checks the config (B, G, mini-batches, loss options, schedule) and the parts.
  static absl::StatusOr<std::unique_ptr<Trainer>> Create(const rlvr::v1::ExperimentConfig& config,
                                                         std::vector<Example> train,
                                                         std::vector<Example> eval,
                                                         TrainerParts parts);
  ~Trainer();

  // Restores a checkpoint folder or root (see checkpoint.h) and pushes its weights to the
  // workers as the next weight version.
  absl::Status Resume(const std::string& path);

  // Pushes the trainer's current weights to every worker as the next version, so that workers
  // that served an earlier run generate from this run's policy.
  absl::Status SyncWorkers();

  // One full step. The returned metrics were also logged.
  absl::StatusOr<MetricList> Step();

  // Steps until schedule.steps is reached or RequestStop() is called; evaluates before the
  // first step and every eval.every_steps, checkpoints every checkpoint.every_steps and at the end
  // (when checkpoint.dir is set), and exports a Hugging Face folder at the end if asked.
  absl::Status Run();

  // Greedy accuracy and pass@k on the eval set: eval/accuracy, eval/pass@k,
  // eval/response_length/mean, logged under the index of the last completed step.
  absl::StatusOr<MetricList> Evaluate();

  absl::StatusOr<std::string> SaveCheckpointNow();

  // Safe to call from a signal handler: the run stops after the current step and checkpoints.
  void RequestStop() { stop_.store(true); }
  bool stop_requested() const { return stop_.load(); }

  const TrainerState& state() const { return state_; }
  // Training and eval records left out by data.drop_overlong_prompts.
  int64_t dropped_overlong_prompts() const { return dropped_overlong_prompts_; }
  FleetStats fleet_stats() const { return parts_.rollout->stats(); }

 private:
  struct Batch {
    std::vector<VerifiedGroup> groups;
    int rounds = 0;
    int64_t dropped_zero_variance = 0;
    int64_t generated_tokens = 0;
    double generate_seconds = 0;
    double verify_seconds = 0;
    std::vector<SampleOutcome> outcomes;  // every verified sample, kept or not
  };

  Trainer(const rlvr::v1::ExperimentConfig& config, std::vector<Example> train,
          std::vector<Example> eval, TrainerParts parts, LrSchedule schedule,
          PromptFormatter formatter);

  const std::vector<int32_t>& PromptTokens(const std::vector<Example>& set, int64_t index,
                                           std::vector<std::vector<int32_t>>* cache);
  // Generates and verifies groups for `examples`; appends to groups in example order.
  absl::Status GenerateAndVerify(const std::vector<Example>& set,
                                 std::vector<std::vector<int32_t>>* cache,
                                 const std::vector<int64_t>& examples, int n,
                                 const rlvr::v1::SamplingConfig& sampling,
                                 const std::string& id_prefix, std::vector<VerifiedGroup>* out,
                                 int64_t* generated_tokens, double* generate_s, double* verify_s);
  absl::StatusOr<Batch> CollectBatch(int64_t step);
  absl::Status Update(const Batch& batch, StepMetrics* metrics);
  void Log(int64_t step, const MetricList& metrics);
  // logging.sample_traces completions of the step as "sample" text records.
  void LogTraces(int64_t step, const Batch& batch);

  rlvr::v1::ExperimentConfig config_;
  std::vector<Example> train_, eval_;
  std::vector<std::vector<int32_t>> train_tokens_, eval_tokens_;
  TrainerParts parts_;
  LrSchedule schedule_;
  PromptFormatter formatter_;
  AdvantageOptions adv_options_;
  PolicyLossOptions loss_options_;
  PromptOrder order_;
  Rng rng_;
  TrainerState state_;
  std::string accuracy_component_;
  std::atomic<bool> stop_{false};
  // Async mode: the batch generated while the previous update ran.
  std::optional<std::future<absl::StatusOr<Batch>>> prefetch_;
  int64_t dropped_overlong_prompts_ = 0;
};

}  // namespace rlvr

#endif  // RLVR_TRAINER_TRAINER_H_
