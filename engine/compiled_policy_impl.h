// The compiled, immutable form of a policy bundle (the "rule graph").
//
// Every identifier of the bundle is interned once: apps, resources, scopes
// and roles become dense indexes; grants and pre-authorizations become
// bitsets over a resource's scopes; permission grant condition sets become
// predicates over integer facts; Conditional Access lives in engine/ca.
// Evaluation (engine/evaluator.cc) reads this structure only; it never
// parses the bundle again. Internal to the engine.
#ifndef CONSENT_ENGINE_COMPILED_POLICY_IMPL_H_
#define CONSENT_ENGINE_COMPILED_POLICY_IMPL_H_

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "engine/ca/conditional_access.h"
#include "engine/engine_options.h"
#include "engine/internal/ascii.h"

namespace consent {

using AppIndex = ca::AppIndex;
inline constexpr AppIndex kNoApp = -1;

// SPEC §0 well-known apps.
inline constexpr absl::string_view kGraphAppId = "00000003-0000-0000-c000-000000000000";
inline constexpr absl::string_view kExoAppId = "00000002-0000-0ff1-ce00-000000000000";
inline constexpr absl::string_view kAadGraphAppId = "00000002-0000-0000-c000-000000000000";

template <typename V>
using CiMap = absl::flat_hash_map<std::string, V, internal::CaseInsensitiveHash,
                                  internal::CaseInsensitiveEq>;
using CiSet = absl::flat_hash_set<std::string, internal::CaseInsensitiveHash,
                                  internal::CaseInsensitiveEq>;

// A fixed-size bitset over one resource's scopes (or roles): `words` 64-bit
// words stored contiguously.
using Bits = std::vector<uint64_t>;

inline bool TestBit(const uint64_t* w, uint32_t i) { return (w[i >> 6] >> (i & 63)) & 1; }
inline void SetBit(uint64_t* w, uint32_t i) { w[i >> 6] |= uint64_t{1} << (i & 63); }
// Calls f(i) for each set bit i of the `words`-word set, in increasing order,
// until f returns false; returns false iff some call did.
template <typename F>
inline bool ForEachBit(const uint64_t* w, uint32_t words, F f) {
  for (uint32_t k = 0; k < words; ++k) {
    for (uint64_t x = w[k]; x != 0; x &= x - 1) {
      if (!f(k * 64 + static_cast<uint32_t>(__builtin_ctzll(x)))) return false;
    }
  }
  return true;
}

enum class Classification : uint8_t { kNone = 0, kLow = 1, kMedium = 2, kHigh = 3 };

struct ScopeDef {
  std::string id;
  std::string value;
  // As listed in prompts (SPEC 3.1): `value` for GRAPH, else
  // `<first identifier URI or appId>/<value>`.
  std::string prompt_name;
  bool admin_only = false;
  bool enabled = true;
  Classification classification = Classification::kNone;
  bool oidc = false;   // openid/profile/email/offline_access of GRAPH
  bool basic = false;  // N8's basic set (OIDC + GRAPH User.Read)
  std::vector<AppIndex> ca_targets;
};

struct RoleDef {
  std::string id;
  std::string value;
  bool user = false;         // allowed member type User
  bool application = false;  // allowed member type Application
  bool enabled = true;
};

// A tenant-wide grant, folded per (client, resource).
struct TenantGrantSet {
  Bits scopes;
  std::vector<std::string> ids;  // grant ids, for explanations
};

// App roles assigned to one client SP on one resource.
struct SpRoleSet {
  Bits roles;
  bool default_access = false;
};

struct ResourceDef {
  AppIndex app = kNoApp;
  uint32_t scope_words = 0;  // words of a scope bitset
  uint32_t role_words = 0;
  std::vector<ScopeDef> scopes;
  std::vector<RoleDef> roles;
  CiMap<uint32_t> scope_by_value;
  CiMap<uint32_t> scope_by_id;
  CiMap<uint32_t> role_by_id;
  CiMap<uint32_t> role_by_value;
  absl::flat_hash_map<AppIndex, Bits> pre_authorized;  // by client
  absl::flat_hash_map<AppIndex, TenantGrantSet> tenant_grants;  // by client
  absl::flat_hash_map<AppIndex, SpRoleSet> sp_roles;  // by client SP
  Bits enabled_scopes;
  bool acrs_optional_claim = false;
  bool xms_cc_optional_claim = false;
  ca::ChallengeFormat challenge_format = ca::ChallengeFormat::kEntra;
};

// One usable entry of a static permission set (N2).
struct StaticEntry {
  AppIndex resource = kNoApp;
  uint32_t scope = 0;
};

struct AppDef {
  std::string app_id;
  // First identifier URI, else the app id (prompt spelling, SPEC 3.1).
  std::string display;
  // Registration (SPEC 1.2); defaults when absent.
  bool registered = false;
  std::string home_tenant;
  int32_t home_tenant_id = -1;  // interned
  bool home_is_this_tenant = false;
  bool multi_tenant = false;
  bool confidential = false;
  bool publisher_verified = false;
  int32_t mpn_id = -1;  // interned
  bool m365_certified = false;
  int64_t created_days = std::numeric_limits<int64_t>::max();
  // Service principal.
  bool has_sp = false;
  bool sp_enabled = true;
  bool assignment_required = false;
  bool managed_identity = false;
  std::string object_id;
  CiSet owners;
  // Resource API exposed by this app, or -1.
  int32_t resource = -1;
  // Own delegated required_resource_access entries, usable ones resolved,
  // in list order; unusable ones as "resource/value" for explanations.
  std::vector<StaticEntry> static_delegated;
  std::vector<std::string> static_skipped;
  // Resources named in required_resource_access (any kind), in list order.
  std::vector<AppIndex> static_resources;
  // Apps that list this app in their known_client_app_ids (combined
  // consent partners, N2), in the order of this app's required resources.
  std::vector<AppIndex> known_client_of;
  CiSet known_client_app_ids;
};

// A permission grant condition set (SPEC 1.6) compiled to a predicate over
// the permission event of N6.
struct ConditionSetDef {
  enum class Type : uint8_t { kDelegated, kDelegatedUserConsentable, kApplication };
  Type type = Type::kDelegated;
  uint8_t classification_mask = 0x0f;  // bit per Classification; all = 0x0f
  bool all_permissions = true;
  // (resource << 32 | index) of listed permissions (scopes for delegated
  // types, roles for application).
  absl::flat_hash_set<uint64_t> permissions;
  bool any_resource = true;
  AppIndex resource = kNoApp;  // when !any_resource; kNoApp = matches none
  bool all_clients = true;
  absl::flat_hash_set<AppIndex> clients;
  bool all_tenants = true;
  absl::flat_hash_set<int32_t> tenants;
  bool all_publishers = true;
  absl::flat_hash_set<int32_t> publishers;
  bool verified_only = false;
  bool certified_only = false;
  bool this_tenant_only = false;
  std::string label;  // "policy/includes[0]"
};

struct GrantPolicyDef {
  std::string id;
  std::vector<ConditionSetDef> includes;
  std::vector<ConditionSetDef> excludes;
};

// Built-in directory roles with consent authority (SPEC §4).
enum class BuiltinRole : uint8_t {
  kNone,
  kGlobalAdministrator,
  kPrivilegedRoleAdministrator,
  kCloudApplicationAdministrator,
  kApplicationAdministrator,
};

struct CustomRoleDef {
  std::string id;
  std::vector<int32_t> self_policies;  // managePermissionGrantsForSelf
  std::vector<int32_t> all_policies;   // managePermissionGrantsForAll
};

class CompiledPolicyImpl {
 public:
  std::string tenant_id;
  std::string version;
  EngineOptions options;

