#include "engine/internal/ascii.h"
#include "engine/ca/ca_compiler.h"

#include <algorithm>
#include <atomic>
#include <numeric>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/ca/step_up_params.h"

namespace consent {
namespace ca {
namespace {

using internal::Field;
using internal::Index;
using internal::ProblemList;
using internal::Quote;
using internal::SpecLess;

bool IEq(absl::string_view a, absl::string_view b) { return internal::EqualsIgnoreCase(a, b); }

template <typename Container>
bool HasIgnoreCase(const Container& c, absl::string_view v) {
  for (const auto& x : c) {
    if (IEq(x, v)) return true;
  }
  return false;
}

int32_t Intern(CiMap<int32_t>* dict, absl::string_view key) {
  auto it = dict->find(key);
  if (it != dict->end()) return it->second;
  int32_t id = static_cast<int32_t>(dict->size());
  dict->emplace(std::string(key), id);
  return id;
}

void SortUnique(std::vector<int32_t>* v) {
  std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
}

class Compiler {
 public:
  Compiler(const v1::PolicyBundle& bundle, const CaModelEnv& env,
           const EngineOptions& options, ProblemList* problems)
      : b_(bundle), env_(env), options_(options), p_(problems),
        model_(std::make_unique<CaModel>()) {
    static std::atomic<uint64_t> next_instance_id{1};
    model_->instance_id = next_instance_id.fetch_add(1, std::memory_order_relaxed);
  }

  std::unique_ptr<const CaModel> Run() {
    const size_t before = p_->size();
    CompileStrengths();
    CompileLocations();
    CompileContexts();
    CompileAppGroups();
    CompileWorkloadClients();
    for (int i = 0; i < b_.conditional_access_policies_size(); ++i) CompilePolicy(i);
    if (p_->size() != before) return nullptr;
    Finish();
    return std::move(model_);
  }

 private:
  void Problem(std::string path, std::string message) {
    p_->Add(std::move(path), std::move(message));
  }

  // --- SPEC 2.5 authentication strengths.
  void CompileStrengths() {
    for (BuiltinStrength s : {BuiltinStrength::kMfa, BuiltinStrength::kPasswordless,
                              BuiltinStrength::kPhishingResistant}) {
      model_->strengths.push_back(
          {std::string(BuiltinStrengthName(s)), BuiltinCombinations(s)});
    }
    for (int i = 0; i < b_.authentication_strengths_size(); ++i) {
      const v1::AuthenticationStrength& s = b_.authentication_strengths(i);
      const std::string path = Index("authentication_strengths", i);
      if (s.id().empty()) {
        Problem(Field(path, "id"), "is required");
        continue;
      }
      if (ParseBuiltinStrength(s.id()).has_value()) {
        Problem(Field(path, "id"), absl::StrCat(Quote(s.id()), " is a built-in strength"));
        continue;
      }
      if (strength_index_.contains(s.id())) {
        Problem(Field(path, "id"), absl::StrCat(Quote(s.id()), " is defined twice"));
        continue;
      }
      StrengthModel m{s.id(), {}};
      if (s.allowed_combinations().empty()) {
        Problem(Field(path, "allowed_combinations"), "needs at least one combination");
      }
      for (int k = 0; k < s.allowed_combinations_size(); ++k) {
        std::string error;
        std::optional<MethodSet> set = ParseCombination(s.allowed_combinations(k), &error);
        if (!set) {
          Problem(Index(Field(path, "allowed_combinations"), k),
                  absl::StrCat(Quote(s.allowed_combinations(k)), ": ", error));
          continue;
        }
        m.combinations.push_back(*set);
      }
      strength_index_.emplace(s.id(), static_cast<int32_t>(model_->strengths.size()));
      model_->strengths.push_back(std::move(m));
    }
  }

  std::optional<int32_t> ResolveStrength(absl::string_view id) {
    if (std::optional<BuiltinStrength> b = ParseBuiltinStrength(id)) {
      return static_cast<int32_t>(*b);
    }
    auto it = strength_index_.find(id);
    if (it == strength_index_.end()) return std::nullopt;
    return it->second;
  }

