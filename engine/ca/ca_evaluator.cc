#include "engine/ca/ca_evaluator.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/ca/auth_methods.h"
#include "engine/ca/challenges.h"
#include "engine/internal/ascii.h"

namespace consent {
namespace ca {
namespace {

using Result = PolicyJudgement::Result;

// ContextCode of an id that is not c1..c99.
constexpr int32_t kNoContext = INT32_MIN;

bool IEq(absl::string_view a, absl::string_view b) { return internal::EqualsIgnoreCase(a, b); }

// Lower-case spellings of undefined contexts c1..c99 (SPEC §0).
const std::array<std::string, 100>& LowerContextNames() {
  static const std::array<std::string, 100>* names = [] {
    auto* a = new std::array<std::string, 100>();
    for (int i = 1; i < 100; ++i) (*a)[i] = absl::StrCat("c", i);
    return a;
  }();
  return *names;
}

template <typename T>
void Grow(std::vector<T>* v, size_t n) {
  if (v->size() < n) v->resize(n);
}

bool Has(const std::vector<int32_t>& sorted, int32_t v) {
  return std::binary_search(sorted.begin(), sorted.end(), v);
}

// C6 codes of unmet-hard controls by C4 rank.
int HardCode(ControlKind kind) {
  switch (kind) {
    case ControlKind::kCompliantDevice:
      return 53000;
    case ControlKind::kDomainJoinedDevice:
      return 53001;
    case ControlKind::kApprovedApplication:
      return 53002;
    case ControlKind::kCompliantApplication:
      return 53005;
    default:
      return 53003;  // hard only because the client is legacy (C6)
  }
}

bool RemediableKind(ControlKind kind) {
  return kind == ControlKind::kMfa || kind == ControlKind::kStrength ||
         kind == ControlKind::kPasswordChange || kind == ControlKind::kTermsOfUse ||
         kind == ControlKind::kCustomFactor;
}

}  // namespace

class CaEvaluator::Run {
 public:
  Run(const CaEvaluator& ev, const CaInput& in, CaScratch* s, CaResult* r)
      : md_(*ev.model_), options_(ev.options_), in_(in), s_(*s), r_(*r) {}

  void Go() {
    Prepare();
    const bool analysed = s_.analysed_valid && s_.analysed_session == in_.session;
    s_.analysed_valid = false;
    if (!analysed && !AnalyzeSessionFacts(in_.session, options_, &s_.facts, nullptr)) {
      // The core validated the session (AnalyzeSession); a fault here is
      // internal: fail closed.
      Block(53003);
      r_.rules.push_back("C6");
      return;
    }
    if (in_.grant == GrantKind::kClientCredentials) {
      Workload();
      return;
    }
    if (in_.user == nullptr) {
      Block(53003);  // delegated grants always have a subject; fail closed
      r_.rules.push_back("C6");
      return;
    }
    Delegated();
  }

 private:
  // ------------------------------------------------------------ set-up
  void Prepare() {
    if (++s_.epoch == 0) {
      // Wrapped: every stamp could look current; reset them.
      for (auto* v : {&s_.cond_stamp, &s_.judge_stamp, &s_.candidate_stamp, &s_.combined_stamp,
                      &s_.applied_stamp, &s_.group_stamp, &s_.role_stamp, &s_.item_met_stamp,
                      &s_.item_req_stamp, &s_.location_stamp, &s_.context_stamp}) {
        std::fill(v->begin(), v->end(), 0);
      }
      s_.epoch = 1;
    }
    epoch_ = s_.epoch;
    // The stamp arrays fit the model they last grew for; a scratch moves
    // between models (bundle reloads) only now and then.
    if (md_.instance_id == 0 || s_.sized_for != md_.instance_id) {
      const size_t np = md_.policies.size();
      Grow(&s_.cond_stamp, np);
      Grow(&s_.judge_stamp, np);
      Grow(&s_.judgement, np);
      Grow(&s_.candidate_stamp, np);
      Grow(&s_.combined_stamp, np);
      Grow(&s_.applied_stamp, np);
      Grow(&s_.group_stamp, md_.group_ids.size());
      Grow(&s_.role_stamp, md_.role_ids.size());
      Grow(&s_.item_met_stamp, md_.required_items.size());
      Grow(&s_.item_req_stamp, md_.required_items.size());
      Grow(&s_.location_stamp, md_.locations.size());
      Grow(&s_.location_in, md_.locations.size());
      Grow(&s_.context_stamp, md_.contexts.size());
      s_.sized_for = md_.instance_id;
    }
    s_.combined.clear();
    s_.applied.clear();
    s_.items.clear();
    s_.unsatisfied_contexts.clear();
    s_.requested_contexts.clear();
    s_.acrs_codes.clear();
    s_.capolids.clear();
    s_.acr_names.clear();
    s_.device_filled = false;
    s_.members_done = false;
    s_.trusted_done = false;
    s_.user_index = -1;
    r_.Clear();
    legacy_ = false;
    deferred_ = in_.grant == GrantKind::kOnBehalfOf ||
                (in_.grant == GrantKind::kRefreshToken && !in_.client_public);
  }

