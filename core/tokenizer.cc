#include "core/tokenizer.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/json.h"
#include "core/unicode_text.h"

namespace rlvr {
namespace {

// This Abseil has its own string_view type; hashed lookups and StrCat take that one.
absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// Ids above this are rejected: they would make the id tables absurdly large, and no real
// vocabulary comes near.
constexpr int64_t kMaxTokenId = (int64_t{1} << 24) - 1;

absl::Status FieldError(absl::string_view where, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat("tokenizer.json: ", where, ": ", message));
}

// The "type" of a component object, with an error naming where it was expected.
absl::StatusOr<std::string> ComponentType(const JsonValue& value, absl::string_view where) {
  if (!value.is_object()) return FieldError(where, "expected an object");
  const JsonValue* type = value.Find("type");
  if (type == nullptr || !type->is_string()) return FieldError(where, "missing string \"type\"");
  return type->string();
}

// A boolean member that may be absent or null (then default_value).
absl::StatusOr<bool> OptionalBool(const JsonValue& object, std::string_view key, bool default_value,
                                  absl::string_view where) {
  const JsonValue* v = object.Find(key);
  if (v == nullptr || v->is_null()) return default_value;
  if (!v->is_bool()) return FieldError(where, absl::StrCat("\"", Av(key), "\" must be a boolean"));
  return v->bool_value();
}

// The items of a Sequence component (key names its list), or the component itself.
absl::StatusOr<std::vector<const JsonValue*>> Flatten(const JsonValue& value,
                                                      std::string_view list_key,
                                                      absl::string_view where) {
  absl::StatusOr<std::string> type = ComponentType(value, where);
  if (!type.ok()) return type.status();
  if (*type != "Sequence") return std::vector<const JsonValue*>{&value};
  const JsonValue* list = value.Find(list_key);
  if (list == nullptr || !list->is_array()) {
    return FieldError(where, absl::StrCat("Sequence without a \"", Av(list_key), "\" array"));
  }
  std::vector<const JsonValue*> out;
  for (size_t i = 0; i < list->array().size(); ++i) {
    absl::StatusOr<std::vector<const JsonValue*>> inner =
        Flatten(list->array()[i], list_key, absl::StrCat(where, "[", i, "]"));
    if (!inner.ok()) return inner.status();
    out.insert(out.end(), inner->begin(), inner->end());
  }
  return out;
}

// An optional string member that is absent, null or a string.
absl::StatusOr<std::optional<std::string>> OptionalString(const JsonValue& object,
                                                          std::string_view key,
                                                          absl::string_view where) {
  const JsonValue* v = object.Find(key);
  if (v == nullptr || v->is_null()) return std::optional<std::string>();
  if (!v->is_string()) return FieldError(where, absl::StrCat("\"", Av(key), "\" must be a string"));
  return std::optional<std::string>(v->string());
}

absl::StatusOr<int32_t> TokenId(const JsonValue& v, absl::string_view where) {
  if (!v.is_integer() || v.integer() < 0 || v.integer() > kMaxTokenId) {
    return FieldError(where, absl::StrCat("token id must be an integer in [0, ", kMaxTokenId, "]"));
  }
  return static_cast<int32_t>(v.integer());
}

// Word characters for single_word added tokens (Unicode \w, approximately).
bool IsWordChar(uint32_t cp) { return cp == '_' || IsLetter(cp) || IsNumber(cp); }

uint32_t LastCodePoint(std::string_view text) {
  size_t start = text.size() - 1;
  while (start > 0 && (static_cast<uint8_t>(text[start]) & 0xC0) == 0x80) --start;
  size_t length;
  return DecodeUtf8At(text, start, &length);
}

// The merges of a BPE model, as "a b" strings or ["a", "b"] pairs; byte-level merges are
// returned as raw bytes.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ParseMerges(
    const JsonValue* merges, bool byte_level) {
  std::vector<std::pair<std::string, std::string>> model_merges;
  if (merges == nullptr || merges->is_null()) return model_merges;
  const ByteLevelAlphabet& alphabet = ByteLevelAlphabet::Get();
  if (!merges->is_array()) return FieldError("model", "\"merges\" must be an array");
  model_merges.reserve(merges->array().size());
  for (size_t i = 0; i < merges->array().size(); ++i) {
    const JsonValue& m = merges->array()[i];
    std::string left, right;
    if (m.is_string()) {
      const std::string& s = m.string();
      const size_t space = s.find(' ');
      if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos) {
        return FieldError(absl::StrCat("model.merges[", i, "]"),
                          absl::StrCat("\"", s, "\" is not two tokens separated by a space"));
      }
      left = s.substr(0, space);
      right = s.substr(space + 1);
    } else if (m.is_array() && m.array().size() == 2 && m.array()[0].is_string() &&
               m.array()[1].is_string()) {
      left = m.array()[0].string();
      right = m.array()[1].string();
    } else {
      return FieldError(absl::StrCat("model.merges[", i, "]"),
                        "expected \"a b\" or [\"a\", \"b\"]");
    }
    if (byte_level) {
      std::string left_bytes, right_bytes;
      if (!alphabet.Decode(left, &left_bytes) || !alphabet.Decode(right, &right_bytes)) {
        return FieldError(absl::StrCat("model.merges[", i, "]"),
                          absl::StrCat("merge \"", left, " ", right,
                                       "\" is not written in the byte-level alphabet"));
      }
      left = std::move(left_bytes);
      right = std::move(right_bytes);
    }
    model_merges.emplace_back(std::move(left), std::move(right));
  }
  return model_merges;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::FromJson(std::string_view tokenizer_json) {
  absl::StatusOr<JsonValue> root = ParseJson(tokenizer_json);
  if (!root.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("tokenizer.json is not valid JSON: ", root.status().message()));
  }
  std::unique_ptr<Tokenizer> tokenizer(new Tokenizer());
  if (absl::Status s = tokenizer->Load(*root); !s.ok()) return s;
  return tokenizer;
}

