// Bundle -> CompiledPolicyImpl, with validation that collects every problem.
//
// Each check names the field path and the offending value; the bundle is
// rejected whole when any check fails. Compile-time work is unbounded in
// effort (it runs off the serving path) but bounded in size by
// EngineOptions::max_bundle_elements.

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "engine/ca/conditional_access.h"
#include "engine/compiled_policy_impl.h"
#include "engine/internal/ascii.h"
#include "engine/internal/problems.h"
#include "engine/internal/time.h"
#include "engine/policy_engine.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"

namespace consent {

using internal::Field;
using internal::Index;
using internal::ProblemList;
using internal::Quote;

namespace {

bool IsOidcValue(absl::string_view v) {
  return absl::EqualsIgnoreCase(v, "openid") || absl::EqualsIgnoreCase(v, "profile") ||
         absl::EqualsIgnoreCase(v, "email") || absl::EqualsIgnoreCase(v, "offline_access");
}

// Scope values and identifiers must be valid scope-token bytes (P1).
bool IsScopeTokenText(absl::string_view v) {
  if (v.empty()) return false;
  for (unsigned char c : v) {
    if (c < 0x21 || c > 0x7e || c == '"' || c == '\\') return false;
  }
  return true;
}

std::optional<Classification> ParseClassification(absl::string_view s) {
  if (s.empty()) return Classification::kNone;
  if (absl::EqualsIgnoreCase(s, "low")) return Classification::kLow;
  if (absl::EqualsIgnoreCase(s, "medium")) return Classification::kMedium;
  if (absl::EqualsIgnoreCase(s, "high")) return Classification::kHigh;
  return std::nullopt;
}

size_t WordsFor(size_t n) { return (n + 63) / 64; }

}  // namespace

// Builds a CompiledPolicyImpl. Friend of CompiledPolicy.
class PolicyCompiler {
 public:
  PolicyCompiler(const v1::PolicyBundle& bundle, const EngineOptions& options)
      : b_(bundle), impl_(std::make_unique<CompiledPolicyImpl>()) {
    impl_->options = options;
  }

  std::unique_ptr<CompiledPolicyImpl> Compile(ProblemList* problems) {
    p_ = problems;
    CheckSizes();
    impl_->tenant_id = b_.tenant_id();
    impl_->version = b_.version();
    if (b_.tenant_id().empty()) p_->Add("tenant_id", "required");
    InternTenant(b_.tenant_id());
    CompileApps();
    CompileResources();
    ResolveStaticSets();
    CompileGrants();
    CompileGrantPolicies();
    CompileConsentSettings();
    CompileCa();
    if (!p_->empty()) return nullptr;
    impl_->compiled_bytes = EstimateBytes();
    return std::move(impl_);
  }

  static std::shared_ptr<const CompiledPolicy> Wrap(std::unique_ptr<CompiledPolicyImpl> impl) {
    return std::shared_ptr<const CompiledPolicy>(new CompiledPolicy(std::move(impl)));
  }

 private:
  void CheckSizes() {
    const size_t max = impl_->options.max_bundle_elements;
    auto check = [&](absl::string_view name, int n) {
      if (static_cast<size_t>(n) > max) {
        p_->Add(std::string(name), absl::StrCat(n, " elements exceed the limit max_bundle_elements=", max));
      }
    };
    check("app_registrations", b_.app_registrations_size());
    check("service_principals", b_.service_principals_size());
    check("resources", b_.resources_size());
    check("tenant_wide_grants", b_.tenant_wide_grants_size());
    check("app_role_assignments", b_.app_role_assignments_size());
    check("permission_grant_policies", b_.permission_grant_policies_size());
    check("conditional_access_policies", b_.conditional_access_policies_size());
    check("named_locations", b_.named_locations_size());
    check("custom_roles", b_.custom_roles_size());
  }

  int32_t InternTenant(absl::string_view t) {
    auto [it, inserted] = impl_->tenant_ids.try_emplace(std::string(t), 0);
    if (inserted) it->second = static_cast<int32_t>(impl_->tenant_ids.size() - 1);
    return it->second;
  }
  int32_t InternMpn(absl::string_view m) {
    auto [it, inserted] = impl_->mpn_ids.try_emplace(std::string(m), 0);
    if (inserted) it->second = static_cast<int32_t>(impl_->mpn_ids.size() - 1);
    return it->second;
  }

  AppIndex AddApp(absl::string_view app_id) {
    auto it = impl_->app_by_id.find(app_id);
    if (it != impl_->app_by_id.end()) return it->second;
    const AppIndex idx = static_cast<AppIndex>(impl_->apps.size());
    impl_->apps.emplace_back();
    impl_->apps.back().app_id = std::string(app_id);
    impl_->apps.back().display = std::string(app_id);
    impl_->app_by_id.emplace(std::string(app_id), idx);
    return idx;
  }

