#include "bench/synthetic_tenant.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"

namespace consent {
namespace bench {
namespace {

// SPEC §0's well-known apps.
constexpr absl::string_view kGraph = "00000003-0000-0000-c000-000000000000";
constexpr absl::string_view kExo = "00000002-0000-0ff1-ce00-000000000000";
constexpr absl::string_view kAadGraph = "00000002-0000-0000-c000-000000000000";
constexpr absl::string_view kMicrosoftTenant =
    "f8cdef31-a31e-4b4a-93e4-5f571e91255a";
constexpr absl::string_view kPartnerTenant = "t-partner";
constexpr int64_t kNowUnix = 1740996000;  // kNow

// SplitMix64: tiny, fast and identical on every platform, unlike the
// distributions of <random>.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n); n > 0. The modulo bias is irrelevant here.
  int Below(int n) { return static_cast<int>(Next() % static_cast<uint64_t>(n)); }
  // True with probability percent / 100.
  bool Percent(int percent) { return Below(100) < percent; }

 private:
  uint64_t state_;
};

// A GUID-shaped id, distinct per (kind, n).
std::string Guid(int kind, int64_t n) {
  return absl::StrFormat("%08x-%04x-4%03x-8%03x-%012x", 0x5e000000 + kind,
                         static_cast<int>((n >> 48) & 0xffff), kind & 0xfff,
                         static_cast<int>((n >> 36) & 0xfff),
                         static_cast<uint64_t>(n & 0xfffffffffffull));
}

std::string Rfc3339(int64_t unix_seconds) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(unix_seconds),
                          absl::UTCTimeZone());
}

constexpr const char* kActions[] = {"Read", "ReadWrite", "Write", "Export",
                                    "Share", "Approve", "Send", "List",
                                    "Create", "Manage"};

// Scope k of an API: ids and values are unique within the API; every tenth is
// admin-only (and so unclassified, SPEC 1.3); the others cycle through
// low, low, medium, high, none.
std::string ScopeValue(int k) {
  return absl::StrFormat("Item%02d.%s", k / 10, kActions[k % 10]);
}
bool ScopeAdminOnly(int k) { return k % 10 == 9; }
absl::string_view ScopeClassification(int k) {
  if (ScopeAdminOnly(k)) return "";
  switch (k % 5) {
    case 0:
    case 1:
      return "low";
    case 2:
      return "medium";
    case 3:
      return "high";
    default:
      return "";
  }
}

void AddGraphScope(v1::ResourceApi* api, absl::string_view id,
                   absl::string_view value, bool admin_only,
                   absl::string_view classification,
                   absl::string_view ca_target = "") {
  v1::DelegatedScope* s = api->add_scopes();
  s->set_id(std::string(id));
  s->set_value(std::string(value));
  s->set_admin_only(admin_only);
  s->set_classification(std::string(classification));
  if (!ca_target.empty()) s->add_ca_targets(std::string(ca_target));
}

void AddMicrosoftApp(v1::PolicyBundle* b, absl::string_view app_id,
                     absl::string_view name, absl::string_view uri, int n) {
  v1::AppRegistration* app = b->add_app_registrations();
  app->set_app_id(std::string(app_id));
  app->set_display_name(std::string(name));
  app->set_home_tenant(std::string(kMicrosoftTenant));
  app->set_audience("multi");
  app->set_client_type("confidential");
  app->set_publisher_verified(true);
  app->set_mpn_id("microsoft");
  app->set_created("2015-01-01");
  app->add_identifier_uris(std::string(uri));
  v1::ServicePrincipal* sp = b->add_service_principals();
  sp->set_app_id(std::string(app_id));
  sp->set_object_id(Guid(0x50, n));
}

// GRAPH (OIDC scopes plus a few data scopes), EXO and AADGRAPH (SPEC §0).
void AddMicrosoftResources(v1::PolicyBundle* b) {
  AddMicrosoftApp(b, kGraph, "Microsoft Graph", "https://graph.microsoft.com", 1);
  AddMicrosoftApp(b, kExo, "Office 365 Exchange Online",
                  "https://outlook.office365.com", 2);
  AddMicrosoftApp(b, kAadGraph, "Windows Azure Active Directory",
                  "https://graph.windows.net", 3);
  v1::ResourceApi* graph = b->add_resources();
  graph->set_app_id(std::string(kGraph));
  AddGraphScope(graph, "37f7f235-527c-4136-accd-4a02d197296e", "openid", false, "low");
  AddGraphScope(graph, "14dad69e-099b-42c9-810b-d002981feec1", "profile", false, "low");
  AddGraphScope(graph, "64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0", "email", false, "low");
  AddGraphScope(graph, "7427e0e9-2fba-42fe-b0c0-848c9e6a8182", "offline_access", false, "low");
  AddGraphScope(graph, "e1fe6dd8-ba31-4d61-89e7-88639da4683d", "User.Read", false, "low");
  AddGraphScope(graph, "570282fd-fa5c-430d-a7fd-fc8dc98a9dca", "Mail.Read", false, "",
                kExo);  // C2: Mail.Read's data lives in EXO.
  AddGraphScope(graph, "465a38f9-76ea-45b9-9f34-9e8b0d4b0b42", "Calendars.Read", false, "low");
  AddGraphScope(graph, "10465720-29dd-4523-a11a-6a75c743c9d9", "Files.Read", false, "medium");
  AddGraphScope(graph, "5f8c59db-677d-491f-a6b8-5f174b11ec1d", "Group.Read.All", true, "");
  AddGraphScope(graph, "06da0dbc-49e2-44d2-8312-53f166ab848a", "Directory.Read.All", true, "");
  v1::AppRole* role = graph->add_app_roles();
  role->set_id("df021288-bdef-4463-88db-98f22de89214");
  role->set_value("User.Read.All");
  role->add_allowed_member_types("Application");
  v1::ResourceApi* exo = b->add_resources();
  exo->set_app_id(std::string(kExo));
  AddGraphScope(exo, "3b5f3d61-589b-4a3c-a359-5dd4b5ee5bd5", "EWS.AccessAsUser.All", false, "");
  v1::ResourceApi* aad = b->add_resources();
  aad->set_app_id(std::string(kAadGraph));
  AddGraphScope(aad, "311a71cc-e848-46a1-bdf8-97ff7156d8e6", "User.Read", false, "low");
  v1::AppGroup* o365 = b->add_app_groups();
  o365->set_name("Office365");
  o365->add_app_ids(std::string(kGraph));
  o365->add_app_ids(std::string(kExo));
}

