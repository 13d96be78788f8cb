// Synthetic reasoning tasks for models trained from scratch: problems whose answer a verifier
// checks, each with a step-by-step worked solution that makes the answer reliable and a short
// "direct" form that only restates the question and guesses.
//
// Families (SyntheticTaskConfig.family):
//   addition   a+b with min_digits..max_digits digits each. The worked solution consumes the
//              numbers from the right, one line per column, each line derived from the one
//              above with local lookups only:
//                958+67 c0 r      (remaining digits, carry, result so far)
//                95+6 c1 r5       (8+7 = 15)
//                9+ c1 r25        (5+6+1 = 12)
//                + c1 r025        (9+1 = 10)
//                = 1025
//              Verifier "exact_match"; the ground truth is the sum in decimal.
//   sum        `operands` numbers of min_digits..max_digits digits. The worked solution restates
//              the sum, then adds its first two numbers and rewrites the sum with their total,
//              until one number is left:
//                48+70+38+86+73
//                48+70=118
//                118+38+86+73
//                ...
//                242+73=315
//                315
//              Every step is a two-number addition or a copy from the lines just above, which a
//              small model learns from examples; the whole sum in one step is far harder.
//              Verifier "exact_match".
//   countdown  `operands` numbers in 1..99 and a target reachable with + - * / (exact integer
//              steps). The worked solution lists the steps; the answer is an expression.
//              Verifier "countdown"; the ground truth is {"target":T,"numbers":[...]}.
// All randomness comes from the Rng passed in, so a seed fixes every output.
#ifndef RLVR_TRAINER_TASK_SYNTHETIC_H_
#define RLVR_TRAINER_TASK_SYNTHETIC_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/rng.h"
#include "rlvr/v1/config.pb.h"

namespace rlvr {

struct TaskProblem {
  std::string question;      // the user's prompt, e.g. "Compute 958+67"
  std::string ground_truth;  // what the verifier compares against
  std::string worked;        // <think> body of a worked solution (lines separated by '\n')
  std::string direct;        // <think> body of a direct answer: the question restated
  std::string answer;        // <answer> body: the correct final answer
  std::string bare;          // the problem as a bare equation, e.g. "958+67=1025"
};

class SyntheticTask {
 public:
  virtual ~SyntheticTask() = default;
  virtual TaskProblem Sample(Rng& rng) const = 0;
  // The verifier that checks this task's answers.
  virtual std::string verifier() const = 0;
  // Characters (one code point each) the task's texts use, beyond ASCII letters and the
  // template's punctuation.
  virtual std::vector<std::string> characters() const = 0;
};

// Validates the config (digits 1..18, operands in range) and builds the family's generator.
// INVALID_ARGUMENT names the field.
absl::StatusOr<std::unique_ptr<SyntheticTask>> MakeSyntheticTask(
    const v1::SyntheticTaskConfig& config);

// The addition worked solution for a + b (exposed for tests).
std::string AdditionWorkedSolution(const std::string& a, const std::string& b);

// The sum worked solution: the sum restated, then reduced one addition at a time.
std::string SumWorkedSolution(const std::vector<std::string>& numbers);

}  // namespace rlvr

#endif  // RLVR_TRAINER_TASK_SYNTHETIC_H_
