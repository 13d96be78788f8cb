#include "core/json.h"

#include <algorithm>
#include <cassert>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/unicode_text.h"

namespace rlvr {

JsonValue JsonValue::Bool(bool b) {
  JsonValue v;
  v.type_ = Type::kBool;
  v.bool_ = b;
  return v;
}

JsonValue JsonValue::Number(double d) {
  JsonValue v;
  v.type_ = Type::kNumber;
  v.number_ = d;
  return v;
}

JsonValue JsonValue::Integer(int64_t i) {
  JsonValue v;
  v.type_ = Type::kNumber;
  v.is_integer_ = true;
  v.integer_ = i;
  v.number_ = static_cast<double>(i);
  return v;
}

JsonValue JsonValue::String(std::string s) {
  JsonValue v;
  v.type_ = Type::kString;
  v.string_ = std::move(s);
  return v;
}

JsonValue JsonValue::MakeArray(Array items) {
  JsonValue v;
  v.type_ = Type::kArray;
  v.array_ = std::move(items);
  return v;
}

JsonValue JsonValue::MakeObject(Object members) {
  JsonValue v;
  v.type_ = Type::kObject;
  v.object_ = std::move(members);
  return v;
}

bool JsonValue::bool_value() const {
  assert(is_bool());
  return bool_;
}
double JsonValue::number() const {
  assert(is_number());
  return number_;
}
int64_t JsonValue::integer() const {
  assert(is_integer());
  return integer_;
}
const std::string& JsonValue::string() const {
  assert(is_string());
  return string_;
}
const JsonValue::Array& JsonValue::array() const {
  assert(is_array());
  return array_;
}
const JsonValue::Object& JsonValue::object() const {
  assert(is_object());
  return object_;
}
JsonValue::Array& JsonValue::mutable_array() {
  assert(is_array());
  return array_;
}
JsonValue::Object& JsonValue::mutable_object() {
  assert(is_object());
  return object_;
}

const JsonValue* JsonValue::Find(std::string_view key) const {
  if (!is_object()) return nullptr;
  for (const auto& [k, v] : object_) {
    if (k == key) return &v;
  }
  return nullptr;
}

namespace {

// Abseil here has its own string_view type; this bridges std::string_view into StrCat.
absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

const char* TypeName(JsonValue::Type t) {
  switch (t) {
    case JsonValue::Type::kNull:
      return "null";
    case JsonValue::Type::kBool:
      return "boolean";
    case JsonValue::Type::kNumber:
      return "number";
    case JsonValue::Type::kString:
      return "string";
    case JsonValue::Type::kArray:
      return "array";
    case JsonValue::Type::kObject:
      return "object";
  }
  return "?";
}

}  // namespace

absl::StatusOr<const JsonValue*> JsonValue::Get(std::string_view key, Type type) const {
  if (!is_object())
    return absl::InvalidArgumentError(absl::StrCat("expected an object to hold '", Sv(key), "'"));
  const JsonValue* v = Find(key);
  if (v == nullptr) return absl::NotFoundError(absl::StrCat("missing key '", Sv(key), "'"));
  if (v->type() != type) {
    return absl::InvalidArgumentError(absl::StrCat(
        "key '", Sv(key), "' should be a ", TypeName(type), ", found a ", TypeName(v->type())));
  }
  return v;
}

absl::StatusOr<int64_t> JsonValue::GetInt(std::string_view key) const {
  absl::StatusOr<const JsonValue*> v = Get(key, Type::kNumber);
  if (!v.ok()) return v.status();
  if (!(*v)->is_integer()) {
    return absl::InvalidArgumentError(absl::StrCat("key '", Sv(key), "' should be an integer"));
  }
  return (*v)->integer();
}

absl::StatusOr<double> JsonValue::GetNumber(std::string_view key) const {
  absl::StatusOr<const JsonValue*> v = Get(key, Type::kNumber);
  if (!v.ok()) return v.status();
  return (*v)->number();
}

absl::StatusOr<std::string> JsonValue::GetString(std::string_view key) const {
  absl::StatusOr<const JsonValue*> v = Get(key, Type::kString);
  if (!v.ok()) return v.status();
  return (*v)->string();
}

absl::StatusOr<bool> JsonValue::GetBool(std::string_view key) const {
  absl::StatusOr<const JsonValue*> v = Get(key, Type::kBool);
  if (!v.ok()) return v.status();
  return (*v)->bool_value();
}

JsonValue& JsonValue::Add(std::string key, JsonValue value) {
  assert(is_object());
  object_.emplace_back(std::move(key), std::move(value));
  return object_.back().second;
}

JsonValue& JsonValue::Push(JsonValue value) {
  assert(is_array());
  array_.push_back(std::move(value));
  return array_.back();
}

namespace {

// Advances *i past one valid UTF-8 sequence; false (and *i unchanged) for an invalid one.
// DecodeUtf8At reports an invalid byte as U+FFFD of length 1, which no valid sequence is.
bool ConsumeUtf8(std::string_view s, size_t* i) {
  size_t length = 0;
  const uint32_t cp = DecodeUtf8At(s, *i, &length);
  if (cp == 0xFFFD && length == 1) return false;
  *i += length;
  return true;
}

class Parser {
 public:
  Parser(std::string_view text, const JsonParseOptions& options) : text_(text), options_(options) {}