// SPEC N7 and §4's built-ins, as data equivalent to their definitions.
void AddBuiltinGrantPolicies(v1::PolicyBundle* b) {
  {
    v1::PermissionGrantPolicy* p = b->add_permission_grant_policies();
    p->set_id("microsoft-user-default-legacy");
    p->add_includes()->set_permission_type("delegatedUserConsentable");
  }
  {
    v1::PermissionGrantPolicy* p = b->add_permission_grant_policies();
    p->set_id("microsoft-user-default-low");
    v1::PermissionGrantConditionSet* a = p->add_includes();
    a->set_permission_type("delegatedUserConsentable");
    a->set_permission_classification("low");
    a->set_client_applications_from_verified_publisher_only(true);
    v1::PermissionGrantConditionSet* c = p->add_includes();
    c->set_permission_type("delegatedUserConsentable");
    c->set_permission_classification("low");
    c->set_client_applications_from_this_tenant_only(true);
  }
  {
    v1::PermissionGrantPolicy* p = b->add_permission_grant_policies();
    p->set_id("microsoft-company-admin");
    p->add_includes()->set_permission_type("delegated");
    p->add_includes()->set_permission_type("application");
  }
  {
    v1::PermissionGrantPolicy* p = b->add_permission_grant_policies();
    p->set_id("microsoft-application-admin");
    p->add_includes()->set_permission_type("delegated");
    p->add_includes()->set_permission_type("application");
    v1::PermissionGrantConditionSet* x = p->add_excludes();
    x->set_permission_type("application");
    x->set_resource_application(std::string(kGraph));
  }
}

std::string LocationId(int j) { return absl::StrFormat("loc-%03d", j); }
std::string GroupId(int g) { return absl::StrFormat("grp-%05d", g); }
// Group 0 is the break-glass group most CA policies exclude.
std::string UserId(int u) { return absl::StrFormat("user-%07d", u); }

// Range r of location j: IPv4 /24s, every fourth an IPv6 /64.
std::string IpRange(int j, int r) {
  if (r % 4 == 3) return absl::StrFormat("2001:db8:%x:%x::/64", j, r);
  return absl::StrFormat("10.%d.%d.0/24", j % 256, (r + 16 * (j / 256)) % 256);
}
std::string IpInRange(int j, int r, int host) {
  if (r % 4 == 3) return absl::StrFormat("2001:db8:%x:%x::%x", j, r, host + 1);
  return absl::StrFormat("10.%d.%d.%d", j % 256, (r + 16 * (j / 256)) % 256,
                         host % 250 + 1);
}

}  // namespace

absl::string_view TenantSizeName(TenantSize size) {
  switch (size) {
    case TenantSize::kSmall:
      return "small";
    case TenantSize::kLarge:
      return "large";
    case TenantSize::kXLarge:
      return "xlarge";
  }
  return "unknown";
}

absl::StatusOr<TenantSize> ParseTenantSize(absl::string_view name) {
  for (TenantSize s : {TenantSize::kSmall, TenantSize::kLarge, TenantSize::kXLarge}) {
    if (absl::EqualsIgnoreCase(name, TenantSizeName(s))) return s;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "tenant size: unknown value \"", name, "\" (want small, large or xlarge)"));
}

TenantSpec SpecFor(TenantSize size) {
  TenantSpec s;
  switch (size) {
    case TenantSize::kSmall:
      s.client_apps = 10;
      s.apis = 5;
      s.scopes_per_api = 20;
      s.ca_policies = 10;
      s.named_locations = 5;
      s.ip_ranges = 40;
      s.auth_contexts = 5;
      s.grant_policies = 5;
      s.app_groups = 2;
      s.custom_roles = 2;
      s.tenant_wide_grants = 3;
      s.sp_role_assignments = 5;
      s.users = 100;
      s.groups = 20;
      break;
    case TenantSize::kLarge:
      s.client_apps = 1000;
      s.apis = 100;
      s.scopes_per_api = 50;
      s.ca_policies = 200;
      s.named_locations = 50;
      s.ip_ranges = 1000;
      s.auth_contexts = 20;
      s.grant_policies = 50;
      s.app_groups = 20;
      s.custom_roles = 10;
      s.tenant_wide_grants = 300;
      s.sp_role_assignments = 300;
      s.users = 10000;
      s.groups = 500;
      break;
    case TenantSize::kXLarge:
      // The issue fixes apps, APIs x scopes and CA policies; the rest scale
      // by 4-10x from large (engine choice of this generator).
      s.client_apps = 10000;
      s.apis = 1000;
      s.scopes_per_api = 50;
      s.ca_policies = 2000;
      s.named_locations = 200;
      s.ip_ranges = 4000;
      s.auth_contexts = 50;
      s.grant_policies = 200;
      s.app_groups = 100;
      s.custom_roles = 50;
      s.tenant_wide_grants = 3000;
      s.sp_role_assignments = 3000;
      s.users = 100000;
      s.groups = 5000;
      break;
  }
  return s;
}

SyntheticTenant GenerateTenant(TenantSize size, uint64_t seed) {
  SyntheticTenant t = GenerateTenant(SpecFor(size), seed);
  t.size = size;
  return t;
}

