#include "tests/reference/reference_util.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>

namespace consent {
namespace reference {

std::string Lower(const std::string& s) {
  std::string out = s;
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool IEq(const std::string& a, const std::string& b) {
  return Lower(a) == Lower(b);
}

bool SpecLess(const std::string& a, const std::string& b) {
  const std::string la = Lower(a), lb = Lower(b);
  if (la != lb) return la < lb;
  return a < b;
}

void SortSpec(std::vector<std::string>* v) {
  std::sort(v->begin(), v->end(), SpecLess);
}

void SortUniqueI(std::vector<std::string>* v) {
  std::vector<std::string> out;
  for (const std::string& s : *v) {
    if (!ContainsI(out, s)) out.push_back(s);
  }
  SortSpec(&out);
  *v = out;
}

bool ContainsI(const std::vector<std::string>& v, const std::string& s) {
  for (const std::string& x : v) {
    if (IEq(x, s)) return true;
  }
  return false;
}

std::vector<std::string> SplitSpaces(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ' ') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

std::string JoinSpace(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += ' ';
    out += v[i];
  }
  return out;
}

namespace {

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool Digits(const std::string& s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

bool ValidDate(int y, int m, int d) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return false;
  int max = kDays[m - 1];
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) max = 29;
  return d <= max;
}

}  // namespace

std::optional<int64_t> ParseDay(const std::string& s) {
  int y, m, d;
  if (s.size() != 10 || s[4] != '-' || s[7] != '-' || !Digits(s, 0, 4, &y) ||
      !Digits(s, 5, 2, &m) || !Digits(s, 8, 2, &d) || !ValidDate(y, m, d)) {
    return std::nullopt;
  }
  return DaysFromCivil(y, m, d);
}

std::optional<int64_t> ParseTime(const std::string& s) {
  if (s.size() < 20) return std::nullopt;
  std::optional<int64_t> day = ParseDay(s.substr(0, 10));
  if (!day) return std::nullopt;
  if (s[10] != 'T' && s[10] != 't') return std::nullopt;
  int hh, mm, ss;
  if (!Digits(s, 11, 2, &hh) || s[13] != ':' || !Digits(s, 14, 2, &mm) ||
      s[16] != ':' || !Digits(s, 17, 2, &ss)) {
    return std::nullopt;
  }
  if (hh > 23 || mm > 59 || ss > 60) return std::nullopt;
  size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == start) return std::nullopt;
  }
  int64_t offset = 0;
  if (pos >= s.size()) return std::nullopt;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (!Digits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() ||
        s[pos + 3] != ':' || !Digits(s, pos + 4, 2, &om) || oh > 23 ||
        om > 59) {
      return std::nullopt;
    }
    offset = (oh * 3600 + om * 60) * (s[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  return *day * 86400 + hh * 3600 + mm * 60 + ss - offset;
}

std::string FormatTime(int64_t seconds) {
  int64_t days = seconds / 86400;
  int64_t rem = seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  // civil_from_days
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02d:%02d:%02dZ",
                static_cast<long long>(y), m, d, static_cast<int>(rem / 3600),
                static_cast<int>(rem % 3600 / 60), static_cast<int>(rem % 60));
  return buf;
}

// ---------------------------------------------------------------------------
// JSON

const Json* Json::Find(const std::string& key) const {
  for (const auto& kv : object) {
    if (kv.first == key) return &kv.second;
  }
  return nullptr;
}

namespace {

class JsonReader {
 public:
  JsonReader(const std::string& in, int max_depth)
      : in_(in), max_depth_(max_depth) {}

  bool ParseDocument(Json* out) {
    SkipWs();
    if (!Value(out, 1)) return false;
    SkipWs();
    return pos_ == in_.size();
  }

