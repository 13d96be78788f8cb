// rlvr-trainer, two rlvr-rollout workers and rlvr-sandbox as real processes on loopback: a few
// GRPO steps on a tiny model, a worker killed mid-run, and resume-from-checkpoint equality.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "core/json.h"
#include "core/tokenizer.h"
#include "gtest/gtest.h"
#include "model/config.h"
#include "model/weights.h"

namespace rlvr {
namespace {

namespace fs = std::filesystem;

const std::string kBin = std::string(RLVR_BINARY_DIR) + "/bin/";
constexpr int kLineTimeoutMs = 120000;

struct Child {
  pid_t pid = -1;
  int out_fd = -1;  // the child's stdout (or stderr for the trainer)
};

// Starts argv[0] with stdout (or stderr) on a pipe and the other stream in log_path.
Child Spawn(const std::vector<std::string>& argv, const std::string& log_path,
            bool pipe_stderr = false) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  Child c;
  c.pid = fork();
  if (c.pid == 0) {
    const int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fds[1], pipe_stderr ? 2 : 1);
    dup2(log, pipe_stderr ? 1 : 2);
    close(fds[0]);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(fds[1]);
  c.out_fd = fds[0];
  return c;
}

// Reads one line; false at end of stream or after kLineTimeoutMs without a byte.
bool ReadLine(int fd, std::string* line) {
  line->clear();
  while (true) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, kLineTimeoutMs) <= 0) return false;
    char ch;
    if (read(fd, &ch, 1) != 1) return !line->empty();
    if (ch == '\n') return true;
    line->push_back(ch);
  }
}