absl::StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::FromFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  absl::StatusOr<std::unique_ptr<Tokenizer>> tokenizer = FromJson(*text);
  if (!tokenizer.ok()) {
    return absl::Status(tokenizer.status().code(),
                        absl::StrCat(path, ": ", tokenizer.status().message()));
  }
  return tokenizer;
}

absl::Status Tokenizer::Load(const JsonValue& root) {
  if (!root.is_object()) return FieldError("top level", "expected an object");
  // A member that is absent or null is nullptr.
  const auto member = [&](const char* key) -> const JsonValue* {
    const JsonValue* v = root.Find(key);
    return v != nullptr && !v->is_null() ? v : nullptr;
  };
  if (absl::Status s = LoadNormalizer(member("normalizer")); !s.ok()) return s;
  if (absl::Status s = LoadPreTokenizer(member("pre_tokenizer")); !s.ok()) return s;
  if (absl::Status s = LoadDecoder(member("decoder")); !s.ok()) return s;
  const JsonValue* model = member("model");
  if (model == nullptr || !model->is_object()) return FieldError("model", "missing object");
  std::vector<std::pair<std::string, int32_t>> written_vocab;
  if (absl::Status s = LoadModel(*model, &written_vocab); !s.ok()) return s;
  if (absl::Status s = LoadAddedTokens(member("added_tokens")); !s.ok()) return s;
  BuildIdTables(written_vocab);
  // Templates name special tokens, so the post-processor comes after the tables.
  return LoadPostProcessor(member("post_processor"));
}

absl::Status Tokenizer::LoadNormalizer(const JsonValue* n) {
  if (n == nullptr) return absl::OkStatus();
  absl::StatusOr<std::vector<const JsonValue*>> steps = Flatten(*n, "normalizers", "normalizer");
  if (!steps.ok()) return steps.status();
  for (const JsonValue* step : *steps) {
    const std::string type = *ComponentType(*step, "normalizer");
    if (type != "NFC") {
      return FieldError("normalizer", absl::StrCat("unsupported normalizer type \"", type,
                                                   "\" (supported: NFC, Sequence)"));
    }
    nfc_ = true;
  }
  return absl::OkStatus();
}

