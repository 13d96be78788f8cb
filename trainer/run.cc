#include "trainer/run.h"

#include <signal.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "core/metrics.h"
#include "trainer/grpc_clients.h"
#include "trainer/model_policy.h"
#include "trainer/progress.h"
#include "trainer/trainer.h"

namespace rlvr {
namespace {

std::atomic<Trainer*> g_trainer{nullptr};

void OnStopSignal(int sig) {
  Trainer* t = g_trainer.load();
  if (t != nullptr) t->RequestStop();
  // A second signal ends the process at once.
  signal(sig, SIG_DFL);
}

std::string TokenizerPath(const rlvr::v1::ExperimentConfig& c) {
  if (!c.tokenizer().path().empty()) return c.tokenizer().path();
  return (std::filesystem::path(c.model().path()) / "tokenizer.json").string();
}

}  // namespace

absl::Status RunTraining(const rlvr::v1::ExperimentConfig& config, const RunOptions& options) {
  if (config.model().path().empty()) {
    return absl::InvalidArgumentError("model.path is required");
  }
  if (config.data().train().path().empty()) {
    return absl::InvalidArgumentError("data.train.path is required");
  }
  if (config.rollout_addresses().empty()) {
    return absl::InvalidArgumentError(
        "rollout_addresses is empty: start rlvr-rollout workers and list them, or use "
        "`rlvr launch`, which starts them");
  }
  if (config.sandbox_address().empty()) {
    return absl::InvalidArgumentError(
        "sandbox_address is empty: start rlvr-sandbox and set it, or use `rlvr launch`");
  }
  absl::StatusOr<std::vector<Example>> train = LoadDataset(config.data().train());
  if (!train.ok()) return train.status();
  std::vector<Example> eval;
  if (!config.data().eval().path().empty()) {
    absl::StatusOr<std::vector<Example>> e = LoadDataset(config.data().eval());
    if (!e.ok()) return e.status();
    eval = *std::move(e);
  }
  const double aux =
      config.algorithm().load_balance_coef() > 0 ? config.algorithm().load_balance_coef() : -1.0;
  absl::StatusOr<std::unique_ptr<ModelPolicy>> policy =
      ModelPolicy::Load(config.model(), config.optimizer(), aux);
  if (!policy.ok()) return policy.status();
  (*policy)->set_router_bias_update_rate(config.algorithm().router_bias_update_rate());
  std::unique_ptr<ModelPolicy> reference;
  if (config.algorithm().kl_beta() > 0) {
    absl::StatusOr<std::unique_ptr<ModelPolicy>> r =
        ModelPolicy::Load(config.model(), config.optimizer(), aux);
    if (!r.ok()) return r.status();
    reference = *std::move(r);
  }
  absl::StatusOr<std::unique_ptr<TokenizerCodec>> codec =
      TokenizerCodec::Load(TokenizerPath(config));
  if (!codec.ok()) return codec.status();

  std::vector<std::unique_ptr<RolloutWorker>> workers;
  for (const std::string& address : config.rollout_addresses()) {
    workers.push_back(NewGrpcRolloutWorker(address));
  }
  RolloutFleet fleet(std::move(workers));
  absl::StatusOr<RetryPolicy> retry = RetryPolicyFromConfig(config.verify_retry());
  if (!retry.ok()) return retry.status();
  RetryingVerifyClient verifier(NewGrpcVerifyClient(config.sandbox_address()), *retry);

  std::unique_ptr<MetricsSink> sink;
  if (!config.logging().dir().empty()) {
    std::error_code ec;
    std::filesystem::create_directories(config.logging().dir(), ec);
    std::vector<std::unique_ptr<MetricsSink>> sinks;
    auto jsonl = JsonlMetricsSink::Open(
        (std::filesystem::path(config.logging().dir()) / kTrainerMetricsFile).string());
    if (!jsonl.ok()) return jsonl.status();
    sinks.push_back(*std::move(jsonl));
    if (config.logging().tensorboard()) {
      auto tb = TensorBoardSink::Open(
          (std::filesystem::path(config.logging().dir()) / kTrainerTensorBoardDir).string());
      if (!tb.ok()) return tb.status();
      sinks.push_back(*std::move(tb));
    }
    sink = std::make_unique<MultiSink>(std::move(sinks));
  }

  ProgressDisplay progress(options.progress, options.progress_tty, config.schedule().steps());
  TrainerParts parts;
  parts.policy = policy->get();
  parts.reference = reference.get();
  parts.rollout = &fleet;
  parts.verifier = &verifier;
  parts.codec = codec->get();
  parts.metrics = sink.get();
  parts.on_metrics = [&](int64_t step, const MetricList& m) {
    if (!m.empty() && m.front().first.rfind("eval/", 0) == 0) {
      std::string line = absl::StrFormat("eval after step %d:", step);
      for (const auto& [k, v] : m) line += absl::StrFormat(" %s=%.4g", k, v);
      progress.Note(line);
    } else {
      progress.Update(step, m);
    }
  };
  absl::StatusOr<std::unique_ptr<Trainer>> trainer =
      Trainer::Create(config, *std::move(train), std::move(eval), parts);
  if (!trainer.ok()) return trainer.status();
  if ((*trainer)->dropped_overlong_prompts() > 0) {
    progress.Note(absl::StrFormat("left out %d records longer than data.max_prompt_tokens %d",
                                  (*trainer)->dropped_overlong_prompts(),
                                  config.data().max_prompt_tokens()));
  }
  if (!options.resume.empty()) {
    if (auto s = (*trainer)->Resume(options.resume); !s.ok()) return s;
    progress.Note(absl::StrFormat("resumed at step %d (weight version %d)",
                                  (*trainer)->state().step, (*trainer)->state().weight_version));
  } else if (auto s = (*trainer)->SyncWorkers(); !s.ok()) {
    return s;
  }
  if (options.install_signal_handlers) {
    g_trainer.store(trainer->get());
    signal(SIGINT, OnStopSignal);
    signal(SIGTERM, OnStopSignal);
  }
  absl::Status status = (*trainer)->Run();
  g_trainer.store(nullptr);
  progress.Finish();
  if (status.ok() && (*trainer)->stop_requested()) {
    progress.Note(absl::StrFormat("stopped by signal after step %d; checkpoint written",
                                  (*trainer)->state().step));
  }
  if (sink != nullptr) {
    if (auto s = sink->Flush(); !s.ok() && status.ok()) status = s;
  }
  return status;
}

}  // namespace rlvr
