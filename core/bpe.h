// The BPE model of a Hugging Face tokenizer: turns one pre-tokenized word into token ids by
// applying merges in rank order, the way `tokenizers` does (lowest rank first, leftmost first
// among equal ranks).
#ifndef RLVR_CORE_BPE_H_
#define RLVR_CORE_BPE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace rlvr {

struct BpeOptions {
  // Symbols are bytes (vocabulary written in the GPT-2 byte alphabet and given here already
  // mapped back to raw bytes). Otherwise symbols are UTF-8 characters.
  bool byte_level = false;
  // Id for symbols missing from the vocabulary; without one they are dropped, as in `tokenizers`.
  std::optional<int32_t> unk_id;
  bool fuse_unk = false;       // consecutive unknown symbols give one unk id
  bool byte_fallback = false;  // unknown characters become <0xXX> byte tokens when present
  bool ignore_merges = false;  // a word that is itself a token is not split
};

class BpeModel {
 public:
  // vocab: (token, id) with tokens in symbol space (raw bytes when byte_level). merges: pairs of
  // tokens in rank order; both halves and their concatenation must be in vocab.
  static absl::StatusOr<std::unique_ptr<BpeModel>> Create(
      const std::vector<std::pair<std::string, int32_t>>& vocab,
      const std::vector<std::pair<std::string, std::string>>& merges, const BpeOptions& options);

  // Appends the ids of word to *ids. Thread-safe; results for short words are cached.
  void Encode(std::string_view word, std::vector<int32_t>* ids) const;

  // The id of a token written in symbol space, if it is in the vocabulary.
  std::optional<int32_t> Find(std::string_view token) const;

 private:
  struct Merge {
    uint32_t rank;
    int32_t new_id;
  };
  static uint64_t PairKey(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }

  BpeModel() = default;
  void EncodeUncached(std::string_view word, std::vector<int32_t>* ids) const;
  // Initial symbols of word, with unknown handling applied.
  void InitialSymbols(std::string_view word, std::vector<int32_t>* symbols) const;

  BpeOptions options_;
  absl::flat_hash_map<std::string, int32_t> token_to_id_;
  absl::flat_hash_map<uint64_t, Merge> merges_;  // PairKey(left, right) -> merge
  std::vector<int32_t> byte_ids_;                // byte_level: id of each single byte, -1 if none

  // The word cache is split into shards by hash so that threads encoding at once rarely wait
  // for each other.
  struct CacheShard {
    absl::Mutex mutex;
    absl::flat_hash_map<std::string, std::vector<int32_t>> words ABSL_GUARDED_BY(mutex);
  };
  static constexpr size_t kCacheShards = 16;
  mutable std::array<CacheShard, kCacheShards> cache_;
};

}  // namespace rlvr

#endif  // RLVR_CORE_BPE_H_
