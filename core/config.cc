#include "core/config.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/json.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "re2/re2.h"
#include "rlvr/v1/options.pb.h"

namespace rlvr {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using google::protobuf::TextFormat;

absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// Keeps the first error the text-format parser reports, with a 1-based position.
class FirstErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  explicit FirstErrorCollector(std::string_view source) : source_(source) {}
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (!found_) {
      found_ = true;
      line_ = line;
      column_ = column;
      message_ = message;
    }
  }
  void AddWarning(int, google::protobuf::io::ColumnNumber, const std::string&) override {}

  // "file:line:col: message (field 'name')". The parser reports a bad value at the token after
  // it; the field it belongs to is the last "name:" written before that point, so the error is
  // moved to that field's position and names it.
  std::string Describe(std::string_view text) const {
    if (!found_) return "";
    if (line_ < 0) return absl::StrCat(source_, ": ", message_);
    int line = line_, column = column_;
    std::string suffix;
    if (message_.find("field named") == std::string::npos) {
      const size_t offset = Offset(text, line_, column_);
      static const RE2 kField("([A-Za-z_][A-Za-z0-9_]*)\\s*:");
      re2::StringPiece input(text.data(), offset);
      re2::StringPiece name;
      const char* last = nullptr;
      std::string last_name;
      while (RE2::FindAndConsume(&input, kField, &name)) {
        last = name.data();
        last_name = std::string(name);
      }
      if (last != nullptr) {
        suffix = absl::StrCat(" (field '", last_name, "')");
        line = 0;
        column = 0;
        for (const char* p = text.data(); p < last; ++p) {
          if (*p == '\n') {
            ++line;
            column = 0;
          } else {
            ++column;
          }
        }
      }
    }
    return absl::StrCat(source_, ":", line + 1, ":", column + 1, ": ", message_, suffix);
  }

 private:
  static size_t Offset(std::string_view text, int line, int column) {
    size_t pos = 0;
    for (int l = 0; l < line && pos < text.size(); ++pos) {
      if (text[pos] == '\n') ++l;
    }
    return std::min(text.size(), pos + static_cast<size_t>(std::max(column, 0)));
  }

  std::string source_;
  bool found_ = false;
  int line_ = 0;
  int column_ = 0;
  std::string message_;
};

absl::Status ParseWithInfo(std::string_view text, std::string_view source_name, Message* out,
                           TextFormat::ParseInfoTree* info) {
  out->Clear();
  FirstErrorCollector errors(source_name);
  TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  parser.WriteLocationsTo(info);
  if (!parser.ParseFromString(std::string(text), out)) {
    const std::string error = errors.Describe(text);
    return absl::InvalidArgumentError(
        error.empty() ? absl::StrCat(Sv(source_name), ": cannot parse config") : error);
  }
  return absl::OkStatus();
}

bool IsRequired(const FieldDescriptor* field) {
  return field->options().GetExtension(rlvr::v1::required);
}

// Whether a proto3 field without presence holds a non-default value.
bool ScalarIsSet(const Message& msg, const FieldDescriptor* field) {
  const Reflection* r = msg.GetReflection();
  if (field->has_presence()) return r->HasField(msg, field);
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return !r->GetString(msg, field).empty();
    default:
      return r->HasField(msg, field);
  }
}

// Returns the path of the first missing required field below `msg`, or empty. `line` receives the
// line (1-based) of the innermost enclosing block that the file wrote, if known.
std::string FindMissing(const Message& msg, const std::string& prefix,
                        const TextFormat::ParseInfoTree* info, int* line) {
  const Descriptor* d = msg.GetDescriptor();
  const Reflection* r = msg.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    const std::string path = prefix.empty() ? f->name() : absl::StrCat(prefix, ".", f->name());
    if (IsRequired(f)) {
      const bool set = f->is_repeated() ? r->FieldSize(msg, f) > 0 : ScalarIsSet(msg, f);
      if (!set) return path;
    }
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || f->is_map()) continue;
    if (f->is_repeated()) {
      for (int k = 0; k < r->FieldSize(msg, f); ++k) {
        const TextFormat::ParseInfoTree* child = info ? info->GetTreeForNested(f, k) : nullptr;
        if (info) {
          auto loc = info->GetLocation(f, k);
          if (loc.line >= 0) *line = loc.line + 1;
        }
        std::string missing = FindMissing(r->GetRepeatedMessage(msg, f, k),
                                          absl::StrCat(path, "[", k, "]"), child, line);
        if (!missing.empty()) return missing;
      }
    } else if (r->HasField(msg, f)) {
      const TextFormat::ParseInfoTree* child = info ? info->GetTreeForNested(f, -1) : nullptr;
      int saved = *line;
      if (info) {
        auto loc = info->GetLocation(f, -1);
        if (loc.line >= 0) *line = loc.line + 1;
      }
      std::string missing = FindMissing(r->GetMessage(msg, f), path, child, line);
      if (!missing.empty()) return missing;
      *line = saved;
    }
  }
  return "";
}

