// Public glue of the engine: EvalContext, DecisionView, the proto-returning
// Evaluate overloads, recording consent (SPEC §3.10) and the resource-side
// check (S4).

#include "engine/policy_engine.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "engine/ca/conditional_access.h"
#include "engine/compiled_policy_impl.h"
#include "engine/eval_scratch.h"
#include "engine/internal/ascii.h"
#include "engine/internal/time.h"
#include "engine/permission_match.h"

namespace consent {


void DecisionView::Clear() {
  outcome = v1::OUTCOME_UNSPECIFIED;
  error = {};
  error_code = 0;
  suberror = {};
  reason = {};
  error_description.clear();
  aud = {};
  scp.clear();
  roles.clear();
  acrs.clear();
  id_token = false;
  refresh_token = false;
  auth_time.clear();
  xms_cc.clear();
  prompt_scopes.clear();
  org_wide_option = false;
  admin_consent_request_available = false;
  required.clear();
  for (size_t i = 0; i < required_any_size && i < required_any.size(); ++i) required_any[i].clear();
  required_any_size = 0;
  claims.clear();
  rfc9470_challenge.clear();
  middle_tier_challenge.clear();
  blocking_policies.clear();
  applied_policies.clear();
  report_only.Clear();
  rules.clear();
  grant_policies.clear();
  grants.clear();
  dropped_resources.clear();
  deferred_policies.clear();
  skipped_static_entries.clear();
  unmet_controls.clear();
  condition_sets.clear();
  notes.clear();
}

void DecisionView::AddRule(absl::string_view rule) {
  // Rule ids are a few bytes: compare inline rather than through memcmp.
  for (absl::string_view r : rules) {
    if (r.size() != rule.size()) continue;
    size_t i = 0;
    while (i < r.size() && r[i] == rule[i]) ++i;
    if (i == r.size()) return;
  }
  rules.push_back(rule);
}

EvalContext::EvalContext() : scratch_(std::make_unique<Scratch>()) {
  // Pre-size the common buffers so that typical requests never grow them.
  scratch_->tokens.reserve(32);
  scratch_->resources.reserve(8);
  scratch_->units.reserve(16);
  scratch_->bits.resize(256);
  scratch_->targets.reserve(16);
  scratch_->prompt_groups.reserve(16);
  scratch_->prompt.reserve(32);
  result_.rules.reserve(16);
  result_.scp.reserve(32);
  result_.prompt_scopes.reserve(32);
  result_.error_description.reserve(256);
}
EvalContext::~EvalContext() = default;

void EvalContext::InjectFaultForTesting(int step) { scratch_->fault_at_step = step; }

namespace {

// DecisionViewToProto's helpers. They write in place (`assign` into the
// field's own string, elements added with Add()), so that no temporary
// std::string is built per field: on an arena (the sidecar's messages) the
// string object comes from the arena and only a value longer than the
// small-string buffer takes a heap block; on a reused Decision the cleared
// strings' capacity is reused. Empty values are not written (proto3: an
// empty string is the default, so the message and its bytes are the same).

template <typename Message>
inline void SetString(Message* msg, std::string* (Message::*mutable_field)(),
                      absl::string_view value) {
  if (!value.empty()) (msg->*mutable_field)()->assign(value.data(), value.size());
}

template <typename Views>
void CopyViews(const Views& views, google::protobuf::RepeatedPtrField<std::string>* out) {
  if (views.empty()) return;
  out->Reserve(out->size() + static_cast<int>(views.size()));
  for (absl::string_view v : views) out->Add()->assign(v.data(), v.size());
}

// Appends the concatenation of `parts` as one repeated-field element.
void AddJoined(google::protobuf::RepeatedPtrField<std::string>* out,
               std::initializer_list<absl::string_view> parts) {
  std::string* s = out->Add();
  size_t size = 0;
  for (absl::string_view p : parts) size += p.size();
  s->reserve(size);
  for (absl::string_view p : parts) s->append(p.data(), p.size());
}

}  // namespace

void DecisionViewToProto(const DecisionView& d, v1::Decision* out) {
  out->Clear();
  out->set_outcome(d.outcome);
  SetString(out, &v1::Decision::mutable_error, d.error);
  out->set_error_code(d.error_code);
  SetString(out, &v1::Decision::mutable_suberror, d.suberror);
  SetString(out, &v1::Decision::mutable_reason, d.reason);
  SetString(out, &v1::Decision::mutable_error_description, d.error_description);
  if (d.outcome == v1::ISSUE) {
    v1::Token* t = out->mutable_token();
    SetString(t, &v1::Token::mutable_aud, d.aud);
    CopyViews(d.scp, t->mutable_scp());
    CopyViews(d.roles, t->mutable_roles());
    CopyViews(d.acrs, t->mutable_acrs());
    t->set_id_token(d.id_token);
    t->set_refresh_token(d.refresh_token);
    SetString(t, &v1::Token::mutable_auth_time, d.auth_time);
    CopyViews(d.xms_cc, t->mutable_xms_cc());
  }
  if (d.outcome == v1::CONSENT_PROMPT_USER || d.outcome == v1::CONSENT_PROMPT_ADMIN) {
    v1::Prompt* p = out->mutable_prompt();
    CopyViews(d.prompt_scopes, p->mutable_scopes());
    p->set_org_wide_option(d.org_wide_option);
  }
  out->set_admin_consent_request_available(d.admin_consent_request_available);
  if (d.outcome == v1::STEP_UP_REQUIRED) {
    v1::StepUp* s = out->mutable_step_up();
    CopyViews(d.required, s->mutable_required());
    for (size_t i = 0; i < d.required_any_size; ++i) CopyViews(d.required_any[i], s->add_required_any()->mutable_items());
    SetString(s, &v1::StepUp::mutable_claims, d.claims);
    SetString(s, &v1::StepUp::mutable_rfc9470_challenge, d.rfc9470_challenge);
    SetString(s, &v1::StepUp::mutable_middle_tier_challenge, d.middle_tier_challenge);
  }
  CopyViews(d.blocking_policies, out->mutable_blocking_policies());
  CopyViews(d.applied_policies, out->mutable_applied_policies());
  if (!d.report_only.empty()) {
    google::protobuf::RepeatedPtrField<v1::ReportOnlyResult>* report_only = out->mutable_report_only();
    report_only->Reserve(report_only->size() + static_cast<int>(d.report_only.size()));
    for (const auto& [id, result] : d.report_only) {
      v1::ReportOnlyResult* r = report_only->Add();
      SetString(r, &v1::ReportOnlyResult::mutable_id, id);
      SetString(r, &v1::ReportOnlyResult::mutable_result, result);
    }
  }
  v1::Explanation* e = out->mutable_explanation();
  CopyViews(d.rules, e->mutable_rules());
  CopyViews(d.notes, e->mutable_notes());
  CopyViews(d.grant_policies, e->mutable_grant_policies());
  CopyViews(d.grants, e->mutable_grants());
  CopyViews(d.dropped_resources, e->mutable_dropped_resources());
  CopyViews(d.deferred_policies, e->mutable_deferred_policies());
  CopyViews(d.skipped_static_entries, e->mutable_skipped_static_entries());
  CopyViews(d.unmet_controls, e->mutable_unmet_controls());
  CopyViews(d.condition_sets, e->mutable_condition_sets());
  google::protobuf::RepeatedPtrField<std::string>* notes = e->mutable_notes();
  if (!d.reason.empty()) AddJoined(notes, {"N5c reason: ", d.reason});
  for (absl::string_view r : d.dropped_resources) {
    AddJoined(notes, {"P7: refresh dropped resource ", r});
  }
  for (absl::string_view p : d.deferred_policies) {
    AddJoined(notes, {"C5: sign-in frequency of ", p, " deferred to the next interactive sign-in"});
  }
  for (absl::string_view s : d.skipped_static_entries) {
    AddJoined(notes, {"N2: static entry ", s, " skipped (no usable resource or scope)"});
  }
}

void CompiledPolicy::Evaluate(const v1::TokenRequest& request, v1::Decision* decision) const {
  thread_local EvalContext context;
  DecisionViewToProto(Evaluate(request, &context), decision);
}

v1::Decision CompiledPolicy::Evaluate(const v1::TokenRequest& request) const {
  v1::Decision decision;
  Evaluate(request, &decision);
  return decision;
}

// ---------------------------------------------------------------------------
// Recording consent (SPEC §3.10).

namespace {

// Merges scope values into a grant's scope text: the union, canonical
// spelling where the resource defines the value, SPEC §0 order.
std::string MergeScopes(const ResourceDef* res, const std::vector<std::string>& existing,
                        const std::vector<absl::string_view>& added) {
  std::vector<std::string> values;
  auto add = [&](absl::string_view v) {
    std::string canonical(v);
    if (res != nullptr) {
      auto it = res->scope_by_value.find(v);
      if (it != res->scope_by_value.end()) canonical = res->scopes[it->second].value;
    }
    for (const std::string& x : values) {
      if (internal::EqualsIgnoreCase(x, canonical)) return;
    }
    values.push_back(std::move(canonical));
  };
  for (const std::string& text : existing) {
    for (absl::string_view v : absl::StrSplit(text, ' ', absl::SkipEmpty())) add(v);
  }
  for (absl::string_view v : added) add(v);
  std::sort(values.begin(), values.end(), internal::SpecLessFn());
  return absl::StrJoin(values, " ");
}

}  // namespace

absl::StatusOr<v1::RecordConsentResult> CompiledPolicy::RecordConsent(
    const v1::RecordConsentRequest& request) const {
  const CompiledPolicyImpl& p = *impl_;
  v1::RecordConsentResult result;
  const std::string& kind = request.kind();
  if (kind == "user_prompt" || kind == "admin_prompt") {
    // R1, R2: replay the request; its decision must be the accepted prompt.
    EvalContext context;
    const DecisionView& d = Evaluate(request.request(), &context);
    const v1::Outcome expected = kind == "user_prompt" ? v1::CONSENT_PROMPT_USER : v1::CONSENT_PROMPT_ADMIN;
    if (d.outcome != expected) {
      return absl::FailedPreconditionError(absl::StrCat(
          "request.", kind == "user_prompt" ? "R1" : "R2", ": the request's decision is ",
          v1::Outcome_Name(d.outcome), ", not ", v1::Outcome_Name(expected), "; there is no prompt to accept"));
    }
    const v1::User& user = request.request().user();
    const bool org_wide = kind == "admin_prompt" && request.org_wide();
    if (org_wide && !d.org_wide_option) {
      return absl::FailedPreconditionError("org_wide: the prompt offers no org-wide option");
    }
    std::vector<std::string> created;
    for (const ConsentUnit& u : context.scratch().units) {
      if (!u.any_m) continue;
      const ResourceDef* res = p.resource_of(u.resource);
      const uint64_t* m = context.scratch().bits.data() + u.m;
      std::vector<absl::string_view> added;
      for (uint32_t i = 0; i < res->scopes.size(); ++i) {
        if (TestBit(m, i)) added.push_back(res->scopes[i].value);
      }
      const AppDef& client = p.app(u.client);
      const AppDef& resource = p.app(u.resource);
      std::vector<std::string> existing;
      if (org_wide) {
        auto it = res->tenant_grants.find(u.client);
        if (it != res->tenant_grants.end()) {
          for (uint32_t i = 0; i < res->scopes.size(); ++i) {
            if (TestBit(it->second.scopes.data(), i)) existing.push_back(res->scopes[i].value);
          }
        }
      } else {
        for (const v1::UserGrant& g : user.grants()) {
          if (internal::EqualsIgnoreCase(g.client_app_id(), client.app_id) &&
              internal::EqualsIgnoreCase(g.resource_app_id(), resource.app_id)) {
            existing.push_back(g.scope());
          }
        }
      }
      v1::GrantWrite* w = result.add_grants();
      w->set_client_app_id(client.app_id);
      w->set_resource_app_id(resource.app_id);
      w->set_consent_type(org_wide ? "AllPrincipals" : "Principal");
      if (!org_wide) w->set_principal_id(user.id());
      w->set_scope(MergeScopes(res, existing, added));
      if (!client.has_sp && std::find(created.begin(), created.end(), client.app_id) == created.end()) {
        created.push_back(client.app_id);
      }
    }
    for (const std::string& c : created) result.add_create_service_principals(c);
    return result;
  }
  if (kind != "admin_grant") {
    return absl::InvalidArgumentError(absl::StrCat(
        "kind: must be \"user_prompt\" (R1), \"admin_prompt\" (R2) or \"admin_grant\" (R3), not \"", kind, "\""));
  }
  // R3: the admin grant API.
  const AppIndex client = p.FindApp(request.client_app_id());
  if (client == kNoApp || !p.app(client).registered) {
    return absl::InvalidArgumentError(
        absl::StrCat("client_app_id: no app registration \"", request.client_app_id(), "\""));
  }
  // The actor's authority policies (SPEC §4).
  std::vector<int32_t> authority;
  for (const std::string& role : request.actor().roles()) {
    auto b = p.builtin_roles.find(role);
    if (b != p.builtin_roles.end()) {
      const bool company = b->second == BuiltinRole::kGlobalAdministrator ||
                           b->second == BuiltinRole::kPrivilegedRoleAdministrator;
      const int32_t pol = company ? p.company_admin_policy : p.application_admin_policy;
      if (pol >= 0) authority.push_back(pol);
      continue;
    }
    auto c = p.custom_role_by_id.find(role);
    if (c != p.custom_role_by_id.end()) {
      for (int32_t pol : p.custom_roles[c->second].all_policies) authority.push_back(pol);
    }
  }
  auto allowed = [&](bool application, AppIndex resource, uint32_t index, const ScopeDef* scope) {
    PermissionEvent e;
    e.application = application;
    e.resource = resource;
    e.index = index;
    e.classification = scope != nullptr ? scope->classification : Classification::kNone;
    e.admin_only = scope != nullptr && scope->admin_only;
    e.client = client;
    for (int32_t pol : authority) {
      if (PolicyAllows(p, p.grant_policies[static_cast<size_t>(pol)], e)) return true;
    }
    // Owner row (engine choice): the owner of the resource SP may grant its
    // own app roles, never Graph's.
    return application && resource != p.graph && p.app(resource).owners.contains(request.actor().id());
  };
  // Delegated permissions, "resource/value" (bare values name GRAPH).
  struct Pending {
    AppIndex resource;
    std::vector<absl::string_view> values;
  };
  std::vector<Pending> delegated;
  for (int i = 0; i < request.delegated_size(); ++i) {
    absl::string_view text = request.delegated(i);
    const size_t slash = text.rfind('/');
    absl::string_view ident = slash == absl::string_view::npos ? kGraphAppId : text.substr(0, slash);
    absl::string_view value = slash == absl::string_view::npos ? text : text.substr(slash + 1);
    auto it = p.sp_by_identifier.find(ident);
    const ResourceDef* res = it == p.sp_by_identifier.end() ? nullptr : p.resource_of(it->second);
    if (res == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("delegated[", i, "]: unknown resource \"", ident, "\""));
    }
    auto s = res->scope_by_value.find(value);
    if (s == res->scope_by_value.end() || !res->scopes[s->second].enabled) {
      return absl::InvalidArgumentError(absl::StrCat("delegated[", i, "]: no enabled delegated scope \"", value,
                                                     "\" on \"", ident, "\""));
    }
    if (!allowed(false, it->second, s->second, &res->scopes[s->second])) {
      return absl::PermissionDeniedError(absl::StrCat(
          "R3: the actor has no consent authority over delegated permission \"", text, "\" (SPEC §4)"));
    }
    auto pend = std::find_if(delegated.begin(), delegated.end(),
                             [&](const Pending& x) { return x.resource == it->second; });
    if (pend == delegated.end()) {
      delegated.push_back({it->second, {}});
      pend = delegated.end() - 1;
    }
    pend->values.push_back(res->scopes[s->second].value);
  }
  std::vector<std::pair<AppIndex, uint32_t>> roles;
  for (int i = 0; i < request.app_roles_size(); ++i) {
    const v1::AppRoleRef& ref = request.app_roles(i);
    const AppIndex r = p.FindApp(ref.resource_app_id());
    const ResourceDef* res = r == kNoApp ? nullptr : p.resource_of(r);
    if (res == nullptr || !p.app(r).has_sp) {
      return absl::InvalidArgumentError(
          absl::StrCat("app_roles[", i, "].resource_app_id: unknown resource \"", ref.resource_app_id(), "\""));
    }
    auto role = res->role_by_value.find(ref.value());
    if (role == res->role_by_value.end() || !res->roles[role->second].enabled ||
        !res->roles[role->second].application) {
      return absl::InvalidArgumentError(absl::StrCat("app_roles[", i, "].value: no enabled application role \"",
                                                     ref.value(), "\""));
    }
    if (!allowed(true, r, role->second, nullptr)) {
      return absl::PermissionDeniedError(absl::StrCat("R3: the actor has no consent authority over app role \"",
                                                      ref.value(), "\" of \"", ref.resource_app_id(),
                                                      "\" (SPEC §4)"));
    }
    if (std::find(roles.begin(), roles.end(), std::make_pair(r, role->second)) == roles.end()) {
      roles.emplace_back(r, role->second);  // a role named twice is written once
    }
  }
  for (const Pending& pend : delegated) {
    const ResourceDef* res = p.resource_of(pend.resource);
    std::vector<std::string> existing;
    auto it = res->tenant_grants.find(client);
    if (it != res->tenant_grants.end()) {
      for (uint32_t i = 0; i < res->scopes.size(); ++i) {
        if (TestBit(it->second.scopes.data(), i)) existing.push_back(res->scopes[i].value);
      }
    }
    v1::GrantWrite* w = result.add_grants();
    w->set_client_app_id(p.app(client).app_id);
    w->set_resource_app_id(p.app(pend.resource).app_id);
    w->set_consent_type("AllPrincipals");
    w->set_scope(MergeScopes(res, existing, pend.values));
  }
  for (const auto& [r, idx] : roles) {
    const ResourceDef* res = p.resource_of(r);
    auto it = res->sp_roles.find(client);
    if (it != res->sp_roles.end() && TestBit(it->second.roles.data(), idx)) continue;  // exists
    v1::AppRoleAssignmentWrite* w = result.add_app_role_assignments();
    w->set_client_app_id(p.app(client).app_id);
    w->set_resource_app_id(p.app(r).app_id);
    w->set_app_role_id(res->roles[idx].id);
  }
  if (!p.app(client).has_sp) result.add_create_service_principals(p.app(client).app_id);
  return result;
}

