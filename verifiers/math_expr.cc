#include "verifiers/math_expr.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>

#include "absl/strings/str_format.h"

namespace rlvr::math {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

// ---------------------------------------------------------------------------------------------
// Normalization

struct CommandRewrite {
  std::string_view name;
  std::string_view replacement;
};

// Commands with one meaning that the parser sees in one spelling.
constexpr CommandRewrite kCommandRewrites[] = {
    {"dfrac", "\\frac"},
    {"tfrac", "\\frac"},
    {"cfrac", "\\frac"},
    {"dbinom", "\\binom"},
    {"tbinom", "\\binom"},
    {"left", ""},
    {"right", ""},
    {"big", ""},
    {"Big", ""},
    {"bigl", ""},
    {"bigr", ""},
    {"Bigl", ""},
    {"Bigr", ""},
    {"bigg", ""},
    {"Bigg", ""},
    {"biggl", ""},
    {"biggr", ""},
    {"displaystyle", ""},
    {"textstyle", ""},
    {"limits", ""},
    {"nolimits", ""},
    {"le", "<="},
    {"leq", "<="},
    {"leqslant", "<="},
    {"ge", ">="},
    {"geq", ">="},
    {"geqslant", ">="},
    {"lt", "<"},
    {"gt", ">"},
    {"ne", "!="},
    {"neq", "!="},
    {"times", "*"},
    {"cdot", "*"},
    {"ast", "*"},
    {"div", "/"},
    {"quad", " "},
    {"qquad", " "},
    {"circ", ""},
    {"degree", ""},
    {"dots", ""},
    {"ldots", ""},
    {"cdots", ""},
    {"lvert", "|"},
    {"rvert", "|"},
    {"vert", "|"},
    {"lbrace", "\\{"},
    {"rbrace", "\\}"},
    {"langle", "("},
    {"rangle", ")"},
    {"varnothing", "\\emptyset"},
    {"hline", ""},
    {"mathbf", ""},
    {"mathit", ""},
    {"boldsymbol", ""},
    {"bm", ""},
    {"vec", ""},
    {"overline", ""},
    {"bar", ""},
    {"hat", ""},
    {"widehat", ""},
    {"overrightarrow", ""},
    {"mathbb", ""},
    {"mathcal", ""},
    {"tilde", ""},
    {"widetilde", ""},
    {"rm", ""},
    {"bf", ""},
    {"dollar", ""},
    {"noindent", ""},
    {"Rightarrow", " "},
    {"implies", " "},
    {"therefore", " "},
    {"mathrm", "\\mathrm"},
    {"lbrack", "["},
    {"rbrack", "]"},
};

constexpr std::pair<std::string_view, std::string_view> kUnicodeRewrites[] = {
    {"\xe2\x88\x92", "-"},            // minus sign
    {"\xe2\x80\x93", "-"},            // en dash
    {"\xc3\x97", "*"},                // multiplication sign
    {"\xc3\xb7", "/"},                // division sign
    {"\xc2\xb7", "*"},                // middle dot
    {"\xe2\x8b\x85", "*"},            // dot operator
    {"\xe2\x89\xa4", "<="},           // ≤
    {"\xe2\x89\xa5", ">="},           // ≥
    {"\xe2\x89\xa0", "!="},           // ≠
    {"\xe2\x88\x9a", "\\sqrt "},      // √
    {"\xcf\x80", "\\pi "},            // π
    {"\xe2\x88\x9e", "\\infty "},     // ∞
    {"\xc2\xb0", ""},                 // degree sign
    {"\xc2\xb2", "^2"},               // superscript two
    {"\xc2\xb3", "^3"},               // superscript three
    {"\xe2\x82\xac", ""},             // euro sign
    {"\xc2\xa3", ""},                 // pound sign
    {"\xe2\x88\xaa", "\\cup "},       // ∪
    {"\xe2\x88\x88", "\\in "},        // ∈
    {"\xc2\xb1", "\\pm "},            // ±
    {"\xc2\xa0", " "},                // no-break space
    {"\xe2\x88\x85", "\\emptyset "},  // ∅
};

// Literal rewrites applied before the command pass.
constexpr std::pair<std::string_view, std::string_view> kLiteralRewrites[] = {
    {"^{\\circ}", ""},   {"^\\circ", ""},
    {"^{\\degree}", ""}, {"\\left.", ""},
    {"\\right.", ""},    {"\\%", ""},
    {"%", ""},           {"\\$", ""},
    {"$", ""},           {"\\displaystyle", ""},
};

std::string ReplaceAll(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (true) {
    size_t p = text.find(from, pos);
    if (p == std::string_view::npos) break;
    out.append(text.substr(pos, p - pos));
    out.append(to);
    pos = p + from.size();
  }
  out.append(text.substr(pos));
  return out;
}

// "14{,}916" and "11,\! 111" are thousands separators.
std::string RemoveThousandsMarkup(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '{') {
      // "{,}" possibly with spaces, between digits.
      size_t j = i + 1;
      while (j < s.size() && s[j] == ' ') ++j;
      if (j < s.size() && s[j] == ',') {
        ++j;
        while (j < s.size() && s[j] == ' ') ++j;
        size_t k = out.size();
        while (k > 0 && out[k - 1] == ' ') --k;
        if (j + 1 < s.size() && s[j] == '}' && IsDigit(s[j + 1]) && k > 0 && IsDigit(out[k - 1])) {
          out.resize(k);
          i = j;
          continue;
        }
      }
    }
    if (s.substr(i, 3) == ",\\!" && !out.empty() && IsDigit(out.back())) {
      size_t j = i + 3;
      while (j < s.size() && s[j] == ' ') ++j;
      if (j + 3 <= s.size() && IsDigit(s[j]) && IsDigit(s[j + 1]) && IsDigit(s[j + 2]) &&
          (j + 3 == s.size() || !IsDigit(s[j + 3]))) {
        i = j - 1;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

}  // namespace

std::string NormalizeLatex(std::string_view text) {
  // Doubled escapes ("\\frac" written as "\\\\frac" in a JSON-escaped source).
  std::string s;
  s.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 2 < text.size() && text[i + 1] == '\\' && IsLetter(text[i + 2]) &&
        (i == 0 || text[i - 1] != '\\')) {
      continue;
    }
    s.push_back(text[i]);
  }
  for (const auto& [from, to] : kUnicodeRewrites) {
    if (s.find(from) != std::string::npos) s = ReplaceAll(s, from, to);
  }
  s = RemoveThousandsMarkup(s);
  for (const auto& [from, to] : kLiteralRewrites) {
    if (s.find(from) != std::string::npos) s = ReplaceAll(s, from, to);
  }
  // Command pass: whole command names only, so "\ne" never touches "\neg".
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    if (s[i] == '\\' && i + 1 < s.size() && !IsLetter(s[i + 1])) {
      char d = s[i + 1];
      if (d == ',' || d == ';' || d == ':' || d == ' ' || d == '\t' || d == '\n') {
        out.push_back(' ');  // spacing
      } else if (d != '!') {
        out.append(s, i, 2);  // "\\\\", "\\{", ...: kept whole, never re-read as a command
      }
      i += 2;
      continue;
    }
    if (s[i] != '\\' || i + 1 >= s.size()) {
      out.push_back(s[i++]);
      continue;
    }
    size_t j = i + 1;
    while (j < s.size() && IsLetter(s[j])) ++j;
    std::string_view name(s.data() + i + 1, j - i - 1);
    std::string_view rest;
    // "\quadx": spacing glued to the next name.
    for (std::string_view space : {"qquad", "quad"}) {
      if (name.size() > space.size() && name.substr(0, space.size()) == space) {
        rest = name.substr(space.size());
        name = space;
        break;
      }
    }
    bool rewritten = false;
    for (const CommandRewrite& r : kCommandRewrites) {
      if (r.name == name) {
        out.append(r.replacement);
        rewritten = true;
        break;
      }
    }
    if (!rewritten) out.append(s, i, name.size() + 1);
    if (!rest.empty()) {
      out.push_back(' ');
      out.append(rest);
    }
    i = j;
  }
  return out;
}

