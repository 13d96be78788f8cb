// The hostile battery: each program attacks the host, the service, another run or the verdict
// channel. Every test asserts the exact verdict and that the host is unchanged.
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <future>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/sandbox/sandbox_testing.h"

extern char** environ;

namespace rlvr::sandbox {
namespace {

using rlvr::v1::ExecuteRequest;
using rlvr::v1::ExecuteResponse;
using testing::Execute;
using testing::Program;
using testing::Python;

// Paths a hostile program tries to create on the host.
const char* const kHostTargets[] = {
    "/pwned",        "/tmp/pwned", "/root/pwned", "/etc/pwned", RLVR_SOURCE_DIR "/pwned",
    "/usr/lib/pwned"};

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

// Processes on the host running as one of the sandbox's uids.
std::vector<int> SandboxUidProcesses() {
  const uint32_t base = testing::SharedExecutor().config().sandbox_uid_base();
  const uint32_t end = base + static_cast<uint32_t>(testing::SharedExecutor().config().workers());
  std::vector<int> found;
  DIR* dir = opendir("/proc");
  if (dir == nullptr) return found;
  while (dirent* e = readdir(dir)) {
    int pid;
    if (!absl::SimpleAtoi(e->d_name, &pid)) continue;
    std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind("Uid:", 0) != 0) continue;
      std::vector<std::string> f = absl::StrSplit(line, '\t', absl::SkipEmpty());
      uint32_t uid;
      if (f.size() > 1 && absl::SimpleAtoi(f[1], &uid) && uid >= base && uid < end) {
        found.push_back(pid);
      }
    }
  }
  closedir(dir);
  return found;
}

// A host process the programs try to kill; the fixture checks it survives every attack.
class SecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::SharedExecutor();
    const char* argv[] = {"/usr/bin/sleep", "600", nullptr};
    ASSERT_EQ(posix_spawn(&sentinel_, argv[0], nullptr, nullptr, const_cast<char**>(argv), environ),
              0);
    for (const char* p : kHostTargets) ASSERT_FALSE(Exists(p)) << p;
  }

  void TearDown() override {
    EXPECT_EQ(waitpid(sentinel_, nullptr, WNOHANG), 0) << "the host sentinel process died";
    kill(sentinel_, SIGKILL);
    waitpid(sentinel_, nullptr, 0);
    for (const char* p : kHostTargets) EXPECT_FALSE(Exists(p)) << p << " was created";
    EXPECT_TRUE(SandboxUidProcesses().empty()) << "a sandboxed process outlived its run";
  }

  pid_t sentinel_ = -1;
};

TEST_F(SecurityTest, ForkBombIsContained) {
  ExecuteRequest req = Python("import os\nwhile True:\n    os.fork()\n");
  req.mutable_limits()->set_processes(32);
  ExecuteResponse r = Execute(req);
  EXPECT_EQ(r.verdict(), v1::RUNTIME_ERROR) << r.DebugString();
  EXPECT_NE(testing::Stderr(r).find("BlockingIOError"), std::string::npos);
}

TEST_F(SecurityTest, ShellForkBombIsContained) {
  ExecuteRequest req = Program("bash", "bomb() { bomb | bomb & }; bomb; wait; sleep 100");
  req.mutable_limits()->set_wall_time_ms(2000);
  ExecuteResponse r = Execute(req);
  EXPECT_EQ(r.verdict(), v1::TIMEOUT) << r.verdict();
}

TEST_F(SecurityTest, MemoryBombIsMemoryLimit) {
  ExecuteRequest req = Python("chunks = []\nwhile True:\n    chunks.append(bytearray(1 << 24))\n");
  req.mutable_limits()->set_memory_bytes(256ll << 20);
  ExecuteResponse r = Execute(req);
  EXPECT_EQ(r.verdict(), v1::MEMORY_LIMIT) << r.DebugString();
}

TEST_F(SecurityTest, CppMemoryBombIsMemoryLimit) {
  ExecuteRequest req =
      Program("cpp",
              "#include <vector>\n#include <cstdio>\nint main(){std::vector<char*> v;"
              "for(;;){char* p=new char[1<<24];for(int i=0;i<(1<<24);i+=4096)p[i]=1;"
              "v.push_back(p);}}\n");
  req.mutable_limits()->set_memory_bytes(256ll << 20);
  ExecuteResponse r = Execute(req);
  EXPECT_EQ(r.verdict(), v1::MEMORY_LIMIT) << r.DebugString();
}