  // --- Named locations.
  void CompileLocations() {
    for (int i = 0; i < b_.named_locations_size(); ++i) {
      const v1::NamedLocation& l = b_.named_locations(i);
      const std::string path = Index("named_locations", i);
      NamedLocationModel m;
      m.id = l.id();
      if (l.id().empty()) Problem(Field(path, "id"), "is required");
      if (location_index_.contains(l.id())) {
        Problem(Field(path, "id"), absl::StrCat(Quote(l.id()), " is defined twice"));
      }
      if (IEq(l.id(), "All") || IEq(l.id(), "AllTrusted")) {
        Problem(Field(path, "id"), absl::StrCat(Quote(l.id()), " is a reserved location name"));
      }
      const bool ip = !l.ip_ranges().empty();
      const bool countries = !l.countries().empty();
      if (ip && countries) {
        Problem(path, "has both ip_ranges and countries; a location is one or the other");
      } else if (!ip && !countries) {
        Problem(path, "needs ip_ranges or countries");
      }
      if (l.is_trusted() && !ip) {
        Problem(Field(path, "is_trusted"), "only IP locations can be trusted");
      }
      if (l.include_unknown() && ip) {
        Problem(Field(path, "include_unknown"), "applies to country locations only");
      }
      std::vector<IpRange> ranges;
      for (int k = 0; k < l.ip_ranges_size(); ++k) {
        std::string error;
        std::optional<IpRange> r = ParseCidr(l.ip_ranges(k), &error);
        if (!r) {
          Problem(Index(Field(path, "ip_ranges"), k),
                  absl::StrCat(Quote(l.ip_ranges(k)), ": ", error));
          continue;
        }
        ranges.push_back(*r);
      }
      for (int k = 0; k < l.countries_size(); ++k) {
        const std::string& c = l.countries(k);
        if (c.size() != 2 || !absl::ascii_isalpha(static_cast<unsigned char>(c[0])) ||
            !absl::ascii_isalpha(static_cast<unsigned char>(c[1]))) {
          Problem(Index(Field(path, "countries"), k),
                  absl::StrCat(Quote(c), " is not an ISO 3166 alpha-2 code"));
          continue;
        }
        m.countries.push_back(absl::AsciiStrToUpper(c));
      }
      m.is_ip = ip;
      m.trusted = l.is_trusted();
      m.include_unknown = l.include_unknown();
      if (l.is_trusted() && ip) {
        trusted_ranges_.insert(trusted_ranges_.end(), ranges.begin(), ranges.end());
      }
      m.ranges = IpRangeSet(std::move(ranges));
      location_index_.emplace(l.id(), static_cast<int32_t>(model_->locations.size()));
      model_->locations.push_back(std::move(m));
    }
    model_->named_location_count = b_.named_locations_size();
    model_->trusted_ranges = IpRangeSet(std::move(trusted_ranges_));
  }

  // --- Authentication contexts.
  void CompileContexts() {
    for (int i = 0; i < b_.authentication_contexts_size(); ++i) {
      const v1::AuthenticationContext& c = b_.authentication_contexts(i);
      const std::string path = Index("authentication_contexts", i);
      if (!IsAuthContextId(c.id())) {
        Problem(Field(path, "id"), absl::StrCat(Quote(c.id()), " is not c1...c99"));
        continue;
      }
      if (model_->context_index.contains(c.id())) {
        Problem(Field(path, "id"), absl::StrCat(Quote(c.id()), " is defined twice"));
        continue;
      }
      model_->context_index.emplace(c.id(), static_cast<int32_t>(model_->contexts.size()));
      model_->contexts.push_back({c.id(), c.is_available(), {}, false, {}});
    }
  }

  // --- App groups: a name stands for its members (C2).
  void CompileAppGroups() {
    for (int i = 0; i < b_.app_groups_size(); ++i) {
      const v1::AppGroup& g = b_.app_groups(i);
      const std::string path = Index("app_groups", i);
      if (g.name().empty()) {
        Problem(Field(path, "name"), "is required");
        continue;
      }
      if (IEq(g.name(), "All") || IEq(g.name(), "None")) {
        Problem(Field(path, "name"), absl::StrCat(Quote(g.name()), " is reserved"));
        continue;
      }
      if (app_groups_.contains(g.name())) {
        Problem(Field(path, "name"), absl::StrCat(Quote(g.name()), " is defined twice"));
        continue;
      }
      std::vector<AppIndex> members;
      for (int k = 0; k < g.app_ids_size(); ++k) {
        if (g.app_ids(k).empty()) {
          Problem(Index(Field(path, "app_ids"), k), "is empty");
          continue;
        }
        AppIndex a = env_.resolve_app(g.app_ids(k));
        if (a >= 0) members.push_back(a);  // absent apps never match
      }
      app_groups_.emplace(g.name(), std::move(members));
    }
  }

