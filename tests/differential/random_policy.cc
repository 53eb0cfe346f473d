#include "tests/differential/random_policy.h"

#include <string>
#include <vector>

namespace consent {
namespace differential {

const char kGeneratorNow[] = "2025-03-03T10:00:00Z";
const char kGraphAppId[] = "00000003-0000-0000-c000-000000000000";

namespace {

using std::string;
using std::vector;

const char kTenant[] = "t-home";
const char kAadGraph[] = "00000002-0000-0000-c000-000000000000";
const char kExo[] = "00000002-0000-0ff1-ce00-000000000000";
constexpr int64_t kNow = 1740996000;  // 2025-03-03T10:00:00Z

string FormatTime(int64_t seconds) {
  int64_t days = seconds / 86400;
  int64_t rem = seconds % 86400;
  days += 719468;
  const int64_t era = days / 146097;
  const unsigned doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  char buf[32];
  snprintf(buf, sizeof(buf), "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(y), m, d,
           static_cast<int>(rem / 3600), static_cast<int>(rem % 3600 / 60),
           static_cast<int>(rem % 60));
  return buf;
}

// Random ASCII case changes: identifiers compare case-insensitively (§0).
string FlipCase(string s, uint64_t bits) {
  for (size_t i = 0; i < s.size(); ++i) {
    if ((bits >> (i % 64)) & 1) {
      const char c = s[i];
      if (c >= 'a' && c <= 'z') s[i] = static_cast<char>(c - 'a' + 'A');
      else if (c >= 'A' && c <= 'Z') s[i] = static_cast<char>(c - 'A' + 'a');
    }
  }
  return s;
}

void AddScope(v1::ResourceApi* api, const string& id, const string& value, bool admin,
              const string& classification) {
  v1::DelegatedScope* s = api->add_scopes();
  s->set_id(id);
  s->set_value(value);
  s->set_admin_only(admin);
  if (!admin) s->set_classification(classification);
}

}  // namespace

// ---------------------------------------------------------------------------
// Bundles

v1::PolicyBundle RandomPolicy::Bundle() {
  v1::PolicyBundle b;
  b.set_tenant_id(kTenant);
  b.set_version("random");
  // Microsoft apps.
  struct Ms {
    const char* id;
    const char* uri;
  };
  for (const Ms& ms : {Ms{kGraphAppId, "https://graph.microsoft.com"},
                       Ms{kAadGraph, "https://graph.windows.net"},
                       Ms{kExo, "https://outlook.office365.com"}}) {
    v1::AppRegistration* reg = b.add_app_registrations();
    reg->set_app_id(ms.id);
    reg->set_home_tenant("t-microsoft");
    reg->set_audience("multi");
    reg->set_publisher_verified(true);
    reg->set_mpn_id("mpn-microsoft");
    reg->set_created("2015-01-01");
    reg->add_identifier_uris(ms.uri);
    v1::ServicePrincipal* sp = b.add_service_principals();
    sp->set_app_id(ms.id);
    sp->set_object_id(string("sp-") + ms.id);
  }
  v1::ResourceApi* graph = b.add_resources();
  graph->set_app_id(kGraphAppId);
  AddScope(graph, "User.Read", "User.Read", false, "low");
  AddScope(graph, "Mail.Read", "Mail.Read", false, Chance(0.3) ? "medium" : "");
  graph->mutable_scopes(1)->add_ca_targets(kExo);
  AddScope(graph, "Calendars.Read", "Calendars.Read", false, "low");
  if (Chance(0.05)) graph->mutable_scopes(2)->set_enabled(false);
  AddScope(graph, "Files.Read.All", "Files.Read.All", false, "medium");
  AddScope(graph, "Group.Read.All", "Group.Read.All", true, "");
  AddScope(graph, "Directory.Read.All", "Directory.Read.All", true, "");
  for (const char* oidc : {"openid", "profile", "email", "offline_access"}) {
    AddScope(graph, oidc, oidc, false, "low");
  }
  if (Chance(0.3)) graph->set_xms_cc_optional_claim(true);
  v1::ResourceApi* exo = b.add_resources();
  exo->set_app_id(kExo);
  AddScope(exo, "EAS.AccessAsUser.All", "EAS.AccessAsUser.All", false, "");
  AddScope(exo, "Mail.Send", "Mail.Send", false, "high");
  AddResourceApis(&b);
  AddClients(&b);
  AddGrantPolicies(&b);
  AddConditionalAccess(&b);
  return b;
}

void RandomPolicy::AddResourceApis(v1::PolicyBundle* b) {
  const int n = 1 + Uniform(3);
  for (int i = 1; i <= n; ++i) {
    const string app = "api-" + std::to_string(i);
    const string uri = "api://res" + std::to_string(i);
    v1::AppRegistration* reg = b->add_app_registrations();
    reg->set_app_id(app);
    reg->set_home_tenant(kTenant);
    reg->set_client_type("confidential");
    reg->add_identifier_uris(uri);
    if (Chance(0.3)) reg->add_identifier_uris("https://res" + std::to_string(i) + ".example.com/");
    if (Chance(0.4)) {
      v1::RequiredResourceAccess* rra = reg->add_required_resource_access();
      rra->set_resource_app_id(kGraphAppId);
      rra->add_scopes("User.Read");
      if (Chance(0.5)) rra->add_scopes("Files.Read.All");
    }
    v1::ServicePrincipal* sp = b->add_service_principals();
    sp->set_app_id(app);
    sp->set_object_id("sp-" + app);
    if (Chance(0.04)) sp->set_enabled(false);
    if (Chance(0.12)) sp->set_app_role_assignment_required(true);
    if (Chance(0.2)) sp->add_owners(Pick(user_ids_));
    v1::ResourceApi* api = b->add_resources();
    api->set_app_id(app);
    static const vector<string> kClasses = {"", "low", "medium", "high"};
    AddScope(api, "id-" + app + "-read", "Data.Read", false, Pick(kClasses));
    AddScope(api, "id-" + app + "-write", "Data.Write", false, Pick(kClasses));
    AddScope(api, "id-" + app + "-admin", "Data.Admin", true, "");
    if (Chance(0.08)) api->mutable_scopes(1)->set_enabled(false);
    if (Chance(0.25)) api->mutable_scopes(0)->add_ca_targets(Chance(0.5) ? kExo : "api-1");
    v1::AppRole* r1 = api->add_app_roles();
    r1->set_id("role-" + app + "-reader");
    r1->set_value("Reader");
    r1->add_allowed_member_types("User");
    v1::AppRole* r2 = api->add_app_roles();
    r2->set_id("role-" + app + "-sync");
    r2->set_value("Sync");
    r2->add_allowed_member_types("Application");
    if (Chance(0.3)) r2->add_allowed_member_types("User");
    if (Chance(0.1)) r2->set_enabled(false);
    if (Chance(0.3)) {
      v1::PreAuthorizedClient* pa = api->add_pre_authorized();
      pa->set_client_app_id("client-" + std::to_string(1 + Uniform(4)));
      pa->add_scope_ids("id-" + app + "-read");
    }
    api->set_acrs_optional_claim(Chance(0.3));
    api->set_xms_cc_optional_claim(Chance(0.3));
    static const vector<string> kFormats = {"", "entra", "rfc9470", "both"};
    api->set_challenge_format(Pick(kFormats));
  }
}

void RandomPolicy::AddClients(v1::PolicyBundle* b) {
  const int apis = b->resources_size() - 2;
  for (int i = 1; i <= 5; ++i) {
    const string app = "client-" + std::to_string(i);
    v1::AppRegistration* reg = b->add_app_registrations();
    reg->set_app_id(app);
    const bool foreign = i == 5 || Chance(0.1);
    reg->set_home_tenant(foreign ? (Chance(0.5) ? "t-other" : "t-far") : kTenant);
    const bool multi = foreign ? !Chance(0.15) : Chance(0.3);
    reg->set_audience(multi ? "multi" : (Chance(0.5) ? "single" : ""));
    reg->set_client_type(Chance(0.55) ? "confidential" : (Chance(0.5) ? "public" : ""));
    if (Chance(0.4)) {
      reg->set_publisher_verified(true);
      reg->set_mpn_id(Chance(0.5) ? "mpn-1" : "mpn-2");
    }
    reg->set_m365_certified(Chance(0.15));
    static const vector<string> kCreated = {"", "2019-05-01", "2020-11-08", "2022-01-10"};
    reg->set_created(Pick(kCreated));
    if (Chance(0.7)) {
      v1::RequiredResourceAccess* rra = reg->add_required_resource_access();
      rra->set_resource_app_id(kGraphAppId);
      rra->add_scopes("User.Read");
      if (Chance(0.4)) rra->add_scopes("Mail.Read");
      if (Chance(0.2)) rra->add_scopes("Group.Read.All");
    }
    for (int a = 1; a <= apis; ++a) {
      if (!Chance(0.5)) continue;
      v1::RequiredResourceAccess* rra = reg->add_required_resource_access();
      rra->set_resource_app_id("api-" + std::to_string(a));
      rra->add_scopes("Data.Read");
      if (Chance(0.4)) rra->add_scopes("Data.Write");
      if (Chance(0.2)) rra->add_app_roles("Sync");
    }
    if (i == 1) {
      // A client that is also an API: token for itself (P10, T6).
      reg->add_identifier_uris("api://client1");
      v1::ResourceApi* api = b->add_resources();
      api->set_app_id(app);
      AddScope(api, "id-client-1-user", "access_as_user", false, "low");
    }
    const bool has_sp = !foreign || (multi ? Chance(0.5) : Chance(0.2));
    if (has_sp) {
      v1::ServicePrincipal* sp = b->add_service_principals();
      sp->set_app_id(app);
      sp->set_object_id("sp-" + app);
      if (Chance(0.04)) sp->set_enabled(false);
      if (Chance(0.08)) sp->set_app_role_assignment_required(true);
      if (Chance(0.1)) sp->set_managed_identity(true);
    }
  }
  // Combined consent: APIs naming clients as known clients.
  for (auto& reg : *b->mutable_app_registrations()) {
    if (reg.app_id().rfind("api-", 0) == 0 && Chance(0.3)) {
      reg.add_known_client_app_ids("client-" + std::to_string(1 + Uniform(3)));
    }
  }
  // Tenant-wide grants and SP app-role assignments.
  const int grants = Uniform(4);
  for (int g = 0; g < grants; ++g) {
    const string client = "client-" + std::to_string(1 + Uniform(5));
    bool has_sp = false;
    for (const auto& sp : b->service_principals()) has_sp = has_sp || sp.app_id() == client;
    if (!has_sp) continue;
    const v1::ResourceApi& api = b->resources(Uniform(b->resources_size()));
    bool res_sp = false;
    for (const auto& sp : b->service_principals()) res_sp = res_sp || sp.app_id() == api.app_id();
    if (!res_sp) continue;
    v1::TenantWideGrant* tw = b->add_tenant_wide_grants();
    tw->set_id("tw-" + std::to_string(g));
    tw->set_client_app_id(client);
    tw->set_resource_app_id(api.app_id());
    string scope;
    for (const auto& s : api.scopes()) {
      if (Chance(0.4)) scope += (scope.empty() ? "" : " ") + s.value();
    }
    if (scope.empty() && api.scopes_size() > 0) scope = api.scopes(0).value();
    tw->set_scope(scope);
  }
  const int assignments = Uniform(4);
  for (int a = 0; a < assignments && apis > 0; ++a) {
    const string client = "client-" + std::to_string(1 + Uniform(3));
    bool has_sp = false;
    for (const auto& sp : b->service_principals()) has_sp = has_sp || sp.app_id() == client;
    if (!has_sp) continue;
    v1::ServicePrincipalRoleAssignment* ra = b->add_app_role_assignments();
    ra->set_client_app_id(client);
    const string api = "api-" + std::to_string(1 + Uniform(apis));
    ra->set_resource_app_id(api);
    static const vector<string> kRoles = {"sync", "reader", "default"};
    const string role = Pick(kRoles);
    ra->set_app_role_id(role == "default" ? (Chance(0.5) ? "default" : "") : "role-" + api + "-" + role);
  }
}

v1::PermissionGrantConditionSet RandomPolicy::RandomConditionSet(const v1::PolicyBundle& b) {
  v1::PermissionGrantConditionSet cs;
  cs.set_permission_type(Chance(0.5) ? "delegated" : "delegatedUserConsentable");
  static const vector<string> kClasses = {"", "", "all", "low", "medium", "high"};
  cs.set_permission_classification(Pick(kClasses));
  const v1::ResourceApi& api = b.resources(Uniform(b.resources_size()));
  if (Chance(0.3)) {
    cs.set_resource_application(api.app_id());
    if (Chance(0.6) && api.scopes_size() > 0) cs.add_permissions(api.scopes(Uniform(api.scopes_size())).id());
  } else if (Chance(0.2)) {
    cs.set_resource_application("any");
  }
  if (Chance(0.2)) cs.add_client_application_ids("client-" + std::to_string(1 + Uniform(5)));
  if (Chance(0.15)) cs.add_client_application_tenant_ids(Chance(0.5) ? kTenant : "t-other");
  if (Chance(0.15)) cs.add_client_application_publisher_ids(Chance(0.5) ? "mpn-1" : "mpn-2");
  cs.set_client_applications_from_verified_publisher_only(Chance(0.15));
  cs.set_certified_client_applications_only(Chance(0.08));
  cs.set_client_applications_from_this_tenant_only(Chance(0.1));
  return cs;
}

void RandomPolicy::AddGrantPolicies(v1::PolicyBundle* b) {
  auto add = [&](const string& id) {
    v1::PermissionGrantPolicy* p = b->add_permission_grant_policies();
    p->set_id(id);
    return p;
  };
  add("microsoft-user-default-legacy")->add_includes()->set_permission_type("delegatedUserConsentable");
  v1::PermissionGrantPolicy* low = add("microsoft-user-default-low");
  for (int i = 0; i < 2; ++i) {
    v1::PermissionGrantConditionSet* cs = low->add_includes();
    cs->set_permission_type("delegatedUserConsentable");
    cs->set_permission_classification("low");
    if (i == 0) cs->set_client_applications_from_verified_publisher_only(true);
    else cs->set_client_applications_from_this_tenant_only(true);
  }
  v1::PermissionGrantPolicy* rec = add("microsoft-user-default-recommended");
  rec->add_includes()->set_permission_type("delegatedUserConsentable");
  v1::PermissionGrantConditionSet* ex = rec->add_excludes();
  ex->set_permission_type("delegated");
  ex->set_resource_application(kGraphAppId);
  for (const char* v : {"Files.Read.All", "Mail.Read", "Calendars.Read"}) ex->add_permission_values(v);
  v1::PermissionGrantConditionSet* exo = rec->add_excludes();
  exo->set_permission_type("delegated");
  exo->set_resource_application(kExo);
  exo->add_permission_values("EAS.AccessAsUser.All");
  // SPEC §4's authority rows as data (as policies/builtin/microsoft.textproto).
  v1::PermissionGrantPolicy* company = add("microsoft-company-admin");
  company->add_includes()->set_permission_type("delegated");
  company->add_includes()->set_permission_type("application");
  v1::PermissionGrantPolicy* app_admin = add("microsoft-application-admin");
  app_admin->add_includes()->set_permission_type("delegated");
  app_admin->add_includes()->set_permission_type("application");
  v1::PermissionGrantConditionSet* no_graph_roles = app_admin->add_excludes();
  no_graph_roles->set_permission_type("application");
  no_graph_roles->set_resource_application(kGraphAppId);
  vector<string> ids = {"microsoft-user-default-legacy", "microsoft-user-default-low",
                        "microsoft-user-default-recommended"};
  const int custom = Uniform(4);
  for (int i = 1; i <= custom; ++i) {
    const string id = "p" + std::to_string(i);
    v1::PermissionGrantPolicy* p = add(id);
    const int inc = 1 + Uniform(2);
    for (int k = 0; k < inc; ++k) *p->add_includes() = RandomConditionSet(*b);
    const int exc = Uniform(2);
    for (int k = 0; k < exc; ++k) *p->add_excludes() = RandomConditionSet(*b);
    ids.push_back(id);
  }
  v1::ConsentSettings* cs = b->mutable_consent_settings();
  for (const string& id : ids) {
    if (Chance(0.3)) cs->add_user_consent_policies(id);
  }
  cs->set_admin_consent_workflow_enabled(Chance(0.4));
  if (Chance(0.5)) cs->set_block_user_consent_for_risky_apps(Chance(0.5));
  v1::CustomRole* self = b->add_custom_roles();
  self->set_id("cr-self");
  self->add_permissions("managePermissionGrantsForSelf." + Pick(ids));
  v1::CustomRole* all = b->add_custom_roles();
  all->set_id("cr-all");
  all->add_permissions("managePermissionGrantsForAll." + Pick(ids));
}

string RandomPolicy::RandomDeviceRule() {
  struct Attr {
    const char* name;
    vector<string> ops;
    vector<string> values;
  };
  static const vector<string> kAll = {"-eq", "-ne", "-startsWith", "-notStartsWith", "-endsWith",
                                      "-notEndsWith", "-contains", "-notContains", "-in", "-notIn"};
  static const vector<Attr> kAttrs = {
      {"deviceId", {"-eq", "-ne", "-in", "-notIn"}, {"dev-1", "dev-2"}},
      {"mdmAppId", {"-eq", "-ne", "-in", "-notIn"}, {"mdm-1"}},
      {"deviceOwnership", {"-eq", "-ne"}, {"Company", "Personal"}},
      {"isCompliant", {"-eq", "-ne"}, {"True", "False"}},
      {"profileType", {"-eq", "-ne"}, {"RegisteredDevice", "SecureVM"}},
      {"trustType", {"-eq", "-ne"}, {"AzureAD", "ServerAD", "Workplace"}},
      {"physicalIds", {"-contains", "-notContains"}, {"[ZDID]:abc", "[OrderId]:1"}},
      {"systemLabels", {"-contains", "-notContains"}, {"Privileged", "Kiosk"}},
      {"model", kAll, {"Surface Pro", "surface", "Pro", "ThinkPad"}},
      {"manufacturer", kAll, {"Microsoft", "Lenovo", "micro"}},
      {"operatingSystem", kAll, {"Windows", "iOS"}},
      {"displayName", kAll, {"LAPTOP-1", "laptop"}},
      {"extensionAttribute1", kAll, {"red", "blue"}},
      {"extensionAttribute15", kAll, {"x"}},
  };
  auto cmp = [&]() {
    const Attr& a = Pick(kAttrs);
    const string op = Pick(a.ops);
    string value;
    if (op == "-in" || op == "-notIn") {
      value = "[\"" + Pick(a.values) + "\"";
      if (Chance(0.5)) value += ", \"" + Pick(a.values) + "\"";
      value += "]";
    } else if (string(a.name) == "isCompliant" && Chance(0.5)) {
      value = Pick(a.values);
    } else {
      value = "\"" + Pick(a.values) + "\"";
    }
    return string("device.") + a.name + " " + op + " " + value;
  };
  string rule = cmp();
  const int more = Uniform(3);
  for (int i = 0; i < more; ++i) {
    const string join = Chance(0.5) ? " -and " : " -or ";
    if (Chance(0.3)) {
      rule = "(" + rule + ")" + join + cmp();
    } else {
      rule += join + cmp();
    }
  }
  return rule;
}

void RandomPolicy::RandomUserPolicy(const v1::PolicyBundle& b, v1::ConditionalAccessPolicy* p) {
  v1::UserConditions* u = p->mutable_users();
  if (Chance(0.55)) {
    u->add_include_users("All");
  } else {
    if (Chance(0.4)) u->add_include_users(Chance(0.1) ? FlipCase(Pick(user_ids_), Next()) : Pick(user_ids_));
    if (Chance(0.3)) u->add_include_groups(Chance(0.5) ? "g-sales" : "g-eng");
    if (Chance(0.2)) u->add_include_roles(Chance(0.5) ? "Global Administrator" : "Application Administrator");
    if (Chance(0.2)) u->add_include_users("GuestsOrExternalUsers");
    if (Chance(0.2)) {
      v1::GuestsOrExternalUsers* g = u->mutable_include_guests_or_external_users();
      g->add_guest_or_external_user_types(Chance(0.5) ? "b2bCollaborationGuest" : "internalGuest");
      if (Chance(0.5)) g->add_external_tenants("t-other");
    }
    if (u->include_users_size() + u->include_groups_size() + u->include_roles_size() == 0 &&
        !u->has_include_guests_or_external_users()) {
      u->add_include_users(Chance(0.8) ? "All" : "None");
    }
  }
  if (Chance(0.15)) u->add_exclude_users(Pick(user_ids_));
  if (Chance(0.1)) u->add_exclude_groups("g-admins");
  if (Chance(0.05)) u->add_exclude_roles("Global Administrator");
  const bool ctx = Chance(0.25);
  const int apis = b.resources_size();
  if (ctx) {
    // Policies may only name defined contexts (c1-c4); requests also ask c5, c9.
    p->mutable_applications()->add_include_auth_contexts("c" + std::to_string(1 + Uniform(4)));
    if (Chance(0.3)) p->mutable_applications()->add_include_auth_contexts("c" + std::to_string(1 + Uniform(4)));
  } else {
    v1::ApplicationConditions* a = p->mutable_applications();
    if (Chance(0.35)) {
      a->add_include_applications("All");
    } else {
      const int n = 1 + Uniform(2);
      for (int i = 0; i < n; ++i) {
        const int k = Uniform(apis + 3);
        if (k < apis) {
          a->add_include_applications(Chance(0.1) ? FlipCase(b.resources(k).app_id(), Next())
                                                  : b.resources(k).app_id());
        }
        else if (k == apis) a->add_include_applications(kAadGraph);
        else if (k == apis + 1) a->add_include_applications("Office365");
        else a->add_include_applications("client-" + std::to_string(1 + Uniform(5)));
      }
    }
    if (Chance(0.15)) a->add_exclude_applications(b.resources(Uniform(apis)).app_id());
  }
  static const vector<string> kAppTypes = {"all", "browser", "mobileAppsAndDesktopClients",
                                           "exchangeActiveSync", "other"};
  if (Chance(0.15)) p->add_client_app_types(Pick(kAppTypes));
  static const vector<string> kPlatforms = {"all", "android", "iOS", "windows", "macOS", "linux", "windowsPhone"};
  if (Chance(0.15)) {
    p->mutable_platforms()->add_include_platforms(Pick(kPlatforms));
    if (Chance(0.4)) p->mutable_platforms()->add_exclude_platforms("iOS");
  }
  if (Chance(0.25)) {
    static const vector<string> kInc = {"All", "AllTrusted", "loc-v4", "loc-v6", "loc-countries", "loc-us"};
    static const vector<string> kExc = {"AllTrusted", "loc-v4", "loc-v6", "loc-countries"};
    p->mutable_locations()->add_include_locations(Pick(kInc));
    if (Chance(0.4)) p->mutable_locations()->add_exclude_locations(Pick(kExc));
  }
  static const vector<string> kRisks = {"none", "low", "medium", "high"};
  if (Chance(0.12)) p->add_sign_in_risk_levels(Pick(kRisks));
  const bool user_risk = Chance(0.12);
  if (user_risk) p->add_user_risk_levels(Pick(kRisks));
  if (Chance(0.15)) {
    p->mutable_device_filter()->set_mode(Chance(0.5) ? "include" : "exclude");
    p->mutable_device_filter()->set_rule(RandomDeviceRule());
  }
  v1::GrantControls* g = p->mutable_grant_controls();
  const int kind = Uniform(100);
  if (kind < 15) {
    g->add_built_in_controls("block");
  } else if (kind < 30) {
    // session-only (no grant control)
  } else if (kind < 35 && user_risk && !ctx && p->applications().include_applications_size() == 1 &&
             p->applications().include_applications(0) == "All") {
    g->set_operator_("AND");
    g->add_built_in_controls("mfa");
    g->add_built_in_controls("passwordChange");
  } else {
    g->set_operator_(Chance(0.4) ? "OR" : (Chance(0.5) ? "AND" : ""));
    if (Chance(0.5)) {
      g->add_built_in_controls("mfa");
    } else if (Chance(0.4)) {
      static const vector<string> kStrengths = {"mfa", "passwordless", "phishingResistant",
                                                "00000000-0000-0000-0000-000000000004", "strength-pwsms",
                                                "strength-tap"};
      g->set_authentication_strength(Pick(kStrengths));
    }
    static const vector<string> kOthers = {"compliantDevice", "domainJoinedDevice", "approvedApplication",
                                           "compliantApplication"};
    for (const string& c : kOthers) {
      if (Chance(0.15)) g->add_built_in_controls(c);
    }
    if (Chance(0.15)) g->add_terms_of_use(Chance(0.5) ? "tou-1" : "tou-2");
    if (Chance(0.1)) g->add_custom_factors("cf-1");
    if (g->built_in_controls_size() == 0 && g->authentication_strength().empty() &&
        g->terms_of_use_size() == 0 && g->custom_factors_size() == 0) {
      g->add_built_in_controls("mfa");
    }
  }
  if (Chance(0.25)) {
    v1::SignInFrequency* f = p->mutable_session_controls()->mutable_sign_in_frequency();
    if (Chance(0.25)) {
      f->set_every_time(true);
      if (Chance(0.5)) f->set_authentication_type("secondaryAuthentication");
    } else {
      f->set_value(1 + Uniform(12));
      f->set_type(Chance(0.7) ? "hours" : "days");
    }
  }
}

void RandomPolicy::RandomWorkloadPolicy(const v1::PolicyBundle& b, v1::ConditionalAccessPolicy* p) {
  v1::ClientApplicationConditions* c = p->mutable_client_applications();
  if (Chance(0.5)) c->add_include_service_principals("ServicePrincipalsInMyTenant");
  else c->add_include_service_principals("sp-client-" + std::to_string(1 + Uniform(3)));
  if (Chance(0.2)) c->add_exclude_service_principals("sp-client-" + std::to_string(1 + Uniform(3)));
  if (Chance(0.5)) p->mutable_applications()->add_include_applications("All");
  else p->mutable_applications()->add_include_applications(b.resources(Uniform(b.resources_size())).app_id());
  if (Chance(0.3)) p->mutable_locations()->add_include_locations(Chance(0.5) ? "loc-v4" : "All");
  if (Chance(0.2)) p->add_service_principal_risk_levels(Chance(0.5) ? "high" : "none");
  p->mutable_grant_controls()->add_built_in_controls("block");
}

void RandomPolicy::AddConditionalAccess(v1::PolicyBundle* b) {
  v1::NamedLocation* v4 = b->add_named_locations();
  v4->set_id("loc-v4");
  v4->add_ip_ranges("10.0.0.0/8");
  v4->add_ip_ranges("192.168.1.0/24");
  v4->set_is_trusted(Chance(0.6));
  v1::NamedLocation* v6 = b->add_named_locations();
  v6->set_id("loc-v6");
  v6->add_ip_ranges("2001:db8::/32");
  v6->set_is_trusted(Chance(0.5));
  v1::NamedLocation* countries = b->add_named_locations();
  countries->set_id("loc-countries");
  countries->add_countries("FR");
  countries->add_countries("DE");
  countries->set_include_unknown(Chance(0.5));
  v1::NamedLocation* us = b->add_named_locations();
  us->set_id("loc-us");
  us->add_countries("US");
  for (int i = 1; i <= 4; ++i) {
    v1::AuthenticationContext* ac = b->add_authentication_contexts();
    ac->set_id("c" + std::to_string(i));
    ac->set_display_name("context " + std::to_string(i));
    ac->set_is_available(Chance(0.6));
  }
  v1::AuthenticationStrength* s1 = b->add_authentication_strengths();
  s1->set_id("strength-pwsms");
  s1->add_allowed_combinations("password,sms");
  s1->add_allowed_combinations("fido2");
  v1::AuthenticationStrength* s2 = b->add_authentication_strengths();
  s2->set_id("strength-tap");
  s2->add_allowed_combinations("temporaryAccessPassOneTime");
  s2->add_allowed_combinations("sms");
  v1::AppGroup* o365 = b->add_app_groups();
  o365->set_name("Office365");
  o365->add_app_ids(kExo);
  if (b->resources_size() > 2) o365->add_app_ids(b->resources(2).app_id());
  const int n = Uniform(7);
  static const vector<string> kStates = {"enabled", "enabled", "enabled",
                                         "enabledForReportingButNotEnforced", "enabledForReportingButNotEnforced",
                                         "disabled"};
  for (int i = 0; i < n; ++i) {
    v1::ConditionalAccessPolicy* p = b->add_conditional_access_policies();
    p->set_id("ca-" + std::to_string(i));
    p->set_state(Pick(kStates));
    if (Chance(0.12)) RandomWorkloadPolicy(*b, p);
    else RandomUserPolicy(*b, p);
  }
}

v1::PolicyBundle RandomPolicy::InvalidBundle() {
  v1::PolicyBundle b = Bundle();
  const int faults = 1 + Uniform(3);
  for (int f = 0; f < faults; ++f) {
    switch (Uniform(16)) {
      case 0: b.clear_tenant_id(); break;
      case 1: b.mutable_app_registrations(0)->set_audience("everyone"); break;
      case 2: b.mutable_resources(0)->mutable_scopes(4)->set_classification("low"); break;  // admin-only
      case 3: *b.add_service_principals() = b.service_principals(0); break;  // duplicate SP
      case 4: b.mutable_consent_settings()->add_user_consent_policies("no-such-policy"); break;
      case 5: b.mutable_named_locations(0)->add_ip_ranges(Chance(0.5) ? "10.0.0.0/33" : "not-an-ip"); break;
      case 6: {
        v1::ConditionalAccessPolicy* p = b.add_conditional_access_policies();
        p->set_id("bad-filter");
        p->set_state("enabled");
        p->mutable_users()->add_include_users("All");
        p->mutable_applications()->add_include_applications("All");
        p->mutable_device_filter()->set_mode("include");
        p->mutable_device_filter()->set_rule(Chance(0.5) ? "device.isCompliant -startsWith \"T\""
                                                          : "device.model -eq \"x\" -and (");
        p->mutable_grant_controls()->add_built_in_controls("mfa");
        break;
      }
      case 7: {
        v1::ConditionalAccessPolicy* p = b.add_conditional_access_policies();
        p->set_id("bad-controls");
        p->set_state("enabled");
        p->mutable_users()->add_include_users("All");
        p->mutable_applications()->add_include_applications("All");
        p->mutable_grant_controls()->add_built_in_controls("block");
        p->mutable_grant_controls()->add_built_in_controls("mfa");
        break;
      }
      case 8: {
        v1::ConditionalAccessPolicy* p = b.add_conditional_access_policies();
        p->set_id("bad-strength");
        p->set_state("enabled");
        p->mutable_users()->add_include_users("All");
        p->mutable_applications()->add_include_applications("All");
        p->mutable_grant_controls()->add_built_in_controls("mfa");
        p->mutable_grant_controls()->set_authentication_strength("phishingResistant");
        break;
      }
      case 9: b.mutable_named_locations(2)->set_is_trusted(true); break;  // country location
      case 10: b.mutable_authentication_contexts(0)->set_id("c100"); break;
      case 11: {
        v1::ConditionalAccessPolicy* p = b.add_conditional_access_policies();
        p->set_id("bad-apps");
        p->set_state("enabled");
        p->mutable_users()->add_include_users("All");
        p->mutable_applications()->add_include_applications("All");
        p->mutable_applications()->add_include_auth_contexts("c1");
        break;
      }
      case 12: b.mutable_permission_grant_policies(0)->clear_includes(); break;
      case 13: {
        v1::ConditionalAccessPolicy* p = b.add_conditional_access_policies();
        p->set_id("bad-sif");
        p->set_state(Chance(0.5) ? "on" : "enabled");
        p->mutable_users()->add_include_users("All");
        p->mutable_applications()->add_include_applications("All");
        p->mutable_session_controls()->mutable_sign_in_frequency()->set_value(0);
        p->mutable_session_controls()->mutable_sign_in_frequency()->set_type("weeks");
        break;
      }
      case 14: b.mutable_resources(0)->set_challenge_format("rfc6750"); break;
      default: {
        v1::PermissionGrantPolicy* p = b.mutable_permission_grant_policies(0);
        v1::PermissionGrantConditionSet* cs =
            p->includes_size() > 0 ? p->mutable_includes(0) : p->add_includes();
        cs->set_permission_type(Chance(0.5) ? "" : "everything");
        break;
      }
    }
  }
  return b;
}

// ---------------------------------------------------------------------------
// Requests

string RandomPolicy::RandomTime(int64_t base, int64_t max_back) {
  static const vector<int64_t> kOffsets = {30, 240, 3600, 7200, 9 * 3600, 26 * 3600, 3 * 86400};
  int64_t back = Pick(kOffsets);
  if (back > max_back) back = max_back;
  return FormatTime(base - back);
}

string RandomPolicy::ScopeToken(const v1::PolicyBundle& b, const v1::ResourceApi& api) {
  string value;
  if (Chance(0.03) && api.app_roles_size() > 0) {
    value = api.app_roles(0).value();  // app role: P9
  } else if (Chance(0.03)) {
    value = "Nope.Nothing";
  } else if (api.scopes_size() > 0) {
    value = api.scopes(Uniform(api.scopes_size())).value();
  } else {
    value = ".default";
  }
  if (Chance(0.08)) {
    for (char& c : value) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  }
  const bool graph = api.app_id() == kGraphAppId;
  if (graph) {
    const int k = Uniform(10);
    if (k < 6) return value;
    if (k < 9) return string("https://graph.microsoft.com/") + value;
    return string(kGraphAppId) + "/" + value;
  }
  vector<string> idents = {api.app_id()};
  for (const auto& reg : b.app_registrations()) {
    if (reg.app_id() == api.app_id()) {
      for (const string& u : reg.identifier_uris()) {
        idents.push_back(u);
        idents.push_back(u);
      }
    }
  }
  string ident = Pick(idents);
  if (Chance(0.08)) ident = FlipCase(ident, Next());
  return ident + (ident.back() == '/' && Chance(0.5) ? "" : "/") + value;
}

string RandomPolicy::RandomScope(const v1::PolicyBundle& b, const string& grant) {
  vector<string> toks;
  const auto& apis = b.resources();
  // A bundle without resource APIs (found by bundle_fuzzer): plain texts.
  if (apis.empty()) return Chance(0.5) ? "openid User.Read" : ".default";
  auto api_of = [&](const string& app) -> const v1::ResourceApi& {
    for (const auto& a : apis) {
      if (a.app_id() == app) return a;
    }
    return apis[0];
  };
  if (grant == "client_credentials") {
    const int k = Uniform(20);
    const v1::ResourceApi& api = apis[Uniform(apis.size())];
    string ident = api.app_id() == kGraphAppId ? "https://graph.microsoft.com" : api.app_id();
    for (const auto& reg : b.app_registrations()) {
      if (reg.app_id() == api.app_id() && reg.identifier_uris_size() > 0 && Chance(0.6)) {
        ident = reg.identifier_uris(0);
      }
    }
    if (k < 15) return ident + "/.default";
    if (k == 15) return ".default";
    if (k == 16) return ident + "/.default " + ident + "/.default";
    if (k == 17) return ident + "/.default https://graph.microsoft.com/.default";
    if (k == 18) return ident + "/Data.Read";
    return ident + "/.default openid";
  }
  const int pattern = Uniform(100);
  const v1::ResourceApi& main = Chance(0.4) ? apis[0] : apis[Uniform(apis.size())];
  if (pattern < 55) {
    const int n = 1 + Uniform(2);
    for (int i = 0; i < n; ++i) toks.push_back(ScopeToken(b, main));
    if (Chance(0.25)) toks.push_back(ScopeToken(b, apis[Uniform(apis.size())]));
  } else if (pattern < 70) {
    // .default, alone or with OIDC (or a named scope: P6).
    string ident = main.app_id();
    for (const auto& reg : b.app_registrations()) {
      if (reg.app_id() == main.app_id() && reg.identifier_uris_size() > 0 && Chance(0.7)) {
        ident = reg.identifier_uris(0);
      }
    }
    toks.push_back(main.app_id() == kGraphAppId && Chance(0.3) ? ".default" : ident + "/.default");
    if (Chance(0.1)) toks.push_back(ScopeToken(b, apis[0]));
  } else if (pattern < 78) {
    // Only OIDC (P8).
  } else if (pattern < 84) {
    // Token for itself.
    const v1::ResourceApi& self = api_of("client-1");
    toks.push_back(Chance(0.7) ? "client-1/access_as_user" : "api://client1/access_as_user");
    if (Chance(0.3)) toks.push_back(Chance(0.5) ? "client-1/.default" : ScopeToken(b, self));
  } else if (pattern < 90) {
    static const vector<string> kBad = {"User.Read\"", "api://res1/", "/Data.Read", "Data\tRead",
                                        "User.Read\xC3\xA9", "a\\b", "api://unknown/x", "https://graph.microsoft.com",
                                        "api://res1//.default", "https://res1.example.com//Data.Read"};
    toks.push_back(Pick(kBad));
    if (Chance(0.5)) toks.push_back(ScopeToken(b, main));
  } else {
    // Several resources.
    toks.push_back(ScopeToken(b, apis[0]));
    toks.push_back(ScopeToken(b, apis[Uniform(apis.size())]));
    if (Chance(0.5)) toks.push_back(ScopeToken(b, apis[Uniform(apis.size())]));
  }
  static const vector<string> kOidc = {"openid", "profile", "email", "offline_access", "OpenID"};
  const int oidc = Chance(0.45) ? 1 + Uniform(3) : 0;
  for (int i = 0; i < oidc; ++i) toks.insert(toks.begin() + Uniform(toks.size() + 1), Pick(kOidc));
  if (toks.empty()) toks.push_back("openid");
  if (Chance(0.1)) toks.push_back(toks[Uniform(toks.size())]);  // duplicate
  string out;
  for (const string& t : toks) out += (out.empty() ? "" : (Chance(0.05) ? "  " : " ")) + t;
  if (Chance(0.02)) out = "";
  return out;
}

void RandomPolicy::RandomUser(const v1::PolicyBundle& b, const string& client, const string& scope,
                              v1::User* u) {
  vector<string> ids = user_ids_;
  for (const auto& p : b.conditional_access_policies()) {
    for (const string& x : p.users().include_users()) ids.push_back(x);
    for (const string& x : p.users().exclude_users()) ids.push_back(x);
  }
  for (const auto& sp : b.service_principals()) {
    for (const string& x : sp.owners()) ids.push_back(x);
  }
  u->set_id(Pick(ids));
  if (u->id() == "All" || u->id() == "None" || u->id() == "GuestsOrExternalUsers") u->set_id(Pick(user_ids_));
  if (Chance(0.05)) u->set_id(FlipCase(u->id(), Next()));
  for (const auto& cr : b.custom_roles()) {
    if (Chance(0.05)) u->add_roles(cr.id());
  }
  for (const auto& p : b.conditional_access_policies()) {
    for (const string& g : p.users().include_groups()) {
      if (Chance(0.2)) u->add_groups(g);
    }
  }
  if (Chance(0.03)) u->set_exists(false);
  if (Chance(0.03)) u->set_enabled(false);
  if (Chance(0.1)) u->set_user_type(Chance(0.2) ? "Guest" : "guest");
  else if (Chance(0.2)) u->set_user_type(Chance(0.1) ? "MEMBER" : "member");
  if (Chance(0.15)) {
    static const vector<string> kKinds = {"b2bCollaborationGuest", "b2bCollaborationMember", "internalGuest",
                                          "otherExternalUser"};
    u->set_external_kind(Pick(kKinds));
    u->set_home_tenant(Chance(0.5) ? "t-other" : "t-far");
  }
  u->set_mfa_registered(Chance(0.7));
  static const vector<string> kGroups = {"g-sales", "g-eng", "g-admins"};
  for (const string& g : kGroups) {
    if (Chance(0.25)) u->add_groups(g);
  }
  static const vector<string> kRoles = {"Global Administrator", "Application Administrator",
                                        "Cloud Application Administrator", "Privileged Role Administrator",
                                        "cr-self", "cr-all", "Helpdesk Administrator"};
  for (const string& r : kRoles) {
    if (Chance(0.06)) u->add_roles(r);
  }
  // Grants: biased so that tokens get issued.
  const bool all = Chance(0.45);
  for (const auto& api : b.resources()) {
    string s;
    for (const auto& sc : api.scopes()) {
      if (all ? !Chance(0.05) : Chance(0.25)) s += (s.empty() ? "" : " ") + sc.value();
    }
    if (s.empty()) continue;
    v1::UserGrant* g = u->add_grants();
    g->set_client_app_id(Chance(0.95) ? client : "client-" + std::to_string(1 + Uniform(5)));
    g->set_resource_app_id(api.app_id());
    g->set_scope(s);
  }
  for (const auto& api : b.resources()) {
    if (api.app_roles_size() == 0 || !Chance(0.3)) continue;
    v1::UserAppRoleAssignment* a = u->add_app_role_assignments();
    a->set_resource_app_id(api.app_id());
    const int k = Uniform(3);
    a->set_app_role_id(k == 0 ? "" : api.app_roles(Uniform(api.app_roles_size())).id());
  }
  (void)scope;
}

void RandomPolicy::RandomSession(v1::Session* s) {
  auto method = [&](const string& m, int64_t max_back) {
    v1::AuthMethod* am = s->add_auth_methods();
    am->set_method(m);
    am->set_at(RandomTime(kNow, max_back));
  };
  const int k = Uniform(20);
  const int64_t back = 3 * 86400;
  switch (k) {
    case 0: break;  // no methods
    case 1: case 2: case 3: case 4: method("password", back); break;
    case 5: case 6: case 7: method("password", back); method("microsoftAuthenticatorPush", back); break;
    case 8: method("fido2", back); break;
    case 9: method("password", back); method("sms", back); break;
    case 10: method("windowsHelloForBusiness", back); break;
    case 11: method("x509CertificateMultiFactor", back); break;
    case 12: method("deviceBasedPush", back); break;
    case 13: method("email", back); break;
    case 14: method("smsSignIn", back); method("softwareOath", back); break;
    case 15: method("temporaryAccessPassOneTime", back); break;
    case 16: method("federatedSingleFactor", back); method("voice", back); break;
    case 17: method("sms", back); break;
    case 18:
      method(Chance(0.15) ? "carrierPigeon" : "password", back);
      if (Chance(0.15)) s->mutable_auth_methods(0)->set_at("yesterday");
      break;
    default: method("password", 240); method("microsoftAuthenticatorPush", 240); break;
  }
  if (Chance(0.5)) {
    v1::Device* d = s->mutable_device();
    d->set_registered(Chance(0.85));
    static const vector<string> kTrust = {"", "AzureAD", "ServerAD", "Workplace"};
    d->set_trust_type(Pick(kTrust));
    d->set_is_compliant(Chance(0.5));
    d->set_is_managed(Chance(0.4));
    static const vector<std::pair<string, vector<string>>> kAttrs = {
        {"model", {"Surface Pro 9", "ThinkPad X1"}}, {"manufacturer", {"Microsoft", "Lenovo"}},
        {"deviceId", {"dev-1", "dev-3"}},             {"deviceOwnership", {"Company", "Personal"}},
        {"operatingSystem", {"Windows", "iOS"}},     {"extensionAttribute1", {"red", "green"}},
        {"displayName", {"LAPTOP-1", "phone"}},      {"profileType", {"RegisteredDevice"}},
        {"mdmAppId", {"mdm-1"}}};
    for (const auto& kv : kAttrs) {
      if (Chance(0.4)) (*d->mutable_attributes())[kv.first] = Pick(kv.second);
    }
    if (Chance(0.3)) d->add_physical_ids("[ZDID]:abc");
    if (Chance(0.3)) d->add_system_labels(Chance(0.5) ? "Privileged" : "Kiosk");
  }
  static const vector<string> kPlatforms = {"", "", "android", "iOS", "windows", "macOS", "linux"};
  s->set_platform(Pick(kPlatforms));
  const int app = Uniform(100);
  s->set_client_app_type(app < 60 ? "" : app < 75 ? "browser" : app < 88 ? "mobileAppsAndDesktopClients"
                         : app < 94 ? "exchangeActiveSync" : app < 99 ? "other" : "fax");
  static const vector<string> kIps = {"", "", "10.1.2.3", "192.168.1.7", "8.8.8.8", "2001:db8::5",
                                      "2001:dead::1", "192.168.2.1", "::ffff:10.1.2.3", "2001:DB8::7"};
  s->set_ip(Chance(0.01) ? "1.2.3" : Pick(kIps));
  static const vector<string> kCountries = {"", "FR", "US", "XX", "DE"};
  s->set_country(Pick(kCountries));
  static const vector<string> kRisks = {"", "", "none", "low", "medium", "high"};
  s->set_sign_in_risk(Pick(kRisks));
  s->set_user_risk(Pick(kRisks));
  s->set_service_principal_risk(Pick(kRisks));
  s->set_approved_client_app(Chance(0.4));
  s->set_app_protection_policy(Chance(0.4));
  s->set_password_changed(Chance(0.2));
  if (Chance(0.35)) s->add_accepted_terms("tou-1");
  if (Chance(0.25)) s->add_satisfied_custom_factors("cf-1");
}

string RandomPolicy::RandomClaims() {
  static const vector<string> kClaims = {
      R"({"access_token":{"acrs":{"essential":true,"value":"c1"}}})",
      R"({"access_token":{"acrs":{"essential":true,"value":"c2"}}})",
      R"({"access_token":{"acrs":{"essential":true,"values":["c2","c3"]}}})",
      R"({"access_token":{"acrs":{"values":["c5","c1"]},"xms_cc":{"values":["cp1"]}}})",
      R"({"access_token":{"xms_cc":{"values":["cp1","cp1","x"]}}})",
      R"({"access_token":{"xms_cc":{"values":["cp1"]},"acrs":{"value":"c4"}}})",
      R"({"id_token":{"auth_time":{"essential":true}}})",
      R"({})",
      R"({"access_token":{"acrs":{"value":"c1","values":["c2"]}}})",
      R"({"access_token":{"acrs":{"value":"c0"}}})",
      R"({"access_token":[]})",
      R"({"access_token":{"acrs":{"values":[]}}})",
      R"({"access_token":{"xms_cc":{"values":"cp1"}}})",
      R"({"access_token":)",
      R"([1,2])",
  };
  // Mostly well-formed: the first six.
  return Chance(0.9) ? kClaims[Uniform(6)] : Pick(kClaims);
}

v1::TokenRequest RandomPolicy::Request(const v1::PolicyBundle& b) {
  v1::TokenRequest r;
  r.set_tenant(Chance(0.98) ? (Chance(0.05) ? FlipCase(b.tenant_id(), Next()) : b.tenant_id()) : "t-other");
  r.set_now(kGeneratorNow);
  const int g = Uniform(100);
  const string grant = g < 45 ? "interactive" : g < 65 ? "refresh_token" : g < 80 ? "on_behalf_of"
                       : g < 97 ? "client_credentials" : g < 99 ? "authorization_code" : "password";
  r.set_grant_type(Chance(0.005) ? FlipCase(grant, Next()) : grant);  // wire values are exact
  const int c = Uniform(100);
  string client = c < 97 ? "client-" + std::to_string(Chance(0.85) ? 1 + Uniform(4) : 5)
                  : c < 99 ? "client-unknown" : "";
  // A bundle not made by Bundle() (e.g. policies/contoso): its own apps.
  bool own_names = false;
  for (const auto& reg : b.app_registrations()) own_names = own_names || reg.app_id() == "client-1";
  vector<string> bundle_apps;
  for (const auto& reg : b.app_registrations()) bundle_apps.push_back(reg.app_id());
  if (!own_names && c < 97 && !bundle_apps.empty()) client = Pick(bundle_apps);
  if ((grant == "client_credentials" || grant == "on_behalf_of") && c < 97 && Chance(0.8)) {
    // Prefer confidential clients where E4 needs one.
    vector<string> conf;
    for (const auto& reg : b.app_registrations()) {
      if (reg.client_type() == "confidential" && (!own_names || reg.app_id().rfind("client-", 0) == 0)) {
        conf.push_back(reg.app_id());
      }
    }
    if (!conf.empty()) client = Pick(conf);
  }
  r.set_client_id(Chance(0.05) ? FlipCase(client, Next()) : client);
  bool confidential = false;
  vector<string> client_uris;
  for (const auto& reg : b.app_registrations()) {
    if (reg.app_id() == client) {
      confidential = reg.client_type() == "confidential";
      for (const string& u : reg.identifier_uris()) client_uris.push_back(u);
    }
  }
  r.set_client_authenticated(confidential ? Chance(0.9) : Chance(0.1));
  r.set_scope(RandomScope(b, grant == "authorization_code" ? "interactive" : grant));
  if (grant == "refresh_token" && Chance(0.3)) {
    r.set_refresh_token_scope(r.scope().empty() ? RandomScope(b, grant) : r.scope());
    r.clear_scope();
  }
  if (grant != "client_credentials" && Chance(0.98)) RandomUser(b, client, r.scope(), r.mutable_user());
  if (grant == "on_behalf_of" && Chance(0.97)) {
    v1::Assertion* a = r.mutable_assertion();
    a->set_kind(Chance(0.95) ? "access_token" : "id_token");
    a->set_aud(Chance(0.93) ? (!client_uris.empty() && Chance(0.4) ? client_uris[0] : client)
                            : "https://graph.microsoft.com");
    a->set_tid(Chance(0.96) ? kTenant : "t-other");
    a->set_subject_type(Chance(0.95) ? "user" : "app");
    a->set_subject_id(r.has_user() && Chance(0.95) ? r.user().id() : "u-mallory");
    a->set_exp(Chance(0.95) ? "2025-03-03T11:00:00Z" : "2025-03-03T09:00:00Z");
    RandomSession(a->mutable_session());
    if (Chance(0.3)) RandomSession(r.mutable_session());  // ignored on OBO (O6)
  } else if (Chance(0.95)) {
    RandomSession(r.mutable_session());
  }
  const int p = Uniform(100);
  static const vector<string> kPrompts = {"none", "consent", "consent", "login", "select_account"};
  if (p < 45) r.set_prompt(Chance(0.1) ? (Chance(0.5) ? "none consent" : "Consent") : Pick(kPrompts));
  if (Chance(0.25)) r.set_claims(RandomClaims());
  if (Chance(0.2)) {
    static const vector<string> kAcr = {"c1", "c2 c3", "c4 c1", "c5", "c9", "c1  c2", "c3", "c2"};
    r.set_acr_values(Chance(0.03) ? "c0" : Pick(kAcr));
  }
  if (Chance(0.12)) {
    static const vector<string> kMaxAge = {"3600", "0", "86400", "600", "28800", "3600", "abc",
                                           "99999999999999999999"};
    r.set_max_age(Pick(kMaxAge));
  }
  if (Chance(0.05)) r.set_consent_response("declined");
  r.set_consent_request_pending(Chance(0.15));
  return r;
}

}  // namespace differential
}  // namespace consent
