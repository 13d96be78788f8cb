#include "rollout/transformer_model.h"

#include <algorithm>
#include <cstring>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"
#include "core/tokenizer.h"
#include "model/inference.h"

namespace rlvr {

TransformerDecodeModel::TransformerDecodeModel(Model model, std::unique_ptr<Backend> backend)
    : model_(std::move(model)), backend_(std::move(backend)) {}

absl::StatusOr<std::unique_ptr<TransformerDecodeModel>> TransformerDecodeModel::Load(
    const std::string& dir, const std::string& backend, int num_threads) {
  std::unique_ptr<Backend> ops;
  if (backend.empty() || backend == "cpu") {
    ops = MakeCpuBackend(num_threads);
  } else if (backend == "reference") {
    ops = MakeReferenceBackend();
  } else {
    return absl::InvalidArgumentError(absl::StrFormat(
        "model.backend '%s' is not available in the rollout worker (use cpu or reference)",
        backend));
  }
  absl::StatusOr<Model> model = LoadModel(dir);
  if (!model.ok()) return model.status();
  return std::make_unique<TransformerDecodeModel>(*std::move(model), std::move(ops));
}

std::vector<ParameterSpec> TransformerDecodeModel::ParameterSpecs() const {
  std::vector<ParameterSpec> specs;
  model_.weights.ForEachParameter([&](const std::string& name, const Tensor& t) {
    specs.push_back({name, t.shape, "F32", /*required=*/true});
  });
  model_.weights.ForEachBuffer([&](const std::string& name, const Tensor& t) {
    specs.push_back({name, t.shape, "F32", /*required=*/false});
  });
  return specs;
}

absl::Status TransformerDecodeModel::InitKvCache(int num_blocks, int block_size) {
  absl::StatusOr<KvCachePool> pool = KvCachePool::Create(model_.config, num_blocks, block_size);
  if (!pool.ok()) return pool.status();
  cache_.emplace(*std::move(pool));
  return absl::OkStatus();
}

absl::Status TransformerDecodeModel::Run(absl::Span<const SequenceChunk> chunks, float* logits) {
  if (!cache_.has_value()) return absl::FailedPreconditionError("KV cache not initialised");
  std::vector<SeqChunk> seqs;
  seqs.reserve(chunks.size());
  for (const SequenceChunk& c : chunks) seqs.push_back({c.tokens, c.start_pos, c.block_table});
  if (absl::Status s = RunCached(model_, *backend_, &*cache_, seqs, &logits_); !s.ok()) return s;
  std::memcpy(logits, logits_.data(), logits_.size() * sizeof(float));
  return absl::OkStatus();
}

absl::Status TransformerDecodeModel::Prefill(absl::Span<const SequenceChunk> chunks,
                                             float* logits) {
  return Run(chunks, logits);
}

absl::Status TransformerDecodeModel::Decode(absl::Span<const SequenceChunk> chunks, float* logits) {
  return Run(chunks, logits);
}

void TransformerDecodeModel::CopyKvBlock(int32_t src, int32_t dst, int /*slots*/) {
  cache_->CopyBlock(src, dst);
}

absl::Status TransformerDecodeModel::SetParameters(absl::Span<const ParameterValues> params) {
  absl::flat_hash_map<std::string, Tensor*> by_name;
  auto add = [&](const std::string& name, Tensor& t) { by_name[name] = &t; };
  model_.weights.ForEachParameter(add);
  model_.weights.ForEachBuffer(add);
  // Check everything before changing anything, so that a bad update leaves the old weights.
  for (const ParameterValues& p : params) {
    auto it = by_name.find(p.name);
    if (it == by_name.end()) {
      return absl::InvalidArgumentError(absl::StrFormat("unknown parameter '%s'", p.name));
    }
    if (it->second->data.size() != p.values.size()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("parameter '%s' has %d values, the model has %d", p.name, p.values.size(),
                          it->second->data.size()));
    }
  }
  for (const ParameterValues& p : params) {
    std::copy(p.values.begin(), p.values.end(), by_name[p.name]->data.begin());
  }
  return absl::OkStatus();
}

std::string TokenizerDecoder::TokenBytes(int32_t id) const {
  if (id < 0 || id >= tokenizer_->vocab_size()) return "";
  return tokenizer_->DecodeBytes(absl::MakeConstSpan(&id, 1));
}

}  // namespace rlvr