  // --- C9: which SPs workload policies cover.
  void CompileWorkloadClients() {
    CiMap<const v1::AppRegistration*> regs;
    for (const v1::AppRegistration& r : b_.app_registrations()) regs.emplace(r.app_id(), &r);
    for (const v1::ServicePrincipal& sp : b_.service_principals()) {
      AppIndex a = env_.resolve_app(sp.app_id());
      if (a < 0) continue;
      WorkloadClientModel w;
      auto it = regs.find(sp.app_id());
      const v1::AppRegistration* reg = it == regs.end() ? nullptr : it->second;
      w.covered = reg != nullptr &&
                  (reg->audience().empty() || IEq(reg->audience(), "single")) &&
                  IEq(reg->home_tenant(), env_.tenant_id) && !sp.managed_identity();
      if (!sp.object_id().empty()) w.object_id = Intern(&model_->sp_object_ids, sp.object_id());
      model_->workload_clients[a] = w;
    }
  }

  // Applications: All / None / app ids / app group names.
  void AddApps(const google::protobuf::RepeatedPtrField<std::string>& list,
               const std::string& path, bool include, CaPolicyModel* m) {
    std::vector<AppIndex>& out = include ? m->include_apps : m->exclude_apps;
    for (int k = 0; k < list.size(); ++k) {
      const std::string& v = list.Get(k);
      const std::string p = Index(path, k);
      if (v.empty()) {
        Problem(p, "is empty");
      } else if (IEq(v, "All")) {
        if (include) {
          m->apps_all = true;
        } else {
          Problem(p, "\"All\" cannot be excluded");
        }
      } else if (IEq(v, "None")) {
        if (!include) Problem(p, "\"None\" cannot be excluded");
      } else if (auto g = app_groups_.find(v); g != app_groups_.end()) {
        out.insert(out.end(), g->second.begin(), g->second.end());
      } else {
        AppIndex a = env_.resolve_app(v);
        if (a >= 0) out.push_back(a);  // apps absent from the bundle never match
      }
    }
    SortUnique(&out);
  }

  void AddGuests(const v1::GuestsOrExternalUsers& g, const std::string& path,
                 GuestCondition* out) {
    for (int k = 0; k < g.guest_or_external_user_types_size(); ++k) {
      const std::string& t = g.guest_or_external_user_types(k);
      int bit = -1;
      for (int j = 0; j < 6; ++j) {
        if (IEq(t, kExternalKinds[j])) bit = j;
      }
      if (bit < 0) {
        Problem(Index(Field(path, "guest_or_external_user_types"), k),
                absl::StrCat(Quote(t), " is not an external user kind"));
        continue;
      }
      out->kinds |= 1u << bit;
    }
    if (out->kinds == 0 && !g.external_tenants().empty()) {
      Problem(Field(path, "external_tenants"), "needs guest_or_external_user_types");
    }
    for (const std::string& t : g.external_tenants()) out->tenants.push_back(t);
  }

  void AddIds(const google::protobuf::RepeatedPtrField<std::string>& list,
              const std::string& path, CiMap<int32_t>* dict, std::vector<int32_t>* out) {
    for (int k = 0; k < list.size(); ++k) {
      if (list.Get(k).empty()) {
        Problem(Index(path, k), "is empty");
        continue;
      }
      out->push_back(Intern(dict, list.Get(k)));
    }
    SortUnique(out);
  }

  uint8_t RiskMask(const google::protobuf::RepeatedPtrField<std::string>& list,
                   const std::string& path) {
    uint8_t mask = 0;
    for (int k = 0; k < list.size(); ++k) {
      std::optional<RiskLevel> r = ParseRiskLevel(list.Get(k));
      if (!r) {
        Problem(Index(path, k),
                absl::StrCat(Quote(list.Get(k)), " is not a risk level (none, low, medium, high)"));
        continue;
      }
      mask |= 1u << static_cast<int>(*r);
    }
    return mask;
  }

  uint8_t PlatformMask(const google::protobuf::RepeatedPtrField<std::string>& list,
                       const std::string& path) {
    uint8_t mask = 0;
    for (int k = 0; k < list.size(); ++k) {
      if (IEq(list.Get(k), "all")) {
        mask |= 0x80;
        continue;
      }
      std::optional<Platform> pl = ParsePlatform(list.Get(k));
      if (!pl) {
        Problem(Index(path, k), absl::StrCat(Quote(list.Get(k)), " is not a platform"));
        continue;
      }
      mask |= 1u << static_cast<int>(*pl);
    }
    return mask;
  }

  void AddLocations(const google::protobuf::RepeatedPtrField<std::string>& list,
                    const std::string& path, bool include, CaPolicyModel* m) {
    for (int k = 0; k < list.size(); ++k) {
      const std::string& v = list.Get(k);
      if (IEq(v, "All")) {
        if (include) {
          m->include_all_locations = true;
        } else {
          Problem(Index(path, k), "\"All\" cannot be excluded");
        }
        continue;
      }
      if (IEq(v, "AllTrusted")) {
        (include ? m->include_trusted : m->exclude_trusted) = true;
        continue;
      }
      auto it = location_index_.find(v);
      if (it == location_index_.end()) {
        Problem(Index(path, k), absl::StrCat(Quote(v), " is not a named location"));
        continue;
      }
      (include ? m->include_locations : m->exclude_locations).push_back(it->second);
    }
  }