 private:
  void SkipWs() {
    while (pos_ < in_.size() && (in_[pos_] == ' ' || in_[pos_] == '\t' ||
                                 in_[pos_] == '\n' || in_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool Literal(const char* word) {
    const std::string w = word;
    if (in_.compare(pos_, w.size(), w) != 0) return false;
    pos_ += w.size();
    return true;
  }
  bool Value(Json* out, int depth) {
    if (depth > max_depth_) return false;
    if (pos_ >= in_.size()) return false;
    const char c = in_[pos_];
    if (c == '{') return Object(out, depth);
    if (c == '[') return Array(out, depth);
    if (c == '"') {
      out->type = Json::kString;
      return String(&out->str);
    }
    if (c == 't') {
      out->type = Json::kBool;
      out->boolean = true;
      return Literal("true");
    }
    if (c == 'f') {
      out->type = Json::kBool;
      return Literal("false");
    }
    if (c == 'n') {
      out->type = Json::kNull;
      return Literal("null");
    }
    out->type = Json::kNumber;
    return Number();
  }
  bool Number() {
    size_t p = pos_;
    if (p < in_.size() && in_[p] == '-') ++p;
    if (p >= in_.size()) return false;
    if (in_[p] == '0') {
      ++p;
    } else if (in_[p] >= '1' && in_[p] <= '9') {
      while (p < in_.size() && isdigit(static_cast<unsigned char>(in_[p]))) ++p;
    } else {
      return false;
    }
    if (p < in_.size() && in_[p] == '.') {
      ++p;
      size_t s = p;
      while (p < in_.size() && isdigit(static_cast<unsigned char>(in_[p]))) ++p;
      if (p == s) return false;
    }
    if (p < in_.size() && (in_[p] == 'e' || in_[p] == 'E')) {
      ++p;
      if (p < in_.size() && (in_[p] == '+' || in_[p] == '-')) ++p;
      size_t s = p;
      while (p < in_.size() && isdigit(static_cast<unsigned char>(in_[p]))) ++p;
      if (p == s) return false;
    }
    pos_ = p;
    return true;
  }
  static void AppendUtf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      *out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      *out += static_cast<char>(0xC0 | (cp >> 6));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      *out += static_cast<char>(0xE0 | (cp >> 12));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      *out += static_cast<char>(0xF0 | (cp >> 18));
      *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  bool Hex4(uint32_t* out) {
    if (pos_ + 4 > in_.size()) return false;
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = in_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= c - '0';
      else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
      else return false;
    }
    *out = v;
    return true;
  }
  // One raw UTF-8 sequence starting at pos_ (validated).
  bool Utf8(std::string* out) {
    const unsigned char c = in_[pos_];
    int n;
    uint32_t cp;
    if (c < 0x80) {
      *out += static_cast<char>(c);
      ++pos_;
      return true;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (pos_ + n >= in_.size()) return false;
    for (int i = 1; i <= n; ++i) {
      const unsigned char d = in_[pos_ + i];
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
        (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    out->append(in_, pos_, n + 1);
    pos_ += n + 1;
    return true;
  }
  bool String(std::string* out) {
    ++pos_;  // opening quote
    while (true) {
      if (pos_ >= in_.size()) return false;
      const unsigned char c = in_[pos_];
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20) return false;
      if (c != '\\') {
        if (!Utf8(out)) return false;
        continue;
      }
      ++pos_;
      if (pos_ >= in_.size()) return false;
      const char e = in_[pos_++];
      switch (e) {
        case '"': *out += '"'; break;
        case '\\': *out += '\\'; break;
        case '/': *out += '/'; break;
        case 'b': *out += '\b'; break;
        case 'f': *out += '\f'; break;
        case 'n': *out += '\n'; break;
        case 'r': *out += '\r'; break;
        case 't': *out += '\t'; break;
        case 'u': {
          uint32_t cp;
          if (!Hex4(&cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t lo;
            if (pos_ + 2 > in_.size() || in_[pos_] != '\\' ||
                in_[pos_ + 1] != 'u') {
              return false;
            }
            pos_ += 2;
            if (!Hex4(&lo) || lo < 0xDC00 || lo > 0xDFFF) return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return false;
          }
          AppendUtf8(cp, out);
          break;
        }
        default:
          return false;
      }
    }
  }
  bool Array(Json* out, int depth) {
    out->type = Json::kArray;
    ++pos_;
    SkipWs();
    if (pos_ < in_.size() && in_[pos_] == ']') {
      ++pos_;
      return true;
    }
    while (true) {
      SkipWs();
      Json v;
      if (!Value(&v, depth + 1)) return false;
      out->array.push_back(std::move(v));
      SkipWs();
      if (pos_ >= in_.size()) return false;
      if (in_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (in_[pos_] == ']') {
        ++pos_;
        return true;
      }
      return false;
    }
  }
  bool Object(Json* out, int depth) {
    out->type = Json::kObject;
    ++pos_;
    SkipWs();
    if (pos_ < in_.size() && in_[pos_] == '}') {
      ++pos_;
      return true;
    }
    while (true) {
      SkipWs();
      if (pos_ >= in_.size() || in_[pos_] != '"') return false;
      std::string key;
      if (!String(&key)) return false;
      SkipWs();
      if (pos_ >= in_.size() || in_[pos_] != ':') return false;
      ++pos_;
      SkipWs();
      Json v;
      if (!Value(&v, depth + 1)) return false;
      if (out->Find(key) != nullptr) return false;  // duplicate key
      out->object.emplace_back(key, std::move(v));
      SkipWs();
      if (pos_ >= in_.size()) return false;
      if (in_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (in_[pos_] == '}') {
        ++pos_;
        return true;
      }
      return false;
    }
  }

  const std::string& in_;
  int max_depth_;
  size_t pos_ = 0;
};

}  // namespace

bool ParseJson(const std::string& text, int max_depth, Json* out) {
  JsonReader reader(text, max_depth);
  return reader.ParseDocument(out);
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

std::string Base64(const std::string& s) {
  static const char kChars[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < s.size(); i += 3) {
    const uint32_t v = (static_cast<unsigned char>(s[i]) << 16) |
                       (static_cast<unsigned char>(s[i + 1]) << 8) |
                       static_cast<unsigned char>(s[i + 2]);
    out += kChars[(v >> 18) & 63];
    out += kChars[(v >> 12) & 63];
    out += kChars[(v >> 6) & 63];
    out += kChars[v & 63];
  }
  if (i + 1 == s.size()) {
    const uint32_t v = static_cast<unsigned char>(s[i]) << 16;
    out += kChars[(v >> 18) & 63];
    out += kChars[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == s.size()) {
    const uint32_t v = (static_cast<unsigned char>(s[i]) << 16) |
                       (static_cast<unsigned char>(s[i + 1]) << 8);
    out += kChars[(v >> 18) & 63];
    out += kChars[(v >> 12) & 63];
    out += kChars[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

// ---------------------------------------------------------------------------
// IP

bool ParseIp(const std::string& s, IpAddr* out) {
  // inet_pton reads a C string: an embedded NUL would truncate the text.
  if (s.find('\0') != std::string::npos) return false;
  if (s.find('.') != std::string::npos && s.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, s.c_str(), out->bytes) != 1) return false;
    out->family = 4;
    return true;
  }
  if (inet_pton(AF_INET6, s.c_str(), out->bytes) != 1) return false;
  out->family = 6;
  // IPv4-mapped (::ffff:a.b.c.d) is the IPv4 address a.b.c.d.
  static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(kMapped, kMapped + 12, out->bytes)) {
    unsigned char v4[4];
    std::copy(out->bytes + 12, out->bytes + 16, v4);
    std::fill(out->bytes, out->bytes + 16, 0);
    std::copy(v4, v4 + 4, out->bytes);
    out->family = 4;
  }
  return true;
}

bool IpInCidr(const IpAddr& ip, const std::string& cidr, bool* in) {
  const size_t slash = cidr.find('/');
  if (slash == std::string::npos) return false;
  IpAddr net;
  if (!ParseIp(cidr.substr(0, slash), &net)) return false;
  const std::string len_text = cidr.substr(slash + 1);
  if (len_text.empty() || len_text.size() > 3) return false;
  int len = 0;
  for (char c : len_text) {
    if (c < '0' || c > '9') return false;
    len = len * 10 + (c - '0');
  }
  const int bits = net.family == 4 ? 32 : 128;
  if (len > bits) return false;
  if (net.family != ip.family) {
    *in = false;
    return true;
  }
  for (int i = 0; i < len; ++i) {
    const int byte = i / 8, bit = 7 - i % 8;
    if (((ip.bytes[byte] >> bit) & 1) != ((net.bytes[byte] >> bit) & 1)) {
      *in = false;
      return true;
    }
  }
  *in = true;
  return true;
}

// ---------------------------------------------------------------------------
// Device filter rules (SPEC C3): `device.<attr> <op> <value>` joined by
// -and / -or and parentheses, -and binding tighter; case-insensitive.

namespace {

struct RuleToken {
  enum Kind { kLParen, kRParen, kWord, kString, kList, kEnd } kind;
  std::string text;
  std::vector<std::string> list;
};

bool Tokenize(const std::string& rule, std::vector<RuleToken>* out) {
  size_t i = 0;
  while (i < rule.size()) {
    const char c = rule[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
    } else if (c == '(') {
      out->push_back({RuleToken::kLParen, "(", {}});
      ++i;
    } else if (c == ')') {
      out->push_back({RuleToken::kRParen, ")", {}});
      ++i;
    } else if (c == '"') {
      size_t j = rule.find('"', i + 1);
      if (j == std::string::npos) return false;
      out->push_back({RuleToken::kString, rule.substr(i + 1, j - i - 1), {}});
      i = j + 1;
    } else if (c == '[') {
      RuleToken t{RuleToken::kList, "", {}};
      ++i;
      while (true) {
        while (i < rule.size() && rule[i] == ' ') ++i;
        if (i >= rule.size()) return false;
        if (rule[i] == ']' && t.list.empty()) {
          ++i;
          break;
        }
        if (rule[i] != '"') return false;
        size_t j = rule.find('"', i + 1);
        if (j == std::string::npos) return false;
        t.list.push_back(rule.substr(i + 1, j - i - 1));
        i = j + 1;
        while (i < rule.size() && rule[i] == ' ') ++i;
        if (i >= rule.size()) return false;
        if (rule[i] == ',') {
          ++i;
          continue;
        }
        if (rule[i] == ']') {
          ++i;
          break;
        }
        return false;
      }
      out->push_back(t);
    } else {
      size_t j = i;
      while (j < rule.size() && rule[j] != ' ' && rule[j] != '\t' &&
             rule[j] != '(' && rule[j] != ')' && rule[j] != '"' &&
             rule[j] != '[' && rule[j] != '\n' && rule[j] != '\r') {
        ++j;
      }
      out->push_back({RuleToken::kWord, rule.substr(i, j - i), {}});
      i = j;
    }
  }
  out->push_back({RuleToken::kEnd, "", {}});
  return true;
}

bool StartsWithI(const std::string& s, const std::string& p) {
  return s.size() >= p.size() && IEq(s.substr(0, p.size()), p);
}
bool EndsWithI(const std::string& s, const std::string& p) {
  return s.size() >= p.size() && IEq(s.substr(s.size() - p.size()), p);
}
bool ContainsSubI(const std::string& s, const std::string& p) {
  return Lower(s).find(Lower(p)) != std::string::npos;
}

class RuleParser {
 public:
  RuleParser(const std::vector<RuleToken>& toks, const DeviceFacts& facts)
      : t_(toks), facts_(facts) {}
  std::optional<bool> Run() {
    std::optional<bool> v = Or(0);
    if (!v || t_[p_].kind != RuleToken::kEnd) return std::nullopt;
    return v;
  }

 private:
  bool IsWord(const char* w) const {
    return t_[p_].kind == RuleToken::kWord && IEq(t_[p_].text, w);
  }
  std::optional<bool> Or(int depth) {
    std::optional<bool> v = And(depth);
    if (!v) return v;
    bool r = *v;
    while (IsWord("-or")) {
      ++p_;
      std::optional<bool> w = And(depth);
      if (!w) return w;
      r = r || *w;
    }
    return r;
  }
  std::optional<bool> And(int depth) {
    std::optional<bool> v = Primary(depth);
    if (!v) return v;
    bool r = *v;
    while (IsWord("-and")) {
      ++p_;
      std::optional<bool> w = Primary(depth);
      if (!w) return w;
      r = r && *w;
    }
    return r;
  }
  std::optional<bool> Primary(int depth) {
    if (depth > 200) return std::nullopt;
    if (t_[p_].kind == RuleToken::kLParen) {
      ++p_;
      std::optional<bool> v = Or(depth + 1);
      if (!v || t_[p_].kind != RuleToken::kRParen) return std::nullopt;
      ++p_;
      return v;
    }
    if (t_[p_].kind != RuleToken::kWord || !StartsWithI(t_[p_].text, "device."))
      return std::nullopt;
    const std::string attr = Lower(t_[p_].text.substr(7));
    ++p_;
    if (t_[p_].kind != RuleToken::kWord) return std::nullopt;
    const std::string op = Lower(t_[p_].text);
    ++p_;
    const RuleToken& val = t_[p_];
    if (val.kind != RuleToken::kString && val.kind != RuleToken::kWord &&
        val.kind != RuleToken::kList) {
      return std::nullopt;
    }
    ++p_;
    return Compare(attr, op, val);
  }
  std::optional<bool> Compare(const std::string& attr, const std::string& op,
                              const RuleToken& val) {
    static const char* kOps[] = {"-eq", "-ne", "-startswith", "-notstartswith",
                                 "-endswith", "-notendswith", "-contains",
                                 "-notcontains", "-in", "-notin"};
    bool known = false;
    for (const char* o : kOps) known = known || op == o;
    if (!known) return std::nullopt;
    const bool negative = op == "-ne" || op == "-notstartswith" ||
                          op == "-notendswith" || op == "-notcontains" ||
                          op == "-notin";
    const bool list_op = op == "-in" || op == "-notin";
    if (list_op != (val.kind == RuleToken::kList)) return std::nullopt;
    auto lit = facts_.lists.find(attr);
    if (lit != facts_.lists.end() || attr == "physicalids" ||
        attr == "systemlabels") {
      // Multi-valued: -contains matches whole elements (SPEC C3).
      if (op != "-contains" && op != "-notcontains") return std::nullopt;
      if (lit == facts_.lists.end()) return negative;  // null
      const bool has = ContainsI(lit->second, val.text);
      return op == "-contains" ? has : !has;
    }
    auto it = facts_.attrs.find(attr);
    if (it == facts_.attrs.end()) return negative;  // null
    const std::string& s = it->second;
    if (op == "-eq") return IEq(s, val.text);
    if (op == "-ne") return !IEq(s, val.text);
    if (op == "-startswith") return StartsWithI(s, val.text);
    if (op == "-notstartswith") return !StartsWithI(s, val.text);
    if (op == "-endswith") return EndsWithI(s, val.text);
    if (op == "-notendswith") return !EndsWithI(s, val.text);
    if (op == "-contains") return ContainsSubI(s, val.text);
    if (op == "-notcontains") return !ContainsSubI(s, val.text);
    if (op == "-in") return ContainsI(val.list, s);
    return !ContainsI(val.list, s);
  }

  const std::vector<RuleToken>& t_;
  const DeviceFacts& facts_;
  size_t p_ = 0;
};

}  // namespace

std::optional<bool> EvalDeviceRule(const std::string& rule,
                                   const DeviceFacts& facts) {
  std::vector<RuleToken> toks;
  if (!Tokenize(rule, &toks)) return std::nullopt;
  RuleParser parser(toks, facts);
  return parser.Run();
}

}  // namespace reference
}  // namespace consent
