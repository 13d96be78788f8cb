#include "trainer/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <tuple>
#include <utility>

#include "absl/strings/str_format.h"
#include "core/json.h"

namespace rlvr {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Spacing of per-step sampling seeds, so that rounds within a step never collide.
constexpr uint64_t kSeedStride = 1000;
constexpr int kDefaultMaxSamplingRounds = 8;

absl::Status CheckConfig(const rlvr::v1::ExperimentConfig& c, const TrainerParts& p) {
  const auto& a = c.algorithm();
  if (a.prompts_per_step() <= 0 || a.samples_per_prompt() <= 0) {
    return absl::InvalidArgumentError(
        "algorithm.prompts_per_step and algorithm.samples_per_prompt must be > 0");
  }
  if (a.mini_batches() < 0 || a.epochs_per_batch() < 0) {
    return absl::InvalidArgumentError(
        "algorithm.mini_batches and algorithm.epochs_per_batch must be >= 0");
  }
  if (a.max_staleness() < 0) {
    return absl::InvalidArgumentError("algorithm.max_staleness must be >= 0");
  }
  if (p.policy == nullptr || p.rollout == nullptr || p.verifier == nullptr || p.codec == nullptr) {
    return absl::InvalidArgumentError("trainer: policy, rollout, verifier and codec are required");
  }
  if (a.kl_beta() > 0 && p.reference == nullptr) {
    return absl::InvalidArgumentError(
        "algorithm.kl_beta > 0 needs a reference model; set kl_beta to 0 to train without one");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Trainer>> Trainer::Create(const rlvr::v1::ExperimentConfig& config,
                                                         std::vector<Example> train,
                                                         std::vector<Example> eval,
                                                         TrainerParts parts) {
  if (auto s = CheckConfig(config, parts); !s.ok()) return s;
  if (train.empty()) return absl::InvalidArgumentError("trainer: the training set is empty");
  absl::StatusOr<LrSchedule> schedule = LrSchedule::Create(config.optimizer(), config.schedule());
  if (!schedule.ok()) return schedule.status();
  absl::StatusOr<PromptFormatter> formatter = PromptFormatter::Create(config.data().template_());
  if (!formatter.ok()) return formatter.status();
  // Prompts too long for data.max_prompt_tokens are dropped or rejected now rather than when
  // drawn; their tokens seed the trainer's prompt caches.
  int64_t dropped = 0;
  std::vector<std::vector<int32_t>> train_ids, eval_ids;
  if (const int max_prompt = config.data().max_prompt_tokens(); max_prompt > 0) {
    for (auto [set, ids, path] : {std::tuple{&train, &train_ids, &config.data().train().path()},
                                  std::tuple{&eval, &eval_ids, &config.data().eval().path()}}) {
      std::vector<Example> kept;
      for (Example& e : *set) {
        std::vector<int32_t> tokens = parts.codec->Encode(formatter->Format(e.prompt));
        if (static_cast<int>(tokens.size()) <= max_prompt) {
          kept.push_back(std::move(e));
          ids->push_back(std::move(tokens));
        } else if (config.data().drop_overlong_prompts()) {
          ++dropped;
        } else {
          return absl::InvalidArgumentError(absl::StrFormat(
              "%s: example %s has a prompt of %d tokens, more than data.max_prompt_tokens %d "
              "(data.drop_overlong_prompts leaves such records out)",
              *path, e.id, tokens.size(), max_prompt));
        }
      }
      *set = std::move(kept);
    }
    if (train.empty()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "trainer: every training prompt is longer than data.max_prompt_tokens %d", max_prompt));
    }
  }
  std::unique_ptr<Trainer> t(new Trainer(config, std::move(train), std::move(eval), parts,
                                         *std::move(schedule), *std::move(formatter)));
  if (!train_ids.empty()) t->train_tokens_ = std::move(train_ids);
  if (!eval_ids.empty()) t->eval_tokens_ = std::move(eval_ids);
  t->dropped_overlong_prompts_ = dropped;
  // Validate loss options once with an empty batch.
  PolicyLossBatch empty;
  empty.offsets = {0};
  if (auto r = ComputePolicyLoss(empty, t->loss_options_); !r.ok()) return r.status();
  return t;
}

Trainer::Trainer(const rlvr::v1::ExperimentConfig& config, std::vector<Example> train,
                 std::vector<Example> eval, TrainerParts parts, LrSchedule schedule,
                 PromptFormatter formatter)
    : config_(config),
      train_(std::move(train)),
      eval_(std::move(eval)),
      train_tokens_(train_.size()),
      eval_tokens_(eval_.size()),
      parts_(parts),
      schedule_(schedule),
      formatter_(std::move(formatter)),
      adv_options_(AdvantageOptionsFromConfig(config.algorithm())),
      loss_options_(PolicyLossOptionsFromConfig(config.algorithm())),
      order_(static_cast<int64_t>(train_.size()), config.seed(), config.data().shuffle()),
      rng_(Rng(config.seed()).Fork(1)) {
  if (config.reward().verifiers_size() > 0) {
    const auto& v = config.reward().verifiers(0);
    accuracy_component_ = v.component().empty() ? v.name() : v.component();
  }
  state_.rng = rng_.SerializeState();
}

Trainer::~Trainer() {
  if (prefetch_.has_value() && prefetch_->valid()) prefetch_->wait();
}

const std::vector<int32_t>& Trainer::PromptTokens(const std::vector<Example>& set, int64_t index,
                                                  std::vector<std::vector<int32_t>>* cache) {
  std::vector<int32_t>& ids = (*cache)[static_cast<size_t>(index)];
  if (ids.empty()) ids = parts_.codec->Encode(formatter_.Format(set[index].prompt));
  return ids;
}

absl::Status Trainer::GenerateAndVerify(const std::vector<Example>& set,
                                        std::vector<std::vector<int32_t>>* cache,
                                        const std::vector<int64_t>& examples, int n,
                                        const rlvr::v1::SamplingConfig& sampling,
                                        const std::string& id_prefix,
                                        std::vector<VerifiedGroup>* out, int64_t* generated_tokens,
                                        double* generate_s, double* verify_s) {
  rlvr::v1::GenerateRequest request;
  request.set_n(n);
  *request.mutable_sampling() = sampling;
  const size_t first = out->size();
  for (size_t k = 0; k < examples.size(); ++k) {
    VerifiedGroup g;
    g.example = examples[k];
    g.prompt_tokens = PromptTokens(set, examples[k], cache);
    if (g.prompt_tokens.empty()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("example %s has an empty prompt after templating", set[g.example].id));
    }
    rlvr::v1::Prompt* p = request.add_prompts();
    p->set_id(absl::StrFormat("%s/%d", id_prefix, k));
    p->mutable_token_ids()->Assign(g.prompt_tokens.begin(), g.prompt_tokens.end());
    out->push_back(std::move(g));
  }
  auto t0 = Clock::now();
  absl::StatusOr<std::vector<rlvr::v1::Completion>> completions = parts_.rollout->Generate(request);
  *generate_s += SecondsSince(t0);
  if (!completions.ok()) return completions.status();

