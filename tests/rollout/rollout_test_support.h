// Helpers for rollout tests: a tiny random MoE model written to a temporary folder, and the
// rlvr-rollout binary started on a free loopback port.
#ifndef RLVR_TESTS_ROLLOUT_ROLLOUT_TEST_SUPPORT_H_
#define RLVR_TESTS_ROLLOUT_ROLLOUT_TEST_SUPPORT_H_

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "model/config.h"
#include "model/weights.h"

namespace rlvr::testing {

inline std::string TinyMoeConfigPath() {
  return std::string(RLVR_SOURCE_DIR) + "/tests/rollout/fixtures/tiny_moe/config.json";
}

inline std::string MakeTempDir() {
  std::string pattern = ::testing::TempDir() + "rollout_XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  const char* dir = mkdtemp(buf.data());
  return dir == nullptr ? "" : std::string(dir);
}

// The tiny MoE config with weights RandomWeights(seed).
inline absl::StatusOr<Model> TinyMoe(uint64_t seed) {
  absl::StatusOr<ModelConfig> config = LoadModelConfig(TinyMoeConfigPath());
  if (!config.ok()) return config.status();
  Model model;
  model.config = *config;
  model.weights = RandomWeights(*config, seed, 0.2f);
  return model;
}

// A running rlvr-rollout. The destructor kills it if still running.
class RolloutProcess {
 public:
  // Starts the binary with --config config_path and waits for its "listening on" line.
  absl::Status Start(const std::string& config_path,
                     const std::vector<std::string>& extra_args = {}) {
    int out[2];
    if (pipe(out) != 0) return absl::InternalError("pipe failed");
    pid_ = fork();
    if (pid_ < 0) return absl::InternalError("fork failed");
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      close(out[0]);
      close(out[1]);
      std::string binary = std::string(RLVR_BINARY_DIR) + "/bin/rlvr-rollout";
      std::vector<std::string> args = {binary, "--config", config_path};
      args.insert(args.end(), extra_args.begin(), extra_args.end());
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(binary.c_str(), argv.data());
      _exit(127);
    }
    close(out[1]);
    stdout_ = fdopen(out[0], "r");
    char line[256];
    while (std::fgets(line, sizeof(line), stdout_) != nullptr) {
      const std::string text(line);
      const std::string prefix = "listening on ";
      if (text.rfind(prefix, 0) == 0) {
        address_ = text.substr(prefix.size());
        while (!address_.empty() && (address_.back() == '\n' || address_.back() == '\r')) {
          address_.pop_back();
        }
        return absl::OkStatus();
      }
    }
    return absl::InternalError("rlvr-rollout exited before listening");
  }

  const std::string& address() const { return address_; }
  pid_t pid() const { return pid_; }

  // Sends SIGTERM and returns the exit status (as from waitpid).
  int Terminate() {
    kill(pid_, SIGTERM);
    return Wait();
  }
  int Wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

  ~RolloutProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (stdout_ != nullptr) std::fclose(stdout_);
  }

 private:
  pid_t pid_ = -1;
  FILE* stdout_ = nullptr;
  std::string address_;
};

}  // namespace rlvr::testing

#endif  // RLVR_TESTS_ROLLOUT_ROLLOUT_TEST_SUPPORT_H_