SyntheticTenant GenerateTenant(const TenantSpec& spec, uint64_t seed) {
  SyntheticTenant t;
  t.spec = spec;
  t.seed = seed;
  Rng rng(seed ^ 0x7e4a4e7ull);
  v1::PolicyBundle& b = t.bundle;
  b.set_tenant_id(std::string(kTenantId));
  b.set_version(absl::StrFormat("synthetic-%d-%d-%d-seed%d", spec.client_apps,
                                spec.apis, spec.ca_policies, seed));
  AddMicrosoftResources(&b);
  AddBuiltinGrantPolicies(&b);

  // --- Resource APIs: each an app registration, an SP and its permissions.
  const int apis = std::max(spec.apis, 2);
  const int spa = std::max(spec.scopes_per_api, 10);
  t.apis.resize(apis);
  for (int i = 0; i < apis; ++i) {
    SyntheticApi& api = t.apis[i];
    api.app_id = Guid(0x2, i);
    api.identifier_uri = absl::StrFormat("api://synth-api-%d", i);
    api.assignment_required = rng.Percent(5);
    v1::AppRegistration* app = b.add_app_registrations();
    app->set_app_id(api.app_id);
    app->set_display_name(absl::StrFormat("Synthetic API %d", i));
    app->set_home_tenant(std::string(kTenantId));
    app->set_client_type("confidential");
    app->set_created("2019-06-01");
    app->add_identifier_uris(api.identifier_uri);
    v1::ServicePrincipal* sp = b.add_service_principals();
    sp->set_app_id(api.app_id);
    sp->set_object_id(Guid(0x52, i));
    sp->set_app_role_assignment_required(api.assignment_required);
    sp->add_owners(UserId(i % std::max(spec.users, 1)));
    v1::ResourceApi* res = b.add_resources();
    res->set_app_id(api.app_id);
    static constexpr const char* kFormats[] = {"entra", "entra", "rfc9470", "both"};
    res->set_challenge_format(kFormats[i % 4]);
    res->set_acrs_optional_claim(i % 7 == 0);
    res->set_xms_cc_optional_claim(i % 5 == 0);
    for (int k = 0; k < spa; ++k) {
      v1::DelegatedScope* s = res->add_scopes();
      s->set_id(Guid(0x3, static_cast<int64_t>(i) * 1000 + k));
      s->set_value(ScopeValue(k));
      s->set_admin_only(ScopeAdminOnly(k));
      s->set_classification(std::string(ScopeClassification(k)));
      api.scopes.push_back(ScopeValue(k));
      api.admin_only.push_back(ScopeAdminOnly(k));
      // C2: a few scopes carry their data's CA target, another API.
      if (k % 17 == 5) {
        int target = (i + 1 + k) % apis;
        if (target == i) target = (i + 1) % apis;
        s->add_ca_targets(Guid(0x2, target));
      }
    }
    for (int r = 0; r < 2; ++r) {
      v1::AppRole* role = res->add_app_roles();
      role->set_id(Guid(0x4, static_cast<int64_t>(i) * 10 + r));
      role->set_value(absl::StrFormat("Role%d.All", r));
      role->add_allowed_member_types("Application");
      api.app_role_ids.push_back(role->id());
    }
    v1::AppRole* user_role = res->add_app_roles();
    user_role->set_id(Guid(0x4, static_cast<int64_t>(i) * 10 + 5));
    user_role->set_value("Member");
    user_role->add_allowed_member_types("User");
    api.user_role_ids.push_back(user_role->id());
  }

  // --- Client apps. ~3% are foreign multi-tenant registrations without SP
  // (unverified, recent: N8's risky apps); the rest are the tenant's own.
  const int clients = std::max(spec.client_apps, 2);
  t.clients.resize(clients);
  for (int c = 0; c < clients; ++c) {
    SyntheticClient& cl = t.clients[c];
    cl.app_id = Guid(0x1, c);
    const bool foreign = c % 33 == 7;
    cl.has_sp = !foreign;
    // Client 0 is always confidential and client 1 public, so that every
    // size has both kinds.
    cl.confidential = !foreign && (c == 0 || (c != 1 && rng.Percent(60)));
    v1::AppRegistration* app = b.add_app_registrations();
    app->set_app_id(cl.app_id);
    app->set_display_name(absl::StrFormat("Synthetic client %d", c));
    if (foreign) {
      app->set_home_tenant(absl::StrFormat("t-foreign-%d", c % 17));
      app->set_audience("multi");
      app->set_created("2023-04-01");
    } else {
      app->set_home_tenant(std::string(kTenantId));
      app->set_created("2018-02-01");
      if (c % 9 == 0) {
        app->set_publisher_verified(true);
        app->set_mpn_id(absl::StrFormat("mpn-%d", c % 13));
      }
    }
    app->set_client_type(cl.confidential ? "confidential" : "public");
    // Static list: 1-3 APIs, 2-6 of their scopes each (admin-only ones
    // included, as real static lists do).
    const int n_apis = 1 + rng.Below(std::min(3, apis));
    for (int a = 0; a < n_apis; ++a) {
      int api = rng.Below(apis);
      if (std::find(cl.apis.begin(), cl.apis.end(), api) != cl.apis.end()) continue;
      cl.apis.push_back(api);
      std::vector<int> picked;
      const int n_scopes = 2 + rng.Below(5);
      for (int s = 0; s < n_scopes; ++s) {
        int k = rng.Below(spa);
        if (std::find(picked.begin(), picked.end(), k) == picked.end()) picked.push_back(k);
      }
      v1::RequiredResourceAccess* rra = app->add_required_resource_access();
      rra->set_resource_app_id(t.apis[api].app_id);
      for (int k : picked) rra->add_scopes(t.apis[api].scopes[k]);
      cl.scopes.push_back(std::move(picked));
    }
    v1::RequiredResourceAccess* graph_rra = app->add_required_resource_access();
    graph_rra->set_resource_app_id(std::string(kGraph));
    graph_rra->add_scopes("User.Read");
    if (cl.has_sp) {
      v1::ServicePrincipal* sp = b.add_service_principals();
      sp->set_app_id(cl.app_id);
      sp->set_object_id(Guid(0x51, c));
      sp->set_app_role_assignment_required(c % 50 == 3);
    }
  }

  // APIs as middle tiers (OBO): each calls 1-2 other APIs downstream and
  // names them in its static list.
  for (int i = 0; i < apis; ++i) {
    v1::AppRegistration* app = b.mutable_app_registrations(3 + i);
    for (int d = 0; d < 2; ++d) {
      const int down = (i + 1 + d * 7) % apis;
      if (down == i) continue;
      v1::RequiredResourceAccess* rra = app->add_required_resource_access();
      rra->set_resource_app_id(t.apis[down].app_id);
      for (int k = 0; k < 4; ++k) rra->add_scopes(t.apis[down].scopes[k]);
    }
  }

  // Pre-authorized clients: every fifth API pre-authorizes a client for its
  // first two scopes.
  for (int i = 0; i < apis; i += 5) {
    v1::PreAuthorizedClient* pa = b.mutable_resources(3 + i)->add_pre_authorized();
    pa->set_client_app_id(t.clients[(i * 7) % clients].app_id);
    pa->add_scope_ids(Guid(0x3, static_cast<int64_t>(i) * 1000 + 0));
    pa->add_scope_ids(Guid(0x3, static_cast<int64_t>(i) * 1000 + 1));
  }

  // --- Tenant-wide grants: a client's non-admin static scopes on one API.
  for (int g = 0; g < spec.tenant_wide_grants; ++g) {
    const int c = (g * 7 + 3) % clients;
    const SyntheticClient& cl = t.clients[c];
    if (!cl.has_sp || cl.apis.empty()) continue;
    const int which = g % cl.apis.size();
    const SyntheticApi& api = t.apis[cl.apis[which]];
    std::vector<std::string> values;
    for (int k : cl.scopes[which]) {
      if (!api.admin_only[k]) values.push_back(api.scopes[k]);
    }
    if (values.empty()) continue;
    v1::TenantWideGrant* grant = b.add_tenant_wide_grants();
    grant->set_id(absl::StrFormat("twg-%05d", g));
    grant->set_client_app_id(cl.app_id);
    grant->set_resource_app_id(api.app_id);
    grant->set_scope(absl::StrJoin(values, " "));
  }
  // Sign-in basics for every client of the tenant: GRAPH User.Read org-wide
  // on a third of them.
  for (int c = 0; c < clients; c += 3) {
    if (!t.clients[c].has_sp) continue;
    v1::TenantWideGrant* grant = b.add_tenant_wide_grants();
    grant->set_id(absl::StrFormat("twg-graph-%05d", c));
    grant->set_client_app_id(t.clients[c].app_id);
    grant->set_resource_app_id(std::string(kGraph));
    grant->set_scope("openid profile offline_access User.Read");
  }

  // --- SP app-role assignments (application permissions for
  // client_credentials).
  for (int a = 0; a < spec.sp_role_assignments; ++a) {
    SyntheticClient& cl = t.clients[(a * 13 + 1) % clients];
    if (!cl.confidential || !cl.has_sp) continue;
    const int api = cl.apis.empty() ? a % apis : cl.apis[a % cl.apis.size()];
    if (std::find(cl.role_apis.begin(), cl.role_apis.end(), api) != cl.role_apis.end()) {
      continue;
    }
    cl.role_apis.push_back(api);
    v1::ServicePrincipalRoleAssignment* ra = b.add_app_role_assignments();
    ra->set_client_app_id(cl.app_id);
    ra->set_resource_app_id(t.apis[api].app_id);
    ra->set_app_role_id(t.apis[api].app_role_ids[a % 2]);
  }

  // --- Groups, named locations, auth contexts, app groups.
  const int groups = std::max(spec.groups, 2);
  for (int g = 0; g < groups; ++g) t.group_ids.push_back(GroupId(g));
  const int locations = std::max(spec.named_locations, 2);
  const int ranges_per = std::max(spec.ip_ranges / locations, 1);
  t.blocked_locations = std::max(1, locations / 10);
  for (int j = 0; j < locations; ++j) {
    v1::NamedLocation* loc = b.add_named_locations();
    loc->set_id(LocationId(j));
    loc->set_display_name(absl::StrFormat("Site %d", j));
    // Blocked locations are untrusted; of the others, every second trusted.
    loc->set_is_trusted(j >= t.blocked_locations && j % 2 == 0);
    for (int r = 0; r < ranges_per; ++r) loc->add_ip_ranges(IpRange(j, r));
    t.location_ips.push_back(IpInRange(j, ranges_per - 1, j));
  }
  {
    v1::NamedLocation* loc = b.add_named_locations();
    loc->set_id("loc-countries");
    loc->set_display_name("Sanctioned countries");
    loc->add_countries("KP");
    loc->add_countries("IR");
    loc->set_include_unknown(false);
  }
  const int contexts = std::min(std::max(spec.auth_contexts, 1), 99);
  for (int c = 1; c <= contexts; ++c) {
    v1::AuthenticationContext* ctx = b.add_authentication_contexts();
    ctx->set_id(absl::StrCat("c", c));
    ctx->set_display_name(absl::StrFormat("Context %d", c));
    ctx->set_is_available(c % 4 != 0);
    t.auth_context_ids.push_back(ctx->id());
  }
  std::vector<std::string> app_group_names;
  for (int g = 0; g < spec.app_groups; ++g) {
    v1::AppGroup* group = b.add_app_groups();
    group->set_name(absl::StrFormat("AppGroup%03d", g));
    const int members = 3 + rng.Below(8);
    for (int m = 0; m < members; ++m) {
      const std::string& id = t.apis[rng.Below(apis)].app_id;
      if (std::find(group->app_ids().begin(), group->app_ids().end(), id) ==
          group->app_ids().end()) {
        group->add_app_ids(id);
      }
    }
    app_group_names.push_back(group->name());
  }

  // --- Custom permission grant policies (SPEC 1.6): per API, medium or
  // high or every classification, some with excludes; half go to the user
  // consent policies, the others behind custom roles.
  std::vector<std::string> custom_pgps;
  for (int p = 0; p < spec.grant_policies; ++p) {
    v1::PermissionGrantPolicy* pgp = b.add_permission_grant_policies();
    pgp->set_id(absl::StrFormat("pgp-%04d", p));
    pgp->set_description("synthetic");
    const int api = (p * 3) % apis;
    v1::PermissionGrantConditionSet* inc = pgp->add_includes();
    inc->set_permission_type("delegated");
    static constexpr const char* kClass[] = {"medium", "high", "all", "low"};
    inc->set_permission_classification(kClass[p % 4]);
    inc->set_resource_application(t.apis[api].app_id);
    if (p % 3 == 1) inc->add_client_application_tenant_ids(std::string(kTenantId));
    if (p % 2 == 0) {
      v1::PermissionGrantConditionSet* exc = pgp->add_excludes();
      exc->set_permission_type("delegated");
      exc->set_resource_application(t.apis[api].app_id);
      exc->add_permissions(Guid(0x3, static_cast<int64_t>(api) * 1000 + 2));
    }
    if (p % 5 == 4) {
      v1::PermissionGrantConditionSet* app = pgp->add_includes();
      app->set_permission_type("application");
      app->set_resource_application(t.apis[api].app_id);
    }
    custom_pgps.push_back(pgp->id());
  }
  v1::ConsentSettings* cs = b.mutable_consent_settings();
  cs->add_user_consent_policies("microsoft-user-default-low");
  for (size_t p = 0; p < custom_pgps.size(); p += 2) {
    cs->add_user_consent_policies(custom_pgps[p]);
  }
  cs->set_admin_consent_workflow_enabled(seed % 2 == 1);
  for (int r = 0; r < spec.custom_roles; ++r) {
    v1::CustomRole* role = b.add_custom_roles();
    role->set_id(Guid(0x6, r));
    if (!custom_pgps.empty()) {
      const std::string& pgp = custom_pgps[(2 * r + 1) % custom_pgps.size()];
      role->add_permissions(absl::StrCat(
          r % 2 == 0 ? "managePermissionGrantsForSelf." : "managePermissionGrantsForAll.",
          pgp));
    } else {
      role->add_permissions("managePermissionGrantsForSelf.microsoft-user-default-legacy");
    }
    t.custom_role_ids.push_back(role->id());
  }

  // --- Conditional Access. Four tenant-wide policies, then targeted ones
  // cycling through 20 shapes. Every shape passes SPEC 1.7's compile checks.
  auto add_policy = [&b](absl::string_view id, absl::string_view state) {
    v1::ConditionalAccessPolicy* p = b.add_conditional_access_policies();
    p->set_id(std::string(id));
    p->set_display_name(std::string(id));
    p->set_state(std::string(state));
    return p;
  };
  auto all_users = [&](v1::ConditionalAccessPolicy* p) {
    p->mutable_users()->add_include_users("All");
    p->mutable_users()->add_exclude_groups(GroupId(0));  // break-glass
  };
  int fixed = 0;
  if (spec.ca_policies > fixed) {  // High sign-in risk anywhere: block.
    v1::ConditionalAccessPolicy* p = add_policy("ca-block-high-risk", "enabled");
    all_users(p);
    p->mutable_applications()->add_include_applications("All");
    p->add_sign_in_risk_levels("high");
    p->mutable_grant_controls()->add_built_in_controls("block");
    ++fixed;
  }
  if (spec.ca_policies > fixed) {  // Admins: MFA everywhere.
    v1::ConditionalAccessPolicy* p = add_policy("ca-admins-mfa", "enabled");
    p->mutable_users()->add_include_roles("Global Administrator");
    p->mutable_users()->add_include_roles("Application Administrator");
    p->mutable_applications()->add_include_applications("All");
    p->mutable_grant_controls()->add_built_in_controls("mfa");
    ++fixed;
  }
  if (spec.ca_policies > fixed) {  // Legacy clients and sanctioned countries.
    v1::ConditionalAccessPolicy* p = add_policy("ca-block-legacy", "enabled");
    all_users(p);
    p->mutable_applications()->add_include_applications("All");
    p->add_client_app_types("exchangeActiveSync");
    p->add_client_app_types("other");
    p->mutable_grant_controls()->add_built_in_controls("block");
    ++fixed;
  }
  if (spec.ca_policies > fixed) {  // Workload identities (C9): block a few SPs.
    v1::ConditionalAccessPolicy* p = add_policy("ca-workload-block", "enabled");
    for (int c = 5; c < clients; c += std::max(clients / 4, 1)) {
      if (!t.clients[c].has_sp) continue;
      p->mutable_client_applications()->add_include_service_principals(Guid(0x51, c));
    }
    p->mutable_client_applications()->add_include_service_principals(Guid(0x51, 1));
    p->mutable_applications()->add_include_applications("All");
    p->mutable_grant_controls()->add_built_in_controls("block");
    ++fixed;
  }
  auto add_targets = [&](v1::ConditionalAccessPolicy* p) {
    const int n = 1 + rng.Below(3);
    auto* include = p->mutable_applications()->mutable_include_applications();
    for (int k = 0; k < n; ++k) {
      const std::string& id = t.apis[rng.Below(apis)].app_id;
      if (std::find(include->begin(), include->end(), id) == include->end()) {
        *include->Add() = id;
      }
    }
    if (rng.Percent(10)) *include->Add() = t.clients[rng.Below(clients)].app_id;
  };
  for (int i = fixed; i < spec.ca_policies; ++i) {
    const int shape = i % 20;
    const std::string id = absl::StrFormat("ca-%05d", i);
    v1::ConditionalAccessPolicy* p = nullptr;
    switch (shape) {
      case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7:  // mfa
        p = add_policy(id, "enabled");
        all_users(p);
        add_targets(p);
        if (shape % 3 == 0) p->mutable_locations()->add_include_locations("All");
        if (shape % 3 == 0) p->mutable_locations()->add_exclude_locations("AllTrusted");
        if (shape == 5) p->mutable_users()->add_exclude_groups(GroupId(1 + rng.Below(groups - 1)));
        p->mutable_grant_controls()->add_built_in_controls("mfa");
        break;
      case 8: case 9:  // mfa OR compliant device
        p = add_policy(id, "enabled");
        all_users(p);
        add_targets(p);
        p->mutable_grant_controls()->set_operator_("OR");
        p->mutable_grant_controls()->add_built_in_controls("mfa");
        p->mutable_grant_controls()->add_built_in_controls("compliantDevice");
        break;
      case 10:  // compliant device on desktops (unmet-hard when not)
        p = add_policy(id, "enabled");
        p->mutable_users()->add_include_groups(GroupId(1 + rng.Below(groups - 1)));
        if (groups > 2) {
          // Two distinct groups.
          const std::string second = GroupId(1 + rng.Below(groups - 1));
          if (second != p->users().include_groups(0)) {
            p->mutable_users()->add_include_groups(second);
          }
        }
        add_targets(p);
        p->mutable_platforms()->add_include_platforms("windows");
        p->mutable_platforms()->add_include_platforms("macOS");
        p->mutable_grant_controls()->add_built_in_controls("compliantDevice");
        break;
      case 11:  // block from the blocked sites
        p = add_policy(id, "enabled");
        all_users(p);
        add_targets(p);
        p->mutable_locations()->add_include_locations(
            LocationId(rng.Below(t.blocked_locations)));
        p->mutable_locations()->add_include_locations("loc-countries");
        p->mutable_grant_controls()->add_built_in_controls("block");
        break;
      case 12:  // report-only mfa
        p = add_policy(id, "enabledForReportingButNotEnforced");
        all_users(p);
        add_targets(p);
        p->mutable_grant_controls()->add_built_in_controls("mfa");
        break;
      case 13:  // report-only block on medium/high risk
        p = add_policy(id, "enabledForReportingButNotEnforced");
        all_users(p);
        add_targets(p);
        p->add_sign_in_risk_levels("medium");
        p->add_sign_in_risk_levels("high");
        p->mutable_grant_controls()->add_built_in_controls("block");
        break;
      case 14:  // disabled
        p = add_policy(id, "disabled");
        all_users(p);
        add_targets(p);
        p->mutable_grant_controls()->add_built_in_controls("mfa");
        break;
      case 15: {  // sign-in frequency only (C5)
        p = add_policy(id, "enabled");
        all_users(p);
        add_targets(p);
        v1::SignInFrequency* sif = p->mutable_session_controls()->mutable_sign_in_frequency();
        sif->set_value(rng.Percent(50) ? 12 : 1);
        sif->set_type(sif->value() == 12 ? "hours" : "days");
        break;
      }
      case 16:  // auth context (C7)
        p = add_policy(id, "enabled");
        all_users(p);
        p->mutable_applications()->add_include_auth_contexts(
            t.auth_context_ids[rng.Below(t.auth_context_ids.size())]);
        if (rng.Percent(30)) {
          p->mutable_grant_controls()->set_operator_("AND");
          p->mutable_grant_controls()->add_built_in_controls("mfa");
          p->mutable_grant_controls()->add_built_in_controls("compliantDevice");
        } else {
          p->mutable_grant_controls()->add_built_in_controls("mfa");
        }
        break;
      case 17:  // phishing-resistant strength for a group (never with mfa)
        p = add_policy(id, "enabled");
        p->mutable_users()->add_include_groups(GroupId(1 + rng.Below(groups - 1)));
        add_targets(p);
        p->mutable_grant_controls()->set_authentication_strength("phishingResistant");
        break;
      case 18:  // risky sign-ins: mfa
        p = add_policy(id, "enabled");
        all_users(p);
        add_targets(p);
        p->add_sign_in_risk_levels("low");
        p->add_sign_in_risk_levels("medium");
        p->mutable_grant_controls()->add_built_in_controls("mfa");
        break;
      default:  // 19: an app group, guests excluded, mfa
        p = add_policy(id, "enabled");
        all_users(p);
        if (!app_group_names.empty()) {
          p->mutable_applications()->add_include_applications(
              app_group_names[rng.Below(app_group_names.size())]);
        } else {
          add_targets(p);
        }
        p->mutable_users()->add_exclude_users("GuestsOrExternalUsers");
        p->mutable_grant_controls()->add_built_in_controls("mfa");
        break;
    }
  }
  return t;
}

