// `rlvr data CONFIG`: writes a synthetic task's pretraining corpus, RL prompt sets and
// tokenizer into one folder.
#ifndef RLVR_TOOLS_DATA_COMMAND_H_
#define RLVR_TOOLS_DATA_COMMAND_H_

#include <string>

#include "absl/status/statusor.h"
#include "rlvr/v1/config.pb.h"

namespace rlvr {

inline constexpr char kDataCommandHelp[] =
    "usage: rlvr data CONFIG [--set a.b=c ...] [--print-config]\n"
    "\n"
    "Generates a synthetic reasoning task (an rlvr.v1.DataGenConfig: task family, corpus mix,\n"
    "prompt-set sizes, seed) into output_dir:\n"
    "  corpus.txt      pretraining documents, each ending with <|endoftext|>; most are bare\n"
    "                  question=answer pairs, a few are worked solutions in the R1-Zero format\n"
    "  train.jsonl     RL prompts {\"prompt\", \"answer\", \"verifier\"}\n"
    "  eval.jsonl      held-out prompts, no question shared with train.jsonl\n"
    "  tokenizer.json  a character-level tokenizer covering all of it\n"
    "The same config gives the same files, byte for byte.\n";

// Writes the files; returns a human-readable summary (counts and paths).
absl::StatusOr<std::string> RunDataCommand(const v1::DataGenConfig& config);

// Stream ids for the generator's independent random streams.
inline constexpr uint64_t kCorpusStream = 1;
inline constexpr uint64_t kPromptStream = 2;

}  // namespace rlvr

#endif  // RLVR_TOOLS_DATA_COMMAND_H_