  absl::string_view Denial() const {
    return in_.grant == GrantKind::kInteractive ? "access_denied" : "invalid_grant";
  }

  void Block(int code) {
    r_.verdict = CaResult::Verdict::kBlocked;
    r_.error = Denial();
    r_.error_code = code;
  }

  // ------------------------------------------------------------ users (C3)
  void Members() {
    if (s_.members_done) return;
    s_.members_done = true;
    const v1::User& u = *in_.user;
    auto uid = md_.user_ids.find(absl::string_view(u.id()));
    s_.user_index = uid == md_.user_ids.end() ? -1 : uid->second;
    if (!md_.group_ids.empty()) {
      for (const std::string& g : u.groups()) {
        auto it = md_.group_ids.find(absl::string_view(g));
        if (it != md_.group_ids.end()) s_.group_stamp[it->second] = epoch_;
      }
    }
    if (!md_.role_ids.empty()) {
      for (const std::string& role : u.roles()) {
        auto it = md_.role_ids.find(absl::string_view(role));
        if (it != md_.role_ids.end()) s_.role_stamp[it->second] = epoch_;
      }
    }
  }

  bool AnyStamped(const std::vector<int32_t>& ids, const std::vector<uint32_t>& stamps) const {
    for (int32_t id : ids) {
      if (stamps[id] == epoch_) return true;
    }
    return false;
  }

  bool GuestKind(const GuestCondition& g) const {
    if (!g.configured()) return false;
    const v1::User& u = *in_.user;
    int bit = -1;
    for (int j = 0; j < 6; ++j) {
      if (IEq(u.external_kind(), kExternalKinds[j])) bit = j;
    }
    if (bit < 0 || !(g.kinds & (1u << bit))) return false;
    if (g.tenants.empty()) return true;
    for (const std::string& t : g.tenants) {
      if (IEq(t, u.home_tenant())) return true;
    }
    return false;
  }

  bool UsersMatch(const CaPolicyModel& p) {
    Members();
    const bool external = !in_.user->external_kind().empty();
    const bool include = p.users_all || (p.users_guests && external) ||
                         (s_.user_index >= 0 && Has(p.include_users, s_.user_index)) ||
                         AnyStamped(p.include_groups, s_.group_stamp) ||
                         AnyStamped(p.include_roles, s_.role_stamp) ||
                         GuestKind(p.include_guest_kinds);
    if (!include) return false;
    const bool exclude = (p.exclude_guests && external) ||
                         (s_.user_index >= 0 && Has(p.exclude_users, s_.user_index)) ||
                         AnyStamped(p.exclude_groups, s_.group_stamp) ||
                         AnyStamped(p.exclude_roles, s_.role_stamp) ||
                         GuestKind(p.exclude_guest_kinds);
    return !exclude;  // exclude wins (Entra)
  }

  // ------------------------------------------------------------ locations
  bool InLocation(int32_t l) {
    if (s_.location_stamp[l] == epoch_) return s_.location_in[l];
    const NamedLocationModel& loc = md_.locations[l];
    bool in;
    if (loc.is_ip) {
      in = s_.facts.ip.has_value() && loc.ranges.Contains(*s_.facts.ip);
    } else if (s_.facts.country.empty()) {
      in = loc.include_unknown;
    } else {
      in = false;
      for (const std::string& c : loc.countries) in = in || IEq(c, s_.facts.country);
    }
    s_.location_stamp[l] = epoch_;
    s_.location_in[l] = in;
    return in;
  }

  // `AllTrusted`: the union of trusted IP ranges, one binary search.
  bool InTrusted() {
    if (!s_.trusted_done) {
      s_.trusted_done = true;
      s_.in_trusted = s_.facts.ip.has_value() && md_.trusted_ranges.Contains(*s_.facts.ip);
    }
    return s_.in_trusted;
  }