namespace {

// Builds requests; one instance per stream.
class RequestBuilder {
 public:
  RequestBuilder(const SyntheticTenant& t, uint64_t seed)
      : t_(t), rng_(seed ^ 0x5eed5eedull) {}

  v1::TokenRequest Next() {
    v1::TokenRequest r;
    r.set_tenant(std::string(kTenantId));
    r.set_now(std::string(kNow));
    const int roll = rng_.Below(100);
    if (roll < 50) {
      Interactive(&r);
    } else if (roll < 72) {
      Refresh(&r);
    } else if (roll < 84) {
      OnBehalfOf(&r);
    } else {
      ClientCredentials(&r);
    }
    return r;
  }

 private:
  const SyntheticClient& PickClient(bool need_sp, bool need_confidential) {
    for (;;) {
      const SyntheticClient& c = t_.clients[rng_.Below(t_.clients.size())];
      if (need_sp && !c.has_sp) continue;
      if (need_confidential && !c.confidential) continue;
      if (c.apis.empty()) continue;
      return c;
    }
  }

  // 1-5 scopes of `api`: mostly from `preferred` (a static list), mostly
  // user-consentable; ~12% of requests ask an admin-only scope.
  std::vector<int> PickScopes(const SyntheticApi& api, const std::vector<int>* preferred,
                              int max_scopes) {
    std::vector<int> out;
    const int n = 1 + rng_.Below(max_scopes);
    const bool allow_admin = rng_.Percent(12);
    for (int tries = 0; tries < 4 * n && static_cast<int>(out.size()) < n; ++tries) {
      int k;
      if (preferred != nullptr && !preferred->empty() && rng_.Percent(70)) {
        k = (*preferred)[rng_.Below(preferred->size())];
      } else {
        k = rng_.Below(api.scopes.size());
      }
      if (api.admin_only[k] && !allow_admin) continue;
      if (std::find(out.begin(), out.end(), k) == out.end()) out.push_back(k);
    }
    if (out.empty()) out.push_back(0);
    return out;
  }

