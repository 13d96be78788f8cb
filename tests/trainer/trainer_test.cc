#include "trainer/trainer.h"

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "gtest/gtest.h"
#include "tests/trainer/fakes.h"

namespace rlvr {
namespace {

using testing::FakeRolloutWorker;
using testing::FirstLetterVerifier;
using testing::LetterCodec;
using testing::TabularPolicy;

std::vector<Example> LetterExamples(int n) {
  std::vector<Example> out;
  for (int i = 0; i < n; ++i) {
    Example e;
    e.index = i;
    e.id = absl::StrFormat("q%d", i);
    e.prompt.append(static_cast<size_t>(1 + i % 3), static_cast<char>('a' + i % 4));
    e.ground_truth.push_back('e');  // the rewarded letter
    out.push_back(e);
  }
  return out;
}

rlvr::v1::ExperimentConfig Config(const std::string& extra = "") {
  rlvr::v1::ExperimentConfig c;
  const std::string text = R"pb(
    name: "toy"
    seed: 3
    data { shuffle: true }
    reward { verifiers { name: "accuracy" } }
    algorithm {
      advantage: GRPO
      prompts_per_step: 4
      samples_per_prompt: 8
      mini_batches: 2
      epochs_per_batch: 1
      clip_eps_low: 0.2
      clip_eps_high: 0.28
      loss_aggregation: TOKEN_MEAN
    }
    optimizer { learning_rate: 0.1 }
    schedule { steps: 40 }
    sampling { temperature: 1 max_new_tokens: 3 seed: 5 }
    eval { pass_at_k: 4 max_examples: 4 }
  )pb";
  EXPECT_TRUE(ParseConfigText(text, "test", &c).ok());
  rlvr::v1::ExperimentConfig overrides;
  EXPECT_TRUE(ParseConfigText(extra, "extra", &overrides).ok());
  c.MergeFrom(overrides);
  return c;
}

// A trainer with its fakes.
struct Rig {
  TabularPolicy policy;
  LetterCodec codec;
  FirstLetterVerifier verifier;
  std::unique_ptr<RolloutFleet> fleet;
  std::vector<FakeRolloutWorker*> workers;
  std::unique_ptr<Trainer> trainer;

