#include "core/thread_pool.h"

#include <atomic>
#include <cstdint>
#include <set>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

namespace rlvr {
namespace {

using Chunks = std::vector<std::pair<int64_t, int64_t>>;

TEST(ThreadPoolTest, PartitionSplitsIntoBalancedContiguousChunks) {
  EXPECT_EQ(ThreadPool::Partition(0, 10, 3), (Chunks{{0, 4}, {4, 7}, {7, 10}}));
  EXPECT_EQ(ThreadPool::Partition(5, 7, 4), (Chunks{{5, 6}, {6, 7}}));
  EXPECT_EQ(ThreadPool::Partition(-3, 3, 2), (Chunks{{-3, 0}, {0, 3}}));
  EXPECT_EQ(ThreadPool::Partition(0, 5, 1), (Chunks{{0, 5}}));
  EXPECT_EQ(ThreadPool::Partition(0, 5, 0), (Chunks{{0, 5}}));
  EXPECT_TRUE(ThreadPool::Partition(4, 4, 3).empty());
  EXPECT_TRUE(ThreadPool::Partition(5, 1, 3).empty());
}

TEST(ThreadPoolTest, ParallelForVisitsEveryIndexExactlyOnce) {
  ThreadPool pool(4);
  std::vector<std::atomic<int>> visits(1001);
  pool.ParallelFor(0, 1001, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) visits[i].fetch_add(1);
  });
  for (size_t i = 0; i < visits.size(); ++i) EXPECT_EQ(visits[i].load(), 1) << i;
}

TEST(ThreadPoolTest, ParallelForUsesThePartitionChunks) {
  ThreadPool pool(3);
  absl::Mutex mu;
  std::set<std::pair<int64_t, int64_t>> seen;
  for (int repeat = 0; repeat < 20; ++repeat) {
    seen.clear();
    pool.ParallelFor(10, 27, [&](int64_t lo, int64_t hi) {
      absl::MutexLock lock(&mu);
      seen.emplace(lo, hi);
    });
    const Chunks expected = ThreadPool::Partition(10, 27, 3);
    EXPECT_EQ(Chunks(seen.begin(), seen.end()), expected);
  }
}

TEST(ThreadPoolTest, ParallelForOnEmptyRangeCallsNothing) {
  ThreadPool pool(2);
  int calls = 0;
  pool.ParallelFor(3, 3, [&](int64_t, int64_t) { ++calls; });
  EXPECT_EQ(calls, 0);
}

TEST(ThreadPoolTest, DestructorRunsEverySubmittedTask) {
  std::atomic<int> count{0};
  {
    ThreadPool pool(3);
    for (int i = 0; i < 200; ++i) pool.Submit([&] { count.fetch_add(1); });
  }
  EXPECT_EQ(count.load(), 200);
}

TEST(ThreadPoolTest, TasksSubmittedByTasksAlsoRunBeforeShutdown) {
  std::atomic<int> count{0};
  {
    ThreadPool pool(2);
    for (int i = 0; i < 10; ++i) {
      pool.Submit([&] {
        count.fetch_add(1);
        pool.Submit([&] { count.fetch_add(1); });
      });
    }
  }
  EXPECT_EQ(count.load(), 20);
}

TEST(ThreadPoolTest, NestedParallelForInsideParallelForCompletes) {
  ThreadPool pool(2);
  std::atomic<int64_t> sum{0};
  pool.ParallelFor(0, 8, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      pool.ParallelFor(0, 100, [&](int64_t a, int64_t b) {
        for (int64_t j = a; j < b; ++j) sum.fetch_add(j);
      });
    }
  });
  EXPECT_EQ(sum.load(), 8 * (99 * 100 / 2));
}

TEST(ThreadPoolTest, ParallelForFromInsideATaskOnASingleThreadPoolCompletes) {
  std::atomic<int> visited{0};
  {
    ThreadPool pool(1);
    pool.Submit([&] {
      pool.ParallelFor(
          0, 50, [&](int64_t lo, int64_t hi) { visited.fetch_add(static_cast<int>(hi - lo)); });
    });
  }
  EXPECT_EQ(visited.load(), 50);
}

TEST(ThreadPoolTest, ZeroThreadsMeansOne) {
  ThreadPool pool(0);
  EXPECT_EQ(pool.num_threads(), 1);
  std::atomic<int> n{0};
  pool.ParallelFor(0, 5, [&](int64_t lo, int64_t hi) { n.fetch_add(static_cast<int>(hi - lo)); });
  EXPECT_EQ(n.load(), 5);
}

}  // namespace
}  // namespace rlvr
