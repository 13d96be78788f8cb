#include "verifiers/code_tests.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/json.h"
#include "verifiers/extract.h"
#include "verifiers/options.h"

namespace rlvr {

std::optional<std::string_view> LastCodeBlock(std::string_view text) {
  constexpr std::string_view kFence = "```";
  // Fences alternate open/close; the last complete pair wins.
  std::optional<std::string_view> last;
  size_t pos = 0;
  while (true) {
    size_t open = text.find(kFence, pos);
    if (open == std::string_view::npos) break;
    size_t line_end = text.find('\n', open + kFence.size());
    if (line_end == std::string_view::npos) break;
    size_t close = text.find(kFence, line_end + 1);
    if (close == std::string_view::npos) break;
    last = text.substr(line_end + 1, close - line_end - 1);
    pos = close + kFence.size();
  }
  return last;
}

namespace {

enum class RewardMode { kAll, kFraction };

class CodeTestsVerifier : public Verifier {
 public:
  CodeTestsVerifier(CodeRunner* runner, std::string language, RewardMode mode,
                    rlvr::v1::SandboxLimits limits)
      : runner_(runner), language_(std::move(language)), mode_(mode), limits_(limits) {}
  std::string_view name() const override { return "code_tests"; }

  absl::StatusOr<Judgement> Verify(const VerifyInput& input) const override {
    if (runner_ == nullptr) {
      return absl::FailedPreconditionError(
          "code_tests: no sandbox is configured to run programs (give the process a sandbox "
          "address or run the verifier inside rlvr-sandbox)");
    }
    rlvr::v1::ExecuteRequest request;
    absl::Status s = BuildTests(input.ground_truth, &request);
    if (!s.ok()) return s;
    std::optional<std::string_view> code = LastCodeBlock(input.response);
    if (!code.has_value()) code = ExtractAnswer(input.response, AnswerSource::kAnswerTag);
    if (!code.has_value()) code = input.response;
    std::string source(input.Meta("prefix").value_or(""));
    source.append(*code);
    source.append(input.Meta("suffix").value_or(""));
    request.set_source(std::move(source));
    request.set_language(std::string(input.Meta("language").value_or(language_)));
    *request.mutable_limits() = limits_;
    absl::StatusOr<rlvr::v1::ExecuteResponse> run = runner_->Run(request, input.deadline);
    if (!run.ok()) {
      return absl::Status(
          run.status().code(),
          absl::StrCat("code_tests: could not run the program: ", run.status().message()));
    }
    if (run->verdict() == rlvr::v1::SANDBOX_ERROR) {
      return absl::UnavailableError(
          absl::StrCat("code_tests: the sandbox failed to run the program: ", run->detail()));
    }
    Judgement j;
    double fraction = run->passed() ? 1.0 : 0.0;
    if (run->tests_total() > 0) {
      fraction = static_cast<double>(run->tests_passed()) / run->tests_total();
    }
    j.reward = mode_ == RewardMode::kFraction ? fraction : (run->passed() ? 1.0 : 0.0);
    j.components["code_tests"] = j.reward;
    j.components["pass_fraction"] = fraction;
    j.detail =
        absl::StrFormat("verdict %s, %d/%d tests passed", rlvr::v1::Verdict_Name(run->verdict()),
                        run->tests_passed(), run->tests_total());
    return j;
  }

 private:
  static absl::Status BuildTests(std::string_view truth, rlvr::v1::ExecuteRequest* request) {
    std::string_view t = TrimAscii(truth);
    if (t.empty()) return absl::InvalidArgumentError("code_tests: the ground truth has no tests");
    if (t.front() == '{') {
      absl::StatusOr<JsonValue> json = ParseJson(t);
      if (!json.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("code_tests: ground truth JSON: ", json.status().message()));
      }
      absl::StatusOr<const JsonValue*> tests = json->Get("tests", JsonValue::Type::kArray);
      if (!tests.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("code_tests: ground truth JSON: ", tests.status().message()));
      }
      for (const JsonValue& c : (*tests)->array()) {
        absl::StatusOr<std::string> in = c.GetString("stdin");
        absl::StatusOr<std::string> out = c.GetString("expected_stdout");
        if (!in.ok() || !out.ok()) {
          return absl::InvalidArgumentError(
              "code_tests: each test needs string fields 'stdin' and 'expected_stdout'");
        }
        rlvr::v1::TestCase* tc = request->add_tests();
        tc->set_stdin(*in);
        tc->set_expected_stdout(*out);
      }
      if (request->tests().empty()) {
        return absl::InvalidArgumentError("code_tests: the ground truth has an empty test list");
      }
      return absl::OkStatus();
    }
    request->set_test_code(std::string(truth));
    return absl::OkStatus();
  }

  CodeRunner* runner_;
  std::string language_;
  RewardMode mode_;
  rlvr::v1::SandboxLimits limits_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Verifier>> MakeCodeTestsVerifier(const VerifierOptions& options,
                                                                CodeRunner* runner) {
  OptionReader r("code_tests", options);
  if (absl::Status s = r.CheckKnown({"language", "reward", "wall_time_ms", "memory_bytes"});
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> mode = r.Choice("reward", "all", {"all", "fraction"});
  if (!mode.ok()) return mode.status();
  absl::StatusOr<int64_t> wall = r.Int("wall_time_ms", 0);
  if (!wall.ok()) return wall.status();
  absl::StatusOr<int64_t> mem = r.Int("memory_bytes", 0);
  if (!mem.ok()) return mem.status();
  if (*wall < 0 || *mem < 0) {
    return absl::InvalidArgumentError("code_tests: limits must not be negative");
  }
  rlvr::v1::SandboxLimits limits;
  limits.set_wall_time_ms(*wall);
  limits.set_memory_bytes(*mem);
  return std::make_unique<CodeTestsVerifier>(
      runner, r.String("language", "python3"),
      *mode == "fraction" ? RewardMode::kFraction : RewardMode::kAll, limits);
}

}  // namespace rlvr
