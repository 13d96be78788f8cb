#include "tools/data_command.h"

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "core/rng.h"
#include "core/tokenizer.h"
#include "trainer/prompt_template.h"
#include "trainer/task_corpus.h"
#include "trainer/task_synthetic.h"

namespace rlvr {
namespace {

namespace fs = std::filesystem;

absl::Status WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return absl::FailedPreconditionError(absl::StrCat("cannot write ", path.string()));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> RunDataCommand(const v1::DataGenConfig& config) {
  if (config.output_dir().empty()) {
    return absl::InvalidArgumentError("data: output_dir is not set");
  }
  absl::StatusOr<std::unique_ptr<SyntheticTask>> task = MakeSyntheticTask(config.task());
  if (!task.ok()) return task.status();
  v1::PromptTemplate template_config = config.template_();
  if (template_config.text().empty() && template_config.name().empty()) {
    template_config.set_name("r1_zero");
  }
  absl::StatusOr<PromptFormatter> formatter = PromptFormatter::Create(template_config);
  if (!formatter.ok()) return formatter.status();

  const fs::path dir(config.output_dir());
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create ", dir.string(), ": ", ec.message()));
  }
  const Rng root(config.seed());
  std::string summary;

  if (config.corpus().documents() > 0) {
    Rng rng = root.Fork(kCorpusStream);
    absl::StatusOr<std::vector<std::string>> docs =
        GenerateCorpus(**task, config.corpus(), formatter->text(), rng);
    if (!docs.ok()) return docs.status();
    std::string text;
    for (const std::string& doc : *docs) absl::StrAppend(&text, doc, "\n");
    if (absl::Status st = WriteFile(dir / "corpus.txt", text); !st.ok()) return st;
    absl::StrAppend(&summary, "wrote ", docs->size(), " documents to ",
                    (dir / "corpus.txt").string(), "\n");
  }
  if (config.prompts().train_examples() > 0 || config.prompts().eval_examples() > 0) {
    Rng rng = root.Fork(kPromptStream);
    absl::StatusOr<PromptSets> sets = GeneratePromptSets(**task, config.prompts(), rng);
    if (!sets.ok()) return sets.status();
    for (const auto& [name, records] :
         {std::pair{"train.jsonl", &sets->train}, std::pair{"eval.jsonl", &sets->eval}}) {
      std::string text;
      for (const PromptRecord& r : *records) absl::StrAppend(&text, r.ToJson(), "\n");
      if (absl::Status st = WriteFile(dir / name, text); !st.ok()) return st;
      absl::StrAppend(&summary, "wrote ", records->size(), " prompts to ", (dir / name).string(),
                      "\n");
    }
  }
  absl::StatusOr<std::string> tokenizer =
      BuildCharLevelTokenizerJson(TaskTokenizerSpec(**task, formatter->text()));
  if (!tokenizer.ok()) return tokenizer.status();
  if (absl::Status st = WriteFile(dir / "tokenizer.json", *tokenizer); !st.ok()) return st;
  absl::StrAppend(&summary, "wrote ", (dir / "tokenizer.json").string(), "\n");
  return summary;
}

}  // namespace rlvr
