#include "verifiers/registry.h"

#include <atomic>
#include <string>

#include "gtest/gtest.h"
#include "rlvr/v1/config.pb.h"
#include "tests/verifiers/test_util.h"
#include "verifiers/batch.h"
#include "verifiers/code_runner.h"
#include "verifiers/code_tests.h"
#include "verifiers/reward.h"

namespace rlvr {
namespace {

using vtest::Reward;
using vtest::RunVerifier;

// A verifier with a fixed outcome, counting its calls.
class FixedVerifier : public Verifier {
 public:
  FixedVerifier(std::string name, absl::StatusOr<double> outcome)
      : name_(std::move(name)), outcome_(std::move(outcome)) {}
  std::string_view name() const override { return name_; }
  absl::StatusOr<Judgement> Verify(const VerifyInput&) const override {
    ++calls_;
    if (!outcome_.ok()) return outcome_.status();
    Judgement j;
    j.reward = *outcome_;
    j.components[name_] = *outcome_;
    return j;
  }
  mutable std::atomic<int> calls_{0};

 private:
  std::string name_;
  absl::StatusOr<double> outcome_;
};

TEST(RegistryTest, BuiltinsAreRegistered) {
  VerifierRegistry r;
  ASSERT_TRUE(RegisterBuiltinVerifiers(&r, nullptr).ok());
  EXPECT_EQ(r.Names(), (std::vector<std::string>{"code_tests", "countdown", "exact_match", "format",
                                                 "math", "multiple_choice"}));
}

TEST(RegistryTest, DuplicateKindIsRejected) {
  VerifierRegistry r;
  ASSERT_TRUE(RegisterBuiltinVerifiers(&r, nullptr).ok());
  absl::Status s = RegisterBuiltinVerifiers(&r, nullptr);
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
}

TEST(RegistryTest, UnknownNameListsKnownOnes) {
  VerifierRegistry r;
  ASSERT_TRUE(RegisterBuiltinVerifiers(&r, nullptr).ok());
  absl::StatusOr<std::shared_ptr<const Verifier>> v = r.Find("maths");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(v.status().message().find("math, multiple_choice"), std::string::npos);
}

TEST(RegistryTest, FindCachesDefaultInstanceAndInstancesShadowKinds) {
  VerifierRegistry r;
  ASSERT_TRUE(RegisterBuiltinVerifiers(&r, nullptr).ok());
  auto a = r.Find("math");
  auto b = r.Find("math");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->get(), b->get());
  auto fixed = std::make_shared<FixedVerifier>("math", 0.5);
  ASSERT_TRUE(r.AddInstance("math", fixed).ok());
  EXPECT_EQ(r.Find("math")->get(), fixed.get());
  EXPECT_EQ(r.AddInstance("math", fixed).code(), absl::StatusCode::kAlreadyExists);
}

TEST(RewardTest, WeightedSumWithComponents) {
  VerifierRegistry r;
  ASSERT_TRUE(RegisterBuiltinVerifiers(&r, nullptr).ok());
  rlvr::v1::RewardSpec spec;
  auto* acc = spec.add_verifiers();
  acc->set_name("math");
  acc->set_component("accuracy");
  auto* fmt = spec.add_verifiers();
  fmt->set_name("format");
  fmt->set_weight(0.1);
  absl::StatusOr<std::unique_ptr<CombinedReward>> combined = BuildCombinedReward(spec, r);
  ASSERT_TRUE(combined.ok()) << combined.status();
  absl::StatusOr<Judgement> j =
      RunVerifier(**combined, "<think>2+2</think>\n<answer>\\boxed{4}</answer>", "4");
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_DOUBLE_EQ(j->reward, 1.1);
  EXPECT_EQ(j->components.at("accuracy"), 1.0);
  EXPECT_EQ(j->components.at("format"), 1.0);
  j = RunVerifier(**combined, "\\boxed{4}", "4");
  ASSERT_TRUE(j.ok());
  EXPECT_DOUBLE_EQ(j->reward, 1.0);
  EXPECT_EQ(j->components.at("format"), 0.0);
}

TEST(RewardTest, PartThatCannotJudgeMakesTheWholeAnError) {
  VerifierRegistry r;
  ASSERT_TRUE(r.AddInstance("ok", std::make_shared<FixedVerifier>("ok", 1.0)).ok());
  ASSERT_TRUE(r.AddInstance("broken", std::make_shared<FixedVerifier>(
                                          "broken", absl::UnavailableError("backend down")))
                  .ok());
  rlvr::v1::RewardSpec spec;
  spec.add_verifiers()->set_name("ok");
  spec.add_verifiers()->set_name("broken");
  auto combined = BuildCombinedReward(spec, r);
  ASSERT_TRUE(combined.ok());
  absl::StatusOr<Judgement> j = RunVerifier(**combined, "x", "y");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(j.status().message().find("component 'broken'"), std::string::npos);
}

TEST(RewardTest, SpecErrorsNameTheEntry) {
  VerifierRegistry r;
  ASSERT_TRUE(RegisterBuiltinVerifiers(&r, nullptr).ok());
  rlvr::v1::RewardSpec spec;
  spec.add_verifiers()->set_name("math");
  spec.add_verifiers()->set_name("math");
  auto dup = BuildCombinedReward(spec, r);
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("component 'math' appears twice"), std::string::npos);
  rlvr::v1::RewardSpec bad;
  auto* v = bad.add_verifiers();
  v->set_name("format");
  (*v->mutable_options())["patern"] = "x";
  auto opt = BuildCombinedReward(bad, r);
  ASSERT_FALSE(opt.ok());
  EXPECT_NE(opt.status().message().find("reward.verifiers[0]"), std::string::npos);
}

