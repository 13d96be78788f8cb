#include "rollout/kv_block_allocator.h"

#include <set>

#include "gtest/gtest.h"

namespace rlvr {
namespace {

TEST(BlocksForTokensTest, RoundsUp) {
  EXPECT_EQ(BlocksForTokens(0, 4), 0);
  EXPECT_EQ(BlocksForTokens(1, 4), 1);
  EXPECT_EQ(BlocksForTokens(4, 4), 1);
  EXPECT_EQ(BlocksForTokens(5, 4), 2);
}

TEST(KvBlockAllocatorTest, HandsOutEveryBlockOnceThenNothing) {
  KvBlockAllocator a(5);
  std::set<int32_t> got;
  for (int i = 0; i < 5; ++i) {
    auto b = a.Allocate();
    ASSERT_TRUE(b.has_value());
    got.insert(*b);
  }
  EXPECT_EQ(got, (std::set<int32_t>{0, 1, 2, 3, 4}));
  EXPECT_FALSE(a.Allocate().has_value());
  EXPECT_EQ(a.num_free(), 0);
  EXPECT_EQ(a.num_used(), 5);
}

TEST(KvBlockAllocatorTest, LowestFreeIdFirst) {
  KvBlockAllocator a(4);
  for (int i = 0; i < 4; ++i) a.Allocate();
  a.Release(2);
  a.Release(0);
  EXPECT_EQ(*a.Allocate(), 0);
  EXPECT_EQ(*a.Allocate(), 2);
}

TEST(KvBlockAllocatorTest, SharedBlockIsFreedByItsLastHolder) {
  KvBlockAllocator a(2);
  const int32_t b = *a.Allocate();
  a.AddRef(b);
  a.AddRef(b);
  EXPECT_EQ(a.RefCount(b), 3);
  EXPECT_EQ(a.num_shared(), 1);
  a.Release(b);
  a.Release(b);
  EXPECT_EQ(a.num_shared(), 0);
  EXPECT_EQ(a.num_used(), 1);
  a.Release(b);
  EXPECT_EQ(a.num_used(), 0);
  EXPECT_EQ(a.RefCount(b), 0);
}

}  // namespace
}  // namespace rlvr