  void CompilePolicy(int i) {
    const v1::ConditionalAccessPolicy& pol = b_.conditional_access_policies(i);
    const std::string path = Index("conditional_access_policies", i);
    ++model_->policy_count;
    CaPolicyModel m;
    m.id = pol.id();
    m.source_index = i;
    if (pol.id().empty()) {
      Problem(Field(path, "id"), "is required");
    } else if (!policy_ids_.insert(pol.id()).second) {
      Problem(Field(path, "id"), absl::StrCat(Quote(pol.id()), " is defined twice"));
    }
    bool disabled = false;
    if (IEq(pol.state(), "enabled")) {
    } else if (IEq(pol.state(), "enabledForReportingButNotEnforced")) {
      m.report_only = true;
    } else if (IEq(pol.state(), "disabled")) {
      disabled = true;
    } else {
      Problem(Field(path, "state"),
              absl::StrCat(Quote(pol.state()),
                           " is not enabled, disabled or enabledForReportingButNotEnforced"));
    }
    // Users or workload identities, not both (1.7).
    if (pol.has_users() && pol.has_client_applications()) {
      Problem(path, "has both users and client_applications; a policy has one or the other");
    }
    m.workload = pol.has_client_applications();

    // Users.
    if (pol.has_users()) {
      const v1::UserConditions& u = pol.users();
      const std::string up = Field(path, "users");
      for (int k = 0; k < u.include_users_size(); ++k) {
        const std::string& v = u.include_users(k);
        if (IEq(v, "All")) {
          m.users_all = true;
        } else if (IEq(v, "GuestsOrExternalUsers")) {
          m.users_guests = true;
        } else if (IEq(v, "None")) {
        } else if (v.empty()) {
          Problem(Index(Field(up, "include_users"), k), "is empty");
        } else {
          m.include_users.push_back(Intern(&model_->user_ids, v));
        }
      }
      for (int k = 0; k < u.exclude_users_size(); ++k) {
        const std::string& v = u.exclude_users(k);
        if (IEq(v, "GuestsOrExternalUsers")) {
          m.exclude_guests = true;
        } else if (IEq(v, "All") || IEq(v, "None") || v.empty()) {
          Problem(Index(Field(up, "exclude_users"), k),
                  absl::StrCat(Quote(v), " cannot be excluded"));
        } else {
          m.exclude_users.push_back(Intern(&model_->user_ids, v));
        }
      }
      SortUnique(&m.include_users);
      SortUnique(&m.exclude_users);
      AddIds(u.include_groups(), Field(up, "include_groups"), &model_->group_ids,
             &m.include_groups);
      AddIds(u.exclude_groups(), Field(up, "exclude_groups"), &model_->group_ids,
             &m.exclude_groups);
      // Entra ignores custom roles: CA names built-in roles only.
      for (const auto* roles : {&u.include_roles(), &u.exclude_roles()}) {
        const bool inc = roles == &u.include_roles();
        const std::string rp = Field(up, inc ? "include_roles" : "exclude_roles");
        for (int k = 0; k < roles->size(); ++k) {
          for (const v1::CustomRole& cr : b_.custom_roles()) {
            if (IEq(cr.id(), roles->Get(k))) {
              Problem(Index(rp, k), absl::StrCat(Quote(roles->Get(k)),
                                                 " is a custom role; CA targets built-in roles"));
            }
          }
        }
        AddIds(*roles, rp, &model_->role_ids, inc ? &m.include_roles : &m.exclude_roles);
      }
      AddGuests(u.include_guests_or_external_users(),
                Field(up, "include_guests_or_external_users"), &m.include_guest_kinds);
      AddGuests(u.exclude_guests_or_external_users(),
                Field(up, "exclude_guests_or_external_users"), &m.exclude_guest_kinds);
    }

    // Applications or auth contexts.
    const v1::ApplicationConditions& a = pol.applications();
    const std::string ap = Field(path, "applications");
    if (!a.include_auth_contexts().empty()) {
      if (!a.include_applications().empty() || !a.exclude_applications().empty()) {
        Problem(Field(ap, "include_auth_contexts"),
                "cannot be combined with include_applications / exclude_applications");
      }
      if (m.workload) {
        Problem(Field(ap, "include_auth_contexts"),
                "workload identity policies cannot use auth contexts");
      }
      for (int k = 0; k < a.include_auth_contexts_size(); ++k) {
        const std::string& c = a.include_auth_contexts(k);
        auto it = model_->context_index.find(c);
        if (it == model_->context_index.end()) {
          Problem(Index(Field(ap, "include_auth_contexts"), k),
                  absl::StrCat(Quote(c), " is not a defined authentication context"));
          continue;
        }
        m.contexts.push_back(it->second);
      }
      SortUnique(&m.contexts);
    }
    AddApps(a.include_applications(), Field(ap, "include_applications"), true, &m);
    AddApps(a.exclude_applications(), Field(ap, "exclude_applications"), false, &m);

    // Workload identities (C9).
    if (m.workload) {
      const v1::ClientApplicationConditions& c = pol.client_applications();
      const std::string cp = Field(path, "client_applications");
      for (int k = 0; k < c.include_service_principals_size(); ++k) {
        const std::string& v = c.include_service_principals(k);
        if (IEq(v, "ServicePrincipalsInMyTenant")) {
          m.sps_in_tenant = true;
        } else if (v.empty()) {
          Problem(Index(Field(cp, "include_service_principals"), k), "is empty");
        } else {
          m.include_sps.push_back(Intern(&model_->sp_object_ids, v));
        }
      }
      for (int k = 0; k < c.exclude_service_principals_size(); ++k) {
        const std::string& v = c.exclude_service_principals(k);
        if (v.empty() || IEq(v, "ServicePrincipalsInMyTenant")) {
          Problem(Index(Field(cp, "exclude_service_principals"), k),
                  absl::StrCat(Quote(v), " cannot be excluded"));
        } else {
          m.exclude_sps.push_back(Intern(&model_->sp_object_ids, v));
        }
      }
      SortUnique(&m.include_sps);
      SortUnique(&m.exclude_sps);
    }

    // Client app types.
    for (int k = 0; k < pol.client_app_types_size(); ++k) {
      const std::string& v = pol.client_app_types(k);
      if (IEq(v, "all")) {
        m.client_app_types |= 0x80;
        continue;
      }
      std::optional<ClientAppType> t = ParseClientAppType(v);
      if (!t) {
        Problem(Index(Field(path, "client_app_types"), k),
                absl::StrCat(Quote(v), " is not a client app type"));
        continue;
      }
      m.client_app_types |= 1u << static_cast<int>(*t);
    }
    // Platforms.
    if (pol.has_platforms() && (!pol.platforms().include_platforms().empty() ||
                                !pol.platforms().exclude_platforms().empty())) {
      m.platforms_configured = true;
      const std::string pp = Field(path, "platforms");
      m.include_platforms =
          PlatformMask(pol.platforms().include_platforms(), Field(pp, "include_platforms"));
      m.exclude_platforms =
          PlatformMask(pol.platforms().exclude_platforms(), Field(pp, "exclude_platforms"));
      if (pol.platforms().include_platforms().empty()) m.include_platforms = 0x80;
    }
    // Locations.
    if (pol.has_locations() && (!pol.locations().include_locations().empty() ||
                                !pol.locations().exclude_locations().empty())) {
      m.locations_configured = true;
      const std::string lp = Field(path, "locations");
      AddLocations(pol.locations().include_locations(), Field(lp, "include_locations"), true,
                   &m);
      AddLocations(pol.locations().exclude_locations(), Field(lp, "exclude_locations"), false,
                   &m);
      if (pol.locations().include_locations().empty()) m.include_all_locations = true;
      SortUnique(&m.include_locations);
      SortUnique(&m.exclude_locations);
    }
    // Risk.
    m.sign_in_risk = RiskMask(pol.sign_in_risk_levels(), Field(path, "sign_in_risk_levels"));
    m.user_risk = RiskMask(pol.user_risk_levels(), Field(path, "user_risk_levels"));
    m.sp_risk = RiskMask(pol.service_principal_risk_levels(),
                         Field(path, "service_principal_risk_levels"));
    // Device filter.
    if (pol.has_device_filter() &&
        (!pol.device_filter().mode().empty() || !pol.device_filter().rule().empty())) {
      const std::string dp = Field(path, "device_filter");
      const v1::DeviceFilter& f = pol.device_filter();
      if (IEq(f.mode(), "exclude")) {
        m.device_filter_exclude = true;
      } else if (!IEq(f.mode(), "include")) {
        Problem(Field(dp, "mode"), absl::StrCat(Quote(f.mode()), " is not include or exclude"));
      }
      if (f.rule().empty()) {
        Problem(Field(dp, "rule"), "is required");
      } else {
        std::string error;
        m.device_filter =
            DeviceFilterProgram::Compile(f.rule(), options_.max_device_filter_chars, &error);
        if (!m.device_filter) Problem(Field(dp, "rule"), error);
      }
    }
    if (m.workload) {
      // C9 reads client_applications, applications, locations and SP risk.
      auto not_workload = [&](bool set, absl::string_view field) {
        if (set) {
          Problem(Field(path, field), "is not a workload identity condition (C9)");
        }
      };
      not_workload(!pol.client_app_types().empty(), "client_app_types");
      not_workload(m.platforms_configured, "platforms");
      not_workload(m.sign_in_risk != 0, "sign_in_risk_levels");
      not_workload(m.user_risk != 0, "user_risk_levels");
      not_workload(m.device_filter.has_value(), "device_filter");
      not_workload(pol.session_controls().has_sign_in_frequency(),
                   "session_controls.sign_in_frequency");
    } else if (m.sp_risk != 0) {
      Problem(Field(path, "service_principal_risk_levels"),
              "applies to workload identity policies only (C9)");
    }

    CompileGrant(pol, path, &m);
    CompileSession(pol, path, &m);

    if (disabled) return;  // validated, never evaluated (C1)
    pending_.push_back(std::move(m));
  }

