#include "core/bpe.h"

#include <queue>

#include "absl/hash/hash.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/unicode_text.h"

namespace rlvr {
namespace {

// This Abseil has its own string_view type; hashed lookups and StrCat take that one.
absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// Words up to this many bytes have their ids cached; the cache stops growing at this many
// entries (typical text repeats a small set of words, so a full cache is rare).
constexpr size_t kMaxCachedWordBytes = 256;
constexpr size_t kMaxCacheEntries = 1 << 18;

struct Symbol {
  int32_t id;
  int32_t prev;  // index of the previous live symbol, -1 at the start
  int32_t next;  // index of the next live symbol, -1 at the end
  bool alive;
};

// A pair that could merge: lower rank first, then the leftmost position.
struct Candidate {
  uint32_t rank;
  int32_t pos;
  int32_t new_id;
  bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
};

}  // namespace

absl::StatusOr<std::unique_ptr<BpeModel>> BpeModel::Create(
    const std::vector<std::pair<std::string, int32_t>>& vocab,
    const std::vector<std::pair<std::string, std::string>>& merges, const BpeOptions& options) {
  std::unique_ptr<BpeModel> model(new BpeModel());
  model->options_ = options;
  model->token_to_id_.reserve(vocab.size());
  for (const auto& [token, id] : vocab) {
    if (id < 0) return absl::InvalidArgumentError(absl::StrCat("negative token id ", id));
    if (!model->token_to_id_.emplace(token, id).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("vocabulary has token ", token, " twice (after byte-level decoding)"));
    }
  }
  model->merges_.reserve(merges.size());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const std::string& left = merges[rank].first;
    const std::string& right = merges[rank].second;
    const auto find = [&](const std::string& token) -> absl::StatusOr<int32_t> {
      auto it = model->token_to_id_.find(token);
      if (it == model->token_to_id_.end()) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "merge %d (\"%s\" + \"%s\") refers to token \"%s\" which is not in "
            "the vocabulary",
            rank, absl::CHexEscape(left), absl::CHexEscape(right), absl::CHexEscape(token)));
      }
      return it->second;
    };
    absl::StatusOr<int32_t> a = find(left);
    if (!a.ok()) return a.status();
    absl::StatusOr<int32_t> b = find(right);
    if (!b.ok()) return b.status();
    absl::StatusOr<int32_t> merged = find(left + right);
    if (!merged.ok()) return merged.status();
    // A repeated pair takes its last rank, as in `tokenizers`.
    model->merges_[PairKey(*a, *b)] = Merge{static_cast<uint32_t>(rank), *merged};
  }
  if (options.byte_level) {
    model->byte_ids_.assign(256, -1);
    for (int b = 0; b < 256; ++b) {
      auto it = model->token_to_id_.find(std::string(1, static_cast<char>(b)));
      if (it != model->token_to_id_.end()) model->byte_ids_[b] = it->second;
    }
  }
  return model;
}

std::optional<int32_t> BpeModel::Find(std::string_view token) const {
  auto it = token_to_id_.find(Av(token));
  if (it == token_to_id_.end()) return std::nullopt;
  return it->second;
}

void BpeModel::Encode(std::string_view word, std::vector<int32_t>* ids) const {
  if (word.empty()) return;
  if (word.size() > kMaxCachedWordBytes) {
    EncodeUncached(word, ids);
    return;
  }
  const size_t hash = absl::Hash<absl::string_view>()(Av(word));
  // High bits pick the shard: the map inside uses the low bits.
  CacheShard& shard = cache_[(hash >> 52) % kCacheShards];
  {
    absl::MutexLock lock(&shard.mutex);
    auto it = shard.words.find(Av(word));
    if (it != shard.words.end()) {
      ids->insert(ids->end(), it->second.begin(), it->second.end());
      return;
    }
  }
  const size_t start = ids->size();
  EncodeUncached(word, ids);
  absl::MutexLock lock(&shard.mutex);
  if (shard.words.size() < kMaxCacheEntries / kCacheShards) {
    shard.words.emplace(std::string(word), std::vector<int32_t>(ids->begin() + start, ids->end()));
  }
}

void BpeModel::InitialSymbols(std::string_view word, std::vector<int32_t>* symbols) const {
  bool last_was_unk = false;
  const auto push_unknown = [&]() {
    if (!options_.unk_id.has_value()) return;  // dropped, as `tokenizers` does without unk
    if (options_.fuse_unk && last_was_unk) return;
    symbols->push_back(*options_.unk_id);
    last_was_unk = true;
  };
  for (size_t pos = 0; pos < word.size();) {
    size_t length = 1;
    std::optional<int32_t> id;
    if (options_.byte_level) {
      const int32_t b = byte_ids_[static_cast<uint8_t>(word[pos])];
      if (b >= 0) id = b;
    } else {
      DecodeUtf8At(word, pos, &length);
      id = Find(word.substr(pos, length));
    }
    if (id.has_value()) {
      symbols->push_back(*id);
      last_was_unk = false;
    } else if (options_.byte_fallback) {
      std::vector<int32_t> bytes;
      for (size_t i = 0; i < length; ++i) {
        auto byte_id = Find(absl::StrFormat("<0x%02X>", static_cast<uint8_t>(word[pos + i])));
        if (!byte_id.has_value()) break;
        bytes.push_back(*byte_id);
      }
      if (bytes.size() == length) {
        symbols->insert(symbols->end(), bytes.begin(), bytes.end());
        last_was_unk = false;
      } else {
        push_unknown();
      }
    } else {
      push_unknown();
    }
    pos += length;
  }
}

void BpeModel::EncodeUncached(std::string_view word, std::vector<int32_t>* ids) const {
  if (options_.ignore_merges) {
    if (auto id = Find(word); id.has_value()) {
      ids->push_back(*id);
      return;
    }
  }
  std::vector<int32_t> initial;
  initial.reserve(word.size());
  InitialSymbols(word, &initial);
  if (initial.size() <= 1) {
    ids->insert(ids->end(), initial.begin(), initial.end());
    return;
  }
  const int32_t n = static_cast<int32_t>(initial.size());
  std::vector<Symbol> symbols(n);
  for (int32_t i = 0; i < n; ++i) {
    symbols[i] = Symbol{initial[i], i - 1, i + 1 < n ? i + 1 : -1, true};
  }
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue;
  const auto consider = [&](int32_t left) {
    const int32_t right = symbols[left].next;
    if (right < 0) return;
    auto it = merges_.find(PairKey(symbols[left].id, symbols[right].id));
    if (it != merges_.end()) queue.push(Candidate{it->second.rank, left, it->second.new_id});
  };
  for (int32_t i = 0; i + 1 < n; ++i) consider(i);
  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    Symbol& left = symbols[top.pos];
    if (!left.alive || left.next < 0) continue;
    Symbol& right = symbols[left.next];
    // Skip candidates made stale by earlier merges: the pair at pos must still produce new_id.
    auto it = merges_.find(PairKey(left.id, right.id));
    if (it == merges_.end() || it->second.new_id != top.new_id) continue;
    left.id = top.new_id;
    right.alive = false;
    left.next = right.next;
    if (left.next >= 0) symbols[left.next].prev = top.pos;
    if (left.prev >= 0) consider(left.prev);
    consider(top.pos);
  }
  for (int32_t i = 0; i >= 0; i = symbols[i].next) ids->push_back(symbols[i].id);
}

}  // namespace rlvr
