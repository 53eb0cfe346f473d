// The core evaluator: SPEC §3.2's order over a CompiledPolicyImpl.
//
//   1. Validity   V1-V4, V6, P1-P3, A1
//   2. Directory  E1-E4, O1-O5, P4-P10 with E5, E6, E7, V5
//   3. App-only   A2, A3, C9, A5
//   4. Conditional Access (engine/ca)
//   5. Consent    N1-N9
//   6. Token      T1-T7
//
// The first firing rule decides. Each rule runs over all scope tokens, in
// token order, before the next rule. Everything here reads the compiled
// policy and the request in place: no bundle parsing, no string building
// beyond the decision's own text, no allocation once the EvalContext's
// buffers have warmed up.

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>

#include "absl/base/attributes.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "engine/ca/conditional_access.h"
#include "engine/compiled_policy_impl.h"
#include "engine/eval_scratch.h"
#include "engine/internal/ascii.h"
#include "engine/internal/time.h"
#include "engine/permission_match.h"
#include "engine/policy_engine.h"

namespace consent {
namespace {


enum class Grant { kInteractive, kRefresh, kClientCredentials, kObo };

// Thrown by the fault-injection hook; caught by Evaluate (fail closed).
struct InjectedFault : std::exception {
  const char* what() const noexcept override { return "injected fault"; }
};

// Appends `text` to a description, keeping only RFC 6749 A.8 bytes
// (%x20-21 / %x23-5B / %x5D-7E): others become '?'.
void AppendSafe(std::string* out, absl::string_view text) { internal::AppendA8Safe(out, text, '?'); }

// A part of a description: request and bundle text is filtered; the
// engine's own literals are A.8-safe by construction (asserted in debug
// builds) and appended as they are.
inline void AppendPart(std::string* out, absl::string_view text) { AppendSafe(out, text); }
inline void AppendPart(std::string* out, const std::string& text) { AppendSafe(out, text); }
template <size_t N>
inline void AppendPart(std::string* out, const char (&literal)[N]) {
  assert(internal::AllPrintableUnquoted(absl::string_view(literal, N - 1), 0x20));
  out->append(literal, N - 1);
}

template <typename... Parts>
void Describe(std::string* out, const Parts&... parts) {
  out->clear();
  (AppendPart(out, parts), ...);
}

bool IsOidcValue(absl::string_view v) {
  return internal::EqualsIgnoreCase(v, "openid") || internal::EqualsIgnoreCase(v, "profile") || internal::EqualsIgnoreCase(v, "email") ||
         internal::EqualsIgnoreCase(v, "offline_access");
}

bool AnyBit(const uint64_t* w, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) {
    if (w[i] != 0) return true;
  }
  return false;
}

class Evaluation {
 public:
  Evaluation(const CompiledPolicyImpl& p, const v1::TokenRequest& r, EvalContext::Scratch& s, DecisionView& d)
      : p_(p), r_(r), s_(s), d_(d) {}

  void Run() {
    if (!Validity()) return;
    Fault(1);
    if (!Directory()) return;
    Fault(2);
    if (grant_ == Grant::kClientCredentials) {
      AppOnly();
      return;
    }
    Fault(3);
    if (!ConditionalAccess()) return;
    Fault(4);
    if (!Consent()) return;
    Fault(5);
    Token();
    Fault(6);
  }

 private:
  void Fault(int step) {
    if (s_.fault_at_step == step) throw InjectedFault();
  }

  absl::string_view Denial() const { return grant_ == Grant::kInteractive ? "access_denied" : "invalid_grant"; }

  // Out of line and cold: a decision that fails a rule is built once per
  // request at most, and keeping it out of the rule checks keeps the hot
  // path's code small (instruction-cache misses are a large share of an
  // evaluation's cost).
  template <typename... Parts>
  ABSL_ATTRIBUTE_NOINLINE ABSL_ATTRIBUTE_COLD bool Fail(v1::Outcome outcome, absl::string_view rule,
                                                        absl::string_view error, int code,
                                                        const Parts&... description) {
    d_.outcome = outcome;
    d_.AddRule(rule);
    d_.error = error;
    d_.error_code = code;
    Describe(&d_.error_description, description...);
    return false;
  }

  bool Delegated() const { return grant_ != Grant::kClientCredentials; }

  // ---------------------------------------------------------------- step 1
  bool Validity() {
    // V1.
    // Compared as string_views: equal sizes first, inline (std::string's
    // operator== with a literal is an out-of-line compare).
    const absl::string_view gt = r_.grant_type();
    if (gt == "interactive" || gt == "authorization_code") {
      grant_ = Grant::kInteractive;
    } else if (gt == "refresh_token") {
      grant_ = Grant::kRefresh;
    } else if (gt == "client_credentials") {
      grant_ = Grant::kClientCredentials;
    } else if (gt == "on_behalf_of") {
      grant_ = Grant::kObo;
    } else {
      return Fail(v1::INVALID, "V1", "unsupported_grant_type", 70003, "grant_type '", gt, "' is not supported");
    }
    // V2.
    if (r_.client_id().empty()) {
      return Fail(v1::INVALID, "V2", "invalid_request", 900144, "the request body must contain client_id");
    }
    if (grant_ == Grant::kObo && !r_.has_assertion()) {
      return Fail(v1::INVALID, "V2", "invalid_request", 900144, "the request body must contain assertion");
    }
    const bool needs_user = grant_ == Grant::kInteractive || grant_ == Grant::kRefresh ||
                            (grant_ == Grant::kObo && internal::EqualsIgnoreCase(r_.assertion().subject_type(), "user"));
    if (needs_user && (!r_.has_user() || r_.user().id().empty())) {
      return Fail(v1::INVALID, "V2", "invalid_request", 900144, "the request must carry the subject: user.id");
    }
    // V3 (interactive only; silent grants ignore prompt, bad values included).
    if (grant_ == Grant::kInteractive) {
      const std::string& pr = r_.prompt();
      if (pr.empty()) {
      } else if (pr == "none") {
        prompt_none_ = true;
      } else if (pr == "consent") {
        prompt_consent_ = true;
      } else if (pr != "login" && pr != "select_account") {
        return Fail(v1::INVALID, "V3", "invalid_request", 90100, "prompt '", pr,
                    "' is not one of none, login, consent, select_account");
      }
    }
    // V4.
    if (!ca::ParseStepUpParams(r_, grant_ == Grant::kInteractive, p_.options, &s_.step_up, &scratch_text_)) {
      return Fail(v1::INVALID, "V4", "invalid_request", 90100, scratch_text_);
    }
    // V6 (engine choice): `now` and the facts the token service supplies
    // must be well-formed; a malformed fact never passes as a default.
    if (r_.now().empty()) {
      return Fail(v1::INVALID, "V6", "invalid_request", 900144, "the request must carry now");
    }
    std::optional<int64_t> now = internal::ParseRfc3339(r_.now());
    if (!now) {
      return Fail(v1::INVALID, "V6", "invalid_request", 90100, "now '", r_.now(), "' is not an RFC 3339 time");
    }
    now_ = *now;
    if (r_.has_user() && !ValidUser(r_.user())) return false;
    session_ = r_.has_session() ? &r_.session() : nullptr;
    if (grant_ == Grant::kObo) session_ = r_.assertion().has_session() ? &r_.assertion().session() : nullptr;
    if (!ca::AnalyzeSession(session_, p_.options, s_.ca_scratch.get(), &auth_times_, &scratch_text_)) {
      return Fail(v1::INVALID, "V6", "invalid_request", 90100, scratch_text_);
    }
    return ScopeSyntax();
  }