absl::Status CheckRequiredWithInfo(const Message& msg, std::string_view source_name,
                                   const TextFormat::ParseInfoTree* info) {
  int line = -1;
  std::string missing = FindMissing(msg, "", info, &line);
  if (missing.empty()) return absl::OkStatus();
  if (line > 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(Sv(source_name), ":", line, ": missing required field '", missing, "'"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat(Sv(source_name), ": missing required field '", missing, "'"));
}

struct PathSegment {
  std::string name;
  bool has_index = false;
  std::string index;  // the text inside [...]
};

absl::StatusOr<std::vector<PathSegment>> SplitPath(std::string_view path) {
  std::vector<PathSegment> segments;
  for (absl::string_view part : absl::StrSplit(Sv(path), '.')) {
    PathSegment seg;
    const size_t open = part.find('[');
    if (open == absl::string_view::npos) {
      seg.name = std::string(part);
    } else {
      if (part.back() != ']' || open == 0) {
        return absl::InvalidArgumentError(absl::StrCat("malformed path segment '", part, "'"));
      }
      seg.name = std::string(part.substr(0, open));
      seg.has_index = true;
      seg.index = std::string(part.substr(open + 1, part.size() - open - 2));
    }
    if (seg.name.empty()) return absl::InvalidArgumentError("empty field name in path");
    segments.push_back(std::move(seg));
  }
  return segments;
}

// Text-format spelling of `value` for a field: strings may be given without quotes.
std::string ValueText(const FieldDescriptor* f, std::string_view value) {
  const std::string v(value);
  if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
    const bool quoted = v.size() >= 2 && ((v.front() == '"' && v.back() == '"') ||
                                          (v.front() == '\'' && v.back() == '\''));
    if (!quoted && !(f->is_repeated() && !v.empty() && v.front() == '[')) return JsonQuote(v);
  }
  return v;
}

}  // namespace

absl::Status ParseConfigText(std::string_view text, std::string_view source_name, Message* out) {
  TextFormat::ParseInfoTree info;
  return ParseWithInfo(text, source_name, out, &info);
}

