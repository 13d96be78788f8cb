#include "sandbox/execution_queue.h"

#include "absl/strings/str_cat.h"

namespace rlvr::sandbox {

ExecutionQueue::ExecutionQueue(int workers, int capacity) : capacity_(capacity) {
  for (int i = 0; i < workers; ++i) threads_.emplace_back([this, i] { WorkerLoop(i); });
}

ExecutionQueue::~ExecutionQueue() {
  Shutdown();
  for (std::thread& t : threads_) t.join();
}

absl::Status ExecutionQueue::Submit(Job job) {
  std::vector<Job> jobs;
  jobs.push_back(std::move(job));
  return SubmitAll(std::move(jobs));
}

absl::Status ExecutionQueue::SubmitAll(std::vector<Job> jobs) {
  if (static_cast<int>(jobs.size()) > capacity_) {
    return absl::InvalidArgumentError(absl::StrCat(
        jobs.size(), " runs exceed the queue capacity of ", capacity_, "; split the batch"));
  }
  absl::MutexLock lock(&mu_);
  if (shutting_down_) return absl::UnavailableError("the sandbox is shutting down");
  const int taken = static_cast<int>(queue_.size()) + running_;
  if (taken + static_cast<int>(jobs.size()) > capacity_) {
    return absl::ResourceExhaustedError(absl::StrCat("sandbox queue full (", taken, " of ",
                                                     capacity_, " places taken); retry later"));
  }
  for (Job& job : jobs) queue_.push_back(std::move(job));
  return absl::OkStatus();
}

void ExecutionQueue::Shutdown() {
  absl::MutexLock lock(&mu_);
  shutting_down_ = true;
  mu_.Await(absl::Condition(
      +[](ExecutionQueue* q)
           ABSL_EXCLUSIVE_LOCKS_REQUIRED(q->mu_) { return q->queue_.empty() && q->running_ == 0; },
      this));
}

void ExecutionQueue::WorkerLoop(int worker) {
  while (true) {
    Job job;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](ExecutionQueue* q) ABSL_EXCLUSIVE_LOCKS_REQUIRED(q->mu_) {
            return !q->queue_.empty() || q->shutting_down_;
          },
          this));
      if (queue_.empty()) return;  // shutting down and drained
      job = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
    }
    job(worker);
    absl::MutexLock lock(&mu_);
    --running_;
  }
}

}  // namespace rlvr::sandbox
