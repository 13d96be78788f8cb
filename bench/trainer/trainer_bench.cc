// One GRPO step on a tiny MoE, split by phase: generate (two rollout engines behind the gRPC
// service on loopback), verify (Sandbox.Verify over gRPC with the built-in math verifier),
// reference (the frozen model's logprobs, kl_beta > 0), update (forward, loss, backward, AdamW
// per mini-batch) and weight push (chunked UpdateWeights to both workers).
//
// Baselines measured in the same run:
//   - bare_update_s: ModelPolicy forward + backward + AdamW over the same number of sequences
//     and tokens, with fixed per-token weights (no advantages, loss or packing): what the update
//     phase would cost without the RL bookkeeping.
//   - weight_copy_s: memcpy of every parameter once: the floor under a weight push.
//
//   rlvr_bench_trainer [--steps N]     (prints one JSON object)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "core/json.h"
#include "grpcpp/grpcpp.h"
#include "model/config.h"
#include "model/weights.h"
#include "rlvr/v1/sandbox.grpc.pb.h"
#include "rollout/engine.h"
#include "rollout/local_server.h"
#include "rollout/transformer_model.h"
#include "trainer/grpc_clients.h"
#include "trainer/model_policy.h"
#include "trainer/trainer.h"
#include "verifiers/batch.h"
#include "verifiers/registry.h"

namespace rlvr {
namespace {

using Clock = std::chrono::steady_clock;

constexpr char kTinyMoe[] = R"({
  "model_type": "qwen2_moe", "vocab_size": 64, "hidden_size": 64, "num_hidden_layers": 2,
  "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 128,
  "num_experts": 8, "num_experts_per_tok": 2, "moe_intermediate_size": 32,
  "shared_expert_intermediate_size": 64, "norm_topk_prob": true, "mlp_only_layers": [0],
  "router_aux_loss_coef": 0.01, "max_position_embeddings": 256, "rope_theta": 10000.0,
  "rms_norm_eps": 1e-6
})";

constexpr int kPrompts = 8;
constexpr int kSamples = 8;
constexpr int kMaxNewTokens = 32;

// Digits and a few symbols: ids 0..63 map to printable ASCII from '0'.
class AsciiCodec : public TextCodec {
 public:
  std::vector<int32_t> Encode(const std::string& text) const override {
    std::vector<int32_t> ids;
    for (char c : text) {
      const int id = c - '0';
      if (id >= 0 && id < 64) ids.push_back(id);
    }
    return ids;
  }
  std::string Decode(absl::Span<const int32_t> ids) const override {
    std::string s;
    for (int32_t id : ids) s.push_back(static_cast<char>('0' + id));
    return s;
  }
};

class RegistrySandbox final : public rlvr::v1::Sandbox::Service {
 public:
  explicit RegistrySandbox(const VerifierRegistry* registry) : registry_(registry) {}
  grpc::Status Verify(grpc::ServerContext*, const rlvr::v1::VerifyRequest* request,
                      rlvr::v1::VerifyResponse* response) override {
    *response = VerifyBatch(*registry_, *request);
    return grpc::Status::OK;
  }

 private:
  const VerifierRegistry* registry_;
};

