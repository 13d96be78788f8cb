// Per-session cgroups for memory and process limits. Uses the unified (v2) hierarchy when the
// service's cgroup delegates memory and pids, else the v1 memory and pids hierarchies when they
// are mounted and writable, else none — and says which, and why, in Describe().
#ifndef RLVR_SANDBOX_CGROUPS_H_
#define RLVR_SANDBOX_CGROUPS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "sandbox/channel.h"

namespace rlvr::sandbox {

// One session's cgroup(s). The session init joins them by writing "0" to each procs fd.
class SessionCgroup {
 public:
  ~SessionCgroup();
  SessionCgroup(const SessionCgroup&) = delete;
  SessionCgroup& operator=(const SessionCgroup&) = delete;

  // Writable cgroup.procs files, one per hierarchy (0, 1 or 2 of them).
  std::vector<int> procs_fds() const;
  // True when the kernel killed a process of the session for exceeding the memory limit.
  bool OomKilled() const;
  // Peak memory of the whole session in bytes, or 0 when unknown.
  int64_t PeakMemoryBytes() const;

 private:
  friend class CgroupManager;
  SessionCgroup() = default;
  int version_ = 0;
  std::vector<std::string> dirs_;
  std::vector<UniqueFd> procs_;
  int64_t oom_kills_before_ = 0;
};

class CgroupManager {
 public:
  // Probes the machine. Never fails: without usable cgroups, Create() returns nullptr.
  static std::unique_ptr<CgroupManager> Probe();
  ~CgroupManager();

  bool available() const { return version_ != 0; }
  // "cgroup v1 (memory, pids) under ..." or "no cgroups: <reason>".
  const std::string& Describe() const { return description_; }

  // A new cgroup with the given limits; nullptr when cgroups are unavailable.
  absl::StatusOr<std::unique_ptr<SessionCgroup>> Create(int64_t memory_bytes, int32_t pids);

 private:
  CgroupManager() = default;
  int version_ = 0;
  std::string description_;
  // v2: one base directory; v1: memory base, pids base.
  std::vector<std::string> bases_;
  absl::Mutex mu_;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace rlvr::sandbox

#endif  // RLVR_SANDBOX_CGROUPS_H_
