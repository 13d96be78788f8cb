// The project's transformer (model/) behind the engine's DecodeModel interface: prefill and
// decode through model/inference.h's RunCached over a KvCachePool, parameters by their Hugging
// Face names.
#ifndef RLVR_ROLLOUT_TRANSFORMER_MODEL_H_
#define RLVR_ROLLOUT_TRANSFORMER_MODEL_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "kernels/backend.h"
#include "model/kv_cache.h"
#include "model/weights.h"
#include "rollout/decode_model.h"
#include "rollout/stop_condition.h"

namespace rlvr {

class Tokenizer;

class TransformerDecodeModel : public DecodeModel {
 public:
  TransformerDecodeModel(Model model, std::unique_ptr<Backend> backend);

  // Loads <dir>/config.json and its safetensors. backend: "cpu" (optimized, num_threads workers,
  // 0 = one per core) or "reference".
  static absl::StatusOr<std::unique_ptr<TransformerDecodeModel>> Load(const std::string& dir,
                                                                      const std::string& backend,
                                                                      int num_threads);

  int vocab_size() const override { return model_.config.vocab_size; }
  int max_positions() const override { return model_.config.max_position_embeddings; }
  // Every parameter (required in a weight update) and buffer (optional), as "F32".
  std::vector<ParameterSpec> ParameterSpecs() const override;
  absl::Status InitKvCache(int num_blocks, int block_size) override;
  absl::Status Prefill(absl::Span<const SequenceChunk> chunks, float* logits) override;
  absl::Status Decode(absl::Span<const SequenceChunk> chunks, float* logits) override;
  void CopyKvBlock(int32_t src, int32_t dst, int slots) override;
  absl::Status SetParameters(absl::Span<const ParameterValues> params) override;

  const Model& model() const { return model_; }
  const Backend& backend() const { return *backend_; }

 private:
  absl::Status Run(absl::Span<const SequenceChunk> chunks, float* logits);

  Model model_;
  std::unique_ptr<Backend> backend_;
  std::optional<KvCachePool> cache_;
  std::vector<float> logits_;
};

// Token text from a Hugging Face tokenizer (not owned).
class TokenizerDecoder : public TokenDecoder {
 public:
  explicit TokenizerDecoder(const Tokenizer* tokenizer) : tokenizer_(tokenizer) {}
  std::string TokenBytes(int32_t id) const override;

 private:
  const Tokenizer* tokenizer_;
};

}  // namespace rlvr

#endif  // RLVR_ROLLOUT_TRANSFORMER_MODEL_H_