  std::string ScopeText(const SyntheticApi& api, const std::vector<int>& ks) {
    std::string s;
    for (int k : ks) {
      if (!s.empty()) s.push_back(' ');
      absl::StrAppend(&s, api.identifier_uri, "/", api.scopes[k]);
    }
    return s;
  }

  static std::string Values(const SyntheticApi& api, const std::vector<int>& ks) {
    std::vector<absl::string_view> v;
    for (int k : ks) v.push_back(api.scopes[k]);
    return absl::StrJoin(v, " ");
  }

  void FillUser(v1::User* u, const SyntheticApi* resource) {
    u->set_id(UserId(rng_.Below(std::max(t_.spec.users, 1))));
    if (rng_.Percent(3)) {
      u->set_user_type("guest");
      u->set_external_kind("b2bCollaborationGuest");
      u->set_home_tenant(std::string(kPartnerTenant));
    }
    u->set_mfa_registered(rng_.Percent(85));
    const int groups = rng_.Below(7);
    for (int g = 0; g < groups; ++g) {
      // Group 0 (break-glass) only rarely.
      u->add_groups(t_.group_ids[1 + rng_.Below(t_.group_ids.size() - 1)]);
    }
    if (rng_.Percent(1)) u->add_groups(t_.group_ids[0]);
    const int role = rng_.Below(100);
    if (role < 2) {
      u->add_roles("Global Administrator");
    } else if (role < 5) {
      u->add_roles("Application Administrator");
    } else if (role < 8 && !t_.custom_role_ids.empty()) {
      u->add_roles(t_.custom_role_ids[rng_.Below(t_.custom_role_ids.size())]);
    }
    // Realistic noise: the user's grants to other apps.
    const int noise = rng_.Below(4);
    for (int n = 0; n < noise; ++n) {
      const SyntheticClient& c = t_.clients[rng_.Below(t_.clients.size())];
      if (c.apis.empty()) continue;
      const SyntheticApi& api = t_.apis[c.apis[0]];
      v1::UserGrant* g = u->add_grants();
      g->set_client_app_id(c.app_id);
      g->set_resource_app_id(api.app_id);
      g->set_scope(Values(api, c.scopes[0]));
    }
    if (resource != nullptr && resource->assignment_required && rng_.Percent(85)) {
      v1::UserAppRoleAssignment* a = u->add_app_role_assignments();
      a->set_resource_app_id(resource->app_id);
      a->set_app_role_id(rng_.Percent(50) ? resource->user_role_ids[0] : "default");
    }
    if (rng_.Percent(20)) {
      const SyntheticApi& api = t_.apis[rng_.Below(t_.apis.size())];
      v1::UserAppRoleAssignment* a = u->add_app_role_assignments();
      a->set_resource_app_id(api.app_id);
      a->set_app_role_id(api.user_role_ids[0]);
    }
  }