absl::Status Tokenizer::LoadPreTokenizer(const JsonValue* p) {
  if (p == nullptr) return absl::OkStatus();
  absl::StatusOr<std::vector<const JsonValue*>> steps =
      Flatten(*p, "pretokenizers", "pre_tokenizer");
  if (!steps.ok()) return steps.status();
  for (const JsonValue* step : *steps) {
    const std::string type = *ComponentType(*step, "pre_tokenizer");
    if (type == "ByteLevel") {
      // `tokenizers` defaults both options to true when absent.
      absl::StatusOr<bool> prefix =
          OptionalBool(*step, "add_prefix_space", true, "pre_tokenizer ByteLevel");
      absl::StatusOr<bool> use_regex =
          OptionalBool(*step, "use_regex", true, "pre_tokenizer ByteLevel");
      if (!prefix.ok()) return prefix.status();
      if (!use_regex.ok()) return use_regex.status();
      if (*prefix || *use_regex) {
        return FieldError("pre_tokenizer ByteLevel",
                          "only add_prefix_space=false and use_regex=false are supported "
                          "(split with a Split step instead)");
      }
      byte_level_ = true;
    } else if (type == "Split") {
      const JsonValue* pattern = step->Find("pattern");
      absl::StatusOr<std::string> behavior_name = step->GetString("behavior");
      if (!behavior_name.ok()) return FieldError("pre_tokenizer Split", "missing \"behavior\"");
      SplitBehavior behavior;
      if (*behavior_name == "Isolated") {
        behavior = SplitBehavior::kIsolated;
      } else if (*behavior_name == "Removed") {
        behavior = SplitBehavior::kRemoved;
      } else {
        return FieldError("pre_tokenizer Split",
                          absl::StrCat("unsupported behavior \"", *behavior_name,
                                       "\" (supported: Isolated, Removed)"));
      }
      absl::StatusOr<bool> invert = OptionalBool(*step, "invert", false, "pre_tokenizer Split");
      if (!invert.ok()) return invert.status();
      const JsonValue* regex = pattern != nullptr ? pattern->Find("Regex") : nullptr;
      const JsonValue* literal = pattern != nullptr ? pattern->Find("String") : nullptr;
      absl::StatusOr<std::unique_ptr<PreTokenizerStep>> made;
      if (regex != nullptr && regex->is_string()) {
        made = MakeRegexSplit(regex->string(), behavior, *invert);
      } else if (literal != nullptr && literal->is_string()) {
        made = MakeLiteralSplit(literal->string(), behavior, *invert);
      } else {
        return FieldError("pre_tokenizer Split",
                          "\"pattern\" must be {\"Regex\": ...} or {\"String\": ...}");
      }
      if (!made.ok()) return FieldError("pre_tokenizer Split", made.status().message());
      pre_tokenizer_.push_back(*std::move(made));
    } else {
      return FieldError("pre_tokenizer",
                        absl::StrCat("unsupported pre-tokenizer type \"", type,
                                     "\" (supported: Split, ByteLevel, Sequence)"));
    }
  }
  return absl::OkStatus();
}

absl::Status Tokenizer::LoadDecoder(const JsonValue* d) {
  if (d == nullptr) return absl::OkStatus();
  absl::StatusOr<std::vector<const JsonValue*>> steps = Flatten(*d, "decoders", "decoder");
  if (!steps.ok()) return steps.status();
  has_decoder_ = true;
  for (const JsonValue* step : *steps) {
    const std::string type = *ComponentType(*step, "decoder");
    if (type == "ByteLevel") {
      decoders_.push_back(Decoder::kByteLevel);
    } else if (type == "Fuse") {
      decoders_.push_back(Decoder::kFuse);
    } else {
      return FieldError("decoder", absl::StrCat("unsupported decoder type \"", type,
                                                "\" (supported: ByteLevel, Fuse, Sequence)"));
    }
  }
  return absl::OkStatus();
}