  void CompileGrant(const v1::ConditionalAccessPolicy& pol, const std::string& path,
                    CaPolicyModel* m) {
    const v1::GrantControls& g = pol.grant_controls();
    const std::string gp = Field(path, "grant_controls");
    if (g.operator_().empty() || IEq(g.operator_(), "AND")) {
      m->op_or = false;
    } else if (IEq(g.operator_(), "OR")) {
      m->op_or = true;
    } else {
      Problem(Field(gp, "operator"), absl::StrCat(Quote(g.operator_()), " is not AND or OR"));
    }
    bool mfa = false, password_change = false;
    int others = 0;  // controls besides block
    for (int k = 0; k < g.built_in_controls_size(); ++k) {
      const std::string& v = g.built_in_controls(k);
      const std::string cp = Index(Field(gp, "built_in_controls"), k);
      Control c;
      if (IEq(v, "block")) {
        m->block = true;
        continue;
      }
      ++others;
      if (IEq(v, "mfa")) {
        c.kind = ControlKind::kMfa;
        mfa = true;
      } else if (IEq(v, "compliantDevice")) {
        c.kind = ControlKind::kCompliantDevice;
      } else if (IEq(v, "domainJoinedDevice")) {
        c.kind = ControlKind::kDomainJoinedDevice;
      } else if (IEq(v, "approvedApplication")) {
        c.kind = ControlKind::kApprovedApplication;
      } else if (IEq(v, "compliantApplication")) {
        c.kind = ControlKind::kCompliantApplication;
      } else if (IEq(v, "passwordChange")) {
        c.kind = ControlKind::kPasswordChange;
        password_change = true;
      } else {
        Problem(cp, absl::StrCat(Quote(v), " is not a built-in grant control"));
        continue;
      }
      bool dup = false;
      for (const Control& e : m->controls) dup = dup || e.kind == c.kind;
      if (!dup) m->controls.push_back(std::move(c));
    }
    if (!g.authentication_strength().empty()) {
      ++others;
      std::optional<int32_t> s = ResolveStrength(g.authentication_strength());
      if (!s) {
        Problem(Field(gp, "authentication_strength"),
                absl::StrCat(Quote(g.authentication_strength()),
                             " is not a defined authentication strength"));
      } else {
        Control c;
        c.kind = ControlKind::kStrength;
        c.arg = *s;
        // `required` spells it as the policy does (SPEC §0: the bundle's
        // spelling), one item per spelling (ASCII case-insensitive).
        c.name = Intern(&strength_spellings_, g.authentication_strength());
        if (c.name == static_cast<int32_t>(strength_names_.size())) {
          strength_names_.push_back(g.authentication_strength());
        }
        m->controls.push_back(std::move(c));
      }
      if (mfa) {
        Problem(gp, "mfa cannot be combined with authentication_strength");
      }
    }
    for (int k = 0; k < g.terms_of_use_size(); ++k) {
      ++others;
      const std::string& t = g.terms_of_use(k);
      if (t.empty()) {
        Problem(Index(Field(gp, "terms_of_use"), k), "is empty");
        continue;
      }
      Control c;
      c.kind = ControlKind::kTermsOfUse;
      c.arg = Intern(&terms_, t);
      if (c.arg == static_cast<int32_t>(term_names_.size())) term_names_.push_back(t);
      bool dup = false;
      for (const Control& e : m->controls) dup = dup || (e.kind == c.kind && e.arg == c.arg);
      if (!dup) m->controls.push_back(std::move(c));
    }
    for (int k = 0; k < g.custom_factors_size(); ++k) {
      ++others;
      const std::string& t = g.custom_factors(k);
      if (t.empty()) {
        Problem(Index(Field(gp, "custom_factors"), k), "is empty");
        continue;
      }
      Control c;
      c.kind = ControlKind::kCustomFactor;
      c.arg = Intern(&customs_, t);
      if (c.arg == static_cast<int32_t>(custom_names_.size())) custom_names_.push_back(t);
      bool dup = false;
      for (const Control& e : m->controls) dup = dup || (e.kind == c.kind && e.arg == c.arg);
      if (!dup) m->controls.push_back(std::move(c));
    }
    // SPEC 1.7 compile checks.
    if (m->block && others > 0) {
      Problem(Field(gp, "built_in_controls"), "\"block\" must stand alone");
    }
    if (password_change) {
      const bool ok = !m->op_or && mfa && !pol.user_risk_levels().empty() && m->apps_all &&
                      m->contexts.empty();
      if (!ok) {
        Problem(Field(gp, "built_in_controls"),
                "\"passwordChange\" needs operator AND with mfa, a user risk condition and "
                "All applications");
      }
    }
    if (m->workload && (others > 0 || !m->block)) {
      Problem(Field(gp, "built_in_controls"), "workload identity policies only support block");
    }
  }

