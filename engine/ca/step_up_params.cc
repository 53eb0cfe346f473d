#include "engine/ca/step_up_params.h"

#include <array>
#include <cstdint>
#include <limits>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/internal/ascii.h"
#include "engine/internal/problems.h"

namespace consent {
namespace ca {
namespace {

// Where a JSON value sits in the claims schema.
enum class Role : uint8_t {
  kRoot,
  kAccessToken,
  kAcrs,
  kXmsCc,
  kAcrsValue,   // acrs.value: a string
  kAcrsValues,  // acrs.values: a non-empty string array
  kAcrsElem,
  kXmsValues,   // xms_cc.values: a string array
  kXmsElem,
  kOther,
};

absl::string_view RolePath(Role r) {
  switch (r) {
    case Role::kRoot:
      return "claims";
    case Role::kAccessToken:
      return "claims.access_token";
    case Role::kAcrs:
      return "claims.access_token.acrs";
    case Role::kXmsCc:
      return "claims.access_token.xms_cc";
    case Role::kAcrsValue:
      return "claims.access_token.acrs.value";
    case Role::kAcrsValues:
    case Role::kAcrsElem:
      return "claims.access_token.acrs.values";
    case Role::kXmsValues:
    case Role::kXmsElem:
      return "claims.access_token.xms_cc.values";
    case Role::kOther:
      return "claims";
  }
  return "claims";
}

struct Frame {
  bool is_object;
  Role role;
  uint8_t seen;  // bit per schema member already read (duplicates: V4 fault)
  uint32_t count;
};

class ClaimsParser {
 public:
  ClaimsParser(absl::string_view text, const EngineOptions& options, StepUpParams* out)
      : s_(text), options_(options), out_(out) {
    max_depth_ = options.max_claims_depth < kMaxClaimsDepthCap ? options.max_claims_depth
                                                               : kMaxClaimsDepthCap;
    if (max_depth_ < 1) max_depth_ = 1;
  }

  bool Parse(std::string* error) {
    error_ = error;
    Role pending = Role::kRoot;
    bool want_value = true;
    while (true) {
      if (want_value) {
        SkipWs();
        if (!ParseValue(pending)) return false;
        want_value = false;
        if (depth_ > 0 && stack_[depth_ - 1].count == 0 && just_opened_) {
          // A container was opened: read its first member or its end.
          just_opened_ = false;
          Frame& f = stack_[depth_ - 1];
          SkipWs();
          if (Peek() == (f.is_object ? '}' : ']')) {
            ++pos_;
            if (!Close()) return false;
            continue;
          }
          if (!BeginMember(&pending)) return false;
          want_value = true;
        }
        continue;
      }
      if (depth_ == 0) {
        SkipWs();
        if (pos_ != s_.size()) return Fault("claims: unexpected text after the JSON value");
        return true;
      }
      Frame& f = stack_[depth_ - 1];
      SkipWs();
      char c = Peek();
      if (c == ',') {
        ++pos_;
        SkipWs();
        if (!BeginMember(&pending)) return false;
        want_value = true;
      } else if (c == (f.is_object ? '}' : ']')) {
        ++pos_;
        if (!Close()) return false;
      } else {
        return Syntax(f.is_object ? "expected ',' or '}'" : "expected ',' or ']'");
      }
    }
  }

 private:
  char Peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }

  void SkipWs() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool Fault(absl::string_view message) {
    *error_ = std::string(message);
    return false;
  }
  bool Syntax(absl::string_view what) {
    *error_ = absl::StrCat("claims: not valid JSON (", what, " at offset ", pos_, ")");
    return false;
  }