  bool ValidUser(const v1::User& u) {
    const std::string& t = u.user_type();
    if (!t.empty() && !internal::EqualsIgnoreCase(t, "member") && !internal::EqualsIgnoreCase(t, "guest")) {
      return Fail(v1::INVALID, "V6", "invalid_request", 90100, "user.user_type '", t,
                  "' is not member or guest");
    }
    const std::string& k = u.external_kind();
    if (!k.empty() && !internal::EqualsIgnoreCase(k, "b2bCollaborationGuest") &&
        !internal::EqualsIgnoreCase(k, "b2bCollaborationMember") && !internal::EqualsIgnoreCase(k, "b2bDirectConnectUser") &&
        !internal::EqualsIgnoreCase(k, "internalGuest") && !internal::EqualsIgnoreCase(k, "serviceProvider") &&
        !internal::EqualsIgnoreCase(k, "otherExternalUser")) {
      return Fail(v1::INVALID, "V6", "invalid_request", 90100, "user.external_kind '", k, "' is unknown");
    }
    const size_t max = p_.options.max_user_list;
    if (static_cast<size_t>(u.groups_size()) > max || static_cast<size_t>(u.roles_size()) > max ||
        static_cast<size_t>(u.grants_size()) > max || static_cast<size_t>(u.app_role_assignments_size()) > max) {
      return Fail(v1::INVALID, "V6", "invalid_request", 90100,
                  "a list of the user record exceeds the limit max_user_list");
    }
    return true;
  }

  // P1-P3 and A1.
  bool ScopeSyntax() {
    absl::string_view text = r_.scope();
    // P2.
    if (grant_ == Grant::kRefresh && text.empty()) {
      text = r_.refresh_token_scope();
      if (!text.empty()) d_.AddRule("P2");
    }
    if (text.size() > p_.options.max_scope_bytes) {
      return Fail(v1::INVALID, "P1", "invalid_scope", 70011, "scope exceeds the limit max_scope_bytes");
    }
    // P1: split on U+0020 only, then check every token's bytes.
    size_t start = 0;
    while (start <= text.size()) {
      size_t end = internal::FindFirst(text, ' ', start);
      if (end == absl::string_view::npos) end = text.size();
      if (end > start) {
        if (s_.tokens.size() >= p_.options.max_scopes_per_request) {
          return Fail(v1::INVALID, "P1", "invalid_scope", 70011,
                      "scope has more tokens than the limit max_scopes_per_request");
        }
        s_.tokens.emplace_back();
        s_.tokens.back().text = text.substr(start, end - start);
      }
      start = end + 1;
    }
    for (const ScopeToken& t : s_.tokens) {
      if (t.text.size() > p_.options.max_scope_token_bytes) {
        return Fail(v1::INVALID, "P1", "invalid_scope", 70011,
                    "a scope token exceeds the limit max_scope_token_bytes");
      }
      if (!internal::AllPrintableUnquoted(t.text, 0x21)) {
        return Fail(v1::INVALID, "P1", "invalid_scope", 70011, "the scope '", t.text,
                    "' holds a character outside RFC 6749's scope-token syntax");
      }
    }
    if (s_.tokens.empty()) {
      return Fail(v1::INVALID, "P2", "invalid_request", 900144, "the request body must contain scope");
    }
    // P3.
    for (ScopeToken& t : s_.tokens) {
      const size_t slash = internal::FindLast(t.text, '/');
      if (slash == absl::string_view::npos) {
        t.bare = true;
        t.value = t.text;
      } else {
        t.ident = t.text.substr(0, slash);
        t.value = t.text.substr(slash + 1);
        if (t.ident.empty() || t.value.empty()) {
          return Fail(v1::INVALID, "P3", "invalid_scope", 70011, "the scope '", t.text,
                      "' has an empty identifier or value");
        }
      }
      t.is_default = internal::EqualsIgnoreCase(t.value, ".default");  // §0: case-insensitive
    }
    // A1.
    if (grant_ == Grant::kClientCredentials) {
      int defaults = 0;
      const ScopeToken* first = nullptr;
      for (const ScopeToken& t : s_.tokens) {
        if (!t.is_default) continue;
        if (first == nullptr) {
          first = &t;
          defaults = 1;
        } else if (!SameIdentifier(*first, t)) {
          defaults = 2;
        }
      }
      if (defaults > 1) {
        return Fail(v1::INVALID, "A1", "invalid_scope", 70011,
                    "client_credentials takes one resource's .default scope, not several");
      }
      for (const ScopeToken& t : s_.tokens) {
        if (!t.is_default) {
          return Fail(v1::INVALID, "A1", "invalid_scope", 1002012, "the scope '", t.text,
                      "' is not valid for client_credentials: use {resource}/.default");
        }
      }
      if (first == nullptr) {
        return Fail(v1::INVALID, "A1", "invalid_scope", 1002012,
                    "client_credentials needs a {resource}/.default scope");
      }
    }
    return true;
  }

  static bool SameIdentifier(const ScopeToken& a, const ScopeToken& b) {
    const absl::string_view ia = a.bare ? kGraphAppId : a.ident;
    const absl::string_view ib = b.bare ? kGraphAppId : b.ident;
    return internal::EqualsIgnoreCase(ia, ib);
  }