absl::Status Tokenizer::LoadModel(const JsonValue& model,
                                  std::vector<std::pair<std::string, int32_t>>* written_vocab) {
  absl::StatusOr<std::string> type = ComponentType(model, "model");
  if (!type.ok()) return type.status();
  if (*type != "BPE") {
    return FieldError("model",
                      absl::StrCat("unsupported model type \"", *type, "\" (supported: BPE)"));
  }
  if (const JsonValue* dropout = model.Find("dropout");
      dropout != nullptr && !dropout->is_null() &&
      !(dropout->is_number() && dropout->number() == 0)) {
    return FieldError("model", "BPE dropout is not supported");
  }
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    absl::StatusOr<std::optional<std::string>> v = OptionalString(model, key, "model");
    if (!v.ok()) return v.status();
    if (v->has_value() && !(*v)->empty()) {
      return FieldError("model", absl::StrCat("\"", Av(key), "\" is not supported"));
    }
  }
  BpeOptions options;
  options.byte_level = byte_level_;
  absl::StatusOr<bool> fuse_unk = OptionalBool(model, "fuse_unk", false, "model");
  absl::StatusOr<bool> byte_fallback = OptionalBool(model, "byte_fallback", false, "model");
  absl::StatusOr<bool> ignore_merges = OptionalBool(model, "ignore_merges", false, "model");
  for (const auto* s : {&fuse_unk, &byte_fallback, &ignore_merges}) {
    if (!s->ok()) return s->status();
  }
  options.fuse_unk = *fuse_unk;
  options.byte_fallback = *byte_fallback;
  options.ignore_merges = *ignore_merges;

  const JsonValue* vocab = model.Find("vocab");
  if (vocab == nullptr || !vocab->is_object()) return FieldError("model", "missing \"vocab\"");
  const ByteLevelAlphabet& alphabet = ByteLevelAlphabet::Get();
  std::vector<std::pair<std::string, int32_t>> model_vocab;
  model_vocab.reserve(vocab->object().size());
  written_vocab->reserve(vocab->object().size());
  std::string bytes;
  for (const auto& [token, id_value] : vocab->object()) {
    absl::StatusOr<int32_t> id = TokenId(id_value, absl::StrCat("model.vocab[\"", token, "\"]"));
    if (!id.ok()) return id.status();
    written_vocab->emplace_back(token, *id);
    if (!byte_level_) {
      model_vocab.emplace_back(token, *id);
    } else if (alphabet.Decode(token, &bytes)) {
      model_vocab.emplace_back(bytes, *id);
    }
    // A byte-level token outside the alphabet can only be produced as an added token.
  }

  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> model_merges =
      ParseMerges(model.Find("merges"), byte_level_);
  if (!model_merges.ok()) return model_merges.status();

  absl::StatusOr<std::optional<std::string>> unk = OptionalString(model, "unk_token", "model");
  if (!unk.ok()) return unk.status();
  std::optional<int32_t> unk_id;
  if (unk->has_value()) {
    for (const auto& [token, id] : *written_vocab) {
      if (token == **unk) unk_id = id;
    }
    if (!unk_id.has_value()) {
      return FieldError("model", absl::StrCat("unk_token \"", **unk, "\" is not in the vocab"));
    }
    options.unk_id = unk_id;
    roles_["unk"] = *unk_id;
  }

  absl::StatusOr<std::unique_ptr<BpeModel>> bpe =
      BpeModel::Create(model_vocab, *model_merges, options);
  if (!bpe.ok()) return FieldError("model", bpe.status().message());
  model_ = *std::move(bpe);

  return absl::OkStatus();
}

absl::Status Tokenizer::LoadAddedTokens(const JsonValue* added) {
  if (added == nullptr) return absl::OkStatus();
  if (!added->is_array()) return FieldError("added_tokens", "expected an array");
  for (size_t i = 0; i < added->array().size(); ++i) {
    const JsonValue& t = added->array()[i];
    const std::string where = absl::StrCat("added_tokens[", i, "]");
    if (!t.is_object()) return FieldError(where, "expected an object");
    AddedToken token;
    const JsonValue* id = t.Find("id");
    if (id == nullptr) return FieldError(where, "missing \"id\"");
    absl::StatusOr<int32_t> id_value = TokenId(*id, where);
    if (!id_value.ok()) return id_value.status();
    token.id = *id_value;
    absl::StatusOr<std::string> content = t.GetString("content");
    if (!content.ok() || content->empty()) {
      return FieldError(where, "missing or empty \"content\"");
    }
    token.content = *content;
    for (auto [key, field, default_value] :
         {std::tuple<const char*, bool*, bool>{"special", &token.special, false},
          {"lstrip", &token.lstrip, false},
          {"rstrip", &token.rstrip, false},
          {"single_word", &token.single_word, false},
          {"normalized", &token.normalized, true}}) {
      absl::StatusOr<bool> v = OptionalBool(t, key, default_value, where);
      if (!v.ok()) return v.status();
      *field = *v;
    }
    added_tokens_.push_back(std::move(token));
  }
  return absl::OkStatus();
}

