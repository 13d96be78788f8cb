#include "sandbox/execution_queue.h"

#include <atomic>
#include <set>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace rlvr::sandbox {
namespace {

TEST(ExecutionQueue, RunsEveryJobOnAWorkerIndex) {
  absl::Mutex mu;
  std::multiset<int> workers;
  {
    ExecutionQueue queue(3, 100);
    for (int i = 0; i < 50; ++i) {
      ASSERT_TRUE(queue
                      .Submit([&](int worker) {
                        absl::MutexLock lock(&mu);
                        workers.insert(worker);
                      })
                      .ok());
    }
  }
  EXPECT_EQ(workers.size(), 50u);
  for (int w : workers) EXPECT_TRUE(w >= 0 && w < 3) << w;
}

TEST(ExecutionQueue, FullQueueIsResourceExhausted) {
  absl::Notification release;
  ExecutionQueue queue(1, 2);
  // Two places: one job running (blocked), one waiting.
  ASSERT_TRUE(queue.Submit([&](int) { release.WaitForNotification(); }).ok());
  ASSERT_TRUE(queue.Submit([](int) {}).ok());
  absl::Status full = queue.Submit([](int) {});
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted) << full;
  release.Notify();
}

TEST(ExecutionQueue, BatchIsAdmittedWhollyOrNotAtAll) {
  absl::Notification release;
  std::atomic<int> ran{0};
  {
    ExecutionQueue queue(1, 3);
    ASSERT_TRUE(queue.Submit([&](int) { release.WaitForNotification(); }).ok());
    std::vector<ExecutionQueue::Job> three(3, [&](int) { ran.fetch_add(1); });
    EXPECT_EQ(queue.SubmitAll(three).code(), absl::StatusCode::kResourceExhausted);
    std::vector<ExecutionQueue::Job> two(2, [&](int) { ran.fetch_add(1); });
    EXPECT_TRUE(queue.SubmitAll(two).ok());
    std::vector<ExecutionQueue::Job> too_big(4, [](int) {});
    EXPECT_EQ(queue.SubmitAll(too_big).code(), absl::StatusCode::kInvalidArgument);
    release.Notify();
  }
  EXPECT_EQ(ran.load(), 2);
}

TEST(ExecutionQueue, ShutdownFinishesAdmittedJobsAndRefusesNewOnes) {
  std::atomic<int> ran{0};
  ExecutionQueue queue(2, 10);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(queue.Submit([&](int) { ran.fetch_add(1); }).ok());
  queue.Shutdown();
  EXPECT_EQ(ran.load(), 10);
  EXPECT_EQ(queue.Submit([](int) {}).code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace rlvr::sandbox