  absl::StatusOr<JsonValue> ParseDocument() {
    JsonValue v;
    absl::Status s = ParseValue(0, &v);
    if (!s.ok()) return s;
    SkipSpace();
    if (pos_ != text_.size()) return Error("unexpected trailing characters");
    return v;
  }

 private:
  absl::Status Error(std::string_view what) const {
    // Report line and column of the current position (1-based).
    size_t line = 1, col = 1;
    for (size_t k = 0; k < pos_ && k < text_.size(); ++k) {
      if (text_[k] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    return absl::InvalidArgumentError(absl::StrFormat("JSON %d:%d: %s", line, col, what));
  }

  void SkipSpace() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
      ++pos_;
    }
  }

  bool Consume(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  absl::Status ParseValue(int depth, JsonValue* out) {
    if (depth > options_.max_depth) return Error("nesting too deep");
    SkipSpace();
    if (pos_ >= text_.size()) return Error("unexpected end of input");
    const char c = text_[pos_];
    switch (c) {
      case '{':
        return ParseObject(depth, out);
      case '[':
        return ParseArray(depth, out);
      case '"': {
        std::string s;
        absl::Status st = ParseString(&s);
        if (!st.ok()) return st;
        *out = JsonValue::String(std::move(s));
        return absl::OkStatus();
      }
      case 't':
        if (!Consume("true")) return Error("invalid literal");
        *out = JsonValue::Bool(true);
        return absl::OkStatus();
      case 'f':
        if (!Consume("false")) return Error("invalid literal");
        *out = JsonValue::Bool(false);
        return absl::OkStatus();
      case 'n':
        if (!Consume("null")) return Error("invalid literal");
        *out = JsonValue();
        return absl::OkStatus();
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return ParseNumber(out);
        return Error(absl::StrFormat("unexpected character '%c'", c));
    }
  }

  absl::Status ParseObject(int depth, JsonValue* out) {
    ++pos_;  // '{'
    *out = JsonValue::MakeObject();
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      return absl::OkStatus();
    }
    while (true) {
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != '"') return Error("expected a string key");
      std::string key;
      absl::Status st = ParseString(&key);
      if (!st.ok()) return st;
      if (out->object().size() < kLinearDuplicateCheck && out->Find(key) != nullptr) {
        return Error(absl::StrCat("duplicate key \"", key, "\""));
      }
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != ':') return Error("expected ':'");
      ++pos_;
      JsonValue value;
      st = ParseValue(depth + 1, &value);
      if (!st.ok()) return st;
      out->Add(std::move(key), std::move(value));
      SkipSpace();
      if (pos_ >= text_.size()) return Error("unterminated object");
      if (text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (text_[pos_] == '}') {
        ++pos_;
        break;
      }
      return Error("expected ',' or '}'");
    }
    if (out->object().size() >= kLinearDuplicateCheck) return CheckDuplicatesSorted(*out);
    return absl::OkStatus();
  }