void Tokenizer::BuildIdTables(const std::vector<std::pair<std::string, int32_t>>& written_vocab) {
  int32_t max_id = -1;
  for (const auto& [token, id] : written_vocab) max_id = std::max(max_id, id);
  for (const AddedToken& t : added_tokens_) max_id = std::max(max_id, t.id);
  id_to_token_.assign(static_cast<size_t>(max_id + 1), std::string());
  id_present_.assign(id_to_token_.size(), false);
  id_special_.assign(id_to_token_.size(), false);
  token_to_id_.reserve(written_vocab.size() + added_tokens_.size());
  for (const auto& [token, id] : written_vocab) {
    id_to_token_[id] = token;
    id_present_[id] = true;
    token_to_id_[token] = id;
  }
  for (size_t i = 0; i < added_tokens_.size(); ++i) {
    const AddedToken& t = added_tokens_[i];
    id_to_token_[t.id] = t.content;
    id_present_[t.id] = true;
    id_special_[t.id] = t.special;
    token_to_id_[t.content] = t.id;
    // Normalized tokens are looked for in a second pass, over the normalized text.
    const int kind = t.normalized ? 1 : 0;
    has_added_[kind] = true;
    auto& by_byte = added_by_first_byte_[kind];
    if (by_byte.empty()) by_byte.resize(256);
    added_match_text_.push_back(t.normalized && nfc_ ? NormalizeNfc(t.content) : t.content);
    by_byte[static_cast<uint8_t>(added_match_text_.back()[0])].push_back(static_cast<int32_t>(i));
  }
  for (auto& by_byte : added_by_first_byte_) {
    for (auto& list : by_byte) {
      std::stable_sort(list.begin(), list.end(), [&](int32_t a, int32_t b) {
        return added_match_text_[a].size() > added_match_text_[b].size();
      });
    }
  }
}

absl::Status Tokenizer::LoadPostProcessor(const JsonValue* p) {
  if (p == nullptr) return absl::OkStatus();
  absl::StatusOr<std::vector<const JsonValue*>> steps = Flatten(*p, "processors", "post_processor");
  if (!steps.ok()) return steps.status();
  for (const JsonValue* step : *steps) {
    const std::string step_type = *ComponentType(*step, "post_processor");
    if (step_type == "ByteLevel") continue;  // only changes offsets
    if (step_type != "TemplateProcessing") {
      return FieldError("post_processor",
                        absl::StrCat("unsupported post-processor type \"", step_type,
                                     "\" (supported: ByteLevel, TemplateProcessing, Sequence)"));
    }
    if (!template_.empty()) {
      return FieldError("post_processor", "more than one TemplateProcessing");
    }
    const JsonValue* single = step->Find("single");
    const JsonValue* specials = step->Find("special_tokens");
    if (single == nullptr || !single->is_array()) {
      return FieldError("post_processor", "TemplateProcessing without a \"single\" array");
    }
    for (const JsonValue& piece : single->array()) {
      TemplatePiece out;
      if (piece.Find("Sequence") != nullptr) {
        out.is_sequence = true;
      } else if (const JsonValue* special = piece.Find("SpecialToken"); special != nullptr) {
        absl::StatusOr<std::string> name = special->GetString("id");
        const JsonValue* entry = specials != nullptr && name.ok() ? specials->Find(*name) : nullptr;
        const JsonValue* ids = entry != nullptr ? entry->Find("ids") : nullptr;
        if (ids == nullptr || !ids->is_array()) {
          return FieldError("post_processor",
                            "TemplateProcessing names a special token without ids");
        }
        for (const JsonValue& id : ids->array()) {
          absl::StatusOr<int32_t> v = TokenId(id, "post_processor");
          if (!v.ok()) return v.status();
          out.ids.push_back(*v);
        }
      } else {
        return FieldError("post_processor",
                          "template piece is neither Sequence nor "
                          "SpecialToken");
      }
      template_.push_back(std::move(out));
    }
  }
  return absl::OkStatus();
}

