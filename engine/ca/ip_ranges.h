// IPv4/IPv6 addresses and CIDR range sets for named locations (SPEC 1.7, C3).
//
// Addresses are 128-bit keys (IPv4 as ::ffff:a.b.c.d, so a v4 range never
// matches a v6 address outside that block). A set keeps its ranges sorted and
// merged, so Contains is a binary search: logarithmic in the number of ranges.
#ifndef CONSENT_ENGINE_CA_IP_RANGES_H_
#define CONSENT_ENGINE_CA_IP_RANGES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/strings/string_view.h"

namespace consent {
namespace ca {

using IpKey = absl::uint128;

// Dotted IPv4 ("10.0.0.1", no leading zeros) or RFC 4291 IPv6 text (with
// "::" compression and an optional trailing dotted quad). No zone ids.
std::optional<IpKey> ParseIp(absl::string_view text);

struct IpRange {
  IpKey first;
  IpKey last;
};

// "a.b.c.d/n" (n <= 32) or "v6/n" (n <= 128). Host bits must be zero, as
// Graph requires of ipRanges. On failure `error` says what is wrong.
std::optional<IpRange> ParseCidr(absl::string_view text, std::string* error);

// An immutable set of ranges.
class IpRangeSet {
 public:
  IpRangeSet() = default;
  explicit IpRangeSet(std::vector<IpRange> ranges);  // any order, overlaps ok
  bool Contains(IpKey ip) const;
  bool empty() const { return ranges_.empty(); }
  size_t size() const { return ranges_.size(); }

 private:
  std::vector<IpRange> ranges_;  // sorted by first, disjoint, non-adjacent
};

}  // namespace ca
}  // namespace consent

#endif  // CONSENT_ENGINE_CA_IP_RANGES_H_