  bool LocationsMatch(const CaPolicyModel& p) {
    if (!p.locations_configured) return true;
    bool inc = p.include_all_locations || (p.include_trusted && InTrusted());
    for (size_t i = 0; !inc && i < p.include_locations.size(); ++i) {
      inc = InLocation(p.include_locations[i]);
    }
    if (!inc) return false;
    if (p.exclude_trusted && InTrusted()) return false;
    for (int32_t l : p.exclude_locations) {
      if (InLocation(l)) return false;
    }
    return true;
  }

  static bool RiskMatch(uint8_t mask, RiskLevel level) {
    return mask == 0 || (mask & (1u << static_cast<int>(level)));
  }

  // C3 without applications / contexts, cached per policy.
  bool Conditions(int32_t pi) {
    PolicyJudgement& j = s_.judgement[pi];
    if (s_.cond_stamp[pi] == epoch_) return j.conditions;
    s_.cond_stamp[pi] = epoch_;
    j.conditions = ComputeConditions(md_.policies[pi]);
    return j.conditions;
  }

  bool ComputeConditions(const CaPolicyModel& p) {
    const SessionFacts& f = s_.facts;
    if (p.workload) {
      if (in_.client < 0) return false;
      auto it = md_.workload_clients.find(in_.client);
      if (it == md_.workload_clients.end() || !it->second.covered) return false;
      const int32_t oid = it->second.object_id;
      const bool inc = p.sps_in_tenant || (oid >= 0 && Has(p.include_sps, oid));
      if (!inc || (oid >= 0 && Has(p.exclude_sps, oid))) return false;
      const AppIndex res = in_.resource;
      const bool app = res >= 0 && (p.apps_all || std::binary_search(p.include_apps.begin(),
                                                                     p.include_apps.end(), res)) &&
                       !std::binary_search(p.exclude_apps.begin(), p.exclude_apps.end(), res);
      return app && LocationsMatch(p) && RiskMatch(p.sp_risk, f.service_principal_risk);
    }
    if (!UsersMatch(p)) return false;
    if (p.client_app_types != 0 && !(p.client_app_types & 0x80)) {
      if (f.client_app_type == ClientAppType::kNone) return false;
      if (!(p.client_app_types & (1u << static_cast<int>(f.client_app_type)))) return false;
    }
    if (p.platforms_configured) {
      const bool known = f.platform != Platform::kUnknown;
      const uint8_t bit = known ? (1u << static_cast<int>(f.platform)) : 0;
      const bool inc = (p.include_platforms & 0x80) || (p.include_platforms & bit);
      const bool exc = (p.exclude_platforms & 0x80) || (p.exclude_platforms & bit);
      if (!inc || exc) return false;
    }
    if (!LocationsMatch(p)) return false;
    if (!RiskMatch(p.sign_in_risk, f.sign_in_risk) || !RiskMatch(p.user_risk, f.user_risk)) {
      return false;
    }
    if (p.device_filter.has_value()) {
      if (!s_.device_filled) {
        s_.device_filled = true;
        s_.device.Fill(in_.session != nullptr && in_.session->has_device()
                           ? &in_.session->device()
                           : nullptr);
      }
      const bool rule = p.device_filter->Evaluate(s_.device);
      if (rule == p.device_filter_exclude) return false;
    }
    return true;
  }

  // A sorted app list holds `t` (short lists, the usual case, by scan).
  static bool HasApp(const std::vector<AppIndex>& sorted, AppIndex t) {
    if (sorted.size() <= 16) {
      for (AppIndex a : sorted) {
        if (a >= t) return a == t;
      }
      return false;
    }
    return std::binary_search(sorted.begin(), sorted.end(), t);
  }

  bool AppsMatch(const CaPolicyModel& p) const {
    if (p.apps_all && p.exclude_apps.empty()) return !in_.targets.empty();
    for (AppIndex t : in_.targets) {
      if ((p.apps_all || HasApp(p.include_apps, t)) && !HasApp(p.exclude_apps, t)) {
        return true;  // any target suffices (C2)
      }
    }
    return false;
  }

  // ------------------------------------------------------------ controls (C4)
  void MarkSessionItems() {
    if (in_.session == nullptr) return;
    if (!md_.term_index.empty()) {
      for (const std::string& t : in_.session->accepted_terms()) {
        auto it = md_.term_index.find(absl::string_view(t));
        if (it != md_.term_index.end()) s_.item_met_stamp[it->second] = epoch_;
      }
    }
    if (!md_.custom_index.empty()) {
      for (const std::string& t : in_.session->satisfied_custom_factors()) {
        auto it = md_.custom_index.find(absl::string_view(t));
        if (it != md_.custom_index.end()) s_.item_met_stamp[it->second] = epoch_;
      }
    }
  }

