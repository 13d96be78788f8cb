#include "sandbox/isolation.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <seccomp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include <climits>

#include "absl/strings/str_cat.h"

namespace rlvr::sandbox {
namespace {

// The new root is built on a tmpfs mounted over /tmp of the zygote's private mount namespace;
// the host's /tmp is untouched.
constexpr char kNewRoot[] = "/tmp";
constexpr char kEmptyFile[] = "/.rlvr-empty";

absl::Status Errno(const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", strerror(errno)));
}

absl::Status MakeDirs(const std::string& path) {
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') {
      std::string prefix = path.substr(0, i);
      if (mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) {
        return Errno(absl::StrCat("mkdir ", prefix));
      }
    }
  }
  return absl::OkStatus();
}

std::string Parent(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

absl::Status BindReadOnly(const std::string& source, const std::string& target, bool device) {
  if (mount(source.c_str(), target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
    return Errno(absl::StrCat("bind ", source));
  }
  unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID;
  if (!device) flags |= MS_NODEV;
  if (mount(nullptr, target.c_str(), nullptr, flags, nullptr) != 0) {
    return Errno(absl::StrCat("remount read-only ", target));
  }
  return absl::OkStatus();
}

absl::Status AddPath(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return absl::OkStatus();  // not on this host
  std::string target = std::string(kNewRoot) + path;
  if (absl::Status s = MakeDirs(Parent(target)); !s.ok()) return s;
  if (S_ISLNK(st.st_mode)) {
    char link[PATH_MAX];
    ssize_t n = readlink(path.c_str(), link, sizeof(link) - 1);
    if (n < 0) return Errno(absl::StrCat("readlink ", path));
    link[n] = '\0';
    if (symlink(link, target.c_str()) != 0 && errno != EEXIST) {
      return Errno(absl::StrCat("symlink ", target));
    }
    return absl::OkStatus();
  }
  if (S_ISDIR(st.st_mode)) {
    if (absl::Status s = MakeDirs(target); !s.ok()) return s;
  } else {
    int fd = open(target.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0444);
    if (fd < 0) return Errno(absl::StrCat("create ", target));
    close(fd);
  }
  return BindReadOnly(path, target, S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode));
}

}  // namespace