  void CompileApps() {
    // Registrations.
    for (int i = 0; i < b_.app_registrations_size(); ++i) {
      const v1::AppRegistration& r = b_.app_registrations(i);
      const std::string path = Index("app_registrations", i);
      if (r.app_id().empty()) {
        p_->Add(Field(path, "app_id"), "required");
        continue;
      }
      if (!IsScopeTokenText(r.app_id())) {
        p_->Add(Field(path, "app_id"), absl::StrCat("invalid identifier ", Quote(r.app_id())));
        continue;
      }
      if (impl_->app_by_id.contains(r.app_id()) &&
          impl_->app(impl_->FindApp(r.app_id())).registered) {
        p_->Add(Field(path, "app_id"), absl::StrCat("duplicate app registration ", Quote(r.app_id())));
        continue;
      }
      const AppIndex idx = AddApp(r.app_id());
      registration_of_.try_emplace(r.app_id(), i);
      AppDef& a = impl_->apps[idx];
      a.registered = true;
      ++impl_->app_registration_count;
      a.home_tenant = r.home_tenant();
      a.home_tenant_id = InternTenant(r.home_tenant());
      a.home_is_this_tenant = internal::EqualsIgnoreCase(r.home_tenant(), b_.tenant_id());
      if (r.audience().empty() || absl::EqualsIgnoreCase(r.audience(), "single")) {
        a.multi_tenant = false;
      } else if (absl::EqualsIgnoreCase(r.audience(), "multi")) {
        a.multi_tenant = true;
      } else {
        p_->Add(Field(path, "audience"), absl::StrCat("must be \"single\" or \"multi\", not ", Quote(r.audience())));
      }
      if (r.client_type().empty() || absl::EqualsIgnoreCase(r.client_type(), "public")) {
        a.confidential = false;
      } else if (absl::EqualsIgnoreCase(r.client_type(), "confidential")) {
        a.confidential = true;
      } else {
        p_->Add(Field(path, "client_type"),
                absl::StrCat("must be \"public\" or \"confidential\", not ", Quote(r.client_type())));
      }
      a.publisher_verified = r.publisher_verified();
      if (!r.mpn_id().empty()) a.mpn_id = InternMpn(r.mpn_id());
      a.m365_certified = r.m365_certified();
      if (!r.created().empty()) {
        std::optional<int64_t> days = internal::ParseDate(r.created());
        if (!days) {
          p_->Add(Field(path, "created"), absl::StrCat("not a YYYY-MM-DD date: ", Quote(r.created())));
        } else {
          a.created_days = *days;
        }
      }
      for (int j = 0; j < r.identifier_uris_size(); ++j) {
        if (!IsScopeTokenText(r.identifier_uris(j))) {
          p_->Add(Index(Field(path, "identifier_uris"), j),
                  absl::StrCat("invalid identifier URI ", Quote(r.identifier_uris(j))));
        }
      }
      if (r.identifier_uris_size() > 0) a.display = r.identifier_uris(0);
      for (const std::string& k : r.known_client_app_ids()) a.known_client_app_ids.insert(k);
    }
    // Service principals.
    for (int i = 0; i < b_.service_principals_size(); ++i) {
      const v1::ServicePrincipal& s = b_.service_principals(i);
      const std::string path = Index("service_principals", i);
      const AppIndex idx = impl_->FindApp(s.app_id());
      if (s.app_id().empty()) {
        p_->Add(Field(path, "app_id"), "required");
        continue;
      }
      if (idx == kNoApp || !impl_->app(idx).registered) {
        p_->Add(Field(path, "app_id"), absl::StrCat("no app registration ", Quote(s.app_id())));
        continue;
      }
      AppDef& a = impl_->apps[idx];
      if (a.has_sp) {
        p_->Add(Field(path, "app_id"), absl::StrCat("duplicate service principal for ", Quote(s.app_id())));
        continue;
      }
      a.has_sp = true;
      ++impl_->sp_count;
      a.sp_enabled = !s.has_enabled() || s.enabled();
      a.assignment_required = s.app_role_assignment_required();
      a.managed_identity = s.managed_identity();
      a.object_id = s.object_id();
      for (const std::string& o : s.owners()) a.owners.insert(o);
      // P4: identifiers of present apps.
      AddIdentifier(path, a.app_id, idx);
      const v1::AppRegistration* reg = FindRegistration(s.app_id());
      if (reg != nullptr) {
        for (const std::string& uri : reg->identifier_uris()) AddIdentifier(path, uri, idx);
      }
    }
    // Well-known apps always have an index (CA may target them).
    impl_->graph = AddApp(kGraphAppId);
    impl_->aad_graph = AddApp(kAadGraphAppId);
    impl_->exo = AddApp(kExoAppId);
  }

  const v1::AppRegistration* FindRegistration(absl::string_view app_id) const {
    auto it = registration_of_.find(app_id);
    return it == registration_of_.end() ? nullptr : &b_.app_registrations(it->second);
  }

  void AddIdentifier(const std::string& path, const std::string& ident, AppIndex idx) {
    auto [it, inserted] = impl_->sp_by_identifier.try_emplace(ident, idx);
    if (!inserted && it->second != idx) {
      p_->Add(path, absl::StrCat("identifier ", Quote(ident), " already names app ",
                                 Quote(impl_->app(it->second).app_id)));
    }
  }