  bool Met(const Control& c) const {
    const SessionFacts& f = s_.facts;
    const v1::Session* s = in_.session;
    const bool registered = s != nullptr && s->has_device() && s->device().registered();
    switch (c.kind) {
      case ControlKind::kMfa:
        return f.mfa();
      case ControlKind::kStrength:
        return StrengthMet(md_.strengths[c.arg].combinations, f.methods.present);
      case ControlKind::kCompliantDevice:
        return registered && s->device().is_compliant();
      case ControlKind::kDomainJoinedDevice:
        return registered && IEq(s->device().trust_type(), "ServerAD");
      case ControlKind::kApprovedApplication:
        return s != nullptr && s->approved_client_app();
      case ControlKind::kCompliantApplication:
        return s != nullptr && s->app_protection_policy();
      case ControlKind::kPasswordChange:
        return s != nullptr && s->password_changed();
      case ControlKind::kTermsOfUse:
      case ControlKind::kCustomFactor:
        return s_.item_met_stamp[c.item] == epoch_;
    }
    return false;
  }

  bool Remediable(const Control& c) const { return !legacy_ && RemediableKind(c.kind); }

  bool SifMet(const CaPolicyModel& p) const {
    const SessionFacts& f = s_.facts;
    const int64_t now = in_.now;
    if (p.sif == SifKind::kEveryTime && p.sif_secondary) {
      return f.mfa_time.has_value() && now - *f.mfa_time <= p.sif_seconds;
    }
    // No first factor: every SIF check fails (2.5).
    if (!f.primary_auth_time.has_value() || now - *f.primary_auth_time > p.sif_seconds) {
      return false;
    }
    if (p.sif == SifKind::kTime && f.mfa_time.has_value() && now - *f.mfa_time > p.sif_seconds) {
      return false;
    }
    return true;
  }

  // C4 + C5 for an applying policy, cached.
  const PolicyJudgement& Judge(int32_t pi) {
    PolicyJudgement& j = s_.judgement[pi];
    if (s_.judge_stamp[pi] == epoch_) return j;
    s_.judge_stamp[pi] = epoch_;
    j.judged = true;
    j.result = Result::kSatisfied;
    j.hard_rank = 0;
    j.hard_code = 0;
    j.sif_unmet = false;
    j.sif_deferred = false;
    const CaPolicyModel& p = md_.policies[pi];
    if (p.sif != SifKind::kNone && !SifMet(p)) {
      (deferred_ ? j.sif_deferred : j.sif_unmet) = true;
    }
    if (p.block) {
      j.result = Result::kBlock;
      return j;
    }
    Result grant = Result::kSatisfied;
    const Control* hard = nullptr;
    if (!p.op_or) {
      bool unmet = false;
      for (const Control& c : p.controls) {
        if (Met(c)) continue;
        unmet = true;
        if (!Remediable(c)) {
          hard = &c;  // first in C4 order
          break;
        }
      }
      grant = hard ? Result::kHard : unmet ? Result::kSoft : Result::kSatisfied;
    } else if (!p.controls.empty()) {
      bool any_met = false, any_remediable = false;
      for (const Control& c : p.controls) {
        if (Met(c)) {
          any_met = true;
          break;
        }
        any_remediable = any_remediable || Remediable(c);
      }
      if (!any_met) {
        if (any_remediable) {
          grant = Result::kSoft;
        } else {
          grant = Result::kHard;
          hard = &p.controls.front();
        }
      }
    }
    if (grant == Result::kHard) {
      j.result = Result::kHard;
      j.hard_rank = static_cast<int8_t>(Rank(hard->kind));
      j.hard_code = HardCode(hard->kind);
    } else if (j.sif_unmet && legacy_) {
      // C5: with a legacy client an unmet SIF is not remediable.
      j.result = Result::kHard;
      j.hard_rank = kSifRank;
      j.hard_code = 53003;
    } else if (grant == Result::kSoft || j.sif_unmet) {
      j.result = Result::kSoft;
    } else {
      j.result = Result::kSatisfied;
    }
    return j;
  }

  // Applies: conditions hold (apps / contexts checked by the caller).
  bool Applies(int32_t pi) { return Conditions(pi); }

  void AddCombined(int32_t pi) {
    if (s_.combined_stamp[pi] == epoch_) return;
    s_.combined_stamp[pi] = epoch_;
    s_.combined.push_back(pi);
  }
  void AddApplied(int32_t pi) {
    if (s_.applied_stamp[pi] == epoch_) return;
    s_.applied_stamp[pi] = epoch_;
    s_.applied.push_back(pi);
  }

