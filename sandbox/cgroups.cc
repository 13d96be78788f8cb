#include "sandbox/cgroups.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace rlvr::sandbox {
namespace {

bool ReadFileTo(const std::string& path, std::string* out) {
  std::ifstream in(path);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

bool WriteFile(const std::string& path, const std::string& value) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = WriteAll(fd, value.data(), value.size());
  close(fd);
  return ok;
}

// The value of `key` in a "key value" per line file (memory.events, memory.oom_control).
int64_t KeyedValue(const std::string& path, const std::string& key) {
  std::string text;
  if (!ReadFileTo(path, &text)) return 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::vector<absl::string_view> parts = absl::StrSplit(line, ' ');
    int64_t v;
    if (parts.size() == 2 && parts[0] == key && absl::SimpleAtoi(parts[1], &v)) return v;
  }
  return 0;
}

int64_t SingleValue(const std::string& path) {
  std::string text;
  int64_t v = 0;
  if (!ReadFileTo(path, &text)) return 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &v)) return 0;
  return v;
}

// The service's own cgroup path in the hierarchy whose controller list contains `controller`
// ("" for the v2 line "0::/path").
std::string OwnCgroupPath(const std::string& controller) {
  std::string text;
  if (!ReadFileTo("/proc/self/cgroup", &text)) return "";
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::vector<std::string> parts = absl::StrSplit(line, absl::MaxSplits(':', 2));
    if (parts.size() != 3) continue;
    std::string path = parts[2] == "/" ? "" : parts[2];
    if (controller.empty() ? parts[1].empty() : absl::StrContains(parts[1], controller)) {
      for (absl::string_view c : absl::StrSplit(parts[1], ',')) {
        if (c == controller) return path;
      }
      if (controller.empty()) return path;
    }
  }
  return "";
}

// Creates `dir` and checks that it can be written to; an empty string when it cannot.
bool MakeBase(const std::string& dir, std::string* why) {
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    *why = absl::StrCat("cannot create ", dir, ": ", strerror(errno));
    return false;
  }
  return true;
}

}  // namespace

SessionCgroup::~SessionCgroup() {
  procs_.clear();
  // The session's processes are gone once its init is reaped; a cgroup whose last task is
  // still exiting refuses rmdir for a moment, so retry briefly.
  for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
    for (int attempt = 0; attempt < 200; ++attempt) {
      if (rmdir(it->c_str()) == 0 || errno != EBUSY) break;
      usleep(1000);
    }
  }
}

std::vector<int> SessionCgroup::procs_fds() const {
  std::vector<int> fds;
  for (const UniqueFd& fd : procs_) fds.push_back(fd.get());
  return fds;
}

bool SessionCgroup::OomKilled() const {
  if (dirs_.empty()) return false;
  if (version_ == 2) return KeyedValue(dirs_[0] + "/memory.events", "oom_kill") > 0;
  return KeyedValue(dirs_[0] + "/memory.oom_control", "oom_kill") > 0 ||
         SingleValue(dirs_[0] + "/memory.failcnt") > 0;
}

int64_t SessionCgroup::PeakMemoryBytes() const {
  if (dirs_.empty()) return 0;
  if (version_ == 2) return SingleValue(dirs_[0] + "/memory.peak");
  return SingleValue(dirs_[0] + "/memory.max_usage_in_bytes");
}

std::unique_ptr<CgroupManager> CgroupManager::Probe() {
  std::unique_ptr<CgroupManager> m(new CgroupManager());
  std::string why;
  std::string controllers;
  if (ReadFileTo("/sys/fs/cgroup/cgroup.controllers", &controllers)) {
    std::string own = "/sys/fs/cgroup" + OwnCgroupPath("");
    std::string subtree;
    ReadFileTo(own + "/cgroup.subtree_control", &subtree);
    if (absl::StrContains(subtree, "memory") && absl::StrContains(subtree, "pids")) {
      std::string base = absl::StrCat(own, "/rlvr-sandbox-", getpid());
      if (MakeBase(base, &why) && WriteFile(base + "/cgroup.subtree_control", "+memory +pids")) {
        m->version_ = 2;
        m->bases_ = {base};
        m->description_ = absl::StrCat("cgroup v2 (memory, pids) under ", base);
        return m;
      }
      if (why.empty()) why = "cannot enable memory and pids below " + base;
    } else {
      why = absl::StrCat("cgroup v2 at /sys/fs/cgroup does not delegate memory and pids to ", own,
                         " (subtree_control: '", absl::StripAsciiWhitespace(subtree), "')");
    }
  } else {
    std::string mem = "/sys/fs/cgroup/memory";
    std::string pids = "/sys/fs/cgroup/pids";
    struct stat st;
    if (stat((mem + "/cgroup.procs").c_str(), &st) == 0 &&
        stat((pids + "/cgroup.procs").c_str(), &st) == 0) {
      std::string mem_base = absl::StrCat(mem, OwnCgroupPath("memory"), "/rlvr-sandbox-", getpid());
      std::string pids_base = absl::StrCat(pids, OwnCgroupPath("pids"), "/rlvr-sandbox-", getpid());
      if (MakeBase(mem_base, &why) && MakeBase(pids_base, &why)) {
        m->version_ = 1;
        m->bases_ = {mem_base, pids_base};
        m->description_ =
            absl::StrCat("cgroup v1 (memory, pids) under ", mem_base, " and ", pids_base);
        return m;
      }
    } else {
      why = "neither a cgroup v2 hierarchy nor v1 memory and pids hierarchies are mounted";
    }
  }
  m->description_ =
      "no cgroups: " + why + "; memory and process counts are limited by rlimits only";
  return m;
}

CgroupManager::~CgroupManager() {
  for (const std::string& base : bases_) rmdir(base.c_str());
}

absl::StatusOr<std::unique_ptr<SessionCgroup>> CgroupManager::Create(int64_t memory_bytes,
                                                                     int32_t pids) {
  if (version_ == 0) return nullptr;
  uint64_t id;
  {
    absl::MutexLock lock(&mu_);
    id = next_id_++;
  }
  std::unique_ptr<SessionCgroup> cg(new SessionCgroup());
  cg->version_ = version_;
  for (size_t i = 0; i < bases_.size(); ++i) {
    std::string dir = absl::StrCat(bases_[i], "/s", id);
    if (mkdir(dir.c_str(), 0755) != 0) {
      return absl::InternalError(absl::StrCat("mkdir ", dir, ": ", strerror(errno)));
    }
    cg->dirs_.push_back(dir);
    bool memory_dir = version_ == 2 || i == 0;
    bool pids_dir = version_ == 2 || i == 1;
    bool ok = true;
    if (memory_dir && memory_bytes > 0) {
      std::string value = absl::StrCat(memory_bytes);
      if (version_ == 2) {
        ok = ok && WriteFile(dir + "/memory.max", value);
        WriteFile(dir + "/memory.swap.max", "0");  // absent without swap
      } else {
        ok = ok && WriteFile(dir + "/memory.limit_in_bytes", value);
        // Without swap accounting this file is absent; that is fine.
        WriteFile(dir + "/memory.memsw.limit_in_bytes", value);
      }
    }
    if (pids_dir && pids > 0) ok = ok && WriteFile(dir + "/pids.max", absl::StrCat(pids));
    if (!ok) return absl::InternalError(absl::StrCat("cannot set limits in ", dir));
    int fd = open((dir + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
      return absl::InternalError(absl::StrCat("open ", dir, "/cgroup.procs: ", strerror(errno)));
    }
    cg->procs_.emplace_back(fd);
  }
  return cg;
}

}  // namespace rlvr::sandbox
