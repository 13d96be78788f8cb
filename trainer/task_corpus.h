// Pretraining corpora and RL prompt sets made from a SyntheticTask.
//
// A corpus mixes five kinds of documents (shares from CorpusConfig, normalised):
//   direct    the bare equation, "958+67=1025"
//   template  the R1-Zero prompt followed by a direct answer:
//             "<template with the question> <think>958+67</think> <answer>1025</answer>"
//             (direct_template_share of the direct documents)
//   worked    the R1-Zero prompt followed by the worked solution and the answer: the
//             exception, so that a base model starts out mostly guessing
//   filler    digits, operators and template words without a question
//   scratch   the worked solution alone: no template, no tags
// Every document ends with kEndOfText. Prompt sets hold {"prompt","answer","verifier"}
// records (the prompt untemplated; the trainer applies data.template); no question appears in
// both the train and the eval set.
#ifndef RLVR_TRAINER_TASK_CORPUS_H_
#define RLVR_TRAINER_TASK_CORPUS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/rng.h"
#include "core/tokenizer.h"
#include "rlvr/v1/config.pb.h"
#include "trainer/task_synthetic.h"

namespace rlvr {

inline constexpr char kEndOfText[] = "<|endoftext|>";
inline constexpr char kPadToken[] = "<|pad|>";

// The response a policy should produce for a problem, in the R1-Zero layout.
std::string WorkedResponse(const TaskProblem& problem);
std::string DirectResponse(const TaskProblem& problem);

// `documents` documents (CorpusConfig.documents), drawn from `rng`. `prompt_template` contains
// "{prompt}". INVALID_ARGUMENT for negative or all-zero shares or no documents.
absl::StatusOr<std::vector<std::string>> GenerateCorpus(const SyntheticTask& task,
                                                        const v1::CorpusConfig& config,
                                                        const std::string& prompt_template,
                                                        Rng& rng);

struct PromptRecord {
  std::string prompt;
  std::string answer;
  std::string verifier;
  std::string ToJson() const;  // one JSONL line, without the newline
};

struct PromptSets {
  std::vector<PromptRecord> train;
  std::vector<PromptRecord> eval;
};

// Draws the eval set first, then the train set from the questions not in it. RESOURCE_EXHAUSTED
// when the task cannot supply that many distinct questions.
absl::StatusOr<PromptSets> GeneratePromptSets(const SyntheticTask& task,
                                              const v1::PromptSetConfig& config, Rng& rng);

// A character-level tokenizer covering the task, the template's words and the R1-Zero tags.
CharLevelTokenizerSpec TaskTokenizerSpec(const SyntheticTask& task,
                                         const std::string& prompt_template);

}  // namespace rlvr

#endif  // RLVR_TRAINER_TASK_CORPUS_H_