  // ------------------------------------------------------------ contexts (C7)
  int32_t ContextCode(absl::string_view id) const {
    auto it = md_.context_index.find(id);
    if (it != md_.context_index.end()) return it->second;
    // Undefined: -(number); ids were validated as c1..c99 (V4).
    if (id.size() < 2 || id.size() > 3) return kNoContext;
    int n = 0;
    for (size_t i = 1; i < id.size(); ++i) {
      if (id[i] < '0' || id[i] > '9') return kNoContext;
      n = n * 10 + (id[i] - '0');
    }
    return n >= 1 && n <= 99 ? -n : kNoContext;
  }
  absl::string_view ContextName(int32_t code) const {
    return code >= 0 ? absl::string_view(md_.contexts[code].id)
                     : absl::string_view(LowerContextNames()[-code]);
  }

  // A context is met when each of its applying enforced policies is
  // satisfied with its SIF met (deferred = met), or it has none.
  bool ContextMet(int32_t code) {
    if (code < 0) return true;
    for (int32_t pi : md_.contexts[code].policies) {
      if (Applies(pi) && Judge(pi).result != Result::kSatisfied) return false;
    }
    return true;
  }

  void AddAcr(int32_t code) {
    if (std::find(s_.acrs_codes.begin(), s_.acrs_codes.end(), code) == s_.acrs_codes.end()) {
      s_.acrs_codes.push_back(code);
    }
  }

  void Requirement(const std::vector<absl::string_view>& contexts) {
    bool satisfied = false;
    for (absl::string_view id : contexts) {
      const int32_t code = ContextCode(id);
      if (code == kNoContext) continue;  // not c1..c99 (cannot happen after V4)
      if (code >= 0) {
        if (s_.context_stamp[code] != epoch_) s_.requested_contexts.push_back(code);
        s_.context_stamp[code] = epoch_;
        for (int32_t pi : md_.contexts[code].policies) {
          if (Applies(pi)) AddApplied(pi);  // joined or not (3.1)
        }
      }
      if (ContextMet(code)) {
        satisfied = true;
        AddAcr(code);
      }
    }
    if (satisfied) return;
    for (absl::string_view id : contexts) {
      const int32_t code = ContextCode(id);
      if (code == kNoContext) continue;
      if (std::find(s_.unsatisfied_contexts.begin(), s_.unsatisfied_contexts.end(), code) ==
          s_.unsatisfied_contexts.end()) {
        s_.unsatisfied_contexts.push_back(code);
      }
      if (code < 0) continue;
      for (int32_t pi : md_.contexts[code].policies) {
        if (Applies(pi)) AddCombined(pi);  // each judged on its own
      }
    }
  }

  // ------------------------------------------------------------ delegated
  void Delegated() {
    legacy_ = s_.facts.legacy();
    MarkSessionItems();
    // C2 + C3: targeted enforced user policies.
    auto consider = [&](int32_t pi) {
      if (s_.candidate_stamp[pi] == epoch_) return;
      s_.candidate_stamp[pi] = epoch_;
      if (AppsMatch(md_.policies[pi]) && Applies(pi)) {
        AddCombined(pi);
        AddApplied(pi);
      }
    };
    for (AppIndex t : in_.targets) {
      for (int32_t pi : md_.by_app.Find(t)) consider(pi);
    }
    for (int32_t pi : md_.all_apps) consider(pi);

    // C7a.
    const StepUpParams* su = in_.step_up;
    if (su != nullptr) {
      if (su->has_claims_acrs) Requirement(su->claims_acrs);
      if (su->has_acr_values) Requirement(su->acr_values);
    }
    // C7b: opportunistic contexts.
    if (in_.opportunistic_acrs) {
      for (int32_t c : md_.published_contexts) {
        bool ok = true;
        for (int32_t pi : md_.contexts[c].policies) {
          if (Applies(pi) && Judge(pi).result != Result::kSatisfied) {
            ok = false;
            break;
          }
        }
        if (ok) AddAcr(c);
      }
    }
    for (int32_t code : s_.acrs_codes) r_.acrs.push_back(ContextName(code));
    std::sort(r_.acrs.begin(), r_.acrs.end(), internal::SpecLessFn());
    if (!r_.acrs.empty()) r_.rules.push_back("C7");

    // C8. Only the report-only policies indexed under a target, targeting
    // all apps, or of a requested context can apply; every other one reads
    // `notApplied` without being visited.
    r_.report_only.Reset(md_.report_only_user_ids);
    auto report = [&](int32_t pi) {
      if (s_.candidate_stamp[pi] == epoch_) return;
      s_.candidate_stamp[pi] = epoch_;
      const CaPolicyModel& p = md_.policies[pi];
      // Context policies come only from requested contexts (C7).
      if ((!p.contexts.empty() || AppsMatch(p)) && Applies(pi)) ReportOnly(pi);
    };
    for (AppIndex t : in_.targets) {
      for (int32_t pi : md_.report_only_by_app.Find(t)) report(pi);
    }
    for (int32_t pi : md_.report_only_all_apps) report(pi);
    for (int32_t c : s_.requested_contexts) {
      for (int32_t pi : md_.contexts[c].report_only_policies) report(pi);
    }
    r_.report_only.Finish();

    Combine();
  }

