#include "sandbox/executor.h"

#include <sys/random.h>
#include <sys/signal.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/config.h"

namespace rlvr::sandbox {
namespace {

using rlvr::v1::CaseResult;
using rlvr::v1::ExecuteRequest;
using rlvr::v1::ExecuteResponse;
using rlvr::v1::LanguageConfig;
using rlvr::v1::SandboxLimits;
using rlvr::v1::SandboxServiceConfig;
using rlvr::v1::Verdict;

constexpr int64_t kKiB = 1024;
constexpr int64_t kMiB = 1024 * kKiB;
constexpr int64_t kGiB = 1024 * kMiB;
// The backstop deadline of a step, beyond its own wall-clock limit (the session init enforces
// that one; this only catches a stuck init).
constexpr absl::Duration kBackstopSlack = absl::Seconds(10);
// Bytes of pass token (hex-encoded on the wire).
constexpr int kTokenBytes = 16;
// Bytes at the end of stderr searched for an out-of-memory message.
constexpr size_t kStderrTail = 512;

void FillLimits(SandboxLimits* l, int64_t wall, int64_t cpu, int64_t mem, int64_t fsize,
                int64_t out, int32_t files, int32_t procs) {
  if (l->wall_time_ms() == 0) l->set_wall_time_ms(wall);
  if (l->cpu_time_ms() == 0) l->set_cpu_time_ms(cpu);
  if (l->memory_bytes() == 0) l->set_memory_bytes(mem);
  if (l->file_size_bytes() == 0) l->set_file_size_bytes(fsize);
  if (l->output_bytes() == 0) l->set_output_bytes(out);
  if (l->open_files() == 0) l->set_open_files(files);
  if (l->processes() == 0) l->set_processes(procs);
}

// Zero fields of `over` take `base`'s value.
SandboxLimits Merge(const SandboxLimits& base, const SandboxLimits& over) {
  SandboxLimits l = over;
  FillLimits(&l, base.wall_time_ms(), base.cpu_time_ms(), base.memory_bytes(),
             base.file_size_bytes(), base.output_bytes(), base.open_files(), base.processes());
  return l;
}

std::string NewToken() {
  unsigned char raw[kTokenBytes];
  size_t got = 0;
  while (got < sizeof(raw)) {
    ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
    if (n > 0) got += static_cast<size_t>(n);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token;
  for (unsigned char c : raw) {
    token.push_back(kHex[c >> 4]);
    token.push_back(kHex[c & 15]);
  }
  return token;
}

std::string Substitute(const std::string& arg, const std::string& src, const std::string& bin) {
  return absl::StrReplaceAll(arg, {{"{src}", src}, {"{bin}", bin}});
}

// Output comparison of stdin/stdout cases: trailing whitespace of each line and trailing empty
// lines do not matter.
std::vector<absl::string_view> NormalizedLines(absl::string_view text) {
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  for (absl::string_view& line : lines) line = absl::StripTrailingAsciiWhitespace(line);
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

bool OutputMatches(absl::string_view got, absl::string_view expected) {
  return NormalizedLines(got) == NormalizedLines(expected);
}

// The last line of stderr starts with "AssertionError": a failed assert in the test code. (The
// program could print this itself; that only changes which failure it gets.)
bool FailedAssertion(const std::string& stderr_data) {
  absl::string_view text = absl::StripTrailingAsciiWhitespace(stderr_data);
  size_t nl = text.rfind('\n');
  absl::string_view last = nl == absl::string_view::npos ? text : text.substr(nl + 1);
  return absl::StartsWith(last, "AssertionError");
}

bool LooksOutOfMemory(const std::string& stderr_data) {
  absl::string_view tail = stderr_data;
  if (tail.size() > kStderrTail) tail = tail.substr(tail.size() - kStderrTail);
  return absl::StrContains(tail, "MemoryError") || absl::StrContains(tail, "std::bad_alloc") ||
         absl::StrContains(tail, "Cannot allocate memory");
}

wire::Step MakeStep(const SandboxLimits& limits) {
  wire::Step step;
  step.set_cpu_time_ms(limits.cpu_time_ms());
  step.set_wall_time_ms(limits.wall_time_ms());
  step.set_memory_bytes(limits.memory_bytes());
  step.set_file_size_bytes(limits.file_size_bytes());
  step.set_open_files(limits.open_files());
  step.set_processes(limits.processes());
  return step;
}

// The verdict of one step from how it ended. `expect_token` and `expected_stdout` say what a
// pass needs besides a clean exit.
CaseResult Judge(const StepOutcome& o, bool oom_killed, const std::string* token,
                 const std::string* expected_stdout, std::string* detail) {
  CaseResult c;
  const wire::StepResult& r = o.result;
  c.set_exit_code(r.exit_code());
  c.set_signal(r.signal());
  c.set_stdout(o.stdout_data);
  c.set_stderr(o.stderr_data);
  c.set_wall_time_us(r.wall_time_us());
  c.set_cpu_time_us(r.cpu_time_us());
  c.set_peak_memory_bytes(r.peak_memory_bytes());
  Verdict v;
  if (o.output_exceeded) {
    v = v1::OUTPUT_LIMIT;
  } else if (o.deadline_exceeded) {
    v = v1::TIMEOUT;
  } else if (!o.result_received) {
    v = v1::SANDBOX_ERROR;
    *detail = "the run's init process died";
  } else if (!r.started()) {
    v = v1::SANDBOX_ERROR;
    *detail = r.error();
  } else if (r.wall_timeout() || r.cpu_timeout()) {
    v = v1::TIMEOUT;
  } else if (oom_killed) {
    v = v1::MEMORY_LIMIT;
  } else if (!r.exited() || r.exit_code() != 0) {
    if (LooksOutOfMemory(o.stderr_data)) {
      v = v1::MEMORY_LIMIT;
    } else if (token != nullptr && r.exited() && FailedAssertion(o.stderr_data)) {
      v = v1::WRONG_ANSWER;
    } else {
      v = v1::RUNTIME_ERROR;
    }
    if (r.signal() == SIGXFSZ) *detail = "file size limit exceeded";
  } else if (token != nullptr && o.result_channel != *token) {
    v = v1::WRONG_ANSWER;
    *detail = "the test code did not run to its end";
  } else if (expected_stdout != nullptr && !OutputMatches(o.stdout_data, *expected_stdout)) {
    v = v1::WRONG_ANSWER;
  } else {
    v = v1::OK;
  }
  c.set_verdict(v);
  c.set_passed(v == v1::OK);
  return c;
}

}  // namespace

extern const char kDefaultLanguagesText[];

SandboxServiceConfig WithDefaults(const SandboxServiceConfig& in) {
  SandboxServiceConfig c = in;
  if (c.languages().empty()) {
    SandboxServiceConfig defaults;
    absl::Status s = ParseConfigText(kDefaultLanguagesText, "default languages", &defaults);
    if (s.ok()) {
      *c.mutable_languages() = defaults.languages();
      if (c.common_mount_paths().empty()) {
        *c.mutable_common_mount_paths() = defaults.common_mount_paths();
      }
    }
  }
  if (c.listen_address().empty()) c.set_listen_address("127.0.0.1:0");
  if (c.workers() <= 0) c.set_workers(2);
  if (c.queue_capacity() <= 0) c.set_queue_capacity(256);
  FillLimits(c.mutable_default_limits(), 20000, 10000, 1 * kGiB, 16 * kMiB, 1 * kMiB, 64, 64);
  FillLimits(c.mutable_max_limits(), 120000, 60000, 8 * kGiB, 1 * kGiB, 64 * kMiB, 4096, 1024);
  if (c.max_source_bytes() <= 0) c.set_max_source_bytes(1 * kMiB);
  if (c.sandbox_uid_base() == 0) c.set_sandbox_uid_base(61000);
  if (c.tmp_size_bytes() <= 0) c.set_tmp_size_bytes(64 * kMiB);
  if (c.zygotes() <= 0) c.set_zygotes(1);
  if (c.max_test_cases() <= 0) c.set_max_test_cases(256);
  if (c.max_batch_size() <= 0) c.set_max_batch_size(4096);
  if (c.verify_parallelism() <= 0) c.set_verify_parallelism(c.workers());
  if (c.verify_item_timeout_ms() <= 0) c.set_verify_item_timeout_ms(60000);
  return c;
}

absl::StatusOr<std::unique_ptr<Executor>> Executor::Create(const SandboxServiceConfig& config) {
  if (geteuid() != 0) {
    return absl::FailedPreconditionError(
        "the sandbox needs root (namespaces, mounts, uid switching); run rlvr-sandbox as root "
        "or in a container with CAP_SYS_ADMIN");
  }
  std::unique_ptr<Executor> e(new Executor());
  e->config_ = WithDefaults(config);
  if (e->config_.languages().empty()) {
    return absl::InvalidArgumentError("sandbox config lists no languages");
  }
  ZygoteOptions zopts;
  zopts.embedded_python = false;
  std::set<std::string> ro(e->config_.common_mount_paths().begin(),
                           e->config_.common_mount_paths().end());
  std::set<std::string> preload, hidden;
  for (const LanguageConfig& lang : e->config_.languages()) {
    if (!e->languages_.emplace(lang.name(), lang).second) {
      return absl::InvalidArgumentError(absl::StrCat("language ", lang.name(), " listed twice"));
    }
    if (!lang.embedded_python() && lang.run().empty()) {
      return absl::InvalidArgumentError(absl::StrCat("language ", lang.name(), " has no run argv"));
    }
    ro.insert(lang.mount_paths().begin(), lang.mount_paths().end());
    hidden.insert(lang.hidden_paths().begin(), lang.hidden_paths().end());
    preload.insert(lang.preload_modules().begin(), lang.preload_modules().end());
    zopts.embedded_python = zopts.embedded_python || lang.embedded_python();
  }
  zopts.ro_paths.assign(ro.begin(), ro.end());
  zopts.hidden_paths.assign(hidden.begin(), hidden.end());
  zopts.preload_modules.assign(preload.begin(), preload.end());
  for (int i = 0; i < e->config_.zygotes(); ++i) {
    absl::StatusOr<std::unique_ptr<Zygote>> z = Zygote::Start(zopts);
    if (!z.ok()) return z.status();
    e->zygotes_.push_back(*std::move(z));
  }
  e->cgroups_ = CgroupManager::Probe();
  return e;
}

std::string Executor::DescribeIsolation() const {
  return absl::StrCat("namespaces pid+mount+net+ipc+uts, read-only root, seccomp, rlimits, uids ",
                      config_.sandbox_uid_base(), "..",
                      config_.sandbox_uid_base() + config_.workers() - 1, "; ",
                      cgroups_->Describe());
}

absl::Status Executor::Validate(const ExecuteRequest& request) const {
  auto it = languages_.find(request.language());
  if (it == languages_.end()) {
    std::vector<std::string> names;
    for (const auto& [name, lang] : languages_) names.push_back(name);
    std::sort(names.begin(), names.end());
    return absl::InvalidArgumentError(absl::StrCat("unknown language '", request.language(),
                                                   "'; known: ", absl::StrJoin(names, ", ")));
  }
  const LanguageConfig& lang = it->second;
  int64_t size = static_cast<int64_t>(request.source().size() + request.test_code().size() +
                                      request.stdin().size());
  for (const auto& f : request.files()) size += static_cast<int64_t>(f.content().size());
  for (const auto& t : request.tests()) {
    size += static_cast<int64_t>(t.stdin().size() + t.expected_stdout().size());
  }
  if (size > config_.max_source_bytes()) {
    return absl::InvalidArgumentError(absl::StrCat("request carries ", size,
                                                   " bytes of source, files and test data; the "
                                                   "maximum is ",
                                                   config_.max_source_bytes()));
  }
  if (request.tests_size() > config_.max_test_cases()) {
    return absl::InvalidArgumentError(absl::StrCat(
        request.tests_size(), " test cases; the maximum is ", config_.max_test_cases()));
  }
  if (!request.test_code().empty() && !lang.embedded_python()) {
    return absl::InvalidArgumentError(
        absl::StrCat("language ", lang.name(),
                     " takes stdin/stdout tests only; test_code needs a language "
                     "with embedded_python"));
  }
  if (!request.test_code().empty() && request.tests_size() > 0) {
    return absl::InvalidArgumentError("a request has either test_code or tests, not both");
  }
  for (const auto& f : request.files()) {
    if (f.path().empty() || f.path()[0] == '/' || absl::StrContains(f.path(), "..") ||
        f.path() == lang.source_file()) {
      return absl::InvalidArgumentError(absl::StrCat("bad file path '", f.path(), "'"));
    }
  }
  const SandboxLimits& l = request.limits();
  const SandboxLimits& m = config_.max_limits();
  struct Check {
    const char* name;
    int64_t value, max;
  } checks[] = {
      {"wall_time_ms", l.wall_time_ms(), m.wall_time_ms()},
      {"cpu_time_ms", l.cpu_time_ms(), m.cpu_time_ms()},
      {"memory_bytes", l.memory_bytes(), m.memory_bytes()},
      {"file_size_bytes", l.file_size_bytes(), m.file_size_bytes()},
      {"output_bytes", l.output_bytes(), m.output_bytes()},
      {"open_files", l.open_files(), m.open_files()},
      {"processes", l.processes(), m.processes()},
  };
  for (const Check& c : checks) {
    if (c.value < 0 || c.value > c.max) {
      return absl::InvalidArgumentError(
          absl::StrCat("limits.", c.name, " = ", c.value, " is outside [0, ", c.max, "]"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ExecuteResponse> Executor::Execute(const ExecuteRequest& request, int worker) {
  const LanguageConfig& lang = languages_.at(request.language());
  const SandboxLimits limits = Merge(config_.default_limits(), request.limits());
  const uint32_t uid = config_.sandbox_uid_base() + static_cast<uint32_t>(worker);

  ExecuteResponse response;
  response.set_id(request.id());

  wire::SessionStart start;
  start.set_uid(uid);
  start.set_gid(uid);
  start.set_tmp_size_bytes(config_.tmp_size_bytes());
  start.set_mount_proc(lang.mount_proc());
  start.set_tmp_exec(lang.tmp_exec());
  const std::string source_file = lang.source_file().empty() ? "main" : lang.source_file();
  wire::File* src = start.add_files();
  src->set_path(source_file);
  src->set_content(request.source());
  for (const auto& f : request.files()) {
    wire::File* file = start.add_files();
    file->set_path(f.path());
    file->set_content(f.content());
  }

  absl::StatusOr<std::unique_ptr<SessionCgroup>> cgroup =
      // The session init lives in the cgroup too: one process more than the program may have.
      cgroups_->Create(limits.memory_bytes(), limits.processes() + 1);
  if (!cgroup.ok()) return cgroup.status();
  std::vector<int> cg_fds;
  if (*cgroup != nullptr) cg_fds = (*cgroup)->procs_fds();
  Zygote& zygote = *zygotes_[static_cast<size_t>(worker) % zygotes_.size()];
  absl::StatusOr<std::unique_ptr<Session>> session = zygote.StartSession(start, cg_fds);
  if (!session.ok()) return session.status();

  const std::string src_path = "/tmp/" + source_file;
  const std::string bin_path = "/tmp/program";
  std::vector<std::string> env(lang.env().begin(), lang.env().end());
  auto oom = [&]() { return *cgroup != nullptr && (*cgroup)->OomKilled(); };

  if (!lang.compile().empty()) {
    SandboxLimits compile_limits = Merge(config_.max_limits(), lang.compile_limits());
    wire::Step step = MakeStep(compile_limits);
    for (const std::string& a : lang.compile()) step.add_argv(Substitute(a, src_path, bin_path));
    for (const std::string& e : env) step.add_env(e);
    absl::StatusOr<StepOutcome> o =
        (*session)->Run(step, "", compile_limits.output_bytes(),
                        absl::Now() +
                            absl::Milliseconds(WallCapMs(compile_limits.wall_time_ms(),
                                                         compile_limits.cpu_time_ms())) +
                            kBackstopSlack);
    if (!o.ok()) return o.status();
    response.set_compile_output(o->stdout_data + o->stderr_data);
    std::string detail;
    CaseResult c = Judge(*o, false, nullptr, nullptr, &detail);
    if (c.verdict() != v1::OK) {
      response.set_verdict(c.verdict() == v1::SANDBOX_ERROR ? v1::SANDBOX_ERROR
                                                            : v1::COMPILE_ERROR);
      response.set_detail(
          c.verdict() == v1::SANDBOX_ERROR
              ? detail
              : absl::StrCat("compilation failed (", v1::Verdict_Name(c.verdict()), ")"));
      response.set_tests_total(std::max(1, request.tests_size()));
      return response;
    }
  }

  // One case per stdin/stdout test, or a single run (with the assert-style test code if any).
  const int cases = std::max(1, request.tests_size());
  const bool with_token = !request.test_code().empty();
  response.set_tests_total(request.tests_size() > 0 ? request.tests_size() : (with_token ? 1 : 0));
  int passed = 0;
  Verdict overall = v1::OK;
  for (int i = 0; i < cases; ++i) {
    if (!(*session)->alive()) {
      CaseResult* c = response.add_cases();
      c->set_verdict(overall);
      continue;
    }
    wire::Step step = MakeStep(limits);
    std::string token;
    if (lang.embedded_python()) {
      step.set_kind(wire::Step::PYTHON);
      step.set_source(request.source());
      step.set_source_name(source_file);
      if (with_token) {
        token = NewToken();
        step.set_test_code(request.test_code());
        step.set_token(token);
      }
    } else {
      for (const std::string& a : lang.run()) step.add_argv(Substitute(a, src_path, bin_path));
      for (const std::string& e : env) step.add_env(e);
    }
    const std::string& stdin_data =
        request.tests_size() > 0 ? request.tests(i).stdin() : request.stdin();
    absl::StatusOr<StepOutcome> o = (*session)->Run(
        step, stdin_data, limits.output_bytes(),
        absl::Now() + absl::Milliseconds(WallCapMs(limits.wall_time_ms(), limits.cpu_time_ms())) +
            kBackstopSlack);
    if (!o.ok()) return o.status();
    std::string detail;
    const std::string* expected =
        request.tests_size() > 0 ? &request.tests(i).expected_stdout() : nullptr;
    CaseResult c = Judge(*o, oom(), with_token ? &token : nullptr, expected, &detail);
    if (c.passed()) ++passed;
    if (overall == v1::OK && c.verdict() != v1::OK) {
      overall = c.verdict();
      if (!detail.empty()) response.set_detail(absl::StrCat("case ", i, ": ", detail));
    }
    *response.add_cases() = std::move(c);
  }
  response.set_verdict(overall);
  response.set_tests_passed(request.tests_size() > 0 || with_token ? passed : 0);
  response.set_passed(overall == v1::OK);
  return response;
}

}  // namespace rlvr::sandbox