  void FillSession(v1::Session* s) {
    // First factor between 10 minutes and 20 hours ago (SIF: 12 h, 1 day).
    const int64_t primary = kNowUnix - 600 - rng_.Below(20 * 3600);
    const int mfa = rng_.Below(100);
    if (mfa < 10) {
      AddMethod(s, "fido2", primary);
    } else {
      AddMethod(s, "password", primary);
      if (mfa < 65) AddMethod(s, "microsoftAuthenticatorPush", primary + 30);
    }
    const int dev = rng_.Below(100);
    if (dev < 45) {
      v1::Device* d = s->mutable_device();
      d->set_registered(true);
      d->set_trust_type("AzureAD");
      d->set_is_compliant(true);
      d->set_is_managed(true);
    } else if (dev < 55) {
      v1::Device* d = s->mutable_device();
      d->set_registered(true);
      d->set_trust_type("ServerAD");
      d->set_is_managed(true);
    } else if (dev < 70) {
      v1::Device* d = s->mutable_device();
      d->set_registered(true);
      d->set_trust_type("Workplace");
    }
    static constexpr const char* kPlatforms[] = {"windows", "windows", "windows", "macOS",
                                                 "iOS",     "iOS",     "android", "android",
                                                 "linux",   ""};
    s->set_platform(kPlatforms[rng_.Below(10)]);
    const int app_type = rng_.Below(100);
    s->set_client_app_type(app_type < 50   ? "browser"
                           : app_type < 98 ? "mobileAppsAndDesktopClients"
                                           : "exchangeActiveSync");
    const int where = rng_.Below(100);
    const int locs = t_.location_ips.size();
    if (where < 8) {  // a blocked site
      s->set_ip(t_.location_ips[rng_.Below(t_.blocked_locations)]);
    } else if (where < 85) {
      s->set_ip(t_.location_ips[t_.blocked_locations +
                                rng_.Below(std::max(locs - t_.blocked_locations, 1)) %
                                    std::max(locs - t_.blocked_locations, 1)]);
    } else {
      s->set_ip(absl::StrFormat("203.0.113.%d", 1 + rng_.Below(250)));
    }
    static constexpr const char* kCountries[] = {"US", "DE", "JP", "GB", "FR",
                                                 "IN", "BR", "",   "US", "KP"};
    s->set_country(kCountries[rng_.Below(rng_.Percent(98) ? 9 : 10)]);
    const int risk = rng_.Below(100);
    s->set_sign_in_risk(risk < 88 ? "none" : risk < 94 ? "low" : risk < 98 ? "medium" : "high");
  }