TEST_F(SecurityTest, CpuBurnInManyThreadsIsTimeout) {
  ExecuteRequest req =
      Program("cpp",
              "#include <thread>\n#include <vector>\nint main(){std::vector<std::thread> t;"
              "for(int i=0;i<8;++i)t.emplace_back([]{volatile unsigned long x=0;for(;;)++x;});"
              "for(auto& th:t)th.join();}\n");
  req.mutable_limits()->set_cpu_time_ms(1000);
  req.mutable_limits()->set_wall_time_ms(60000);
  ExecuteResponse r = Execute(req);
  EXPECT_EQ(r.verdict(), v1::TIMEOUT) << r.DebugString();
  // Killed for CPU time (the threads' sum), not by the wall-clock limit.
  EXPECT_EQ(r.cases(0).signal(), SIGXCPU) << r.DebugString();
}

TEST_F(SecurityTest, SleepIgnoringSignalsIsTimeout) {
  ExecuteRequest req =
      Program("bash", "trap '' TERM INT HUP QUIT USR1; while true; do sleep 1; done");
  req.mutable_limits()->set_wall_time_ms(1500);
  ExecuteResponse r = Execute(req);
  EXPECT_EQ(r.verdict(), v1::TIMEOUT) << r.DebugString();
}

TEST_F(SecurityTest, DaemonDoesNotOutliveTheRun) {
  // Double fork + setsid; the grandchild would keep running for a minute.
  ExecuteResponse r =
      Execute(Python("import os, time\n"
                     "if os.fork() == 0:\n"
                     "    os.setsid()\n"
                     "    if os.fork() == 0:\n"
                     "        time.sleep(60)\n"
                     "        open('/tmp/late', 'w').write('still here')\n"
                     "    os._exit(0)\n"
                     "os.wait()\n"
                     "print('parent done')\n"));
  EXPECT_EQ(r.verdict(), v1::OK) << r.DebugString();
  EXPECT_EQ(testing::Stdout(r), "parent done\n");
  // TearDown checks that no process of the sandbox's uids exists any more.
}

TEST_F(SecurityTest, HugeFileIsStopped) {
  ExecuteRequest req = Python(
      "with open('/tmp/big', 'wb') as f:\n"
      "    for _ in range(1024):\n"
      "        f.write(b'x' * (1 << 20))\n");
  req.mutable_limits()->set_file_size_bytes(8 << 20);
  ExecuteResponse r = Execute(req);
  EXPECT_EQ(r.verdict(), v1::RUNTIME_ERROR) << r.DebugString();
  EXPECT_NE(testing::Stderr(r).find("File too large"), std::string::npos) << r.DebugString();
  EXPECT_FALSE(Exists("/tmp/big"));
}

TEST_F(SecurityTest, GigabytesOfOutputAreCut) {
  ExecuteRequest req = Python("import os\nb = b'y' * (1 << 20)\nwhile True:\n    os.write(1, b)\n");
  req.mutable_limits()->set_output_bytes(1 << 20);
  ExecuteResponse r = Execute(req);
  EXPECT_EQ(r.verdict(), v1::OUTPUT_LIMIT);
  EXPECT_EQ(testing::Stdout(r).size(), 1u << 20);
}

TEST_F(SecurityTest, HostSecretsAndProjectFilesAreInvisible) {
  ExecuteResponse r = Execute(Python(
      absl::StrCat("import os\n"
                   "found = []\n"
                   "for p in ['/etc/shadow', '/etc/passwd', '/root/.bashrc', '/proc/1/environ',\n"
                   "          '/proc/self/mem', '/sys/kernel', '/home', '/work', '",
                   RLVR_SOURCE_DIR,
                   "/CMakeLists.txt', '/var/log']:\n"
                   "    try:\n"
                   "        if os.path.isdir(p):\n"
                   "            os.listdir(p)\n"
                   "        else:\n"
                   "            open(p, 'rb').read(1)\n"
                   "        found.append(p)\n"
                   "    except OSError:\n"
                   "        pass\n"
                   "print(sorted(os.listdir('/')), found)\n")));
  EXPECT_EQ(r.verdict(), v1::OK) << r.DebugString();
  // Only the runtime's paths exist; nothing else could be read.
  EXPECT_EQ(testing::Stdout(r),
            "['.rlvr-empty', 'bin', 'dev', 'etc', 'lib', 'lib64', 'proc', 'tmp', 'usr'] []\n");
}