absl::Status ApplyOverride(std::string_view assignment, Message* msg) {
  const std::string where = absl::StrCat("--set ", Sv(assignment));
  const size_t eq = assignment.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": expected path.to.field=value"));
  }
  const std::string_view path = assignment.substr(0, eq);
  const std::string_view value = assignment.substr(eq + 1);
  absl::StatusOr<std::vector<PathSegment>> segments = SplitPath(path);
  if (!segments.ok())
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", segments.status().message()));

  Message* current = msg;
  for (size_t s = 0; s < segments->size(); ++s) {
    const PathSegment& seg = (*segments)[s];
    const Descriptor* d = current->GetDescriptor();
    const Reflection* r = current->GetReflection();
    const FieldDescriptor* f = d->FindFieldByName(seg.name);
    if (f == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": no field '", seg.name, "' in ", d->full_name()));
    }
    const bool last = s + 1 == segments->size();
    if (seg.has_index && !f->is_repeated()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": field '", seg.name, "' is not repeated; it takes no [index]"));
    }
    int index = -1;
    if (seg.has_index && !f->is_map()) {
      if (!absl::SimpleAtoi(seg.index, &index) || index < 0 || index > r->FieldSize(*current, f)) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": index [", seg.index, "] of '",
                                                       seg.name, "' out of range (size ",
                                                       r->FieldSize(*current, f), ")"));
      }
    }
    if (!last) {
      if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || f->is_map()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": field '", seg.name, "' is not a message; cannot go below it"));
      }
      if (f->is_repeated()) {
        if (index < 0) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, ": repeated field '", seg.name, "' needs an [index]"));
        }
        current = index == r->FieldSize(*current, f) ? r->AddMessage(current, f)
                                                     : r->MutableRepeatedMessage(current, f, index);
      } else {
        current = r->MutableMessage(current, f);
      }
      continue;
    }

    // The last segment: parse `name: value` into a scratch message of the same type, then move
    // the field over.
    std::string text;
    if (f->is_map() && seg.has_index) {
      const FieldDescriptor* value_field = f->message_type()->map_value();
      text = absl::StrCat(f->name(), " { key: ", JsonQuote(seg.index),
                          " value: ", ValueText(value_field, value), " }");
    } else {
      text = absl::StrCat(f->name(), ": ", ValueText(f, value));
    }
    std::unique_ptr<Message> scratch(current->New());
    FirstErrorCollector errors(where);
    TextFormat::Parser parser;
    parser.RecordErrorsTo(&errors);
    if (!parser.ParseFromString(text, scratch.get())) {
      // Positions inside our synthesized text mean nothing to the user: keep the message only.
      std::string message = errors.Describe(text);
      const size_t colon = message.find(": ", where.size());
      if (colon != std::string::npos) message = message.substr(colon + 2);
      return absl::InvalidArgumentError(absl::StrCat(where, ": ", message));
    }
    if (f->is_map() && seg.has_index) {
      // Replace an entry with the same key, then append the new one.
      const FieldDescriptor* key_field = f->message_type()->map_key();
      for (int k = r->FieldSize(*current, f) - 1; k >= 0; --k) {
        const Message& entry = r->GetRepeatedMessage(*current, f, k);
        if (entry.GetReflection()->GetString(entry, key_field) == seg.index) {
          r->SwapElements(current, f, k, r->FieldSize(*current, f) - 1);
          r->RemoveLast(current, f);
        }
      }
      current->MergeFrom(*scratch);
    } else if (f->is_repeated() && index >= 0) {
      if (scratch->GetReflection()->FieldSize(*scratch, f) != 1) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": an indexed element takes exactly one value"));
      }
      const int old_size = r->FieldSize(*current, f);
      current->MergeFrom(*scratch);  // appends at the end
      if (index < old_size) {
        r->SwapElements(current, f, index, old_size);
        r->RemoveLast(current, f);
      }
    } else {
      r->ClearField(current, f);
      current->MergeFrom(*scratch);
    }
    return absl::OkStatus();
  }
  return absl::OkStatus();
}

absl::Status CheckRequiredFields(const Message& msg, std::string_view source_name) {
  return CheckRequiredWithInfo(msg, source_name, nullptr);
}

absl::Status LoadConfig(const std::string& path, const std::vector<std::string>& overrides,
                        Message* out) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return absl::NotFoundError(absl::StrCat("config: ", text.status().message()));
  TextFormat::ParseInfoTree info;
  absl::Status st = ParseWithInfo(*text, path, out, &info);
  if (!st.ok()) return st;
  for (const std::string& o : overrides) {
    st = ApplyOverride(o, out);
    if (!st.ok()) return st;
  }
  return CheckRequiredWithInfo(*out, path, &info);
}

std::string ConfigToText(const Message& msg) {
  std::string out;
  TextFormat::Printer printer;
  printer.PrintToString(msg, &out);
  return out;
}

absl::StatusOr<ConfigArgs> ParseConfigArgs(int argc, char** argv) {
  ConfigArgs args;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto take_value = [&](std::string_view flag, std::string* out) -> absl::StatusOr<bool> {
      const std::string eq = absl::StrCat(Sv(flag), "=");
      if (arg == flag) {
        if (i + 1 >= argc)
          return absl::InvalidArgumentError(absl::StrCat(Sv(flag), " needs a value"));
        *out = argv[++i];
        return true;
      }
      if (absl::StartsWith(arg, eq)) {
        *out = arg.substr(eq.size());
        return true;
      }
      return false;
    };
    std::string value;
    absl::StatusOr<bool> matched = take_value("--config", &value);
    if (!matched.ok()) return matched.status();
    if (*matched) {
      args.config_path = value;
      continue;
    }
    matched = take_value("--set", &value);
    if (!matched.ok()) return matched.status();
    if (*matched) {
      args.overrides.push_back(value);
      continue;
    }
    if (arg == "--print-config") {
      args.print_config = true;
    } else if (arg == "--help" || arg == "-h") {
      args.help = true;
    } else {
      args.rest.push_back(arg);
    }
  }
  return args;
}

}  // namespace rlvr
