// The trainer against real rollout engines behind the real gRPC service on loopback, a tiny
// random transformer trained through ModelPolicy, and an in-process sandbox stand-in.
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "core/json.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "model/config.h"
#include "model/weights.h"
#include "rlvr/v1/sandbox.grpc.pb.h"
#include "rollout/engine.h"
#include "rollout/local_server.h"
#include "rollout/transformer_model.h"
#include "trainer/grpc_clients.h"
#include "trainer/model_policy.h"
#include "trainer/trainer.h"

namespace rlvr {
namespace {

constexpr char kTinyDense[] = R"({
  "model_type": "qwen2", "vocab_size": 26, "hidden_size": 16, "num_hidden_layers": 1,
  "num_attention_heads": 2, "num_key_value_heads": 1, "intermediate_size": 24,
  "max_position_embeddings": 64, "rope_theta": 10000.0, "rms_norm_eps": 1e-6
})";

// Letters a..z are ids 0..25.
class AlphabetCodec : public TextCodec {
 public:
  std::vector<int32_t> Encode(const std::string& text) const override {
    std::vector<int32_t> ids;
    for (char c : text) {
      if (c >= 'a' && c <= 'z') ids.push_back(c - 'a');
    }
    return ids;
  }
  std::string Decode(absl::Span<const int32_t> ids) const override {
    std::string s;
    for (int32_t id : ids) s.push_back(static_cast<char>('a' + id));
    return s;
  }
};

// Sandbox.Verify: reward 1 when the response contains the ground truth letter.
class LetterSandbox final : public rlvr::v1::Sandbox::Service {
 public:
  grpc::Status Verify(grpc::ServerContext*, const rlvr::v1::VerifyRequest* request,
                      rlvr::v1::VerifyResponse* response) override {
    for (const auto& item : request->items()) {
      auto* r = response->add_results();
      r->set_id(item.id());
      r->set_status(rlvr::v1::VERIFY_OK);
      const bool hit = item.response().find(item.ground_truth()) != std::string::npos;
      r->set_reward(hit ? 1.0 : 0.0);
      (*r->mutable_components())["letter"] = hit ? 1.0 : 0.0;
    }
    return grpc::Status::OK;
  }
};

std::unique_ptr<LocalRolloutServer> StartRollout(const std::string& model_dir) {
  auto model = TransformerDecodeModel::Load(model_dir, "reference", 1);
  EXPECT_TRUE(model.ok()) << model.status();
  EngineOptions options;
  options.kv_blocks = 128;
  auto server = LocalRolloutServer::Start(*std::move(model), options);
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

std::string MakeModel() {
  const std::string dir = ::testing::TempDir() + "/e2e_model";
  std::filesystem::create_directories(dir);
  auto json = ParseJson(kTinyDense);
  auto config = ParseModelConfig(*json);
  EXPECT_TRUE(config.ok()) << config.status();
  Model m{*config, RandomWeights(*config, 21, 0.3f)};
  EXPECT_TRUE(SaveModel(m, dir).ok());
  return dir;
}

std::vector<Example> Examples() {
  std::vector<Example> out;
  const char* prompts[] = {"abc", "hello", "xyz", "qq", "mnop", "rst"};
  for (int i = 0; i < 6; ++i) {
    Example e;
    e.index = i;
    e.id = absl::StrFormat("p%d", i);
    e.prompt = prompts[i];
    e.ground_truth.push_back('e');
    out.push_back(e);
  }
  return out;
}

TEST(TrainerRolloutE2eTest, TrainsAgainstRealEnginesAndSurvivesAWorkerShutdown) {
  const std::string model_dir = MakeModel();
  std::unique_ptr<LocalRolloutServer> w0 = StartRollout(model_dir);
  std::unique_ptr<LocalRolloutServer> w1 = StartRollout(model_dir);
  LetterSandbox sandbox_service;
  grpc::ServerBuilder sb;
  int sandbox_port = 0;
  sb.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &sandbox_port);
  sb.RegisterService(&sandbox_service);
  std::unique_ptr<grpc::Server> sandbox = sb.BuildAndStart();

  rlvr::v1::ExperimentConfig c;
  c.set_name("e2e");
  c.set_seed(1);
  c.mutable_model()->set_path(model_dir);
  c.mutable_model()->set_backend("reference");
  auto* a = c.mutable_algorithm();
  a->set_prompts_per_step(4);
  a->set_samples_per_prompt(4);
  a->set_mini_batches(2);
  a->set_importance_weight_cap(2.0);
  c.mutable_optimizer()->set_learning_rate(1e-2);
  c.mutable_schedule()->set_steps(4);
  c.mutable_sampling()->set_temperature(1.0);
  c.mutable_sampling()->set_max_new_tokens(6);
  c.mutable_sampling()->set_seed(9);

  auto policy = ModelPolicy::Load(c.model(), c.optimizer(), -1);
  ASSERT_TRUE(policy.ok()) << policy.status();
  std::vector<std::unique_ptr<RolloutWorker>> workers;
  workers.push_back(NewGrpcRolloutWorker(w0->address()));
  workers.push_back(NewGrpcRolloutWorker(w1->address()));
  RolloutFleet fleet(std::move(workers));
  RetryingVerifyClient verifier(NewGrpcVerifyClient(absl::StrFormat("127.0.0.1:%d", sandbox_port)),
                                RetryPolicy{});
  AlphabetCodec codec;
  TrainerParts parts;
  parts.policy = policy->get();
  parts.rollout = &fleet;
  parts.verifier = &verifier;
  parts.codec = &codec;
  auto trainer = Trainer::Create(c, Examples(), {}, parts);
  ASSERT_TRUE(trainer.ok()) << trainer.status();

  for (int step = 0; step < 4; ++step) {
    if (step == 2) w1->Stop();  // a worker goes away between steps
    auto m = (*trainer)->Step();
    ASSERT_TRUE(m.ok()) << "step " << step << ": " << m.status();
    std::map<std::string, double> got(m->begin(), m->end());
    EXPECT_EQ(got["samples"], 16) << step;
    EXPECT_EQ(got["weight_version_lag/max"], 0) << step;
    // Same kernels on both sides: the rollout's logprobs are the trainer's recomputation.
    EXPECT_LT(got["logprob_gap/max"], 1e-4) << step;
    EXPECT_EQ(got["rollout/live_workers"], step < 2 ? 2 : 1) << step;
  }
  EXPECT_EQ(w0->engine().Stats().weight_version, 4);
  EXPECT_GT((*trainer)->fleet_stats().redispatched_prompts, 0);
  sandbox->Shutdown();
}

}  // namespace
}  // namespace rlvr