  void CompileResources() {
    for (int i = 0; i < b_.resources_size(); ++i) {
      const v1::ResourceApi& r = b_.resources(i);
      const std::string path = Index("resources", i);
      const AppIndex idx = impl_->FindApp(r.app_id());
      if (r.app_id().empty()) {
        p_->Add(Field(path, "app_id"), "required");
        continue;
      }
      if (idx == kNoApp || !impl_->app(idx).registered) {
        p_->Add(Field(path, "app_id"), absl::StrCat("no app registration ", Quote(r.app_id())));
        continue;
      }
      if (impl_->app(idx).resource >= 0) {
        p_->Add(Field(path, "app_id"), absl::StrCat("duplicate resource API for ", Quote(r.app_id())));
        continue;
      }
      impl_->apps[idx].resource = static_cast<int32_t>(impl_->resources.size());
      impl_->resources.emplace_back();
      ResourceDef& res = impl_->resources.back();
      res.app = idx;
      const bool is_graph = idx == impl_->graph;
      const AppDef& app = impl_->app(idx);
      for (int j = 0; j < r.scopes_size(); ++j) {
        const v1::DelegatedScope& s = r.scopes(j);
        const std::string sp = Index(Field(path, "scopes"), j);
        ScopeDef d;
        d.id = s.id();
        d.value = s.value();
        if (s.id().empty()) p_->Add(Field(sp, "id"), "required");
        if (s.value().empty()) {
          p_->Add(Field(sp, "value"), "required");
        } else if (!IsScopeTokenText(s.value()) || absl::StrContains(s.value(), "/")) {
          p_->Add(Field(sp, "value"), absl::StrCat("not a valid scope value: ", Quote(s.value())));
        } else if (absl::EqualsIgnoreCase(s.value(), ".default")) {
          p_->Add(Field(sp, "value"), "\".default\" is reserved for the static permission set");
        }
        d.admin_only = s.admin_only();
        d.enabled = !s.has_enabled() || s.enabled();
        std::optional<Classification> cls = ParseClassification(s.classification());
        if (!cls) {
          p_->Add(Field(sp, "classification"),
                  absl::StrCat("must be \"low\", \"medium\" or \"high\", not ", Quote(s.classification())));
        } else {
          d.classification = *cls;
          if (*cls != Classification::kNone && s.admin_only()) {
            p_->Add(Field(sp, "classification"),
                    absl::StrCat("an admin-only scope cannot be classified (", Quote(s.classification()), ")"));
          }
        }
        d.oidc = is_graph && IsOidcValue(s.value());
        d.basic = is_graph && (d.oidc || absl::EqualsIgnoreCase(s.value(), "User.Read"));
        d.prompt_name = is_graph ? s.value() : absl::StrCat(app.display, "/", s.value());
        for (int k = 0; k < s.ca_targets_size(); ++k) {
          const AppIndex t = impl_->FindApp(s.ca_targets(k));
          if (t == kNoApp) {
            p_->Add(Index(Field(sp, "ca_targets"), k), absl::StrCat("unknown app ", Quote(s.ca_targets(k))));
          } else {
            d.ca_targets.push_back(t);
          }
        }
        const uint32_t si = static_cast<uint32_t>(res.scopes.size());
        if (!s.value().empty() && !res.scope_by_value.try_emplace(s.value(), si).second) {
          p_->Add(Field(sp, "value"), absl::StrCat("duplicate scope value ", Quote(s.value())));
        }
        if (!s.id().empty() && !res.scope_by_id.try_emplace(s.id(), si).second) {
          p_->Add(Field(sp, "id"), absl::StrCat("duplicate scope id ", Quote(s.id())));
        }
        res.scopes.push_back(std::move(d));
      }
      for (int j = 0; j < r.app_roles_size(); ++j) {
        const v1::AppRole& ro = r.app_roles(j);
        const std::string rp = Index(Field(path, "app_roles"), j);
        RoleDef d;
        d.id = ro.id();
        d.value = ro.value();
        d.enabled = !ro.has_enabled() || ro.enabled();
        if (ro.id().empty()) p_->Add(Field(rp, "id"), "required");
        if (ro.value().empty()) p_->Add(Field(rp, "value"), "required");
        if (absl::EqualsIgnoreCase(ro.id(), "default")) {
          p_->Add(Field(rp, "id"), "\"default\" names the default-access role and cannot be an app role id");
        }
        if (ro.allowed_member_types_size() == 0) {
          p_->Add(Field(rp, "allowed_member_types"), "at least one of \"User\", \"Application\" is required");
        }
        for (int k = 0; k < ro.allowed_member_types_size(); ++k) {
          const std::string& t = ro.allowed_member_types(k);
          if (absl::EqualsIgnoreCase(t, "User")) {
            d.user = true;
          } else if (absl::EqualsIgnoreCase(t, "Application")) {
            d.application = true;
          } else {
            p_->Add(Index(Field(rp, "allowed_member_types"), k),
                    absl::StrCat("must be \"User\" or \"Application\", not ", Quote(t)));
          }
        }
        const uint32_t ri = static_cast<uint32_t>(res.roles.size());
        if (!ro.id().empty() && !res.role_by_id.try_emplace(ro.id(), ri).second) {
          p_->Add(Field(rp, "id"), absl::StrCat("duplicate app role id ", Quote(ro.id())));
        }
        if (!ro.value().empty() && !res.role_by_value.try_emplace(ro.value(), ri).second) {
          p_->Add(Field(rp, "value"), absl::StrCat("duplicate app role value ", Quote(ro.value())));
        }
        res.roles.push_back(std::move(d));
      }
      res.scope_words = static_cast<uint32_t>(WordsFor(res.scopes.size()));
      res.role_words = static_cast<uint32_t>(WordsFor(res.roles.size()));
      res.enabled_scopes.assign(res.scope_words, 0);
      for (uint32_t s = 0; s < res.scopes.size(); ++s) {
        if (res.scopes[s].enabled) SetBit(res.enabled_scopes.data(), s);
      }
      for (int j = 0; j < r.pre_authorized_size(); ++j) {
        const v1::PreAuthorizedClient& pa = r.pre_authorized(j);
        const std::string pp = Index(Field(path, "pre_authorized"), j);
        const AppIndex c = impl_->FindApp(pa.client_app_id());
        if (c == kNoApp || !impl_->app(c).registered) {
          p_->Add(Field(pp, "client_app_id"), absl::StrCat("no app registration ", Quote(pa.client_app_id())));
          continue;
        }
        Bits& bits = res.pre_authorized[c];
        bits.resize(res.scope_words, 0);
        for (int k = 0; k < pa.scope_ids_size(); ++k) {
          auto it = res.scope_by_id.find(pa.scope_ids(k));
          if (it == res.scope_by_id.end()) {
            p_->Add(Index(Field(pp, "scope_ids"), k),
                    absl::StrCat("no delegated scope with id ", Quote(pa.scope_ids(k)), " on this resource"));
          } else {
            SetBit(bits.data(), it->second);
          }
        }
      }
      res.acrs_optional_claim = r.acrs_optional_claim();
      res.xms_cc_optional_claim = r.xms_cc_optional_claim();
      std::optional<ca::ChallengeFormat> fmt = ca::ParseChallengeFormat(r.challenge_format());
      if (!fmt) {
        p_->Add(Field(path, "challenge_format"),
                absl::StrCat("must be \"entra\", \"rfc9470\" or \"both\", not ", Quote(r.challenge_format())));
      } else {
        res.challenge_format = *fmt;
      }
    }
  }

