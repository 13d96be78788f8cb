// Benchmark of the CPU model on a tiny MoE config: one training step (forward + backward +
// AdamW) over a packed batch, and batched one-token decode through the paged KV cache. In the
// same run it starts bench/model/torch_baseline.py, which does the same work with PyTorch CPU
// (transformers' implementation of the same family, same weights, same thread count), and prints
// one JSON object with both figures and their ratios (ours / PyTorch, > 1 = faster).
//
//   rlvr_bench_model [--threads N] [--steps N] [--python python3] [--no-baseline]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/run_command.h"
#include "core/json.h"
#include "kernels/backend.h"
#include "model/inference.h"
#include "model/kv_cache.h"
#include "model/model.h"
#include "model/optimizer.h"
#include "model/weights.h"

namespace rlvr {
namespace {

// The project's kind of tiny MoE: fine-grained routed experts plus a shared expert.
constexpr char kBenchConfig[] = R"({
  "model_type": "qwen2_moe", "vocab_size": 4096, "hidden_size": 256, "num_hidden_layers": 4,
  "num_attention_heads": 8, "num_key_value_heads": 4, "intermediate_size": 512,
  "num_experts": 16, "num_experts_per_tok": 4, "moe_intermediate_size": 128,
  "shared_expert_intermediate_size": 256, "norm_topk_prob": false,
  "router_aux_loss_coef": 0.001, "rope_theta": 10000.0, "rms_norm_eps": 1e-6,
  "tie_word_embeddings": false
})";

struct Workload {
  int train_seqs = 8;
  int train_len = 128;
  int decode_batch = 8;
  int prompt_len = 64;
  int decode_steps = 64;
};

// The same token formula as torch_baseline.py.
int32_t TokenAt(int seq, int i, int vocab) {
  return static_cast<int32_t>(
      (static_cast<int64_t>(i) * 7919 + static_cast<int64_t>(seq) * 104729 + 13) % vocab);
}

