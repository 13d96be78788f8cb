// Prefill and decode through the paged KV cache, sharing the layer code of the training forward.
#include "model/inference.h"

#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_format.h"
#include "model/attention.h"
#include "model/moe.h"

namespace rlvr {
namespace {

absl::Status ValidateChunks(const ModelConfig& c, const KvCachePool& cache,
                            absl::Span<const SeqChunk> chunks) {
  if (chunks.empty()) return absl::InvalidArgumentError("RunCached: no chunks");
  absl::flat_hash_set<int64_t> slots;
  for (size_t i = 0; i < chunks.size(); ++i) {
    const SeqChunk& ch = chunks[i];
    if (ch.tokens.empty()) {
      return absl::InvalidArgumentError(absl::StrFormat("RunCached: chunk %d has no tokens", i));
    }
    if (ch.start_pos < 0) {
      return absl::InvalidArgumentError(absl::StrFormat("RunCached: chunk %d start_pos < 0", i));
    }
    const int64_t end = static_cast<int64_t>(ch.start_pos) + ch.tokens.size();
    const int64_t need = (end + cache.block_size() - 1) / cache.block_size();
    if (static_cast<int64_t>(ch.block_table.size()) < need) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "RunCached: chunk %d reaches position %d and needs %d blocks; its table has %d", i,
          end - 1, need, ch.block_table.size()));
    }
    for (int64_t b = 0; b < need; ++b) {
      if (ch.block_table[b] < 0 || ch.block_table[b] >= cache.num_blocks()) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "RunCached: chunk %d block table entry %d = %d is outside the pool of %d blocks", i, b,
            ch.block_table[b], cache.num_blocks()));
      }
    }
    for (size_t j = 0; j < ch.tokens.size(); ++j) {
      if (ch.tokens[j] < 0 || ch.tokens[j] >= c.vocab_size) {
        return absl::InvalidArgumentError(
            absl::StrFormat("RunCached: chunk %d token %d is outside the vocabulary [0, %d)", i,
                            ch.tokens[j], c.vocab_size));
      }
      const int64_t pos = ch.start_pos + static_cast<int64_t>(j);
      const int64_t slot =
          static_cast<int64_t>(ch.block_table[pos / cache.block_size()]) * cache.block_size() +
          pos % cache.block_size();
      if (!slots.insert(slot).second) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "RunCached: chunk %d writes cache slot %d that another token of this batch writes", i,
            slot));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status RunCached(const Model& model, const Backend& be, KvCachePool* cache,
                       absl::Span<const SeqChunk> chunks, std::vector<float>* logits) {
  const ModelConfig& c = model.config;
  const ModelWeights& w = model.weights;
  if (cache->num_layers() != c.num_hidden_layers ||
      cache->token_floats() != static_cast<int64_t>(c.num_key_value_heads) * c.head_dim) {
    return absl::InvalidArgumentError("RunCached: the KV cache was made for another config");
  }
  if (absl::Status s = ValidateChunks(c, *cache, chunks); !s.ok()) return s;
  const int64_t h = c.hidden_size;
  const int64_t nq = static_cast<int64_t>(c.num_attention_heads) * c.head_dim;
  std::vector<int32_t> tokens, positions, seq_of, tables;
  std::vector<int64_t> slots, table_starts{0}, last_row;
  for (size_t i = 0; i < chunks.size(); ++i) {
    const SeqChunk& ch = chunks[i];
    for (size_t j = 0; j < ch.tokens.size(); ++j) {
      const int32_t pos = ch.start_pos + static_cast<int32_t>(j);
      tokens.push_back(ch.tokens[j]);
      positions.push_back(pos);
      seq_of.push_back(static_cast<int32_t>(i));
      slots.push_back(static_cast<int64_t>(ch.block_table[pos / cache->block_size()]) *
                          cache->block_size() +
                      pos % cache->block_size());
    }
    last_row.push_back(static_cast<int64_t>(tokens.size()) - 1);
    tables.insert(tables.end(), ch.block_table.begin(), ch.block_table.end());
    table_starts.push_back(static_cast<int64_t>(tables.size()));
  }
  const int64_t t = static_cast<int64_t>(tokens.size());
  PagedAttentionArgs args;
  args.tokens = t;
  args.q_heads = c.num_attention_heads;
  args.seq_of = seq_of.data();
  args.positions = positions.data();
  args.block_tables = tables.data();
  args.table_starts = table_starts.data();

  std::vector<float> x(t * h), hbuf(t * h), rstd(t), attn(t * nq), o(t * h), y(t * h);
  LayerActivations la;  // scratch
  be.EmbeddingForward(tokens.data(), t, w.embed_tokens.ptr(), h, x.data());
  for (int l = 0; l < c.num_hidden_layers; ++l) {
    const LayerWeights& lw = w.layers[l];
    be.RmsNormForward(x.data(), lw.input_layernorm.ptr(), t, h, c.rms_norm_eps, hbuf.data(),
                      rstd.data());
    QkvForward(c, lw, be, hbuf.data(), t, positions.data(), &la);
    const PagedKvLayer view = cache->layer(l);
    be.KvCacheWrite(la.k.data(), la.v.data(), t, slots.data(), view);
    be.PagedAttentionForward(args, la.q.data(), view, attn.data());
    be.LinearForward(attn.data(), lw.o_proj.ptr(), lw.o_bias.ptr(), t, nq, h, o.data());
    be.Add(x.data(), o.data(), t * h, x.data());
    be.RmsNormForward(x.data(), lw.post_attention_layernorm.ptr(), t, h, c.rms_norm_eps,
                      hbuf.data(), rstd.data());
    MlpForward(c, lw, be, c.IsMoeLayer(l), hbuf.data(), t, &la, y.data());
    be.Add(x.data(), y.data(), t * h, x.data());
  }
  const int64_t n = static_cast<int64_t>(chunks.size());
  std::vector<float> last(n * h), last_norm(n * h), last_rstd(n);
  for (int64_t i = 0; i < n; ++i) {
    std::copy_n(x.data() + last_row[i] * h, h, last.data() + i * h);
  }
  be.RmsNormForward(last.data(), w.norm.ptr(), n, h, c.rms_norm_eps, last_norm.data(),
                    last_rstd.data());
  logits->resize(n * c.vocab_size);
  be.LinearForward(last_norm.data(), w.output_weight().ptr(), nullptr, n, h, c.vocab_size,
                   logits->data());
  return absl::OkStatus();
}

void LogSoftmax(absl::Span<const float> logits, std::vector<float>* logprobs) {
  logprobs->resize(logits.size());
  if (logits.empty()) return;
  const float mx = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  for (float z : logits) sum += std::exp(static_cast<double>(z) - mx);
  const double lse = mx + std::log(sum);
  for (size_t i = 0; i < logits.size(); ++i) (*logprobs)[i] = static_cast<float>(logits[i] - lse);
}

}  // namespace rlvr