void Tokenizer::SplitOnAddedTokens(std::string_view text, bool normalized,
                                   std::vector<Segment>* out) const {
  const int kind = normalized ? 1 : 0;
  if (!has_added_[kind]) {
    if (!text.empty()) out->push_back(Segment{text, -1});
    return;
  }
  const auto& by_byte = added_by_first_byte_[kind];
  size_t emitted = 0;  // end of the text already handed out
  for (size_t pos = 0; pos < text.size();) {
    const AddedToken* match = nullptr;
    size_t match_length = 0;
    for (int32_t index : by_byte[static_cast<uint8_t>(text[pos])]) {
      const std::string& match_text = added_match_text_[index];
      if (text.substr(pos, match_text.size()) == match_text) {
        match = &added_tokens_[index];
        match_length = match_text.size();
        break;  // the list is longest first
      }
    }
    if (match == nullptr) {
      ++pos;
      continue;
    }
    size_t start = pos;
    size_t stop = pos + match_length;
    pos = stop;
    if (match->single_word) {
      const bool word_before = start > 0 && IsWordChar(LastCodePoint(text.substr(0, start)));
      size_t length;
      const bool word_after = stop < text.size() && IsWordChar(DecodeUtf8At(text, stop, &length));
      if (word_before || word_after) continue;
    }
    if (match->lstrip) {
      while (start > emitted) {
        const size_t prev_start = [&] {
          size_t s = start - 1;
          while (s > emitted && (static_cast<uint8_t>(text[s]) & 0xC0) == 0x80) --s;
          return s;
        }();
        size_t length;
        if (!IsWhiteSpace(DecodeUtf8At(text, prev_start, &length))) break;
        start = prev_start;
      }
    }
    if (match->rstrip) {
      while (stop < text.size()) {
        size_t length;
        if (!IsWhiteSpace(DecodeUtf8At(text, stop, &length))) break;
        stop += length;
      }
      pos = stop;
    }
    if (start > emitted) out->push_back(Segment{text.substr(emitted, start - emitted), -1});
    out->push_back(Segment{text.substr(start, stop - start), match->id});
    emitted = stop;
  }
  if (emitted < text.size()) out->push_back(Segment{text.substr(emitted), -1});
}

void Tokenizer::EncodeWords(std::string_view normalized, std::vector<int32_t>* ids) const {
  std::vector<std::string_view> pieces = {normalized};
  std::vector<std::string_view> next;
  for (const auto& step : pre_tokenizer_) {
    next.clear();
    for (std::string_view piece : pieces) step->Split(piece, &next);
    pieces.swap(next);
  }
  for (std::string_view piece : pieces) model_->Encode(piece, ids);
}

void Tokenizer::EncodeSegment(std::string_view text, std::vector<int32_t>* ids) const {
  std::string normalized_storage;
  std::string_view normalized = text;
  if (nfc_) {
    normalized_storage = NormalizeNfc(text);
    normalized = normalized_storage;
  }
  if (!has_added_[1]) {
    EncodeWords(normalized, ids);
    return;
  }
  std::vector<Segment> segments;
  SplitOnAddedTokens(normalized, /*normalized=*/true, &segments);
  for (const Segment& s : segments) {
    if (s.added_id >= 0) {
      ids->push_back(s.added_id);
    } else {
      EncodeWords(s.text, ids);
    }
  }
}

std::vector<int32_t> Tokenizer::Encode(std::string_view text, bool add_special_tokens) const {
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  std::vector<Segment> segments;
  SplitOnAddedTokens(text, /*normalized=*/false, &segments);
  for (const Segment& s : segments) {
    if (s.added_id >= 0) {
      ids.push_back(s.added_id);
    } else {
      EncodeSegment(s.text, &ids);
    }
  }
  if (!add_special_tokens || template_.empty()) return ids;
  std::vector<int32_t> wrapped;
  wrapped.reserve(ids.size() + template_.size());
  for (const TemplatePiece& piece : template_) {
    if (piece.is_sequence) {
      wrapped.insert(wrapped.end(), ids.begin(), ids.end());
    } else {
      wrapped.insert(wrapped.end(), piece.ids.begin(), piece.ids.end());
    }
  }
  return wrapped;
}