  void CompileSession(const v1::ConditionalAccessPolicy& pol, const std::string& path,
                      CaPolicyModel* m) {
    if (!pol.session_controls().has_sign_in_frequency()) return;
    const v1::SignInFrequency& f = pol.session_controls().sign_in_frequency();
    const std::string fp = Field(path, "session_controls.sign_in_frequency");
    if (f.authentication_type().empty() ||
        IEq(f.authentication_type(), "primaryAndSecondaryAuthentication")) {
      m->sif_secondary = false;
    } else if (IEq(f.authentication_type(), "secondaryAuthentication")) {
      m->sif_secondary = true;
    } else {
      Problem(Field(fp, "authentication_type"),
              absl::StrCat(Quote(f.authentication_type()),
                           " is not primaryAndSecondaryAuthentication or "
                           "secondaryAuthentication"));
    }
    if (f.every_time()) {
      if (f.value() != 0 || !f.type().empty()) {
        Problem(fp, "every_time cannot be combined with value / type");
      }
      m->sif = SifKind::kEveryTime;
      m->sif_seconds = 300;  // Entra's skew allowance (C5)
      return;
    }
    if (f.value() < 1) {
      Problem(Field(fp, "value"), absl::StrCat(f.value(), " must be an integer >= 1"));
    }
    int64_t unit = 0;
    if (IEq(f.type(), "hours")) {
      unit = 3600;
    } else if (IEq(f.type(), "days")) {
      unit = 86400;
    } else {
      Problem(Field(fp, "type"), absl::StrCat(Quote(f.type()), " is not hours or days"));
    }
    m->sif = SifKind::kTime;
    m->sif_seconds = static_cast<int64_t>(f.value()) * unit;
  }

