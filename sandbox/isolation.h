// The isolation primitives, each called in one process of the chain
//
//   service -> zygote (private mount ns, read-only root)
//           -> session init (new pid, mount, net, ipc, uts namespaces; private /tmp)
//           -> program (rlimits, unprivileged uid, no_new_privs, no capabilities, seccomp)
//
// These functions run in freshly forked, single-threaded processes and only make system calls.
#ifndef RLVR_SANDBOX_ISOLATION_H_
#define RLVR_SANDBOX_ISOLATION_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace rlvr::sandbox {

// In the zygote: enters a private mount namespace whose root holds only `ro_paths` (bind-mounted
// read-only at their host locations; symlinks are recreated), empty mount points /tmp and
// /proc, and `hidden_paths` covered by an empty read-only file. The host root is detached.
// Paths that do not exist on the host are skipped.
absl::Status EnterSandboxRoot(const std::vector<std::string>& ro_paths,
                              const std::vector<std::string>& hidden_paths);

// In a session init (already in a new mount namespace): a fresh tmpfs on /tmp owned by
// uid:gid, limited to tmp_size_bytes, noexec unless tmp_exec; /proc of the new pid namespace
// when mount_proc.
absl::Status MountSessionFilesystems(uid_t uid, gid_t gid, int64_t tmp_size_bytes, bool tmp_exec,
                                     bool mount_proc);

struct ProcessLimits {
  int64_t cpu_time_ms = 0;
  int64_t memory_bytes = 0;
  int64_t file_size_bytes = 0;
  int32_t open_files = 0;
  int32_t processes = 0;
};

// Which system calls the program may make; every profile denies the dangerous ones (ptrace,
// mount, namespaces, kernel modules, bpf, perf, keyrings, non-unix sockets, ...).
enum class SeccompProfile {
  kExec,    // programs started with execve
  kPython,  // the embedded interpreter; additionally denies installing signal handlers
};

// In the program's process, as root, right before it runs: rlimits, supplementary groups
// cleared, capability bounding set emptied, uid/gid switched, no_new_privs, seccomp filter.
// Returns an error naming the step that failed; the process must then exit.
absl::Status RestrictProcess(const ProcessLimits& limits, uid_t uid, gid_t gid,
                             SeccompProfile profile);

}  // namespace rlvr::sandbox

#endif  // RLVR_SANDBOX_ISOLATION_H_