std::string Tokenizer::DecodeBytes(absl::Span<const int32_t> ids, bool skip_special_tokens) const {
  std::vector<const std::string*> tokens;
  tokens.reserve(ids.size());
  for (int32_t id : ids) {
    if (id < 0 || id >= vocab_size() || !id_present_[id]) continue;
    if (skip_special_tokens && id_special_[id]) continue;
    tokens.push_back(&id_to_token_[id]);
  }
  if (!has_decoder_) {
    std::string out;
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i > 0) out.push_back(' ');
      out += *tokens[i];
    }
    return out;
  }
  const bool byte_level =
      std::find(decoders_.begin(), decoders_.end(), Decoder::kByteLevel) != decoders_.end();
  std::string out;
  std::string bytes;
  for (const std::string* token : tokens) {
    // Like `tokenizers`, a token with a code point outside the byte alphabet is kept as text.
    if (byte_level && ByteLevelAlphabet::Get().Decode(*token, &bytes)) {
      out += bytes;
    } else {
      out += *token;
    }
  }
  return out;
}

std::string Tokenizer::Decode(absl::Span<const int32_t> ids, bool skip_special_tokens) const {
  return Utf8Lossy(DecodeBytes(ids, skip_special_tokens));
}

std::optional<int32_t> Tokenizer::TokenToId(std::string_view token) const {
  auto it = token_to_id_.find(Av(token));
  if (it == token_to_id_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> Tokenizer::IdToToken(int32_t id) const {
  if (id < 0 || id >= vocab_size() || !id_present_[id]) return std::nullopt;
  return id_to_token_[id];
}

bool Tokenizer::IsSpecial(int32_t id) const {
  return id >= 0 && id < vocab_size() && id_special_[id];
}

absl::Status Tokenizer::SetSpecialTokenRole(std::string_view role, std::string_view token) {
  std::optional<int32_t> id = TokenToId(token);
  if (!id.has_value()) {
    return absl::NotFoundError(absl::StrCat("special token role \"", Av(role), "\": token \"",
                                            Av(token),
                                            "\" is not in the "
                                            "vocabulary"));
  }
  roles_[Av(role)] = *id;
  return absl::OkStatus();
}

absl::Status Tokenizer::LoadTokenizerConfig(std::string_view tokenizer_config_json) {
  absl::StatusOr<JsonValue> root = ParseJson(tokenizer_config_json);
  if (!root.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("tokenizer_config.json is not valid JSON: ", root.status().message()));
  }
  if (!root->is_object()) {
    return absl::InvalidArgumentError("tokenizer_config.json: expected an object");
  }
  for (const char* role : {"bos", "eos", "pad", "unk"}) {
    const JsonValue* v = root->Find(absl::StrCat(role, "_token"));
    if (v == nullptr || v->is_null()) continue;
    const JsonValue* content = v->is_object() ? v->Find("content") : v;
    if (content == nullptr || !content->is_string()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tokenizer_config.json: ", role, "_token must be a string or {\"content\": ...}"));
    }
    if (absl::Status s = SetSpecialTokenRole(role, content->string()); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("tokenizer_config.json: ", s.message()));
    }
  }
  return absl::OkStatus();
}