  static void AddMethod(v1::Session* s, absl::string_view method, int64_t at) {
    v1::AuthMethod* m = s->add_auth_methods();
    m->set_method(std::string(method));
    m->set_at(Rfc3339(at));
  }

  // A user grant for (client, api) over `ks`: all (p_all%), half (p_half%)
  // or none.
  void MaybeGrant(v1::User* u, absl::string_view client, const SyntheticApi& api,
                  const std::vector<int>& ks, int p_all, int p_half) {
    const int roll = rng_.Below(100);
    std::vector<int> granted;
    if (roll < p_all) {
      granted = ks;
    } else if (roll < p_all + p_half) {
      granted.assign(ks.begin(), ks.begin() + (ks.size() + 1) / 2);
    }
    if (granted.empty()) return;
    v1::UserGrant* g = u->add_grants();
    g->set_client_app_id(std::string(client));
    g->set_resource_app_id(api.app_id);
    g->set_scope(Values(api, granted));
  }

  void AuthContextAsk(v1::TokenRequest* r) {
    if (t_.auth_context_ids.empty()) return;
    const int roll = rng_.Below(100);
    const std::string& ctx = t_.auth_context_ids[rng_.Below(t_.auth_context_ids.size())];
    if (roll < 5) {
      r->set_acr_values(ctx);
    } else if (roll < 8) {
      r->set_claims(absl::StrCat(R"({"access_token":{"acrs":{"essential":true,"value":")",
                                 ctx, R"("}}})"));
    } else if (roll < 12) {
      r->set_claims(R"({"access_token":{"xms_cc":{"values":["cp1"]}}})");
    }
  }

  void Interactive(v1::TokenRequest* r) {
    r->set_grant_type(rng_.Percent(50) ? "interactive" : "authorization_code");
    const SyntheticClient& c = PickClient(false, false);
    r->set_client_id(c.app_id);
    r->set_client_authenticated(c.confidential);
    const int which = rng_.Below(c.apis.size());
    const bool own_list = rng_.Percent(90);
    const SyntheticApi& api =
        own_list ? t_.apis[c.apis[which]] : t_.apis[rng_.Below(t_.apis.size())];
    const std::vector<int> ks = PickScopes(api, own_list ? &c.scopes[which] : nullptr, 5);
    std::string scope = ScopeText(api, ks);
    const bool oidc = rng_.Percent(30);
    if (oidc) scope = absl::StrCat("openid profile offline_access ", scope);
    r->set_scope(scope);
    FillUser(r->mutable_user(), &api);
    MaybeGrant(r->mutable_user(), c.app_id, api, ks, 50, 15);
    if (oidc && rng_.Percent(70)) {
      v1::UserGrant* g = r->mutable_user()->add_grants();
      g->set_client_app_id(c.app_id);
      g->set_resource_app_id(std::string(kGraph));
      g->set_scope("openid profile offline_access");
    }
    FillSession(r->mutable_session());
    AuthContextAsk(r);
    const int prompt = rng_.Below(100);
    if (prompt < 2) {
      r->set_prompt("consent");
    } else if (prompt < 4) {
      r->set_prompt("none");
    } else if (prompt < 8) {
      r->set_prompt("login");
    }
    if (rng_.Percent(2)) r->set_max_age("3600");
    if (rng_.Percent(1)) r->set_consent_response("declined");
  }

  void Refresh(v1::TokenRequest* r) {
    r->set_grant_type("refresh_token");
    const SyntheticClient& c = PickClient(true, false);
    r->set_client_id(c.app_id);
    r->set_client_authenticated(c.confidential);
    const int which = rng_.Below(c.apis.size());
    const SyntheticApi& api = t_.apis[c.apis[which]];
    const std::vector<int> ks = PickScopes(api, &c.scopes[which], 4);
    std::string scope = ScopeText(api, ks);
    if (rng_.Percent(40)) scope = absl::StrCat("offline_access ", scope);
    if (rng_.Percent(15)) {
      r->set_refresh_token_scope(scope);
    } else {
      r->set_scope(scope);
    }
    FillUser(r->mutable_user(), &api);
    MaybeGrant(r->mutable_user(), c.app_id, api, ks, 85, 5);
    FillSession(r->mutable_session());
    AuthContextAsk(r);
  }

  void OnBehalfOf(v1::TokenRequest* r) {
    r->set_grant_type("on_behalf_of");
    const int mid = rng_.Below(t_.apis.size());
    const SyntheticApi& middle = t_.apis[mid];
    int down = (mid + 1 + (rng_.Percent(50) ? 7 : 0)) % t_.apis.size();
    if (down == mid) down = (mid + 1) % t_.apis.size();
    const SyntheticApi& api = t_.apis[down];
    r->set_client_id(middle.app_id);
    r->set_client_authenticated(true);
    static const std::vector<int> kStatic = {0, 1, 2, 3};
    std::vector<int> ks = PickScopes(api, &kStatic, 3);
    if (rng_.Percent(15)) {
      r->set_scope(absl::StrCat(api.identifier_uri, "/.default"));
      ks = kStatic;
    } else {
      r->set_scope(ScopeText(api, ks));
    }
    FillUser(r->mutable_user(), &api);
    MaybeGrant(r->mutable_user(), middle.app_id, api, ks, 80, 5);
    v1::Assertion* a = r->mutable_assertion();
    a->set_kind("access_token");
    a->set_aud(rng_.Percent(50) ? middle.app_id : middle.identifier_uri);
    a->set_tid(std::string(kTenantId));
    a->set_subject_type("user");
    a->set_subject_id(r->user().id());
    a->set_exp(Rfc3339(kNowUnix + 1800 + rng_.Below(1800)));
    FillSession(a->mutable_session());
  }

  void ClientCredentials(v1::TokenRequest* r) {
    r->set_grant_type("client_credentials");
    const SyntheticClient& c = PickClient(true, true);
    r->set_client_id(c.app_id);
    r->set_client_authenticated(true);
    const SyntheticApi& api = !c.role_apis.empty() && rng_.Percent(80)
                                  ? t_.apis[c.role_apis[rng_.Below(c.role_apis.size())]]
                                  : t_.apis[rng_.Below(t_.apis.size())];
    r->set_scope(absl::StrCat(rng_.Percent(50) ? api.identifier_uri : api.app_id,
                              "/.default"));
    v1::Session* s = r->mutable_session();
    s->set_ip(rng_.Percent(90) ? t_.location_ips[rng_.Below(t_.location_ips.size())]
                               : std::string("198.51.100.7"));
  }

  const SyntheticTenant& t_;
  Rng rng_;
};

}  // namespace

std::vector<v1::TokenRequest> GenerateRequests(const SyntheticTenant& tenant,
                                               size_t count, uint64_t seed) {
  std::vector<v1::TokenRequest> out;
  out.reserve(count);
  RequestBuilder builder(tenant, seed);
  for (size_t i = 0; i < count; ++i) out.push_back(builder.Next());
  return out;
}

}  // namespace bench
}  // namespace consent