  std::vector<AppDef> apps;
  std::vector<ResourceDef> resources;
  CiMap<AppIndex> app_by_id;
  // P4: app ids and identifier URIs of apps that have an SP.
  CiMap<AppIndex> sp_by_identifier;
  CiMap<int32_t> tenant_ids;
  CiMap<int32_t> mpn_ids;

  std::vector<GrantPolicyDef> grant_policies;
  CiMap<int32_t> grant_policy_by_id;
  std::vector<int32_t> user_consent_policies;
  bool admin_consent_workflow = false;
  bool block_risky = true;
  int32_t company_admin_policy = -1;      // microsoft-company-admin
  int32_t application_admin_policy = -1;  // microsoft-application-admin
  CiMap<BuiltinRole> builtin_roles;
  std::vector<CustomRoleDef> custom_roles;
  CiMap<int32_t> custom_role_by_id;

  AppIndex graph = kNoApp;
  AppIndex aad_graph = kNoApp;
  AppIndex exo = kNoApp;

  std::unique_ptr<const ca::CompiledCa> ca;

  int app_registration_count = 0;
  int sp_count = 0;
  size_t compiled_bytes = 0;

  const AppDef& app(AppIndex i) const { return apps[static_cast<size_t>(i)]; }
  const ResourceDef* resource_of(AppIndex i) const {
    const int32_t r = apps[static_cast<size_t>(i)].resource;
    return r < 0 ? nullptr : &resources[static_cast<size_t>(r)];
  }
  AppIndex FindApp(absl::string_view app_id) const {
    auto it = app_by_id.find(app_id);
    return it == app_by_id.end() ? kNoApp : it->second;
  }
};

}  // namespace consent

#endif  // CONSENT_ENGINE_COMPILED_POLICY_IMPL_H_