  // C8 for a report-only policy that applies.
  void ReportOnly(int32_t pi) {
    absl::string_view result;
    const PolicyJudgement& j = Judge(pi);
    if (j.result == Result::kBlock || j.result == Result::kHard) {
      result = "failure";
    } else if (j.result == Result::kSoft || j.sif_unmet) {
      result = "userActionRequired";
    } else {
      result = "success";
    }
    r_.report_only.Set(md_.policies[pi].report_only_position, result);
  }

  void MarkItem(int32_t item) {
    if (s_.item_req_stamp[item] == epoch_) return;
    s_.item_req_stamp[item] = epoch_;
    s_.items.push_back(item);
  }

  // C6.
  void Combine() {
    std::sort(s_.combined.begin(), s_.combined.end());
    std::sort(s_.applied.begin(), s_.applied.end());
    for (int32_t pi : s_.applied) r_.applied_policies.push_back(md_.policies[pi].id);
    if (!r_.report_only.empty()) r_.rules.push_back("C8");

    bool any_block = false, any_hard = false, any_soft = false;
    int best_rank = 127, best_code = 0;
    for (int32_t pi : s_.combined) {
      const PolicyJudgement& j = Judge(pi);
      if (j.sif_deferred) r_.deferred_policies.push_back(md_.policies[pi].id);
      switch (j.result) {
        case Result::kBlock:
          any_block = true;
          break;
        case Result::kHard:
          any_hard = true;
          if (j.hard_rank < best_rank) best_rank = j.hard_rank, best_code = j.hard_code;
          break;
        case Result::kSoft:
          any_soft = true;
          break;
        case Result::kSatisfied:
          break;
      }
      if (j.result != Result::kSatisfied) UnmetTexts(pi, j);
    }
    if (!r_.deferred_policies.empty()) r_.rules.push_back("C5");
    if (any_block) {
      for (int32_t pi : s_.combined) {
        if (s_.judgement[pi].result == Result::kBlock) {
          r_.blocking_policies.push_back(md_.policies[pi].id);
        }
      }
      Block(53003);
      r_.rules.push_back("C6");
      return;
    }
    if (any_hard) {
      for (int32_t pi : s_.combined) {
        if (s_.judgement[pi].result == Result::kHard) {
          r_.blocking_policies.push_back(md_.policies[pi].id);
        }
      }
      Block(best_code);
      r_.rules.push_back("C4");
      r_.rules.push_back("C6");
      return;
    }
    // S5: max_age (interactive only; the core parses it there only).
    bool s5 = false;
    const StepUpParams* su = in_.step_up;
    if (su != nullptr && su->max_age.has_value()) {
      const auto& pat = s_.facts.primary_auth_time;
      s5 = !pat.has_value() || in_.now - *pat > *su->max_age;
    }
    if (!any_soft && !s5) return;  // pass
    StepUp(s5);
  }

  void UnmetTexts(int32_t pi, const PolicyJudgement& j) {
    const CaPolicyModel& p = md_.policies[pi];
    if (j.result == Result::kBlock) {
      r_.unmet_controls.push_back(p.block_text);
      return;
    }
    bool any_met = false;
    if (p.op_or) {
      for (const Control& c : p.controls) any_met = any_met || Met(c);
    }
    if (!any_met) {
      for (const Control& c : p.controls) {
        if (!Met(c)) r_.unmet_controls.push_back(c.unmet_text);
      }
    }
    if (j.sif_unmet) r_.unmet_controls.push_back(p.sif_text);
  }