TEST(RewardTest, ConfigureRewardsRegistersComponentsAndCombination) {
  VerifierRegistry r;
  ASSERT_TRUE(RegisterBuiltinVerifiers(&r, nullptr).ok());
  rlvr::v1::RewardSpec spec;
  auto* acc = spec.add_verifiers();
  acc->set_name("math");
  acc->set_component("accuracy");
  (*acc->mutable_options())["source"] = "answer_tag";
  ASSERT_TRUE(ConfigureRewards(spec, &r).ok());
  auto accuracy = r.Find("accuracy");
  ASSERT_TRUE(accuracy.ok());
  EXPECT_EQ(Reward(**accuracy, "\\boxed{3}", "3"), 0.0);  // answer_tag only
  EXPECT_EQ(Reward(**accuracy, "<answer>3</answer>", "3"), 1.0);
  auto combined = r.Find(kCombinedRewardName);
  ASSERT_TRUE(combined.ok());
  EXPECT_EQ(Reward(**combined, "<answer>3</answer>", "3"), 1.0);
}

TEST(BatchTest, ResultsInOrderWithErrorsPerItem) {
  VerifierRegistry r;
  ASSERT_TRUE(RegisterBuiltinVerifiers(&r, nullptr).ok());
  rlvr::v1::VerifyRequest request;
  auto add = [&](std::string id, std::string verifier, std::string response, std::string truth) {
    auto* item = request.add_items();
    item->set_id(id);
    item->set_verifier(verifier);
    item->set_response(response);
    item->set_ground_truth(truth);
  };
  add("a", "math", "\\boxed{2}", "2");
  add("b", "nope", "x", "y");
  add("c", "math", "\\boxed{3}", "2");
  add("d", "multiple_choice", "A", "Z");
  for (int parallelism : {1, 3}) {
    VerifyBatchOptions options;
    options.parallelism = parallelism;
    rlvr::v1::VerifyResponse response = VerifyBatch(r, request, options);
    ASSERT_EQ(response.results_size(), 4);
    EXPECT_EQ(response.results(0).id(), "a");
    EXPECT_EQ(response.results(0).status(), rlvr::v1::VERIFY_OK);
    EXPECT_EQ(response.results(0).reward(), 1.0);
    EXPECT_EQ(response.results(0).components().at("math"), 1.0);
    EXPECT_EQ(response.results(1).status(), rlvr::v1::VERIFY_ERROR);
    EXPECT_NE(response.results(1).detail().find("unknown verifier 'nope'"), std::string::npos);
    EXPECT_EQ(response.results(2).status(), rlvr::v1::VERIFY_OK);
    EXPECT_EQ(response.results(2).reward(), 0.0);
    EXPECT_EQ(response.results(3).status(), rlvr::v1::VERIFY_ERROR);
  }
}

