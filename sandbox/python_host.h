// The embedded Python interpreter of the zygote. It is initialized once (with the common
// modules imported) and every Python run is a fork of it, which is what makes a run cost a
// fork instead of an interpreter start.
//
// Verdict channel. For a run with test code, the pass token (random, chosen by the service per
// run) lives in C memory of the run's process, never in a Python object, and is written to the
// result fd by C code only after the test code has run to its end without an exception. The
// program cannot read it (no ctypes, no /proc, /tmp is noexec, frames and the garbage
// collector's object lists are closed by an audit hook) and cannot skip or alter the test
// code's statements (tracing, profiling and signal handlers are denied; the tests run in their
// own globals with a pristine copy of the builtins), nor rig the tests' == and != (they are
// rewritten to a comparison that never calls the program's __eq__ against plain data).
// docs/sandbox.md has the threat model.
#ifndef RLVR_SANDBOX_PYTHON_HOST_H_
#define RLVR_SANDBOX_PYTHON_HOST_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "sandbox/wire.pb.h"

namespace rlvr::sandbox {

// In the zygote, after it entered the sandbox root: starts the interpreter (isolated mode, no
// site, no bytecode cache) and imports `preload_modules`.
absl::Status InitializeEmbeddedPython(const std::vector<std::string>& preload_modules);

// Bracket a fork of the zygote process (the interpreter's fork protocol).
void PythonBeforeFork();
void PythonAfterForkParent();

// In the program process, after RestrictProcess: runs step.source (and step.test_code) as
// __main__ and exits the process with the program's exit status. When the test code completes,
// writes step.token to `result_fd` first.
[[noreturn]] void RunPythonProgram(const wire::Step& step, int result_fd);

}  // namespace rlvr::sandbox

#endif  // RLVR_SANDBOX_PYTHON_HOST_H_
