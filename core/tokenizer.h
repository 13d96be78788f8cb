// Tokenizers loaded from Hugging Face tokenizer.json files.
//
// Encoding and decoding give the same ids and text as the Python `tokenizers` library for the
// configurations below; anything else in a file is rejected at load time with an error that
// names it, never silently ignored.
//
//   model           BPE: byte-level (GPT-2 byte alphabet, as in Qwen2/Qwen2.5/Qwen3) or over
//                   UTF-8 characters; merges as "a b" strings or [a, b] pairs; unk_token,
//                   fuse_unk, byte_fallback, ignore_merges. No dropout, no subword prefix or
//                   end-of-word suffix.
//   normalizer      null, NFC, or a Sequence of those.
//   pre_tokenizer   null; Split with a Regex or String pattern, behavior Isolated or Removed,
//                   invert allowed (Qwen's look-ahead pattern has a built-in matcher, other
//                   regexes go to RE2); ByteLevel with add_prefix_space and use_regex false;
//                   or a Sequence of those.
//   post_processor  null, ByteLevel (no effect on ids), TemplateProcessing (single sequence),
//                   or a Sequence of those.
//   decoder         null (tokens joined by spaces), ByteLevel, Fuse, or a Sequence of those.
//   added_tokens    special and ordinary; matched in the text before normalization (or after
//                   it, for normalized ones), leftmost and then longest first, and never split.
//                   lstrip, rstrip and single_word are honoured.
//   truncation, padding   not applied (callers choose lengths).
//
// A Tokenizer is immutable after loading (except for the special-token roles, set before
// sharing it) and safe to use from many threads at once.
#ifndef RLVR_CORE_TOKENIZER_H_
#define RLVR_CORE_TOKENIZER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/bpe.h"
#include "core/pretokenizer.h"

namespace rlvr {

class JsonValue;

// An entry of tokenizer.json's "added_tokens".
struct AddedToken {
  int32_t id = 0;
  std::string content;
  bool special = false;      // skipped by Decode(..., skip_special_tokens = true)
  bool lstrip = false;       // the match swallows white space on its left
  bool rstrip = false;       // ... and on its right
  bool single_word = false;  // only matches when not inside a word
  bool normalized = false;   // matched in the normalized text instead of the raw text
};

class Tokenizer {
 public:
  // Parses the text of a tokenizer.json. Errors name the offending field or token.
  static absl::StatusOr<std::unique_ptr<Tokenizer>> FromJson(std::string_view tokenizer_json);
  // Reads and parses a tokenizer.json file; errors also name the path.
  static absl::StatusOr<std::unique_ptr<Tokenizer>> FromFile(const std::string& path);

  // The token ids of text (any bytes; invalid UTF-8 is encoded byte by byte by byte-level
  // models). add_special_tokens applies the post-processor's template, if the file has one.
  std::vector<int32_t> Encode(std::string_view text, bool add_special_tokens = true) const;

  // The text of ids, with invalid UTF-8 replaced by U+FFFD as `tokenizers` does. Ids that are
  // not in the vocabulary are skipped.
  std::string Decode(absl::Span<const int32_t> ids, bool skip_special_tokens = false) const;
  // The same without the UTF-8 repair: the exact bytes, for incremental detokenization where a
  // character may be split between tokens.
  std::string DecodeBytes(absl::Span<const int32_t> ids, bool skip_special_tokens = false) const;

  // One more than the largest id of the vocabulary and the added tokens: the number of rows an
  // embedding table needs.
  int32_t vocab_size() const { return static_cast<int32_t>(id_to_token_.size()); }
  // Token text as written in tokenizer.json (for byte-level models, in the byte alphabet, e.g.
  // "Ġthe"); added tokens by their content.
  std::optional<int32_t> TokenToId(std::string_view token) const;
  std::optional<std::string> IdToToken(int32_t id) const;
  bool IsSpecial(int32_t id) const;
  const std::vector<AddedToken>& added_tokens() const { return added_tokens_; }

  // Special-token roles ("bos", "eos", "pad", "unk", or any other name). tokenizer.json does not
  // record them (tokenizer_config.json does); "unk" is preset from the model's unk_token.
  // Setting a role to a token that is not in the vocabulary is an error.
  absl::Status SetSpecialTokenRole(std::string_view role, std::string_view token);
  // Reads bos_token, eos_token, pad_token and unk_token from a tokenizer_config.json text.
  absl::Status LoadTokenizerConfig(std::string_view tokenizer_config_json);
  // The id for a role, if it has been set.
  std::optional<int32_t> SpecialTokenId(std::string_view role) const;

