// The bookkeeping half of the paged KV cache: which fixed-size blocks of the pool are free, and
// how many sequences hold each used block. The memory itself belongs to the model (DecodeModel);
// this class only hands out block ids.
//
// Blocks are shared by reference count: the n samples of one prompt hold the prompt's blocks
// together, and a sample about to write into a block that others still hold copies it first
// (copy-on-write, see Engine).
#ifndef RLVR_ROLLOUT_KV_BLOCK_ALLOCATOR_H_
#define RLVR_ROLLOUT_KV_BLOCK_ALLOCATOR_H_

#include <cstdint>
#include <optional>
#include <vector>

namespace rlvr {

// Blocks needed to hold `tokens` tokens.
inline int BlocksForTokens(int64_t tokens, int block_size) {
  return static_cast<int>((tokens + block_size - 1) / block_size);
}

// Not thread-safe: owned by the engine's scheduling thread.
class KvBlockAllocator {
 public:
  explicit KvBlockAllocator(int num_blocks);

  int num_blocks() const { return static_cast<int>(ref_counts_.size()); }
  int num_free() const { return static_cast<int>(free_.size()); }
  int num_used() const { return num_blocks() - num_free(); }
  // Used blocks held by more than one sequence.
  int num_shared() const { return num_shared_; }

  // A free block with reference count 1, or nullopt when the pool is empty. The lowest free id
  // is handed out first, so that allocation order is reproducible.
  std::optional<int32_t> Allocate();
  // One more holder of a used block.
  void AddRef(int32_t block);
  // One holder fewer; the block is free again when none is left.
  void Release(int32_t block);
  int RefCount(int32_t block) const { return ref_counts_[block]; }

 private:
  std::vector<int32_t> ref_counts_;
  std::vector<int32_t> free_;  // a min-heap of free ids
  int num_shared_ = 0;
};

}  // namespace rlvr

#endif  // RLVR_ROLLOUT_KV_BLOCK_ALLOCATOR_H_