  // ---------------------------------------------------------------- step 2
  bool Directory() {
    // E1.
    if (!internal::EqualsIgnoreCase(r_.tenant(), p_.tenant_id)) {
      return Fail(v1::INVALID, "E1", "invalid_request", 90002, "tenant '", r_.tenant(), "' not found");
    }
    // E2.
    client_ = p_.FindApp(r_.client_id());
    const AppDef* client = client_ == kNoApp ? nullptr : &p_.app(client_);
    bool present = client != nullptr && client->has_sp;
    if (!present) {
      const bool foreign_multi = client != nullptr && client->registered && client->multi_tenant &&
                                 !client->home_is_this_tenant;
      if (!(grant_ == Grant::kInteractive && foreign_multi)) {
        return Fail(v1::INVALID, "E2", "unauthorized_client", 700016, "application '", r_.client_id(),
                    "' was not found in the tenant");
      }
    } else if (client->registered && !client->multi_tenant && !client->home_is_this_tenant) {
      // A single-tenant app is unusable outside its home tenant (SPEC 1.2).
      return Fail(v1::INVALID, "E2", "unauthorized_client", 700016, "application '", r_.client_id(),
                  "' is single-tenant and registered in another tenant");
    }
    d_.AddRule("E2");
    // E3.
    if (present && !client->sp_enabled) {
      return Fail(v1::INVALID, "E3", "unauthorized_client", 7000112, "application '", r_.client_id(),
                  "' is disabled");
    }
    // E4.
    if ((grant_ == Grant::kClientCredentials || grant_ == Grant::kObo) &&
        (!client->confidential || !r_.client_authenticated())) {
      return Fail(v1::INVALID, "E4", "invalid_client", 7000218,
                  "the request body must contain client_assertion or client_secret");
    }
    if (grant_ == Grant::kObo && !Obo()) return false;
    if (!ResolveScopes()) return false;
    if (Delegated()) {
      if (!Subject()) return false;
      // V5.
      if (grant_ == Grant::kInteractive && absl::string_view(r_.consent_response()) == "declined") {
        return Fail(v1::CONSENT_DECLINED, "V5", "access_denied", 65004, "the user declined to consent");
      }
    }
    return true;
  }

  bool Obo() {
    const v1::Assertion& a = r_.assertion();
    if (absl::string_view(a.kind()) != "access_token") {
      return Fail(v1::INVALID, "O1", "invalid_grant", 240002, "the OBO assertion must be an access token");
    }
    std::optional<int64_t> exp = internal::ParseRfc3339(a.exp());
    if (!exp || *exp <= now_) {
      return Fail(v1::INVALID, "O2", "invalid_grant", 500133, "the assertion is not within its valid time range");
    }
    auto it = p_.sp_by_identifier.find(a.aud());
    if (it == p_.sp_by_identifier.end() || it->second != client_) {
      return Fail(v1::INVALID, "O3", "invalid_grant", 50013, "the assertion audience '", a.aud(),
                  "' is not the calling application");
    }
    if (!internal::EqualsIgnoreCase(a.subject_type(), "user")) {
      return Fail(v1::INVALID, "O4", "invalid_grant", 50013, "On-Behalf-Of needs a user assertion");
    }
    if (!internal::EqualsIgnoreCase(a.tid(), p_.tenant_id)) {
      return Fail(v1::INVALID, "O5", "invalid_grant", 50013, "the assertion was issued for another tenant");
    }
    return true;
  }

  // P4-P10 with E5.
  bool ResolveScopes() {
    // P4 / E5.
    for (ScopeToken& t : s_.tokens) {
      const absl::string_view ident = t.bare ? kGraphAppId : t.ident;
      auto it = p_.sp_by_identifier.find(ident);
      if (it == p_.sp_by_identifier.end()) {
        return Fail(v1::INVALID, "E5", "invalid_resource", 500011, "the resource principal named '",
                    t.bare ? absl::string_view("https://graph.microsoft.com") : t.ident,
                    "' was not found in the tenant");
      }
      t.app = it->second;
      if (!p_.app(t.app).sp_enabled) {
        return Fail(v1::INVALID, "E5", "invalid_resource", 50001, "the resource '", ident, "' is disabled");
      }
      t.oidc = t.app == p_.graph && !t.is_default && IsOidcValue(t.value);
    }
    // P5.
    for (size_t i = 0; i < s_.tokens.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        const ScopeToken& a = s_.tokens[j];
        if (!a.duplicate && a.app == s_.tokens[i].app && internal::EqualsIgnoreCase(a.value, s_.tokens[i].value)) {
          s_.tokens[i].duplicate = true;
          break;
        }
      }
    }
    // P6.
    bool any_default = false, any_named = false;
    for (const ScopeToken& t : s_.tokens) {
      if (t.is_default) any_default = true;
      if (!t.is_default && !t.oidc) any_named = true;
    }
    if (any_default && any_named) {
      return Fail(v1::INVALID, "P6", "invalid_scope", 70011,
                  "a .default scope cannot be combined with other named scopes");
    }
    // P7.
    bool oidc_only = true;
    for (const ScopeToken& t : s_.tokens) {
      if (t.oidc) continue;
      oidc_only = false;
      if (std::find(s_.resources.begin(), s_.resources.end(), t.app) == s_.resources.end()) {
        s_.resources.push_back(t.app);
      }
    }
    if (s_.resources.size() > 1 && grant_ == Grant::kObo) {
      return Fail(v1::INVALID, "P7", "invalid_scope", 700022,
                  "On-Behalf-Of takes scopes of a single resource");
    }
    // P8.
    if (oidc_only) {
      if (grant_ == Grant::kObo) {
        return Fail(v1::INVALID, "P8", "invalid_scope", 700023,
                    "On-Behalf-Of needs a resource scope, not only OpenID Connect scopes");
      }
      oidc_only_ = true;
      primary_ = p_.graph;
    } else {
      primary_ = s_.resources.front();
    }
    // P9.
    for (ScopeToken& t : s_.tokens) {
      if (t.is_default) continue;
      const ResourceDef* res = p_.resource_of(t.app);
      if (res != nullptr) {
        auto it = res->scope_by_value.find(t.value);
        if (it != res->scope_by_value.end() && res->scopes[it->second].enabled) {
          t.scope = static_cast<int32_t>(it->second);
          continue;
        }
      }
      return Fail(v1::INVALID, "P9", "invalid_client", 650053, "the application asked for scope '", t.value,
                  "' that does not exist on the resource '", t.bare ? absl::string_view(kGraphAppId) : t.ident,
                  "'");
    }
    // P7, refresh: only the primary resource goes on (OIDC scopes stay).
    if (grant_ == Grant::kRefresh && s_.resources.size() > 1) {
      d_.AddRule("P7");
      for (ScopeToken& t : s_.tokens) {
        if (!t.oidc && t.app != primary_) {
          t.dropped = true;
          if (!t.duplicate) {
            const absl::string_view name = t.bare ? absl::string_view(p_.app(t.app).display) : t.ident;
            if (std::find(d_.dropped_resources.begin(), d_.dropped_resources.end(), name) ==
                d_.dropped_resources.end()) {
              d_.dropped_resources.push_back(name);
            }
          }
        }
      }
      s_.resources.resize(1);
    }
    // P10.
    if (primary_ == client_) {
      self_token_ = true;
      for (const ScopeToken& t : s_.tokens) {
        if (t.app == client_ && !t.bare && !internal::EqualsIgnoreCase(t.ident, p_.app(client_).app_id)) {
          return Fail(v1::INVALID, "P10", "invalid_request", 90009,
                      "an application requesting a token for itself must name itself by its appId, not '",
                      t.ident, "'");
        }
      }
    }
    return true;
  }