int Wait(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void WriteText(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

struct Service {
  Child child;
  std::string address;
};

Service StartService(const std::string& binary, const std::string& config, const std::string& log) {
  Service s;
  s.child = Spawn({kBin + binary, "--config", config}, log);
  std::string line;
  while (ReadLine(s.child.out_fd, &line)) {
    if (line.rfind("listening on ", 0) == 0) {
      s.address = line.substr(13);
      break;
    }
  }
  EXPECT_FALSE(s.address.empty()) << binary << " did not start; see " << log;
  return s;
}

void Stop(Service& s) {
  if (s.child.pid > 0) {
    kill(s.child.pid, SIGTERM);
    Wait(s.child.pid);
    close(s.child.out_fd);
    s.child.pid = -1;
  }
}

// A tiny dense model with a character-level tokenizer over digits and "+=".
class ProcessIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* b : {"rlvr-trainer", "rlvr-rollout", "rlvr-sandbox"}) {
      ASSERT_TRUE(fs::exists(kBin + b)) << kBin + b << " is not built";
    }
    dir_ = ::testing::TempDir() + "/trainer_processes_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_ + "/model");
    CharLevelTokenizerSpec spec;
    spec.special_tokens = {"<|endoftext|>"};
    for (char c : std::string("0123456789+= ")) spec.characters.push_back(std::string(1, c));
    absl::StatusOr<std::string> tok = BuildCharLevelTokenizerJson(spec);
    ASSERT_TRUE(tok.ok()) << tok.status();
    WriteText(dir_ + "/model/tokenizer.json", *tok);
    const std::string config_json = absl::StrFormat(
        R"({"model_type": "qwen2", "vocab_size": %d, "hidden_size": 16, "num_hidden_layers": 1,
            "num_attention_heads": 2, "num_key_value_heads": 1, "intermediate_size": 24,
            "max_position_embeddings": 64, "rope_theta": 10000.0, "rms_norm_eps": 1e-6})",
        2 + static_cast<int>(spec.characters.size()));
    auto config = ParseModelConfig(*ParseJson(config_json));
    ASSERT_TRUE(config.ok()) << config.status();
    Model m{*config, RandomWeights(*config, 3, 0.3f)};
    ASSERT_TRUE(SaveModel(m, dir_ + "/model").ok());
    std::string data;
    for (int i = 0; i < 12; ++i) {
      data +=
          absl::StrFormat("{\"prompt\": \"%d+%d=\", \"answer\": \"%d\"}\n", i, i % 3, i + i % 3);
    }
    WriteText(dir_ + "/train.jsonl", data);
    WriteText(dir_ + "/rollout.textproto",
              absl::StrFormat("listen_address: \"127.0.0.1:0\"\n"
                              "model { path: \"%s/model\" backend: \"reference\" num_threads: 1 }\n"
                              "kv_blocks: 64\n",
                              dir_));
    WriteText(dir_ + "/sandbox.textproto",
              "listen_address: \"127.0.0.1:0\"\nworkers: 1\n"
              "reward { verifiers { name: \"math\" } }\n");
    sandbox_ = StartService("rlvr-sandbox", dir_ + "/sandbox.textproto", dir_ + "/sandbox.log");
    for (int w = 0; w < 2; ++w) {
      rollouts_.push_back(StartService("rlvr-rollout", dir_ + "/rollout.textproto",
                                       absl::StrFormat("%s/rollout%d.log", dir_, w)));
    }
  }

  void TearDown() override {
    for (Service& s : rollouts_) Stop(s);
    Stop(sandbox_);
  }

  // Writes an experiment config for `steps` steps logging into run_dir.
  std::string Experiment(const std::string& run, int steps) {
    const std::string path = absl::StrFormat("%s/%s.textproto", dir_, run);
    WriteText(path, absl::StrFormat(
                        R"pb(
                          name: "%s"
                          seed: 7
                          model { path: "%s/model" backend: "reference" num_threads: 1 }
                          data {
                            train { path: "%s/train.jsonl" }
                            eval { path: "%s/train.jsonl" max_records: 4 }
                            shuffle: true
                          }
                          eval { every_steps: 2 pass_at_k: 2 }
                          algorithm { prompts_per_step: 3 samples_per_prompt: 4 mini_batches: 2 }
                          optimizer { learning_rate: 0.01 max_grad_norm: 1.0 }
                          schedule { steps: %d }
                          sampling { temperature: 1.0 max_new_tokens: 4 seed: 11 }
                          rollout_addresses: [ "%s", "%s" ]
                          sandbox_address: "%s"
                          logging { dir: "%s/%s" tensorboard: true sample_traces: 2 }
                          checkpoint { dir: "%s/%s/checkpoints" every_steps: 2 export_hf: true }
                        )pb",
                        run, dir_, dir_, dir_, steps, rollouts_[0].address, rollouts_[1].address,
                        sandbox_.address, dir_, run, dir_, run));
    return path;
  }

  // Runs the trainer to completion; returns its exit code. on_line sees each stderr line.
  int RunTrainer(const std::vector<std::string>& args,
                 const std::function<void(const std::string&)>& on_line = nullptr) {
    std::vector<std::string> argv = {kBin + "rlvr-trainer"};
    argv.insert(argv.end(), args.begin(), args.end());
    Child t = Spawn(argv, dir_ + "/trainer_stdout.log", /*pipe_stderr=*/true);
    std::string line;
    while (ReadLine(t.out_fd, &line)) {
      trainer_output_ += line + "\n";
      if (on_line) on_line(line);
    }
    close(t.out_fd);
    return Wait(t.pid);
  }

  // step -> name -> value from a run's metrics.jsonl, without timings and fleet counters.
  std::map<int64_t, std::map<std::string, double>> Metrics(const std::string& run) {
    std::map<int64_t, std::map<std::string, double>> out;
    auto lines = ReadJsonl(dir_ + "/" + run + "/metrics.jsonl");
    EXPECT_TRUE(lines.ok()) << lines.status();
    if (!lines.ok()) return out;
    for (const JsonValue& v : *lines) {
      auto name = v.GetString("name");
      auto step = v.GetInt("step");
      auto value = v.GetNumber("value");
      if (!name.ok() || !step.ok() || !value.ok()) continue;
      if (name->find("time/") != std::string::npos || name->rfind("rollout/", 0) == 0) continue;
      out[*step][*name] = *value;
    }
    return out;
  }

  std::string dir_;
  Service sandbox_;
  std::vector<Service> rollouts_;
  std::string trainer_output_;
};