  // Large objects (a tokenizer's vocab) are checked for duplicate keys once, by sorting.
  absl::Status CheckDuplicatesSorted(const JsonValue& obj) {
    std::vector<std::string_view> keys;
    keys.reserve(obj.object().size());
    for (const auto& [k, v] : obj.object()) keys.push_back(k);
    std::sort(keys.begin(), keys.end());
    for (size_t k = 1; k < keys.size(); ++k) {
      if (keys[k] == keys[k - 1]) return Error(absl::StrCat("duplicate key \"", Sv(keys[k]), "\""));
    }
    return absl::OkStatus();
  }

  absl::Status ParseArray(int depth, JsonValue* out) {
    ++pos_;  // '['
    *out = JsonValue::MakeArray();
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      return absl::OkStatus();
    }
    while (true) {
      JsonValue value;
      absl::Status st = ParseValue(depth + 1, &value);
      if (!st.ok()) return st;
      out->Push(std::move(value));
      SkipSpace();
      if (pos_ >= text_.size()) return Error("unterminated array");
      if (text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (text_[pos_] == ']') {
        ++pos_;
        return absl::OkStatus();
      }
      return Error("expected ',' or ']'");
    }
  }

  absl::Status ParseHex4(uint32_t* out) {
    if (pos_ + 4 > text_.size()) return Error("truncated \\u escape");
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      const char h = text_[pos_ + k];
      v <<= 4;
      if (h >= '0' && h <= '9') {
        v |= h - '0';
      } else if (h >= 'a' && h <= 'f') {
        v |= h - 'a' + 10;
      } else if (h >= 'A' && h <= 'F') {
        v |= h - 'A' + 10;
      } else {
        return Error("invalid \\u escape");
      }
    }
    pos_ += 4;
    *out = v;
    return absl::OkStatus();
  }