namespace {

// ---------------------------------------------------------------------------------------------
// Tokens

enum class Tok { kEnd, kNum, kLetter, kCmd, kText, kOp, kSep };

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;
};

constexpr std::string_view kUnitWords[] = {
    "cm",          "mm",          "km",         "kg",      "mg",       "ml",        "miles",
    "mile",        "meters",      "meter",      "metres",  "metre",    "feet",      "foot",
    "ft",          "inches",      "inch",       "hours",   "hour",     "hr",        "hrs",
    "minutes",     "minute",      "mins",       "seconds", "days",     "day",       "weeks",
    "years",       "year",        "yuan",       "dollars", "dollar",   "cents",     "cent",
    "units",       "unit",        "sq",         "square",  "cubic",    "degrees",   "degree",
    "pct",         "percent",     "percentage", "points",  "mph",      "liters",    "litres",
    "gallons",     "pounds",      "lbs",        "ounces",  "grams",    "kilograms", "kilometers",
    "centimeters", "millimeters", "pages",      "people",  "students", "ways",      "times",
    "euros",       "rupees",      "marks",      "tons",
};

bool IsUnitWord(std::string_view w) {
  return std::find(std::begin(kUnitWords), std::end(kUnitWords), w) != std::end(kUnitWords);
}

class Tokenizer {
 public:
  Tokenizer(std::string_view s, const ParseOptions& options) : s_(s), options_(options) {}

  absl::StatusOr<std::vector<Token>> Run() {
    std::vector<Token> out;
    int depth = 0;
    while (true) {
      while (pos_ < s_.size() && IsSpace(s_[pos_])) ++pos_;
      if (pos_ >= s_.size()) break;
      char c = s_[pos_];
      if (IsDigit(c) || (c == '.' && pos_ + 1 < s_.size() && IsDigit(s_[pos_ + 1]))) {
        out.push_back({Tok::kNum, Number(depth)});
        continue;
      }
      if (IsLetter(c)) {
        size_t j = pos_;
        while (j < s_.size() && IsLetter(s_[j])) ++j;
        std::string_view word = s_.substr(pos_, j - pos_);
        if (word == "and" || word == "or") {
          out.push_back({Tok::kSep, std::string(word)});
          pos_ = j;
          continue;
        }
        if (word.size() >= 2 && IsUnitWord(word) && !out.empty() &&
            (out.back().kind == Tok::kNum || out.back().kind == Tok::kText ||
             out.back().text == ")" || out.back().text == "}")) {
          pos_ = j;  // a unit after a value
          continue;
        }
        out.push_back({Tok::kLetter, std::string(1, c)});
        ++pos_;
        continue;
      }
      if (c == '\\') {
        absl::Status s = Command(&out, &depth);
        if (!s.ok()) return s;
        continue;
      }
      if (static_cast<unsigned char>(c) >= 0x80) {
        return absl::InvalidArgumentError("non-ASCII character in a math answer");
      }
      std::string op(1, c);
      if ((c == '<' || c == '>' || c == '!') && pos_ + 1 < s_.size() && s_[pos_ + 1] == '=') {
        op.push_back('=');
        ++pos_;
      } else if (c == '=' && pos_ + 1 < s_.size() && (s_[pos_ + 1] == '<' || s_[pos_ + 1] == '>')) {
        op = std::string(1, s_[pos_ + 1]) + "=";
        ++pos_;
      }
      ++pos_;
      if (op == "(" || op == "[" || op == "{") ++depth;
      if (op == ")" || op == "]" || op == "}") --depth;
      out.push_back({Tok::kOp, std::move(op)});
    }
    out.push_back({Tok::kEnd, ""});
    return out;
  }

