// A small JSON reader and writer for the formats rlvr meets: safetensors headers, Hugging Face
// config.json and tokenizer.json, JSONL datasets and metrics.
//
// ParseJson accepts RFC 8259 JSON only (no comments, no trailing commas). Input is hostile-safe:
// nesting deeper than JsonParseOptions::max_depth, invalid UTF-8 in strings, lone surrogates and
// trailing garbage are errors, never a crash. Object members keep their file order; duplicate
// keys are an error.
#ifndef RLVR_CORE_JSON_H_
#define RLVR_CORE_JSON_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace rlvr {

class JsonValue {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  using Array = std::vector<JsonValue>;
  using Object = std::vector<std::pair<std::string, JsonValue>>;

  JsonValue() = default;  // null
  static JsonValue Bool(bool b);
  static JsonValue Number(double d);
  static JsonValue Integer(int64_t i);
  static JsonValue String(std::string s);
  static JsonValue MakeArray(Array items = {});
  static JsonValue MakeObject(Object members = {});

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_bool() const { return type_ == Type::kBool; }
  bool is_number() const { return type_ == Type::kNumber; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }
  // True for numbers written without fraction or exponent that fit in int64.
  bool is_integer() const { return type_ == Type::kNumber && is_integer_; }

  // Accessors; calling one on a value of another type is a programming error (asserts) — check
  // the type first, or use the As*/Find helpers below on untrusted input.
  bool bool_value() const;
  double number() const;    // any number, as double
  int64_t integer() const;  // exact value; requires is_integer()
  const std::string& string() const;
  const Array& array() const;
  const Object& object() const;
  Array& mutable_array();
  Object& mutable_object();

  // Object lookup: nullptr when this is not an object or has no such key.
  const JsonValue* Find(std::string_view key) const;
  // Typed lookups for untrusted input: an error naming the key when absent or of another type.
  absl::StatusOr<const JsonValue*> Get(std::string_view key, Type type) const;
  absl::StatusOr<int64_t> GetInt(std::string_view key) const;
  absl::StatusOr<double> GetNumber(std::string_view key) const;
  absl::StatusOr<std::string> GetString(std::string_view key) const;
  absl::StatusOr<bool> GetBool(std::string_view key) const;

  // Appends a member (objects) or item (arrays); returns a reference to the new value.
  JsonValue& Add(std::string key, JsonValue value);
  JsonValue& Push(JsonValue value);

  // Compact serialization (no spaces), members in insertion order. Non-finite numbers are
  // written as null. Integers round-trip exactly; other numbers with 17 significant digits.
  std::string Serialize() const;

 private:
  Type type_ = Type::kNull;
  bool bool_ = false;
  bool is_integer_ = false;
  double number_ = 0;
  int64_t integer_ = 0;
  std::string string_;
  Array array_;
  Object object_;
};

struct JsonParseOptions {
  int max_depth = 256;
};

absl::StatusOr<JsonValue> ParseJson(std::string_view text, const JsonParseOptions& options = {});

// Writes s as a JSON string literal (with quotes). Invalid UTF-8 bytes become U+FFFD.
std::string JsonQuote(std::string_view s);

// Reads a whole file into memory, with an error naming the path.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Reads a JSONL file: one JSON value per non-empty line. Errors name the path and line number.
absl::StatusOr<std::vector<JsonValue>> ReadJsonl(const std::string& path);

}  // namespace rlvr

#endif  // RLVR_CORE_JSON_H_