  // Starts the next member of the top container: for an object, reads the
  // key and ':' and sets the member's role; for an array, the element role.
  bool BeginMember(Role* role) {
    Frame& f = stack_[depth_ - 1];
    ++f.count;
    if (!f.is_object) {
      if (f.role == Role::kAcrsValues || f.role == Role::kXmsValues) {
        size_t limit = options_.max_acr_values;
        if (f.count > limit) {
          return Fault(absl::StrCat(RolePath(f.role), ": more than ", limit,
                                    " entries (max_acr_values)"));
        }
      }
      *role = f.role == Role::kAcrsValues  ? Role::kAcrsElem
              : f.role == Role::kXmsValues ? Role::kXmsElem
                                           : Role::kOther;
      return true;
    }
    if (Peek() != '"') return Syntax("expected a member name");
    absl::string_view key;
    if (!ParseString(/*capture=*/false, &key, /*key=*/true)) return false;
    SkipWs();
    if (Peek() != ':') return Syntax("expected ':'");
    ++pos_;
    int bit = -1;
    *role = Role::kOther;
    switch (f.role) {
      case Role::kRoot:
        if (key == "access_token") *role = Role::kAccessToken, bit = 0;
        break;
      case Role::kAccessToken:
        if (key == "acrs") *role = Role::kAcrs, bit = 0;
        if (key == "xms_cc") *role = Role::kXmsCc, bit = 1;
        break;
      case Role::kAcrs:
        if (key == "value") *role = Role::kAcrsValue, bit = 0;
        if (key == "values") *role = Role::kAcrsValues, bit = 1;
        break;
      case Role::kXmsCc:
        if (key == "values") *role = Role::kXmsValues, bit = 0;
        break;
      default:
        break;
    }
    if (bit >= 0) {
      if (f.seen & (1u << bit)) {
        return Fault(absl::StrCat(RolePath(*role), ": member appears twice"));
      }
      f.seen |= 1u << bit;
    }
    return true;
  }

  bool ParseValue(Role role) {
    char c = Peek();
    switch (role) {
      case Role::kRoot:
      case Role::kAccessToken:
      case Role::kAcrs:
      case Role::kXmsCc:
        if (c != '{') return Fault(absl::StrCat(RolePath(role), ": not a JSON object"));
        break;
      case Role::kAcrsValues:
      case Role::kXmsValues:
        if (c != '[') return Fault(absl::StrCat(RolePath(role), ": not a string array"));
        break;
      case Role::kAcrsValue:
        if (c != '"') return Fault(absl::StrCat(RolePath(role), ": not a string"));
        break;
      case Role::kAcrsElem:
      case Role::kXmsElem:
        if (c != '"') return Fault(absl::StrCat(RolePath(role), ": not a string array"));
        break;
      case Role::kOther:
        break;
    }
    if (c == '{' || c == '[') {
      if (depth_ >= max_depth_) {
        return Fault(absl::StrCat("claims: nested deeper than ", max_depth_,
                                  " (max_claims_depth)"));
      }
      stack_[depth_++] = Frame{c == '{', role, 0, 0};
      ++pos_;
      just_opened_ = true;
      return true;
    }
    just_opened_ = false;
    if (c == '"') {
      const bool capture =
          role == Role::kAcrsValue || role == Role::kAcrsElem || role == Role::kXmsElem;
      absl::string_view value;
      if (!ParseString(capture, &value, /*key=*/false)) return false;
      if (role == Role::kAcrsValue || role == Role::kAcrsElem) {
        if (!IsAuthContextId(value)) {
          return Fault(absl::StrCat(RolePath(role), ": ", internal::Quote(value),
                                    " is not an auth context id (c1...c99)"));
        }
        out_->claims_acrs.push_back(value);
      } else if (role == Role::kXmsElem) {
        out_->xms_cc.push_back(value);
      }
      return true;
    }
    if (c == 't') return Literal("true");
    if (c == 'f') return Literal("false");
    if (c == 'n') return Literal("null");
    if (c == '-' || (c >= '0' && c <= '9')) return Number();
    return Syntax("expected a value");
  }

  // Pops a finished container, checking the schema's container rules.
  bool Close() {
    Frame f = stack_[--depth_];
    if (f.role == Role::kAcrs) {
      const int members = ((f.seen & 1) ? 1 : 0) + ((f.seen & 2) ? 1 : 0);
      if (members != 1) {
        return Fault(
            "claims.access_token.acrs: must hold exactly one of \"value\" and \"values\"");
      }
      out_->has_claims_acrs = true;
    }
    if (f.role == Role::kAcrsValues && f.count == 0) {
      return Fault("claims.access_token.acrs.values: empty array");
    }
    return true;
  }

