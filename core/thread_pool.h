// A fixed-size pool of worker threads with a FIFO task queue, and a blocking ParallelFor whose
// split of the range depends only on the range and the thread count. Idle workers, and a
// ParallelFor caller waiting for its helpers, spin for a few microseconds before they sleep:
// model ops arrive in quick bursts, and waking a sleeping thread costs more than a small op.
#ifndef RLVR_CORE_THREAD_POOL_H_
#define RLVR_CORE_THREAD_POOL_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace rlvr {

class ThreadPool {
 public:
  // Starts max(num_threads, 1) workers.
  explicit ThreadPool(int num_threads);
  // Runs every task submitted so far (including tasks they submit), then joins the workers.
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return static_cast<int>(workers_.size()); }

  // Queues fn to run on a worker. Callable from any thread, including from inside a task, but
  // not after the destructor has started on another thread.
  void Submit(std::function<void()> fn);

  // Calls fn(chunk_begin, chunk_end) for each chunk of Partition(begin, end, num_threads()) and
  // returns when all have finished. Chunks run concurrently on the workers and the calling
  // thread (which takes chunks too, so calling ParallelFor from inside a task cannot deadlock).
  // Which thread runs which chunk is not fixed; the chunk boundaries are.
  void ParallelFor(int64_t begin, int64_t end, const std::function<void(int64_t, int64_t)>& fn);

  // Splits [begin, end) into min(parts, end - begin) contiguous chunks in order, whose sizes
  // differ by at most one (the first (end - begin) % parts chunks are the longer ones). Empty
  // when end <= begin.
  static std::vector<std::pair<int64_t, int64_t>> Partition(int64_t begin, int64_t end, int parts);

 private:
  void WorkerLoop();
  bool HasTaskOrStopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !queue_.empty() || stopping_;
  }

  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  std::atomic<int64_t> queued_{0};  // queue_.size(), readable without the lock
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace rlvr

#endif  // RLVR_CORE_THREAD_POOL_H_