absl::StatusOr<v1::ResourceAccessResult> CompiledPolicy::CheckResourceAccess(
    const v1::ResourceAccessCheck& check) const {
  const CompiledPolicyImpl& p = *impl_;
  if (!check.tenant().empty() && !internal::EqualsIgnoreCase(check.tenant(), p.tenant_id)) {
    // As E1: a check for another tenant is not this bundle's to answer.
    return absl::InvalidArgumentError(absl::StrCat("tenant: \"", check.tenant(),
                                                   "\" is not this bundle's tenant \"", p.tenant_id, "\""));
  }
  std::optional<int64_t> now = internal::ParseRfc3339(check.now());
  if (!now) return absl::InvalidArgumentError(absl::StrCat("now: not an RFC 3339 time: \"", check.now(), "\""));
  if (!check.auth_time().empty() && !internal::ParseRfc3339(check.auth_time())) {
    return absl::InvalidArgumentError(
        absl::StrCat("auth_time: not an RFC 3339 time: \"", check.auth_time(), "\""));
  }
  if (check.has_max_age() && check.max_age() < 0) {
    return absl::InvalidArgumentError(absl::StrCat("max_age: must not be negative, not ", check.max_age()));
  }
  ca::ChallengeFormat format = ca::ChallengeFormat::kEntra;
  if (!check.challenge_format().empty()) {
    std::optional<ca::ChallengeFormat> f = ca::ParseChallengeFormat(check.challenge_format());
    if (!f) {
      return absl::InvalidArgumentError(
          absl::StrCat("challenge_format: must be entra, rfc9470 or both, not \"", check.challenge_format(), "\""));
    }
    format = *f;
  } else if (!check.resource_app_id().empty()) {
    const AppIndex r = p.FindApp(check.resource_app_id());
    const ResourceDef* res = r == kNoApp ? nullptr : p.resource_of(r);
    if (res == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("resource_app_id: no resource API \"", check.resource_app_id(), "\""));
    }
    format = res->challenge_format;
  }
  for (int i = 0; i < check.required_acr_values_size(); ++i) {
    const std::string& v = check.required_acr_values(i);
    bool ok = v.size() >= 2 && v.size() <= 3 && (v[0] == 'c' || v[0] == 'C');
    int n = 0;
    for (size_t k = 1; ok && k < v.size(); ++k) {
      ok = v[k] >= '0' && v[k] <= '9';
      n = n * 10 + (v[k] - '0');
    }
    if (!ok || n < 1 || n > 99 || (v.size() == 3 && v[1] == '0')) {
      return absl::InvalidArgumentError(
          absl::StrCat("required_acr_values[", i, "]: not an auth context id c1...c99: \"", v, "\""));
    }
  }
  return ca::CheckResourceAccess(check, *now, format);
}

}  // namespace consent