std::optional<int32_t> Tokenizer::SpecialTokenId(std::string_view role) const {
  auto it = roles_.find(Av(role));
  if (it == roles_.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<std::string> BuildCharLevelTokenizerJson(const CharLevelTokenizerSpec& spec) {
  std::vector<std::pair<std::string, bool>> added;  // (content, special)
  added.emplace_back(spec.unk_token, true);
  for (const auto& t : spec.special_tokens) added.emplace_back(t, true);
  for (const auto& t : spec.tag_tokens) added.emplace_back(t, false);
  std::vector<std::string> all;
  for (const auto& [content, special] : added) all.push_back(content);
  for (const auto& c : spec.characters) {
    size_t length = 0;
    if (c.empty() || !IsValidUtf8(c) || (DecodeUtf8At(c, 0, &length), length != c.size())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "character-level tokenizer: \"", absl::CHexEscape(c), "\" is not one character"));
    }
    all.push_back(c);
  }
  for (const auto& w : spec.words) {
    if (w.empty() || !std::all_of(w.begin(), w.end(), [](char ch) {
          return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
        })) {
      return absl::InvalidArgumentError(absl::StrCat("character-level tokenizer: word \"",
                                                     absl::CHexEscape(w),
                                                     "\" must be made of the letters A-Z, a-z"));
    }
    all.push_back(w);
  }
  absl::flat_hash_map<std::string, int32_t> seen;
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i].empty()) {
      return absl::InvalidArgumentError("character-level tokenizer: empty token");
    }
    if (!IsValidUtf8(all[i])) {
      return absl::InvalidArgumentError(absl::StrCat("character-level tokenizer: token \"",
                                                     absl::CHexEscape(all[i]),
                                                     "\" is not valid UTF-8"));
    }
    if (!seen.emplace(all[i], static_cast<int32_t>(i)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("character-level tokenizer: token \"", all[i], "\" appears twice"));
    }
  }

  JsonValue root = JsonValue::MakeObject();
  root.Add("version", JsonValue::String("1.0"));
  root.Add("truncation", JsonValue());
  root.Add("padding", JsonValue());
  JsonValue& added_json = root.Add("added_tokens", JsonValue::MakeArray());
  for (size_t i = 0; i < added.size(); ++i) {
    JsonValue& t = added_json.Push(JsonValue::MakeObject());
    t.Add("id", JsonValue::Integer(static_cast<int64_t>(i)));
    t.Add("content", JsonValue::String(added[i].first));
    t.Add("single_word", JsonValue::Bool(false));
    t.Add("lstrip", JsonValue::Bool(false));
    t.Add("rstrip", JsonValue::Bool(false));
    t.Add("normalized", JsonValue::Bool(false));
    t.Add("special", JsonValue::Bool(added[i].second));
  }
  root.Add("normalizer", JsonValue());
  JsonValue& pre = root.Add("pre_tokenizer", JsonValue::MakeObject());
  pre.Add("type", JsonValue::String("Split"));
  pre.Add("pattern", JsonValue::MakeObject())
      .Add("Regex", JsonValue::String("[A-Za-z]+|[^A-Za-z]"));
  pre.Add("behavior", JsonValue::String("Isolated"));
  pre.Add("invert", JsonValue::Bool(false));
  root.Add("post_processor", JsonValue());
  root.Add("decoder", JsonValue::MakeObject()).Add("type", JsonValue::String("Fuse"));
  JsonValue& model = root.Add("model", JsonValue::MakeObject());
  model.Add("type", JsonValue::String("BPE"));
  model.Add("dropout", JsonValue());
  model.Add("unk_token", JsonValue::String(spec.unk_token));
  model.Add("continuing_subword_prefix", JsonValue());
  model.Add("end_of_word_suffix", JsonValue());
  model.Add("fuse_unk", JsonValue::Bool(false));
  model.Add("byte_fallback", JsonValue::Bool(false));
  model.Add("ignore_merges", JsonValue::Bool(true));
  JsonValue& vocab = model.Add("vocab", JsonValue::MakeObject());
  for (size_t i = 0; i < all.size(); ++i) {
    vocab.Add(all[i], JsonValue::Integer(static_cast<int64_t>(i)));
  }
  model.Add("merges", JsonValue::MakeArray());
  return root.Serialize();
}

std::string BuildTokenizerConfigJson(const SpecialTokenRoleNames& roles) {
  JsonValue root = JsonValue::MakeObject();
  root.Add("tokenizer_class", JsonValue::String("PreTrainedTokenizerFast"));
  for (const auto& [key, token] :
       {std::pair<const char*, const std::string*>{"bos_token", &roles.bos},
        {"eos_token", &roles.eos},
        {"pad_token", &roles.pad},
        {"unk_token", &roles.unk}}) {
    root.Add(key, token->empty() ? JsonValue() : JsonValue::String(*token));
  }
  return root.Serialize();
}

}  // namespace rlvr