  // N2: each app's own static delegated entries, and combined-consent
  // partners (apps of its required resources that name it a known client).
  void ResolveStaticSets() {
    for (int i = 0; i < b_.app_registrations_size(); ++i) {
      const v1::AppRegistration& r = b_.app_registrations(i);
      const AppIndex idx = impl_->FindApp(r.app_id());
      if (idx == kNoApp) continue;
      AppDef& a = impl_->apps[idx];
      if (!a.static_resources.empty() || !a.static_delegated.empty()) continue;  // duplicate reg
      const std::string path = Index("app_registrations", i);
      for (int j = 0; j < r.required_resource_access_size(); ++j) {
        const v1::RequiredResourceAccess& rra = r.required_resource_access(j);
        const std::string rp = Index(Field(path, "required_resource_access"), j);
        if (rra.resource_app_id().empty()) {
          p_->Add(Field(rp, "resource_app_id"), "required");
          continue;
        }
        const AppIndex res_idx = impl_->FindApp(rra.resource_app_id());
        if (res_idx != kNoApp &&
            std::find(a.static_resources.begin(), a.static_resources.end(), res_idx) ==
                a.static_resources.end()) {
          a.static_resources.push_back(res_idx);
        }
        const ResourceDef* res = res_idx == kNoApp ? nullptr : impl_->resource_of(res_idx);
        const bool usable_resource =
            res != nullptr && impl_->app(res_idx).has_sp && impl_->app(res_idx).sp_enabled;
        for (const std::string& v : rra.scopes()) {
          bool ok = false;
          if (usable_resource) {
            auto it = res->scope_by_value.find(v);
            if (it != res->scope_by_value.end() && res->scopes[it->second].enabled) {
              a.static_delegated.push_back({res_idx, it->second});
              ok = true;
            }
          }
          if (!ok) {
            // Skipped at request time and named in the explanation (N2).
            a.static_skipped.push_back(absl::StrCat(
                res_idx == kNoApp ? rra.resource_app_id() : impl_->app(res_idx).display, "/", v));
          }
        }
      }
    }
    // Combined consent partners: for client C, every API A in C's list whose
    // registration names C in known_client_app_ids.
    for (AppIndex c = 0; c < static_cast<AppIndex>(impl_->apps.size()); ++c) {
      AppDef& client = impl_->apps[c];
      for (AppIndex a : client.static_resources) {
        if (a == c) continue;
        const AppDef& api = impl_->app(a);
        if (api.registered && api.known_client_app_ids.contains(client.app_id)) {
          client.known_client_of.push_back(a);
        }
      }
    }
  }

  // A grant's or assignment's client must have an SP, its resource must be
  // a resource API with an SP; each missing party is a problem at `path`.
  bool ResolveGrantParties(const std::string& path, const std::string& client_id,
                           const std::string& resource_id, AppIndex* client, AppIndex* resource) {
    *client = impl_->FindApp(client_id);
    *resource = impl_->FindApp(resource_id);
    bool ok = true;
    if (*client == kNoApp || !impl_->app(*client).has_sp) {
      p_->Add(Field(path, "client_app_id"), absl::StrCat("no service principal ", Quote(client_id)));
      ok = false;
    }
    if (*resource == kNoApp || impl_->resource_of(*resource) == nullptr || !impl_->app(*resource).has_sp) {
      p_->Add(Field(path, "resource_app_id"),
              absl::StrCat("no resource API with a service principal ", Quote(resource_id)));
      ok = false;
    }
    return ok;
  }

