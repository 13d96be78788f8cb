#include "sandbox/executor.h"

#include <signal.h>

#include "gtest/gtest.h"
#include "tests/sandbox/sandbox_testing.h"

namespace rlvr::sandbox {
namespace {

using rlvr::v1::ExecuteRequest;
using rlvr::v1::ExecuteResponse;
using testing::Execute;
using testing::Program;
using testing::Python;

TEST(Executor, PythonPrintsToStdout) {
  ExecuteResponse r = Execute(Python("print('hello', 6 * 7)"));
  EXPECT_EQ(r.verdict(), v1::OK) << r.DebugString();
  EXPECT_TRUE(r.passed());
  ASSERT_EQ(r.cases_size(), 1);
  EXPECT_EQ(testing::Stdout(r), "hello 42\n");
  EXPECT_EQ(r.cases(0).exit_code(), 0);
}

TEST(Executor, PythonReadsStdin) {
  ExecuteRequest req = Python("import sys\nprint(sum(int(x) for x in sys.stdin.read().split()))");
  req.set_stdin("1 2 3\n4\n");
  ExecuteResponse r = Execute(req);
  EXPECT_EQ(r.verdict(), v1::OK) << r.DebugString();
  EXPECT_EQ(testing::Stdout(r), "10\n");
}

TEST(Executor, PassingAssertTestsPass) {
  ExecuteResponse r = Execute(Python("def add(a, b):\n    return a + b\n",
                                     "assert add(1, 2) == 3\nassert add(-1, 1) == 0\n"));
  EXPECT_EQ(r.verdict(), v1::OK) << r.DebugString();
  EXPECT_TRUE(r.passed());
  EXPECT_EQ(r.tests_passed(), 1);
  EXPECT_EQ(r.tests_total(), 1);
}

TEST(Executor, FailingAssertIsWrongAnswer) {
  ExecuteResponse r =
      Execute(Python("def add(a, b):\n    return a - b\n", "assert add(1, 2) == 3\n"));
  EXPECT_EQ(r.verdict(), v1::WRONG_ANSWER) << r.DebugString();
  EXPECT_FALSE(r.passed());
  EXPECT_EQ(r.tests_passed(), 0);
  EXPECT_NE(testing::Stderr(r).find("AssertionError"), std::string::npos);
}

TEST(Executor, ExceptionIsRuntimeError) {
  ExecuteResponse r = Execute(Python("raise ValueError('boom')"));
  EXPECT_EQ(r.verdict(), v1::RUNTIME_ERROR);
  EXPECT_EQ(r.cases(0).exit_code(), 1);
  EXPECT_NE(testing::Stderr(r).find("ValueError: boom"), std::string::npos);
}

TEST(Executor, SyntaxErrorIsRuntimeError) {
  ExecuteResponse r = Execute(Python("def f(:\n  pass"));
  EXPECT_EQ(r.verdict(), v1::RUNTIME_ERROR);
  EXPECT_NE(testing::Stderr(r).find("SyntaxError"), std::string::npos);
}

TEST(Executor, ExitCodeIsReported) {
  ExecuteResponse r = Execute(Python("import sys\nsys.exit(3)"));
  EXPECT_EQ(r.verdict(), v1::RUNTIME_ERROR);
  EXPECT_EQ(r.cases(0).exit_code(), 3);
}

TEST(Executor, StdinStdoutCasesAreCompared) {
  ExecuteRequest req = Python("print(int(input()) * 2)");
  auto* t1 = req.add_tests();
  t1->set_stdin("2\n");
  t1->set_expected_stdout("4\n");
  auto* t2 = req.add_tests();
  t2->set_stdin("5\n");
  t2->set_expected_stdout("11");
  auto* t3 = req.add_tests();
  t3->set_stdin("0\n");
  t3->set_expected_stdout("0   \n\n");  // trailing whitespace does not matter
  ExecuteResponse r = Execute(req);
  EXPECT_EQ(r.verdict(), v1::WRONG_ANSWER);
  EXPECT_EQ(r.tests_total(), 3);
  EXPECT_EQ(r.tests_passed(), 2);
  ASSERT_EQ(r.cases_size(), 3);
  EXPECT_TRUE(r.cases(0).passed());
  EXPECT_EQ(r.cases(1).verdict(), v1::WRONG_ANSWER);
  EXPECT_TRUE(r.cases(2).passed());
}

TEST(Executor, CppCompilesAndRunsEachCase) {
  ExecuteRequest req = Program("cpp",
                               "#include <iostream>\nint main(){long a,b;std::cin>>a>>b;"
                               "std::cout<<a+b<<\"\\n\";}\n");
  auto* t1 = req.add_tests();
  t1->set_stdin("1 2");
  t1->set_expected_stdout("3\n");
  auto* t2 = req.add_tests();
  t2->set_stdin("40 2");
  t2->set_expected_stdout("42\n");
  ExecuteResponse r = Execute(req);
  EXPECT_EQ(r.verdict(), v1::OK) << r.DebugString();
  EXPECT_EQ(r.tests_passed(), 2);
}

TEST(Executor, CppCompileErrorIsReported) {
  ExecuteResponse r = Execute(Program("cpp", "int main() { return undefined_name; }\n"));
  EXPECT_EQ(r.verdict(), v1::COMPILE_ERROR) << r.DebugString();
  EXPECT_NE(r.compile_output().find("undefined_name"), std::string::npos);
  EXPECT_FALSE(r.passed());
}

TEST(Executor, BashRuns) {
  ExecuteResponse r = Execute(Program("bash", "echo $((6*7)); echo err >&2; exit 0"));
  EXPECT_EQ(r.verdict(), v1::OK) << r.DebugString();
  EXPECT_EQ(testing::Stdout(r), "42\n");
  EXPECT_EQ(testing::Stderr(r), "err\n");
}

TEST(Executor, InfiniteLoopIsTimeout) {
  ExecuteRequest req = Python("while True:\n    pass\n");
  req.mutable_limits()->set_cpu_time_ms(1000);
  req.mutable_limits()->set_wall_time_ms(60000);  // the CPU limit must be what ends it
  ExecuteResponse r = Execute(req);
  EXPECT_EQ(r.verdict(), v1::TIMEOUT) << r.DebugString();
  EXPECT_GT(r.cases(0).cpu_time_us(), 0) << r.DebugString();
  EXPECT_EQ(r.cases(0).signal(), SIGXCPU) << r.DebugString();
}

TEST(Executor, SleepingPastWallLimitIsTimeout) {
  ExecuteRequest req = Python("import time\ntime.sleep(30)\n");
  req.mutable_limits()->set_wall_time_ms(1000);
  ExecuteResponse r = Execute(req);
  EXPECT_EQ(r.verdict(), v1::TIMEOUT) << r.DebugString();
}

TEST(Executor, FinishedProgramIsNeverTimeout) {
  // Uses most of its CPU budget but finishes: the verdict is the program's own.
  ExecuteRequest req = Python("x = 0\nfor i in range(3 * 10**6):\n    x += i\nprint(x)\n");
  req.mutable_limits()->set_cpu_time_ms(5000);
  ExecuteResponse r = Execute(req);
  EXPECT_EQ(r.verdict(), v1::OK) << r.DebugString();
}

TEST(Executor, MemoryBombIsMemoryLimit) {
  ExecuteRequest req = Python("x = bytearray(2 * 1024**3)\nprint(len(x))\n");
  req.mutable_limits()->set_memory_bytes(512ll << 20);
  ExecuteResponse r = Execute(req);
  EXPECT_EQ(r.verdict(), v1::MEMORY_LIMIT) << r.DebugString();
}

TEST(Executor, PrintingTooMuchIsOutputLimit) {
  ExecuteRequest req = Python("while True:\n    print('x' * 1000)\n");
  req.mutable_limits()->set_output_bytes(100000);
  ExecuteResponse r = Execute(req);
  EXPECT_EQ(r.verdict(), v1::OUTPUT_LIMIT) << r.verdict();
  EXPECT_LE(testing::Stdout(r).size() + testing::Stderr(r).size(), 100000u);
}

TEST(Executor, UnknownLanguageIsInvalidArgument) {
  ExecuteRequest req = Program("cobol", "DISPLAY 'HI'.");
  absl::Status s = testing::SharedExecutor().Validate(req);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("python3"), std::string::npos);
}

TEST(Executor, LimitsAboveMaximaAreInvalidArgument) {
  ExecuteRequest req = Python("pass");
  req.mutable_limits()->set_cpu_time_ms(10'000'000);
  absl::Status s = testing::SharedExecutor().Validate(req);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("cpu_time_ms"), std::string::npos);
}

