#include "tools/pretrain.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "core/json.h"
#include "core/metrics.h"
#include "core/rng.h"
#include "core/tokenizer.h"
#include "kernels/backend.h"
#include "model/model.h"
#include "model/optimizer.h"
#include "model/weights.h"
#include "tools/data_command.h"
#include "trainer/lr_schedule.h"
#include "trainer/task_corpus.h"

namespace rlvr {
namespace {

namespace fs = std::filesystem;

constexpr int kLogEverySteps = 25;
constexpr uint64_t kBatchStream = 3;
constexpr uint64_t kInitStream = 4;
constexpr int kFinalLossWindow = 50;

absl::StatusOr<ModelConfig> ArchitectureToModelConfig(const v1::ArchitectureConfig& a,
                                                      int vocab_size) {
  if (a.hidden_size() <= 0 || a.num_hidden_layers() <= 0 || a.num_attention_heads() <= 0) {
    return absl::InvalidArgumentError(
        "architecture: hidden_size, num_hidden_layers and num_attention_heads must be > 0");
  }
  ModelConfig c;
  c.model_type = "qwen2_moe";
  c.vocab_size = vocab_size;
  c.hidden_size = a.hidden_size();
  c.num_hidden_layers = a.num_hidden_layers();
  c.num_attention_heads = a.num_attention_heads();
  c.num_key_value_heads =
      a.num_key_value_heads() > 0 ? a.num_key_value_heads() : a.num_attention_heads();
  c.head_dim = a.hidden_size() / a.num_attention_heads();
  c.intermediate_size = a.intermediate_size() > 0 ? a.intermediate_size() : 4 * a.hidden_size();
  c.max_position_embeddings = a.max_position_embeddings() > 0 ? a.max_position_embeddings() : 512;
  c.rope_theta = a.rope_theta() > 0 ? static_cast<float>(a.rope_theta()) : 10000.0f;
  c.tie_word_embeddings = a.tie_word_embeddings();
  c.qkv_bias = true;  // the qwen2_moe family
  c.num_experts = a.num_experts();
  c.num_experts_per_tok = a.num_experts_per_tok() > 0 ? a.num_experts_per_tok() : 1;
  c.moe_intermediate_size = a.moe_intermediate_size();
  c.shared_expert_intermediate_size = a.shared_expert_intermediate_size();
  c.norm_topk_prob = true;
  c.decoder_sparse_step = 1;
  c.router_aux_loss_coef = static_cast<float>(a.router_aux_loss_coef());
  if (c.num_experts > 0 && c.moe_intermediate_size <= 0) {
    return absl::InvalidArgumentError(
        "architecture.moe_intermediate_size must be > 0 with experts");
  }
  if (c.hidden_size % c.num_attention_heads != 0 ||
      c.num_attention_heads % c.num_key_value_heads != 0) {
    return absl::InvalidArgumentError(
        "architecture: hidden_size must divide by num_attention_heads, and that by "
        "num_key_value_heads");
  }
  return c;
}

absl::Status WriteText(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return absl::FailedPreconditionError(absl::StrCat("cannot write ", path.string()));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PretrainResult> RunPretrain(
    const v1::PretrainConfig& config, const std::function<void(const std::string&)>& progress) {
  if (config.batch_size() <= 0 || config.sequence_length() <= 0) {
    return absl::InvalidArgumentError("batch_size and sequence_length must be > 0");
  }
  const fs::path out_dir(config.output_dir());
  v1::DataGenConfig data = config.data();
  if (data.output_dir().empty()) data.set_output_dir((out_dir / "data").string());
  if (data.seed() == 0) data.set_seed(config.seed());
  absl::StatusOr<std::string> summary = RunDataCommand(data);
  if (!summary.ok()) return summary.status();
  progress(std::string(absl::StripSuffix(*summary, "\n")));

  const fs::path data_dir(data.output_dir());
  absl::StatusOr<std::unique_ptr<Tokenizer>> tokenizer =
      Tokenizer::FromFile((data_dir / "tokenizer.json").string());
  if (!tokenizer.ok()) return tokenizer.status();
  absl::StatusOr<std::string> corpus = ReadFile((data_dir / "corpus.txt").string());
  if (!corpus.ok()) return corpus.status();

  // Documents end with <|endoftext|> and a newline; each becomes one training sequence.
  std::vector<std::vector<int32_t>> docs;
  const std::string separator = absl::StrCat(kEndOfText, "\n");
  int64_t cut = 0, longest = 0;
  for (absl::string_view piece : absl::StrSplit(*corpus, separator, absl::SkipEmpty())) {
    std::vector<int32_t> ids =
        (*tokenizer)->Encode(absl::StrCat(piece, kEndOfText), /*add_special_tokens=*/false);
    if (ids.size() < 2) continue;
    longest = std::max<int64_t>(longest, static_cast<int64_t>(ids.size()));
    if (static_cast<int>(ids.size()) > config.sequence_length()) {
      ids.resize(config.sequence_length());
      ++cut;
    }
    docs.push_back(std::move(ids));
  }
  if (docs.empty()) return absl::InvalidArgumentError("pretrain: the corpus has no documents");

  absl::StatusOr<ModelConfig> model_config =
      ArchitectureToModelConfig(config.architecture(), (*tokenizer)->vocab_size());
  if (!model_config.ok()) return model_config.status();
  const Rng root(config.seed());
  Model model;
  model.config = *model_config;
  model.weights = RandomWeights(model.config, root.Fork(kInitStream).NextU64());
  std::unique_ptr<Backend> backend = MakeCpuBackend(config.num_threads());

  absl::StatusOr<LrSchedule> schedule = LrSchedule::Create(config.optimizer(), config.schedule());
  if (!schedule.ok()) return schedule.status();
  AdamWConfig hp;
  hp.lr = static_cast<float>(config.optimizer().learning_rate());
  if (config.optimizer().beta1() > 0) hp.beta1 = static_cast<float>(config.optimizer().beta1());
  if (config.optimizer().beta2() > 0) hp.beta2 = static_cast<float>(config.optimizer().beta2());
  if (config.optimizer().eps() > 0) hp.eps = static_cast<float>(config.optimizer().eps());
  hp.weight_decay = static_cast<float>(config.optimizer().weight_decay());
  AdamW adamw(model.config, hp);
  ModelWeights grads = ZeroWeights(model.config);

  std::unique_ptr<MetricsSink> metrics;
  if (!config.logging().dir().empty() && config.logging().jsonl()) {
    fs::create_directories(config.logging().dir());
    auto sink = JsonlMetricsSink::Open(
        (fs::path(config.logging().dir()) / "metrics.jsonl").string(), {.append = false});
    if (!sink.ok()) return sink.status();
    metrics = std::move(*sink);
  }

  PretrainResult result;
  result.parameters = model.weights.num_parameters();
  progress(absl::StrFormat("model: %d parameters, vocabulary %d, %d documents (longest %d tokens)",
                           result.parameters, model.config.vocab_size, docs.size(), longest));
  if (cut > 0) {
    // Their ends (often the answer) are never trained on: worth knowing before a long run.
    progress(absl::StrFormat(
        "warning: %d documents are longer than sequence_length %d and were cut to it", cut,
        config.sequence_length()));
  }
  Rng batch_rng = root.Fork(kBatchStream);
  const int64_t token_budget = static_cast<int64_t>(config.batch_size()) * config.sequence_length();
  std::vector<double> recent;
  const absl::Time start = absl::Now();
  for (int64_t step = 0; step < config.schedule().steps(); ++step) {
    PackedBatch batch;
    batch.cu_seqlens.push_back(0);
    while (batch.num_tokens() < token_budget) {
      const std::vector<int32_t>& doc = docs[batch_rng.UniformInt(docs.size())];
      batch.tokens.insert(batch.tokens.end(), doc.begin(), doc.end());
      batch.cu_seqlens.push_back(static_cast<int32_t>(batch.tokens.size()));
    }
    Activations acts;
    ForwardOptions fo;
    fo.compute_entropy = false;
    absl::StatusOr<ForwardResult> fwd = Forward(model, *backend, batch, fo, &acts);
    if (!fwd.ok()) return fwd.status();
    // Mean next-token loss over every predicted token (not the sequence starts).
    const int64_t predicted = batch.num_tokens() - batch.num_seqs();
    std::vector<float> dlogprobs(batch.tokens.size(), -1.0f / static_cast<float>(predicted));
    double loss = 0;
    for (float lp : fwd->logprobs) loss -= lp;
    loss /= static_cast<double>(predicted);
    ZeroGrads(&grads);
    if (absl::Status st = Backward(model, *backend, acts, dlogprobs, {}, &grads); !st.ok()) {
      return st;
    }
    const double grad_norm =
        ClipGradNorm(*backend, static_cast<float>(config.optimizer().max_grad_norm()), &grads);
    const double lr = schedule->At(step);
    adamw.Step(*backend, grads, &model.weights, static_cast<float>(lr));
    result.tokens_seen += batch.num_tokens();
    if (step == 0) result.first_loss = loss;
    recent.push_back(loss);
    if (static_cast<int>(recent.size()) > kFinalLossWindow) recent.erase(recent.begin());
    if (metrics) {
      metrics->LogScalar("loss", step, loss);
      metrics->LogScalar("aux_loss", step, fwd->aux_loss);
      metrics->LogScalar("grad_norm", step, grad_norm);
      metrics->LogScalar("lr", step, lr);
    }
    if (step % kLogEverySteps == 0 || step + 1 == config.schedule().steps()) {
      const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
      progress(
          absl::StrFormat("step %d/%d loss %.4f aux %.3f grad_norm %.3f lr %.2e "
                          "%.0f tokens/s",
                          step + 1, config.schedule().steps(), loss, fwd->aux_loss, grad_norm, lr,
                          result.tokens_seen / std::max(seconds, 1e-9)));
    }
  }
  double sum = 0;
  for (double l : recent) sum += l;
  result.final_loss = recent.empty() ? 0 : sum / static_cast<double>(recent.size());
  if (metrics) {
    if (absl::Status st = metrics->Flush(); !st.ok()) return st;
  }

  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (absl::Status st = SaveModel(model, out_dir.string()); !st.ok()) return st;
  std::error_code copy_ec;
  fs::copy_file(data_dir / "tokenizer.json", out_dir / "tokenizer.json",
                fs::copy_options::overwrite_existing, copy_ec);
  if (copy_ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot copy tokenizer.json to ", out_dir.string(), ": ", copy_ec.message()));
  }
  JsonValue tokenizer_config = JsonValue::MakeObject();
  tokenizer_config.Add("eos_token", JsonValue::String(kEndOfText));
  tokenizer_config.Add("pad_token", JsonValue::String(kPadToken));
  tokenizer_config.Add("unk_token", JsonValue::String("<unk>"));
  tokenizer_config.Add("bos_token", JsonValue());
  if (absl::Status st =
          WriteText(out_dir / "tokenizer_config.json", tokenizer_config.Serialize() + "\n");
      !st.ok()) {
    return st;
  }
  progress(absl::StrFormat("wrote %s (loss %.4f -> %.4f)", out_dir.string(), result.first_loss,
                           result.final_loss));
  return result;
}

}  // namespace rlvr