TEST(BatchTest, ItemOverItsTimeBudgetIsAnError) {
  VerifierRegistry r;
  ASSERT_TRUE(RegisterBuiltinVerifiers(&r, nullptr).ok());
  rlvr::v1::VerifyItem item;
  item.set_id("x");
  item.set_response("\\boxed{\\{1,2,3\\}}");
  item.set_ground_truth("\\{3,2,1\\}");
  auto v = r.Find("math");
  ASSERT_TRUE(v.ok());
  rlvr::v1::VerifyResult result = VerifyItemWith(**v, item, -absl::Seconds(1));
  EXPECT_EQ(result.status(), rlvr::v1::VERIFY_ERROR);
  EXPECT_NE(result.detail().find("DEADLINE_EXCEEDED"), std::string::npos);
}

// ---- code_tests through a CodeRunner -----------------------------------------------------------

class FakeRunner : public CodeRunner {
 public:
  absl::StatusOr<rlvr::v1::ExecuteResponse> Run(const rlvr::v1::ExecuteRequest& request,
                                                absl::Time) override {
    last = request;
    if (!status.ok()) return status;
    return response;
  }
  rlvr::v1::ExecuteRequest last;
  rlvr::v1::ExecuteResponse response;
  absl::Status status;
};

TEST(CodeTestsTest, SendsProgramAndAssertTestsToTheRunner) {
  FakeRunner runner;
  runner.response.set_verdict(rlvr::v1::OK);
  runner.response.set_passed(true);
  auto v = MakeCodeTestsVerifier({}, &runner);
  ASSERT_TRUE(v.ok());
  absl::StatusOr<Judgement> j =
      vtest::RunVerifier(**v, "Here:\n```python\ndef f(x):\n    return x\n```", "assert f(1) == 1",
                         {{"prefix", "import math\n"}});
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_EQ(j->reward, 1.0);
  EXPECT_EQ(runner.last.language(), "python3");
  EXPECT_EQ(runner.last.source(), "import math\ndef f(x):\n    return x\n");
  EXPECT_EQ(runner.last.test_code(), "assert f(1) == 1");
}

TEST(CodeTestsTest, FractionRewardOverStdinCases) {
  FakeRunner runner;
  runner.response.set_verdict(rlvr::v1::WRONG_ANSWER);
  runner.response.set_passed(false);
  runner.response.set_tests_passed(3);
  runner.response.set_tests_total(4);
  auto all = MakeCodeTestsVerifier({}, &runner);
  auto fraction = MakeCodeTestsVerifier({{"reward", "fraction"}}, &runner);
  ASSERT_TRUE(all.ok() && fraction.ok());
  std::string truth =
      R"({"tests": [{"stdin": "1\n", "expected_stdout": "1\n"}, {"stdin": "2", "expected_stdout": "4"}]})";
  EXPECT_EQ(Reward(**all, "```\nprint(input())\n```", truth), 0.0);
  EXPECT_EQ(Reward(**fraction, "```\nprint(input())\n```", truth), 0.75);
  ASSERT_EQ(runner.last.tests_size(), 2);
  EXPECT_EQ(runner.last.tests(1).expected_stdout(), "4");
}

TEST(CodeTestsTest, SandboxFailureIsNotAZeroReward) {
  FakeRunner runner;
  runner.status = absl::UnavailableError("connection refused");
  auto v = MakeCodeTestsVerifier({}, &runner);
  ASSERT_TRUE(v.ok());
  absl::StatusOr<Judgement> j = vtest::RunVerifier(**v, "print(1)", "assert True");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), absl::StatusCode::kUnavailable);
  runner.status = absl::OkStatus();
  runner.response.set_verdict(rlvr::v1::SANDBOX_ERROR);
  j = vtest::RunVerifier(**v, "print(1)", "assert True");
  ASSERT_FALSE(j.ok());
}

TEST(CodeTestsTest, GrpcRunnerReportsUnavailableSandbox) {
  // Port 1 on loopback: nothing listens there.
  GrpcCodeRunnerOptions options;
  options.max_retries = 1;
  std::unique_ptr<CodeRunner> runner = MakeGrpcCodeRunner("127.0.0.1:1", options);
  absl::StatusOr<rlvr::v1::ExecuteResponse> r =
      runner->Run(rlvr::v1::ExecuteRequest(), absl::Now() + absl::Seconds(20));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("127.0.0.1:1"), std::string::npos);
}

}  // namespace
}  // namespace rlvr