  // Whether the user is assigned to `app` (E7): directly or via a group, to
  // an enabled role of it or its default-access role.
  bool UserAssigned(AppIndex app) const {
    const AppDef& a = p_.app(app);
    const ResourceDef* res = p_.resource_of(app);
    for (const v1::UserAppRoleAssignment& as : r_.user().app_role_assignments()) {
      if (!internal::EqualsIgnoreCase(as.resource_app_id(), a.app_id)) continue;
      if (as.app_role_id().empty() || internal::EqualsIgnoreCase(as.app_role_id(), "default")) return true;
      if (res == nullptr) continue;
      auto it = res->role_by_id.find(as.app_role_id());
      if (it != res->role_by_id.end() && res->roles[it->second].enabled) return true;
    }
    return false;
  }

  // E6, E7.
  bool Subject() {
    const v1::User& u = r_.user();
    if (grant_ == Grant::kObo && !internal::EqualsIgnoreCase(u.id(), r_.assertion().subject_id())) {
      return Fail(v1::INVALID, "E6", "invalid_grant", 50013, "the user record does not match the assertion");
    }
    if (u.has_exists() && !u.exists()) {
      return Fail(v1::DENIED, "E6", Denial(), 50034, "the user account does not exist in the tenant");
    }
    if (u.has_enabled() && !u.enabled()) {
      return Fail(v1::DENIED, "E6", Denial(), 50057, "the user account is disabled");
    }
    const AppDef& client = p_.app(client_);
    if (client.has_sp && client.assignment_required && !UserAssigned(client_)) {
      return Fail(v1::DENIED, "E7", Denial(), 50105, "the signed in user is not assigned to a role for the application '",
                  client.app_id, "'");
    }
    const AppDef& primary = p_.app(primary_);
    if (primary_ != client_ && primary.has_sp && primary.assignment_required && !UserAssigned(primary_)) {
      return Fail(v1::DENIED, "E7", Denial(), 50105, "the signed in user is not assigned to a role for the application '",
                  primary.app_id, "'");
    }
    return true;
  }

  // ---------------------------------------------------------------- step 3
  void AppOnly() {
    const ResourceDef* res = p_.resource_of(primary_);
    const SpRoleSet* roles = nullptr;
    if (res != nullptr) {
      auto it = res->sp_roles.find(client_);
      if (it != res->sp_roles.end()) roles = &it->second;
    }
    // A3.
    if (p_.app(primary_).assignment_required) {
      bool assigned = roles != nullptr && roles->default_access;
      if (roles != nullptr && !assigned) {
        for (uint32_t i = 0; i < res->roles.size(); ++i) {
          if (TestBit(roles->roles.data(), i) && res->roles[i].enabled) assigned = true;
        }
      }
      if (!assigned) {
        Fail(v1::DENIED, "A3", "invalid_grant", 501051, "the application '", p_.app(client_).app_id,
             "' is not assigned to a role for the application '", p_.app(primary_).app_id, "'");
        return;
      }
    }
    // C9.
    ca::CaInput in;
    in.grant = ca::GrantKind::kClientCredentials;
    in.client_public = !p_.app(client_).confidential;
    in.now = now_;
    in.session = session_;
    in.step_up = &s_.step_up;
    in.client = client_;
    in.resource = primary_;
    if (!RunCa(in)) return;
    // A5.
    d_.outcome = v1::ISSUE;
    d_.AddRule("A5");
    d_.aud = p_.app(primary_).app_id;
    if (roles != nullptr) {
      for (uint32_t i = 0; i < res->roles.size(); ++i) {
        const RoleDef& role = res->roles[i];
        if (TestBit(roles->roles.data(), i) && role.enabled && role.application) d_.roles.push_back(role.value);
      }
      std::sort(d_.roles.begin(), d_.roles.end(), internal::SpecLessFn());
    }
  }

  // Moves `from` into `to` (cleared at the start of this evaluation) by
  // swapping buffers, then lets `from` catch up with `to`'s capacity so that
  // neither buffer of the pair ever grows again once both have seen the
  // largest result (the hot path stays allocation-free).
  template <typename T>
  static void Take(T* to, T* from) {
    to->swap(*from);
    from->reserve(to->capacity());
  }