 private:
  // Digits with thousands separators (at top level), an optional fraction part, and with
  // decimal_comma a decimal comma.
  std::string Number(int depth) {
    std::string digits;
    auto take_digits = [&] {
      while (pos_ < s_.size() && IsDigit(s_[pos_])) digits.push_back(s_[pos_++]);
    };
    take_digits();
    // Thousands groups at top level: ",ddd" (or " ddd" after at most three digits) not followed
    // by another digit.
    while (depth <= 0 && pos_ < s_.size() && (s_[pos_] == ',' || s_[pos_] == ' ')) {
      size_t k = pos_ + 1;
      if (k + 3 > s_.size()) break;
      if (!(IsDigit(s_[k]) && IsDigit(s_[k + 1]) && IsDigit(s_[k + 2]))) break;
      if (k + 3 < s_.size() && IsDigit(s_[k + 3])) break;
      if (s_[pos_] == ' ' && digits.size() > 3) break;
      digits.append(s_.substr(k, 3));
      pos_ = k + 3;
    }
    if (pos_ + 1 < s_.size() && s_[pos_] == '.' && IsDigit(s_[pos_ + 1])) {
      digits.push_back('.');
      ++pos_;
      take_digits();
    } else if (options_.decimal_comma && pos_ + 1 < s_.size() && s_[pos_] == ',' &&
               IsDigit(s_[pos_ + 1]) && digits.find('.') == std::string::npos) {
      digits.push_back('.');
      ++pos_;
      take_digits();
    }
    if (!digits.empty() && digits[0] == '.') digits.insert(digits.begin(), '0');
    return digits;
  }

  // Reads the balanced {...} argument at pos_ (after spaces); nullopt when there is none.
  std::optional<std::string_view> BraceArg() {
    size_t p = pos_;
    while (p < s_.size() && IsSpace(s_[p])) ++p;
    if (p >= s_.size() || s_[p] != '{') return std::nullopt;
    int depth = 0;
    for (size_t j = p; j < s_.size(); ++j) {
      if (s_[j] == '\\') {
        ++j;
        continue;
      }
      if (s_[j] == '{') ++depth;
      if (s_[j] == '}' && --depth == 0) {
        pos_ = j + 1;
        return s_.substr(p + 1, j - p - 1);
      }
    }
    return std::nullopt;
  }

  absl::Status Command(std::vector<Token>* out, int* depth) {
    ++pos_;  // backslash
    if (pos_ >= s_.size()) return absl::InvalidArgumentError("dangling backslash");
    char c = s_[pos_];
    if (!IsLetter(c)) {
      ++pos_;
      if (c == '\\') {
        out->push_back({Tok::kOp, "\\\\"});
      } else if (c == '{') {
        out->push_back({Tok::kOp, "\\{"});
      } else if (c == '}') {
        out->push_back({Tok::kOp, "\\}"});
      } else if (c == '|') {
        out->push_back({Tok::kOp, "|"});
      }
      // Other escaped characters (spacing) carry no meaning.
      (void)depth;
      return absl::OkStatus();
    }
    size_t j = pos_;
    while (j < s_.size() && IsLetter(s_[j])) ++j;
    std::string name(s_.substr(pos_, j - pos_));
    pos_ = j;
    if (name == "text" || name == "textbf" || name == "textit" || name == "mbox" ||
        name == "textnormal" || name == "textrm" || name == "texttt" || name == "textsf" ||
        name == "emph" || name == "hbox") {
      std::optional<std::string_view> arg = BraceArg();
      if (!arg) return absl::InvalidArgumentError("\\text without an argument");
      std::string_view t = *arg;
      while (!t.empty() && IsSpace(t.front())) t.remove_prefix(1);
      while (!t.empty() && IsSpace(t.back())) t.remove_suffix(1);
      if (t == "and" || t == "or" || t == "," || t == "and/or") {
        out->push_back({Tok::kSep, std::string(t)});
      } else if (!t.empty()) {
        out->push_back({Tok::kText, std::string(t)});
      }
      return absl::OkStatus();
    }
    if (name == "mathrm" || name == "operatorname") {
      size_t save = pos_;
      std::optional<std::string_view> arg = BraceArg();
      if (!arg) return absl::OkStatus();
      std::string_view t = *arg;
      bool word = !t.empty() && std::all_of(t.begin(), t.end(), IsLetter);
      if (word && t == "e") {
        out->push_back({Tok::kCmd, "e"});
      } else if (word && (t.size() > 1 || name == "operatorname")) {
        out->push_back({Tok::kCmd, std::string(t)});
      } else {
        pos_ = save;  // the braces become an ordinary group
      }
      return absl::OkStatus();
    }
    if (name == "begin" || name == "end") {
      std::optional<std::string_view> env = BraceArg();
      if (!env) return absl::InvalidArgumentError("\\begin without an environment");
      std::string env_name(*env);
      if (!env_name.empty() && env_name.back() == '*') env_name.pop_back();
      if (name == "begin" && env_name == "array") BraceArg();  // column spec
      out->push_back({Tok::kCmd, name + ":" + env_name});
      return absl::OkStatus();
    }
    out->push_back({Tok::kCmd, std::move(name)});
    return absl::OkStatus();
  }

  std::string_view s_;
  size_t pos_ = 0;
  ParseOptions options_;
};

// ---------------------------------------------------------------------------------------------
// Parser