TEST_F(SecurityTest, WritingOutsideTmpFails) {
  std::string targets;
  for (const char* p : kHostTargets) {
    // The run's own /tmp is writable, of course; the host's /tmp/pwned is checked by TearDown.
    if (std::string(p) != "/tmp/pwned") absl::StrAppend(&targets, "'", p, "', ");
  }
  ExecuteResponse r =
      Execute(Python(absl::StrCat("import os\n"
                                  "ok = []\n"
                                  "for p in [",
                                  targets,
                                  "'/usr/bin/python3', '/dev/null2', '/proc/sysrq-trigger']:\n"
                                  "    try:\n"
                                  "        with open(p, 'a') as f:\n"
                                  "            f.write('x')\n"
                                  "        ok.append(p)\n"
                                  "    except OSError:\n"
                                  "        pass\n"
                                  "open('/tmp/mine', 'w').write('fine')\n"
                                  "print(ok, open('/tmp/mine').read())\n")));
  EXPECT_EQ(r.verdict(), v1::OK) << r.DebugString();
  EXPECT_EQ(testing::Stdout(r), "[] fine\n");
}

TEST_F(SecurityTest, HostProcessesCannotBeSeenOrSignalled) {
  ExecuteResponse r =
      Execute(Python(absl::StrCat("import os, signal\n"
                                  "killed = []\n"
                                  "for pid in [",
                                  sentinel_, ", ", getpid(),
                                  ", 1] + list(range(3, 3000)):\n"
                                  "    try:\n"
                                  "        os.kill(pid, signal.SIGKILL)\n"
                                  "        killed.append(pid)\n"
                                  "    except OSError:\n"
                                  "        pass\n"
                                  "try:\n"
                                  "    os.kill(-1, signal.SIGKILL)\n"
                                  "except OSError:\n"
                                  "    pass\n"
                                  "print(os.getpid(), killed, os.path.exists('/proc/1'))\n")));
  EXPECT_EQ(r.verdict(), v1::OK) << r.DebugString();
  // The program is PID 2 of its own namespace (it spares itself) and could signal nothing.
  EXPECT_EQ(testing::Stdout(r), "2 [] False\n");
  EXPECT_EQ(kill(sentinel_, 0), 0);
}

TEST_F(SecurityTest, HostLoopbackServiceIsUnreachable) {
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(listener, 8), 0);
  socklen_t len = sizeof(addr);
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  // An abstract unix socket on the host, too.
  int unix_listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un ua = {};
  ua.sun_family = AF_UNIX;
  std::string name = absl::StrCat("rlvr-sandbox-test-", getpid());
  memcpy(ua.sun_path + 1, name.data(), name.size());
  socklen_t ulen = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  ASSERT_EQ(bind(unix_listener, reinterpret_cast<sockaddr*>(&ua), ulen), 0);
  ASSERT_EQ(listen(unix_listener, 8), 0);

  ExecuteRequest req = Program(
      "cpp", absl::StrCat(
                 "#include <sys/socket.h>\n#include <netinet/in.h>\n#include <arpa/inet.h>\n"
                 "#include <sys/un.h>\n#include <cstddef>\n#include <cstring>\n#include "
                 "<cstdio>\n#include <cerrno>\n"
                 "int main(){\n"
                 "  int s=socket(AF_INET,SOCK_STREAM,0); printf(\"inet:%s \", "
                 "s<0?strerror(errno):\"open\");\n"
                 "  if(s>=0){sockaddr_in a{};a.sin_family=AF_INET;a.sin_port=htons(",
                 port,
                 ");a.sin_addr.s_addr=htonl(INADDR_LOOPBACK);\n"
                 "    printf(\"connect:%s \", connect(s,(sockaddr*)&a,sizeof "
                 "a)==0?\"yes\":strerror(errno));}\n"
                 "  int u=socket(AF_UNIX,SOCK_STREAM,0); sockaddr_un ua{}; ua.sun_family=AF_UNIX;\n"
                 "  const char* n=\"",
                 name,
                 "\"; memcpy(ua.sun_path+1,n,strlen(n));\n"
                 "  int c=connect(u,(sockaddr*)&ua,offsetof(sockaddr_un,sun_path)+1+strlen(n));\n"
                 "  printf(\"unix:%s\\n\", c==0?\"yes\":strerror(errno));\n}\n"));
  ExecuteResponse r = Execute(req);
  EXPECT_EQ(r.verdict(), v1::OK) << r.DebugString();
  EXPECT_EQ(testing::Stdout(r),
            "inet:Address family not supported by protocol unix:Connection refused\n");
  pollfd p[2] = {{listener, POLLIN, 0}, {unix_listener, POLLIN, 0}};
  EXPECT_EQ(poll(p, 2, 0), 0) << "a connection reached the host";
  close(listener);
  close(unix_listener);
}

