// A paged KV cache: a pool of fixed-size blocks, each holding K and V of `block_size` token
// positions for every layer. A sequence refers to its blocks through a block table (block ids in
// position order: position p lives in block table[p / block_size] at offset p % block_size).
//
// The pool only stores. Allocation, scheduling, prefix sharing and copy-on-write belong to the
// rollout engine, which hands block tables to the inference functions (model/inference.h) and
// calls CopyBlock before writing into a block it shares.
#ifndef RLVR_MODEL_KV_CACHE_H_
#define RLVR_MODEL_KV_CACHE_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "kernels/backend.h"
#include "model/config.h"

namespace rlvr {

using KvBlockTable = std::vector<int32_t>;

class KvCachePool {
 public:
  // Errors: num_blocks or block_size not positive, or a pool larger than max_bytes.
  static absl::StatusOr<KvCachePool> Create(const ModelConfig& config, int num_blocks,
                                            int block_size, int64_t max_bytes = int64_t{1} << 40);

  int num_blocks() const { return num_blocks_; }
  int block_size() const { return block_size_; }
  int num_layers() const { return num_layers_; }
  int64_t bytes() const { return static_cast<int64_t>(data_.size() * sizeof(float)); }
  // Floats of one token position in one layer for K (or V): kv_heads * head_dim.
  int64_t token_floats() const { return token_floats_; }

  // The view of `layer` that the backend's KvCacheWrite / PagedAttentionForward use.
  PagedKvLayer layer(int layer);
  // Copies every layer's K and V of block src into block dst (copy-on-write). Requires both in
  // [0, num_blocks).
  void CopyBlock(int src, int dst);
  // Pointers to K or V of one (block, layer) slot range: [block_size, kv_heads, head_dim].
  const float* k_block(int block, int layer) const;
  const float* v_block(int block, int layer) const;

 private:
  KvCachePool() = default;
  int num_blocks_ = 0, block_size_ = 0, num_layers_ = 0, kv_heads_ = 0, head_dim_ = 0;
  int64_t token_floats_ = 0;
  int64_t block_floats_ = 0;  // layers * 2 * block_size * token_floats
  // [num_blocks][layers][K, V][block_size][kv_heads][head_dim]
  std::vector<float> data_;
};

}  // namespace rlvr

#endif  // RLVR_MODEL_KV_CACHE_H_
