#include "rollout/kv_block_allocator.h"

#include <algorithm>
#include <cassert>
#include <functional>

namespace rlvr {

KvBlockAllocator::KvBlockAllocator(int num_blocks) : ref_counts_(num_blocks, 0) {
  free_.reserve(num_blocks);
  for (int32_t b = 0; b < num_blocks; ++b) free_.push_back(b);
  std::make_heap(free_.begin(), free_.end(), std::greater<>());
}

std::optional<int32_t> KvBlockAllocator::Allocate() {
  if (free_.empty()) return std::nullopt;
  std::pop_heap(free_.begin(), free_.end(), std::greater<>());
  const int32_t block = free_.back();
  free_.pop_back();
  ref_counts_[block] = 1;
  return block;
}

void KvBlockAllocator::AddRef(int32_t block) {
  assert(ref_counts_[block] > 0);
  if (ref_counts_[block]++ == 1) ++num_shared_;
}

void KvBlockAllocator::Release(int32_t block) {
  assert(ref_counts_[block] > 0);
  if (--ref_counts_[block] == 0) {
    free_.push_back(block);
    std::push_heap(free_.begin(), free_.end(), std::greater<>());
  } else if (ref_counts_[block] == 1) {
    --num_shared_;
  }
}

}  // namespace rlvr