  void CompileGrants() {
    for (int i = 0; i < b_.tenant_wide_grants_size(); ++i) {
      const v1::TenantWideGrant& g = b_.tenant_wide_grants(i);
      const std::string path = Index("tenant_wide_grants", i);
      AppIndex c, r;
      if (!ResolveGrantParties(path, g.client_app_id(), g.resource_app_id(), &c, &r)) continue;
      ResourceDef& rd = impl_->resources[impl_->app(r).resource];
      TenantGrantSet& set = rd.tenant_grants[c];
      set.scopes.resize(rd.scope_words, 0);
      set.ids.push_back(g.id().empty() ? absl::StrCat("tenant_wide_grants[", i, "]") : g.id());
      for (absl::string_view v : absl::StrSplit(g.scope(), ' ', absl::SkipEmpty())) {
        auto it = rd.scope_by_value.find(v);
        if (it == rd.scope_by_value.end()) {
          p_->Add(Field(path, "scope"), absl::StrCat("no delegated scope ", Quote(v), " on resource ",
                                                     Quote(g.resource_app_id())));
        } else {
          SetBit(set.scopes.data(), it->second);
        }
      }
    }
    for (int i = 0; i < b_.app_role_assignments_size(); ++i) {
      const v1::ServicePrincipalRoleAssignment& g = b_.app_role_assignments(i);
      const std::string path = Index("app_role_assignments", i);
      AppIndex c, r;
      if (!ResolveGrantParties(path, g.client_app_id(), g.resource_app_id(), &c, &r)) continue;
      ResourceDef& rd = impl_->resources[impl_->app(r).resource];
      SpRoleSet& set = rd.sp_roles[c];
      set.roles.resize(rd.role_words, 0);
      if (g.app_role_id().empty() || absl::EqualsIgnoreCase(g.app_role_id(), "default")) {
        set.default_access = true;
        continue;
      }
      auto it = rd.role_by_id.find(g.app_role_id());
      if (it == rd.role_by_id.end()) {
        p_->Add(Field(path, "app_role_id"), absl::StrCat("no app role with id ", Quote(g.app_role_id()),
                                                        " on resource ", Quote(g.resource_app_id())));
      } else {
        SetBit(set.roles.data(), it->second);
      }
    }
  }

  void CompileConditionSet(const v1::PermissionGrantConditionSet& cs, const std::string& path,
                           const std::string& label, ConditionSetDef* d) {
    d->label = label;
    const std::string& t = cs.permission_type();
    if (absl::EqualsIgnoreCase(t, "delegated")) {
      d->type = ConditionSetDef::Type::kDelegated;
    } else if (absl::EqualsIgnoreCase(t, "delegatedUserConsentable")) {
      d->type = ConditionSetDef::Type::kDelegatedUserConsentable;
    } else if (absl::EqualsIgnoreCase(t, "application")) {
      d->type = ConditionSetDef::Type::kApplication;
    } else if (t.empty()) {
      p_->Add(Field(path, "permission_type"), "required");
    } else {
      p_->Add(Field(path, "permission_type"),
              absl::StrCat("must be \"delegated\", \"delegatedUserConsentable\" or \"application\", not ",
                           Quote(t)));
    }
    const std::string& c = cs.permission_classification();
    if (c.empty() || absl::EqualsIgnoreCase(c, "all")) {
      d->classification_mask = 0x0f;
    } else {
      std::optional<Classification> cls = ParseClassification(c);
      if (!cls || *cls == Classification::kNone) {
        p_->Add(Field(path, "permission_classification"),
                absl::StrCat("must be \"low\", \"medium\", \"high\" or \"all\", not ", Quote(c)));
      } else {
        d->classification_mask = static_cast<uint8_t>(1u << static_cast<int>(*cls));
      }
    }
    // Resource.
    const std::string& ra = cs.resource_application();
    if (ra.empty() || absl::EqualsIgnoreCase(ra, "any")) {
      d->any_resource = true;
    } else {
      d->any_resource = false;
      d->resource = impl_->FindApp(ra);
      if (d->resource == kNoApp) {
        p_->Add(Field(path, "resource_application"), absl::StrCat("unknown app ", Quote(ra)));
      }
    }
    const bool application = d->type == ConditionSetDef::Type::kApplication;
    auto all_list = [](const google::protobuf::RepeatedPtrField<std::string>& l) {
      return l.empty() || (l.size() == 1 && absl::EqualsIgnoreCase(l[0], "all"));
    };
    // Permissions by id and (extension) by value.
    if (!all_list(cs.permissions()) || !cs.permission_values().empty()) {
      d->all_permissions = false;
    }
    if (!all_list(cs.permissions())) {
      for (int k = 0; k < cs.permissions_size(); ++k) {
        const std::string& id = cs.permissions(k);
        bool found = false;
        for (uint32_t r = 0; r < impl_->resources.size(); ++r) {
          const ResourceDef& res = impl_->resources[r];
          if (!d->any_resource && res.app != d->resource) continue;
          const CiMap<uint32_t>& m = application ? res.role_by_id : res.scope_by_id;
          auto it = m.find(id);
          if (it != m.end()) {
            d->permissions.insert((uint64_t{static_cast<uint32_t>(res.app)} << 32) | it->second);
            found = true;
          }
        }
        if (!found) {
          // Fail closed: an unknown id in an exclude would silently allow.
          p_->Add(Index(Field(path, "permissions"), k),
                  absl::StrCat("no ", application ? "app role" : "delegated scope", " with id ", Quote(id),
                               d->any_resource ? " on any resource" : " on the resource"));
        }
      }
    }
    if (!cs.permission_values().empty()) {
      if (d->any_resource) {
        p_->Add(Field(path, "permission_values"), "requires resource_application");
      } else if (d->resource != kNoApp) {
        const ResourceDef* res = impl_->resource_of(d->resource);
        for (const std::string& v : cs.permission_values()) {
          if (res == nullptr) break;
          const CiMap<uint32_t>& m = application ? res->role_by_value : res->scope_by_value;
          auto it = m.find(v);
          // Built-ins pin lists of values a tenant may not define: unknown
          // values name nothing requestable and are skipped.
          if (it != m.end()) {
            d->permissions.insert((uint64_t{static_cast<uint32_t>(res->app)} << 32) | it->second);
          }
        }
      }
    }
    if (!all_list(cs.client_application_ids())) {
      d->all_clients = false;
      for (const std::string& id : cs.client_application_ids()) {
        // An app absent from the registry can never be a client (E2).
        const AppIndex a = impl_->FindApp(id);
        if (a != kNoApp) d->clients.insert(a);
      }
    }
    if (!all_list(cs.client_application_tenant_ids())) {
      d->all_tenants = false;
      for (const std::string& id : cs.client_application_tenant_ids()) d->tenants.insert(InternTenant(id));
    }
    if (!all_list(cs.client_application_publisher_ids())) {
      d->all_publishers = false;
      for (const std::string& id : cs.client_application_publisher_ids()) d->publishers.insert(InternMpn(id));
    }
    d->verified_only = cs.client_applications_from_verified_publisher_only();
    d->certified_only = cs.certified_client_applications_only();
    d->this_tenant_only = cs.client_applications_from_this_tenant_only();
  }

