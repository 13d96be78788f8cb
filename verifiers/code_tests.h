// code_tests: runs the program in a response against the problem's tests through a CodeRunner
// (the sandbox), never in this process.
//
// The program is the last fenced code block of the response (```python ... ```), or, when the
// response has none, its <answer> block or whole text. Metadata "prefix" / "suffix" are put
// around it (e.g. HumanEval's prompt). The ground truth is either
//   - assert-style test code (MBPP test_list, HumanEval test + "check(f)"), run after the
//     program: reward 1 when the run passes, else 0; or
//   - JSON {"tests": [{"stdin": "...", "expected_stdout": "..."}, ...]}: one run per case.
// Options: language (default python3; metadata "language" wins), reward=all|fraction (fraction:
// passed/total over stdin cases), wall_time_ms, memory_bytes (0: the sandbox's defaults).
// A sandbox that cannot run the program (unreachable, SANDBOX_ERROR) is "could not judge".
#ifndef RLVR_VERIFIERS_CODE_TESTS_H_
#define RLVR_VERIFIERS_CODE_TESTS_H_

#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "verifiers/code_runner.h"
#include "verifiers/registry.h"
#include "verifiers/verifier.h"

namespace rlvr {

// The content of the last ``` fenced block (the info string, e.g. "python", dropped).
std::optional<std::string_view> LastCodeBlock(std::string_view text);

// `runner` is not owned and may be null (then every Verify is FAILED_PRECONDITION).
absl::StatusOr<std::unique_ptr<Verifier>> MakeCodeTestsVerifier(const VerifierOptions& options,
                                                                CodeRunner* runner);

}  // namespace rlvr

#endif  // RLVR_VERIFIERS_CODE_TESTS_H_