  // Moves the CA verdict into the decision; false when it decided.
  bool RunCa(const ca::CaInput& in) {
    ca::CaResult& cr = s_.ca_result;
    p_.ca->Evaluate(in, s_.ca_scratch.get(), &cr);
    for (absl::string_view rule : cr.rules) d_.AddRule(rule);
    Take(&d_.applied_policies, &cr.applied_policies);
    d_.report_only = cr.report_only;
    Take(&d_.deferred_policies, &cr.deferred_policies);
    Take(&d_.unmet_controls, &cr.unmet_controls);
    switch (cr.verdict) {
      case ca::CaResult::Verdict::kPass:
        return true;
      case ca::CaResult::Verdict::kBlocked:
        d_.outcome = v1::BLOCKED;
        d_.error = cr.error;
        d_.error_code = cr.error_code;
        d_.suberror = cr.suberror;
        Take(&d_.blocking_policies, &cr.blocking_policies);
        Describe(&d_.error_description, "access has been blocked by Conditional Access policies");
        return false;
      case ca::CaResult::Verdict::kStepUp:
        d_.outcome = v1::STEP_UP_REQUIRED;
        d_.error = cr.error;
        d_.error_code = cr.error_code;
        d_.suberror = cr.suberror;
        Take(&d_.required, &cr.required);
        d_.required_any_size = cr.required_any_size;
        if (d_.required_any.size() < cr.required_any_size) d_.required_any.resize(cr.required_any_size);
        for (size_t i = 0; i < cr.required_any_size; ++i) {
          Take(&d_.required_any[i], &cr.required_any[i]);
        }
        Take(&d_.claims, &cr.claims);
        Take(&d_.rfc9470_challenge, &cr.rfc9470_challenge);
        Take(&d_.middle_tier_challenge, &cr.middle_tier_challenge);
        Describe(&d_.error_description, "additional authentication is required by Conditional Access");
        return false;
    }
    return false;
  }

  // ---------------------------------------------------------------- step 4
  void AddTarget(AppIndex a) {
    if (a == kNoApp) return;
    if (std::find(s_.targets.begin(), s_.targets.end(), a) == s_.targets.end()) s_.targets.push_back(a);
  }

  bool ConditionalAccess() {
    // C2: the primary resource (AADGRAPH for OIDC-only requests), the
    // ca_targets of its requested scopes, the confidential client asking
    // for openid.
    AddTarget(oidc_only_ ? p_.aad_graph : primary_);
    const ResourceDef* res = p_.resource_of(primary_);
    bool openid = false;
    bool primary_default = false;
    for (const ScopeToken& t : s_.tokens) {
      if (t.oidc && internal::EqualsIgnoreCase(t.value, "openid")) openid = true;
      if (t.app != primary_ || t.dropped) continue;
      if (t.is_default) {
        primary_default = true;
      } else if (res != nullptr && t.scope >= 0) {
        for (AppIndex a : res->scopes[static_cast<size_t>(t.scope)].ca_targets) AddTarget(a);
      }
    }
    if (primary_default && res != nullptr) {
      // `R/.default`: R's scopes in G, and in S when N2 uses it.
      const uint32_t g = s_.Alloc(res->scope_words);
      ComputeGranted(client_, primary_, s_.Words(g), /*record=*/false);
      const bool uses_static = !AnyBit(s_.Words(g), res->scope_words) || prompt_consent_;
      ForEachBit(s_.Words(g), res->scope_words, [&](uint32_t i) {
        for (AppIndex a : res->scopes[i].ca_targets) AddTarget(a);
        return true;
      });
      if (uses_static) {
        ForEachStaticEntry([&](AppIndex, const StaticEntry& e) {
          if (e.resource == primary_) {
            for (AppIndex a : res->scopes[e.scope].ca_targets) AddTarget(a);
          }
        });
      }
    }
    if (openid && p_.app(client_).confidential) AddTarget(client_);

    ca::CaInput in;
    switch (grant_) {
      case Grant::kInteractive:
        in.grant = ca::GrantKind::kInteractive;
        break;
      case Grant::kRefresh:
        in.grant = ca::GrantKind::kRefreshToken;
        break;
      case Grant::kObo:
        in.grant = ca::GrantKind::kOnBehalfOf;
        break;
      case Grant::kClientCredentials:
        in.grant = ca::GrantKind::kClientCredentials;
        break;
    }
    in.client_public = !p_.app(client_).confidential;
    in.now = now_;
    in.user = &r_.user();
    in.session = session_;
    in.targets = absl::MakeConstSpan(s_.targets);
    in.step_up = &s_.step_up;
    const ResourceDef* primary_res = p_.resource_of(primary_);
    in.opportunistic_acrs = primary_res != nullptr && primary_res->acrs_optional_claim;
    in.challenge_format = primary_res != nullptr ? primary_res->challenge_format : ca::ChallengeFormat::kEntra;
    in.client = client_;
    in.resource = primary_;
    return RunCa(in);
  }

  // ---------------------------------------------------------------- step 5
  // Calls f(client, entry) for every usable entry of the static set S (N2):
  // the client's own, then each combined-consent partner's as its client.
  template <typename F>
  void ForEachStaticEntry(F f) const {
    const AppDef& client = p_.app(client_);
    for (const StaticEntry& e : client.static_delegated) f(client_, e);
    for (AppIndex a : client.known_client_of) {
      for (const StaticEntry& e : p_.app(a).static_delegated) f(a, e);
    }
  }

  // N1: G(client, resource, user) into `out` (resource's scope words).
  void ComputeGranted(AppIndex client, AppIndex resource, uint64_t* out, bool record) {
    const ResourceDef* res = p_.resource_of(resource);
    if (res == nullptr) return;
    const uint32_t words = res->scope_words;
    auto tg = res->tenant_grants.find(client);
    if (tg != res->tenant_grants.end()) {
      for (uint32_t i = 0; i < words; ++i) out[i] |= tg->second.scopes[i];
      if (record) {
        for (const std::string& id : tg->second.ids) d_.grants.push_back(id);
      }
    }
    auto pa = res->pre_authorized.find(client);
    if (pa != res->pre_authorized.end()) {
      for (uint32_t i = 0; i < words; ++i) out[i] |= pa->second[i];
    }
    const absl::string_view client_id = p_.app(client).app_id;
    const absl::string_view resource_id = p_.app(resource).app_id;
    for (const v1::UserGrant& g : r_.user().grants()) {
      if (!internal::EqualsIgnoreCase(g.client_app_id(), client_id) || !internal::EqualsIgnoreCase(g.resource_app_id(), resource_id)) {
        continue;
      }
      if (record) d_.grants.push_back("user grant");
      absl::string_view text = g.scope();
      size_t start = 0;
      while (start < text.size()) {
        size_t end = internal::FindFirst(text, ' ', start);
        if (end == absl::string_view::npos) end = text.size();
        if (end > start) {
          auto it = res->scope_by_value.find(text.substr(start, end - start));
          if (it != res->scope_by_value.end()) SetBit(out, it->second);
        }
        start = end + 1;
      }
    }
    for (uint32_t i = 0; i < words; ++i) out[i] &= res->enabled_scopes[i];
  }