double Seconds(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

int Run(int argc, char** argv) {
  int threads = 2, steps = 3;
  std::string python = "python3";
  bool baseline = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (a == "--steps" && i + 1 < argc) {
      steps = std::atoi(argv[++i]);
    } else if (a == "--python" && i + 1 < argc) {
      python = argv[++i];
    } else if (a == "--no-baseline") {
      baseline = false;
    } else {
      std::fprintf(stderr, "usage: %s [--threads N] [--steps N] [--python P] [--no-baseline]\n",
                   argv[0]);
      return 2;
    }
  }
  const Workload w;
  Model model;
  model.config = *ParseModelConfig(*ParseJson(kBenchConfig));
  model.weights = RandomWeights(model.config, 1, 0.02f);
  const int vocab = model.config.vocab_size;
  auto be = MakeCpuBackend(threads);

  // Training step.
  PackedBatch batch;
  batch.cu_seqlens.push_back(0);
  for (int s = 0; s < w.train_seqs; ++s) {
    for (int i = 0; i < w.train_len; ++i) batch.tokens.push_back(TokenAt(s, i, vocab));
    batch.cu_seqlens.push_back(static_cast<int32_t>(batch.tokens.size()));
  }
  std::vector<float> dlp(batch.tokens.size(), -1.0f / static_cast<float>(batch.tokens.size()));
  ModelWeights grads = ZeroWeights(model.config);
  AdamW opt(model.config, AdamWConfig{});
  Activations acts;
  auto train_step = [&] {
    ForwardResult f = *Forward(model, *be, batch, {}, &acts);
    ZeroGrads(&grads);
    (void)Backward(model, *be, acts, dlp, {}, &grads);
    ClipGradNorm(*be, 1.0f, &grads);
    opt.Step(*be, grads, &model.weights);
    return f.logprobs[1];
  };
  train_step();  // warm-up
  auto t0 = std::chrono::steady_clock::now();
  for (int s = 0; s < steps; ++s) train_step();
  auto t1 = std::chrono::steady_clock::now();
  const double train_tps = static_cast<double>(batch.tokens.size()) * steps / Seconds(t0, t1);

  // Batched decode after a batched prefill; greedy so that both sides run the same tokens.
  const int block = 16;
  const int per_seq = (w.prompt_len + w.decode_steps + block - 1) / block;
  KvCachePool pool = *KvCachePool::Create(model.config, per_seq * w.decode_batch, block);
  std::vector<KvBlockTable> tables(w.decode_batch);
  for (int s = 0; s < w.decode_batch; ++s) {
    for (int b = 0; b < per_seq; ++b) tables[s].push_back(b * w.decode_batch + s);
  }
  std::vector<std::vector<int32_t>> prompts(w.decode_batch);
  std::vector<SeqChunk> chunks;
  for (int s = 0; s < w.decode_batch; ++s) {
    for (int i = 0; i < w.prompt_len; ++i) prompts[s].push_back(TokenAt(s, i, vocab));
  }
  for (int s = 0; s < w.decode_batch; ++s) chunks.push_back({prompts[s], 0, tables[s]});
  std::vector<float> logits;
  (void)RunCached(model, *be, &pool, chunks, &logits);
  std::vector<std::vector<int32_t>> next(w.decode_batch, std::vector<int32_t>(1));
  auto argmax = [&](int s) {
    const float* row = logits.data() + static_cast<int64_t>(s) * vocab;
    int best = 0;
    for (int j = 1; j < vocab; ++j) best = row[j] > row[best] ? j : best;
    return best;
  };
  auto d0 = std::chrono::steady_clock::now();
  for (int step = 0; step < w.decode_steps; ++step) {
    chunks.clear();
    for (int s = 0; s < w.decode_batch; ++s) {
      next[s][0] = argmax(s);
      chunks.push_back({next[s], w.prompt_len + step, tables[s]});
    }
    (void)RunCached(model, *be, &pool, chunks, &logits);
  }
  auto d1 = std::chrono::steady_clock::now();
  const double decode_tps = static_cast<double>(w.decode_batch) * w.decode_steps / Seconds(d0, d1);

  JsonValue out = JsonValue::MakeObject();
  out.Add("benchmark", JsonValue::String("model_cpu"));
  out.Add("config", *ParseJson(kBenchConfig));
  out.Add("threads", JsonValue::Integer(threads));
  // Other work on the machine skews both sides; the load shows how busy it was.
  if (absl::StatusOr<std::string> load = ReadFile("/proc/loadavg"); load.ok()) {
    out.Add("loadavg", JsonValue::String(load->substr(0, load->find(' '))));
  }
  out.Add("parameters", JsonValue::Integer(model.weights.num_parameters()));
  out.Add("train_tokens_per_step", JsonValue::Integer(static_cast<int64_t>(batch.tokens.size())));
  out.Add("decode_batch", JsonValue::Integer(w.decode_batch));
  out.Add("rlvr_train_tokens_per_s", JsonValue::Number(train_tps));
  out.Add("rlvr_decode_tokens_per_s", JsonValue::Number(decode_tps));
  if (baseline) {
    // Hand the same weights to PyTorch through a Hugging Face checkpoint folder.
    const std::string dir = std::filesystem::temp_directory_path() / "rlvr_bench_model";
    std::filesystem::create_directories(dir);
    Model fresh{model.config, RandomWeights(model.config, 1, 0.02f)};
    if (absl::Status s = SaveModel(fresh, dir); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      return 1;
    }
    const std::string cmd =
        python + " " + RLVR_SOURCE_DIR + "/bench/model/torch_baseline.py --model " + dir +
        " --threads " + std::to_string(threads) + " --steps " + std::to_string(steps) +
        " --train-seqs " + std::to_string(w.train_seqs) + " --train-len " +
        std::to_string(w.train_len) + " --decode-batch " + std::to_string(w.decode_batch) +
        " --prompt-len " + std::to_string(w.prompt_len) + " --decode-steps " +
        std::to_string(w.decode_steps);
    const std::string text = RunCommandOutput(cmd);
    absl::StatusOr<JsonValue> torch = ParseJson(text);
    if (!torch.ok()) {
      out.Add("baseline_error", JsonValue::String("torch_baseline.py gave no JSON: " + text));
    } else {
      const double tt = *torch->GetNumber("train_tokens_per_s");
      const double td = *torch->GetNumber("decode_tokens_per_s");
      out.Add("torch", *torch);
      out.Add("train_speed_ratio_vs_torch", JsonValue::Number(train_tps / tt));
      out.Add("decode_speed_ratio_vs_torch", JsonValue::Number(decode_tps / td));
    }
  }
  std::printf("%s\n", out.Serialize().c_str());
  return 0;
}

}  // namespace
}  // namespace rlvr

int main(int argc, char** argv) { return rlvr::Run(argc, argv); }