  absl::Status ParseString(std::string* out) {
    ++pos_;  // opening quote
    while (true) {
      if (pos_ >= text_.size()) return Error("unterminated string");
      const unsigned char c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        return absl::OkStatus();
      }
      if (c < 0x20) return Error("control character in string");
      if (c == '\\') {
        if (pos_ + 1 >= text_.size()) return Error("unterminated escape");
        const char e = text_[pos_ + 1];
        pos_ += 2;
        switch (e) {
          case '"':
            out->push_back('"');
            break;
          case '\\':
            out->push_back('\\');
            break;
          case '/':
            out->push_back('/');
            break;
          case 'b':
            out->push_back('\b');
            break;
          case 'f':
            out->push_back('\f');
            break;
          case 'n':
            out->push_back('\n');
            break;
          case 'r':
            out->push_back('\r');
            break;
          case 't':
            out->push_back('\t');
            break;
          case 'u': {
            uint32_t cp = 0;
            absl::Status st = ParseHex4(&cp);
            if (!st.ok()) return st;
            if (cp >= 0xDC00 && cp <= 0xDFFF) return Error("lone low surrogate");
            if (cp >= 0xD800 && cp <= 0xDBFF) {
              uint32_t low = 0;
              if (!Consume("\\u")) return Error("lone high surrogate");
              st = ParseHex4(&low);
              if (!st.ok()) return st;
              if (low < 0xDC00 || low > 0xDFFF) return Error("invalid surrogate pair");
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            }
            AppendUtf8(cp, out);
            break;
          }
          default:
            return Error("invalid escape");
        }
        continue;
      }
      size_t start = pos_;
      if (!ConsumeUtf8(text_, &pos_)) return Error("invalid UTF-8 in string");
      out->append(text_.substr(start, pos_ - start));
    }
  }

  absl::Status ParseNumber(JsonValue* out) {
    const size_t start = pos_;
    bool integral = true;
    if (text_[pos_] == '-') ++pos_;
    if (pos_ >= text_.size()) return Error("invalid number");
    if (text_[pos_] == '0') {
      ++pos_;
    } else if (text_[pos_] >= '1' && text_[pos_] <= '9') {
      while (pos_ < text_.size() && isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    } else {
      return Error("invalid number");
    }
    if (pos_ < text_.size() && text_[pos_] == '.') {
      integral = false;
      ++pos_;
      if (pos_ >= text_.size() || !isdigit(static_cast<unsigned char>(text_[pos_]))) {
        return Error("invalid number");
      }
      while (pos_ < text_.size() && isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      integral = false;
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (pos_ >= text_.size() || !isdigit(static_cast<unsigned char>(text_[pos_]))) {
        return Error("invalid number");
      }
      while (pos_ < text_.size() && isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    }
    const std::string literal(text_.substr(start, pos_ - start));
    if (integral) {
      errno = 0;
      char* end = nullptr;
      const long long v = std::strtoll(literal.c_str(), &end, 10);
      if (errno == 0 && end == literal.c_str() + literal.size()) {
        *out = JsonValue::Integer(v);
        return absl::OkStatus();
      }
    }
    *out = JsonValue::Number(std::strtod(literal.c_str(), nullptr));
    return absl::OkStatus();
  }

  static constexpr size_t kLinearDuplicateCheck = 32;
  std::string_view text_;
  JsonParseOptions options_;
  size_t pos_ = 0;
};

void SerializeTo(const JsonValue& v, std::string* out) {
  switch (v.type()) {
    case JsonValue::Type::kNull:
      out->append("null");
      return;
    case JsonValue::Type::kBool:
      out->append(v.bool_value() ? "true" : "false");
      return;
    case JsonValue::Type::kNumber:
      if (v.is_integer()) {
        absl::StrAppend(out, v.integer());
      } else if (!std::isfinite(v.number())) {
        out->append("null");
      } else {
        absl::StrAppendFormat(out, "%.17g", v.number());
      }
      return;
    case JsonValue::Type::kString:
      out->append(JsonQuote(v.string()));
      return;
    case JsonValue::Type::kArray: {
      out->push_back('[');
      bool first = true;
      for (const JsonValue& item : v.array()) {
        if (!first) out->push_back(',');
        first = false;
        SerializeTo(item, out);
      }
      out->push_back(']');
      return;
    }
    case JsonValue::Type::kObject: {
      out->push_back('{');
      bool first = true;
      for (const auto& [k, item] : v.object()) {
        if (!first) out->push_back(',');
        first = false;
        out->append(JsonQuote(k));
        out->push_back(':');
        SerializeTo(item, out);
      }
      out->push_back('}');
      return;
    }
  }
}

}  // namespace

std::string JsonValue::Serialize() const {
  std::string out;
  SerializeTo(*this, &out);
  return out;
}

absl::StatusOr<JsonValue> ParseJson(std::string_view text, const JsonParseOptions& options) {
  return Parser(text, options).ParseDocument();
}

std::string JsonQuote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
      ++i;
    } else if (c == '\n') {
      out.append("\\n");
      ++i;
    } else if (c == '\r') {
      out.append("\\r");
      ++i;
    } else if (c == '\t') {
      out.append("\\t");
      ++i;
    } else if (c < 0x20) {
      absl::StrAppendFormat(&out, "\\u%04x", c);
      ++i;
    } else if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
    } else {
      const size_t start = i;
      if (!ConsumeUtf8(s, &i)) {
        out.append("\xEF\xBF\xBD");  // U+FFFD for an invalid byte
        i = start + 1;
      } else {
        out.append(s.substr(start, i - start));
      }
    }
  }
  out.push_back('"');
  return out;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat("error reading ", path));
  return buf.str();
}

absl::StatusOr<std::vector<JsonValue>> ReadJsonl(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  std::vector<JsonValue> records;
  size_t line_no = 0, start = 0;
  const std::string& t = *text;
  while (start < t.size()) {
    size_t end = t.find('\n', start);
    if (end == std::string::npos) end = t.size();
    ++line_no;
    std::string_view line(t.data() + start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") != std::string_view::npos) {
      absl::StatusOr<JsonValue> v = ParseJson(line);
      if (!v.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ":", line_no, ": ", v.status().message()));
      }
      records.push_back(*std::move(v));
    }
    start = end + 1;
  }
  return records;
}

}  // namespace rlvr