constexpr std::string_view kFunctions[] = {
    "sin",  "cos",  "tan", "sec", "csc", "cot", "arcsin", "arccos", "arctan", "sinh",
    "cosh", "tanh", "ln",  "log", "exp", "lg",  "arccot", "arcsec", "arccsc", "coth",
    "det",  "gcd",  "lcm", "max", "min", "deg", "sgn",    "floor",  "ceil",
};

bool IsFunctionName(std::string_view n) {
  return std::find(std::begin(kFunctions), std::end(kFunctions), n) != std::end(kFunctions);
}

bool IsMatrixEnv(std::string_view env) {
  return env == "pmatrix" || env == "bmatrix" || env == "matrix" || env == "vmatrix" ||
         env == "Bmatrix" || env == "Vmatrix" || env == "smallmatrix" || env == "array";
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : t_(std::move(tokens)) {}

  absl::StatusOr<Expr> Run() {
    absl::StatusOr<int> root = List({});
    if (!root.ok()) return root.status();
    if (Peek().kind != Tok::kEnd) {
      return absl::InvalidArgumentError(
          absl::StrFormat("unexpected '%s' in math answer", Peek().text));
    }
    e_.root = *root;
    return std::move(e_);
  }

 private:
  const Token& Peek(int ahead = 0) const {
    size_t i = std::min(p_ + ahead, t_.size() - 1);
    return t_[i];
  }
  bool IsOp(std::string_view op, int ahead = 0) const {
    const Token& t = Peek(ahead);
    return t.kind == Tok::kOp && t.text == op;
  }
  bool IsCmd(std::string_view name) const {
    return Peek().kind == Tok::kCmd && Peek().text == name;
  }
  bool AcceptOp(std::string_view op) {
    if (!IsOp(op)) return false;
    ++p_;
    return true;
  }

  absl::StatusOr<int> Add(Node n) {
    if (static_cast<int>(e_.nodes.size()) >= kMaxNodes) {
      return absl::ResourceExhaustedError("math answer has too many parts");
    }
    e_.nodes.push_back(std::move(n));
    return static_cast<int>(e_.nodes.size()) - 1;
  }
  absl::StatusOr<int> Make(NodeKind kind, std::vector<int> kids, std::string name = "") {
    Node n;
    n.kind = kind;
    n.kids = std::move(kids);
    n.name = std::move(name);
    return Add(std::move(n));
  }
  absl::StatusOr<int> Number(std::string_view text) {
    Node n;
    n.kind = NodeKind::kNumber;
    std::optional<Rational> r = Rational::Parse(text);
    if (r.has_value()) {
      n.exact = *r;
      n.has_exact = true;
      n.value = r->ToDouble();
    } else {
      n.value = std::strtod(std::string(text).c_str(), nullptr);
    }
    size_t dot = text.find('.');
    if (dot != std::string_view::npos) n.decimals = static_cast<int>(text.size() - dot - 1);
    return Add(std::move(n));
  }
  absl::StatusOr<int> Integer(int64_t v) {
    Node n;
    n.kind = NodeKind::kNumber;
    n.exact = Rational::FromInt(v);
    n.has_exact = true;
    n.value = static_cast<double>(v);
    return Add(std::move(n));
  }

  // Guards every recursive descent.
  struct DepthGuard {
    explicit DepthGuard(int* d) : d_(d) { ++*d_; }
    ~DepthGuard() { --*d_; }
    int* d_;
  };
  absl::Status CheckDepth() const {
    if (depth_ > kMaxDepth) return absl::ResourceExhaustedError("math answer nested too deeply");
    return absl::OkStatus();
  }

  bool AtListEnd(const std::vector<std::string_view>& closers) const {
    const Token& t = Peek();
    if (t.kind == Tok::kEnd) return true;
    if (t.kind == Tok::kOp) {
      for (std::string_view c : closers) {
        if (t.text == c) return true;
      }
    }
    return false;
  }

  // item (',' | ';' | and | or) item ...
  // item (',' | ';' | and | or) item ... When ';' separates groups of several ','-separated
  // items ("p=5,q=2;p=7,q=2"), each group is one tuple.
  absl::StatusOr<int> List(const std::vector<std::string_view>& closers) {
    DepthGuard g(&depth_);
    if (absl::Status s = CheckDepth(); !s.ok()) return s;
    std::vector<std::vector<int>> groups(1);
    while (true) {
      while (IsOp(",") || IsOp(";") || Peek().kind == Tok::kSep) {
        if (IsOp(";") && !groups.back().empty()) groups.emplace_back();
        ++p_;
      }
      if (AtListEnd(closers)) break;
      absl::StatusOr<int> item = Relation();
      if (!item.ok()) return item;
      groups.back().push_back(*item);
      if (!(IsOp(",") || IsOp(";") || Peek().kind == Tok::kSep)) break;
    }
    if (groups.back().empty()) groups.pop_back();
    std::vector<int> items;
    bool tuples = groups.size() > 1 && std::all_of(groups.begin(), groups.end(),
                                                   [](const auto& g) { return g.size() > 1; });
    for (auto& group : groups) {
      if (tuples) {
        absl::StatusOr<int> t = Make(NodeKind::kTuple, std::move(group));
        if (!t.ok()) return t;
        items.push_back(*t);
      } else {
        items.insert(items.end(), group.begin(), group.end());
      }
    }
    if (items.empty()) return Make(NodeKind::kList, {});
    if (items.size() == 1) return items[0];
    return Make(NodeKind::kList, std::move(items));
  }

  static bool IsRelOp(const Token& t) {
    if (t.kind == Tok::kOp) {
      return t.text == "=" || t.text == "<" || t.text == ">" || t.text == "<=" || t.text == ">=" ||
             t.text == "!=";
    }
    return t.kind == Tok::kCmd && (t.text == "in" || t.text == "approx" || t.text == "equiv" ||
                                   t.text == "sim" || t.text == "simeq");
  }

  absl::StatusOr<int> Relation() {
    absl::StatusOr<int> first = SetExpr();
    if (!first.ok()) return first;
    if (!IsRelOp(Peek())) return first;
    Node n;
    n.kind = NodeKind::kRelation;
    n.kids.push_back(*first);
    while (IsRelOp(Peek())) {
      std::string op = Peek().text;
      if (op == "equiv" || op == "sim" || op == "simeq") op = "=";
      ++p_;
      n.ops.push_back(op);
      absl::StatusOr<int> next = SetExpr();
      if (!next.ok()) return next;
      n.kids.push_back(*next);
    }
    return Add(std::move(n));
  }

  absl::StatusOr<int> SetExpr() {
    absl::StatusOr<int> first = Ratio();
    if (!first.ok()) return first;
    if (!IsCmd("cup")) return first;
    std::vector<int> parts{*first};
    while (IsCmd("cup")) {
      ++p_;
      absl::StatusOr<int> next = Ratio();
      if (!next.ok()) return next;
      parts.push_back(*next);
    }
    return Make(NodeKind::kUnion, std::move(parts));
  }

  absl::StatusOr<int> Ratio() {
    absl::StatusOr<int> first = Sum();
    if (!first.ok()) return first;
    if (!IsOp(":")) return first;
    std::vector<int> parts{*first};
    while (AcceptOp(":")) {
      absl::StatusOr<int> next = Sum();
      if (!next.ok()) return next;
      parts.push_back(*next);
    }
    return Make(NodeKind::kRatio, std::move(parts));
  }

  absl::StatusOr<int> Sum() {
    absl::StatusOr<int> first = Term();
    if (!first.ok()) return first;
    std::vector<int> terms{*first};
    while (true) {
      if (AcceptOp("+")) {
        absl::StatusOr<int> t = Term();
        if (!t.ok()) return t;
        terms.push_back(*t);
      } else if (AcceptOp("-")) {
        absl::StatusOr<int> t = Term();
        if (!t.ok()) return t;
        absl::StatusOr<int> neg = Make(NodeKind::kNeg, {*t});
        if (!neg.ok()) return neg;
        terms.push_back(*neg);
      } else if (IsCmd("pm") || IsCmd("mp")) {
        bool mp = IsCmd("mp");
        ++p_;
        absl::StatusOr<int> left = Collapse(NodeKind::kAdd, std::move(terms));
        if (!left.ok()) return left;
        absl::StatusOr<int> t = Term();
        if (!t.ok()) return t;
        int right = *t;
        if (mp) {
          absl::StatusOr<int> neg = Make(NodeKind::kNeg, {right});
          if (!neg.ok()) return neg;
          right = *neg;
        }
        absl::StatusOr<int> pm = Make(NodeKind::kPlusMinus, {*left, right});
        if (!pm.ok()) return pm;
        terms = {*pm};
      } else {
        break;
      }
    }
    return Collapse(NodeKind::kAdd, std::move(terms));
  }

  absl::StatusOr<int> Collapse(NodeKind kind, std::vector<int> kids) {
    if (kids.size() == 1) return kids[0];
    return Make(kind, std::move(kids));
  }

  bool StartsAtom() const {
    const Token& t = Peek();
    switch (t.kind) {
      case Tok::kNum:
      case Tok::kLetter:
        return true;
      case Tok::kCmd:
        return !(t.text == "cup" || t.text == "in" || t.text == "pm" || t.text == "mp" ||
                 t.text == "approx" || t.text == "equiv" || t.text == "sim" || t.text == "simeq" ||
                 t.text.rfind("end:", 0) == 0 || t.text == "to" || t.text == "rfloor" ||
                 t.text == "rceil");
      case Tok::kOp:
        return t.text == "(" || t.text == "{" || t.text == "\\{";
      default:
        return false;
    }
  }

  absl::StatusOr<int> Term() {
    absl::StatusOr<int> first = Unary();
    if (!first.ok()) return first;
    std::vector<int> factors{*first};
    while (true) {
      if (AcceptOp("*")) {
        absl::StatusOr<int> f = Unary();
        if (!f.ok()) return f;
        factors.push_back(*f);
      } else if (AcceptOp("/")) {
        absl::StatusOr<int> f = Unary();
        if (!f.ok()) return f;
        absl::StatusOr<int> inv = Make(NodeKind::kInv, {*f});
        if (!inv.ok()) return inv;
        factors.push_back(*inv);
      } else if (StartsAtom()) {
        bool mixed = factors.size() == 1 && IsCmd("frac") && IsPlainInteger(factors[0]);
        absl::StatusOr<int> f = Power();
        if (!f.ok()) return f;
        if (mixed && IsIntegerFraction(*f)) {
          // A mixed number: 15\frac{39}{40} is 15 + 39/40.
          absl::StatusOr<int> sum = Make(NodeKind::kAdd, {factors[0], *f});
          if (!sum.ok()) return sum;
          factors[0] = *sum;
          continue;
        }
        factors.push_back(*f);
      } else {
        break;
      }
    }
    return Collapse(NodeKind::kMul, std::move(factors));
  }

  bool IsPlainInteger(int i) const {
    const Node& n = e_.nodes[i];
    return n.kind == NodeKind::kNumber && n.has_exact && n.exact.is_integer() && n.decimals < 0;
  }
  // p/q with integer literals, as \frac builds it.
  bool IsIntegerFraction(int i) const {
    const Node& n = e_.nodes[i];
    if (n.kind != NodeKind::kMul || n.kids.size() != 2) return false;
    const Node& inv = e_.nodes[n.kids[1]];
    return IsPlainInteger(n.kids[0]) && inv.kind == NodeKind::kInv && IsPlainInteger(inv.kids[0]);
  }

  absl::StatusOr<int> Unary() {
    DepthGuard g(&depth_);
    if (absl::Status s = CheckDepth(); !s.ok()) return s;
    if (AcceptOp("-")) {
      absl::StatusOr<int> inner = Unary();
      if (!inner.ok()) return inner;
      return Make(NodeKind::kNeg, {*inner});
    }
    if (AcceptOp("+")) return Unary();
    if (IsCmd("pm") || IsCmd("mp")) {
      ++p_;
      absl::StatusOr<int> inner = Unary();
      if (!inner.ok()) return inner;
      return Make(NodeKind::kPlusMinus, {*inner});
    }
    return Power();
  }

  absl::StatusOr<int> Power() {
    absl::StatusOr<int> base = Postfix();
    if (!base.ok()) return base;
    if (!AcceptOp("^")) return base;
    absl::StatusOr<int> exponent = Argument(/*single_digit=*/true);
    if (!exponent.ok()) return exponent;
    absl::StatusOr<int> pow = Make(NodeKind::kPow, {*base, *exponent});
    if (!pow.ok()) return pow;
    // "n!" after a power, or units text.
    return PostfixOps(*pow);
  }

  // A command or exponent argument: {group}, a single digit of a number, a letter, or an atom.
  absl::StatusOr<int> Argument(bool single_digit) {
    DepthGuard g(&depth_);
    if (absl::Status s = CheckDepth(); !s.ok()) return s;
    const Token& t = Peek();
    if (t.kind == Tok::kOp && t.text == "{") {
      ++p_;
      absl::StatusOr<int> inner = List({"}"});
      if (!inner.ok()) return inner;
      if (!AcceptOp("}")) return absl::InvalidArgumentError("missing '}'");
      return inner;
    }
    if (t.kind == Tok::kNum && single_digit && t.text.size() > 1 && IsDigit(t.text[0])) {
      // "\frac12", "x^23": the argument is one digit; the rest stays for what follows.
      std::string digit(1, t.text[0]);
      t_[p_].text.erase(0, 1);
      if (t_[p_].text[0] == '.') t_[p_].text.insert(t_[p_].text.begin(), '0');
      return Number(digit);
    }
    if (AcceptOp("-")) {
      absl::StatusOr<int> inner = Argument(single_digit);
      if (!inner.ok()) return inner;
      return Make(NodeKind::kNeg, {*inner});
    }
    return Atom();
  }

  absl::StatusOr<int> Postfix() {
    absl::StatusOr<int> a = Atom();
    if (!a.ok()) return a;
    return PostfixOps(*a);
  }

  absl::StatusOr<int> PostfixOps(int a) {
    while (true) {
      if (AcceptOp("!")) {
        absl::StatusOr<int> f = Make(NodeKind::kFactorial, {a});
        if (!f.ok()) return f;
        a = *f;
      } else if (AcceptOp("'")) {
        if (e_.nodes[a].kind == NodeKind::kSymbol) e_.nodes[a].name += "'";
      } else if (IsOp("_")) {
        ++p_;
        absl::Status s = Subscript(a);
        if (!s.ok()) return s;
      } else if (Peek().kind == Tok::kText && e_.nodes[a].kind != NodeKind::kText) {
        ++p_;  // units after a value: "15 \text{ cm}"
      } else {
        return a;
      }
    }
  }

  // Raw text of the subscript argument, for names and bases.
  absl::StatusOr<std::string> SubscriptText() {
    std::string text;
    if (AcceptOp("{")) {
      int depth = 1;
      while (Peek().kind != Tok::kEnd) {
        if (IsOp("{")) ++depth;
        if (IsOp("}") && --depth == 0) {
          ++p_;
          return text;
        }
        text += Peek().text;
        ++p_;
      }
      return absl::InvalidArgumentError("missing '}' in subscript");
    }
    const Token& t = Peek();
    if (t.kind == Tok::kNum) {
      // "a_12" is a_1 times 2 in LaTeX; subscripts of one character.
      text = t.text.substr(0, 1);
      t_[p_].text.erase(0, 1);
      if (t_[p_].text.empty()) ++p_;
      return text;
    }
    if (t.kind == Tok::kLetter || t.kind == Tok::kCmd) {
      text = t.text;
      ++p_;
      return text;
    }
    return absl::InvalidArgumentError("empty subscript");
  }

  absl::Status Subscript(int a) {
    absl::StatusOr<std::string> sub = SubscriptText();
    if (!sub.ok()) return sub.status();
    Node& n = e_.nodes[a];
    if (n.kind == NodeKind::kNumber && n.has_exact && n.exact.is_integer() && n.decimals < 0) {
      // A base: "204_5", "8_{10}".
      int64_t base = 0;
      for (char c : *sub) {
        if (!IsDigit(c) || base > 36) return absl::InvalidArgumentError("bad base subscript");
        base = base * 10 + (c - '0');
      }
      if (base < 2 || base > 36) return absl::InvalidArgumentError("bad base subscript");
      std::string digits = n.exact.ToString();
      Rational::Int v = 0;
      for (char c : digits) {
        int d = c - '0';
        if (d < 0 || d >= base) return absl::InvalidArgumentError("digit outside its base");
        if (v > (Rational::Int(1) << 100)) return absl::InvalidArgumentError("number too long");
        v = v * base + d;
      }
      n.exact = Rational::FromInt(v);
      n.value = n.exact.ToDouble();
      return absl::OkStatus();
    }
    if (n.kind == NodeKind::kSymbol || n.kind == NodeKind::kFunc) {
      n.name += "_" + *sub;
      return absl::OkStatus();
    }
    return absl::OkStatus();  // other subscripts carry no value
  }

  // ( ... ) [ ... ] { ... } \{ ... \} | ... |
  absl::StatusOr<int> Bracketed() {
    std::string open = Peek().text;
    ++p_;
    if (open == "|") {
      absl::StatusOr<int> inner = Sum();
      if (!inner.ok()) return inner;
      if (!AcceptOp("|")) return absl::InvalidArgumentError("missing closing '|'");
      return Make(NodeKind::kFunc, {*inner}, "abs");
    }
    if (open == "\\{") {
      absl::StatusOr<int> inner = List({"\\}"});
      if (!inner.ok()) return inner;
      if (!AcceptOp("\\}")) return absl::InvalidArgumentError("missing '\\}'");
      return AsSet(*inner);
    }
    if (open == "{") {
      absl::StatusOr<int> inner = List({"}"});
      if (!inner.ok()) return inner;
      if (!AcceptOp("}")) return absl::InvalidArgumentError("missing '}'");
      if (e_.nodes[*inner].kind == NodeKind::kList) return AsSet(*inner);
      return inner;
    }
    absl::StatusOr<int> inner = List({")", "]"});
    if (!inner.ok()) return inner;
    std::string close = Peek().text;
    if (!AcceptOp(")") && !AcceptOp("]")) {
      return absl::InvalidArgumentError(absl::StrFormat("missing closing bracket for '%s'", open));
    }
    Node& n = e_.nodes[*inner];
    if (n.kind != NodeKind::kList) {
      if ((open == "(" && close == ")") || (open == "[" && close == "]")) return inner;
      return absl::InvalidArgumentError("one value between mismatched brackets");
    }
    if (n.kids.size() == 2 && !(open == "(" && close == ")")) {
      Node iv;
      iv.kind = NodeKind::kInterval;
      iv.kids = n.kids;
      iv.left_closed = open == "[";
      iv.right_closed = close == "]";
      return Add(std::move(iv));
    }
    n.kind = NodeKind::kTuple;
    return inner;
  }

  absl::StatusOr<int> AsSet(int inner) {
    Node& n = e_.nodes[inner];
    if (n.kind == NodeKind::kList) {
      n.kind = NodeKind::kSet;
      return inner;
    }
    return Make(NodeKind::kSet, {inner});
  }

  absl::StatusOr<int> Matrix(const std::string& env) {
    std::vector<std::vector<int>> rows(1);
    while (true) {
      if (Peek().kind == Tok::kEnd) return absl::InvalidArgumentError("unterminated matrix");
      if (Peek().kind == Tok::kCmd && Peek().text == "end:" + env) {
        ++p_;
        break;
      }
      if (AcceptOp("&")) {
        continue;
      }
      if (AcceptOp("\\\\")) {
        rows.emplace_back();
        continue;
      }
      absl::StatusOr<int> cell = Relation();
      if (!cell.ok()) return cell;
      rows.back().push_back(*cell);
      if (!(IsOp("&") || IsOp("\\\\") ||
            (Peek().kind == Tok::kCmd && Peek().text == "end:" + env))) {
        return absl::InvalidArgumentError("unexpected token in matrix");
      }
    }
    while (!rows.empty() && rows.back().empty()) rows.pop_back();
    if (rows.empty()) return absl::InvalidArgumentError("empty matrix");
    size_t cols = rows[0].size();
    Node m;
    m.kind = NodeKind::kMatrix;
    for (const auto& r : rows) {
      if (r.size() != cols) return absl::InvalidArgumentError("ragged matrix");
      m.kids.insert(m.kids.end(), r.begin(), r.end());
    }
    m.rows = static_cast<int>(rows.size());
    m.cols = static_cast<int>(cols);
    return Add(std::move(m));
  }

  absl::StatusOr<int> Atom() {
    DepthGuard g(&depth_);
    if (absl::Status s = CheckDepth(); !s.ok()) return s;
    const Token t = Peek();
    switch (t.kind) {
      case Tok::kNum:
        ++p_;
        return Number(t.text);
      case Tok::kLetter:
        ++p_;
        return Make(NodeKind::kSymbol, {}, t.text);
      case Tok::kText:
        ++p_;
        return Make(NodeKind::kText, {}, t.text);
      case Tok::kOp:
        if (t.text == "(" || t.text == "[" || t.text == "{" || t.text == "\\{" || t.text == "|") {
          return Bracketed();
        }
        return absl::InvalidArgumentError(absl::StrFormat("unexpected '%s'", t.text));
      case Tok::kCmd:
        ++p_;
        return CommandAtom(t.text);
      default:
        return absl::InvalidArgumentError("unexpected end of math answer");
    }
  }

  absl::StatusOr<int> CommandAtom(const std::string& name) {
    if (name == "frac" || name == "binom") {
      absl::StatusOr<int> a = Argument(true);
      if (!a.ok()) return a;
      absl::StatusOr<int> b = Argument(true);
      if (!b.ok()) return b;
      if (name == "binom") return Make(NodeKind::kFunc, {*a, *b}, "binom");
      absl::StatusOr<int> inv = Make(NodeKind::kInv, {*b});
      if (!inv.ok()) return inv;
      return Make(NodeKind::kMul, {*a, *inv});
    }
    if (name == "sqrt") {
      int index = -1;
      if (AcceptOp("[")) {
        absl::StatusOr<int> idx = Sum();
        if (!idx.ok()) return idx;
        if (!AcceptOp("]")) return absl::InvalidArgumentError("missing ']' in \\sqrt");
        index = *idx;
      }
      absl::StatusOr<int> arg = Argument(true);
      if (!arg.ok()) return arg;
      if (index < 0) return Make(NodeKind::kFunc, {*arg}, "sqrt");
      return Make(NodeKind::kFunc, {*arg, index}, "root");
    }
    if (name == "pi") return Make(NodeKind::kConst, {}, "pi");
    if (name == "infty" || name == "infin") return Make(NodeKind::kConst, {}, "inf");
    if (name == "e") return Make(NodeKind::kConst, {}, "e");
    if (name == "emptyset") return Make(NodeKind::kSet, {});
    if (name == "lfloor" || name == "lceil") {
      absl::StatusOr<int> inner = Sum();
      if (!inner.ok()) return inner;
      if (!IsCmd(name == "lfloor" ? "rfloor" : "rceil")) {
        return absl::InvalidArgumentError("missing closing floor/ceiling");
      }
      ++p_;
      return Make(NodeKind::kFunc, {*inner}, name == "lfloor" ? "floor" : "ceil");
    }
    if (name.rfind("begin:", 0) == 0) {
      std::string env = name.substr(6);
      if (IsMatrixEnv(env)) return Matrix(env);
      absl::StatusOr<int> inner = List({});
      if (!inner.ok()) return inner;
      if (!(Peek().kind == Tok::kCmd && Peek().text == "end:" + env)) {
        return absl::InvalidArgumentError("unterminated environment");
      }
      ++p_;
      return inner;
    }
    if (IsFunctionName(name)) {
      int power = -1;
      if (AcceptOp("^")) {
        absl::StatusOr<int> pw = Argument(true);
        if (!pw.ok()) return pw;
        power = *pw;
      }
      int base = -1;
      if (IsOp("_")) {
        ++p_;
        absl::StatusOr<int> b = Argument(true);
        if (!b.ok()) return b;
        base = *b;
      }
      absl::StatusOr<int> arg = IsOp("(") ? Bracketed() : Power();
      if (!arg.ok()) return arg;
      std::vector<int> kids{*arg};
      if (e_.nodes[*arg].kind == NodeKind::kTuple) kids = e_.nodes[*arg].kids;
      if (base >= 0) kids.push_back(base);
      absl::StatusOr<int> f = Make(NodeKind::kFunc, std::move(kids), name);
      if (!f.ok()) return f;
      if (power < 0) return f;
      // sin^{-1} is arcsin; other powers apply to the value.
      Node& pn = e_.nodes[power];
      if (pn.kind == NodeKind::kNeg && e_.nodes[pn.kids[0]].kind == NodeKind::kNumber &&
          e_.nodes[pn.kids[0]].has_exact && e_.nodes[pn.kids[0]].exact == Rational::FromInt(1)) {
        e_.nodes[*f].name = "arc" + name;
        return f;
      }
      return Make(NodeKind::kPow, {*f, power});
    }
    // Greek letters and other named symbols.
    return Make(NodeKind::kSymbol, {}, "\\" + name);
  }

  std::vector<Token> t_;
  size_t p_ = 0;
  int depth_ = 0;
  Expr e_;
};

}  // namespace

