#include "engine/ca/challenges.h"

#include <cstring>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/internal/ascii.h"
#include "engine/internal/time.h"

namespace consent {
namespace ca {
namespace {



void AppendDecimal(int64_t v, std::string* out) {
  char buf[24];
  int n = 0;
  bool neg = v < 0;
  uint64_t u = neg ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  do {
    buf[n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u != 0);
  if (neg) out->push_back('-');
  while (n > 0) out->push_back(buf[--n]);
}

void AppendStringArray(absl::Span<const absl::string_view> values, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendJsonString(values[i], out);
  }
  out->push_back(']');
}

}  // namespace

namespace {

// Bytes a JSON string must escape: '"', '\\' and the C0 controls.
constexpr bool NeedsEscape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

}  // namespace

void AppendJsonString(absl::string_view value, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t run = 0;  // start of the pending run of bytes that need no escape
  for (size_t i = 0; i < value.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(value[i]);
    if (!NeedsEscape(c)) continue;
    out->append(value.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default: {
        const char u[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        out->append(u, 6);
      }
    }
  }
  out->append(value.data() + run, value.size() - run);
  out->push_back('"');
}

namespace {

constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// The two base64 characters of every 12-bit value: one look-up per 1.5 input
// bytes (S2 challenges are encoded on every Conditional Access step-up).
struct Base64Pairs {
  char pair[4096][2];
};
constexpr Base64Pairs kBase64Pairs = [] {
  Base64Pairs t{};
  for (int v = 0; v < 4096; ++v) {
    t.pair[v][0] = kBase64Alphabet[v >> 6];
    t.pair[v][1] = kBase64Alphabet[v & 63];
  }
  return t;
}();

}  // namespace

void AppendBase64(absl::string_view data, std::string* out) {
  const size_t old_size = out->size();
  out->resize(old_size + (data.size() + 2) / 3 * 4);
  char* p = &(*out)[old_size];
  const unsigned char* in = reinterpret_cast<const unsigned char*>(data.data());
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8) | in[i + 2];
    std::memcpy(p, kBase64Pairs.pair[v >> 12], 2);
    std::memcpy(p + 2, kBase64Pairs.pair[v & 0xFFF], 2);
    p += 4;
  }
  const size_t rest = data.size() - i;
  if (rest == 0) return;
  const uint32_t v = (uint32_t{in[i]} << 16) | (rest == 2 ? uint32_t{in[i + 1]} << 8 : 0);
  p[0] = kBase64Alphabet[(v >> 18) & 63];
  p[1] = kBase64Alphabet[(v >> 12) & 63];
  p[2] = rest == 2 ? kBase64Alphabet[(v >> 6) & 63] : '=';
  p[3] = '=';
}

void BuildClaimsChallenge(absl::Span<const absl::string_view> capolids,
                          absl::Span<const absl::string_view> acrs, std::string* out) {
  out->clear();
  if (capolids.empty() && acrs.empty()) return;
  out->append("{\"access_token\":{");
  if (!capolids.empty()) {
    out->append("\"capolids\":{\"essential\":true,\"values\":");
    AppendStringArray(capolids, out);
    out->push_back('}');
  }
  if (!acrs.empty()) {
    if (!capolids.empty()) out->push_back(',');
    out->append("\"acrs\":{\"essential\":true,");
    if (acrs.size() == 1) {
      out->append("\"value\":");
      AppendJsonString(acrs[0], out);
    } else {
      out->append("\"values\":");
      AppendStringArray(acrs, out);
    }
    out->push_back('}');
  }
  out->append("}}");
}

void BuildMiddleTierChallenge(absl::string_view claims, std::string* out) {
  out->clear();
  out->append(
      "Bearer realm=\"\", "
      "authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", "
      "error=\"insufficient_claims\", claims=\"");
  AppendBase64(claims, out);
  out->push_back('"');
}

void BuildRfc9470Challenge(absl::string_view description,
                           absl::Span<const absl::string_view> acr_values,
                           std::optional<int64_t> max_age, std::string* out) {
  out->clear();
  out->append("Bearer error=\"insufficient_user_authentication\", error_description=\"");
  // 3.1: only %x20-21 / %x23-5B / %x5D-7E.
  internal::AppendA8Safe(out, description, ' ');
  out->push_back('"');
  if (!acr_values.empty()) {
    out->append(", acr_values=\"");
    for (size_t i = 0; i < acr_values.size(); ++i) {
      if (i > 0) out->push_back(' ');
      out->append(acr_values[i].data(), acr_values[i].size());
    }
    out->push_back('"');
  }
  if (max_age.has_value()) {
    out->append(", max_age=\"");
    AppendDecimal(*max_age, out);
    out->push_back('"');
  }
}

std::optional<ChallengeFormat> ParseChallengeFormatImpl(absl::string_view text) {
  if (text.empty() || internal::EqualsIgnoreCase(text, "entra")) return ChallengeFormat::kEntra;
  if (internal::EqualsIgnoreCase(text, "rfc9470")) return ChallengeFormat::kRfc9470;
  if (internal::EqualsIgnoreCase(text, "both")) return ChallengeFormat::kBoth;
  return std::nullopt;
}

v1::ResourceAccessResult CheckResourceAccessImpl(const v1::ResourceAccessCheck& check,
                                                 int64_t now, ChallengeFormat format) {
  v1::ResourceAccessResult result;
  // The requirement's values, duplicates dropped (case-insensitively).
  std::vector<absl::string_view> required;
  for (const std::string& v : check.required_acr_values()) {
    bool dup = false;
    for (absl::string_view r : required) dup = dup || internal::EqualsIgnoreCase(r, v);
    if (!dup) required.push_back(v);
  }
  bool acr_ok = required.empty();
  for (absl::string_view r : required) {
    for (const std::string& a : check.acrs()) acr_ok = acr_ok || internal::EqualsIgnoreCase(a, r);
  }
  bool fresh_ok = true;
  if (check.has_max_age()) {
    std::optional<int64_t> auth_time;
    if (!check.auth_time().empty()) auth_time = internal::ParseRfc3339(check.auth_time());
    // No (or an unreadable) auth_time fails freshness: fail closed.
    fresh_ok = auth_time.has_value() && check.max_age() >= 0 &&
               now - *auth_time <= check.max_age();
  }
  if (acr_ok && fresh_ok) {
    result.set_allow(true);
    result.set_http_status(0);
    return result;
  }
  result.set_allow(false);
  std::string header;
  if (!fresh_ok) {
    // S4: a freshness failure answers S3 alone, with every failing
    // parameter, whatever the format (engine choice).
    BuildRfc9470Challenge(kStepUpDescription,
                          acr_ok ? absl::Span<const absl::string_view>() : required,
                          check.max_age(), &header);
    result.set_http_status(401);
    result.add_www_authenticate(header);
    return result;
  }
  bool cp1 = false;
  for (const std::string& c : check.xms_cc()) cp1 = cp1 || internal::EqualsIgnoreCase(c, "cp1");
  std::string s2;
  if (cp1) {
    std::string claims;
    const absl::string_view first[] = {required.front()};
    BuildClaimsChallenge({}, first, &claims);
    BuildMiddleTierChallenge(claims, &s2);
  }
  switch (format) {
    case ChallengeFormat::kRfc9470:
      BuildRfc9470Challenge(kStepUpDescription, required, std::nullopt, &header);
      result.set_http_status(401);
      result.add_www_authenticate(header);
      break;
    case ChallengeFormat::kEntra:
      if (cp1) {
        result.set_http_status(401);
        result.add_www_authenticate(s2);
      } else {
        result.set_http_status(403);  // Entra sample: no header
      }
      break;
    case ChallengeFormat::kBoth:
      BuildRfc9470Challenge(kStepUpDescription, required, std::nullopt, &header);
      result.set_http_status(401);
      result.add_www_authenticate(header);
      if (cp1) result.add_www_authenticate(s2);
      break;
  }
  return result;
}

}  // namespace ca
}  // namespace consent
