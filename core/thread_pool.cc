#include "core/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>

namespace rlvr {
namespace {

// How long a thread spins on new work (or its helpers' results) before it sleeps.
constexpr std::chrono::microseconds kSpin(30);

void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

// Spins until ready() or kSpin has passed; returns ready().
template <typename Ready>
bool SpinUntil(const Ready& ready) {
  const auto deadline = std::chrono::steady_clock::now() + kSpin;
  for (int i = 0;; ++i) {
    if (ready()) return true;
    // Read the clock only now and then: it costs more than a pause.
    if ((i & 63) == 63 && std::chrono::steady_clock::now() >= deadline) return ready();
    CpuRelax();
  }
}

}  // namespace

ThreadPool::ThreadPool(int num_threads) {
  const int n = std::max(num_threads, 1);
  workers_.reserve(n);
  for (int i = 0; i < n; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::Submit(std::function<void()> fn) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(fn));
  queued_.fetch_add(1, std::memory_order_release);
}

void ThreadPool::WorkerLoop() {
  for (;;) {
    SpinUntil([this] { return queued_.load(std::memory_order_acquire) > 0; });
    std::function<void()> task;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &ThreadPool::HasTaskOrStopping));
      if (queue_.empty()) return;  // stopping, and nothing left to run
      task = std::move(queue_.front());
      queue_.pop_front();
      queued_.fetch_sub(1, std::memory_order_relaxed);
    }
    task();
  }
}

std::vector<std::pair<int64_t, int64_t>> ThreadPool::Partition(int64_t begin, int64_t end,
                                                               int parts) {
  std::vector<std::pair<int64_t, int64_t>> chunks;
  if (end <= begin) return chunks;
  const int64_t n = end - begin;
  const int64_t k = std::clamp<int64_t>(parts, 1, n);
  const int64_t base = n / k, longer = n % k;
  int64_t lo = begin;
  for (int64_t i = 0; i < k; ++i) {
    const int64_t hi = lo + base + (i < longer ? 1 : 0);
    chunks.emplace_back(lo, hi);
    lo = hi;
  }
  return chunks;
}

void ThreadPool::ParallelFor(int64_t begin, int64_t end,
                             const std::function<void(int64_t, int64_t)>& fn) {
  // State shared with helper tasks. A helper may be dequeued after this call has returned (all
  // chunks taken by others); it then only sees next >= size and leaves, so the state is
  // reference-counted while fn and the chunks are only touched for claimed chunks.
  struct Shared {
    std::vector<std::pair<int64_t, int64_t>> chunks;
    const std::function<void(int64_t, int64_t)>* fn = nullptr;
    std::atomic<size_t> next{0};
    absl::Mutex mu;
    std::atomic<size_t> done{0};  // written under mu, so that a sleeping caller is woken
  };
  auto shared = std::make_shared<Shared>();
  shared->chunks = Partition(begin, end, num_threads());
  shared->fn = &fn;
  const size_t num_chunks = shared->chunks.size();
  if (num_chunks == 0) return;

  auto run_chunks = [](Shared& s) {
    for (;;) {
      const size_t i = s.next.fetch_add(1);
      if (i >= s.chunks.size()) return;
      (*s.fn)(s.chunks[i].first, s.chunks[i].second);
      absl::MutexLock lock(&s.mu);
      s.done.fetch_add(1, std::memory_order_release);
    }
  };
  for (size_t i = 1; i < num_chunks; ++i) {
    Submit([shared, run_chunks] { run_chunks(*shared); });
  }
  run_chunks(*shared);
  Shared* s = shared.get();
  auto all_done =
      +[](Shared* st) { return st->done.load(std::memory_order_acquire) == st->chunks.size(); };
  if (SpinUntil([s, all_done] { return all_done(s); })) return;
  absl::MutexLock lock(&shared->mu);
  shared->mu.Await(absl::Condition(all_done, s));
}

}  // namespace rlvr