absl::StatusOr<std::unique_ptr<LocalRolloutServer>> StartRollout(const std::string& dir) {
  auto model = TransformerDecodeModel::Load(dir, "cpu", 1);
  if (!model.ok()) return model.status();
  EngineOptions options;
  options.kv_blocks = 512;
  return LocalRolloutServer::Start(*std::move(model), options);
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int Run(int argc, char** argv) {
  int steps = 3;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--steps") == 0) steps = std::max(1, std::atoi(argv[i + 1]));
  }
  const std::string dir = std::filesystem::temp_directory_path() / "rlvr_bench_trainer_model";
  std::filesystem::create_directories(dir);
  auto config = ParseModelConfig(*ParseJson(kTinyMoe));
  if (!config.ok()) return std::fprintf(stderr, "%s\n", config.status().ToString().c_str()), 1;
  Model m{*config, RandomWeights(*config, 1, 0.05f)};
  if (auto s = SaveModel(m, dir); !s.ok())
    return std::fprintf(stderr, "%s\n", s.ToString().c_str()), 1;

  auto w0 = StartRollout(dir);
  auto w1 = StartRollout(dir);
  if (!w0.ok() || !w1.ok()) return std::fprintf(stderr, "rollout start failed\n"), 1;
  VerifierRegistry registry;
  if (auto s = RegisterBuiltinVerifiers(&registry, nullptr); !s.ok()) {
    return std::fprintf(stderr, "%s\n", s.ToString().c_str()), 1;
  }
  RegistrySandbox sandbox_service(&registry);
  grpc::ServerBuilder sb;
  int sandbox_port = 0;
  sb.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &sandbox_port);
  sb.RegisterService(&sandbox_service);
  std::unique_ptr<grpc::Server> sandbox = sb.BuildAndStart();

  rlvr::v1::ExperimentConfig c;
  c.set_name("bench");
  c.set_seed(1);
  c.mutable_model()->set_path(dir);
  c.mutable_model()->set_num_threads(1);
  auto* a = c.mutable_algorithm();
  a->set_prompts_per_step(kPrompts);
  a->set_samples_per_prompt(kSamples);
  a->set_mini_batches(2);
  a->set_kl_beta(0.01);
  c.mutable_optimizer()->set_learning_rate(1e-4);
  c.mutable_schedule()->set_steps(steps + 1);
  c.mutable_sampling()->set_temperature(1.0);
  c.mutable_sampling()->set_max_new_tokens(kMaxNewTokens);

  auto policy = ModelPolicy::Load(c.model(), c.optimizer(), -1);
  auto reference = ModelPolicy::Load(c.model(), c.optimizer(), -1);
  if (!policy.ok() || !reference.ok()) return std::fprintf(stderr, "model load failed\n"), 1;
  std::vector<std::unique_ptr<RolloutWorker>> workers;
  workers.push_back(NewGrpcRolloutWorker((*w0)->address()));
  workers.push_back(NewGrpcRolloutWorker((*w1)->address()));
  RolloutFleet fleet(std::move(workers));
  RetryingVerifyClient verifier(NewGrpcVerifyClient(absl::StrFormat("127.0.0.1:%d", sandbox_port)),
                                RetryPolicy{});
  AsciiCodec codec;
  std::vector<Example> data;
  for (int i = 0; i < 32; ++i) {
    Example e;
    e.index = i;
    e.id = absl::StrFormat("q%d", i);
    e.prompt = absl::StrFormat("%d+%d=", 10 + i, 7 * i);
    e.ground_truth = absl::StrFormat("%d", 10 + i + 7 * i);
    e.verifier = "math";
    data.push_back(e);
  }
  TrainerParts parts;
  parts.policy = policy->get();
  parts.reference = reference->get();
  parts.rollout = &fleet;
  parts.verifier = &verifier;
  parts.codec = &codec;
  auto trainer = Trainer::Create(c, data, {}, parts);
  if (!trainer.ok()) return std::fprintf(stderr, "%s\n", trainer.status().ToString().c_str()), 1;

  std::map<std::string, std::vector<double>> phases;
  double tokens = 0;
  for (int s = 0; s <= steps; ++s) {
    auto metrics = (*trainer)->Step();
    if (!metrics.ok()) return std::fprintf(stderr, "%s\n", metrics.status().ToString().c_str()), 1;
    if (s == 0) continue;  // warm-up
    for (const auto& [k, v] : *metrics) {
      if (k.rfind("time/", 0) == 0) phases[k.substr(5)].push_back(v);
      if (k == "rollout/generated_tokens") tokens += v;
    }
  }

  // Baseline 1: bare forward/backward/AdamW over sequences of the same shape, in as many
  // mini-batches.
  TrainBatch tb;
  tb.cu_seqlens = {0};
  const int per_mb = kPrompts * kSamples / 2;
  for (int i = 0; i < per_mb; ++i) {
    for (int t = 0; t < 6 + kMaxNewTokens; ++t) tb.tokens.push_back((i * 7 + t * 3) % 64);
    tb.cu_seqlens.push_back(static_cast<int32_t>(tb.tokens.size()));
  }
  std::vector<float> dlogp(tb.tokens.size(), -1.0f / static_cast<float>(tb.tokens.size()));
  std::vector<double> bare;
  for (int s = 0; s <= steps; ++s) {
    auto t0 = Clock::now();
    for (int mb = 0; mb < 2; ++mb) {
      auto f = (*policy)->Forward(tb, true);
      if (!f.ok()) return 1;
      if (!(*policy)->Backward(dlogp).ok()) return 1;
      if (!(*policy)->OptimizerStep(1e-6).ok()) return 1;
    }
    if (s > 0) bare.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  // Baseline 2: one memcpy of every parameter.
  std::vector<double> copy;
  for (int s = 0; s <= steps; ++s) {
    auto t0 = Clock::now();
    float checksum = 0;
    for (const NamedTensor& p : (*policy)->Parameters()) {
      std::vector<float> dst(p.data.size());
      std::memcpy(dst.data(), p.data.data(), p.data.size() * sizeof(float));
      if (!dst.empty()) checksum += dst.back();  // keeps the copy observable
    }
    if (s > 0) copy.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    volatile float sink = checksum;
    (void)sink;
  }
  int64_t params = 0;
  for (const NamedTensor& p : (*policy)->Parameters())
    params += static_cast<int64_t>(p.data.size());

  std::string phase_json;
  for (const auto& [k, v] : phases) {
    phase_json += absl::StrFormat("%s\"%s\": %.6f", phase_json.empty() ? "" : ", ", k, Median(v));
  }
  const double update = Median(phases["update"]);
  const double bare_update = Median(bare);
  absl::PrintF(
      "{\"bench\": \"trainer_step\", \"model\": \"tiny qwen2_moe, %d params\", \"prompts\": %d, "
      "\"samples_per_prompt\": %d, \"max_new_tokens\": %d, \"rollout_workers\": 2, "
      "\"measured_steps\": %d, \"generated_tokens_per_step\": %.1f, \"phase_seconds_median\": "
      "{%s}, \"baseline\": {\"bare_update_s\": %.6f, \"weight_copy_s\": %.6f}, "
      "\"update_vs_bare_update\": %.3f}\n",
      params, kPrompts, kSamples, kMaxNewTokens, steps, tokens / steps, phase_json, bare_update,
      Median(copy), bare_update > 0 ? update / bare_update : 0.0);
  sandbox->Shutdown();
  return 0;
}

}  // namespace
}  // namespace rlvr

int main(int argc, char** argv) { return rlvr::Run(argc, argv); }