 private:
  enum class Decoder { kByteLevel, kFuse };
  // One element of a single-sequence TemplateProcessing: ids of a special token, or the text.
  struct TemplatePiece {
    bool is_sequence = false;
    std::vector<int32_t> ids;
  };
  // A span of the input text that either is an added token or still has to be tokenized.
  struct Segment {
    std::string_view text;
    int32_t added_id = -1;
  };

  Tokenizer() = default;
  absl::Status Load(const JsonValue& root);
  // The parts of Load, one per tokenizer.json member; nullptr stands for an absent member.
  absl::Status LoadNormalizer(const JsonValue* normalizer);
  absl::Status LoadPreTokenizer(const JsonValue* pre_tokenizer);
  absl::Status LoadDecoder(const JsonValue* decoder);
  // Also returns the vocabulary as written in the file (tokens, ids).
  absl::Status LoadModel(const JsonValue& model,
                         std::vector<std::pair<std::string, int32_t>>* written_vocab);
  absl::Status LoadAddedTokens(const JsonValue* added_tokens);
  void BuildIdTables(const std::vector<std::pair<std::string, int32_t>>& written_vocab);
  absl::Status LoadPostProcessor(const JsonValue* post_processor);

  // Cuts text at the added tokens of one kind (normalized or not), appending to *out.
  void SplitOnAddedTokens(std::string_view text, bool normalized, std::vector<Segment>* out) const;
  // Encodes text that contains no added tokens of the raw kind.
  void EncodeSegment(std::string_view text, std::vector<int32_t>* ids) const;
  void EncodeWords(std::string_view normalized, std::vector<int32_t>* ids) const;

  std::unique_ptr<BpeModel> model_;
  bool byte_level_ = false;
  bool nfc_ = false;
  std::vector<std::unique_ptr<PreTokenizerStep>> pre_tokenizer_;
  std::vector<Decoder> decoders_;
  bool has_decoder_ = false;
  std::vector<TemplatePiece> template_;  // empty: no template

  std::vector<std::string> id_to_token_;  // "" for ids with no token
  std::vector<bool> id_present_;
  std::vector<bool> id_special_;
  absl::flat_hash_map<std::string, int32_t> token_to_id_;
  std::vector<AddedToken> added_tokens_;
  // What each added token is matched against the text as: its content, in NFC for normalized
  // tokens when the normalizer is NFC.
  std::vector<std::string> added_match_text_;
  // Added tokens by first byte of their match text, longest first; index into added_tokens_.
  // [0]: matched in the raw text, [1]: matched in the normalized text (normalized tokens).
  std::vector<std::vector<int32_t>> added_by_first_byte_[2];
  bool has_added_[2] = {false, false};
  absl::flat_hash_map<std::string, int32_t> roles_;
};

// The vocabulary of a small character-level tokenizer for models trained from scratch.
struct CharLevelTokenizerSpec {
  // Special added tokens, e.g. "<|endoftext|>", "<|pad|>": never split, skipped on request.
  std::vector<std::string> special_tokens;
  // Ordinary added tokens, e.g. "<think>", "</think>", "<answer>", "</answer>": never split,
  // always decoded.
  std::vector<std::string> tag_tokens;
  // Single characters (one code point each), e.g. digits, operators, letters, " ", "\n".
  std::vector<std::string> characters;
  // Words of ASCII letters; a run of letters equal to one of them is one token, any other run is
  // spelled with characters.
  std::vector<std::string> words;
  // Stands for characters outside the vocabulary; a special token.
  std::string unk_token = "<unk>";
};

// Writes the tokenizer.json of a character-level tokenizer: a BPE model without merges whose
// vocabulary is unk_token, special_tokens, tag_tokens, characters and words, with ids in that
// order; pre-tokenizer Split(/[A-Za-z]+|[^A-Za-z]/, Isolated); decoder Fuse; ignore_merges so
// that whole words are single tokens. The Python `tokenizers` library loads the file and
// encodes the same way. Errors on empty or repeated entries, multi-code-point characters and
// words with characters other than A-Z, a-z.
absl::StatusOr<std::string> BuildCharLevelTokenizerJson(const CharLevelTokenizerSpec& spec);

// Special-token roles by token text; an empty string leaves the role unset.
struct SpecialTokenRoleNames {
  std::string bos;
  std::string eos;
  std::string pad;
  std::string unk;
};

// Writes a minimal tokenizer_config.json naming the roles, which Tokenizer::LoadTokenizerConfig
// reads and with which Hugging Face transformers' AutoTokenizer loads the tokenizer.json beside
// it (as a PreTrainedTokenizerFast).
std::string BuildTokenizerConfigJson(const SpecialTokenRoleNames& roles);

}  // namespace rlvr

#endif  // RLVR_CORE_TOKENIZER_H_