  void StepUp(bool s5) {
    r_.verdict = CaResult::Verdict::kStepUp;
    bool reauth = s5;
    bool sif = false;
    int64_t max_age = INT64_MAX;
    bool has_max_age = false;
    if (s5) {
      max_age = *in_.step_up->max_age;
      has_max_age = true;
      r_.rules.push_back("S5");
    }
    // `required`: reauthentication, unmet remediable AND controls, the sole
    // remediable alternative of OR policies.
    for (int32_t pi : s_.combined) {
      const PolicyJudgement& j = s_.judgement[pi];
      if (j.result != Result::kSoft) continue;
      const CaPolicyModel& p = md_.policies[pi];
      // S1 capolids: combined non-auth-context policies, unmet-soft or with
      // an unmet SIF (not deferred).
      if (p.contexts.empty()) s_.capolids.push_back(p.id);
      if (j.sif_unmet) {
        reauth = sif = true;
        if (p.sif_seconds < max_age) max_age = p.sif_seconds;
        has_max_age = true;
      }
      if (!p.op_or) {
        for (const Control& c : p.controls) {
          if (!Met(c)) MarkItem(c.item);  // all remediable when soft
        }
      } else {
        bool any_met = false;
        int remediable = 0;
        int32_t sole = -1;
        for (const Control& c : p.controls) {
          if (Met(c)) any_met = true;
          if (Remediable(c)) ++remediable, sole = c.item;
        }
        if (!any_met && remediable == 1) MarkItem(sole);
      }
    }
    if (reauth) MarkItem(kReauthItem);
    std::sort(s_.items.begin(), s_.items.end());
    for (int32_t item : s_.items) r_.required.push_back(md_.required_items[item].text);

    // `required_any`: OR policies with several remediable alternatives, by
    // policy id, unless sharing an item with `required`; repeats dropped.
    for (int32_t pi : s_.combined) {
      const PolicyJudgement& j = s_.judgement[pi];
      const CaPolicyModel& p = md_.policies[pi];
      if (j.result != Result::kSoft || !p.op_or) continue;
      s_.any_items.clear();
      bool any_met = false, shares = false;
      for (const Control& c : p.controls) {
        if (Met(c)) any_met = true;
        if (!Remediable(c)) continue;
        s_.any_items.push_back(c.item);
        shares = shares || s_.item_req_stamp[c.item] == epoch_;
      }
      if (any_met || s_.any_items.size() < 2 || shares) continue;
      std::sort(s_.any_items.begin(), s_.any_items.end());
      bool repeat = false;
      for (size_t k = 0; k < r_.required_any_size && !repeat; ++k) {
        const auto& prev = r_.required_any[k];
        repeat = prev.size() == s_.any_items.size();
        for (size_t m = 0; repeat && m < prev.size(); ++m) {
          repeat = prev[m].data() == md_.required_items[s_.any_items[m]].text.data();
        }
      }
      if (repeat) continue;
      if (r_.required_any.size() <= r_.required_any_size) r_.required_any.emplace_back();
      auto& list = r_.required_any[r_.required_any_size++];
      list.clear();
      for (int32_t item : s_.any_items) list.push_back(md_.required_items[item].text);
    }

    // Error and code from the first item (C6).
    int32_t first = -1;
    if (!s_.items.empty()) {
      first = s_.items.front();
    } else if (r_.required_any_size > 0) {
      // The first item of the first list: find its index.
      absl::string_view text = r_.required_any[0].front();
      for (int32_t i = 0; i < static_cast<int32_t>(md_.required_items.size()); ++i) {
        if (md_.required_items[i].text.data() == text.data()) first = i;
      }
    }
    SetStepUpError(first);

    if (sif) r_.rules.push_back("C5");
    if (!s_.unsatisfied_contexts.empty()) r_.rules.push_back("C7");
    r_.rules.push_back("C6");

    // S1 claims.
    // Pushed in policy order, which is id order (SPEC §0): already sorted,
    // each once.
    assert(std::is_sorted(s_.capolids.begin(), s_.capolids.end(), internal::SpecLessFn()));
    for (int32_t code : s_.unsatisfied_contexts) s_.acr_names.push_back(ContextName(code));
    // The S1 acrs member is sorted; S3's acr_values keep request order.
    const size_t n_ctx = s_.acr_names.size();
    for (size_t i = 0; i < n_ctx; ++i) s_.acr_names.push_back(s_.acr_names[i]);
    std::sort(s_.acr_names.begin() + n_ctx, s_.acr_names.end(), internal::SpecLessFn());
    absl::Span<const absl::string_view> request_order(s_.acr_names.data(), n_ctx);
    absl::Span<const absl::string_view> sorted(s_.acr_names.data() + n_ctx, n_ctx);
    BuildClaimsChallenge(s_.capolids, sorted, &r_.claims);
    if (!r_.claims.empty()) {
      BuildMiddleTierChallenge(r_.claims, &r_.middle_tier_challenge);
      r_.rules.push_back("S1");
    }
    // S3: contexts or re-authentication, on rfc9470 / both resources.
    if (in_.challenge_format != ChallengeFormat::kEntra && (n_ctx > 0 || reauth)) {
      BuildRfc9470Challenge(kStepUpDescription, request_order,
                            reauth && has_max_age ? std::optional<int64_t>(max_age)
                                                  : std::nullopt,
                            &r_.rfc9470_challenge);
      r_.rules.push_back("S3");
    }
  }