  // Completions come ordered by prompt, then sample index: n per prompt.
  rlvr::v1::VerifyRequest vreq;
  for (size_t i = 0; i < completions->size(); ++i) {
    rlvr::v1::Completion& c = (*completions)[i];
    VerifiedGroup& g = (*out)[first + i / static_cast<size_t>(n)];
    if (c.text().empty() && !c.token_ids().empty()) {
      c.set_text(
          parts_.codec->Decode(absl::MakeConstSpan(c.token_ids().data(), c.token_ids().size())));
    }
    *generated_tokens += c.token_ids_size();
    const Example& ex = set[g.example];
    rlvr::v1::VerifyItem* item = vreq.add_items();
    item->set_id(absl::StrFormat("%s/%d", c.prompt_id(), c.sample_index()));
    item->set_verifier(ex.verifier.empty() ? kRewardSpecVerifier : ex.verifier);
    item->set_response(c.text());
    item->set_ground_truth(ex.ground_truth);
    for (const auto& [k, v] : ex.metadata) (*item->mutable_metadata())[k] = v;
    VerifiedSample s;
    s.truncated = c.finish_reason() == rlvr::v1::LENGTH;
    s.completion = std::move(c);
    g.samples.push_back(std::move(s));
  }
  t0 = Clock::now();
  absl::StatusOr<rlvr::v1::VerifyResponse> vresp = parts_.verifier->Verify(vreq);
  *verify_s += SecondsSince(t0);
  if (!vresp.ok()) return vresp.status();
  std::map<std::string, const rlvr::v1::VerifyResult*> by_id;
  for (const auto& r : vresp->results()) by_id[r.id()] = &r;
  const double penalty = config_.algorithm().truncated_penalty();
  for (size_t gi = first; gi < out->size(); ++gi) {
    for (VerifiedSample& s : (*out)[gi].samples) {
      const std::string id =
          absl::StrFormat("%s/%d", s.completion.prompt_id(), s.completion.sample_index());
      auto it = by_id.find(id);
      if (it == by_id.end()) {
        return absl::InternalError(absl::StrFormat("sandbox did not answer item %s", id));
      }
      const rlvr::v1::VerifyResult& r = *it->second;
      s.verify_error = r.status() != rlvr::v1::VERIFY_OK;
      s.reward = s.verify_error ? 0.0 : r.reward();
      for (const auto& [k, v] : r.components()) s.components[k] = v;
      if (s.truncated) s.reward -= penalty;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Trainer::Batch> Trainer::CollectBatch(int64_t step) {
  const auto& a = config_.algorithm();
  Batch batch;
  GroupFilter filter(a.prompts_per_step(), a.drop_zero_variance_groups());
  const int max_rounds =
      a.drop_zero_variance_groups()
          ? (a.max_sampling_rounds() > 0 ? a.max_sampling_rounds() : kDefaultMaxSamplingRounds)
          : 1;
  while (!filter.full() && batch.rounds < max_rounds) {
    const int round = batch.rounds++;
    const std::vector<int64_t> examples =
        order_.Take(round == 0 ? a.prompts_per_step() : filter.missing());
    rlvr::v1::SamplingConfig sampling = config_.sampling();
    sampling.set_seed(config_.sampling().seed() + config_.seed() +
                      static_cast<uint64_t>(step) * kSeedStride + static_cast<uint64_t>(round));
    std::vector<VerifiedGroup> round_groups;
    if (auto s = GenerateAndVerify(train_, &train_tokens_, examples, a.samples_per_prompt(),
                                   sampling, absl::StrFormat("s%d/r%d", step, round), &round_groups,
                                   &batch.generated_tokens, &batch.generate_seconds,
                                   &batch.verify_seconds);
        !s.ok()) {
      return s;
    }
    std::vector<std::vector<double>> rewards;
    for (const VerifiedGroup& g : round_groups) {
      std::vector<double> r;
      for (const VerifiedSample& s : g.samples) {
        r.push_back(s.reward);
        SampleOutcome o;
        o.reward = s.reward;
        o.components = s.components;
        o.response_tokens = s.completion.token_ids_size();
        o.truncated = s.truncated;
        o.verify_error = s.verify_error;
        o.weight_version = s.completion.weight_version();
        batch.outcomes.push_back(std::move(o));
      }
      rewards.push_back(std::move(r));
    }
    for (int kept : filter.Offer(rewards)) batch.groups.push_back(std::move(round_groups[kept]));
  }
  batch.dropped_zero_variance = filter.dropped_zero_variance();
  return batch;
}

absl::Status Trainer::Update(const Batch& batch, StepMetrics* metrics) {
  const auto& a = config_.algorithm();
  // Flatten: sample i of the step, its group, its sequence.
  struct Item {
    const VerifiedGroup* group;
    const VerifiedSample* sample;
  };
  std::vector<Item> items;
  RewardBatch rb;
  for (size_t g = 0; g < batch.groups.size(); ++g) {
    for (const VerifiedSample& s : batch.groups[g].samples) {
      items.push_back({&batch.groups[g], &s});
      rb.rewards.push_back(s.reward);
      rb.group_of.push_back(static_cast<int64_t>(g));
      rb.response_tokens.push_back(s.completion.token_ids_size());
      // No reward: out of the group's baseline, and masked out of the loss below.
      rb.unjudged.push_back(s.verify_error ? 1 : 0);
    }
  }
  if (items.empty()) return absl::OkStatus();
  absl::StatusOr<std::vector<double>> adv = ComputeAdvantages(rb, adv_options_);
  if (!adv.ok()) return adv.status();

  const bool async = a.max_staleness() > 0;
  const int mini_batches = std::max(1, a.mini_batches());
  const int epochs = std::max(1, a.epochs_per_batch());
  const bool recompute_old = !async && mini_batches * epochs > 1;

  // Builds the packed batch of the given items; resp_offsets index response tokens.
  auto pack = [&](const std::vector<size_t>& which, TrainBatch* tb, std::vector<int64_t>* starts,
                  std::vector<int64_t>* resp_offsets) {
    tb->cu_seqlens = {0};
    *resp_offsets = {0};
    starts->clear();
    for (size_t i : which) {
      const auto& p = items[i].group->prompt_tokens;
      const auto& r = items[i].sample->completion.token_ids();
      tb->tokens.insert(tb->tokens.end(), p.begin(), p.end());
      starts->push_back(static_cast<int64_t>(tb->tokens.size()));
      tb->tokens.insert(tb->tokens.end(), r.begin(), r.end());
      tb->cu_seqlens.push_back(static_cast<int32_t>(tb->tokens.size()));
      resp_offsets->push_back(resp_offsets->back() + r.size());
    }
  };
  auto gather = [&](const std::vector<float>& full, const std::vector<size_t>& which,
                    const std::vector<int64_t>& starts, const std::vector<int64_t>& offs) {
    std::vector<float> out(static_cast<size_t>(offs.back()));
    for (size_t k = 0; k < which.size(); ++k) {
      for (int64_t t = 0; t < offs[k + 1] - offs[k]; ++t) {
        out[static_cast<size_t>(offs[k] + t)] = full[static_cast<size_t>(starts[k] + t)];
      }
    }
    return out;
  };

  std::vector<size_t> all(items.size());
  std::iota(all.begin(), all.end(), 0);
  // Per-sample token arrays indexed by the sample's own response tokens.
  std::vector<std::vector<float>> old_lp(items.size()), ref_lp(items.size()), roll_lp(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    const auto& lp = items[i].sample->completion.logprobs();
    roll_lp[i].assign(lp.begin(), lp.end());
    if (roll_lp[i].size() != static_cast<size_t>(items[i].sample->completion.token_ids_size())) {
      return absl::InternalError(absl::StrFormat(
          "rollout returned %d logprobs for %d tokens (prompt %s)", roll_lp[i].size(),
          items[i].sample->completion.token_ids_size(), items[i].sample->completion.prompt_id()));
    }
    if (async) old_lp[i] = roll_lp[i];
  }
  auto per_sample = [&](PolicyModel* model, std::vector<std::vector<float>>* out) -> absl::Status {
    TrainBatch tb;
    std::vector<int64_t> starts, offs;
    pack(all, &tb, &starts, &offs);
    absl::StatusOr<PolicyForward> f = model->Forward(tb, false);
    if (!f.ok()) return f.status();
    std::vector<float> flat = gather(f->logprobs, all, starts, offs);
    for (size_t i = 0; i < items.size(); ++i) {
      (*out)[i].assign(flat.begin() + offs[i], flat.begin() + offs[i + 1]);
    }
    return absl::OkStatus();
  };
  if (a.kl_beta() > 0) {
    auto t0 = Clock::now();
    if (auto s = per_sample(parts_.reference, &ref_lp); !s.ok()) return s;
    metrics->AddPhaseSeconds("reference", SecondsSince(t0));
  }
  if (recompute_old) {
    auto t0 = Clock::now();
    if (auto s = per_sample(parts_.policy, &old_lp); !s.ok()) return s;
    metrics->AddPhaseSeconds("old_logprobs", SecondsSince(t0));
  }

  auto t_update = Clock::now();
  const double lr = schedule_.At(state_.step);
  for (int epoch = 0; epoch < epochs; ++epoch) {
    std::vector<size_t> order = all;
    if (mini_batches > 1) rng_.Shuffle(absl::MakeSpan(order));
    for (int mb = 0; mb < mini_batches; ++mb) {
      const size_t lo = order.size() * static_cast<size_t>(mb) / static_cast<size_t>(mini_batches);
      const size_t hi =
          order.size() * static_cast<size_t>(mb + 1) / static_cast<size_t>(mini_batches);
      std::vector<size_t> which(order.begin() + lo, order.begin() + hi);
      if (which.empty()) continue;
      TrainBatch tb;
      std::vector<int64_t> starts, offs;
      pack(which, &tb, &starts, &offs);
      absl::StatusOr<PolicyForward> f = parts_.policy->Forward(tb, true);
      if (!f.ok()) return f.status();
      std::vector<float> logp = gather(f->logprobs, which, starts, offs);
      std::vector<float> entropy;
      if (!f->entropy.empty()) entropy = gather(f->entropy, which, starts, offs);
      std::vector<float> old, ref, roll;
      std::vector<double> advs;
      std::vector<uint8_t> mask;
      for (size_t k = 0; k < which.size(); ++k) {
        const size_t i = which[k];
        const VerifiedSample& s = *items[i].sample;
        if (recompute_old || async) {
          old.insert(old.end(), old_lp[i].begin(), old_lp[i].end());
        } else {
          old.insert(old.end(), logp.begin() + offs[k], logp.begin() + offs[k + 1]);
        }
        ref.insert(ref.end(), ref_lp[i].begin(), ref_lp[i].end());
        roll.insert(roll.end(), roll_lp[i].begin(), roll_lp[i].end());
        advs.push_back((*adv)[i]);
        const bool masked = (s.truncated && a.mask_truncated()) || s.verify_error;
        mask.push_back(masked ? 0 : 1);
      }
      PolicyLossBatch lb;
      lb.offsets = offs;
      lb.logp = logp;
      lb.old_logp = old;
      lb.rollout_logp = roll;
      if (a.kl_beta() > 0) lb.ref_logp = ref;
      lb.entropy = entropy;
      lb.advantages = advs;
      lb.sequence_mask = mask;
      absl::StatusOr<PolicyLossResult> loss = ComputePolicyLoss(lb, loss_options_);
      if (!loss.ok()) return loss.status();
      std::vector<float> dlogp(tb.tokens.size(), 0.0f);
      for (size_t k = 0; k < which.size(); ++k) {
        for (int64_t t = 0; t < offs[k + 1] - offs[k]; ++t) {
          dlogp[static_cast<size_t>(starts[k] + t)] = loss->grad_logp[offs[k] + t];
        }
      }
      if (auto s = parts_.policy->Backward(dlogp); !s.ok()) return s;
      absl::StatusOr<double> norm = parts_.policy->OptimizerStep(lr);
      if (!norm.ok()) return norm.status();
      metrics->AddLoss(loss->loss, loss->metrics);
      metrics->AddOptimizerStep(*norm, lr);
    }
  }
  metrics->AddPhaseSeconds("update", SecondsSince(t_update));
  return absl::OkStatus();
}

void Trainer::Log(int64_t step, const MetricList& metrics) {
  if (parts_.metrics != nullptr) {
    for (const auto& [name, value] : metrics) parts_.metrics->LogScalar(name, step, value);
    parts_.metrics->Flush().IgnoreError();
  }
  if (parts_.on_metrics) parts_.on_metrics(step, metrics);
}

void Trainer::LogTraces(int64_t step, const Batch& batch) {
  if (parts_.metrics == nullptr) return;
  // The first sample of each group, then the second of each, and so on: the traces show as many
  // different prompts as they can.
  const int wanted = config_.logging().sample_traces();
  int logged = 0;
  for (size_t k = 0; logged < wanted; ++k) {
    bool any = false;
    for (const VerifiedGroup& g : batch.groups) {
      if (k >= g.samples.size() || logged >= wanted) continue;
      any = true;
      ++logged;
      const VerifiedSample& s = g.samples[k];
      // One "trace" text record per sample: a JSON object the report reads field by field.
      JsonValue trace = JsonValue::MakeObject();
      trace.Add("prompt", JsonValue::String(formatter_.Format(train_[g.example].prompt)));
      trace.Add("response", JsonValue::String(s.completion.text()));
      trace.Add("ground_truth", JsonValue::String(train_[g.example].ground_truth));
      trace.Add("reward", JsonValue::Number(s.reward));
      JsonValue components = JsonValue::MakeObject();
      for (const auto& [name, value] : s.components) {
        components.Add(name, JsonValue::Number(value));
      }
      trace.Add("components", std::move(components));
      parts_.metrics->LogText("trace", step, trace.Serialize());
    }
    if (!any) return;
  }
}

absl::StatusOr<MetricList> Trainer::Step() {
  const int64_t step = state_.step;
  auto t_step = Clock::now();
  StepMetricsOptions mo;
  mo.accuracy_component = accuracy_component_;
  StepMetrics metrics(mo);
  const bool async = config_.algorithm().max_staleness() > 0;

  absl::StatusOr<Batch> batch = absl::UnknownError("no batch");
  if (async && prefetch_.has_value()) {
    batch = prefetch_->get();
    prefetch_.reset();
  } else {
    batch = CollectBatch(step);
  }
  if (!batch.ok()) return batch.status();
  const DataCursor cursor_after_batch = order_.cursor();
  if (async) {
    // The next step's rollouts run on the current weights while this step updates; their
    // samples lag one version, within max_staleness >= 1.
    prefetch_.emplace(
        std::async(std::launch::async, [this, step] { return CollectBatch(step + 1); }));
  }
  for (const SampleOutcome& o : batch->outcomes) metrics.AddSample(o);
  metrics.AddPhaseSeconds("generate", batch->generate_seconds);
  metrics.AddPhaseSeconds("verify", batch->verify_seconds);

  if (auto s = Update(*batch, &metrics); !s.ok()) return s;

  auto t_push = Clock::now();
  std::vector<NamedTensor> params = parts_.policy->Parameters();
  std::vector<WeightTensorView> views;
  views.reserve(params.size());
  for (const NamedTensor& p : params) {
    views.push_back({p.name, p.shape, absl::Span<const float>(p.data)});
  }
  if (auto s = parts_.rollout->PushWeights(state_.weight_version + 1, views); !s.ok()) return s;
  metrics.AddPhaseSeconds("weight_push", SecondsSince(t_push));
  const int64_t trained_from = state_.weight_version;
  ++state_.weight_version;
  ++state_.step;
  state_.data = async ? cursor_after_batch : order_.cursor();
  state_.rng = rng_.SerializeState();

  const double step_s = SecondsSince(t_step);
  const FleetStats fs = parts_.rollout->stats();
  metrics.AddPhaseSeconds("step", step_s);
  metrics.Set("samples", static_cast<double>(batch->outcomes.size()));
  metrics.Set("groups/kept", static_cast<double>(batch->groups.size()));
  metrics.Set("groups/dropped_zero_variance", static_cast<double>(batch->dropped_zero_variance));
  metrics.Set("sampling/rounds", batch->rounds);
  metrics.Set("rollout/generated_tokens", static_cast<double>(batch->generated_tokens));
  metrics.Set("rollout/tokens_per_second",
              batch->generate_seconds > 0
                  ? static_cast<double>(batch->generated_tokens) / batch->generate_seconds
                  : 0.0);
  metrics.Set("rollout/live_workers", fs.live_workers);
  metrics.Set("rollout/redispatched_prompts", static_cast<double>(fs.redispatched_prompts));
  metrics.Set("data/epoch", static_cast<double>(state_.data.epoch));
  MetricList out = metrics.Finish(trained_from);
  Log(step, out);
  LogTraces(step, *batch);
  return out;
}

absl::StatusOr<MetricList> Trainer::Evaluate() {
  if (eval_.empty()) return MetricList{};
  const auto& ec = config_.eval();
  int64_t count = static_cast<int64_t>(eval_.size());
  if (ec.max_examples() > 0) count = std::min<int64_t>(count, ec.max_examples());
  std::vector<int64_t> examples(static_cast<size_t>(count));
  std::iota(examples.begin(), examples.end(), 0);
  int64_t tokens = 0;
  double gen_s = 0, ver_s = 0;
  StepMetricsOptions mo;
  mo.accuracy_component = accuracy_component_;
  auto correct = [&](const VerifiedSample& s) {
    double v = s.reward;
    if (auto it = s.components.find(accuracy_component_); it != s.components.end()) v = it->second;
    return !s.verify_error && v >= kCorrectThreshold;
  };
  // Greedy.
  rlvr::v1::SamplingConfig greedy = ec.sampling();
  greedy.set_temperature(0);
  if (greedy.max_new_tokens() == 0) greedy.set_max_new_tokens(config_.sampling().max_new_tokens());
  std::vector<VerifiedGroup> groups;
  if (auto s = GenerateAndVerify(eval_, &eval_tokens_, examples, 1, greedy,
                                 absl::StrFormat("eval%d/greedy", state_.step), &groups, &tokens,
                                 &gen_s, &ver_s);
      !s.ok()) {
    return s;
  }
  double acc = 0, len = 0, formatted = 0, format_seen = 0;
  for (const VerifiedGroup& g : groups) {
    const VerifiedSample& s = g.samples[0];
    acc += correct(s) ? 1 : 0;
    len += s.completion.token_ids_size();
    if (auto it = s.components.find(kFormatComponent); it != s.components.end()) {
      format_seen += 1;
      formatted += !s.verify_error && it->second > 0 ? 1 : 0;
    }
  }
  MetricList out = {{"eval/accuracy", acc / static_cast<double>(count)},
                    {"eval/response_length/mean", len / static_cast<double>(count)}};
  if (format_seen > 0) out.push_back({"eval/format_rate", formatted / format_seen});
  if (ec.pass_at_k() > 1) {
    rlvr::v1::SamplingConfig sampled = ec.sampling();
    if (sampled.temperature() == 0) sampled.set_temperature(1.0);
    if (sampled.max_new_tokens() == 0) {
      sampled.set_max_new_tokens(config_.sampling().max_new_tokens());
    }
    sampled.set_seed(config_.seed() + static_cast<uint64_t>(state_.step) * kSeedStride + 999);
    std::vector<VerifiedGroup> kgroups;
    if (auto s = GenerateAndVerify(eval_, &eval_tokens_, examples, ec.pass_at_k(), sampled,
                                   absl::StrFormat("eval%d/pass", state_.step), &kgroups, &tokens,
                                   &gen_s, &ver_s);
        !s.ok()) {
      return s;
    }
    double pass = 0;
    for (const VerifiedGroup& g : kgroups) {
      pass += std::any_of(g.samples.begin(), g.samples.end(), correct) ? 1 : 0;
    }
    out.push_back(
        {absl::StrFormat("eval/pass@%d", ec.pass_at_k()), pass / static_cast<double>(count)});
  }
  out.push_back({"eval/time/generate", gen_s});
  out.push_back({"eval/time/verify", ver_s});
  // Logged with the last completed step, so that it lines up with that step's metrics.
  Log(state_.step > 0 ? state_.step - 1 : 0, out);
  return out;
}

absl::StatusOr<std::string> Trainer::SaveCheckpointNow() {
  if (config_.checkpoint().dir().empty()) {
    return absl::FailedPreconditionError("checkpoint.dir is not set");
  }
  return SaveCheckpoint(config_.checkpoint().dir(), state_, *parts_.policy);
}

absl::Status Trainer::Resume(const std::string& path) {
  absl::StatusOr<std::string> folder = ResolveCheckpoint(path);
  if (!folder.ok()) return folder.status();
  absl::StatusOr<TrainerState> st = LoadCheckpoint(*folder, *parts_.policy);
  if (!st.ok()) return st.status();
  if (auto s = order_.Seek(st->data); !s.ok()) return s;
  absl::StatusOr<Rng> rng = Rng::FromSerializedState(st->rng);
  if (!rng.ok()) return rng.status();
  rng_ = *rng;
  state_ = *st;
  // The workers may hold other weights: give them the checkpoint's.
  return SyncWorkers();
}

absl::Status Trainer::SyncWorkers() {
  // Workers only take versions above the one they hold, and they may hold a later one than this
  // run knows (an earlier run pushed it), so this is one above every worker's (version lags,
  // which are differences, are unaffected).
  std::vector<NamedTensor> params = parts_.policy->Parameters();
  std::vector<WeightTensorView> views;
  for (const NamedTensor& p : params) {
    views.push_back({p.name, p.shape, absl::Span<const float>(p.data)});
  }
  absl::StatusOr<int64_t> held = parts_.rollout->MaxWeightVersion();
  if (!held.ok()) return held.status();
  state_.weight_version = std::max(state_.weight_version, *held) + 1;
  return parts_.rollout->PushWeights(state_.weight_version, views);
}

absl::Status Trainer::Run() {
  const int64_t steps = config_.schedule().steps();
  const auto& ck = config_.checkpoint();
  int64_t last_saved = -1;
  // Held-out evaluation before the first step, as the baseline of the curve.
  if (state_.step == 0 && config_.eval().every_steps() > 0) {
    if (auto e = Evaluate(); !e.ok()) return e.status();
  }
  while (state_.step < steps && !stop_requested()) {
    absl::StatusOr<MetricList> m = Step();
    if (!m.ok()) return m.status();
    if (config_.eval().every_steps() > 0 && state_.step % config_.eval().every_steps() == 0) {
      if (auto e = Evaluate(); !e.ok()) return e.status();
    }
    if (!ck.dir().empty() && ck.every_steps() > 0 && state_.step % ck.every_steps() == 0) {
      if (auto s = SaveCheckpointNow(); !s.ok()) return s.status();
      last_saved = state_.step;
    }
  }
  if (!ck.dir().empty() && last_saved != state_.step) {
    if (auto s = SaveCheckpointNow(); !s.ok()) return s.status();
  }
  if (!ck.dir().empty() && ck.export_hf() && !stop_requested()) {
    std::string tokenizer = config_.tokenizer().path();
    if (tokenizer.empty() && !config_.model().path().empty()) {
      const std::string beside = config_.model().path() + "/tokenizer.json";
      if (std::filesystem::exists(beside)) tokenizer = beside;
    }
    return ExportHuggingFace(ck.dir() + "/hf", *parts_.policy, config_.model().path(), tokenizer);
  }
  return absl::OkStatus();
}

}  // namespace rlvr
