// A fixed pool of worker threads with a bounded queue: the admission control of the sandbox
// service. A job learns its worker index (0..workers-1), which the executor maps to a uid.
#ifndef RLVR_SANDBOX_EXECUTION_QUEUE_H_
#define RLVR_SANDBOX_EXECUTION_QUEUE_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace rlvr::sandbox {

class ExecutionQueue {
 public:
  using Job = std::function<void(int worker)>;

  ExecutionQueue(int workers, int capacity);
  // Runs every queued job, then joins the workers.
  ~ExecutionQueue();

  // Queues all `jobs` or none. `capacity` counts jobs waiting or running: RESOURCE_EXHAUSTED
  // when fewer than jobs.size() places are free,
  // INVALID_ARGUMENT when jobs.size() exceeds the capacity itself, UNAVAILABLE after Shutdown.
  absl::Status SubmitAll(std::vector<Job> jobs);
  absl::Status Submit(Job job);

  // Refuses new jobs; queued and running jobs still complete. Returns when all are done.
  void Shutdown();

  int workers() const { return static_cast<int>(threads_.size()); }

 private:
  void WorkerLoop(int worker);

  const int capacity_;
  absl::Mutex mu_;
  std::deque<Job> queue_ ABSL_GUARDED_BY(mu_);
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace rlvr::sandbox

#endif  // RLVR_SANDBOX_EXECUTION_QUEUE_H_