  // Sorts policies (SPEC §0), builds required items, control order, texts
  // and the indexes.
  void Finish() {
    CaModel& md = *model_;
    std::sort(pending_.begin(), pending_.end(),
              [](const CaPolicyModel& a, const CaPolicyModel& b) { return SpecLess(a.id, b.id); });
    md.policies = std::move(pending_);

    // Required items in 3.1 order.
    md.required_items.push_back({"reauthentication", ControlKind::kMfa});
    md.required_items.push_back({"mfa", ControlKind::kMfa});
    auto add_named = [&](const std::vector<std::string>& names, absl::string_view prefix,
                         ControlKind kind, CiMap<int32_t>* index) {
      std::vector<int32_t> order(names.size());
      std::iota(order.begin(), order.end(), 0);
      std::sort(order.begin(), order.end(),
                [&](int32_t a, int32_t b) { return SpecLess(names[a], names[b]); });
      std::vector<int32_t> item(names.size());
      for (int32_t n : order) {
        item[n] = static_cast<int32_t>(md.required_items.size());
        md.required_items.push_back({absl::StrCat(prefix, names[n]), kind});
        index->emplace(names[n], item[n]);
      }
      return item;
    };
    std::vector<int32_t> strength_item = add_named(
        strength_names_, "authenticationStrength:", ControlKind::kStrength, &unused_index);
    const int32_t password_item = static_cast<int32_t>(md.required_items.size());
    md.required_items.push_back({"passwordChange", ControlKind::kPasswordChange});
    std::vector<int32_t> term_item =
        add_named(term_names_, "termsOfUse:", ControlKind::kTermsOfUse, &md.term_index);
    std::vector<int32_t> custom_item =
        add_named(custom_names_, "custom:", ControlKind::kCustomFactor, &md.custom_index);

    for (int32_t pi = 0; pi < static_cast<int32_t>(md.policies.size()); ++pi) {
      CaPolicyModel& p = md.policies[pi];
      for (Control& c : p.controls) {
        switch (c.kind) {
          case ControlKind::kMfa:
            c.item = kMfaItem;
            break;
          case ControlKind::kStrength:
            c.item = strength_item[c.name];
            break;
          case ControlKind::kPasswordChange:
            c.item = password_item;
            break;
          case ControlKind::kTermsOfUse:
            c.item = term_item[c.arg];
            break;
          case ControlKind::kCustomFactor:
            c.item = custom_item[c.arg];
            break;
          default:
            c.item = -1;
        }
        c.unmet_text = absl::StrCat(p.id, ": ", ControlText(c, md));
      }
      std::sort(p.controls.begin(), p.controls.end(), [](const Control& a, const Control& b) {
        if (Rank(a.kind) != Rank(b.kind)) return Rank(a.kind) < Rank(b.kind);
        return a.item < b.item;
      });
      p.block_text = absl::StrCat(p.id, ": block");
      p.sif_text = absl::StrCat(p.id, ": signInFrequency");
      if (p.device_filter) md.has_device_filters = true;

      if (p.workload) {
        if (p.report_only) {
          p.report_only_position = static_cast<int32_t>(md.report_only_workload.size());
          md.report_only_workload.push_back(pi);
        } else {
          md.enforced_workload.push_back(pi);
        }
        continue;
      }
      if (p.report_only) {
        p.report_only_position = static_cast<int32_t>(md.report_only_user.size());
        md.report_only_user.push_back(pi);
        if (!p.contexts.empty()) {
          for (int32_t c : p.contexts) md.contexts[c].report_only_policies.push_back(pi);
        } else if (p.apps_all) {
          md.report_only_all_apps.push_back(pi);
        } else {
          for (AppIndex a : p.include_apps) md.report_only_by_app.Add(a, pi);
        }
        continue;
      }
      for (int32_t c : p.contexts) {
        md.contexts[c].policies.push_back(pi);
        md.contexts[c].has_enabled_policy = true;
      }
      if (p.apps_all) {
        md.all_apps.push_back(pi);
      } else {
        for (AppIndex a : p.include_apps) md.by_app.Add(a, pi);
      }
    }
    md.by_app.Build();
    md.report_only_by_app.Build();
    for (int32_t pi : md.report_only_user) md.report_only_user_ids.push_back(md.policies[pi].id);
    for (int32_t pi : md.report_only_workload) {
      md.report_only_workload_ids.push_back(md.policies[pi].id);
    }
    for (int32_t c = 0; c < static_cast<int32_t>(md.contexts.size()); ++c) {
      if (md.contexts[c].available && md.contexts[c].has_enabled_policy) {
        md.published_contexts.push_back(c);
      }
    }
  }