  bool Literal(absl::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return Syntax("bad literal");
    pos_ += word.size();
    return true;
  }

  bool Number() {
    size_t start = pos_;
    auto digits = [&]() {
      size_t b = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      return pos_ - b;
    };
    if (Peek() == '-') ++pos_;
    if (Peek() == '0') {
      ++pos_;
    } else if (digits() == 0) {
      pos_ = start;
      return Syntax("bad number");
    }
    if (Peek() == '.') {
      ++pos_;
      if (digits() == 0) return Syntax("bad number");
    }
    if (Peek() == 'e' || Peek() == 'E') {
      ++pos_;
      if (Peek() == '+' || Peek() == '-') ++pos_;
      if (digits() == 0) return Syntax("bad number");
    }
    return true;
  }

  bool Hex4(uint32_t* v) {
    if (pos_ + 4 > s_.size()) return false;
    uint32_t x = 0;
    for (int i = 0; i < 4; ++i) {
      int h = internal::HexDigitValue(s_[pos_ + i]);
      if (h < 0) return false;
      x = (x << 4) | h;
    }
    pos_ += 4;
    *v = x;
    return true;
  }

  static void AppendUtf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  // Length of a valid UTF-8 sequence at s_[pos_], 0 if invalid.
  size_t Utf8Len() const {
    const unsigned char c0 = static_cast<unsigned char>(s_[pos_]);
    size_t n;
    uint32_t min;
    uint32_t cp;
    if (c0 < 0x80) return 1;
    if ((c0 & 0xE0) == 0xC0) {
      n = 2, min = 0x80, cp = c0 & 0x1F;
    } else if ((c0 & 0xF0) == 0xE0) {
      n = 3, min = 0x800, cp = c0 & 0x0F;
    } else if ((c0 & 0xF8) == 0xF0) {
      n = 4, min = 0x10000, cp = c0 & 0x07;
    } else {
      return 0;
    }
    if (pos_ + n > s_.size()) return 0;
    for (size_t i = 1; i < n; ++i) {
      const unsigned char c = static_cast<unsigned char>(s_[pos_ + i]);
      if ((c & 0xC0) != 0x80) return 0;
      cp = (cp << 6) | (c & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
  }

  // Parses a JSON string at '"'. With `capture` (or for a key) the decoded
  // value is returned in `out`: a view into the input when it has no
  // escapes, else into out_->storage (or key_buf_).
  bool ParseString(bool capture, absl::string_view* out, bool key) {
    ++pos_;  // opening quote
    const size_t start = pos_;
    std::string* buf = nullptr;
    while (true) {
      if (pos_ >= s_.size()) return Syntax("unterminated string");
      const char c = s_[pos_];
      if (c == '"') break;
      if (static_cast<unsigned char>(c) < 0x20) return Syntax("control character in string");
      if (c == '\\') {
        if (buf == nullptr && (capture || key)) {
          buf = key ? &key_buf_ : NewStorage();
          buf->assign(s_.data() + start, pos_ - start);
        }
        ++pos_;
        if (pos_ >= s_.size()) return Syntax("unterminated string");
        const char e = s_[pos_++];
        char plain = 0;
        switch (e) {
          case '"': plain = '"'; break;
          case '\\': plain = '\\'; break;
          case '/': plain = '/'; break;
          case 'b': plain = '\b'; break;
          case 'f': plain = '\f'; break;
          case 'n': plain = '\n'; break;
          case 'r': plain = '\r'; break;
          case 't': plain = '\t'; break;
          case 'u': {
            uint32_t cp;
            if (!Hex4(&cp)) return Syntax("bad \\u escape");
            if (cp >= 0xD800 && cp <= 0xDBFF) {
              uint32_t lo;
              if (Peek() != '\\' || pos_ + 1 >= s_.size() || s_[pos_ + 1] != 'u') {
                return Syntax("unpaired surrogate");
              }
              pos_ += 2;
              if (!Hex4(&lo) || lo < 0xDC00 || lo > 0xDFFF) return Syntax("unpaired surrogate");
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
              return Syntax("unpaired surrogate");
            }
            if (buf) AppendUtf8(cp, buf);
            continue;
          }
          default:
            return Syntax("bad escape");
        }
        if (buf) buf->push_back(plain);
        continue;
      }
      size_t n = Utf8Len();
      if (n == 0) return Syntax("invalid UTF-8");
      if (buf) buf->append(s_.data() + pos_, n);
      pos_ += n;
    }
    if (buf) {
      *out = *buf;
    } else {
      *out = s_.substr(start, pos_ - start);
    }
    ++pos_;  // closing quote
    return true;
  }

  std::string* NewStorage() {
    // out_->storage was reserved for every captured string, so growing it
    // never moves strings that earlier views point into.
    if (out_->storage_used == out_->storage.size()) out_->storage.emplace_back();
    std::string* s = &out_->storage[out_->storage_used++];
    s->clear();
    return s;
  }

  absl::string_view s_;
  const EngineOptions& options_;
  StepUpParams* out_;
  std::string* error_ = nullptr;
  size_t pos_ = 0;
  std::array<Frame, kMaxClaimsDepthCap> stack_;
  int depth_ = 0;
  int max_depth_;
  bool just_opened_ = false;
  std::string key_buf_;
};

}  // namespace

bool IsAuthContextId(absl::string_view id) {
  if (id.size() < 2 || id.size() > 3 || (id[0] != 'c' && id[0] != 'C')) return false;
  if (id[1] < '1' || id[1] > '9') return false;
  return id.size() == 2 || (id[2] >= '0' && id[2] <= '9');
}

bool ParseClaims(absl::string_view claims, const EngineOptions& options,
                 StepUpParams* out, std::string* error) {
  if (claims.size() > options.max_claims_bytes) {
    *error = absl::StrCat("claims: ", claims.size(), " bytes, more than ",
                          options.max_claims_bytes, " (max_claims_bytes)");
    return false;
  }
  // Every captured string may need storage; reserve so views stay valid.
  const size_t need = 2 * options.max_acr_values + 2;
  if (out->storage.capacity() < need && out->storage_used == 0) out->storage.reserve(need);
  ClaimsParser parser(claims, options, out);
  return parser.Parse(error);
}

bool ParseStepUpParamsImpl(const v1::TokenRequest& request, bool interactive,
                           const EngineOptions& options, StepUpParams* out,
                           std::string* error) {
  out->Clear();
  if (!request.claims().empty() && !ParseClaims(request.claims(), options, out, error)) {
    return false;
  }
  // acr_values: space-separated; no entries = absent (V4).
  absl::string_view acr = request.acr_values();
  size_t i = 0;
  while (i < acr.size()) {
    if (acr[i] == ' ') {
      ++i;
      continue;
    }
    size_t end = acr.find(' ', i);
    if (end == absl::string_view::npos) end = acr.size();
    absl::string_view entry = acr.substr(i, end - i);
    if (!IsAuthContextId(entry)) {
      *error = absl::StrCat("acr_values: ", internal::Quote(entry),
                            " is not an auth context id (c1...c99)");
      return false;
    }
    if (out->acr_values.size() >= options.max_acr_values) {
      *error = absl::StrCat("acr_values: more than ", options.max_acr_values,
                            " entries (max_acr_values)");
      return false;
    }
    out->acr_values.push_back(entry);
    i = end;
  }
  out->has_acr_values = !out->acr_values.empty();
  // S5: max_age on interactive only.
  if (interactive && !request.max_age().empty()) {
    absl::string_view text = request.max_age();
    int64_t value = 0;
    for (char c : text) {
      if (c < '0' || c > '9') {
        *error = absl::StrCat("max_age: ", internal::Quote(text),
                              " is not a non-negative decimal integer");
        return false;
      }
      if (value > (std::numeric_limits<int64_t>::max() - (c - '0')) / 10) {
        *error = absl::StrCat("max_age: ", internal::Quote(text), " is too large");
        return false;
      }
      value = value * 10 + (c - '0');
    }
    out->max_age = value;
  }
  return true;
}

}  // namespace ca
}  // namespace consent