  ConsentUnit& Unit(AppIndex client, AppIndex resource) {
    for (ConsentUnit& u : s_.units) {
      if (u.client == client && u.resource == resource) return u;
    }
    const ResourceDef* res = p_.resource_of(resource);
    ConsentUnit u;
    u.client = client;
    u.resource = resource;
    u.words = res == nullptr ? 0 : res->scope_words;
    u.q = s_.Alloc(u.words);
    u.g = s_.Alloc(u.words);
    u.m = s_.Alloc(u.words);
    ComputeGranted(client, resource, s_.Words(u.g), /*record=*/client == client_ && resource == primary_);
    s_.units.push_back(u);
    return s_.units.back();
  }

  void AddGroup(AppIndex resource) {
    if (std::find(s_.prompt_groups.begin(), s_.prompt_groups.end(), resource) == s_.prompt_groups.end()) {
      s_.prompt_groups.push_back(resource);
    }
  }

  bool Consent() {
    // N2: requested Q per (client, resource), in request order.
    bool use_static = false;
    for (const ScopeToken& t : s_.tokens) {
      if (t.dropped) continue;
      AddGroup(t.app);
      ConsentUnit& u = Unit(client_, t.app);
      if (!t.is_default) {
        SetBit(s_.Words(u.q), static_cast<uint32_t>(t.scope));
        continue;
      }
      const bool granted_any = AnyBit(s_.Words(u.g), u.words);
      if (granted_any && !prompt_consent_) continue;  // nothing requested
      use_static = true;
      if (prompt_consent_) {
        // N3: re-consent also lists what is granted.
        for (uint32_t i = 0; i < u.words; ++i) s_.Words(u.q)[i] |= s_.Words(u.g)[i];
      }
    }
    if (use_static) {
      d_.AddRule("N2");
      ForEachStaticEntry([&](AppIndex client, const StaticEntry& e) {
        AddGroup(e.resource);
        ConsentUnit& u = Unit(client, e.resource);
        SetBit(s_.Words(u.q), e.scope);
      });
      for (const std::string& skipped : p_.app(client_).static_skipped) d_.skipped_static_entries.push_back(skipped);
      for (AppIndex a : p_.app(client_).known_client_of) {
        for (const std::string& skipped : p_.app(a).static_skipped) d_.skipped_static_entries.push_back(skipped);
      }
      // 650057: a `.default` resource that neither the client's own static
      // entries nor a pre-authorization cover.
      for (const ScopeToken& t : s_.tokens) {
        if (!t.is_default || t.dropped || t.duplicate) continue;
        bool covered = false;
        for (const StaticEntry& e : p_.app(client_).static_delegated) {
          if (e.resource == t.app) covered = true;
        }
        const ResourceDef* res = p_.resource_of(t.app);
        if (res != nullptr && res->pre_authorized.contains(client_)) covered = true;
        if (!covered) {
          return Fail(v1::INVALID, "N2", "invalid_client", 650057, "the application '", p_.app(client_).app_id,
                      "' does not list any permission of '", t.ident.empty() ? p_.app(t.app).display : t.ident,
                      "' in its required permissions");
        }
      }
    }
    // T6: a token for itself needs GRAPH User.Read.
    if (self_token_) {
      const ResourceDef* graph = p_.resource_of(p_.graph);
      int32_t user_read = -1;
      if (graph != nullptr && p_.app(p_.graph).has_sp) {
        auto it = graph->scope_by_value.find("User.Read");
        if (it != graph->scope_by_value.end() && graph->scopes[it->second].enabled) {
          user_read = static_cast<int32_t>(it->second);
        }
      }
      if (user_read < 0) {
        return Fail(v1::INVALID, "T6", "invalid_grant", 90008,
                    "a token for the application itself needs Microsoft Graph User.Read, which the tenant lacks");
      }
      ConsentUnit& u = Unit(client_, p_.graph);
      if (!TestBit(s_.Words(u.g), static_cast<uint32_t>(user_read))) {
        if (grant_ != Grant::kInteractive) {
          self_user_read_missing_ = true;
        } else {
          d_.AddRule("T6");
          SetBit(s_.Words(u.q), static_cast<uint32_t>(user_read));
          AddGroup(p_.graph);
        }
      }
    }
    // N3: M = Q minus granted (prompt=consent: M = Q).
    bool any_missing = false;
    for (ConsentUnit& u : s_.units) {
      uint64_t* q = s_.Words(u.q);
      uint64_t* g = s_.Words(u.g);
      uint64_t* m = s_.Words(u.m);
      for (uint32_t i = 0; i < u.words; ++i) {
        m[i] = prompt_consent_ ? q[i] : (q[i] & ~g[i]);
        if (m[i] != 0) u.any_m = true;
      }
      any_missing |= u.any_m;
    }
    if (!any_missing) return true;
    d_.AddRule("N3");
    // N4.
    if (grant_ != Grant::kInteractive) {
      d_.outcome = v1::CONSENT_REQUIRED;
      d_.AddRule("N4");
      d_.error = "invalid_grant";
      d_.suberror = "consent_required";
      d_.error_code = 65001;
      Describe(&d_.error_description, "the user or administrator has not consented to use the application");
      return false;
    }
    return Interactive();
  }

  // Calls f(unit, scope index, scope) for every permission of M.
  template <typename F>
  bool AllMissing(F f) const {
    for (const ConsentUnit& u : s_.units) {
      if (!u.any_m) continue;
      const ResourceDef* res = p_.resource_of(u.resource);
      const uint64_t* m = s_.bits.data() + u.m;
      if (!ForEachBit(m, u.words, [&](uint32_t i) { return f(u, i, res->scopes[i]); })) return false;
    }
    return true;
  }

  PermissionEvent Event(const ConsentUnit& u, uint32_t i, const ScopeDef& s) const {
    PermissionEvent e;
    e.application = false;
    e.resource = u.resource;
    e.index = i;
    e.classification = s.classification;
    e.admin_only = s.admin_only;
    e.client = u.client;
    return e;
  }