  static std::string ControlText(const Control& c, const CaModel& md) {
    switch (c.kind) {
      case ControlKind::kMfa:
        return "mfa";
      case ControlKind::kCompliantDevice:
        return "compliantDevice";
      case ControlKind::kDomainJoinedDevice:
        return "domainJoinedDevice";
      case ControlKind::kApprovedApplication:
        return "approvedApplication";
      case ControlKind::kCompliantApplication:
        return "compliantApplication";
      case ControlKind::kPasswordChange:
        return "passwordChange";
      case ControlKind::kStrength:
      case ControlKind::kTermsOfUse:
      case ControlKind::kCustomFactor:
        return md.required_items[c.item].text;
    }
    return "";
  }

  const v1::PolicyBundle& b_;
  const CaModelEnv& env_;
  const EngineOptions& options_;
  ProblemList* p_;
  std::unique_ptr<CaModel> model_;
  std::vector<CaPolicyModel> pending_;
  CiMap<int32_t> strength_index_;
  CiMap<int32_t> location_index_;
  std::vector<IpRange> trusted_ranges_;
  CiMap<std::vector<AppIndex>> app_groups_;
  absl::flat_hash_set<std::string, internal::CaseInsensitiveHash, internal::CaseInsensitiveEq>
      policy_ids_;
  CiMap<int32_t> strength_spellings_, unused_index;
  std::vector<std::string> strength_names_;
  CiMap<int32_t> terms_, customs_;
  std::vector<std::string> term_names_, custom_names_;
};

}  // namespace

std::unique_ptr<const CaModel> CompileCaModel(const v1::PolicyBundle& bundle,
                                              const CaModelEnv& env,
                                              const EngineOptions& options,
                                              ProblemList* problems) {
  return Compiler(bundle, env, options, problems).Run();
}

}  // namespace ca
}  // namespace consent