TEST_F(SecurityTest, PtraceAndNamespaceEscapesAreDenied) {
  ExecuteRequest req = Program(
      "cpp",
      "#include <sys/ptrace.h>\n#include <sched.h>\n#include <sys/mount.h>\n#include <unistd.h>\n"
      "#include <cstdio>\n#include <cerrno>\n#include <cstring>\n"
      "int main(){\n"
      "  printf(\"%d \", (int)ptrace(PTRACE_TRACEME,0,0,0));\n"
      "  printf(\"%d \", (int)ptrace(PTRACE_ATTACH,1,0,0));\n"
      "  printf(\"%d \", unshare(CLONE_NEWUSER));\n"
      "  printf(\"%d \", mount(\"none\",\"/tmp\",\"tmpfs\",0,0));\n"
      "  printf(\"%d \", setuid(0));\n"
      "  printf(\"%d \", chroot(\"/tmp\"));\n"
      "  printf(\"%d\\n\", sethostname(\"x\",1));\n}\n");
  ExecuteResponse r = Execute(req);
  EXPECT_EQ(r.verdict(), v1::OK) << r.DebugString();
  EXPECT_EQ(testing::Stdout(r), "-1 -1 -1 -1 -1 -1 -1\n");
}

TEST_F(SecurityTest, FileDescriptorExhaustionIsLimited) {
  int host_fds_before = 0;
  for (int fd = 0; fd < 4096; ++fd) host_fds_before += fcntl(fd, F_GETFD) >= 0;
  ExecuteRequest req = Python(
      "import os\nfds = []\ntry:\n    while True:\n"
      "        fds.append(os.open('/dev/null', os.O_RDONLY))\n"
      "except OSError as e:\n    print(e.errno, len(fds) < 64)\n");
  req.mutable_limits()->set_open_files(64);
  ExecuteResponse r = Execute(req);
  EXPECT_EQ(r.verdict(), v1::OK) << r.DebugString();
  EXPECT_EQ(testing::Stdout(r), "24 True\n");  // EMFILE
  int host_fds_after = 0;
  for (int fd = 0; fd < 4096; ++fd) host_fds_after += fcntl(fd, F_GETFD) >= 0;
  EXPECT_EQ(host_fds_before, host_fds_after);
}