  void SetStepUpError(int32_t item) {
    if (item < 0) {
      // Cannot happen (a soft policy has a remediable item); fail closed.
      r_.verdict = CaResult::Verdict::kBlocked;
      r_.error = Denial();
      r_.error_code = 53003;
      return;
    }
    if (item == kReauthItem) {
      if (in_.grant == GrantKind::kRefreshToken) {
        r_.error = "invalid_grant";
        r_.suberror = "token_expired";
        r_.error_code = 70043;
      } else {
        r_.error = "login_required";
        r_.error_code = 0;
      }
      return;
    }
    r_.error = "interaction_required";
    switch (md_.required_items[item].kind) {
      case ControlKind::kPasswordChange:
        r_.error_code = 50135;
        break;
      case ControlKind::kTermsOfUse:
      case ControlKind::kCustomFactor:
        r_.error_code = 50158;
        break;
      default:  // mfa, strength
        r_.error_code = in_.user->mfa_registered() ? 50076 : 50079;
    }
  }

  // ------------------------------------------------------------ C9
  void Workload() {
    for (int32_t pi : md_.enforced_workload) {
      if (Applies(pi)) {
        AddApplied(pi);
        r_.blocking_policies.push_back(md_.policies[pi].id);  // only block (1.7)
      }
    }
    r_.report_only.Reset(md_.report_only_workload_ids);
    for (int32_t pi : md_.report_only_workload) {
      if (Applies(pi)) r_.report_only.Set(md_.policies[pi].report_only_position, "failure");
    }
    r_.report_only.Finish();
    std::sort(s_.applied.begin(), s_.applied.end());
    for (int32_t pi : s_.applied) r_.applied_policies.push_back(md_.policies[pi].id);
    if (!r_.report_only.empty()) r_.rules.push_back("C8");
    if (!r_.blocking_policies.empty()) {
      for (int32_t pi : s_.applied) r_.unmet_controls.push_back(md_.policies[pi].block_text);
      Block(53003);
      r_.rules.push_back("C9");
    }
  }

  const CaModel& md_;
  const EngineOptions& options_;
  const CaInput& in_;
  CaScratch& s_;
  CaResult& r_;
  uint32_t epoch_ = 0;
  bool legacy_ = false;
  bool deferred_ = false;
};

void CaEvaluator::Evaluate(const CaInput& input, CaScratch* scratch, CaResult* result) const {
  Run(*this, input, scratch, result).Go();
}

size_t CaEvaluator::ByteSize() const {
  const CaModel& m = *model_;
  size_t n = sizeof(CaModel);
  for (const CaPolicyModel& p : m.policies) {
    n += sizeof(p) + p.id.capacity() + p.block_text.capacity() + p.sif_text.capacity();
    n += (p.include_users.capacity() + p.exclude_users.capacity() + p.include_groups.capacity() +
          p.exclude_groups.capacity() + p.include_roles.capacity() + p.exclude_roles.capacity() +
          p.include_apps.capacity() + p.exclude_apps.capacity() + p.contexts.capacity() +
          p.include_sps.capacity() + p.exclude_sps.capacity() + p.include_locations.capacity() +
          p.exclude_locations.capacity()) *
         sizeof(int32_t);
    for (const Control& c : p.controls) n += sizeof(c) + c.unmet_text.capacity();
    if (p.device_filter) n += p.device_filter->ByteSize();
  }
  for (const NamedLocationModel& l : m.locations) {
    n += sizeof(l) + l.ranges.size() * sizeof(IpRange) + l.countries.size() * 32;
  }
  n += m.contexts.size() * sizeof(AuthContextModel);
  for (const RequiredItem& i : m.required_items) n += sizeof(i) + i.text.capacity();
  n += (m.user_ids.size() + m.group_ids.size() + m.role_ids.size() + m.sp_object_ids.size()) * 48;
  n += m.by_app.ByteSize() + m.report_only_by_app.ByteSize();
  n += (m.report_only_user_ids.capacity() + m.report_only_workload_ids.capacity()) *
       sizeof(absl::string_view);
  return n;
}

}  // namespace ca
}  // namespace consent