TEST_F(ProcessIntegrationTest, ResumedRunLogsTheSameMetricsAsAnUninterruptedOne) {
  ASSERT_EQ(RunTrainer({"--config", Experiment("full", 4)}), 0) << trainer_output_;
  ASSERT_EQ(RunTrainer({"--config", Experiment("half", 2)}), 0) << trainer_output_;
  ASSERT_EQ(
      RunTrainer({"--config", Experiment("resumed", 4), "--resume", dir_ + "/half/checkpoints"}), 0)
      << trainer_output_;
  auto full = Metrics("full");
  auto resumed = Metrics("resumed");
  ASSERT_EQ(full.size(), 4u);
  ASSERT_EQ(resumed.size(), 2u);
  for (int64_t step : {2, 3}) {
    ASSERT_TRUE(resumed.count(step));
    EXPECT_EQ(resumed[step], full[step]) << "step " << step;
    EXPECT_EQ(full[step]["samples"], 12);
  }
  // Evaluation before the first step and after steps 2 and 4 (logged with step indices 0, 1
  // and 3), in both runs alike.
  EXPECT_TRUE(full[0].count("eval/accuracy"));
  EXPECT_TRUE(full[1].count("eval/accuracy"));
  EXPECT_TRUE(full[3].count("eval/pass@2"));
  for (const char* f : {"config.json", "model.safetensors", "tokenizer.json"}) {
    EXPECT_TRUE(fs::exists(dir_ + "/full/checkpoints/hf/" + f)) << f;
  }
  auto records = ReadJsonl(dir_ + "/full/metrics.jsonl");
  ASSERT_TRUE(records.ok());
  int traces = 0;
  for (const JsonValue& r : *records) {
    auto name = r.GetString("name");
    if (!name.ok() || *name != "trace") continue;
    absl::StatusOr<std::string> text = r.GetString("text");
    ASSERT_TRUE(text.ok());
    absl::StatusOr<JsonValue> trace = ParseJson(*text);
    ASSERT_TRUE(trace.ok()) << *text;
    EXPECT_TRUE(trace->GetString("response").ok()) << *text;
    EXPECT_TRUE(trace->GetString("ground_truth").ok()) << *text;
    ++traces;
  }
  EXPECT_EQ(traces, 8);  // 2 per step
  bool events = false;
  for (const auto& e : fs::directory_iterator(dir_ + "/full/tensorboard")) {
    events |= e.path().filename().string().rfind("events.out.tfevents.", 0) == 0 &&
              fs::file_size(e.path()) > 0;
  }
  EXPECT_TRUE(events);
}

TEST_F(ProcessIntegrationTest, SigtermCheckpointsAndExitsCleanly) {
  bool signalled = false;
  std::vector<std::string> argv = {kBin + "rlvr-trainer", "--config", Experiment("stop", 1000)};
  Child t = Spawn(argv, dir_ + "/trainer_stdout.log", /*pipe_stderr=*/true);
  std::string line;
  while (ReadLine(t.out_fd, &line)) {
    trainer_output_ += line + "\n";
    if (!signalled && line.rfind("step 2/1000", 0) == 0) {
      kill(t.pid, SIGTERM);
      signalled = true;
    }
  }
  close(t.out_fd);
  ASSERT_EQ(Wait(t.pid), 0) << trainer_output_;
  ASSERT_TRUE(signalled) << trainer_output_;
  EXPECT_NE(trainer_output_.find("stopped by signal"), std::string::npos) << trainer_output_;
  auto latest = ReadFile(dir_ + "/stop/checkpoints/latest");
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_LT(Metrics("stop").size(), 1000u);
}

TEST_F(ProcessIntegrationTest, RunCompletesAfterAWorkerIsKilled) {
  bool killed = false;
  const int rc = RunTrainer({"--config", Experiment("kill", 4)}, [&](const std::string& line) {
    if (!killed && line.rfind("step 1/4", 0) == 0) {
      kill(rollouts_[1].child.pid, SIGKILL);
      Wait(rollouts_[1].child.pid);
      rollouts_[1].child.pid = -1;
      killed = true;
    }
  });
  ASSERT_EQ(rc, 0) << trainer_output_;
  ASSERT_TRUE(killed) << trainer_output_;
  auto m = Metrics("kill");
  ASSERT_EQ(m.size(), 4u);
  for (const auto& [step, values] : m) EXPECT_EQ(values.at("samples"), 12) << step;
  EXPECT_TRUE(fs::exists(dir_ + "/kill/checkpoints/step_4/trainer_state.json"));
}

}  // namespace
}  // namespace rlvr