absl::StatusOr<Expr> ParseAnswer(std::string_view normalized, const ParseOptions& options) {
  if (normalized.size() > kMaxAnswerBytes) {
    return absl::ResourceExhaustedError("math answer too long to parse");
  }
  Tokenizer tokenizer(normalized, options);
  absl::StatusOr<std::vector<Token>> tokens = tokenizer.Run();
  if (!tokens.ok()) return tokens.status();
  if (tokens->size() <= 1) return absl::InvalidArgumentError("empty math answer");
  Parser parser(*std::move(tokens));
  return parser.Run();
}

std::string ToString(const Expr& e, int node) {
  const Node& n = e.at(node);
  auto kids = [&](std::string_view sep) {
    std::string s;
    for (size_t i = 0; i < n.kids.size(); ++i) {
      if (i > 0) s.append(sep);
      s += ToString(e, n.kids[i]);
    }
    return s;
  };
  switch (n.kind) {
    case NodeKind::kNumber:
      return n.has_exact ? n.exact.ToString() : absl::StrFormat("%g", n.value);
    case NodeKind::kSymbol:
    case NodeKind::kConst:
      return n.name;
    case NodeKind::kText:
      return "\"" + n.name + "\"";
    case NodeKind::kAdd:
      return "(" + kids(" + ") + ")";
    case NodeKind::kMul:
      return "(" + kids(" * ") + ")";
    case NodeKind::kNeg:
      return "-" + kids("");
    case NodeKind::kInv:
      return "1/" + kids("");
    case NodeKind::kPow:
      return "(" + kids(")^(") + ")";
    case NodeKind::kFunc:
      return n.name + "(" + kids(", ") + ")";
    case NodeKind::kFactorial:
      return kids("") + "!";
    case NodeKind::kPlusMinus:
      return "(" + kids(" +- ") + ")";
    case NodeKind::kTuple:
      return "tuple(" + kids(", ") + ")";
    case NodeKind::kSet:
      return "{" + kids(", ") + "}";
    case NodeKind::kList:
      return "list(" + kids(", ") + ")";
    case NodeKind::kInterval:
      return std::string(n.left_closed ? "[" : "(") + kids(", ") + (n.right_closed ? "]" : ")");
    case NodeKind::kUnion:
      return kids(" U ");
    case NodeKind::kMatrix:
      return absl::StrFormat("matrix%dx%d(", n.rows, n.cols) + kids(", ") + ")";
    case NodeKind::kRelation: {
      std::string s = ToString(e, n.kids[0]);
      for (size_t i = 0; i < n.ops.size(); ++i)
        s += " " + n.ops[i] + " " + ToString(e, n.kids[i + 1]);
      return s;
    }
    case NodeKind::kRatio:
      return kids(" : ");
  }
  return "?";
}

}  // namespace rlvr::math