  // Whether some policy of `policies` allows the event; records the
  // allowing policy and every condition set that matched (coverage).
  bool AnyPolicyAllows(const int32_t* policies, size_t n, const PermissionEvent& e) {
    for (size_t k = 0; k < n; ++k) {
      const GrantPolicyDef& pol = p_.grant_policies[static_cast<size_t>(policies[k])];
      const ConditionSetDef* include = nullptr;
      const ConditionSetDef* exclude = nullptr;
      const bool allows = PolicyAllows(p_, pol, e, &include, &exclude);
      if (include != nullptr) AddOnce(&d_.condition_sets, include->label);
      if (exclude != nullptr) AddOnce(&d_.condition_sets, exclude->label);
      if (allows) {
        AddOnce(&d_.grant_policies, pol.id);
        return true;
      }
    }
    return false;
  }

  static void AddOnce(std::vector<absl::string_view>* v, absl::string_view s) {
    if (std::find(v->begin(), v->end(), s) == v->end()) v->push_back(s);
  }

  // SPEC §4: the user's authority policies (roles) and self policies.
  void CollectPolicies() {
    const size_t np = p_.grant_policies.size();
    if (s_.authority_stamp.size() < np) {
      s_.authority_stamp.resize(np, 0);
      s_.self_stamp.resize(np, 0);
    }
    if (++s_.policy_epoch == 0) {  // wrapped: old stamps could look current
      std::fill(s_.authority_stamp.begin(), s_.authority_stamp.end(), 0);
      std::fill(s_.self_stamp.begin(), s_.self_stamp.end(), 0);
      s_.policy_epoch = 1;
    }
    const uint32_t epoch = s_.policy_epoch;
    s_.authority_policies.clear();
    s_.self_policies.clear();
    auto add = [epoch](std::vector<int32_t>* list, std::vector<uint32_t>* stamp, int32_t p) {
      if (p < 0 || (*stamp)[static_cast<size_t>(p)] == epoch) return;
      (*stamp)[static_cast<size_t>(p)] = epoch;
      list->push_back(p);
    };
    auto add_authority = [&](int32_t p) { add(&s_.authority_policies, &s_.authority_stamp, p); };
    auto add_self = [&](int32_t p) { add(&s_.self_policies, &s_.self_stamp, p); };
    for (int32_t p : p_.user_consent_policies) add_self(p);
    for (const std::string& role : r_.user().roles()) {
      auto b = p_.builtin_roles.find(role);
      if (b != p_.builtin_roles.end()) {
        switch (b->second) {
          case BuiltinRole::kGlobalAdministrator:
          case BuiltinRole::kPrivilegedRoleAdministrator:
            add_authority(p_.company_admin_policy);
            break;
          case BuiltinRole::kCloudApplicationAdministrator:
          case BuiltinRole::kApplicationAdministrator:
            add_authority(p_.application_admin_policy);
            break;
          case BuiltinRole::kNone:
            break;
        }
        continue;
      }
      auto c = p_.custom_role_by_id.find(role);
      if (c == p_.custom_role_by_id.end()) continue;
      const CustomRoleDef& def = p_.custom_roles[static_cast<size_t>(c->second)];
      for (int32_t p : def.all_policies) add_authority(p);
      for (int32_t p : def.self_policies) add_self(p);
    }
  }

  // N8 for one client over its part of M.
  bool Risky(AppIndex client) const {
    if (!p_.block_risky) return false;
    const AppDef& a = p_.app(client);
    static const int64_t kCutoff = *internal::ParseDate("2020-11-08");
    if (!a.multi_tenant || a.home_is_this_tenant || a.publisher_verified || a.created_days <= kCutoff) {
      return false;
    }
    for (const ConsentUnit& u : s_.units) {
      if (u.client != client || !u.any_m) continue;
      const ResourceDef* res = p_.resource_of(u.resource);
      const uint64_t* m = s_.bits.data() + u.m;
      if (!ForEachBit(m, u.words, [&](uint32_t i) { return res->scopes[i].basic; })) return true;
    }
    return false;
  }

  void BuildPrompt() {
    s_.prompt.clear();
    for (const ConsentUnit& u : s_.units) {
      if (!u.any_m) continue;
      const ResourceDef* res = p_.resource_of(u.resource);
      const uint64_t* m = s_.bits.data() + u.m;
      const uint32_t group = static_cast<uint32_t>(
          std::find(s_.prompt_groups.begin(), s_.prompt_groups.end(), u.resource) - s_.prompt_groups.begin());
      ForEachBit(m, u.words, [&](uint32_t i) {
        const ScopeDef* sd = &res->scopes[i];
        bool seen = false;
        for (const auto& item : s_.prompt) {
          if (item.scope == sd) seen = true;
        }
        if (!seen) s_.prompt.push_back({group, sd});
        return true;
      });
    }
    std::sort(s_.prompt.begin(), s_.prompt.end(), [](const auto& a, const auto& b) {
      if (a.group != b.group) return a.group < b.group;
      return internal::SpecLess(a.scope->prompt_name, b.scope->prompt_name);
    });
    for (const auto& item : s_.prompt) d_.prompt_scopes.push_back(item.scope->prompt_name);
  }

  // N5.
  bool Interactive() {
    CollectPolicies();
    const v1::User& u = r_.user();
    // (a) Consent authority over all of M.
    if (!s_.authority_policies.empty() && AllMissing([&](const ConsentUnit& unit, uint32_t i, const ScopeDef& s) {
          return AnyPolicyAllows(s_.authority_policies.data(), s_.authority_policies.size(), Event(unit, i, s));
        })) {
      d_.outcome = v1::CONSENT_PROMPT_ADMIN;
      d_.AddRule("N5a");
      d_.org_wide_option = true;
      BuildPrompt();
      PromptNone();
      return false;
    }
    d_.grant_policies.clear();
    // (b) Self-consent; else (c) the first failure among guest,
    // assignment, admin_only, risky, policy.
    absl::string_view reason;
    if (internal::EqualsIgnoreCase(u.user_type(), "guest")) {
      reason = "guest";
    }
    if (reason.empty()) {
      for (const ConsentUnit& unit : s_.units) {
        const AppDef& c = p_.app(unit.client);
        if (unit.any_m && c.has_sp && c.assignment_required) reason = "assignment";
      }
    }
    if (reason.empty() && !AllMissing([](const ConsentUnit&, uint32_t, const ScopeDef& s) { return !s.admin_only; })) {
      reason = "admin_only";
    }
    if (reason.empty()) {
      for (const ConsentUnit& unit : s_.units) {
        if (unit.any_m && Risky(unit.client)) reason = "risky";
      }
    }
    if (reason.empty() && !AllMissing([&](const ConsentUnit& unit, uint32_t i, const ScopeDef& s) {
          return AnyPolicyAllows(s_.self_policies.data(), s_.self_policies.size(), Event(unit, i, s));
        })) {
      reason = "policy";
    }
    if (reason.empty()) {
      d_.outcome = v1::CONSENT_PROMPT_USER;
      d_.AddRule("N5b");
      d_.org_wide_option = false;
      BuildPrompt();
      PromptNone();
      return false;
    }
    d_.outcome = v1::ADMIN_APPROVAL_REQUIRED;
    d_.AddRule("N5c");
    d_.error = "access_denied";
    d_.reason = reason;
    const bool risky = reason == "risky";
    if (p_.admin_consent_workflow) {
      d_.error_code = risky ? 900981 : 90095;
      d_.admin_consent_request_available = !r_.consent_request_pending();
      if (d_.admin_consent_request_available) d_.AddRule("R4");
    } else {
      d_.error_code = risky ? 900941 : reason == "policy" ? 90093 : 90094;
    }
    Describe(&d_.error_description, "the user cannot consent (", reason, "): an administrator must approve");
    if (prompt_none_) d_.error = "consent_required";
    return false;
  }

