#include "engine/ca/device_filter.h"

#include <utility>

#include "absl/container/flat_hash_map.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/internal/ascii.h"
#include "engine/internal/problems.h"

namespace consent {
namespace ca {
namespace {



constexpr absl::string_view kAttrNames[14] = {
    "deviceId",        "displayName", "deviceOwnership",        "enrollmentProfileName",
    "isCompliant",     "manufacturer", "mdmAppId",              "model",
    "operatingSystem", "operatingSystemVersion", "physicalIds", "profileType",
    "systemLabels",    "trustType",
};
constexpr absl::string_view kExtensionNames[15] = {
    "extensionAttribute1",  "extensionAttribute2",  "extensionAttribute3",
    "extensionAttribute4",  "extensionAttribute5",  "extensionAttribute6",
    "extensionAttribute7",  "extensionAttribute8",  "extensionAttribute9",
    "extensionAttribute10", "extensionAttribute11", "extensionAttribute12",
    "extensionAttribute13", "extensionAttribute14", "extensionAttribute15",
};

struct OpName {
  absl::string_view name;
  DeviceOp op;
};
constexpr OpName kOps[] = {
    {"-eq", DeviceOp::kEq},
    {"-ne", DeviceOp::kNe},
    {"-startsWith", DeviceOp::kStartsWith},
    {"-notStartsWith", DeviceOp::kNotStartsWith},
    {"-endsWith", DeviceOp::kEndsWith},
    {"-notEndsWith", DeviceOp::kNotEndsWith},
    {"-contains", DeviceOp::kContains},
    {"-notContains", DeviceOp::kNotContains},
    {"-in", DeviceOp::kIn},
    {"-notIn", DeviceOp::kNotIn},
};

// SPEC 1.7: operators per attribute.
bool OpAllowed(DeviceAttr attr, DeviceOp op) {
  switch (attr) {
    case DeviceAttr::kDeviceId:
    case DeviceAttr::kMdmAppId:
      return op == DeviceOp::kEq || op == DeviceOp::kNe || op == DeviceOp::kIn ||
             op == DeviceOp::kNotIn;
    case DeviceAttr::kDeviceOwnership:
    case DeviceAttr::kIsCompliant:
    case DeviceAttr::kProfileType:
    case DeviceAttr::kTrustType:
      return op == DeviceOp::kEq || op == DeviceOp::kNe;
    case DeviceAttr::kPhysicalIds:
    case DeviceAttr::kSystemLabels:
      return op == DeviceOp::kContains || op == DeviceOp::kNotContains;
    default:
      return true;
  }
}

bool IsNegative(DeviceOp op) {
  return op == DeviceOp::kNe || op == DeviceOp::kNotStartsWith ||
         op == DeviceOp::kNotEndsWith || op == DeviceOp::kNotContains ||
         op == DeviceOp::kNotIn;
}

bool ContainsIgnoreCase(absl::string_view haystack, absl::string_view needle) {
  if (needle.size() > haystack.size()) return false;
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (internal::EqualsIgnoreCase(haystack.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

bool IsBareChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
         c == '-' || c == ':' || c == '/';
}

}  // namespace

std::optional<DeviceAttr> ParseDeviceAttr(absl::string_view name) {
  // Built once; probed with the request's key, no copy (heterogeneous).
  static const auto* const kByName = [] {
    auto* m = new absl::flat_hash_map<std::string, DeviceAttr, internal::CaseInsensitiveHash,
                                      internal::CaseInsensitiveEq>();
    for (int i = 0; i < 14; ++i) m->emplace(std::string(kAttrNames[i]), static_cast<DeviceAttr>(i));
    for (int i = 0; i < 15; ++i) {
      m->emplace(std::string(kExtensionNames[i]), static_cast<DeviceAttr>(14 + i));
    }
    return m;
  }();
  auto it = kByName->find(name);
  if (it != kByName->end()) return it->second;
  return std::nullopt;
}

absl::string_view DeviceAttrName(DeviceAttr attr) {
  int i = static_cast<int>(attr);
  return i < 14 ? kAttrNames[i] : kExtensionNames[i - 14];
}

void DeviceView::Fill(const v1::Device* device) {
  present.fill(false);
  physical_ids = nullptr;
  system_labels = nullptr;
  registered = device != nullptr && device->registered();
  if (!registered) return;
  const bool extensions_visible = device->is_compliant() || device->is_managed() ||
                                  internal::EqualsIgnoreCase(device->trust_type(), "ServerAD");
  for (const auto& [key, val] : device->attributes()) {
    std::optional<DeviceAttr> attr = ParseDeviceAttr(key);
    if (!attr.has_value()) continue;
    const int i = static_cast<int>(*attr);
    if (*attr == DeviceAttr::kIsCompliant || *attr == DeviceAttr::kTrustType ||
        *attr == DeviceAttr::kPhysicalIds || *attr == DeviceAttr::kSystemLabels) {
      continue;  // these come from the typed fields
    }
    if (i >= 14 && !extensions_visible) continue;
    value[i] = val;
    present[i] = true;
  }
  const int compliant = static_cast<int>(DeviceAttr::kIsCompliant);
  value[compliant] = device->is_compliant() ? "True" : "False";
  present[compliant] = true;
  if (!device->trust_type().empty()) {
    const int trust = static_cast<int>(DeviceAttr::kTrustType);
    value[trust] = device->trust_type();
    present[trust] = true;
  }
  physical_ids = &device->physical_ids();
  system_labels = &device->system_labels();
  present[static_cast<int>(DeviceAttr::kPhysicalIds)] = true;
  present[static_cast<int>(DeviceAttr::kSystemLabels)] = true;
}

// Recursive-descent parser; recursion depth is bounded by
// kMaxDeviceFilterDepth parentheses and the rule comes from the bundle.
class DeviceFilterParser {
 public:
  DeviceFilterParser(absl::string_view rule, DeviceFilterProgram* out)
      : rule_(rule), out_(out) {}

  bool Parse(std::string* error) {
    Next();
    if (!ParseOr(0)) {
      *error = error_;
      return false;
    }
    if (tok_ != Tok::kEnd) {
      Fail("unexpected token");
      *error = error_;
      return false;
    }
    return true;
  }

 private:
  enum class Tok { kEnd, kLParen, kRParen, kWord, kString, kLBracket, kRBracket, kComma, kBad };

  void SkipSpace() {
    while (pos_ < rule_.size() &&
           absl::ascii_isspace(static_cast<unsigned char>(rule_[pos_]))) {
      ++pos_;
    }
  }

  // Reads the next token into tok_/text_/tok_pos_.
  void Next() {
    SkipSpace();
    tok_pos_ = pos_;
    if (pos_ >= rule_.size()) {
      tok_ = Tok::kEnd;
      text_ = "";
      return;
    }
    char c = rule_[pos_];
    auto single = [&](Tok t) {
      tok_ = t;
      text_ = rule_.substr(pos_, 1);
      ++pos_;
    };
    switch (c) {
      case '(':
        return single(Tok::kLParen);
      case ')':
        return single(Tok::kRParen);
      case '[':
        return single(Tok::kLBracket);
      case ']':
        return single(Tok::kRBracket);
      case ',':
        return single(Tok::kComma);
      case '"': {
        size_t end = rule_.find('"', pos_ + 1);
        if (end == absl::string_view::npos) {
          tok_ = Tok::kBad;
          text_ = rule_.substr(pos_);
          bad_reason_ = "unterminated string";
          pos_ = rule_.size();
          return;
        }
        tok_ = Tok::kString;
        text_ = rule_.substr(pos_ + 1, end - pos_ - 1);
        pos_ = end + 1;
        return;
      }
      default:
        break;
    }
    if (!IsBareChar(c)) {
      tok_ = Tok::kBad;
      text_ = rule_.substr(pos_, 1);
      bad_reason_ = "unexpected character";
      ++pos_;
      return;
    }
    size_t start = pos_;
    while (pos_ < rule_.size() && IsBareChar(rule_[pos_])) ++pos_;
    tok_ = Tok::kWord;
    text_ = rule_.substr(start, pos_ - start);
  }

  bool Fail(absl::string_view what) {
    if (!error_.empty()) return false;
    if (tok_ == Tok::kEnd) {
      error_ = what == "unexpected token"
                   ? absl::StrCat("unexpected end of rule at position ", tok_pos_)
                   : absl::StrCat(what, " end of rule at position ", tok_pos_);
    } else if (tok_ == Tok::kBad) {
      error_ = absl::StrCat(bad_reason_, " ", internal::Quote(text_), " at position ",
                            tok_pos_);
    } else {
      error_ = absl::StrCat(what, " ", internal::Quote(text_), " at position ", tok_pos_);
    }
    return false;
  }

  bool IsKeyword(absl::string_view kw) const {
    return tok_ == Tok::kWord && internal::EqualsIgnoreCase(text_, kw);
  }

  bool ParseOr(int depth) {
    if (!ParseAnd(depth)) return false;
    while (IsKeyword("-or")) {
      Next();
      if (!ParseAnd(depth)) return false;
      Push(DeviceFilterProgram::kOr);
    }
    return true;
  }

  bool ParseAnd(int depth) {
    if (!ParseTerm(depth)) return false;
    while (IsKeyword("-and")) {
      Next();
      if (!ParseTerm(depth)) return false;
      Push(DeviceFilterProgram::kAnd);
    }
    return true;
  }

  bool ParseTerm(int depth) {
    if (tok_ == Tok::kLParen) {
      if (depth + 1 > kMaxDeviceFilterDepth) {
        return Fail(absl::StrCat("parentheses nested deeper than ", kMaxDeviceFilterDepth,
                                 " at"));
      }
      Next();
      if (!ParseOr(depth + 1)) return false;
      if (tok_ != Tok::kRParen) return Fail("expected \")\", found");
      Next();
      return true;
    }
    return ParsePredicate();
  }

  bool ParsePredicate() {
    if (tok_ != Tok::kWord || !absl::StartsWithIgnoreCase(text_, "device.")) {
      return Fail("expected device.<attribute>, found");
    }
    std::optional<DeviceAttr> attr = ParseDeviceAttr(text_.substr(7));
    if (!attr.has_value()) return Fail("unknown device attribute");
    Next();
    std::optional<DeviceOp> op;
    if (tok_ == Tok::kWord) {
      for (const OpName& o : kOps) {
        if (internal::EqualsIgnoreCase(text_, o.name)) op = o.op;
      }
    }
    if (!op.has_value()) return Fail("expected an operator, found");
    if (!OpAllowed(*attr, *op)) {
      return Fail(absl::StrCat("operator not allowed on device.", DeviceAttrName(*attr), ":"));
    }
    Next();
    DeviceFilterProgram::Pred pred{*attr, *op, {}};
    if (*op == DeviceOp::kIn || *op == DeviceOp::kNotIn) {
      if (tok_ != Tok::kLBracket) return Fail("expected [ list ], found");
      Next();
      while (true) {
        if (tok_ != Tok::kString && tok_ != Tok::kWord) return Fail("expected a value, found");
        pred.values.emplace_back(text_);
        Next();
        if (tok_ == Tok::kComma) {
          Next();
          continue;
        }
        if (tok_ == Tok::kRBracket) break;
        return Fail("expected \",\" or \"]\", found");
      }
      Next();
    } else {
      if (tok_ != Tok::kString && tok_ != Tok::kWord) return Fail("expected a value, found");
      if (tok_ == Tok::kWord && (IsKeyword("-and") || IsKeyword("-or"))) {
        return Fail("expected a value, found");
      }
      if (*attr == DeviceAttr::kIsCompliant && !internal::EqualsIgnoreCase(text_, "True") &&
          !internal::EqualsIgnoreCase(text_, "False")) {
        return Fail("device.isCompliant takes True or False, found");
      }
      pred.values.emplace_back(text_);
      Next();
    }
    Push(static_cast<int32_t>(out_->preds_.size()));
    out_->preds_.push_back(std::move(pred));
    return true;
  }

  void Push(int32_t step) {
    out_->steps_.push_back(step);
    stack_ += step >= 0 ? 1 : -1;
    if (stack_ > max_stack_) max_stack_ = stack_;
  }

 public:
  int max_stack() const { return max_stack_; }

 private:
  absl::string_view rule_;
  DeviceFilterProgram* out_;
  size_t pos_ = 0;
  Tok tok_ = Tok::kEnd;
  absl::string_view text_;
  size_t tok_pos_ = 0;
  absl::string_view bad_reason_;
  std::string error_;
  int stack_ = 0;
  int max_stack_ = 0;
};

namespace {
constexpr int kMaxStack = 128;
}  // namespace

std::optional<DeviceFilterProgram> DeviceFilterProgram::Compile(absl::string_view rule,
                                                                size_t max_chars,
                                                                std::string* error) {
  if (rule.size() > max_chars) {
    *error = absl::StrCat("rule has ", rule.size(), " characters, more than ", max_chars,
                          " (max_device_filter_chars)");
    return std::nullopt;
  }
  DeviceFilterProgram program;
  DeviceFilterParser parser(rule, &program);
  if (!parser.Parse(error)) return std::nullopt;
  if (parser.max_stack() > kMaxStack) {
    *error = "rule too complex (evaluation stack over 128)";
    return std::nullopt;
  }
  return program;
}

bool DeviceFilterProgram::Evaluate(const DeviceView& device) const {
  std::array<bool, kMaxStack> stack;
  int top = 0;
  for (int32_t step : steps_) {
    if (step == kAnd || step == kOr) {
      bool b = stack[--top];
      bool a = stack[--top];
      stack[top++] = step == kAnd ? (a && b) : (a || b);
      continue;
    }
    const Pred& p = preds_[step];
    const int attr = static_cast<int>(p.attr);
    bool result = false;  // every case assigns it; false fails closed
    if (!device.registered || !device.present[attr]) {
      // C3: positive operators on null are false, negative ones true.
      result = IsNegative(p.op);
    } else if (p.attr == DeviceAttr::kPhysicalIds || p.attr == DeviceAttr::kSystemLabels) {
      const google::protobuf::RepeatedPtrField<std::string>* list =
          p.attr == DeviceAttr::kPhysicalIds ? device.physical_ids : device.system_labels;
      bool found = false;
      for (const std::string& e : *list) {
        if (internal::EqualsIgnoreCase(e, p.values[0])) {
          found = true;
          break;
        }
      }
      result = p.op == DeviceOp::kContains ? found : !found;
    } else {
      absl::string_view v = device.value[attr];
      const std::string& x = p.values[0];
      switch (p.op) {
        case DeviceOp::kEq:
          result = internal::EqualsIgnoreCase(v, x);
          break;
        case DeviceOp::kNe:
          result = !internal::EqualsIgnoreCase(v, x);
          break;
        case DeviceOp::kStartsWith:
          result = absl::StartsWithIgnoreCase(v, x);
          break;
        case DeviceOp::kNotStartsWith:
          result = !absl::StartsWithIgnoreCase(v, x);
          break;
        case DeviceOp::kEndsWith:
          result = absl::EndsWithIgnoreCase(v, x);
          break;
        case DeviceOp::kNotEndsWith:
          result = !absl::EndsWithIgnoreCase(v, x);
          break;
        case DeviceOp::kContains:
          result = ContainsIgnoreCase(v, x);
          break;
        case DeviceOp::kNotContains:
          result = !ContainsIgnoreCase(v, x);
          break;
        case DeviceOp::kIn:
        case DeviceOp::kNotIn: {
          bool found = false;
          for (const std::string& e : p.values) {
            if (internal::EqualsIgnoreCase(v, e)) {
              found = true;
              break;
            }
          }
          result = p.op == DeviceOp::kIn ? found : !found;
          break;
        }
      }
    }
    stack[top++] = result;
  }
  return top == 1 && stack[0];
}

size_t DeviceFilterProgram::ByteSize() const {
  size_t n = sizeof(*this) + steps_.capacity() * sizeof(int32_t) +
             preds_.capacity() * sizeof(Pred);
  for (const Pred& p : preds_) {
    for (const std::string& v : p.values) n += sizeof(std::string) + v.capacity();
  }
  return n;
}

}  // namespace ca
}  // namespace consent