  explicit Rig(const rlvr::v1::ExperimentConfig& c, int num_workers = 1, int fail_worker = -1,
               int fail_from_call = -1) {
    std::vector<std::unique_ptr<RolloutWorker>> ws;
    for (int w = 0; w < num_workers; ++w) {
      auto fw = std::make_unique<FakeRolloutWorker>(absl::StrFormat("w%d", w),
                                                    c.sampling().max_new_tokens(),
                                                    w == fail_worker ? fail_from_call : -1);
      workers.push_back(fw.get());
      ws.push_back(std::move(fw));
    }
    fleet = std::make_unique<RolloutFleet>(std::move(ws));
    TrainerParts parts;
    parts.policy = &policy;
    parts.rollout = fleet.get();
    parts.verifier = &verifier;
    parts.codec = &codec;
    auto t = Trainer::Create(c, LetterExamples(10), LetterExamples(4), parts);
    EXPECT_TRUE(t.ok()) << t.status();
    if (t.ok()) trainer = *std::move(t);
  }
};

std::map<std::string, double> WithoutTimings(const MetricList& m) {
  std::map<std::string, double> out;
  for (const auto& [k, v] : m) {
    if (k.rfind("time/", 0) == 0 || k == "rollout/tokens_per_second") continue;
    out[k] = v;
  }
  return out;
}

TEST(TrainerTest, ToyPolicyLearnsTheRewardedToken) {
  Rig rig(Config());
  ASSERT_NE(rig.trainer, nullptr);
  const int kE = 4;  // 'e'
  EXPECT_LT(rig.policy.Probability(kE), 0.2);
  auto first = rig.trainer->Step();
  ASSERT_TRUE(first.ok()) << first.status();
  double last_accuracy = 0;
  for (int s = 1; s < 30; ++s) {
    auto m = rig.trainer->Step();
    ASSERT_TRUE(m.ok()) << m.status();
    last_accuracy = WithoutTimings(*m)["accuracy"];
  }
  EXPECT_GT(rig.policy.Probability(kE), 0.9);
  EXPECT_GE(last_accuracy, 0.8);
  auto eval = rig.trainer->Evaluate();
  ASSERT_TRUE(eval.ok()) << eval.status();
  std::map<std::string, double> e(eval->begin(), eval->end());
  EXPECT_EQ(e["eval/accuracy"], 1.0);  // greedy picks 'e' once it is the most likely letter
  EXPECT_EQ(e["eval/pass@4"], 1.0);
  // Weights reached the worker: it holds the latest version.
  EXPECT_EQ(rig.workers[0]->version(), 30);
}

TEST(TrainerTest, StepLogsTheArchitectureMetrics) {
  Rig rig(Config());
  auto m = rig.trainer->Step();
  ASSERT_TRUE(m.ok()) << m.status();
  auto got = WithoutTimings(*m);
  for (const char* name :
       {"reward/mean", "reward/std", "reward/accuracy/mean", "accuracy", "response_length/mean",
        "response_length/max", "response_length/truncated_share", "entropy", "kl", "clip_fraction",
        "grad_norm", "lr", "logprob_gap/mean", "weight_version_lag/mean", "samples"}) {
    EXPECT_TRUE(got.count(name)) << name;
  }
  std::map<std::string, double> all(m->begin(), m->end());
  for (const char* phase : {"time/generate", "time/verify", "time/update", "time/weight_push"}) {
    EXPECT_TRUE(all.count(phase)) << phase;
  }
  EXPECT_EQ(got["samples"], 32);
  // The fake worker reports exact logprobs of the same weights: no gap.
  EXPECT_EQ(got["logprob_gap/mean"], 0.0);
  EXPECT_EQ(got["weight_version_lag/max"], 0.0);
}

TEST(TrainerTest, ResumedRunReproducesTheMetrics) {
  const std::string dir = ::testing::TempDir() + "/trainer_resume";
  std::filesystem::remove_all(dir);
  rlvr::v1::ExperimentConfig c = Config();
  c.mutable_checkpoint()->set_dir(dir);

  Rig straight(c);
  std::vector<std::map<std::string, double>> want;
  for (int s = 0; s < 6; ++s) {
    auto m = straight.trainer->Step();
    ASSERT_TRUE(m.ok()) << m.status();
    want.push_back(WithoutTimings(*m));
  }

  {
    Rig first_half(c);
    for (int s = 0; s < 3; ++s) ASSERT_TRUE(first_half.trainer->Step().ok());
    auto saved = first_half.trainer->SaveCheckpointNow();
    ASSERT_TRUE(saved.ok()) << saved.status();
  }
  Rig resumed(c);
  ASSERT_TRUE(resumed.trainer->Resume(dir).ok());
  EXPECT_EQ(resumed.trainer->state().step, 3);
  for (int s = 3; s < 6; ++s) {
    auto m = resumed.trainer->Step();
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(WithoutTimings(*m), want[s]) << "step " << s;
  }
  EXPECT_EQ(resumed.policy.logits(), straight.policy.logits());
}

TEST(TrainerTest, DeadWorkerPromptsAreRedispatchedWithoutLossOrDuplicates) {
  rlvr::v1::ExperimentConfig c = Config();
  Rig reference(c, 1);
  Rig rig(c, 2, /*fail_worker=*/1, /*fail_from_call=*/2);
  for (int s = 0; s < 3; ++s) {
    auto want = reference.trainer->Step();
    auto got = rig.trainer->Step();
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_TRUE(want.ok());
    auto g = WithoutTimings(*got);
    auto w = WithoutTimings(*want);
    EXPECT_EQ(g["samples"], 32);
    // Same samples as a single healthy worker: none lost, none counted twice.
    EXPECT_EQ(g["reward/mean"], w["reward/mean"]) << s;
    EXPECT_EQ(g["loss"], w["loss"]) << s;
  }
  EXPECT_EQ(rig.trainer->fleet_stats().live_workers, 1);
  EXPECT_GT(rig.trainer->fleet_stats().redispatched_prompts, 0);
}

TEST(TrainerTest, AllWorkersDeadIsAClearError) {
  Rig rig(Config(), 1, 0, 1);
  auto m = rig.trainer->Step();
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(absl::IsUnavailable(m.status())) << m.status();
  EXPECT_NE(m.status().message().find("every rollout worker failed"), std::string::npos);
}

TEST(TrainerTest, DynamicSamplingKeepsOnlyGroupsWithVariance) {
  rlvr::v1::ExperimentConfig c = Config(R"pb(algorithm { drop_zero_variance_groups: true })pb");
  Rig rig(c);
  // Make 'e' nearly certain so that most groups are all-correct.
  rig.policy.logits()[4] = 4.0f;
  std::vector<float> l = rig.policy.logits();
  std::vector<WeightTensorView> v = {{"logits", {testing::kVocab}, l}};
  ASSERT_TRUE(rig.fleet->PushWeights(0, v).ok());
  auto m = rig.trainer->Step();
  ASSERT_TRUE(m.ok()) << m.status();
  auto got = WithoutTimings(*m);
  EXPECT_GT(got["groups/dropped_zero_variance"], 0);
  EXPECT_GT(got["sampling/rounds"], 1);
  EXPECT_LE(got["groups/kept"], 4);
}

TEST(TrainerTest, AsyncModeKeepsStalenessWithinTheBound) {
  rlvr::v1::ExperimentConfig c = Config(R"pb(algorithm { max_staleness: 1 })pb");
  Rig rig(c);
  for (int s = 0; s < 6; ++s) {
    auto m = rig.trainer->Step();
    ASSERT_TRUE(m.ok()) << m.status();
    auto got = WithoutTimings(*m);
    // Whether a prefetched batch was generated before or after the last push depends on
    // timing; either way it is at most one version old.
    EXPECT_GE(got["weight_version_lag/max"], 0.0) << s;
    EXPECT_LE(got["weight_version_lag/max"], 1.0) << s;
    EXPECT_EQ(got["samples"], 32);
  }
  EXPECT_EQ(rig.trainer->state().step, 6);
  EXPECT_EQ(rig.workers[0]->version(), 6);
}

TEST(TrainerTest, SandboxOutageIsRetriedThenStopsWithAClearError) {
  rlvr::v1::ExperimentConfig c = Config();
  Rig rig(c);
  std::vector<int64_t> waits;
  RetryPolicy policy;
  policy.max_attempts = 3;
  policy.initial_backoff_ms = 10;
  policy.sleep = [&](int64_t ms) { waits.push_back(ms); };
  auto flaky = std::make_unique<FirstLetterVerifier>(/*fail_first=*/2);
  RetryingVerifyClient recovering(std::move(flaky), policy);
  rlvr::v1::VerifyRequest req;
  req.add_items()->set_id("x");
  EXPECT_TRUE(recovering.Verify(req).ok());
  EXPECT_EQ(waits, (std::vector<int64_t>{10, 20}));

  RetryingVerifyClient down(std::make_unique<FirstLetterVerifier>(100), policy);
  auto r = down.Verify(req);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("3 attempts"), std::string::npos) << r.status();
  EXPECT_NE(r.status().message().find("fake-sandbox"), std::string::npos);
}