TEST(Executor, OversizedSourceIsInvalidArgument) {
  ExecuteRequest req = Python(std::string(2 << 20, '#'));
  EXPECT_EQ(testing::SharedExecutor().Validate(req).code(), absl::StatusCode::kInvalidArgument);
}

TEST(Executor, TestCodeForCppIsInvalidArgument) {
  ExecuteRequest req = Program("cpp", "int main(){}");
  req.set_test_code("assert True");
  EXPECT_EQ(testing::SharedExecutor().Validate(req).code(), absl::StatusCode::kInvalidArgument);
}

TEST(Executor, ExtraFilesAreReadable) {
  ExecuteRequest req = Python("print(open('data/input.txt').read().upper())");
  auto* f = req.add_files();
  f->set_path("data/input.txt");
  f->set_content("abc");
  ExecuteResponse r = Execute(req);
  EXPECT_EQ(r.verdict(), v1::OK) << r.DebugString();
  EXPECT_EQ(testing::Stdout(r), "ABC\n");
}

}  // namespace
}  // namespace rlvr::sandbox

namespace rlvr::sandbox {
namespace {

TEST(ExecutorConfig, BuiltInLanguagesEqualTheShippedConfig) {
  rlvr::v1::SandboxServiceConfig shipped;
  ASSERT_TRUE(LoadConfig(RLVR_SOURCE_DIR "/configs/sandbox.textproto", {}, &shipped).ok());
  rlvr::v1::SandboxServiceConfig defaults = WithDefaults(rlvr::v1::SandboxServiceConfig());
  ASSERT_EQ(defaults.languages_size(), shipped.languages_size());
  for (int i = 0; i < shipped.languages_size(); ++i) {
    EXPECT_EQ(defaults.languages(i).DebugString(), shipped.languages(i).DebugString());
  }
  EXPECT_EQ(defaults.common_mount_paths_size(), shipped.common_mount_paths_size());
}

TEST(ExecutorConfig, DefaultsFillEveryLimit) {
  rlvr::v1::SandboxServiceConfig c = WithDefaults(rlvr::v1::SandboxServiceConfig());
  EXPECT_EQ(c.listen_address(), "127.0.0.1:0");
  EXPECT_GT(c.workers(), 0);
  EXPECT_GT(c.default_limits().cpu_time_ms(), 0);
  // Wall time is a multiple of CPU time, so load on the machine does not cause timeouts.
  EXPECT_GE(c.default_limits().wall_time_ms(), 2 * c.default_limits().cpu_time_ms());
  EXPECT_GE(c.max_limits().memory_bytes(), c.default_limits().memory_bytes());
}

}  // namespace
}  // namespace rlvr::sandbox

