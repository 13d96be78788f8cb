#include "trainer/task_corpus.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "core/json.h"

namespace rlvr {
namespace {

constexpr int kMaxDrawsPerRecord = 50;
constexpr int kFillerMinPieces = 4;
constexpr int kFillerMaxPieces = 16;

std::string ApplyTemplate(const std::string& prompt_template, const std::string& question) {
  return absl::StrReplaceAll(prompt_template, {{"{prompt}", question}});
}

// Words of the template (runs of ASCII letters), in first-seen order.
std::vector<std::string> TemplateWords(const std::string& text) {
  std::vector<std::string> words;
  std::set<std::string> seen;
  std::string word;
  for (size_t i = 0; i <= text.size(); ++i) {
    const char c = i < text.size() ? text[i] : ' ';
    if (std::isalpha(static_cast<unsigned char>(c))) {
      word.push_back(c);
    } else if (!word.empty()) {
      if (seen.insert(word).second) words.push_back(word);
      word.clear();
    }
  }
  return words;
}

std::string Filler(const SyntheticTask& task, const std::vector<std::string>& words, Rng& rng) {
  const std::vector<std::string> chars = task.characters();
  const int pieces =
      kFillerMinPieces + static_cast<int>(rng.UniformInt(kFillerMaxPieces - kFillerMinPieces + 1));
  std::string out;
  for (int i = 0; i < pieces; ++i) {
    if (i > 0) out.push_back(' ');
    if (!words.empty() && rng.UniformInt(2) == 0) {
      out += words[rng.UniformInt(words.size())];
    } else {
      const int n = 1 + static_cast<int>(rng.UniformInt(5));
      for (int k = 0; k < n; ++k) out += chars[rng.UniformInt(chars.size())];
    }
  }
  return out;
}

}  // namespace

std::string WorkedResponse(const TaskProblem& problem) {
  return absl::StrCat(" <think>\n", problem.worked, "\n</think> <answer>", problem.answer,
                      "</answer>");
}

std::string DirectResponse(const TaskProblem& problem) {
  return absl::StrCat(" <think>\n", problem.direct, "\n</think> <answer>", problem.answer,
                      "</answer>");
}

absl::StatusOr<std::vector<std::string>> GenerateCorpus(const SyntheticTask& task,
                                                        const v1::CorpusConfig& config,
                                                        const std::string& prompt_template,
                                                        Rng& rng) {
  const double shares[4] = {config.direct_share(), config.worked_share(), config.filler_share(),
                            config.scratch_share()};
  double total = 0;
  for (double s : shares) {
    if (!(s >= 0)) return absl::InvalidArgumentError("corpus: shares must be >= 0");
    total += s;
  }
  if (total <= 0) return absl::InvalidArgumentError("corpus: all shares are zero");
  if (config.documents() <= 0) return absl::InvalidArgumentError("corpus.documents must be > 0");
  if (config.direct_template_share() < 0 || config.direct_template_share() > 1) {
    return absl::InvalidArgumentError("corpus.direct_template_share must be in [0, 1]");
  }
  if (prompt_template.find("{prompt}") == std::string::npos) {
    return absl::InvalidArgumentError("corpus: the prompt template has no {prompt}");
  }
  const std::vector<std::string> words = TemplateWords(prompt_template);
  std::vector<std::string> docs;
  docs.reserve(static_cast<size_t>(config.documents()));
  for (int64_t i = 0; i < config.documents(); ++i) {
    const double u = rng.NextDouble() * total;
    std::string doc;
    if (u < shares[0]) {
      const TaskProblem p = task.Sample(rng);
      if (rng.NextDouble() < config.direct_template_share()) {
        doc = ApplyTemplate(prompt_template, p.question) + DirectResponse(p);
      } else {
        doc = p.bare;
      }
    } else if (u < shares[0] + shares[1]) {
      const TaskProblem p = task.Sample(rng);
      doc = ApplyTemplate(prompt_template, p.question) + WorkedResponse(p);
    } else if (u >= shares[0] + shares[1] + shares[2]) {
      doc = task.Sample(rng).worked;
    } else {
      doc = Filler(task, words, rng);
    }
    docs.push_back(doc + kEndOfText);
  }
  return docs;
}

std::string PromptRecord::ToJson() const {
  JsonValue obj = JsonValue::MakeObject();
  obj.Add("prompt", JsonValue::String(prompt));
  obj.Add("answer", JsonValue::String(answer));
  obj.Add("verifier", JsonValue::String(verifier));
  return obj.Serialize();
}

absl::StatusOr<PromptSets> GeneratePromptSets(const SyntheticTask& task,
                                              const v1::PromptSetConfig& config, Rng& rng) {
  if (config.train_examples() < 0 || config.eval_examples() < 0) {
    return absl::InvalidArgumentError("prompts: example counts must be >= 0");
  }
  const std::string verifier = config.verifier().empty() ? task.verifier() : config.verifier();
  absl::flat_hash_set<std::string> seen;
  PromptSets sets;
  auto fill = [&](int64_t n, std::vector<PromptRecord>& out, const char* which) -> absl::Status {
    for (int64_t i = 0; i < n; ++i) {
      bool added = false;
      for (int draw = 0; draw < kMaxDrawsPerRecord && !added; ++draw) {
        TaskProblem p = task.Sample(rng);
        if (!seen.insert(p.question).second) continue;
        out.push_back({std::move(p.question), std::move(p.ground_truth), verifier});
        added = true;
      }
      if (!added) {
        return absl::ResourceExhaustedError(
            absl::StrCat("prompts: could not draw ", n, " distinct ", which, " questions (got ", i,
                         "); allow more digits/operands or ask for fewer examples"));
      }
    }
    return absl::OkStatus();
  };
  if (absl::Status st = fill(config.eval_examples(), sets.eval, "eval"); !st.ok()) return st;
  if (absl::Status st = fill(config.train_examples(), sets.train, "train"); !st.ok()) return st;
  return sets;
}

CharLevelTokenizerSpec TaskTokenizerSpec(const SyntheticTask& task,
                                         const std::string& prompt_template) {
  CharLevelTokenizerSpec spec;
  spec.special_tokens = {kEndOfText, kPadToken};
  spec.tag_tokens = {"<think>", "</think>", "<answer>", "</answer>"};
  std::set<std::string> chars;
  for (const std::string& c : task.characters()) chars.insert(c);
  for (char c = 'a'; c <= 'z'; ++c) chars.insert(std::string(1, c));
  for (char c = 'A'; c <= 'Z'; ++c) chars.insert(std::string(1, c));
  for (char c : std::string(" \n.,:;?!'\"()<>/-+*=")) chars.insert(std::string(1, c));
  for (char c : prompt_template) {
    if (static_cast<unsigned char>(c) < 0x80 && !std::isalpha(static_cast<unsigned char>(c))) {
      chars.insert(std::string(1, c));
    }
  }
  chars.erase("{");
  chars.erase("}");
  spec.characters.assign(chars.begin(), chars.end());
  spec.words = TemplateWords(absl::StrReplaceAll(prompt_template, {{"{prompt}", " "}}));
  // Single letters are characters already; a one-letter word would repeat them.
  spec.words.erase(std::remove_if(spec.words.begin(), spec.words.end(),
                                  [](const std::string& w) { return w.size() < 2; }),
                   spec.words.end());
  for (const char* w : {"make", "Using", "the", "numbers", "once", "each", "write", "an",
                        "equation", "that", "equals"}) {
    if (std::find(spec.words.begin(), spec.words.end(), w) == spec.words.end()) {
      spec.words.push_back(w);
    }
  }
  return spec;
}

}  // namespace rlvr
