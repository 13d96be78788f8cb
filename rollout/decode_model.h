// The model as the rollout engine sees it: a paged-KV-cache forward pass, the list of its
// parameters, and a way to replace them. The engine owns scheduling, block allocation and
// sampling; an implementation owns the weights and the KV memory (model_adapter.h wraps the
// project's transformer; tests use small fakes).
#ifndef RLVR_ROLLOUT_DECODE_MODEL_H_
#define RLVR_ROLLOUT_DECODE_MODEL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace rlvr {

// One parameter the model expects, as named in its safetensors files. The engine accepts weight
// updates only for these names and shapes.
struct ParameterSpec {
  std::string name;
  std::vector<int64_t> shape;
  std::string dtype;  // safetensors spelling of the in-memory type, e.g. "F32"
  // Whether a weight update must carry it (trainable parameters do; buffers may be left out).
  bool required = true;

  int64_t num_elements() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
};

// New values for one parameter, already checked against its ParameterSpec and converted to the
// model's in-memory type (fp32).
struct ParameterValues {
  std::string name;
  std::vector<float> values;
};

// Tokens of one sequence to run: `tokens` sit at positions start_pos, start_pos + 1, ...; the
// sequence's K/V for positions [0, start_pos) is already in the cache, and `block_table` lists
// (in position order) blocks covering every position up to start_pos + tokens.size() - 1.
struct SequenceChunk {
  absl::Span<const int32_t> tokens;
  int32_t start_pos = 0;
  absl::Span<const int32_t> block_table;
};

// Not thread-safe: the engine calls it from one thread at a time.
class DecodeModel {
 public:
  virtual ~DecodeModel() = default;

  virtual int vocab_size() const = 0;
  // Longest sequence (prompt + completion) the model supports.
  virtual int max_positions() const = 0;
  virtual std::vector<ParameterSpec> ParameterSpecs() const = 0;

  // Allocates the KV pool: num_blocks blocks of block_size token slots, for every layer. Called
  // once, before any forward pass.
  virtual absl::Status InitKvCache(int num_blocks, int block_size) = 0;

  // Processes every chunk (writing its K/V into its blocks) and writes the logits of the last
  // token of chunk i to logits[i * vocab_size(), (i + 1) * vocab_size()). Prefill takes chunks
  // of any length >= 1; Decode takes chunks of exactly one token.
  virtual absl::Status Prefill(absl::Span<const SequenceChunk> chunks, float* logits) = 0;
  virtual absl::Status Decode(absl::Span<const SequenceChunk> chunks, float* logits) = 0;

  // Copies the first `slots` token slots of block src into block dst, in every layer.
  virtual void CopyKvBlock(int32_t src, int32_t dst, int slots) = 0;

  // Replaces the named parameters (every name is in ParameterSpecs and every size matches).
  virtual absl::Status SetParameters(absl::Span<const ParameterValues> params) = 0;
};

}  // namespace rlvr

#endif  // RLVR_ROLLOUT_DECODE_MODEL_H_
