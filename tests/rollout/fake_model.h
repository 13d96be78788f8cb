// A small DecodeModel for engine tests. Its "KV cache" stores the token id at every slot, and
// the logits after a prefix are a hash of every token read back through the block table, so a
// wrong block table, a missing copy-on-write or a stale block changes the output. Positions not
// written are detected and reported as errors. ReferenceLogits() computes the same logits from
// the plain token list, without any cache.
#ifndef RLVR_TESTS_ROLLOUT_FAKE_MODEL_H_
#define RLVR_TESTS_ROLLOUT_FAKE_MODEL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "rollout/decode_model.h"

namespace rlvr::testing {

inline uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

struct FakeModelShape {
  int vocab = 24;
  int max_positions = 128;
};

// Logits after the prefix `tokens` for parameter values `bias` [vocab].
inline void ReferenceLogits(const std::vector<int32_t>& tokens, const std::vector<float>& bias,
                            float* logits) {
  uint64_t h = 17;
  for (int32_t t : tokens) h = Mix(h ^ static_cast<uint64_t>(t));
  const int vocab = static_cast<int>(bias.size());
  for (int v = 0; v < vocab; ++v) {
    const uint64_t r = Mix(h + static_cast<uint64_t>(v));
    logits[v] = static_cast<float>(static_cast<double>(r >> 40) / (1 << 24) * 6.0 - 3.0) + bias[v];
  }
}

class FakeModel : public DecodeModel {
 public:
  explicit FakeModel(FakeModelShape shape = {}) : shape_(shape), bias_(shape.vocab, 0.0f) {}

  int vocab_size() const override { return shape_.vocab; }
  int max_positions() const override { return shape_.max_positions; }
  std::vector<ParameterSpec> ParameterSpecs() const override {
    return {{"lm_bias", {shape_.vocab}, "F32", true}, {"unused.weight", {2, 3}, "F32", false}};
  }

  absl::Status InitKvCache(int num_blocks, int block_size) override {
    block_size_ = block_size;
    slots_.assign(static_cast<size_t>(num_blocks) * block_size, -1);
    return absl::OkStatus();
  }

  absl::Status Prefill(absl::Span<const SequenceChunk> chunks, float* logits) override {
    ++prefill_calls;
    return Run(chunks, logits);
  }
  absl::Status Decode(absl::Span<const SequenceChunk> chunks, float* logits) override {
    ++decode_calls;
    max_decode_batch = std::max<int>(max_decode_batch, chunks.size());
    for (const SequenceChunk& c : chunks) {
      if (c.tokens.size() != 1) return absl::InternalError("decode chunk is not one token");
    }
    return Run(chunks, logits);
  }

  void CopyKvBlock(int32_t src, int32_t dst, int slots) override {
    ++block_copies;
    for (int i = 0; i < slots; ++i) {
      slots_[dst * block_size_ + i] = slots_[src * block_size_ + i];
    }
    for (int i = slots; i < block_size_; ++i) slots_[dst * block_size_ + i] = -1;
  }

  absl::Status SetParameters(absl::Span<const ParameterValues> params) override {
    for (const ParameterValues& p : params) {
      if (p.name == "lm_bias") bias_ = p.values;
    }
    return absl::OkStatus();
  }

  const std::vector<float>& bias() const { return bias_; }

  int prefill_calls = 0;
  int decode_calls = 0;
  int max_decode_batch = 0;
  int block_copies = 0;

 private:
  absl::Status Run(absl::Span<const SequenceChunk> chunks, float* logits) {
    for (size_t c = 0; c < chunks.size(); ++c) {
      const SequenceChunk& chunk = chunks[c];
      const int end = chunk.start_pos + static_cast<int>(chunk.tokens.size());
      if (static_cast<size_t>((end + block_size_ - 1) / block_size_) > chunk.block_table.size()) {
        return absl::InternalError("block table too short");
      }
      for (size_t i = 0; i < chunk.tokens.size(); ++i) {
        const int pos = chunk.start_pos + static_cast<int>(i);
        slots_[chunk.block_table[pos / block_size_] * block_size_ + pos % block_size_] =
            chunk.tokens[i];
      }
      std::vector<int32_t> prefix;
      for (int pos = 0; pos < end; ++pos) {
        const int32_t t =
            slots_[chunk.block_table[pos / block_size_] * block_size_ + pos % block_size_];
        if (t < 0) return absl::InternalError(absl::StrFormat("position %d never written", pos));
        prefix.push_back(t);
      }
      ReferenceLogits(prefix, bias_, logits + c * shape_.vocab);
    }
    return absl::OkStatus();
  }

  FakeModelShape shape_;
  std::vector<float> bias_;
  int block_size_ = 0;
  std::vector<int32_t> slots_;  // token id per slot, -1 when unwritten
};

}  // namespace rlvr::testing

#endif  // RLVR_TESTS_ROLLOUT_FAKE_MODEL_H_
