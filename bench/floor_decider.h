// The "floor": the cheapest hand-written decision for a synthetic tenant
// (issue 7), against which the engine's Evaluate is reported as a ratio.
//
// It does the irreducible work of a decision and nothing else: look up the
// client and each scope's resource and value in pre-interned case-insensitive
// hash maps (SPEC §0), build the requested and granted scopes as 64-bit
// masks (tenant-wide grants pre-computed, the user's own grants parsed), test
// the CA policies that target the primary resource (users: All minus
// excluded groups, or included groups; sign-in risk, client app types,
// platforms, IP and country locations as bit tests; grant controls block,
// mfa, compliantDevice, AND/OR; report-only and disabled skipped), and pick
// an outcome. It ignores whatever the synthetic streams make rare or cheap
// to skip (SIF, auth contexts, guests in CA, custom roles, OBO assertion
// checks, prompt/claims syntax, other resources than the primary), so it is
// a lower bound, not a second engine: its outcome is only coarsely
// comparable. IP locations are matched by /24 (IPv4) and /64 (IPv6) prefix,
// the only range sizes the synthetic tenants use.
//
// Thread-compatible: Decide() is const and allocation-free.
#ifndef CONSENT_BENCH_FLOOR_DECIDER_H_
#define CONSENT_BENCH_FLOOR_DECIDER_H_

#include <bitset>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "bench/synthetic_tenant.h"
#include "engine/internal/ascii.h"
#include "proto/decision.pb.h"
#include "proto/request.pb.h"

namespace consent {
namespace bench {

struct FloorDecision {
  v1::Outcome outcome = v1::OUTCOME_UNSPECIFIED;
  int scopes = 0;  // scopes in the token (ISSUE) or the prompt
};

class FloorDecider {
 public:
  explicit FloorDecider(const SyntheticTenant& tenant);
  FloorDecider(const FloorDecider&) = delete;
  FloorDecider& operator=(const FloorDecider&) = delete;

  FloorDecision Decide(const v1::TokenRequest& request) const;

 private:
  // SPEC §0 equality, inline: byte-equal first (requests mostly use the
  // canonical spelling), then ASCII case folding. Abseil 20220623's
  // EqualsIgnoreCase is an out-of-line call into a table-driven memcasecmp.
  struct FastCaseInsensitiveEq {
    using is_transparent = void;
    bool operator()(absl::string_view a, absl::string_view b) const {
      if (a.size() != b.size()) return false;
      if (a == b) return true;
      for (size_t i = 0; i < a.size(); ++i) {
        unsigned char x = a[i], y = b[i];
        if (x == y) continue;
        x |= 0x20;
        if (x != (y | 0x20) || x < 'a' || x > 'z') return false;
      }
      return true;
    }
  };
  template <typename V>
  using CiMap = absl::flat_hash_map<std::string, V, internal::CaseInsensitiveHash,
                                    FastCaseInsensitiveEq>;

  struct Resource {
    CiMap<int> scope_bits;      // value -> bit
    uint64_t admin_only = 0;    // mask
    std::vector<int> policies;  // CA policies targeting it
    bool assignment_required = false;
  };
  static constexpr int kMaxLocations = 256;
  using LocationSet = std::bitset<kMaxLocations>;
  struct Policy {
    bool all_users = false;
    std::vector<std::string> include_groups, exclude_groups;
    uint8_t risk_mask = 0;      // bit per level; 0 = not configured
    uint8_t app_type_mask = 0;  // bit per client app type; 0 = not configured
    uint8_t platform_include = 0, platform_exclude = 0;  // 0 = not configured
    bool has_locations = false, include_any_location = false;
    LocationSet include_locations, exclude_locations;
    bool block = false, mfa = false, compliant = false, or_operator = false;
  };
  struct Client {
    bool has_sp = false, confidential = false;
    int self_resource = -1;
  };

  static uint64_t PairKey(int client, int resource) {
    return (static_cast<uint64_t>(client) << 32) | static_cast<uint32_t>(resource);
  }
  bool PolicyApplies(const Policy& p, const v1::TokenRequest& r, const v1::Session& s,
                     const LocationSet& locations) const;
  LocationSet Locate(const v1::Session& s) const;

  CiMap<int> clients_by_id_;
  std::vector<Client> clients_;
  CiMap<int> resources_by_name_;  // app id and identifier URIs
  std::vector<Resource> resources_;
  absl::flat_hash_map<uint64_t, uint64_t> tenant_grants_;  // (client,res) -> mask
  absl::flat_hash_map<uint64_t, bool> app_roles_;          // (client,res)
  std::vector<Policy> policies_;
  int graph_ = -1;
  // IP locations by masked address: IPv4 /24 and IPv6 /64 prefixes.
  absl::flat_hash_map<uint32_t, LocationSet> v4_;
  absl::flat_hash_map<uint64_t, LocationSet> v6_;
  CiMap<LocationSet> countries_;
  LocationSet trusted_;
};

}  // namespace bench
}  // namespace consent

#endif  // CONSENT_BENCH_FLOOR_DECIDER_H_