TEST_F(SecurityTest, ConcurrentRunsCannotInterfere) {
  // The victim keeps a file and an abstract socket for a while and checks them at the end;
  // the attacker, running at the same time as another uid, tries to reach both and to kill
  // every process it can.
  ExecuteRequest victim = Python(
      "import os, socket, time\n"
      "open('/tmp/victim', 'w').write('secret')\n"
      "s = socket.socket(socket.AF_UNIX)\n"
      "s.bind('\\0rlvr-victim')\n"
      "s.listen()\n"
      "time.sleep(2)\n"
      "s.setblocking(False)\n"
      "try:\n"
      "    s.accept()\n"
      "    print('contacted')\n"
      "except BlockingIOError:\n"
      "    print(open('/tmp/victim').read())\n");
  ExecuteRequest attacker = Python(
      "import os, signal, socket\n"
      "seen = os.listdir('/tmp')\n"
      "c = socket.socket(socket.AF_UNIX)\n"
      "try:\n"
      "    c.connect('\\0rlvr-victim')\n"
      "    reached = True\n"
      "except OSError:\n"
      "    reached = False\n"
      "try:\n"
      "    os.kill(-1, signal.SIGKILL)\n"
      "except OSError:\n"
      "    pass\n"
      "print(seen, reached)\n");
  auto v = std::async(std::launch::async, [&] { return Execute(victim, 0); });
  auto a = std::async(std::launch::async, [&] { return Execute(attacker, 1); });
  ExecuteResponse vr = v.get();
  ExecuteResponse ar = a.get();
  EXPECT_EQ(vr.verdict(), v1::OK) << vr.DebugString();
  EXPECT_EQ(testing::Stdout(vr), "secret\n");
  EXPECT_EQ(ar.verdict(), v1::OK) << ar.DebugString();
  EXPECT_EQ(testing::Stdout(ar), "['solution.py'] False\n");
}

TEST_F(SecurityTest, ZygoteAndServiceSurviveHostileRuns) {
  // After all of the above in this process, ordinary runs still work.
  ExecuteResponse r = Execute(Python("print(sum(range(10)))"));
  EXPECT_EQ(r.verdict(), v1::OK);
  EXPECT_EQ(testing::Stdout(r), "45\n");
}

// --- Programs that try to make failing tests pass ------------------------------------------

// The tests every program below is judged with; the solutions are all wrong (or absent).
constexpr char kTests[] =
    "assert add(2, 3) == 5\n"
    "assert add(-1, 1) == 0\n"
    "assert len(str(add(10, 5))) == 2\n";

ExecuteResponse Cheat(const std::string& program) { return Execute(Python(program, kTests)); }

TEST_F(SecurityTest, HonestSolutionPasses) {
  // The control: the same tests do pass with a correct solution.
  ExecuteResponse r = Cheat("def add(a, b):\n    return a + b\n");
  EXPECT_EQ(r.verdict(), v1::OK) << r.DebugString();
  EXPECT_TRUE(r.passed());
}

TEST_F(SecurityTest, ExitZeroBeforeTestsDoesNotPass) {
  ExecuteResponse r = Cheat("import sys\ndef add(a, b):\n    return 0\nsys.exit(0)\n");
  EXPECT_EQ(r.verdict(), v1::WRONG_ANSWER);
  EXPECT_FALSE(r.passed());
  EXPECT_EQ(r.cases(0).exit_code(), 0);
}

TEST_F(SecurityTest, HardExitBeforeTestsDoesNotPass) {
  ExecuteResponse r = Cheat("import os\ndef add(a, b):\n    return 0\nos._exit(0)\n");
  EXPECT_EQ(r.verdict(), v1::WRONG_ANSWER);
  EXPECT_FALSE(r.passed());
}

TEST_F(SecurityTest, ExitFromInsideTheTestedFunctionDoesNotPass) {
  ExecuteResponse r = Cheat("import os\ndef add(a, b):\n    os._exit(0)\n");
  EXPECT_EQ(r.verdict(), v1::WRONG_ANSWER);
  ExecuteResponse r2 = Cheat("def add(a, b):\n    raise SystemExit(0)\n");
  EXPECT_EQ(r2.verdict(), v1::WRONG_ANSWER);
  EXPECT_FALSE(r.passed() || r2.passed());
}

TEST_F(SecurityTest, PrintingPassDoesNotPass) {
  ExecuteResponse r = Cheat(
      "print('PASSED'); print('OK'); print('All tests passed')\n"
      "import sys; sys.stderr.write('OK\\n')\n"
      "def add(a, b):\n    return 0\n");
  EXPECT_EQ(r.verdict(), v1::WRONG_ANSWER);
  EXPECT_FALSE(r.passed());
}