namespace rlvr::sandbox {
namespace {

TEST(Executor, FifosWork) {
  ExecuteResponse r =
      testing::Execute(testing::Python("import os\nos.mkfifo('/tmp/f')\nif os.fork() == 0:\n    "
                                       "open('/tmp/f', 'w').write('via fifo')\n"
                                       "    os._exit(0)\nprint(open('/tmp/f').read())\n"));
  EXPECT_EQ(r.verdict(), v1::OK) << r.DebugString();
  EXPECT_EQ(testing::Stdout(r), "via fifo\n");
}

TEST(Executor, SingleProcessLimitStillRuns) {
  rlvr::v1::ExecuteRequest req = testing::Python("import os\nprint('one')\n");
  req.mutable_limits()->set_processes(1);
  ExecuteResponse r = testing::Execute(req);
  EXPECT_EQ(r.verdict(), v1::OK) << r.DebugString();
}

}  // namespace
}  // namespace rlvr::sandbox

namespace rlvr::sandbox {
namespace {

TEST(Executor, ComputingProgramOutlastsAShortWallLimit) {
  // The wall-clock limit is far shorter than the work, the CPU limit is not: a program that
  // keeps computing is judged by its CPU limit, so machine load cannot make it a timeout.
  rlvr::v1::ExecuteRequest req =
      testing::Python("x = 0\nfor i in range(4 * 10**6):\n    x += i\nprint(x)\n");
  req.mutable_limits()->set_wall_time_ms(50);
  req.mutable_limits()->set_cpu_time_ms(30000);
  ExecuteResponse r = testing::Execute(req);
  EXPECT_EQ(r.verdict(), v1::OK) << r.DebugString();
  EXPECT_EQ(testing::Stdout(r), "7999998000000\n");
}

TEST(Executor, WaitingProgramStopsAtTheWallLimitEvenWithCpuLeft) {
  rlvr::v1::ExecuteRequest req = testing::Python("import time\ntime.sleep(60)\n");
  req.mutable_limits()->set_wall_time_ms(500);
  req.mutable_limits()->set_cpu_time_ms(30000);
  ExecuteResponse r = testing::Execute(req);
  EXPECT_EQ(r.verdict(), v1::TIMEOUT) << r.DebugString();
  EXPECT_EQ(r.cases(0).signal(), SIGKILL);
}

}  // namespace
}  // namespace rlvr::sandbox