namespace rlvr {
namespace {

TEST(TrainerRolloutE2eTest, TinyTransformerLearnsToEmitTheRewardedLetter) {
  const std::string model_dir = MakeModel();
  std::unique_ptr<LocalRolloutServer> w0 = StartRollout(model_dir);
  LetterSandbox sandbox_service;
  grpc::ServerBuilder sb;
  int sandbox_port = 0;
  sb.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &sandbox_port);
  sb.RegisterService(&sandbox_service);
  std::unique_ptr<grpc::Server> sandbox = sb.BuildAndStart();

  rlvr::v1::ExperimentConfig c;
  c.set_name("toy");
  c.set_seed(2);
  c.mutable_model()->set_path(model_dir);
  c.mutable_model()->set_backend("reference");
  auto* a = c.mutable_algorithm();
  a->set_prompts_per_step(4);
  a->set_samples_per_prompt(8);
  c.mutable_optimizer()->set_learning_rate(3e-2);
  c.mutable_schedule()->set_steps(40);
  c.mutable_sampling()->set_temperature(1.0);
  c.mutable_sampling()->set_max_new_tokens(3);
  c.mutable_sampling()->set_seed(4);

  auto policy = ModelPolicy::Load(c.model(), c.optimizer(), -1);
  ASSERT_TRUE(policy.ok()) << policy.status();
  std::vector<std::unique_ptr<RolloutWorker>> workers;
  workers.push_back(NewGrpcRolloutWorker(w0->address()));
  RolloutFleet fleet(std::move(workers));
  RetryingVerifyClient verifier(NewGrpcVerifyClient(absl::StrFormat("127.0.0.1:%d", sandbox_port)),
                                RetryPolicy{});
  AlphabetCodec codec;
  TrainerParts parts;
  parts.policy = policy->get();
  parts.rollout = &fleet;
  parts.verifier = &verifier;
  parts.codec = &codec;
  auto trainer = Trainer::Create(c, Examples(), Examples(), parts);
  ASSERT_TRUE(trainer.ok()) << trainer.status();

  double first_accuracy = -1, last_accuracy = 0;
  for (int step = 0; step < 40; ++step) {
    auto m = (*trainer)->Step();
    ASSERT_TRUE(m.ok()) << m.status();
    std::map<std::string, double> got(m->begin(), m->end());
    if (first_accuracy < 0) first_accuracy = got["accuracy"];
    last_accuracy = got["accuracy"];
  }
  EXPECT_LT(first_accuracy, 0.5);
  EXPECT_GE(last_accuracy, 0.9);
  auto eval = (*trainer)->Evaluate();
  ASSERT_TRUE(eval.ok()) << eval.status();
  std::map<std::string, double> e(eval->begin(), eval->end());
  EXPECT_EQ(e["eval/accuracy"], 1.0);
  sandbox->Shutdown();
}

}  // namespace
}  // namespace rlvr