  void CompileGrantPolicies() {
    for (int i = 0; i < b_.permission_grant_policies_size(); ++i) {
      const v1::PermissionGrantPolicy& p = b_.permission_grant_policies(i);
      const std::string path = Index("permission_grant_policies", i);
      if (p.id().empty()) {
        p_->Add(Field(path, "id"), "required");
        continue;
      }
      if (!impl_->grant_policy_by_id
               .try_emplace(p.id(), static_cast<int32_t>(impl_->grant_policies.size()))
               .second) {
        p_->Add(Field(path, "id"), absl::StrCat("duplicate permission grant policy ", Quote(p.id())));
        continue;
      }
      GrantPolicyDef def;
      def.id = p.id();
      if (p.includes_size() == 0) p_->Add(Field(path, "includes"), "at least one condition set is required");
      for (int j = 0; j < p.includes_size(); ++j) {
        def.includes.emplace_back();
        CompileConditionSet(p.includes(j), Index(Field(path, "includes"), j),
                            absl::StrCat(p.id(), "/includes[", j, "]"), &def.includes.back());
      }
      for (int j = 0; j < p.excludes_size(); ++j) {
        def.excludes.emplace_back();
        CompileConditionSet(p.excludes(j), Index(Field(path, "excludes"), j),
                            absl::StrCat(p.id(), "/excludes[", j, "]"), &def.excludes.back());
      }
      impl_->grant_policies.push_back(std::move(def));
    }
    auto find = [&](absl::string_view id) -> int32_t {
      auto it = impl_->grant_policy_by_id.find(id);
      return it == impl_->grant_policy_by_id.end() ? -1 : it->second;
    };
    impl_->company_admin_policy = find("microsoft-company-admin");
    impl_->application_admin_policy = find("microsoft-application-admin");
    for (absl::string_view id : {"microsoft-company-admin", "microsoft-application-admin"}) {
      if (find(id) < 0) {
        p_->Add("permission_grant_policies",
                absl::StrCat("built-in policy ", Quote(id),
                             " is missing (it defines the consent authority of SPEC §4); import "
                             "policies/builtin/microsoft.textproto"));
      }
    }
  }