TEST_F(SecurityTest, PatchingBuiltinsDoesNotPass) {
  ExecuteResponse r = Cheat(
      "import builtins\n"
      "class Never(Exception):\n    pass\n"
      "builtins.AssertionError = Never\n"
      "builtins.len = lambda x: 2\n"
      "builtins.str = lambda x: 'ab'\n"
      "def add(a, b):\n    return 5\n");
  EXPECT_EQ(r.verdict(), v1::WRONG_ANSWER) << r.DebugString();
  EXPECT_FALSE(r.passed());
}

TEST_F(SecurityTest, KillingTheParentDoesNotPass) {
  ExecuteResponse r = Cheat(
      "import os, signal\n"
      "for pid in (os.getppid(), 1):\n"
      "    try:\n        os.kill(pid, signal.SIGKILL)\n"
      "    except OSError:\n        pass\n"
      "def add(a, b):\n    return 0\n");
  EXPECT_EQ(r.verdict(), v1::WRONG_ANSWER);
  EXPECT_FALSE(r.passed());
}

TEST_F(SecurityTest, WritingToEveryFdDoesNotPass) {
  ExecuteResponse r = Cheat(
      "import os\n"
      "for fd in range(3, 1024):\n"
      "    for msg in (b'PASS', b'0' * 32, b'OK\\n'):\n"
      "        try:\n            os.write(fd, msg)\n"
      "        except OSError:\n            pass\n"
      "os._exit(0)\n");
  EXPECT_EQ(r.verdict(), v1::WRONG_ANSWER);
  EXPECT_FALSE(r.passed());
}

TEST_F(SecurityTest, ProcSelfFdIsNotThere) {
  ExecuteResponse r = Cheat(
      "import os\n"
      "try:\n    print(os.listdir('/proc/self/fd'))\n"
      "except OSError as e:\n    print('no', e.errno)\n"
      "def add(a, b):\n    return 0\n");
  EXPECT_EQ(r.verdict(), v1::WRONG_ANSWER);
  EXPECT_EQ(testing::Stdout(r), "no 2\n");
}

TEST_F(SecurityTest, ScanningObjectsAndFramesIsDenied) {
  ExecuteResponse r = Cheat(
      "import gc, sys\n"
      "denied = []\n"
      "for name, f in [('gc', gc.get_objects), ('refs', lambda: gc.get_referrers(1)),\n"
      "                ('frame', lambda: sys._getframe(0)),\n"
      "                ('trace', lambda: sys.settrace(lambda *a: None)),\n"
      "                ('tb', lambda: (1/0)), ('gen', lambda: (x for x in []).gi_frame)]:\n"
      "    try:\n"
      "        v = f()\n"
      "    except ZeroDivisionError as e:\n"
      "        try:\n            e.__traceback__.tb_frame\n"
      "        except AttributeError:\n            denied.append(name)\n"
      "    except (RuntimeError, ValueError, AttributeError):\n"
      "        denied.append(name)\n"
      "print(denied)\n"
      "def add(a, b):\n    return 0\n");
  EXPECT_EQ(r.verdict(), v1::WRONG_ANSWER) << r.DebugString();
  EXPECT_EQ(testing::Stdout(r), "['gc', 'refs', 'frame', 'trace', 'tb', 'gen']\n");
  EXPECT_FALSE(r.passed());
}

TEST_F(SecurityTest, NativeCodeEscapesAreUnavailable) {
  ExecuteResponse r = Cheat(
      "found = []\n"
      "for m in ['ctypes', '_ctypes', '_testcapi', '_testinternalcapi', 'cffi']:\n"
      "    try:\n        __import__(m)\n        found.append(m)\n"
      "    except Exception:\n        pass\n"
      "import marshal\n"
      "try:\n    marshal.loads(marshal.dumps(1))\n    found.append('marshal')\n"
      "except RuntimeError:\n    pass\n"
      "try:\n    (lambda: 0).__code__.replace(co_consts=(1,))\n    found.append('code')\n"
      "except RuntimeError:\n    pass\n"
      "print(found)\n"
      "def add(a, b):\n    return 0\n");
  EXPECT_EQ(r.verdict(), v1::WRONG_ANSWER) << r.DebugString();
  EXPECT_EQ(testing::Stdout(r), "[]\n");
}