TEST(TrainerTest, RetryPolicyComesFromTheConfig) {
  rlvr::v1::RetryConfig c;
  absl::StatusOr<RetryPolicy> defaults = RetryPolicyFromConfig(c);
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->max_attempts, RetryPolicy{}.max_attempts);
  EXPECT_EQ(defaults->initial_backoff_ms, RetryPolicy{}.initial_backoff_ms);
  c.set_max_attempts(4);
  c.set_initial_backoff_ms(30);
  c.set_multiplier(3);
  c.set_max_backoff_ms(100);
  absl::StatusOr<RetryPolicy> policy = RetryPolicyFromConfig(c);
  ASSERT_TRUE(policy.ok()) << policy.status();
  std::vector<int64_t> waits;
  policy->sleep = [&](int64_t ms) { waits.push_back(ms); };
  auto down = std::make_unique<FirstLetterVerifier>(100);
  FirstLetterVerifier* calls = down.get();
  RetryingVerifyClient client(std::move(down), *policy);
  rlvr::v1::VerifyRequest req;
  req.add_items()->set_id("x");
  auto r = client.Verify(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(calls->calls(), 4);
  EXPECT_EQ(waits, (std::vector<int64_t>{30, 90, 100}));
  EXPECT_NE(r.status().message().find("4 attempts"), std::string::npos) << r.status();

  rlvr::v1::RetryConfig bad;
  bad.set_multiplier(0.5);
  EXPECT_NE(RetryPolicyFromConfig(bad).status().message().find("multiplier"), std::string::npos);
  bad.Clear();
  bad.set_initial_backoff_ms(-1);
  EXPECT_NE(RetryPolicyFromConfig(bad).status().message().find("initial_backoff_ms"),
            std::string::npos);
}