  void CompileConsentSettings() {
    const v1::ConsentSettings& s = b_.consent_settings();
    for (int i = 0; i < s.user_consent_policies_size(); ++i) {
      auto it = impl_->grant_policy_by_id.find(s.user_consent_policies(i));
      if (it == impl_->grant_policy_by_id.end()) {
        p_->Add(Index("consent_settings.user_consent_policies", i),
                absl::StrCat("unknown permission grant policy ", Quote(s.user_consent_policies(i))));
      } else {
        impl_->user_consent_policies.push_back(it->second);
      }
    }
    impl_->admin_consent_workflow = s.admin_consent_workflow_enabled();
    impl_->block_risky = !s.has_block_user_consent_for_risky_apps() || s.block_user_consent_for_risky_apps();
    impl_->builtin_roles = {
        {"Global Administrator", BuiltinRole::kGlobalAdministrator},
        {"Company Administrator", BuiltinRole::kGlobalAdministrator},
        {"Privileged Role Administrator", BuiltinRole::kPrivilegedRoleAdministrator},
        {"Cloud Application Administrator", BuiltinRole::kCloudApplicationAdministrator},
        {"Application Administrator", BuiltinRole::kApplicationAdministrator},
    };
    for (int i = 0; i < b_.custom_roles_size(); ++i) {
      const v1::CustomRole& r = b_.custom_roles(i);
      const std::string path = Index("custom_roles", i);
      if (r.id().empty()) {
        p_->Add(Field(path, "id"), "required");
        continue;
      }
      if (impl_->builtin_roles.contains(r.id())) {
        p_->Add(Field(path, "id"), absl::StrCat("collides with a built-in role name ", Quote(r.id())));
        continue;
      }
      if (!impl_->custom_role_by_id.try_emplace(r.id(), static_cast<int32_t>(impl_->custom_roles.size()))
               .second) {
        p_->Add(Field(path, "id"), absl::StrCat("duplicate custom role ", Quote(r.id())));
        continue;
      }
      CustomRoleDef def;
      def.id = r.id();
      for (int j = 0; j < r.permissions_size(); ++j) {
        const std::string& perm = r.permissions(j);
        const std::string pp = Index(Field(path, "permissions"), j);
        constexpr absl::string_view kSelf = "managePermissionGrantsForSelf.";
        constexpr absl::string_view kAll = "managePermissionGrantsForAll.";
        std::vector<int32_t>* target = nullptr;
        absl::string_view policy;
        if (absl::StartsWithIgnoreCase(perm, kSelf)) {
          target = &def.self_policies;
          policy = absl::string_view(perm).substr(kSelf.size());
        } else if (absl::StartsWithIgnoreCase(perm, kAll)) {
          target = &def.all_policies;
          policy = absl::string_view(perm).substr(kAll.size());
        } else {
          p_->Add(pp, absl::StrCat("must be managePermissionGrantsForSelf.{policy} or "
                                   "managePermissionGrantsForAll.{policy}, not ",
                                   Quote(perm)));
          continue;
        }
        auto it = impl_->grant_policy_by_id.find(policy);
        if (it == impl_->grant_policy_by_id.end()) {
          p_->Add(pp, absl::StrCat("unknown permission grant policy ", Quote(policy)));
        } else {
          target->push_back(it->second);
        }
      }
      impl_->custom_roles.push_back(std::move(def));
    }
  }

  void CompileCa() {
    ca::CaCompileEnv env;
    env.tenant_id = b_.tenant_id();
    const CompiledPolicyImpl* impl = impl_.get();
    env.resolve_app = [impl](absl::string_view id) { return impl->FindApp(id); };
    impl_->ca = ca::CompiledCa::Compile(b_, env, impl_->options, p_);
  }

  size_t EstimateBytes() const {
    size_t n = sizeof(CompiledPolicyImpl);
    n += impl_->apps.capacity() * sizeof(AppDef);
    for (const AppDef& a : impl_->apps) {
      n += a.app_id.capacity() + a.display.capacity() + a.home_tenant.capacity() + a.object_id.capacity();
      n += a.static_delegated.capacity() * sizeof(StaticEntry);
      n += a.owners.capacity() * 40 + a.known_client_app_ids.capacity() * 40;
    }
    n += impl_->resources.capacity() * sizeof(ResourceDef);
    for (const ResourceDef& r : impl_->resources) {
      n += r.scopes.capacity() * sizeof(ScopeDef);
      for (const ScopeDef& s : r.scopes) n += s.id.capacity() + s.value.capacity() + s.prompt_name.capacity();
      n += r.roles.capacity() * sizeof(RoleDef);
      n += (r.scope_by_value.capacity() + r.scope_by_id.capacity()) * (sizeof(std::string) + 8);
      n += (r.pre_authorized.size() + r.tenant_grants.size() + r.sp_roles.size()) * (64 + 8 * r.scope_words);
    }
    n += (impl_->app_by_id.capacity() + impl_->sp_by_identifier.capacity()) * (sizeof(std::string) + 8);
    for (const GrantPolicyDef& g : impl_->grant_policies) {
      n += sizeof(GrantPolicyDef) + (g.includes.size() + g.excludes.size()) * sizeof(ConditionSetDef);
      for (const auto& c : g.includes) n += c.permissions.capacity() * 9;
      for (const auto& c : g.excludes) n += c.permissions.capacity() * 9;
    }
    if (impl_->ca) n += impl_->ca->ByteSize();
    return n;
  }

