// Conformance: every HumanEval canonical solution and every MBPP reference solution passes
// with the dataset's own tests, run through the executor as the service runs them (two workers
// in parallel); known-wrong solutions fail.
#include <atomic>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "core/json.h"
#include "gtest/gtest.h"
#include "sandbox/execution_queue.h"
#include "tests/sandbox/sandbox_testing.h"

namespace rlvr::sandbox {
namespace {

using rlvr::v1::ExecuteRequest;
using rlvr::v1::ExecuteResponse;

struct Task {
  std::string id;
  ExecuteRequest request;
};

std::vector<JsonValue> Load(const std::string& name) {
  absl::StatusOr<std::vector<JsonValue>> rows = ReadJsonl(RLVR_SHARED_DATA_DIR "/" + name);
  EXPECT_TRUE(rows.ok()) << rows.status();
  return rows.ok() ? *rows : std::vector<JsonValue>();
}

std::string Str(const JsonValue& row, const char* key) {
  const JsonValue* v = row.Find(key);
  return v != nullptr && v->is_string() ? v->string() : "";
}

// The program is prompt + completion; the test code is the dataset's test + check(entry).
std::vector<Task> HumanEval(const std::function<std::string(const JsonValue&)>& completion) {
  std::vector<Task> tasks;
  for (const JsonValue& row : Load("humaneval.jsonl")) {
    Task t;
    t.id = Str(row, "task_id");
    t.request = testing::Python(Str(row, "prompt") + completion(row),
                                Str(row, "test") + "\ncheck(" + Str(row, "entry_point") + ")\n");
    t.request.set_id(t.id);
    tasks.push_back(std::move(t));
  }
  return tasks;
}

// Runs every task through a two-worker queue; returns the responses in task order.
std::vector<ExecuteResponse> RunAll(std::vector<Task> tasks) {
  // CPU time is the limit that matters; the wall-clock limit is generous so that a loaded CI
  // machine cannot turn a pass into a timeout.
  for (Task& t : tasks) t.request.mutable_limits()->set_wall_time_ms(120000);
  Executor& executor = testing::SharedExecutor();
  std::vector<ExecuteResponse> responses(tasks.size());
  absl::Mutex mu;
  size_t done = 0;
  {
    ExecutionQueue queue(executor.config().workers(), static_cast<int>(tasks.size()));
    std::vector<ExecutionQueue::Job> jobs;
    for (size_t i = 0; i < tasks.size(); ++i) {
      jobs.push_back([&, i](int worker) {
        absl::Status valid = executor.Validate(tasks[i].request);
        absl::StatusOr<ExecuteResponse> r = valid.ok() ? executor.Execute(tasks[i].request, worker)
                                                       : absl::StatusOr<ExecuteResponse>(valid);
        absl::MutexLock lock(&mu);
        if (r.ok()) {
          responses[i] = *r;
        } else {
          responses[i].set_detail(std::string(r.status().message()));
          responses[i].set_verdict(v1::SANDBOX_ERROR);
        }
        ++done;
      });
    }
    EXPECT_TRUE(queue.SubmitAll(std::move(jobs)).ok());
  }  // the queue's destructor runs every job
  EXPECT_EQ(done, tasks.size());
  return responses;
}

std::string Describe(const Task& t, const ExecuteResponse& r) {
  return absl::StrCat(t.id, ": ", v1::Verdict_Name(r.verdict()), " ", r.detail(), " ",
                      testing::Stderr(r).substr(0, 300));
}

TEST(Conformance, HumanEvalCanonicalSolutionsPass) {
  std::vector<Task> tasks =
      HumanEval([](const JsonValue& row) { return Str(row, "canonical_solution"); });
  ASSERT_EQ(tasks.size(), 164u);
  std::vector<ExecuteResponse> responses = RunAll(tasks);
  std::vector<std::string> failures;
  for (size_t i = 0; i < tasks.size(); ++i) {
    if (!responses[i].passed()) failures.push_back(Describe(tasks[i], responses[i]));
  }
  EXPECT_TRUE(failures.empty()) << failures.size() << " failed:\n" << absl::StrJoin(failures, "\n");
}

TEST(Conformance, MbppReferenceSolutionsPass) {
  std::vector<Task> tasks;
  for (const JsonValue& row : Load("mbpp.jsonl")) {
    std::vector<std::string> asserts;
    if (const JsonValue* list = row.Find("test_list"); list != nullptr && list->is_array()) {
      for (const JsonValue& a : list->array()) asserts.push_back(a.string());
    }
    Task t;
    t.id = absl::StrCat("mbpp/", row.Find("task_id")->integer());
    t.request = testing::Python(
        Str(row, "code"), Str(row, "test_setup_code") + "\n" + absl::StrJoin(asserts, "\n") + "\n");
    tasks.push_back(std::move(t));
  }
  ASSERT_EQ(tasks.size(), 974u);
  std::vector<ExecuteResponse> responses = RunAll(tasks);
  std::vector<std::string> failures;
  for (size_t i = 0; i < tasks.size(); ++i) {
    if (!responses[i].passed()) failures.push_back(Describe(tasks[i], responses[i]));
  }
  EXPECT_TRUE(failures.empty()) << failures.size() << " failed:\n" << absl::StrJoin(failures, "\n");
}

TEST(Conformance, KnownWrongSolutionsFail) {
  // An empty body for every HumanEval task.
  std::vector<Task> tasks = HumanEval([](const JsonValue&) { return "    pass\n"; });
  // Off by one: integer-valued tasks whose result is shifted by one.
  for (Task& t : HumanEval([](const JsonValue& row) {
         std::string entry = Str(row, "entry_point");
         return absl::StrCat(Str(row, "canonical_solution"), "\n_correct = ", entry, "\ndef ",
                             entry, "(*args):\n    return _correct(*args) + 1\n");
       })) {
    for (const char* id : {"HumanEval/13", "HumanEval/36", "HumanEval/39", "HumanEval/46",
                           "HumanEval/55", "HumanEval/63", "HumanEval/83", "HumanEval/84"}) {
      if (t.id == id) {
        t.id += " (off by one)";
        tasks.push_back(t);
      }
    }
  }
  ASSERT_EQ(tasks.size(), 164u + 8u);
  std::vector<ExecuteResponse> responses = RunAll(tasks);
  std::vector<std::string> wrongly_passed;
  for (size_t i = 0; i < tasks.size(); ++i) {
    if (responses[i].passed() || responses[i].verdict() == v1::OK) {
      wrongly_passed.push_back(tasks[i].id);
    }
    EXPECT_TRUE(responses[i].verdict() == v1::WRONG_ANSWER ||
                responses[i].verdict() == v1::RUNTIME_ERROR)
        << Describe(tasks[i], responses[i]);
  }
  EXPECT_TRUE(wrongly_passed.empty()) << absl::StrJoin(wrongly_passed, ", ");
}

}  // namespace
}  // namespace rlvr::sandbox