  // SPEC 3.1: prompt=none keeps the prompt, with consent_required 65001.
  void PromptNone() {
    if (!prompt_none_) return;
    d_.error = "consent_required";
    d_.error_code = 65001;
    Describe(&d_.error_description, "prompt=none, but the user must consent");
  }

  // ---------------------------------------------------------------- step 6
  void Token() {
    if (self_user_read_missing_) {
      Fail(v1::INVALID, "T6", "invalid_grant", 90008,
           "the user or administrator has not consented to Microsoft Graph User.Read for this application");
      return;
    }
    d_.outcome = v1::ISSUE;
    d_.AddRule("T1");
    const AppDef& primary = p_.app(primary_);
    d_.aud = primary.app_id;
    const ResourceDef* res = p_.resource_of(primary_);
    if (res != nullptr) {
      const ConsentUnit& u = Unit(client_, primary_);
      const uint64_t* g = s_.bits.data() + u.g;
      ForEachBit(g, u.words, [&](uint32_t i) {
        const ScopeDef& s = res->scopes[i];
        // T1: minus offline_access; OIDC scopes are GRAPH's, so they reach
        // `scp` only when GRAPH is the primary resource.
        if (!(s.oidc && internal::EqualsIgnoreCase(s.value, "offline_access"))) d_.scp.push_back(s.value);
        return true;
      });
      std::sort(d_.scp.begin(), d_.scp.end(), internal::SpecLessFn());
      // T2.
      for (const v1::UserAppRoleAssignment& as : r_.user().app_role_assignments()) {
        if (!internal::EqualsIgnoreCase(as.resource_app_id(), primary.app_id)) continue;
        auto it = res->role_by_id.find(as.app_role_id());
        if (it == res->role_by_id.end()) continue;
        const RoleDef& role = res->roles[it->second];
        if (!role.enabled || !role.user) continue;
        if (std::find(d_.roles.begin(), d_.roles.end(), role.value) == d_.roles.end()) d_.roles.push_back(role.value);
      }
      std::sort(d_.roles.begin(), d_.roles.end(), internal::SpecLessFn());
    }
    // T3.
    bool openid = false, offline = false;
    for (const ScopeToken& t : s_.tokens) {
      if (!t.oidc) continue;
      if (internal::EqualsIgnoreCase(t.value, "openid")) openid = true;
      if (internal::EqualsIgnoreCase(t.value, "offline_access")) offline = true;
    }
    d_.id_token = openid && (grant_ == Grant::kInteractive || grant_ == Grant::kRefresh);
    if (offline) {
      const ResourceDef* graph = p_.resource_of(p_.graph);
      if (graph != nullptr) {
        auto it = graph->scope_by_value.find("offline_access");
        const ConsentUnit& u = Unit(client_, p_.graph);
        d_.refresh_token = it != graph->scope_by_value.end() && TestBit(s_.bits.data() + u.g, it->second);
      }
    }
    if (d_.refresh_token || d_.id_token) d_.AddRule("T3");
    // T4.
    d_.acrs.assign(s_.ca_result.acrs.begin(), s_.ca_result.acrs.end());
    // T6: token for itself.
    if (self_token_) d_.AddRule("T6");
    // T7.
    if (auth_times_.primary_auth_time) internal::FormatRfc3339(*auth_times_.primary_auth_time, &d_.auth_time);
    if (res != nullptr && res->xms_cc_optional_claim) {
      for (absl::string_view v : s_.step_up.xms_cc) {
        if (std::find(d_.xms_cc.begin(), d_.xms_cc.end(), v) == d_.xms_cc.end()) d_.xms_cc.push_back(v);
      }
    }
  }

  const CompiledPolicyImpl& p_;
  const v1::TokenRequest& r_;
  EvalContext::Scratch& s_;
  DecisionView& d_;

  Grant grant_ = Grant::kInteractive;
  bool prompt_none_ = false;
  bool prompt_consent_ = false;
  bool oidc_only_ = false;
  bool self_token_ = false;
  bool self_user_read_missing_ = false;
  int64_t now_ = 0;
  const v1::Session* session_ = nullptr;
  ca::AuthTimes auth_times_;
  AppIndex client_ = kNoApp;
  AppIndex primary_ = kNoApp;
  std::string scratch_text_;
};

}  // namespace

const DecisionView& CompiledPolicy::Evaluate(const v1::TokenRequest& request, EvalContext* context) const {
  DecisionView& d = context->result();
  EvalContext::Scratch& s = context->scratch();
  d.Clear();
  s.Clear();
  try {
    Evaluation(*impl_, request, s, d).Run();
    if (d.outcome == v1::OUTCOME_UNSPECIFIED) {
      // Every path decides; reaching here is an engine bug. Fail closed.
      d.Clear();
      d.outcome = v1::UNAVAILABLE;
      d.error = "server_error";
      d.error_description = "the engine reached no decision";
      d.AddRule("FAIL_CLOSED");
    }
  } catch (...) {
    d.Clear();
    d.outcome = v1::UNAVAILABLE;
    d.error = "server_error";
    d.error_description = "internal error while evaluating the request";
    d.AddRule("FAIL_CLOSED");
  }
  return d;
}

}  // namespace consent