TEST(TrainerTest, RunStopsOnRequestAndCheckpoints) {
  const std::string dir = ::testing::TempDir() + "/trainer_stop";
  std::filesystem::remove_all(dir);
  rlvr::v1::ExperimentConfig c = Config();
  c.mutable_checkpoint()->set_dir(dir);
  Rig rig(c);
  rig.trainer->RequestStop();
  ASSERT_TRUE(rig.trainer->Run().ok());
  EXPECT_EQ(rig.trainer->state().step, 0);
  EXPECT_TRUE(std::filesystem::exists(dir + "/step_0/trainer_state.json"));
  EXPECT_TRUE(ResolveCheckpoint(dir).ok());
}

TEST(TrainerTest, OverlongPromptsAreRejectedAtStart) {
  rlvr::v1::ExperimentConfig c = Config(R"pb(data { max_prompt_tokens: 2 })pb");
  TabularPolicy policy;
  LetterCodec codec;
  FirstLetterVerifier verifier;
  RolloutFleet fleet({});
  TrainerParts parts{&policy, nullptr, &fleet, &verifier, &codec, nullptr, nullptr};
  auto t = Trainer::Create(c, LetterExamples(3), {}, parts);  // prompts of 1, 2 and 3 letters
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("q2"), std::string::npos) << t.status();
  // An eval prompt too long stops the start too.
  auto eval_too_long = Trainer::Create(c, LetterExamples(2), LetterExamples(3), parts);
  ASSERT_FALSE(eval_too_long.ok());
  EXPECT_NE(eval_too_long.status().message().find("q2"), std::string::npos);
  c.mutable_data()->set_max_prompt_tokens(3);
  EXPECT_TRUE(Trainer::Create(c, LetterExamples(3), {}, parts).ok());
}

TEST(TrainerTest, OverlongPromptsCanBeDroppedInstead) {
  rlvr::v1::ExperimentConfig c =
      Config(R"pb(data { max_prompt_tokens: 2 drop_overlong_prompts: true })pb");
  // Rig's records have prompts of 1, 2, 3, 1, 2, 3, ... letters: 3 of the 10 training and 1 of
  // the 4 eval prompts are too long.
  Rig rig(c);
  ASSERT_NE(rig.trainer, nullptr);
  EXPECT_EQ(rig.trainer->dropped_overlong_prompts(), 3 + 1);
  for (int step = 0; step < 4; ++step) ASSERT_TRUE(rig.trainer->Step().ok());
  ASSERT_TRUE(rig.trainer->Evaluate().ok());
  // Nothing fits: a clear error rather than an empty run.
  c.mutable_data()->set_max_prompt_tokens(1);
  TabularPolicy policy;
  LetterCodec codec;
  FirstLetterVerifier verifier;
  RolloutFleet fleet({});
  TrainerParts parts{&policy, nullptr, &fleet, &verifier, &codec, nullptr, nullptr};
  std::vector<Example> long_only = LetterExamples(3);
  long_only.erase(long_only.begin());  // prompts of 2 and 3 letters
  auto none = Trainer::Create(c, long_only, {}, parts);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("every training prompt"), std::string::npos)
      << none.status();
}

TEST(TrainerTest, KlWithoutReferenceModelIsRejected) {
  rlvr::v1::ExperimentConfig c = Config(R"pb(algorithm { kl_beta: 0.1 })pb");
  TabularPolicy policy;
  LetterCodec codec;
  FirstLetterVerifier verifier;
  RolloutFleet fleet({});
  TrainerParts parts{&policy, nullptr, &fleet, &verifier, &codec, nullptr, nullptr};
  auto t = Trainer::Create(c, LetterExamples(2), {}, parts);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("reference"), std::string::npos);
}

}  // namespace
}  // namespace rlvr