TEST_F(SecurityTest, SignalHandlersCannotBeInstalled) {
  ExecuteResponse r = Cheat(
      "import signal\n"
      "try:\n    signal.signal(signal.SIGALRM, lambda s, f: None)\n    print('installed')\n"
      "except OSError:\n    print('denied')\n"
      "def add(a, b):\n    return 0\n");
  EXPECT_EQ(r.verdict(), v1::WRONG_ANSWER);
  EXPECT_EQ(testing::Stdout(r), "denied\n");
}

TEST_F(SecurityTest, RacingThreadCannotReplaceTestNames) {
  // A thread keeps rebinding names in every globals dict it can reach; the tests run in their
  // own copy.
  ExecuteResponse r = Cheat(
      "import threading, builtins\n"
      "def add(a, b):\n    return 0\n"
      "g = globals()\n"
      "def spin():\n"
      "    while True:\n"
      "        g['add'] = lambda a, b: a + b if False else 0\n"
      "        builtins.len = lambda x: 2\n"
      "threading.Thread(target=spin, daemon=True).start()\n");
  EXPECT_EQ(r.verdict(), v1::WRONG_ANSWER) << r.DebugString();
  EXPECT_FALSE(r.passed());
}

TEST_F(SecurityTest, AtexitAndFinalizersDoNotPass) {
  ExecuteResponse r = Cheat(
      "import atexit, os\n"
      "atexit.register(lambda: [os.write(fd, b'PASS') for fd in range(3, 10)])\n"
      "class D:\n    def __del__(self):\n        print('PASSED')\n"
      "d = D()\n"
      "def add(a, b):\n    return 0\n");
  EXPECT_EQ(r.verdict(), v1::WRONG_ANSWER);
  EXPECT_FALSE(r.passed());
}

TEST_F(SecurityTest, ForkedChildCannotReportForTheParent) {
  ExecuteResponse r = Cheat(
      "import os\n"
      "if os.fork() == 0:\n"
      "    for fd in range(3, 64):\n"
      "        try:\n            os.write(fd, b'x' * 32)\n"
      "        except OSError:\n            pass\n"
      "    os._exit(0)\n"
      "os.wait()\n"
      "def add(a, b):\n    return 0\n");
  EXPECT_EQ(r.verdict(), v1::WRONG_ANSWER);
  EXPECT_FALSE(r.passed());
}

TEST_F(SecurityTest, RiggedEqualityDoesNotPass) {
  // Objects whose __eq__ always says yes, alone, inside containers, or as an int subclass.
  const char* kRigged[] = {
      "class E:\n    def __eq__(self, o): return True\n    def __ne__(self, o): return False\n"
      "def add(a, b):\n    return E()\n",
      "class I(int):\n    def __eq__(self, o): return True\n    __hash__ = int.__hash__\n"
      "def add(a, b):\n    return I(0)\n",
      "class E:\n    def __eq__(self, o): return True\n"
      "def add(a, b):\n    return [E()]\n",
  };
  for (const char* program : kRigged) {
    ExecuteResponse r = Execute(Python(program,
                                       "assert add(2, 3) == 5\nassert [add(1, 1)] == [2]\n"
                                       "assert not (add(1, 1) != 2)\n"));
    EXPECT_EQ(r.verdict(), v1::WRONG_ANSWER) << program << r.DebugString();
    EXPECT_FALSE(r.passed());
  }
}

TEST_F(SecurityTest, TrustedEqualityKeepsPythonSemantics) {
  // The rewritten comparisons still accept what plain == accepts for honest values.
  ExecuteResponse r = Execute(
      Python("from collections import Counter, OrderedDict, namedtuple\n"
             "P = namedtuple('P', 'x y')\n"
             "def f(k):\n"
             "    return [3.0, Counter('aab'), OrderedDict(a=1), P(1, 2), True, {1, 2}, 'x'][k]\n",
             "assert f(0) == 3\nassert f(1) == {'a': 2, 'b': 1}\nassert f(2) == {'a': 1}\n"
             "assert f(3) == (1, 2)\nassert f(4) == 1\nassert f(5) == {2, 1}\nassert f(6) != 'y'\n"
             "assert P(1, 2) == P(1, 2)\n"));
  EXPECT_EQ(r.verdict(), v1::OK) << r.DebugString();
  EXPECT_TRUE(r.passed());
}