  const v1::PolicyBundle& b_;
  std::unique_ptr<CompiledPolicyImpl> impl_;
  ProblemList* p_ = nullptr;
  // app_id -> index in b_.app_registrations() (first registration wins).
  CiMap<int> registration_of_;
};

CompiledPolicy::CompiledPolicy(std::unique_ptr<const CompiledPolicyImpl> impl) : impl_(std::move(impl)) {}
CompiledPolicy::~CompiledPolicy() = default;

const std::string& CompiledPolicy::tenant_id() const { return impl_->tenant_id; }
const std::string& CompiledPolicy::version() const { return impl_->version; }

PolicyStats CompiledPolicy::stats() const {
  PolicyStats s;
  s.apps = impl_->app_registration_count;
  s.service_principals = impl_->sp_count;
  s.resources = static_cast<int>(impl_->resources.size());
  for (const ResourceDef& r : impl_->resources) s.scopes += static_cast<int>(r.scopes.size());
  s.grant_policies = static_cast<int>(impl_->grant_policies.size());
  s.ca_policies = impl_->ca ? impl_->ca->policy_count() : 0;
  s.named_locations = impl_->ca ? impl_->ca->named_location_count() : 0;
  s.compiled_bytes = impl_->compiled_bytes;
  return s;
}

absl::StatusOr<std::shared_ptr<const CompiledPolicy>> CompilePolicy(const v1::PolicyBundle& bundle,
                                                                    const EngineOptions& options) {
  ProblemList problems;
  PolicyCompiler compiler(bundle, options);
  std::unique_ptr<CompiledPolicyImpl> impl = compiler.Compile(&problems);
  if (!problems.empty() || impl == nullptr) {
    if (problems.empty()) problems.Add("", "compilation failed");
    return problems.ToStatus();
  }
  return PolicyCompiler::Wrap(std::move(impl));
}

std::vector<BundleProblem> ValidateBundle(const v1::PolicyBundle& bundle, const EngineOptions& options) {
  ProblemList problems;
  PolicyCompiler compiler(bundle, options);
  compiler.Compile(&problems);
  return problems.Take();
}

// ---------------------------------------------------------------------------
// Files.

namespace {

class CollectingErrors : public google::protobuf::io::ErrorCollector {
 public:
  explicit CollectingErrors(std::string file) : file_(std::move(file)) {}
  void AddError(int line, google::protobuf::io::ColumnNumber column, const std::string& message) override {
    if (!text_.empty()) text_ += "\n";
    absl::StrAppend(&text_, file_, ":", line + 1, ":", column + 1, ": ", message);
  }
  void AddWarning(int line, google::protobuf::io::ColumnNumber column, const std::string& message) override {
    AddError(line, column, message);
  }
  const std::string& text() const { return text_; }

 private:
  std::string file_;
  std::string text_;
};

std::string DirName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

absl::Status LoadOne(const std::string& path, const EngineOptions& options, int depth,
                     std::vector<std::string>* stack, size_t* total_bytes, v1::PolicyBundle* out) {
  if (depth > options.max_import_depth) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": imports nested deeper than max_import_depth=", options.max_import_depth));
  }
  for (const std::string& s : *stack) {
    if (s == path) return absl::InvalidArgumentError(absl::StrCat(path, ": import cycle"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::string text;
  char buf[65536];
  while (in.read(buf, sizeof(buf)) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (*total_bytes + text.size() > options.max_bundle_bytes) {
      return absl::ResourceExhaustedError(absl::StrCat(
          path, ": bundle exceeds max_bundle_bytes=", options.max_bundle_bytes, " (imports included)"));
    }
  }
  *total_bytes += text.size();
  v1::PolicyBundle bundle;
  if (absl::EndsWith(path, ".json")) {
    google::protobuf::util::JsonParseOptions json_options;
    auto status = google::protobuf::util::JsonStringToMessage(text, &bundle, json_options);
    if (!status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", status.ToString()));
    }
  } else {
    google::protobuf::TextFormat::Parser parser;
    CollectingErrors errors(path);
    parser.RecordErrorsTo(&errors);
    if (!parser.ParseFromString(text, &bundle)) {
      return absl::InvalidArgumentError(errors.text().empty() ? absl::StrCat(path, ": parse error")
                                                              : errors.text());
    }
  }
  stack->push_back(path);
  const std::string dir = DirName(path);
  std::vector<std::string> imports(bundle.imports().begin(), bundle.imports().end());
  bundle.clear_imports();
  for (const std::string& imp : imports) {
    const std::string child = !imp.empty() && imp[0] == '/' ? imp : dir + "/" + imp;
    v1::PolicyBundle part;
    absl::Status s = LoadOne(child, options, depth + 1, stack, total_bytes, &part);
    if (!s.ok()) {
      stack->pop_back();
      return absl::Status(s.code(), absl::StrCat(s.message(), "\n  imported by ", path));
    }
    if (!part.tenant_id().empty() && !internal::EqualsIgnoreCase(part.tenant_id(), bundle.tenant_id())) {
      stack->pop_back();
      return absl::InvalidArgumentError(absl::StrCat(child, ": tenant_id ", Quote(part.tenant_id()),
                                                     " differs from the importing bundle's ",
                                                     Quote(bundle.tenant_id())));
    }
    part.clear_tenant_id();
    part.clear_version();
    bundle.MergeFrom(part);
  }
  stack->pop_back();
  *out = std::move(bundle);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::PolicyBundle> LoadBundleFile(const std::string& path, const EngineOptions& options) {
  std::vector<std::string> stack;
  size_t total = 0;
  v1::PolicyBundle bundle;
  absl::Status s = LoadOne(path, options, 0, &stack, &total, &bundle);
  if (!s.ok()) return s;
  return bundle;
}

absl::StatusOr<std::shared_ptr<const CompiledPolicy>> CompilePolicyFile(const std::string& path,
                                                                        const EngineOptions& options) {
  absl::StatusOr<v1::PolicyBundle> bundle = LoadBundleFile(path, options);
  if (!bundle.ok()) return bundle.status();
  absl::StatusOr<std::shared_ptr<const CompiledPolicy>> policy = CompilePolicy(*bundle, options);
  if (!policy.ok()) {
    return absl::Status(policy.status().code(), absl::StrCat(path, ": ", policy.status().message()));
  }
  return policy;
}

}  // namespace consent
