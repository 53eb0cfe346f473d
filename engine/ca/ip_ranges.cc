#include "engine/ca/ip_ranges.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "engine/internal/ascii.h"

namespace consent {
namespace ca {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }


std::optional<uint32_t> ParseV4(absl::string_view text) {
  uint32_t value = 0;
  int parts = 0;
  size_t i = 0;
  while (true) {
    if (i >= text.size() || !IsDigit(text[i])) return std::nullopt;
    size_t start = i;
    uint32_t octet = 0;
    while (i < text.size() && IsDigit(text[i])) {
      octet = octet * 10 + (text[i] - '0');
      if (i - start >= 3 || octet > 255) return std::nullopt;
      ++i;
    }
    if (i - start > 1 && text[start] == '0') return std::nullopt;  // leading zero
    value = (value << 8) | octet;
    ++parts;
    if (i == text.size()) break;
    if (text[i] != '.' || parts == 4) return std::nullopt;
    ++i;
  }
  if (parts != 4) return std::nullopt;
  return value;
}

std::optional<IpKey> ParseV6(absl::string_view text) {
  uint16_t groups[8] = {0};
  int count = 0;
  int gap = -1;  // index where "::" was
  const size_t n = text.size();
  size_t i = 0;
  if (n >= 2 && text[0] == ':' && text[1] == ':') {
    gap = 0;
    i = 2;
    if (i == n) return IpKey(0);
  } else if (n > 0 && text[0] == ':') {
    return std::nullopt;
  }
  // One pass: a group is 1-4 hex digits; the last may be a dotted quad.
  while (i < n) {
    const size_t start = i;
    uint32_t g = 0;
    for (int h; i < n && (h = internal::HexDigitValue(text[i])) >= 0; ++i) g = (g << 4) | static_cast<uint32_t>(h);
    if (i < n && text[i] == '.') {  // a trailing dotted quad
      std::optional<uint32_t> v4 = ParseV4(text.substr(start));
      if (!v4 || count > 6) return std::nullopt;
      groups[count++] = static_cast<uint16_t>(*v4 >> 16);
      groups[count++] = static_cast<uint16_t>(*v4 & 0xFFFF);
      break;
    }
    if (i == start || i - start > 4 || count == 8) return std::nullopt;
    groups[count++] = static_cast<uint16_t>(g);
    if (i == n) break;
    if (text[i] != ':') return std::nullopt;
    if (i + 1 < n && text[i + 1] == ':') {
      if (gap >= 0) return std::nullopt;
      gap = count;
      i += 2;
    } else {
      ++i;
      if (i == n) return std::nullopt;  // trailing single ':'
    }
  }
  uint16_t full[8] = {0};
  if (gap >= 0) {
    if (count > 7) return std::nullopt;
    int tail = count - gap;
    for (int k = 0; k < gap; ++k) full[k] = groups[k];
    for (int k = 0; k < tail; ++k) full[8 - tail + k] = groups[gap + k];
  } else {
    if (count != 8) return std::nullopt;
    for (int k = 0; k < 8; ++k) full[k] = groups[k];
  }
  uint64_t hi = 0, lo = 0;
  for (int k = 0; k < 4; ++k) hi = (hi << 16) | full[k];
  for (int k = 4; k < 8; ++k) lo = (lo << 16) | full[k];
  return absl::MakeUint128(hi, lo);
}

IpKey V4Key(uint32_t v4) { return absl::MakeUint128(0, (uint64_t{0xFFFF} << 32) | v4); }

}  // namespace

std::optional<IpKey> ParseIp(absl::string_view text) {
  if (internal::FindFirst(text, ':', 0) != absl::string_view::npos) return ParseV6(text);
  std::optional<uint32_t> v4 = ParseV4(text);
  if (!v4) return std::nullopt;
  return V4Key(*v4);
}

std::optional<IpRange> ParseCidr(absl::string_view text, std::string* error) {
  size_t slash = text.find('/');
  if (slash == absl::string_view::npos) {
    *error = "not a CIDR range (missing /prefix)";
    return std::nullopt;
  }
  absl::string_view addr = text.substr(0, slash);
  absl::string_view len_text = text.substr(slash + 1);
  const bool v6 = addr.find(':') != absl::string_view::npos;
  std::optional<IpKey> key;
  if (v6) {
    key = ParseV6(addr);
  } else {
    std::optional<uint32_t> v4 = ParseV4(addr);
    if (v4) key = V4Key(*v4);
  }
  if (!key) {
    *error = "not an IPv4 or IPv6 address";
    return std::nullopt;
  }
  int max_len = v6 ? 128 : 32;
  int len = -1;
  if (len_text.empty() || len_text.size() > 3 ||
      !std::all_of(len_text.begin(), len_text.end(), IsDigit) ||
      (len_text.size() > 1 && len_text[0] == '0') || !absl::SimpleAtoi(len_text, &len) ||
      len > max_len) {
    *error = absl::StrCat("prefix length must be 0..", max_len);
    return std::nullopt;
  }
  int host_bits = max_len - len;
  IpKey host_mask = host_bits == 128 ? ~IpKey(0) : ((IpKey(1) << host_bits) - 1);
  if ((*key & host_mask) != 0) {
    *error = "host bits set (the address is not the start of the range)";
    return std::nullopt;
  }
  return IpRange{*key, *key | host_mask};
}

IpRangeSet::IpRangeSet(std::vector<IpRange> ranges) {
  std::sort(ranges.begin(), ranges.end(),
            [](const IpRange& a, const IpRange& b) { return a.first < b.first; });
  for (const IpRange& r : ranges) {
    if (!ranges_.empty()) {
      IpRange& back = ranges_.back();
      // Overlapping or adjacent (guard the +1 against wrap-around).
      if (r.first <= back.last || (back.last != ~IpKey(0) && r.first == back.last + 1)) {
        if (r.last > back.last) back.last = r.last;
        continue;
      }
    }
    ranges_.push_back(r);
  }
  ranges_.shrink_to_fit();
}

bool IpRangeSet::Contains(IpKey ip) const {
  // The last range starting at or before ip.
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), ip,
                             [](IpKey v, const IpRange& r) { return v < r.first; });
  if (it == ranges_.begin()) return false;
  --it;
  return ip <= it->last;
}

}  // namespace ca
}  // namespace consent