absl::Status EnterSandboxRoot(const std::vector<std::string>& ro_paths,
                              const std::vector<std::string>& hidden_paths) {
  if (unshare(CLONE_NEWNS) != 0) return Errno("unshare(CLONE_NEWNS)");
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return Errno("make / private");
  }
  if (mount("rlvr-root", kNewRoot, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755") != 0) {
    return Errno("mount root tmpfs");
  }
  for (const std::string& path : ro_paths) {
    if (path.empty() || path[0] != '/') {
      return absl::InvalidArgumentError(absl::StrCat("mount path must be absolute: ", path));
    }
    if (absl::Status s = AddPath(path); !s.ok()) return s;
  }
  const std::string empty = std::string(kNewRoot) + kEmptyFile;
  int fd = open(empty.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0444);
  if (fd < 0) return Errno("create empty file");
  close(fd);
  for (const std::string& path : hidden_paths) {
    std::string target = std::string(kNewRoot) + path;
    struct stat st;
    if (lstat(target.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (absl::Status s = BindReadOnly(empty, target, false); !s.ok()) return s;
  }
  for (const char* dir : {"/tmp", "/proc"}) {
    if (absl::Status s = MakeDirs(std::string(kNewRoot) + dir); !s.ok()) return s;
  }
  if (chdir(kNewRoot) != 0) return Errno("chdir new root");
  if (syscall(SYS_pivot_root, ".", ".") != 0) return Errno("pivot_root");
  if (umount2(".", MNT_DETACH) != 0) return Errno("detach old root");
  if (chdir("/") != 0) return Errno("chdir /");
  if (mount(nullptr, "/", nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV,
            nullptr) != 0) {
    return Errno("remount root read-only");
  }
  return absl::OkStatus();
}

absl::Status MountSessionFilesystems(uid_t uid, gid_t gid, int64_t tmp_size_bytes, bool tmp_exec,
                                     bool mount_proc) {
  std::string options = absl::StrCat("size=", tmp_size_bytes, ",mode=0755,uid=", uid, ",gid=", gid);
  unsigned long flags = MS_NOSUID | MS_NODEV | (tmp_exec ? 0 : MS_NOEXEC);
  if (mount("rlvr-tmp", "/tmp", "tmpfs", flags, options.c_str()) != 0) {
    return Errno("mount /tmp");
  }
  if (mount_proc &&
      mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2") != 0) {
    return Errno("mount /proc");
  }
  if (sethostname("sandbox", 7) != 0) return Errno("sethostname");
  return absl::OkStatus();
}

namespace {

absl::Status SetLimit(int resource, rlim_t soft, rlim_t hard, const char* name) {
  rlimit rl = {soft, hard};
  if (setrlimit(resource, &rl) != 0) return Errno(absl::StrCat("setrlimit ", name));
  return absl::OkStatus();
}

absl::Status ApplyRlimits(const ProcessLimits& limits) {
  if (limits.cpu_time_ms > 0) {
    rlim_t seconds = static_cast<rlim_t>((limits.cpu_time_ms + 999) / 1000);
    // The soft limit raises SIGXCPU; the hard limit, one second later, SIGKILL for programs
    // that catch or ignore it.
    if (absl::Status s = SetLimit(RLIMIT_CPU, seconds, seconds + 1, "CPU"); !s.ok()) return s;
  }
  if (limits.memory_bytes > 0) {
    rlim_t bytes = static_cast<rlim_t>(limits.memory_bytes);
    if (absl::Status s = SetLimit(RLIMIT_AS, bytes, bytes, "AS"); !s.ok()) return s;
  }
  if (limits.file_size_bytes > 0) {
    rlim_t bytes = static_cast<rlim_t>(limits.file_size_bytes);
    if (absl::Status s = SetLimit(RLIMIT_FSIZE, bytes, bytes, "FSIZE"); !s.ok()) return s;
  }
  if (limits.open_files > 0) {
    rlim_t n = static_cast<rlim_t>(limits.open_files);
    if (absl::Status s = SetLimit(RLIMIT_NOFILE, n, n, "NOFILE"); !s.ok()) return s;
  }
  if (limits.processes > 0) {
    rlim_t n = static_cast<rlim_t>(limits.processes);
    if (absl::Status s = SetLimit(RLIMIT_NPROC, n, n, "NPROC"); !s.ok()) return s;
  }
  for (auto [resource, name] : {std::pair{RLIMIT_CORE, "CORE"},
                                {RLIMIT_MEMLOCK, "MEMLOCK"},
                                {RLIMIT_MSGQUEUE, "MSGQUEUE"}}) {
    if (absl::Status s = SetLimit(resource, 0, 0, name); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status DropPrivileges(uid_t uid, gid_t gid) {
  for (int cap = 0; cap <= CAP_LAST_CAP; ++cap) {
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
      return Errno("drop capability bounding set");
    }
  }
  if (setgroups(0, nullptr) != 0) return Errno("setgroups");
  if (setresgid(gid, gid, gid) != 0) return Errno("setresgid");
  if (setresuid(uid, uid, uid) != 0) return Errno("setresuid");
  __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capset, &header, data) != 0) return Errno("capset");
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) {
    return Errno("clear ambient capabilities");
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return Errno("no_new_privs");
  // Verify rather than trust: nothing effective or permitted may remain.
  if (syscall(SYS_capget, &header, data) != 0) return Errno("capget");
  if (data[0].effective != 0 || data[0].permitted != 0 || data[1].effective != 0 ||
      data[1].permitted != 0) {
    return absl::InternalError("capabilities remain after dropping privileges");
  }
  if (getuid() != uid || geteuid() != uid) return absl::InternalError("uid switch failed");
  return absl::OkStatus();
}

// System calls a test program never needs. Denied with EPERM so that programs see an ordinary
// error instead of dying mysteriously.
constexpr int kDeniedSyscalls[] = {
    SCMP_SYS(ptrace),
    SCMP_SYS(process_vm_readv),
    SCMP_SYS(process_vm_writev),
    SCMP_SYS(pidfd_getfd),
    SCMP_SYS(pidfd_open),
    SCMP_SYS(kcmp),
    SCMP_SYS(mount),
    SCMP_SYS(umount2),
    SCMP_SYS(pivot_root),
    SCMP_SYS(chroot),
    SCMP_SYS(move_mount),
    SCMP_SYS(open_tree),
    SCMP_SYS(fsopen),
    SCMP_SYS(fsconfig),
    SCMP_SYS(fsmount),
    SCMP_SYS(fspick),
    SCMP_SYS(mount_setattr),
    SCMP_SYS(unshare),
    SCMP_SYS(setns),
    SCMP_SYS(kexec_load),
    SCMP_SYS(kexec_file_load),
    SCMP_SYS(reboot),
    SCMP_SYS(init_module),
    SCMP_SYS(finit_module),
    SCMP_SYS(delete_module),
    SCMP_SYS(bpf),
    SCMP_SYS(perf_event_open),
    SCMP_SYS(keyctl),
    SCMP_SYS(add_key),
    SCMP_SYS(request_key),
    SCMP_SYS(userfaultfd),
    SCMP_SYS(swapon),
    SCMP_SYS(swapoff),
    SCMP_SYS(acct),
    SCMP_SYS(quotactl),
    SCMP_SYS(settimeofday),
    SCMP_SYS(clock_settime),
    SCMP_SYS(clock_adjtime),
    SCMP_SYS(adjtimex),
    SCMP_SYS(sethostname),
    SCMP_SYS(setdomainname),
    SCMP_SYS(iopl),
    SCMP_SYS(ioperm),
    SCMP_SYS(syslog),
    SCMP_SYS(personality),
    SCMP_SYS(name_to_handle_at),
    SCMP_SYS(open_by_handle_at),
    SCMP_SYS(io_uring_setup),
    SCMP_SYS(io_uring_enter),
    SCMP_SYS(io_uring_register),
    SCMP_SYS(fanotify_init),
    SCMP_SYS(lookup_dcookie),
    SCMP_SYS(vhangup),
};

constexpr uint64_t kNamespaceFlags[] = {CLONE_NEWUSER, CLONE_NEWNS,  CLONE_NEWPID,   CLONE_NEWNET,
                                        CLONE_NEWIPC,  CLONE_NEWUTS, CLONE_NEWCGROUP};

absl::Status LoadSeccomp(SeccompProfile profile) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (ctx == nullptr) return absl::InternalError("seccomp_init failed");
  auto fail = [&](const char* what, int rc) {
    seccomp_release(ctx);
    return absl::InternalError(absl::StrCat("seccomp ", what, ": ", strerror(-rc)));
  };
  const uint32_t deny = SCMP_ACT_ERRNO(EPERM);
  int rc;
  for (int nr : kDeniedSyscalls) {
    if ((rc = seccomp_rule_add(ctx, deny, nr, 0)) != 0) return fail("rule", rc);
  }
  // clone3 passes its flags in memory the filter cannot read; ENOSYS makes libc fall back to
  // clone, whose flags are checked below.
  if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0)) != 0) {
    return fail("clone3", rc);
  }
  for (uint64_t flag : kNamespaceFlags) {
    rc = seccomp_rule_add(ctx, deny, SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag));
    if (rc != 0) return fail("clone", rc);
  }
  // Sockets: only AF_UNIX (there is no network interface anyway).
  rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
                        SCMP_A0(SCMP_CMP_NE, AF_UNIX));
  if (rc != 0) return fail("socket", rc);
  rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socketpair), 1,
                        SCMP_A0(SCMP_CMP_NE, AF_UNIX));
  if (rc != 0) return fail("socketpair", rc);
  rc = seccomp_rule_add(ctx, deny, SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_EQ, TIOCSTI));
  if (rc != 0) return fail("ioctl", rc);
  if (profile == SeccompProfile::kPython) {
    // A signal handler receives the interrupted frame; from there the test code's globals are
    // reachable. The harness installs none, so programs may not either.
    rc = seccomp_rule_add(ctx, deny, SCMP_SYS(rt_sigaction), 1, SCMP_A1(SCMP_CMP_NE, 0));
    if (rc != 0) return fail("rt_sigaction", rc);
  }
  if ((rc = seccomp_load(ctx)) != 0) return fail("load", rc);
  seccomp_release(ctx);
  return absl::OkStatus();
}

}  // namespace

absl::Status RestrictProcess(const ProcessLimits& limits, uid_t uid, gid_t gid,
                             SeccompProfile profile) {
  if (absl::Status s = ApplyRlimits(limits); !s.ok()) return s;
  if (absl::Status s = DropPrivileges(uid, gid); !s.ok()) return s;
  return LoadSeccomp(profile);
}

}  // namespace rlvr::sandbox
