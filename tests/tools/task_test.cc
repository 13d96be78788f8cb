#include <cstdint>
#include <filesystem>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "core/json.h"
#include "core/rng.h"
#include "core/tokenizer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/data_command.h"
#include "trainer/prompt_template.h"
#include "trainer/task_corpus.h"
#include "trainer/task_synthetic.h"
#include "verifiers/builtin_verifiers.h"

namespace rlvr {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::unique_ptr<SyntheticTask> Task(const std::string& family, int min_digits = 0,
                                    int max_digits = 0) {
  v1::SyntheticTaskConfig config;
  config.set_family(family);
  config.set_min_digits(min_digits);
  config.set_max_digits(max_digits);
  absl::StatusOr<std::unique_ptr<SyntheticTask>> task = MakeSyntheticTask(config);
  EXPECT_TRUE(task.ok()) << task.status();
  return std::move(*task);
}

double Reward(const Verifier& verifier, const std::string& response, const std::string& truth) {
  VerifyInput input;
  input.response = response;
  input.ground_truth = truth;
  absl::StatusOr<Judgement> j = verifier.Verify(input);
  EXPECT_TRUE(j.ok()) << j.status();
  return j.ok() ? j->reward : -1;
}

TEST(AdditionTask, WorkedSolutionConsumesOneColumnPerLine) {
  EXPECT_EQ(AdditionWorkedSolution("958", "67"),
            "958+67 c0 r\n95+6 c1 r5\n9+ c1 r25\n+ c1 r025\n= 1025");
  EXPECT_EQ(AdditionWorkedSolution("12", "34"), "12+34 c0 r\n1+3 c0 r6\n+ c0 r46\n= 46");
}

TEST(AdditionTask, SamplesAreCorrectSumsWithinTheDigitRange) {
  std::unique_ptr<SyntheticTask> task = Task("addition", 2, 5);
  Rng rng(11);
  for (int i = 0; i < 500; ++i) {
    const TaskProblem p = task->Sample(rng);
    const std::vector<std::string> parts = absl::StrSplit(p.question, '+');
    ASSERT_EQ(parts.size(), 2u) << p.question;
    for (const std::string& n : parts) {
      EXPECT_GE(n.size(), 2u);
      EXPECT_LE(n.size(), 5u);
      EXPECT_NE(n[0], '0');
    }
    EXPECT_EQ(p.ground_truth, std::to_string(std::stoull(parts[0]) + std::stoull(parts[1])));
    EXPECT_EQ(p.answer, p.ground_truth);
    EXPECT_TRUE(absl::EndsWith(p.worked, "\n= " + p.ground_truth)) << p.worked;
    EXPECT_EQ(p.bare, p.question + "=" + p.ground_truth);
  }
}

TEST(AdditionTask, SameSeedSameProblemsOtherSeedOthers) {
  std::unique_ptr<SyntheticTask> task = Task("addition");
  Rng a(5), b(5), c(6);
  std::string sa, sb, sc;
  for (int i = 0; i < 20; ++i) {
    sa += task->Sample(a).question + ";";
    sb += task->Sample(b).question + ";";
    sc += task->Sample(c).question + ";";
  }
  EXPECT_EQ(sa, sb);
  EXPECT_NE(sa, sc);
}

TEST(SumTask, WorkedSolutionReducesOneAdditionPerLine) {
  EXPECT_EQ(SumWorkedSolution({"48", "70", "38", "86", "73"}),
            "48+70+38+86+73\n48+70=118\n118+38+86+73\n118+38=156\n156+86+73\n156+86=242\n"
            "242+73\n242+73=315\n315");
  EXPECT_EQ(SumWorkedSolution({"9", "1"}), "9+1\n9+1=10\n10");
}

TEST(SumTask, SamplesAreCorrectSumsOfTheConfiguredShape) {
  v1::SyntheticTaskConfig config;
  config.set_family("sum");
  config.set_operands(6);
  config.set_min_digits(1);
  config.set_max_digits(3);
  absl::StatusOr<std::unique_ptr<SyntheticTask>> task = MakeSyntheticTask(config);
  ASSERT_TRUE(task.ok()) << task.status();
  EXPECT_EQ((*task)->verifier(), "exact_match");
  Rng rng(17);
  for (int i = 0; i < 300; ++i) {
    const TaskProblem p = (*task)->Sample(rng);
    const std::vector<std::string> parts = absl::StrSplit(p.question, '+');
    ASSERT_EQ(parts.size(), 6u) << p.question;
    uint64_t total = 0;
    for (const std::string& n : parts) {
      EXPECT_GE(n.size(), 1u);
      EXPECT_LE(n.size(), 3u);
      EXPECT_TRUE(n.size() == 1 || n[0] != '0') << n;
      total += std::stoull(n);
    }
    EXPECT_EQ(p.ground_truth, std::to_string(total));
    EXPECT_EQ(p.answer, p.ground_truth);
    EXPECT_EQ(p.direct, p.question);
    EXPECT_EQ(p.bare, p.question + "=" + p.ground_truth);
    // The working alternates a sum line and one addition: every sum line keeps the total, every
    // addition is right, and the next sum line starts with its result.
    const std::vector<std::string> lines = absl::StrSplit(p.worked, '\n');
    ASSERT_EQ(lines.size(), 11u) << p.worked;
    EXPECT_EQ(lines.front(), p.question);
    EXPECT_EQ(lines.back(), p.ground_truth);
    for (size_t k = 0; k < lines.size(); ++k) {
      if (k % 2 == 0) {
        uint64_t line_total = 0;
        for (absl::string_view n : absl::StrSplit(lines[k], '+')) {
          line_total += std::stoull(std::string(n));
        }
        EXPECT_EQ(line_total, total) << lines[k];
        continue;
      }
      const std::vector<std::string> eq = absl::StrSplit(lines[k], absl::ByAnyChar("+="));
      ASSERT_EQ(eq.size(), 3u) << lines[k];
      EXPECT_TRUE(absl::StartsWith(lines[k - 1], eq[0] + "+" + eq[1])) << lines[k];
      EXPECT_EQ(std::stoull(eq[0]) + std::stoull(eq[1]), std::stoull(eq[2])) << lines[k];
      EXPECT_TRUE(absl::StartsWith(lines[k + 1], eq[2])) << lines[k + 1];
    }
  }
}

TEST(SumTask, BadOperandCountIsAnError) {
  v1::SyntheticTaskConfig config;
  config.set_family("sum");
  config.set_operands(1);
  EXPECT_THAT(MakeSyntheticTask(config).status().message(), HasSubstr("operands"));
}

TEST(SyntheticTask, BadConfigsNameTheField) {
  v1::SyntheticTaskConfig config;
  config.set_family("sudoku");
  EXPECT_THAT(MakeSyntheticTask(config).status().message(), HasSubstr("family"));
  config.set_family("addition");
  config.set_min_digits(5);
  config.set_max_digits(3);
  EXPECT_THAT(MakeSyntheticTask(config).status().message(), HasSubstr("min_digits"));
  config.set_family("countdown");
  config.set_operands(9);
  EXPECT_THAT(MakeSyntheticTask(config).status().message(), HasSubstr("operands"));
}

TEST(Responses, WorkedAndDirectResponsesPassTheFormatAndAnswerVerifiers) {
  absl::StatusOr<std::unique_ptr<Verifier>> format = MakeFormatVerifier({});
  absl::StatusOr<std::unique_ptr<Verifier>> exact =
      MakeExactMatchVerifier({{"source", "answer_tag"}});
  ASSERT_TRUE(format.ok() && exact.ok());
  std::unique_ptr<SyntheticTask> task = Task("addition");
  Rng rng(3);
  for (int i = 0; i < 50; ++i) {
    const TaskProblem p = task->Sample(rng);
    EXPECT_EQ(Reward(**format, WorkedResponse(p), p.ground_truth), 1.0) << WorkedResponse(p);
    EXPECT_EQ(Reward(**format, DirectResponse(p), p.ground_truth), 1.0) << DirectResponse(p);
    EXPECT_EQ(Reward(**exact, WorkedResponse(p), p.ground_truth), 1.0);
  }
}

TEST(CountdownTask, AnswersSolveTheirProblemsByTheCountdownVerifier) {
  absl::StatusOr<std::unique_ptr<Verifier>> countdown = MakeCountdownVerifier({});
  ASSERT_TRUE(countdown.ok()) << countdown.status();
  std::unique_ptr<SyntheticTask> task = Task("countdown");
  EXPECT_EQ(task->verifier(), "countdown");
  Rng rng(9);
  for (int i = 0; i < 100; ++i) {
    const TaskProblem p = task->Sample(rng);
    EXPECT_EQ(Reward(**countdown, WorkedResponse(p), p.ground_truth), 1.0)
        << p.question << " -> " << p.answer << " / " << p.ground_truth;
  }
}

TEST(Corpus, WorkedSolutionsAreTheExceptionAndEveryDocumentEnds) {
  std::unique_ptr<SyntheticTask> task = Task("addition");
  v1::CorpusConfig config;
  config.set_documents(2000);
  config.set_direct_share(0.7);
  config.set_worked_share(0.1);
  config.set_filler_share(0.1);
  config.set_scratch_share(0.1);
  config.set_direct_template_share(0.5);
  Rng rng(1);
  absl::StatusOr<std::vector<std::string>> docs =
      GenerateCorpus(*task, config, kR1ZeroTemplate, rng);
  ASSERT_TRUE(docs.ok()) << docs.status();
  ASSERT_EQ(docs->size(), 2000u);
  int worked = 0, templated_direct = 0, scratch = 0;
  for (const std::string& d : *docs) {
    EXPECT_TRUE(absl::EndsWith(d, kEndOfText));
    const bool working = d.find(" c0 r\n") != std::string::npos;
    const bool tagged = d.find("<think>") != std::string::npos;
    if (working && tagged) ++worked;
    if (!working && tagged) ++templated_direct;
    if (working && !tagged) ++scratch;
  }
  EXPECT_GT(scratch, 100);
  EXPECT_LT(scratch, 300);
  // Seeded, so these counts are fixed; the bounds say what the shares mean.
  EXPECT_GT(worked, 100);
  EXPECT_LT(worked, 300);
  EXPECT_GT(templated_direct, worked * 3);
}

TEST(Corpus, RejectsBadShares) {
  std::unique_ptr<SyntheticTask> task = Task("addition");
  v1::CorpusConfig config;
  config.set_documents(10);
  Rng rng(1);
  EXPECT_FALSE(GenerateCorpus(*task, config, kR1ZeroTemplate, rng).ok());  // all zero
  config.set_worked_share(-1);
  EXPECT_FALSE(GenerateCorpus(*task, config, kR1ZeroTemplate, rng).ok());
  config.set_worked_share(1);
  EXPECT_FALSE(GenerateCorpus(*task, config, "no placeholder", rng).ok());
}

TEST(PromptSets, TrainAndEvalShareNoQuestion) {
  std::unique_ptr<SyntheticTask> task = Task("addition", 2, 2);
  v1::PromptSetConfig config;
  config.set_train_examples(3000);
  config.set_eval_examples(500);
  Rng rng(2);
  absl::StatusOr<PromptSets> sets = GeneratePromptSets(*task, config, rng);
  ASSERT_TRUE(sets.ok()) << sets.status();
  std::set<std::string> eval;
  for (const PromptRecord& r : sets->eval) eval.insert(r.prompt);
  EXPECT_EQ(eval.size(), 500u);
  for (const PromptRecord& r : sets->train) {
    EXPECT_EQ(eval.count(r.prompt), 0u) << r.prompt;
    EXPECT_EQ(r.verifier, "exact_match");
  }
}

TEST(PromptSets, AskingForMoreDistinctQuestionsThanExistIsAnError) {
  std::unique_ptr<SyntheticTask> task = Task("addition", 1, 1);  // 100 questions exist
  v1::PromptSetConfig config;
  config.set_train_examples(150);
  Rng rng(2);
  EXPECT_EQ(GeneratePromptSets(*task, config, rng).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(TaskTokenizer, EncodesTemplatedWorkedSolutionsWithoutUnknownsAndDecodesThemBack) {
  for (const char* family : {"addition", "countdown"}) {
    std::unique_ptr<SyntheticTask> task = Task(family);
    absl::StatusOr<std::string> json =
        BuildCharLevelTokenizerJson(TaskTokenizerSpec(*task, kR1ZeroTemplate));
    ASSERT_TRUE(json.ok()) << json.status();
    absl::StatusOr<std::unique_ptr<Tokenizer>> tok = Tokenizer::FromJson(*json);
    ASSERT_TRUE(tok.ok()) << tok.status();
    const int32_t unk = *(*tok)->TokenToId("<unk>");
    Rng rng(4);
    for (int i = 0; i < 20; ++i) {
      const TaskProblem p = task->Sample(rng);
      const std::string text = absl::StrReplaceAll(kR1ZeroTemplate, {{"{prompt}", p.question}}) +
                               WorkedResponse(p) + kEndOfText;
      const std::vector<int32_t> ids = (*tok)->Encode(text, false);
      EXPECT_THAT(ids, ::testing::Not(::testing::Contains(unk))) << text;
      EXPECT_EQ((*tok)->Decode(ids), text);
      // Template words are single tokens: far fewer tokens than characters.
      EXPECT_LT(ids.size(), text.size() / 2);
    }
  }
}

TEST(DataCommand, WritesTheSameFilesForTheSameConfig) {
  v1::DataGenConfig config;
  config.mutable_task()->set_family("addition");
  config.mutable_corpus()->set_documents(300);
  config.mutable_corpus()->set_direct_share(0.8);
  config.mutable_corpus()->set_worked_share(0.1);
  config.mutable_corpus()->set_filler_share(0.1);
  config.mutable_prompts()->set_train_examples(200);
  config.mutable_prompts()->set_eval_examples(50);
  config.set_seed(77);
  const fs::path a = fs::path(testing::TempDir()) / "data_a";
  const fs::path b = fs::path(testing::TempDir()) / "data_b";
  fs::remove_all(a);
  fs::remove_all(b);
  config.set_output_dir(a.string());
  ASSERT_TRUE(RunDataCommand(config).ok());
  config.set_output_dir(b.string());
  absl::StatusOr<std::string> summary = RunDataCommand(config);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_THAT(*summary, HasSubstr("200 prompts"));
  for (const char* name : {"corpus.txt", "train.jsonl", "eval.jsonl", "tokenizer.json"}) {
    absl::StatusOr<std::string> fa = ReadFile((a / name).string());
    absl::StatusOr<std::string> fb = ReadFile((b / name).string());
    ASSERT_TRUE(fa.ok() && fb.ok()) << name;
    EXPECT_FALSE(fa->empty()) << name;
    EXPECT_EQ(*fa, *fb) << name;
  }
  absl::StatusOr<std::vector<JsonValue>> eval = ReadJsonl((a / "eval.jsonl").string());
  ASSERT_TRUE(eval.ok());
  ASSERT_EQ(eval->size(), 50u);
  EXPECT_TRUE((*eval)[0].GetString("prompt").ok());
  EXPECT_TRUE((*eval)[0].GetString("answer").ok());
  EXPECT_EQ(*(*eval)[0].GetString("verifier"), "exact_match");
  fs::remove_all(a);
  fs::remove_all(b);
}

}  // namespace
}  // namespace rlvr