TEST_F(SecurityTest, RiggedOrderingArithmeticAndTruthDoNotPass) {
  // Each program answers wrongly with an object (or int subclass) that would satisfy the test in
  // plain Python: an ordering that always says yes, a subtraction that is always 0, a truth
  // value that flips from call to call.
  struct Case {
    const char* program;
    const char* tests;
  };
  const Case kRigged[] = {
      {"class L:\n    def __lt__(self, o): return True\n    def __gt__(self, o): return True\n"
       "def add(a, b):\n    return L()\n",
       "assert add(2, 3) < 6\nassert add(2, 3) > 4\n"},
      {"class I(int):\n    def __lt__(self, o): return True\n    def __gt__(self, o): return True\n"
       "def add(a, b):\n    return I(100)\n",
       "assert add(2, 3) < 6\nassert add(2, 3) > 4\n"},
      {"class I(int):\n    def __sub__(self, o): return 0\n"
       "def add(a, b):\n    return I(7)\n",
       "assert abs(add(2, 3) - 5) < 1e-9\n"},
      {"class F:\n    def __sub__(self, o): return 0.0\n    def __rsub__(self, o): return 0.0\n"
       "def add(a, b):\n    return F()\n",
       "assert abs(5 - add(2, 3)) < 1e-9 or abs(add(2, 3) - 5) < 1e-9\n"},
      {"class T:\n    n = 0\n    def __bool__(self):\n        T.n += 1\n        return T.n == 1\n"
       "def is_even(n):\n    return T()\n",
       "assert is_even(4)\nassert not is_even(3)\n"},
  };
  // A subclass reduced to its value fails its assert; an object the tests refuse to consult
  // raises a TypeError that names its type.
  for (const Case& c : kRigged) {
    ExecuteResponse r = Execute(Python(c.program, c.tests));
    EXPECT_TRUE(r.verdict() == v1::WRONG_ANSWER || r.verdict() == v1::RUNTIME_ERROR)
        << c.program << r.DebugString();
    if (r.verdict() == v1::RUNTIME_ERROR) {
      ASSERT_EQ(r.cases_size(), 1);
      EXPECT_NE(r.cases(0).stderr().find("TypeError: the tests"), std::string::npos)
          << r.DebugString();
    }
    EXPECT_FALSE(r.passed());
  }
}

TEST_F(SecurityTest, TrustedOrderingArithmeticAndTruthKeepPythonSemantics) {
  // Honest answers, including an int subclass and values the tests compute with, still pass.
  ExecuteResponse r = Execute(
      Python("class I(int):\n    pass\n"
             "def add(a, b):\n    return a + b\n"
             "def add_i(a, b):\n    return I(a + b)\n"
             "def is_even(n):\n    return n % 2 == 0\n"
             "def items(n):\n    return list(range(n))\n",
             "assert add(2, 3) < 6 and add(2, 3) >= 5\nassert 4 < add(2, 3) < 6\n"
             "assert abs(add(0.1, 0.2) - 0.3) < 1e-9\nassert add_i(2, 3) > 4\n"
             "assert add_i(2, 3) - 5 == 0\nassert add_i(2, 3) * 2 == 10\n"
             "assert is_even(4)\nassert not is_even(3)\nassert items(3)\nassert not items(0)\n"
             "assert items(2) + [2] == [0, 1, 2]\nassert 'ab' * 2 == 'abab'\n"
             "assert add('a', 'b') <= 'ab'\nassert 2 ** 10 // 3 % 7 == 5\n"));
  EXPECT_EQ(r.verdict(), v1::OK) << r.DebugString();
  EXPECT_TRUE(r.passed());
}

TEST_F(SecurityTest, ForkedChildReachingTheTestsDoesNotBreakAPass) {
  // Both processes run the (passing) tests; only the original one reports.
  ExecuteResponse r =
      Execute(Python("import os\ndef add(a, b):\n    return a + b\n"
                     "if os.fork() != 0:\n    os.wait()\n",
                     kTests));
  EXPECT_EQ(r.verdict(), v1::OK) << r.DebugString();
  EXPECT_TRUE(r.passed());
}

}  // namespace
}  // namespace rlvr::sandbox
