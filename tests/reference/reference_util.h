// Small self-contained helpers of the reference evaluator (tests only):
// ASCII case-insensitive strings, a strict JSON reader, IP/CIDR matching and
// the device-filter rule language of SPEC C3. Written from SPEC.md alone.
#ifndef CONSENT_TESTS_REFERENCE_REFERENCE_UTIL_H_
#define CONSENT_TESTS_REFERENCE_REFERENCE_UTIL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace consent {
namespace reference {

std::string Lower(const std::string& s);
bool IEq(const std::string& a, const std::string& b);
// SPEC §0 "sorted": lowercase byte order, ties by the original bytes.
bool SpecLess(const std::string& a, const std::string& b);
void SortSpec(std::vector<std::string>* v);
// Sorts by SpecLess and drops case-insensitive duplicates (first kept).
void SortUniqueI(std::vector<std::string>* v);
bool ContainsI(const std::vector<std::string>& v, const std::string& s);
template <typename Repeated>
bool ContainsIR(const Repeated& v, const std::string& s) {
  for (const auto& x : v) {
    if (IEq(x, s)) return true;
  }
  return false;
}
// Splits on U+0020, dropping empty tokens.
std::vector<std::string> SplitSpaces(const std::string& s);
std::string JoinSpace(const std::vector<std::string>& v);

// RFC 3339 ("YYYY-MM-DDThh:mm:ss[.frac](Z|+hh:mm|-hh:mm)") → epoch seconds.
std::optional<int64_t> ParseTime(const std::string& s);
// "YYYY-MM-DD" → days since epoch.
std::optional<int64_t> ParseDay(const std::string& s);
std::string FormatTime(int64_t seconds);

// Strict RFC 8259 JSON (UTF-8 validated, no duplicate object keys).
struct Json {
  enum Type { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = kNull;
  bool boolean = false;
  std::string str;  // kString (unescaped)
  std::vector<Json> array;
  std::vector<std::pair<std::string, Json>> object;
  const Json* Find(const std::string& key) const;
};
// Nesting deeper than `max_depth` (the top-level value is depth 1) fails.
bool ParseJson(const std::string& text, int max_depth, Json* out);
// SPEC S1 minimal escaping, quotes included.
std::string JsonString(const std::string& s);
std::string Base64(const std::string& s);

// IPv4 / IPv6.
struct IpAddr {
  int family = 0;  // 4 or 6
  unsigned char bytes[16] = {};
};
bool ParseIp(const std::string& s, IpAddr* out);
// "addr/len"; false when malformed.
bool IpInCidr(const IpAddr& ip, const std::string& cidr, bool* in);

// SPEC C3 device facts: attribute name (lower case) → value; lists for
// physicalIds / systemLabels. `null` attributes are absent.
struct DeviceFacts {
  std::map<std::string, std::string> attrs;                 // lower-case keys
  std::map<std::string, std::vector<std::string>> lists;    // lower-case keys
};
// Evaluates a device-filter rule; nullopt when the rule does not parse.
std::optional<bool> EvalDeviceRule(const std::string& rule,
                                   const DeviceFacts& facts);

}  // namespace reference
}  // namespace consent

#endif  // CONSENT_TESTS_REFERENCE_REFERENCE_UTIL_H_
