#include "model/kv_cache.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"

namespace rlvr {

absl::StatusOr<KvCachePool> KvCachePool::Create(const ModelConfig& config, int num_blocks,
                                                int block_size, int64_t max_bytes) {
  if (num_blocks <= 0 || block_size <= 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "KV cache: num_blocks (%d) and block_size (%d) must be > 0", num_blocks, block_size));
  }
  KvCachePool pool;
  pool.num_blocks_ = num_blocks;
  pool.block_size_ = block_size;
  pool.num_layers_ = config.num_hidden_layers;
  pool.kv_heads_ = config.num_key_value_heads;
  pool.head_dim_ = config.head_dim;
  pool.token_floats_ = static_cast<int64_t>(pool.kv_heads_) * pool.head_dim_;
  pool.block_floats_ = static_cast<int64_t>(pool.num_layers_) * 2 * block_size * pool.token_floats_;
  const double bytes = static_cast<double>(pool.block_floats_) * num_blocks * sizeof(float);
  if (bytes > static_cast<double>(max_bytes)) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "KV cache of %d blocks x %d tokens needs %.0f bytes, more than the limit %d", num_blocks,
        block_size, bytes, max_bytes));
  }
  pool.data_.assign(static_cast<size_t>(pool.block_floats_) * num_blocks, 0.0f);
  return pool;
}

PagedKvLayer KvCachePool::layer(int layer) {
  PagedKvLayer view;
  const int64_t layer_floats = 2 * block_size_ * token_floats_;
  view.k = data_.data() + layer * layer_floats;
  view.v = view.k + block_size_ * token_floats_;
  view.block_stride = block_floats_;
  view.block_size = block_size_;
  view.kv_heads = kv_heads_;
  view.head_dim = head_dim_;
  return view;
}

void KvCachePool::CopyBlock(int src, int dst) {
  std::copy_n(data_.data() + src * block_floats_, block_floats_,
              data_.data() + dst * block_floats_);
}

const float* KvCachePool::k_block(int block, int layer) const {
  return data_.data() + block * block_floats_ + layer * 2 * block_size_ * token_floats_;
}

const float* KvCachePool::v_block(int block, int layer) const {
  return k_block(block, layer) + block_size_ * token_floats_;
}

}  // namespace rlvr
