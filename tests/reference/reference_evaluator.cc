// The reference evaluator: SPEC.md §2-§4 written for obviousness. Rule ids
// (V1, P6, C4, N5c, ...) are SPEC's. See reference_evaluator.h.
#include "tests/reference/reference_evaluator.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tests/reference/reference_util.h"

namespace consent {
namespace reference {
namespace {

using std::string;
using std::vector;

const char kGraph[] = "00000003-0000-0000-c000-000000000000";
const char kAadGraph[] = "00000002-0000-0000-c000-000000000000";

// SPEC engine_options.h defaults the model enforces too.
constexpr size_t kMaxScopeBytes = 8192;
constexpr size_t kMaxScopes = 100;
constexpr size_t kMaxScopeTokenBytes = 512;
constexpr size_t kMaxClaimsBytes = 16384;
constexpr int kMaxClaimsDepth = 16;
constexpr size_t kMaxAcrValues = 32;
constexpr size_t kMaxUserList = 10000;
constexpr size_t kMaxSessionList = 256;

bool IsOidcValue(const string& v) {
  return IEq(v, "openid") || IEq(v, "profile") || IEq(v, "email") ||
         IEq(v, "offline_access");
}

template <typename M>
bool Enabled(const M& m) {
  return !m.has_enabled() || m.enabled();
}

// SPEC 2.5 method vocabulary, Graph import names mapped.
std::optional<string> CanonicalMethod(const string& m, bool in_combination) {
  static const char* kNames[] = {
      "fido2", "windowsHelloForBusiness", "x509Multifactor",
      "microsoftAuthenticatorPhoneSignIn", "temporaryAccessPassOneTime",
      "temporaryAccessPassMultiUse", "federatedMultiFactor", "sms", "voice",
      "microsoftAuthenticatorPush", "softwareOath", "hardwareOath", "password",
      "federatedSingleFactor", "x509SingleFactor", "smsSignIn", "emailOtp"};
  if (IEq(m, "x509CertificateMultiFactor")) return string("x509Multifactor");
  if (IEq(m, "x509CertificateSingleFactor")) return string("x509SingleFactor");
  if (IEq(m, "deviceBasedPush")) return string("microsoftAuthenticatorPhoneSignIn");
  if (IEq(m, "email")) return string("emailOtp");
  if (in_combination && IEq(m, "sms")) return string("smsSignIn");
  for (const char* n : kNames) {
    if (IEq(m, n)) return string(n);
  }
  return std::nullopt;
}

bool IsStrong(const string& m) {
  return m == "fido2" || m == "windowsHelloForBusiness" ||
         m == "x509Multifactor" || m == "microsoftAuthenticatorPhoneSignIn" ||
         m == "temporaryAccessPassOneTime" ||
         m == "temporaryAccessPassMultiUse" || m == "federatedMultiFactor";
}
bool IsSecondFactor(const string& m) {
  return m == "sms" || m == "voice" || m == "microsoftAuthenticatorPush" ||
         m == "softwareOath" || m == "hardwareOath";
}

// "c1" ... "c99".
bool ValidContextId(const string& s) {
  if (s.size() < 2 || s.size() > 3 || (s[0] != 'c' && s[0] != 'C')) return false;
  if (s[1] < '1' || s[1] > '9') return false;
  if (s.size() == 3 && (s[2] < '0' || s[2] > '9')) return false;
  return true;
}

enum class GrantType { kInteractive, kRefresh, kClientCredentials, kObo };

struct ScopeTok {
  string text;
  string ident;  // identifier part (GRAPH's appId for bare tokens)
  string value;  // value part as written
  bool bare = false;
  bool is_default = false;
  const v1::ServicePrincipal* sp = nullptr;
  string resource;       // canonical app id (after P4)
  string canon_value;    // canonical scope value (after P9)
  bool oidc = false;
};

struct Perm {
  string client;
  string resource;
  string value;  // canonical
};

struct Judge {
  bool block = false;
  enum Grant { kSat, kSoft, kHard } grant = kSat;
  int hard_rank = 99;
  vector<std::pair<int, string>> soft_items;  // (rank, item)
  bool is_or = false;
  bool sif_unmet = false;  // unmet and not deferred
  bool sif_deferred = false;
  int64_t sif_interval = 0;
  bool Hard() const { return !block && grant == kHard; }
  bool Soft() const { return !block && !Hard() && (grant == kSoft || sif_unmet); }
  bool Satisfied() const { return !block && !Hard() && !Soft(); }
};

struct PolInfo {
  const v1::ConditionalAccessPolicy* p = nullptr;
  bool enforced = false;
  bool report_only = false;
  bool ctx_policy = false;
  bool users_cond = false;  // users ∧ conditions (not applications)
  bool targeted = false;    // C2 (non-context policies)
  Judge j;
};

class Evaluator {
 public:
  Evaluator(const v1::PolicyBundle& b, const v1::TokenRequest& r)
      : b_(b), r_(r) {}

  v1::Decision Run() {
    if (!Steps()) return d_;
    return d_;
  }

 private:
  // ---- decision helpers ------------------------------------------------
  bool Fail(v1::Outcome o, const string& error, int code, const string& rule,
            const string& suberror = "") {
    d_.set_outcome(o);
    d_.set_error(error);
    d_.set_error_code(code);
    d_.set_suberror(suberror);
    d_.set_error_description(rule + " " + error);
    d_.mutable_explanation()->add_rules(rule);
    AttachCa();
    return false;
  }
  string Denial() const {
    return grant_ == GrantType::kInteractive ? "access_denied" : "invalid_grant";
  }
  void AttachCa() {
    if (!ca_reached_) return;
    for (const string& s : applied_) d_.add_applied_policies(s);
    for (const auto& kv : report_only_) {
      v1::ReportOnlyResult* r = d_.add_report_only();
      r->set_id(kv.first);
      r->set_result(kv.second);
    }
  }
  bool Delegated() const { return grant_ != GrantType::kClientCredentials; }

  // ---- bundle lookups --------------------------------------------------
  const v1::ServicePrincipal* FindSp(const string& app) const {
    for (const auto& sp : b_.service_principals()) {
      if (IEq(sp.app_id(), app)) return &sp;
    }
    return nullptr;
  }
  const v1::AppRegistration* FindReg(const string& app) const {
    for (const auto& reg : b_.app_registrations()) {
      if (IEq(reg.app_id(), app)) return &reg;
    }
    return nullptr;
  }
  const v1::ResourceApi* FindApi(const string& app) const {
    for (const auto& api : b_.resources()) {
      if (IEq(api.app_id(), app)) return &api;
    }
    return nullptr;
  }
  // P4: exact appId or identifier URI.
  const v1::ServicePrincipal* Resolve(const string& ident) const {
    if (const v1::ServicePrincipal* sp = FindSp(ident)) return sp;
    for (const auto& reg : b_.app_registrations()) {
      if (ContainsIR(reg.identifier_uris(), ident)) {
        if (const v1::ServicePrincipal* sp = FindSp(reg.app_id())) return sp;
      }
    }
    return nullptr;
  }
  const v1::DelegatedScope* FindScope(const string& res, const string& value) const {
    const v1::ResourceApi* api = FindApi(res);
    if (api == nullptr) return nullptr;
    for (const auto& s : api->scopes()) {
      if (IEq(s.value(), value) && Enabled(s)) return &s;
    }
    return nullptr;
  }
  const v1::DelegatedScope* FindScopeById(const string& res, const string& id) const {
    const v1::ResourceApi* api = FindApi(res);
    if (api == nullptr) return nullptr;
    for (const auto& s : api->scopes()) {
      if (IEq(s.id(), id)) return &s;
    }
    return nullptr;
  }
  string GraphId() const {
    const v1::ServicePrincipal* sp = FindSp(kGraph);
    return sp ? sp->app_id() : string(kGraph);
  }
  bool IsGraph(const string& app) const { return IEq(app, kGraph); }
  bool Confidential(const string& app) const {
    const v1::AppRegistration* reg = FindReg(app);
    return reg != nullptr && IEq(reg->client_type(), "confidential");
  }

  // ---- step 1 helpers --------------------------------------------------
  bool ParseStepUp(string* why) {
    if (!r_.claims().empty()) {
      if (r_.claims().size() > kMaxClaimsBytes) {
        *why = "claims exceeds max_claims_bytes";
        return false;
      }
      Json doc;
      if (!ParseJson(r_.claims(), kMaxClaimsDepth, &doc) ||
          doc.type != Json::kObject) {
        *why = "claims is not a JSON object";
        return false;
      }
      if (const Json* at = doc.Find("access_token")) {
        if (at->type != Json::kObject) {
          *why = "claims.access_token is not an object";
          return false;
        }
        if (const Json* acrs = at->Find("acrs")) {
          if (acrs->type != Json::kObject) {
            *why = "acrs is not an object";
            return false;
          }
          const Json* value = acrs->Find("value");
          const Json* values = acrs->Find("values");
          if ((value == nullptr) == (values == nullptr)) {
            *why = "acrs needs exactly one of value, values";
            return false;
          }
          vector<string> req;
          if (value != nullptr) {
            if (value->type != Json::kString) {
              *why = "acrs.value is not a string";
              return false;
            }
            req.push_back(value->str);
          } else {
            if (values->type != Json::kArray || values->array.empty()) {
              *why = "acrs.values is not a non-empty array";
              return false;
            }
            if (values->array.size() > kMaxAcrValues) {
              *why = "acrs.values exceeds max_acr_values";
              return false;
            }
            for (const Json& v : values->array) {
              if (v.type != Json::kString) {
                *why = "acrs.values holds a non-string";
                return false;
              }
              req.push_back(v.str);
            }
          }
          for (const string& c : req) {
            if (!ValidContextId(c)) {
              *why = "acrs entry outside c1..c99";
              return false;
            }
          }
          requirements_.push_back(req);
        }
        if (const Json* xms = at->Find("xms_cc")) {
          if (xms->type != Json::kObject) {
            *why = "xms_cc is not an object";
            return false;
          }
          if (const Json* values = xms->Find("values")) {
            if (values->type != Json::kArray) {
              *why = "xms_cc.values is not an array";
              return false;
            }
            if (values->array.size() > kMaxAcrValues) {
              *why = "xms_cc.values exceeds max_acr_values";
              return false;
            }
            for (const Json& v : values->array) {
              if (v.type != Json::kString) {
                *why = "xms_cc.values holds a non-string";
                return false;
              }
              xms_cc_.push_back(v.str);
            }
          }
        }
      }
    }
    vector<string> acr = SplitSpaces(r_.acr_values());
    if (acr.size() > kMaxAcrValues) {
      *why = "acr_values exceeds max_acr_values";
      return false;
    }
    for (const string& c : acr) {
      if (!ValidContextId(c)) {
        *why = "acr_values entry outside c1..c99";
        return false;
      }
    }
    if (!acr.empty()) requirements_.push_back(acr);
    if (grant_ == GrantType::kInteractive && !r_.max_age().empty()) {
      int64_t v = 0;
      for (char c : r_.max_age()) {
        if (c < '0' || c > '9') {
          *why = "max_age is not a non-negative integer";
          return false;
        }
        // Engine convention (V4): a value that does not fit in int64 is not
        // a usable integer → 90100.
        if (v > (INT64_MAX - (c - '0')) / 10) {
          *why = "max_age out of range";
          return false;
        }
        v = v * 10 + (c - '0');
      }
      max_age_ = v;
    }
    return true;
  }

  bool AnalyzeSession(string* why) {
    if (grant_ == GrantType::kObo) {
      session_ = r_.assertion().has_session() ? &r_.assertion().session() : nullptr;
    } else {
      session_ = r_.has_session() ? &r_.session() : nullptr;
    }
    if (session_ == nullptr) return true;
    const v1::Session& s = *session_;
    if (s.auth_methods_size() > static_cast<int>(kMaxSessionList) ||
        s.accepted_terms_size() > static_cast<int>(kMaxSessionList) ||
        s.satisfied_custom_factors_size() > static_cast<int>(kMaxSessionList) ||
        s.device().attributes_size() > static_cast<int>(kMaxSessionList)) {
      *why = "session list exceeds max_session_list";
      return false;
    }
    vector<std::pair<string, int64_t>> methods;
    for (const auto& m : s.auth_methods()) {
      std::optional<string> name = CanonicalMethod(m.method(), false);
      if (!name) {
        *why = "unknown auth method " + m.method();
        return false;
      }
      std::optional<int64_t> at = ParseTime(m.at());
      if (!at) {
        *why = "bad auth method time " + m.at();
        return false;
      }
      methods.emplace_back(*name, *at);
      methods_.insert(*name);
    }
    auto in = [](const string& v, std::initializer_list<const char*> set) {
      if (v.empty()) return true;
      for (const char* x : set) {
        if (IEq(v, x)) return true;
      }
      return false;
    };
    if (!in(s.platform(), {"android", "iOS", "windows", "macOS", "linux",
                           "windowsPhone"}) ||
        !in(s.client_app_type(), {"browser", "mobileAppsAndDesktopClients",
                                  "exchangeActiveSync", "other"}) ||
        !in(s.sign_in_risk(), {"none", "low", "medium", "high"}) ||
        !in(s.user_risk(), {"none", "low", "medium", "high"}) ||
        !in(s.service_principal_risk(), {"none", "low", "medium", "high"}) ||
        !in(s.device().trust_type(), {"AzureAD", "ServerAD", "Workplace"})) {
      *why = "session vocabulary";
      return false;
    }
    // Device attribute names (SPEC 2.5; the typed ones are not map keys).
    for (const auto& kv : s.device().attributes()) {
      static const char* kAttrs[] = {"deviceId", "displayName", "deviceOwnership", "enrollmentProfileName",
                                     "manufacturer", "mdmAppId", "model", "operatingSystem",
                                     "operatingSystemVersion", "profileType"};
      bool known = false;
      for (const char* a : kAttrs) known = known || IEq(kv.first, a);
      for (int n = 1; n <= 15; ++n) known = known || IEq(kv.first, "extensionAttribute" + std::to_string(n));
      if (!known) {
        *why = "unknown device attribute " + kv.first;
        return false;
      }
    }
    // ISO 3166 alpha-2 (empty = unknown).
    if (!s.country().empty()) {
      const string& c = s.country();
      auto alpha = [](char ch) { return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z'); };
      if (c.size() != 2 || !alpha(c[0]) || !alpha(c[1])) {
        *why = "bad country " + c;
        return false;
      }
    }
    if (!s.ip().empty()) {
      IpAddr ip;
      if (!ParseIp(s.ip(), &ip)) {
        *why = "bad ip " + s.ip();
        return false;
      }
    }
    // 2.5 times.
    std::optional<int64_t> strong, pw, second;
    for (const auto& m : methods) {
      const string& n = m.first;
      if (!IsSecondFactor(n)) {
        if (!primary_time_ || m.second > *primary_time_) primary_time_ = m.second;
      }
      auto upd = [&](std::optional<int64_t>* t) {
        if (!*t || m.second > **t) *t = m.second;
      };
      if (IsStrong(n)) upd(&strong);
      if (n == "password" || n == "federatedSingleFactor") upd(&pw);
      if (IsSecondFactor(n)) upd(&second);
    }
    if (strong) mfa_time_ = strong;
    if (pw && second) {
      const int64_t t = std::max(*pw, *second);
      if (!mfa_time_ || t > *mfa_time_) mfa_time_ = t;
    }
    return true;
  }

  // ---- steps -----------------------------------------------------------
  bool Steps() {
    // V1.
    // OAuth wire values (grant_type, prompt, consent_response, assertion
    // kind) match exactly, as RFC 6749 values do; vocabulary of the
    // directory and session matches case-insensitively.
    const string& gt = r_.grant_type();
    if (gt == "interactive" || gt == "authorization_code") {
      grant_ = GrantType::kInteractive;
    } else if (gt == "refresh_token") {
      grant_ = GrantType::kRefresh;
    } else if (gt == "client_credentials") {
      grant_ = GrantType::kClientCredentials;
    } else if (gt == "on_behalf_of") {
      grant_ = GrantType::kObo;
    } else {
      return Fail(v1::INVALID, "unsupported_grant_type", 70003, "V1");
    }
    interactive_ = grant_ == GrantType::kInteractive;
    // V2.
    if (r_.client_id().empty()) return Fail(v1::INVALID, "invalid_request", 900144, "V2");
    if (grant_ == GrantType::kObo && !r_.has_assertion()) {
      return Fail(v1::INVALID, "invalid_request", 900144, "V2");
    }
    const bool needs_user =
        grant_ == GrantType::kInteractive || grant_ == GrantType::kRefresh ||
        (grant_ == GrantType::kObo && IEq(r_.assertion().subject_type(), "user"));
    if (needs_user && (!r_.has_user() || r_.user().id().empty())) {
      return Fail(v1::INVALID, "invalid_request", 900144, "V2");
    }
    // V3.
    if (interactive_ && !r_.prompt().empty() && r_.prompt() != "none" && r_.prompt() != "login" &&
        r_.prompt() != "consent" && r_.prompt() != "select_account") {
      return Fail(v1::INVALID, "invalid_request", 90100, "V3");
    }
    prompt_consent_ = interactive_ && r_.prompt() == "consent";
    prompt_none_ = interactive_ && r_.prompt() == "none";
    // V4.
    string why;
    if (!ParseStepUp(&why)) return Fail(v1::INVALID, "invalid_request", 90100, "V4");
    // Engine convention: malformed `now` / session facts / oversized user
    // lists → invalid_request 90100 (checked with the validity rules).
    // A missing `now` is a missing field (900144, like V2); a malformed one
    // is 90100.
    if (r_.now().empty()) return Fail(v1::INVALID, "invalid_request", 900144, "V2");
    std::optional<int64_t> now = ParseTime(r_.now());
    if (!now) return Fail(v1::INVALID, "invalid_request", 90100, "V4");
    now_ = *now;
    if (!AnalyzeSession(&why)) return Fail(v1::INVALID, "invalid_request", 90100, "V4");
    if (needs_user) {
      const v1::User& u = r_.user();
      if (u.groups_size() > static_cast<int>(kMaxUserList) ||
          u.roles_size() > static_cast<int>(kMaxUserList) ||
          u.grants_size() > static_cast<int>(kMaxUserList) ||
          u.app_role_assignments_size() > static_cast<int>(kMaxUserList)) {
        return Fail(v1::INVALID, "invalid_request", 90100, "V4");
      }
      // The user record's vocabulary.
      if (!u.user_type().empty() && !IEq(u.user_type(), "member") && !IEq(u.user_type(), "guest")) {
        return Fail(v1::INVALID, "invalid_request", 90100, "V4");
      }
      static const char* kKinds[] = {"b2bCollaborationGuest", "b2bCollaborationMember", "b2bDirectConnectUser",
                                     "internalGuest", "serviceProvider", "otherExternalUser"};
      bool kind_ok = u.external_kind().empty();
      for (const char* k : kKinds) kind_ok = kind_ok || IEq(u.external_kind(), k);
      if (!kind_ok) return Fail(v1::INVALID, "invalid_request", 90100, "V4");
    }
    // P2, then P1.
    string text = r_.scope();
    if (grant_ == GrantType::kRefresh && text.empty()) text = r_.refresh_token_scope();
    if (text.size() > kMaxScopeBytes) return Fail(v1::INVALID, "invalid_scope", 70011, "P1");
    for (unsigned char c : text) {
      if (c == ' ') continue;
      if (c < 0x21 || c > 0x7E || c == '"' || c == '\\') {
        return Fail(v1::INVALID, "invalid_scope", 70011, "P1");
      }
    }
    const vector<string> raw = SplitSpaces(text);
    if (raw.size() > kMaxScopes) return Fail(v1::INVALID, "invalid_scope", 70011, "P1");
    for (const string& t : raw) {
      if (t.size() > kMaxScopeTokenBytes) return Fail(v1::INVALID, "invalid_scope", 70011, "P1");
    }
    if (raw.empty()) return Fail(v1::INVALID, "invalid_request", 900144, "P2");
    // P3.
    for (const string& t : raw) {
      ScopeTok tok;
      tok.text = t;
      const size_t slash = t.rfind('/');
      if (IsOidcValue(t) || slash == string::npos) {
        tok.bare = true;
        tok.ident = kGraph;
        tok.value = t;
      } else {
        tok.ident = t.substr(0, slash);
        tok.value = t.substr(slash + 1);
        if (tok.ident.empty() || tok.value.empty()) {
          return Fail(v1::INVALID, "invalid_scope", 70011, "P3");
        }
      }
      tok.is_default = IEq(tok.value, ".default");
      toks_.push_back(tok);
    }
    // A1.
    if (grant_ == GrantType::kClientCredentials) {
      vector<string> defaults;
      bool other = false;
      for (const ScopeTok& t : toks_) {
        if (t.is_default) {
          if (!ContainsI(defaults, t.ident)) defaults.push_back(t.ident);
        } else {
          other = true;
        }
      }
      if (defaults.size() >= 2) return Fail(v1::INVALID, "invalid_scope", 70011, "A1");
      if (other || defaults.empty()) {
        return Fail(v1::INVALID, "invalid_scope", 1002012, "A1");
      }
    }
    if (!Directory()) return false;
    if (grant_ == GrantType::kClientCredentials) return ClientCredentials();
    if (!ConditionalAccess()) return false;
    if (!Consent()) return false;
    return IssueToken();
  }

  bool Directory() {
    // E1.
    if (!IEq(r_.tenant(), b_.tenant_id())) {
      return Fail(v1::INVALID, "invalid_request", 90002, "E1");
    }
    // E2.
    const string& client = r_.client_id();
    client_sp_ = FindSp(client);
    client_reg_ = FindReg(client);
    const bool foreign =
        client_reg_ != nullptr && !IEq(client_reg_->home_tenant(), b_.tenant_id());
    const bool multi = client_reg_ != nullptr && IEq(client_reg_->audience(), "multi");
    bool e2 = false;
    if (client_sp_ != nullptr) {
      e2 = !(foreign && !multi);
    } else {
      e2 = interactive_ && multi && foreign;
    }
    if (!e2) return Fail(v1::INVALID, "unauthorized_client", 700016, "E2");
    // E3.
    if (client_sp_ != nullptr && !Enabled(*client_sp_)) {
      return Fail(v1::INVALID, "unauthorized_client", 7000112, "E3");
    }
    // E4.
    if (grant_ == GrantType::kClientCredentials || grant_ == GrantType::kObo) {
      if (!Confidential(client) || !r_.client_authenticated()) {
        return Fail(v1::INVALID, "invalid_client", 7000218, "E4");
      }
    }
    // O1-O5.
    if (grant_ == GrantType::kObo) {
      const v1::Assertion& a = r_.assertion();
      if (a.kind() != "access_token") {
        return Fail(v1::INVALID, "invalid_grant", 240002, "O1");
      }
      std::optional<int64_t> exp = ParseTime(a.exp());
      if (!exp || *exp <= now_) return Fail(v1::INVALID, "invalid_grant", 500133, "O2");
      bool aud_ok = IEq(a.aud(), client);
      if (client_reg_ != nullptr && ContainsIR(client_reg_->identifier_uris(), a.aud())) {
        aud_ok = true;
      }
      if (!aud_ok) return Fail(v1::INVALID, "invalid_grant", 50013, "O3");
      if (!IEq(a.subject_type(), "user")) return Fail(v1::INVALID, "invalid_grant", 50013, "O4");
      if (!IEq(a.tid(), r_.tenant())) return Fail(v1::INVALID, "invalid_grant", 50013, "O5");
    }
    // P4 with E5.
    for (ScopeTok& t : toks_) {
      t.sp = t.bare ? FindSp(kGraph) : Resolve(t.ident);
      if (t.sp == nullptr) return Fail(v1::INVALID, "invalid_resource", 500011, "E5");
      if (!Enabled(*t.sp)) return Fail(v1::INVALID, "invalid_resource", 50001, "E5");
      t.resource = t.sp->app_id();
      t.oidc = IsGraph(t.resource) && !t.is_default && IsOidcValue(t.value);
    }
    // P10 reads every token naming the client's app, duplicates included,
    // on every grant (3.2 lists P4-P10 for all grants); see below.
    const vector<ScopeTok> all_toks = toks_;
    if (grant_ == GrantType::kClientCredentials) {
      if (IEq(toks_[0].resource, r_.client_id()) && !IEq(toks_[0].ident, r_.client_id())) {
        return Fail(v1::INVALID, "invalid_request", 90009, "P10");
      }
      return true;
    }
    // P5.
    {
      vector<ScopeTok> kept;
      for (const ScopeTok& t : toks_) {
        bool dup = false;
        for (const ScopeTok& k : kept) {
          dup = dup || (IEq(k.resource, t.resource) && IEq(k.value, t.value));
        }
        if (!dup) kept.push_back(t);
      }
      toks_ = kept;
    }
    // P6.
    bool has_default = false, has_named = false;
    for (const ScopeTok& t : toks_) {
      if (t.is_default) has_default = true;
      else if (!t.oidc) has_named = true;
    }
    if (has_default && has_named) return Fail(v1::INVALID, "invalid_scope", 70011, "P6");
    // P7.
    vector<string> resources;
    for (const ScopeTok& t : toks_) {
      if (!t.oidc && !ContainsI(resources, t.resource)) resources.push_back(t.resource);
    }
    if (grant_ == GrantType::kObo && resources.size() > 1) {
      return Fail(v1::INVALID, "invalid_scope", 700022, "P7");
    }
    // P8.
    if (resources.empty()) {
      if (grant_ == GrantType::kObo) return Fail(v1::INVALID, "invalid_scope", 700023, "P8");
      oidc_only_ = true;
      primary_ = GraphId();
    } else {
      primary_ = resources[0];
    }
    primary_sp_ = FindSp(primary_);
    // P9.
    for (ScopeTok& t : toks_) {
      if (t.is_default) continue;
      const v1::DelegatedScope* s = FindScope(t.resource, t.value);
      if (s == nullptr) return Fail(v1::INVALID, "invalid_client", 650053, "P9");
      t.canon_value = s->value();
    }
    // P10.
    self_token_ = IEq(primary_, client);
    if (self_token_) {
      for (const ScopeTok& t : all_toks) {
        if (IEq(t.resource, client) && !IEq(t.ident, client)) {
          return Fail(v1::INVALID, "invalid_request", 90009, "P10");
        }
      }
    }
    // P7 (refresh): drop the other resources.
    if (grant_ == GrantType::kRefresh) {
      vector<ScopeTok> kept;
      for (const ScopeTok& t : toks_) {
        if (t.oidc || IEq(t.resource, primary_)) kept.push_back(t);
      }
      toks_ = kept;
    }
    // E6.
    const v1::User& u = r_.user();
    if (grant_ == GrantType::kObo && !IEq(u.id(), r_.assertion().subject_id())) {
      return Fail(v1::INVALID, "invalid_grant", 50013, "E6");
    }
    if (u.has_exists() && !u.exists()) return Fail(v1::DENIED, Denial(), 50034, "E6");
    if (u.has_enabled() && !u.enabled()) return Fail(v1::DENIED, Denial(), 50057, "E6");
    // E7.
    if (client_sp_ != nullptr && client_sp_->app_role_assignment_required() &&
        !UserAssigned(client_sp_->app_id())) {
      return Fail(v1::DENIED, Denial(), 50105, "E7");
    }
    if (primary_sp_ != nullptr && primary_sp_->app_role_assignment_required() &&
        !UserAssigned(primary_)) {
      return Fail(v1::DENIED, Denial(), 50105, "E7");
    }
    // V5.
    if (interactive_ && r_.consent_response() == "declined") {
      return Fail(v1::CONSENT_DECLINED, "access_denied", 65004, "V5");
    }
    return true;
  }

  bool RoleAssignable(const string& app, const string& role_id) const {
    if (role_id.empty() || IEq(role_id, "default")) return true;
    const v1::ResourceApi* api = FindApi(app);
    if (api == nullptr) return false;
    for (const auto& role : api->app_roles()) {
      if (IEq(role.id(), role_id) && Enabled(role)) return true;
    }
    return false;
  }
  bool UserAssigned(const string& app) const {
    for (const auto& a : r_.user().app_role_assignments()) {
      if (IEq(a.resource_app_id(), app) && RoleAssignable(app, a.app_role_id())) {
        return true;
      }
    }
    return false;
  }

  // ---- client credentials (A2-A5, C9) -----------------------------------
  bool ClientCredentials() {
    const string resource = toks_[0].resource;
    const v1::ServicePrincipal* rsp = toks_[0].sp;
    // A3.
    if (rsp->app_role_assignment_required()) {
      bool assigned = false;
      for (const auto& a : b_.app_role_assignments()) {
        if (IEq(a.client_app_id(), r_.client_id()) &&
            IEq(a.resource_app_id(), resource) &&
            RoleAssignable(resource, a.app_role_id())) {
          assigned = true;
        }
      }
      if (!assigned) return Fail(v1::DENIED, "invalid_grant", 501051, "A3");
    }
    // C9.
    ca_reached_ = true;
    const bool covered = client_reg_ != nullptr && !IEq(client_reg_->audience(), "multi") &&
                         IEq(client_reg_->home_tenant(), b_.tenant_id()) &&
                         client_sp_ != nullptr && !client_sp_->managed_identity();
    vector<string> blocking;
    for (const auto& p : b_.conditional_access_policies()) {
      if (!IsWorkload(p)) continue;
      const bool enforced = IEq(p.state(), "enabled");
      const bool ro = IEq(p.state(), "enabledForReportingButNotEnforced");
      if (!enforced && !ro) continue;
      bool match = covered && WorkloadSpMatch(p) &&
                   AppListMatch(p.applications().include_applications(), resource) &&
                   !AppListMatch(p.applications().exclude_applications(), resource) &&
                   LocationsMatch(p) &&
                   RiskMatch(p.service_principal_risk_levels(),
                             session_ ? session_->service_principal_risk() : "");
      const bool block = ContainsIR(p.grant_controls().built_in_controls(), "block");
      if (ro) {
        report_only_.emplace_back(p.id(), !match ? "notApplied" : block ? "failure" : "success");
        continue;
      }
      if (match) {
        applied_.push_back(p.id());
        if (block) blocking.push_back(p.id());
      }
    }
    SortSpec(&applied_);
    std::sort(report_only_.begin(), report_only_.end(),
              [](const auto& a, const auto& b) { return SpecLess(a.first, b.first); });
    if (!blocking.empty()) {
      SortSpec(&blocking);
      for (const string& s : blocking) d_.add_blocking_policies(s);
      return Fail(v1::BLOCKED, "invalid_grant", 53003, "C9");
    }
    // A5.
    d_.set_outcome(v1::ISSUE);
    v1::Token* tok = d_.mutable_token();
    tok->set_aud(rsp->app_id());
    vector<string> roles;
    if (const v1::ResourceApi* api = FindApi(resource)) {
      for (const auto& role : api->app_roles()) {
        if (!Enabled(role) || !ContainsIR(role.allowed_member_types(), "Application")) continue;
        for (const auto& a : b_.app_role_assignments()) {
          if (IEq(a.client_app_id(), r_.client_id()) && IEq(a.resource_app_id(), resource) &&
              IEq(a.app_role_id(), role.id())) {
            roles.push_back(role.value());
          }
        }
      }
    }
    SortUniqueI(&roles);
    for (const string& r : roles) tok->add_roles(r);
    d_.mutable_explanation()->add_rules("A5");
    AttachCa();
    return true;
  }

  static bool IsWorkload(const v1::ConditionalAccessPolicy& p) {
    return p.client_applications().include_service_principals_size() > 0 ||
           p.client_applications().exclude_service_principals_size() > 0;
  }
  bool WorkloadSpMatch(const v1::ConditionalAccessPolicy& p) const {
    auto match = [&](const std::string& x) {
      return IEq(x, "ServicePrincipalsInMyTenant") ||
             (client_sp_ != nullptr && !client_sp_->object_id().empty() &&
              IEq(x, client_sp_->object_id()));
    };
    bool inc = false, exc = false;
    for (const auto& x : p.client_applications().include_service_principals()) inc = inc || match(x);
    for (const auto& x : p.client_applications().exclude_service_principals()) exc = exc || match(x);
    return inc && !exc;
  }

  // ---- CA conditions -----------------------------------------------------
  template <typename Repeated>
  bool AppListMatch(const Repeated& list, const string& app) const {
    for (const auto& x : list) {
      if (IEq(x, "All")) return true;
      if (IEq(x, "None")) continue;
      if (IEq(x, app)) return true;
      for (const auto& g : b_.app_groups()) {
        if (IEq(g.name(), x) && ContainsIR(g.app_ids(), app)) return true;
      }
    }
    return false;
  }
  bool InNamedLocation(const string& id) const {
    const string ip_text = session_ ? session_->ip() : "";
    const string country = session_ ? session_->country() : "";
    IpAddr ip;
    const bool has_ip = !ip_text.empty() && ParseIp(ip_text, &ip);
    for (const auto& loc : b_.named_locations()) {
      const bool trusted_any = IEq(id, "AllTrusted");
      if (!trusted_any && !IEq(loc.id(), id)) continue;
      if (trusted_any && !loc.is_trusted()) continue;
      if (loc.ip_ranges_size() > 0) {
        if (!has_ip) continue;
        for (const auto& cidr : loc.ip_ranges()) {
          bool in = false;
          if (IpInCidr(ip, cidr, &in) && in) return true;
        }
      } else if (!trusted_any) {
        if (country.empty() ? loc.include_unknown() : ContainsIR(loc.countries(), country)) {
          return true;
        }
      }
    }
    return false;
  }
  template <typename Repeated>
  bool InLocationList(const Repeated& list) const {
    for (const auto& x : list) {
      if (IEq(x, "All")) return true;
      if (InNamedLocation(x)) return true;
    }
    return false;
  }
  bool LocationsMatch(const v1::ConditionalAccessPolicy& p) const {
    const auto& l = p.locations();
    if (l.include_locations_size() == 0 && l.exclude_locations_size() == 0) return true;
    const bool inc = l.include_locations_size() == 0 || InLocationList(l.include_locations());
    return inc && !InLocationList(l.exclude_locations());
  }
  template <typename Repeated>
  static bool RiskMatch(const Repeated& levels, const string& level) {
    if (levels.size() == 0) return true;
    return ContainsIR(levels, level.empty() ? string("none") : level);
  }
  bool GuestsMatch(const v1::GuestsOrExternalUsers& g) const {
    const v1::User& u = r_.user();
    if (g.guest_or_external_user_types_size() == 0 || u.external_kind().empty()) return false;
    if (!ContainsIR(g.guest_or_external_user_types(), u.external_kind())) return false;
    return g.external_tenants_size() == 0 || ContainsIR(g.external_tenants(), u.home_tenant());
  }
  template <typename Repeated>
  bool UserListMatch(const Repeated& list) const {
    const v1::User& u = r_.user();
    for (const auto& x : list) {
      if (IEq(x, "All")) return true;
      if (IEq(x, "None")) continue;
      if (IEq(x, "GuestsOrExternalUsers")) {
        if (!u.external_kind().empty()) return true;
        continue;
      }
      if (IEq(x, u.id())) return true;
    }
    return false;
  }
  template <typename Repeated>
  static bool Intersects(const Repeated& a, const google::protobuf::RepeatedPtrField<string>& b) {
    for (const auto& x : a) {
      if (ContainsIR(b, x)) return true;
    }
    return false;
  }
  bool UsersMatch(const v1::UserConditions& c) const {
    const v1::User& u = r_.user();
    const bool inc = UserListMatch(c.include_users()) || Intersects(c.include_groups(), u.groups()) ||
                     Intersects(c.include_roles(), u.roles()) ||
                     GuestsMatch(c.include_guests_or_external_users());
    const bool exc = UserListMatch(c.exclude_users()) || Intersects(c.exclude_groups(), u.groups()) ||
                     Intersects(c.exclude_roles(), u.roles()) ||
                     GuestsMatch(c.exclude_guests_or_external_users());
    return inc && !exc;
  }
  DeviceFacts Facts() const {
    DeviceFacts f;
    if (session_ == nullptr || !session_->has_device() || !session_->device().registered()) {
      return f;
    }
    const v1::Device& d = session_->device();
    const bool ext_ok = d.is_compliant() || d.is_managed() || IEq(d.trust_type(), "ServerAD");
    for (const auto& kv : d.attributes()) {
      const string key = Lower(kv.first);
      if (key == "iscompliant" || key == "trusttype" || key == "physicalids" ||
          key == "systemlabels") {
        continue;
      }
      if (key.rfind("extensionattribute", 0) == 0 && !ext_ok) continue;
      f.attrs[key] = kv.second;
    }
    f.attrs["iscompliant"] = d.is_compliant() ? "True" : "False";
    if (!d.trust_type().empty()) f.attrs["trusttype"] = d.trust_type();
    f.lists["physicalids"] = vector<string>(d.physical_ids().begin(), d.physical_ids().end());
    f.lists["systemlabels"] = vector<string>(d.system_labels().begin(), d.system_labels().end());
    return f;
  }
  // Conditions other than users and applications (C3). nullopt = cannot
  // evaluate (unparseable device filter).
  std::optional<bool> ConditionsMatch(const v1::ConditionalAccessPolicy& p) const {
    const string app_type = session_ ? session_->client_app_type() : "";
    if (p.client_app_types_size() > 0 && !ContainsIR(p.client_app_types(), "all") &&
        (app_type.empty() || !ContainsIR(p.client_app_types(), app_type))) {
      return false;
    }
    const string platform = session_ ? session_->platform() : "";
    const auto& pl = p.platforms();
    if (pl.include_platforms_size() > 0 || pl.exclude_platforms_size() > 0) {
      const bool inc = pl.include_platforms_size() == 0 ||
                       ContainsIR(pl.include_platforms(), "all") ||
                       (!platform.empty() && ContainsIR(pl.include_platforms(), platform));
      const bool exc = ContainsIR(pl.exclude_platforms(), "all") ||
                       (!platform.empty() && ContainsIR(pl.exclude_platforms(), platform));
      if (!inc || exc) return false;
    }
    if (!LocationsMatch(p)) return false;
    if (!RiskMatch(p.sign_in_risk_levels(), session_ ? session_->sign_in_risk() : "")) return false;
    if (!RiskMatch(p.user_risk_levels(), session_ ? session_->user_risk() : "")) return false;
    if (!RiskMatch(p.service_principal_risk_levels(),
                   session_ ? session_->service_principal_risk() : "")) {
      return false;
    }
    if (p.has_device_filter() && !p.device_filter().rule().empty()) {
      std::optional<bool> v = EvalDeviceRule(p.device_filter().rule(), Facts());
      if (!v) return std::nullopt;
      const bool include_mode = !IEq(p.device_filter().mode(), "exclude");
      if (include_mode != *v) return false;
    }
    return true;
  }

  // ---- CA grant controls and SIF ---------------------------------------
  bool Legacy() const {
    const string t = session_ ? session_->client_app_type() : "";
    return IEq(t, "exchangeActiveSync") || IEq(t, "other");
  }
  bool Has(const string& m) const { return methods_.count(m) > 0; }
  bool MfaSatisfied() const { return mfa_time_.has_value(); }
  bool StrengthMet(const string& id) const {
    if (IEq(id, "mfa") || IEq(id, "00000000-0000-0000-0000-000000000002")) return MfaSatisfied();
    if (IEq(id, "passwordless") || IEq(id, "00000000-0000-0000-0000-000000000003")) {
      return Has("fido2") || Has("windowsHelloForBusiness") || Has("x509Multifactor") ||
             Has("microsoftAuthenticatorPhoneSignIn");
    }
    if (IEq(id, "phishingResistant") || IEq(id, "00000000-0000-0000-0000-000000000004")) {
      return Has("fido2") || Has("windowsHelloForBusiness") || Has("x509Multifactor");
    }
    for (const auto& s : b_.authentication_strengths()) {
      if (!IEq(s.id(), id)) continue;
      for (const string& combo : s.allowed_combinations()) {
        bool all = true;
        int n = 0;
        string part;
        std::vector<string> parts;
        for (char c : combo + ",") {
          if (c == ',') {
            parts.push_back(part);
            part.clear();
          } else if (c != ' ') {
            part += c;
          }
        }
        for (const string& m : parts) {
          if (m.empty()) continue;
          ++n;
          std::optional<string> name = CanonicalMethod(m, parts.size() == 1);
          if (!name || !Has(*name)) all = false;
        }
        if (all && n > 0) return true;
      }
    }
    return false;
  }

  Judge JudgePolicy(const v1::ConditionalAccessPolicy& p) const {
    Judge j;
    const v1::GrantControls& g = p.grant_controls();
    const bool legacy = Legacy();
    const v1::Session empty;
    const v1::Session& s = session_ ? *session_ : empty;
    struct Ctl {
      int rank;
      string item;
      bool met;
      bool remediable;
    };
    vector<Ctl> ctls;
    auto add = [&](int rank, const string& item, bool met, bool remediable) {
      for (const Ctl& c : ctls) {
        if (IEq(c.item, item)) return;
      }
      ctls.push_back({rank, item, met, remediable && !legacy});
    };
    for (const auto& c : g.built_in_controls()) {
      if (IEq(c, "block")) j.block = true;
    }
    if (ContainsIR(g.built_in_controls(), "mfa")) add(0, "mfa", MfaSatisfied(), true);
    if (!g.authentication_strength().empty()) {
      add(0, "authenticationStrength:" + g.authentication_strength(),
          StrengthMet(g.authentication_strength()), true);
    }
    if (ContainsIR(g.built_in_controls(), "compliantDevice")) {
      add(1, "compliantDevice", s.device().registered() && s.device().is_compliant(), false);
    }
    if (ContainsIR(g.built_in_controls(), "domainJoinedDevice")) {
      // Conservative reading: a domain-joined device is a registered one.
      add(2, "domainJoinedDevice", s.device().registered() && IEq(s.device().trust_type(), "ServerAD"),
          false);
    }
    if (ContainsIR(g.built_in_controls(), "approvedApplication")) {
      add(3, "approvedApplication", s.approved_client_app(), false);
    }
    if (ContainsIR(g.built_in_controls(), "compliantApplication")) {
      add(4, "compliantApplication", s.app_protection_policy(), false);
    }
    if (ContainsIR(g.built_in_controls(), "passwordChange")) {
      add(5, "passwordChange", s.password_changed(), true);
    }
    vector<string> terms(g.terms_of_use().begin(), g.terms_of_use().end());
    SortUniqueI(&terms);
    for (const string& t : terms) add(6, "termsOfUse:" + t, ContainsIR(s.accepted_terms(), t), true);
    vector<string> custom(g.custom_factors().begin(), g.custom_factors().end());
    SortUniqueI(&custom);
    for (const string& c : custom) {
      add(7, "custom:" + c, ContainsIR(s.satisfied_custom_factors(), c), true);
    }
    std::stable_sort(ctls.begin(), ctls.end(),
                     [](const Ctl& a, const Ctl& b) { return a.rank < b.rank; });
    j.is_or = IEq(g.operator_(), "OR");
    if (!ctls.empty()) {
      if (!j.is_or) {
        bool all = true;
        for (const Ctl& c : ctls) all = all && c.met;
        if (!all) {
          const Ctl* hard = nullptr;
          for (const Ctl& c : ctls) {
            if (!c.met && !c.remediable && hard == nullptr) hard = &c;
          }
          if (hard != nullptr) {
            j.grant = Judge::kHard;
            j.hard_rank = hard->rank;
          } else {
            j.grant = Judge::kSoft;
            for (const Ctl& c : ctls) {
              if (!c.met) j.soft_items.emplace_back(c.rank, c.item);
            }
          }
        }
      } else {
        bool any = false;
        for (const Ctl& c : ctls) any = any || c.met;
        if (!any) {
          for (const Ctl& c : ctls) {
            if (c.remediable) j.soft_items.emplace_back(c.rank, c.item);
          }
          if (!j.soft_items.empty()) {
            j.grant = Judge::kSoft;
          } else {
            j.grant = Judge::kHard;
            j.hard_rank = ctls[0].rank;
          }
        }
      }
    }
    // C5.
    const v1::SignInFrequency& f = p.session_controls().sign_in_frequency();
    const bool sif = f.every_time() || f.value() > 0;
    if (sif) {
      bool met;
      int64_t interval;
      if (f.every_time()) {
        interval = 300;
        if (IEq(f.authentication_type(), "secondaryAuthentication")) {
          met = mfa_time_.has_value() && primary_time_.has_value() &&
                now_ - *mfa_time_ <= interval;
        } else {
          met = primary_time_.has_value() && now_ - *primary_time_ <= interval;
        }
      } else {
        interval = static_cast<int64_t>(f.value()) * (IEq(f.type(), "days") ? 86400 : 3600);
        met = primary_time_.has_value() && now_ - *primary_time_ <= interval &&
              (!mfa_time_ || now_ - *mfa_time_ <= interval);
      }
      if (!met) {
        if (SifDeferred()) {
          j.sif_deferred = true;
        } else {
          j.sif_unmet = true;
          j.sif_interval = interval;
          if (legacy && j.grant != Judge::kHard) {
            j.grant = Judge::kHard;
            j.hard_rank = 8;
          }
        }
      }
    }
    return j;
  }
  bool SifDeferred() const {
    return grant_ == GrantType::kObo ||
           (grant_ == GrantType::kRefresh && Confidential(r_.client_id()));
  }

  // ---- consent sets (N1, N2) -------------------------------------------
  // N1: G(client, resource, user), canonical values.
  vector<string> Granted(const string& client, const string& res) const {
    vector<string> raw;
    for (const auto& g : b_.tenant_wide_grants()) {
      if (IEq(g.client_app_id(), client) && IEq(g.resource_app_id(), res)) {
        for (const string& v : SplitSpaces(g.scope())) raw.push_back(v);
      }
    }
    for (const auto& g : r_.user().grants()) {
      if (IEq(g.client_app_id(), client) && IEq(g.resource_app_id(), res)) {
        for (const string& v : SplitSpaces(g.scope())) raw.push_back(v);
      }
    }
    if (const v1::ResourceApi* api = FindApi(res)) {
      for (const auto& pa : api->pre_authorized()) {
        if (!IEq(pa.client_app_id(), client)) continue;
        for (const string& id : pa.scope_ids()) {
          if (const v1::DelegatedScope* s = FindScopeById(res, id)) raw.push_back(s->value());
        }
      }
    }
    vector<string> out;
    for (const string& v : raw) {
      const v1::DelegatedScope* s = FindScope(res, v);
      if (s != nullptr && !ContainsI(out, s->value())) out.push_back(s->value());
    }
    return out;
  }
  bool InG(const string& client, const string& res, const string& value) const {
    return ContainsI(Granted(client, res), value);
  }
  // N2: the static set S, usable entries only.
  vector<Perm> StaticSet() const {
    vector<Perm> out;
    const string& client = r_.client_id();
    auto add = [&](const string& c, const v1::RequiredResourceAccess& rra) {
      for (const string& v : rra.scopes()) {
        const v1::ServicePrincipal* sp = FindSp(rra.resource_app_id());
        if (sp == nullptr || !Enabled(*sp)) continue;
        const v1::DelegatedScope* s = FindScope(rra.resource_app_id(), v);
        if (s == nullptr) continue;
        bool dup = false;
        for (const Perm& p : out) {
          dup = dup || (IEq(p.client, c) && IEq(p.resource, sp->app_id()) && IEq(p.value, s->value()));
        }
        if (!dup) out.push_back({c, sp->app_id(), s->value()});
      }
    };
    if (client_reg_ == nullptr) return out;
    for (const auto& rra : client_reg_->required_resource_access()) add(client, rra);
    vector<string> seen;
    for (const auto& rra : client_reg_->required_resource_access()) {
      const string& a = rra.resource_app_id();
      if (ContainsI(seen, a)) continue;
      seen.push_back(a);
      const v1::AppRegistration* reg = FindReg(a);
      if (reg == nullptr || !ContainsIR(reg->known_client_app_ids(), client)) continue;
      const string canon_a = reg->app_id();
      for (const auto& rra_a : reg->required_resource_access()) add(canon_a, rra_a);
    }
    return out;
  }

  // C2 targets.
  vector<string> Targets() const {
    vector<string> t;
    auto add = [&](const string& x) {
      if (!ContainsI(t, x)) t.push_back(x);
    };
    add(oidc_only_ ? string(kAadGraph) : primary_);
    const string& client = r_.client_id();
    for (const ScopeTok& tok : toks_) {
      if (!IEq(tok.resource, primary_)) continue;
      if (!tok.is_default) {
        if (const v1::DelegatedScope* s = FindScope(tok.resource, tok.value)) {
          for (const string& x : s->ca_targets()) add(x);
        }
        continue;
      }
      const vector<string> g = Granted(client, primary_);
      for (const string& v : g) {
        if (const v1::DelegatedScope* s = FindScope(primary_, v)) {
          for (const string& x : s->ca_targets()) add(x);
        }
      }
      if (g.empty() || prompt_consent_) {
        for (const Perm& p : StaticSet()) {
          if (!IEq(p.resource, primary_)) continue;
          if (const v1::DelegatedScope* s = FindScope(p.resource, p.value)) {
            for (const string& x : s->ca_targets()) add(x);
          }
        }
      }
    }
    bool openid = false;
    for (const ScopeTok& tok : toks_) openid = openid || (tok.oidc && IEq(tok.value, "openid"));
    if (openid && Confidential(client)) add(client);
    return t;
  }

  string ContextSpelling(const string& c) const {
    for (const auto& ac : b_.authentication_contexts()) {
      if (IEq(ac.id(), c)) return ac.id();
    }
    return Lower(c);
  }
  bool PolicyNamesContext(const v1::ConditionalAccessPolicy& p, const string& c) const {
    return ContainsIR(p.applications().include_auth_contexts(), c);
  }
  bool ContextMet(const string& c) const {
    for (const PolInfo& pi : pols_) {
      if (!pi.enforced || !pi.ctx_policy || !pi.users_cond) continue;
      if (!PolicyNamesContext(*pi.p, c)) continue;
      if (!pi.j.Satisfied()) return false;
    }
    return true;
  }

  // ---- step 4 ------------------------------------------------------------
  bool ConditionalAccess() {
    ca_reached_ = true;
    const vector<string> targets = Targets();
    vector<string> requested;  // contexts, request order (claims, then acr_values)
    for (const auto& req : requirements_) {
      for (const string& c : req) {
        if (!ContainsI(requested, c)) requested.push_back(c);
      }
    }
    for (const auto& p : b_.conditional_access_policies()) {
      if (IsWorkload(p)) continue;
      PolInfo pi;
      pi.p = &p;
      pi.enforced = IEq(p.state(), "enabled");
      pi.report_only = IEq(p.state(), "enabledForReportingButNotEnforced");
      if (!pi.enforced && !pi.report_only) continue;
      pi.ctx_policy = p.applications().include_auth_contexts_size() > 0;
      std::optional<bool> cond = ConditionsMatch(p);
      if (!cond) return Fail(v1::UNAVAILABLE, "server_error", 0, "C3");
      pi.users_cond = UsersMatch(p.users()) && *cond;
      if (!pi.ctx_policy) {
        for (const string& t : targets) {
          if (AppListMatch(p.applications().include_applications(), t) &&
              !AppListMatch(p.applications().exclude_applications(), t)) {
            pi.targeted = true;
          }
        }
      }
      pi.j = JudgePolicy(p);
      pols_.push_back(pi);
    }
    auto ctx_requested = [&](const v1::ConditionalAccessPolicy& p) {
      for (const string& c : requested) {
        if (PolicyNamesContext(p, c)) return true;
      }
      return false;
    };
    // applied, combined, report-only.
    vector<const PolInfo*> combined;
    auto add_combined = [&](const PolInfo* pi) {
      if (std::find(combined.begin(), combined.end(), pi) == combined.end()) {
        combined.push_back(pi);
      }
    };
    for (const PolInfo& pi : pols_) {
      const bool applies = pi.users_cond && (pi.ctx_policy ? ctx_requested(*pi.p) : pi.targeted);
      if (pi.report_only) {
        string res = "notApplied";
        if (applies) {
          res = (pi.j.block || pi.j.Hard()) ? "failure"
                : pi.j.Soft()               ? "userActionRequired"
                                            : "success";
        }
        report_only_.emplace_back(pi.p->id(), res);
        continue;
      }
      if (applies) applied_.push_back(pi.p->id());
      if (applies && !pi.ctx_policy) add_combined(&pi);
    }
    SortUniqueI(&applied_);
    std::sort(report_only_.begin(), report_only_.end(),
              [](const auto& a, const auto& b) { return SpecLess(a.first, b.first); });
    // C7a.
    vector<string> unsat_contexts;  // request order
    for (const auto& req : requirements_) {
      bool sat = false;
      for (const string& c : req) sat = sat || ContextMet(c);
      for (const string& c : req) {
        if (ContextMet(c) && !ContainsI(met_contexts_, c)) met_contexts_.push_back(ContextSpelling(c));
      }
      if (sat) continue;
      for (const string& c : req) {
        if (!ContainsI(unsat_contexts, c)) unsat_contexts.push_back(c);
        for (const PolInfo& pi : pols_) {
          if (pi.enforced && pi.ctx_policy && pi.users_cond && PolicyNamesContext(*pi.p, c)) {
            add_combined(&pi);
          }
        }
      }
    }
    // S5.
    bool s5 = false;
    if (max_age_) {
      s5 = !primary_time_ || now_ - *primary_time_ > *max_age_;
    }
    // C6.
    vector<string> blocking;
    for (const PolInfo* pi : combined) {
      if (pi->j.block) blocking.push_back(pi->p->id());
    }
    if (!blocking.empty()) {
      SortUniqueI(&blocking);
      for (const string& s : blocking) d_.add_blocking_policies(s);
      return Fail(v1::BLOCKED, Denial(), 53003, "C6");
    }
    int min_rank = 99;
    for (const PolInfo* pi : combined) {
      if (pi->j.Hard()) {
        blocking.push_back(pi->p->id());
        min_rank = std::min(min_rank, pi->j.hard_rank);
      }
    }
    if (!blocking.empty()) {
      static const int kCodes[] = {53003, 53000, 53001, 53002, 53005, 53003, 53003, 53003, 53003};
      SortUniqueI(&blocking);
      for (const string& s : blocking) d_.add_blocking_policies(s);
      return Fail(v1::BLOCKED, Denial(), min_rank <= 8 ? kCodes[min_rank] : 53003, "C6");
    }
    bool soft = s5;
    for (const PolInfo* pi : combined) soft = soft || pi->j.Soft();
    if (!soft) return true;
    return StepUp(combined, unsat_contexts, s5);
  }

  bool StepUp(const vector<const PolInfo*>& combined, const vector<string>& unsat_contexts,
              bool s5) {
    // required / required_any (3.1).
    std::map<std::pair<int, string>, string> req;  // (rank, lower item) → item
    bool reauth = s5;
    std::optional<int64_t> max_age;
    if (s5) max_age = *max_age_;
    for (const PolInfo* pi : combined) {
      if (pi->j.sif_unmet) {
        reauth = true;
        if (!max_age || pi->j.sif_interval < *max_age) max_age = pi->j.sif_interval;
      }
    }
    auto rank_key = [](int rank, const string& item) {
      // Order: reauthentication, mfa, authenticationStrength, passwordChange,
      // termsOfUse, custom.
      int r = rank == 0 ? (IEq(item, "mfa") ? 1 : 2) : rank == 5 ? 3 : rank == 6 ? 4 : 5;
      return std::make_pair(r, Lower(item));
    };
    for (const PolInfo* pi : combined) {
      if (pi->j.grant != Judge::kSoft) continue;
      if (!pi->j.is_or || pi->j.soft_items.size() == 1) {
        for (const auto& it : pi->j.soft_items) req[rank_key(it.first, it.second)] = it.second;
      }
    }
    vector<string> required;
    if (reauth) required.push_back("reauthentication");
    for (const auto& kv : req) required.push_back(kv.second);
    // required_any, by policy id.
    vector<const PolInfo*> ors;
    for (const PolInfo* pi : combined) {
      if (pi->j.grant == Judge::kSoft && pi->j.is_or && pi->j.soft_items.size() > 1) ors.push_back(pi);
    }
    std::sort(ors.begin(), ors.end(),
              [](const PolInfo* a, const PolInfo* b) { return SpecLess(a->p->id(), b->p->id()); });
    vector<vector<string>> any;
    for (const PolInfo* pi : ors) {
      std::map<std::pair<int, string>, string> items;
      for (const auto& it : pi->j.soft_items) items[rank_key(it.first, it.second)] = it.second;
      vector<string> list;
      bool shares = false;
      for (const auto& kv : items) {
        list.push_back(kv.second);
        shares = shares || ContainsI(required, kv.second);
      }
      if (shares) continue;
      bool repeat = false;
      for (const auto& prev : any) {
        if (prev.size() == list.size()) {
          bool same = true;
          for (size_t i = 0; i < list.size(); ++i) same = same && IEq(prev[i], list[i]);
          repeat = repeat || same;
        }
      }
      if (!repeat) any.push_back(list);
    }
    // Error and code from the first item (C6).
    const string first = !required.empty() ? required[0] : any.empty() ? "" : any[0][0];
    string error = "interaction_required", suberror;
    int code = 0;
    if (first == "reauthentication") {
      if (grant_ == GrantType::kRefresh) {
        error = "invalid_grant";
        suberror = "token_expired";
        code = 70043;
      } else {
        error = "login_required";
      }
    } else if (IEq(first, "mfa") || Lower(first).rfind("authenticationstrength:", 0) == 0) {
      code = r_.user().mfa_registered() ? 50076 : 50079;
    } else if (IEq(first, "passwordChange")) {
      code = 50135;
    } else {
      code = 50158;
    }
    // S1.
    vector<string> capolids;
    for (const PolInfo* pi : combined) {
      if (!pi->ctx_policy && (pi->j.grant == Judge::kSoft || pi->j.sif_unmet)) {
        capolids.push_back(pi->p->id());
      }
    }
    SortUniqueI(&capolids);
    vector<string> ctx_spelled;
    for (const string& c : unsat_contexts) ctx_spelled.push_back(ContextSpelling(c));
    string members;
    if (!capolids.empty()) {
      members += "\"capolids\":{\"essential\":true,\"values\":[";
      for (size_t i = 0; i < capolids.size(); ++i) {
        if (i) members += ",";
        members += JsonString(capolids[i]);
      }
      members += "]}";
    }
    if (!ctx_spelled.empty()) {
      if (!members.empty()) members += ",";
      if (ctx_spelled.size() == 1) {
        members += "\"acrs\":{\"essential\":true,\"value\":" + JsonString(ctx_spelled[0]) + "}";
      } else {
        vector<string> sorted = ctx_spelled;
        SortSpec(&sorted);
        members += "\"acrs\":{\"essential\":true,\"values\":[";
        for (size_t i = 0; i < sorted.size(); ++i) {
          if (i) members += ",";
          members += JsonString(sorted[i]);
        }
        members += "]}";
      }
    }
    v1::StepUp* su = d_.mutable_step_up();
    for (const string& s : required) su->add_required(s);
    for (const auto& list : any) {
      v1::Alternatives* alt = su->add_required_any();
      for (const string& s : list) alt->add_items(s);
    }
    if (!members.empty()) {
      const string claims = "{\"access_token\":{" + members + "}}";
      su->set_claims(claims);
      su->set_middle_tier_challenge(
          "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/"
          "oauth2/authorize\", error=\"insufficient_claims\", claims=\"" +
          Base64(claims) + "\"");
    }
    // S3.
    string format = "entra";
    if (const v1::ResourceApi* api = FindApi(primary_)) {
      if (!api->challenge_format().empty()) format = Lower(api->challenge_format());
    }
    if ((format == "rfc9470" || format == "both") && (!ctx_spelled.empty() || reauth)) {
      string h = "Bearer error=\"insufficient_user_authentication\", error_description=\"step-up required\"";
      if (!ctx_spelled.empty()) h += ", acr_values=\"" + JoinSpace(ctx_spelled) + "\"";
      if (reauth && max_age) h += ", max_age=\"" + std::to_string(*max_age) + "\"";
      su->set_rfc9470_challenge(h);
    }
    return Fail(v1::STEP_UP_REQUIRED, error, code, "C6", suberror);
  }

  // ---- step 5: consent ---------------------------------------------------
  struct Event {
    const v1::DelegatedScope* scope;  // delegated permission, or
    string resource;
    string client;
    const v1::AppRole* role = nullptr;  // application permission (R3)
  };
  bool ConditionSetMatches(const v1::PermissionGrantConditionSet& cs, const Event& e) const {
    if (e.role != nullptr) {
      if (!IEq(cs.permission_type(), "application")) return false;
    } else {
      if (IEq(cs.permission_type(), "application")) return false;
      if (IEq(cs.permission_type(), "delegatedUserConsentable") && e.scope->admin_only()) return false;
      if (!IEq(cs.permission_type(), "delegated") &&
          !IEq(cs.permission_type(), "delegatedUserConsentable")) {
        return false;
      }
    }
    const string classification = e.role != nullptr ? string() : e.scope->classification();
    const string id = e.role != nullptr ? e.role->id() : e.scope->id();
    const string value = e.role != nullptr ? e.role->value() : e.scope->value();
    if (!cs.permission_classification().empty() && !IEq(cs.permission_classification(), "all") &&
        !IEq(cs.permission_classification(), classification)) {
      return false;
    }
    const bool ids_all = cs.permissions_size() == 0 || ContainsIR(cs.permissions(), "all");
    if (!(ids_all && cs.permission_values_size() == 0)) {
      bool listed = cs.permissions_size() > 0 &&
                    (ContainsIR(cs.permissions(), "all") || ContainsIR(cs.permissions(), id));
      if (cs.permission_values_size() > 0 && ContainsIR(cs.permission_values(), value)) {
        listed = true;
      }
      if (!listed) return false;
    }
    if (!cs.resource_application().empty() && !IEq(cs.resource_application(), "any") &&
        !IEq(cs.resource_application(), e.resource)) {
      return false;
    }
    const v1::AppRegistration* reg = FindReg(e.client);
    const string home = reg ? reg->home_tenant() : b_.tenant_id();
    const bool verified = reg && reg->publisher_verified();
    auto all_or = [](const google::protobuf::RepeatedPtrField<string>& list, const string& v) {
      return list.size() == 0 || ContainsIR(list, "all") || ContainsIR(list, v);
    };
    if (!all_or(cs.client_application_ids(), e.client)) return false;
    if (!all_or(cs.client_application_tenant_ids(), home)) return false;
    if (cs.client_application_publisher_ids_size() > 0 &&
        !ContainsIR(cs.client_application_publisher_ids(), "all")) {
      if (!verified || !ContainsIR(cs.client_application_publisher_ids(), reg->mpn_id())) return false;
    }
    if (cs.client_applications_from_verified_publisher_only() && !verified) return false;
    if (cs.certified_client_applications_only() && !(reg && reg->m365_certified())) return false;
    if (cs.client_applications_from_this_tenant_only() && !IEq(home, b_.tenant_id())) return false;
    return true;
  }
  bool PolicyAllows(const string& policy_id, const Event& e) const {
    for (const auto& p : b_.permission_grant_policies()) {
      if (!IEq(p.id(), policy_id)) continue;
      bool inc = false, exc = false;
      for (const auto& cs : p.includes()) inc = inc || ConditionSetMatches(cs, e);
      for (const auto& cs : p.excludes()) exc = exc || ConditionSetMatches(cs, e);
      return inc && !exc;
    }
    return false;
  }
  vector<string> CustomRolePolicies(const string& prefix) const {
    vector<string> out;
    for (const auto& role : r_.user().roles()) {
      for (const auto& cr : b_.custom_roles()) {
        if (!IEq(cr.id(), role)) continue;
        for (const string& perm : cr.permissions()) {
          if (perm.size() > prefix.size() && IEq(perm.substr(0, prefix.size()), prefix)) {
            out.push_back(perm.substr(prefix.size()));
          }
        }
      }
    }
    return out;
  }
  bool HasAdminRole() const {
    for (const auto& role : r_.user().roles()) {
      if (IEq(role, "Global Administrator") || IEq(role, "Privileged Role Administrator") ||
          IEq(role, "Cloud Application Administrator") || IEq(role, "Application Administrator")) {
        return true;
      }
    }
    return false;
  }
  bool Risky(const string& client, const vector<Perm>& m) const {
    const v1::AppRegistration* reg = FindReg(client);
    if (reg == nullptr || !IEq(reg->audience(), "multi") ||
        IEq(reg->home_tenant(), b_.tenant_id()) || reg->publisher_verified()) {
      return false;
    }
    std::optional<int64_t> created = ParseDay(reg->created());
    if (created && *created <= *ParseDay("2020-11-08")) return false;
    for (const Perm& p : m) {
      if (!IEq(p.client, client)) continue;
      const bool basic = IsGraph(p.resource) && (IsOidcValue(p.value) || IEq(p.value, "User.Read"));
      if (!basic) return true;
    }
    return false;
  }
  string PromptEntry(const Perm& p) const {
    if (IsGraph(p.resource)) return p.value;
    const v1::AppRegistration* reg = FindReg(p.resource);
    const string ident = reg && reg->identifier_uris_size() > 0 ? reg->identifier_uris(0) : p.resource;
    return ident + "/" + p.value;
  }

  bool Consent() {
    const string& client = r_.client_id();
    vector<Perm> q;
    vector<Perm> extra;  // prompt=consent: G(client, R) for R/.default
    vector<Perm> s_used;
    bool static_used = false;
    auto add = [](vector<Perm>* v, const Perm& p) {
      for (const Perm& x : *v) {
        if (IEq(x.client, p.client) && IEq(x.resource, p.resource) && IEq(x.value, p.value)) return;
      }
      v->push_back(p);
    };
    for (const ScopeTok& t : toks_) {
      if (!t.is_default) {
        add(&q, {client, t.resource, t.canon_value});
        continue;
      }
      const vector<string> g = Granted(client, t.resource);
      if (!g.empty() && !prompt_consent_) continue;
      const vector<Perm> s = StaticSet();
      bool own_r = false;
      for (const Perm& p : s) own_r = own_r || (IEq(p.client, client) && IEq(p.resource, t.resource));
      bool preauth = false;
      if (const v1::ResourceApi* api = FindApi(t.resource)) {
        for (const auto& pa : api->pre_authorized()) preauth = preauth || IEq(pa.client_app_id(), client);
      }
      if (!own_r && !preauth) return Fail(v1::INVALID, "invalid_client", 650057, "N2");
      static_used = true;
      s_used = s;
      for (const Perm& p : s) add(&q, p);
      if (prompt_consent_) {
        for (const string& v : g) add(&extra, {client, t.resource, v});
      }
    }
    // N3.
    vector<Perm> m;
    for (const Perm& p : q) {
      if (prompt_consent_ || !InG(p.client, p.resource, p.value)) add(&m, p);
    }
    for (const Perm& p : extra) add(&m, p);
    // T6.
    if (self_token_ && !InG(client, GraphId(), "User.Read")) {
      if (interactive_) {
        const v1::DelegatedScope* s = FindScope(GraphId(), "User.Read");
        add(&m, {client, GraphId(), s ? s->value() : string("User.Read")});
      } else {
        t6_fail_ = true;
      }
    }
    m_ = m;
    if (m.empty()) return true;
    // N4.
    if (!interactive_) {
      return Fail(v1::CONSENT_REQUIRED, "invalid_grant", 65001, "N4", "consent_required");
    }
    // N5.
    vector<Event> events;
    for (const Perm& p : m) {
      const v1::DelegatedScope* s = FindScope(p.resource, p.value);
      if (s == nullptr) return Fail(v1::UNAVAILABLE, "server_error", 0, "N5");
      events.push_back({s, p.resource, p.client});
    }
    // (a) authority.
    bool authority = true;
    const bool admin = HasAdminRole();
    const vector<string> for_all = CustomRolePolicies("managePermissionGrantsForAll.");
    for (const Event& e : events) {
      bool ok = admin;
      for (const string& pid : for_all) ok = ok || PolicyAllows(pid, e);
      authority = authority && ok;
    }
    v1::Outcome outcome;
    if (authority) {
      outcome = v1::CONSENT_PROMPT_ADMIN;
    } else {
      // (b) self-consent, first failure in order.
      string reason;
      if (IEq(r_.user().user_type(), "guest")) reason = "guest";
      if (reason.empty()) {
        for (const Event& e : events) {
          const v1::ServicePrincipal* sp = FindSp(e.client);
          if (sp && sp->app_role_assignment_required()) reason = "assignment";
        }
      }
      if (reason.empty()) {
        for (const Event& e : events) {
          if (e.scope->admin_only()) reason = "admin_only";
        }
      }
      const bool block_risky = !b_.consent_settings().has_block_user_consent_for_risky_apps() ||
                               b_.consent_settings().block_user_consent_for_risky_apps();
      if (reason.empty() && block_risky) {
        for (const Event& e : events) {
          if (Risky(e.client, m)) reason = "risky";
        }
      }
      if (reason.empty()) {
        vector<string> self(b_.consent_settings().user_consent_policies().begin(),
                            b_.consent_settings().user_consent_policies().end());
        for (const string& p : CustomRolePolicies("managePermissionGrantsForSelf.")) self.push_back(p);
        for (const Event& e : events) {
          bool ok = false;
          for (const string& pid : self) ok = ok || PolicyAllows(pid, e);
          if (!ok) reason = "policy";
        }
      }
      if (!reason.empty()) {
        const bool workflow = b_.consent_settings().admin_consent_workflow_enabled();
        int code;
        if (reason == "risky") {
          code = workflow ? 900981 : 900941;
        } else if (reason == "policy") {
          code = workflow ? 90095 : 90093;
        } else {
          code = workflow ? 90095 : 90094;
        }
        d_.set_reason(reason);
        if (workflow && !r_.consent_request_pending()) d_.set_admin_consent_request_available(true);
        return Fail(v1::ADMIN_APPROVAL_REQUIRED, prompt_none_ ? "consent_required" : "access_denied",
                    code, "N5c");
      }
      outcome = v1::CONSENT_PROMPT_USER;
    }
    // Prompt list (3.1).
    vector<string> groups;
    auto group = [&](const string& r) {
      if (!ContainsI(groups, r)) groups.push_back(r);
    };
    for (const ScopeTok& t : toks_) group(t.oidc ? GraphId() : t.resource);
    if (static_used) {
      for (const Perm& p : s_used) group(p.resource);
    }
    group(GraphId());
    for (const Perm& p : m) group(p.resource);
    v1::Prompt* prompt = d_.mutable_prompt();
    for (const string& g : groups) {
      vector<string> values;
      for (const Perm& p : m) {
        if (IEq(p.resource, g) && !ContainsI(values, p.value)) values.push_back(p.value);
      }
      SortSpec(&values);
      for (const string& v : values) prompt->add_scopes(PromptEntry({client, g, v}));
    }
    prompt->set_org_wide_option(outcome == v1::CONSENT_PROMPT_ADMIN);
    if (prompt_none_) {
      return Fail(outcome, "consent_required", 65001, "N5");
    }
    d_.set_outcome(outcome);
    d_.mutable_explanation()->add_rules(outcome == v1::CONSENT_PROMPT_ADMIN ? "N5a" : "N5b");
    AttachCa();
    return false;
  }

  // ---- step 6: token -----------------------------------------------------
  bool IssueToken() {
    if (t6_fail_) return Fail(v1::INVALID, "invalid_grant", 90008, "T6");
    const string& client = r_.client_id();
    d_.set_outcome(v1::ISSUE);
    v1::Token* tok = d_.mutable_token();
    tok->set_aud(primary_sp_ ? primary_sp_->app_id() : primary_);
    const bool graph = IsGraph(primary_);
    vector<string> scp;
    for (const string& v : Granted(client, primary_)) {
      if (IEq(v, "offline_access")) continue;
      if (!graph && (IEq(v, "openid") || IEq(v, "profile") || IEq(v, "email"))) continue;
      scp.push_back(v);
    }
    SortUniqueI(&scp);
    for (const string& s : scp) tok->add_scp(s);
    vector<string> roles;
    if (const v1::ResourceApi* api = FindApi(primary_)) {
      for (const auto& role : api->app_roles()) {
        if (!Enabled(role) || !ContainsIR(role.allowed_member_types(), "User")) continue;
        for (const auto& a : r_.user().app_role_assignments()) {
          if (IEq(a.resource_app_id(), primary_) && IEq(a.app_role_id(), role.id())) {
            roles.push_back(role.value());
          }
        }
      }
    }
    SortUniqueI(&roles);
    for (const string& r : roles) tok->add_roles(r);
    bool openid = false, offline = false;
    for (const ScopeTok& t : toks_) {
      openid = openid || (t.oidc && IEq(t.value, "openid"));
      offline = offline || (t.oidc && IEq(t.value, "offline_access"));
    }
    tok->set_id_token(openid && grant_ != GrantType::kObo);
    tok->set_refresh_token(offline && InG(client, GraphId(), "offline_access"));
    // T4 with C7b.
    vector<string> acrs = met_contexts_;
    if (const v1::ResourceApi* api = FindApi(primary_)) {
      if (api->acrs_optional_claim()) {
        for (const auto& ac : b_.authentication_contexts()) {
          if (!ac.is_available()) continue;
          bool any = false, ok = true;
          for (const PolInfo& pi : pols_) {
            if (!pi.enforced || !pi.ctx_policy || !PolicyNamesContext(*pi.p, ac.id())) continue;
            any = true;
            if (pi.users_cond && !pi.j.Satisfied()) ok = false;
          }
          if (any && ok) acrs.push_back(ac.id());
        }
      }
    }
    SortUniqueI(&acrs);
    for (const string& a : acrs) tok->add_acrs(a);
    if (primary_time_) tok->set_auth_time(FormatTime(*primary_time_));
    if (const v1::ResourceApi* api = FindApi(primary_)) {
      if (api->xms_cc_optional_claim()) {
        vector<string> seen;
        for (const string& x : xms_cc_) {
          if (std::find(seen.begin(), seen.end(), x) == seen.end()) {
            seen.push_back(x);
            tok->add_xms_cc(x);
          }
        }
      }
    }
    d_.mutable_explanation()->add_rules("T1");
    AttachCa();
    return true;
  }

  // ---- §3.10 recording -----------------------------------------------------
 public:
  const vector<Perm>& missing() const { return m_; }

  // Merges `values` (canonical) into `existing` scope text: known values in
  // their canonical spelling, unknown ones kept as written; sorted (§0).
  string Merge(const string& resource, const vector<string>& existing, const vector<string>& values) const {
    vector<string> all;
    for (const string& v : existing) {
      const v1::DelegatedScope* s = nullptr;
      if (const v1::ResourceApi* api = FindApi(resource)) {
        for (const auto& sc : api->scopes()) {
          if (IEq(sc.value(), v)) s = &sc;
        }
      }
      all.push_back(s ? s->value() : v);
    }
    for (const string& v : values) all.push_back(v);
    SortUniqueI(&all);
    return JoinSpace(all);
  }
  vector<string> TenantWide(const string& client, const string& res) const {
    vector<string> out;
    for (const auto& g : b_.tenant_wide_grants()) {
      if (IEq(g.client_app_id(), client) && IEq(g.resource_app_id(), res)) {
        for (const string& v : SplitSpaces(g.scope())) out.push_back(v);
      }
    }
    return out;
  }
  vector<string> UserGrants(const v1::User& u, const string& client, const string& res) const {
    vector<string> out;
    for (const auto& g : u.grants()) {
      if (IEq(g.client_app_id(), client) && IEq(g.resource_app_id(), res)) {
        for (const string& v : SplitSpaces(g.scope())) out.push_back(v);
      }
    }
    return out;
  }
  string CanonApp(const string& app) const {
    if (const v1::ServicePrincipal* sp = FindSp(app)) return sp->app_id();
    if (const v1::AppRegistration* reg = FindReg(app)) return reg->app_id();
    return app;
  }

  // R1, R2: `kind` user_prompt / admin_prompt; this evaluator ran the request.
  // Returns false with `status` set ("FailedPrecondition", ...) on refusal.
  bool RecordPrompt(const v1::RecordConsentRequest& rc, v1::RecordConsentResult* out, string* status) {
    const bool user = IEq(rc.kind(), "user_prompt");
    const v1::Outcome want = user ? v1::CONSENT_PROMPT_USER : v1::CONSENT_PROMPT_ADMIN;
    if (d_.outcome() != want) {
      *status = "FailedPrecondition";
      return false;
    }
    // One write per (client, resource), in order of first appearance in M.
    vector<std::pair<string, string>> keys;
    for (const Perm& p : m_) {
      bool seen = false;
      for (const auto& k : keys) seen = seen || (IEq(k.first, p.client) && IEq(k.second, p.resource));
      if (!seen) keys.emplace_back(p.client, p.resource);
    }
    const bool org_wide = !user && rc.org_wide();
    for (const auto& k : keys) {
      vector<string> values;
      for (const Perm& p : m_) {
        if (IEq(p.client, k.first) && IEq(p.resource, k.second)) values.push_back(p.value);
      }
      v1::GrantWrite* g = out->add_grants();
      g->set_client_app_id(CanonApp(k.first));
      g->set_resource_app_id(CanonApp(k.second));
      if (org_wide) {
        g->set_consent_type("AllPrincipals");
        g->set_scope(Merge(k.second, TenantWide(k.first, k.second), values));
      } else {
        g->set_consent_type("Principal");
        g->set_principal_id(r_.user().id());
        g->set_scope(Merge(k.second, UserGrants(r_.user(), k.first, k.second), values));
      }
    }
    for (const auto& k : keys) {
      if (FindSp(k.first) == nullptr && !ContainsIR(out->create_service_principals(), k.first)) {
        out->add_create_service_principals(CanonApp(k.first));
      }
    }
    return true;
  }

  // R3: the actor is this evaluator's request user.
  bool RecordAdminGrant(const v1::RecordConsentRequest& rc, v1::RecordConsentResult* out, string* status) {
    const string& client = rc.client_app_id();
    if (client.empty() || (FindSp(client) == nullptr && FindReg(client) == nullptr)) {
      *status = "InvalidArgument";
      return false;
    }
    // Items in order (delegated, then app roles): each is validated, then
    // its authority checked (precedence aligned with the engine).
    const vector<string> for_all = CustomRolePolicies("managePermissionGrantsForAll.");
    bool top = false, app_admin = false;
    for (const auto& role : r_.user().roles()) {
      top = top || IEq(role, "Global Administrator") || IEq(role, "Privileged Role Administrator");
      app_admin = app_admin || IEq(role, "Cloud Application Administrator") ||
                  IEq(role, "Application Administrator");
    }
    auto authorized = [&](const Event& e) {
      bool ok = top;
      if (e.role == nullptr) {
        ok = ok || app_admin;
      } else {
        ok = ok || (app_admin && !IsGraph(e.resource));
        const v1::ServicePrincipal* sp = FindSp(e.resource);
        ok = ok || (sp != nullptr && !IsGraph(e.resource) && ContainsIR(sp->owners(), r_.user().id()));
      }
      for (const string& pid : for_all) ok = ok || PolicyAllows(pid, e);
      return ok;
    };
    vector<Perm> delegated;
    for (const string& text : rc.delegated()) {
      const size_t slash = text.rfind('/');
      const string ident = slash == string::npos ? string(kGraph) : text.substr(0, slash);
      const string value = slash == string::npos ? text : text.substr(slash + 1);
      const v1::ServicePrincipal* sp = slash == string::npos ? FindSp(kGraph) : Resolve(ident);
      const v1::DelegatedScope* s = sp ? FindScope(sp->app_id(), value) : nullptr;
      if (s == nullptr || value.empty()) {
        *status = "InvalidArgument";
        return false;
      }
      if (!authorized({s, sp->app_id(), client})) {
        *status = "PermissionDenied";
        return false;
      }
      delegated.push_back({client, sp->app_id(), s->value()});
    }
    vector<std::pair<string, const v1::AppRole*>> roles;
    for (const auto& ref : rc.app_roles()) {
      const v1::ServicePrincipal* sp = FindSp(ref.resource_app_id());
      const v1::ResourceApi* api = FindApi(ref.resource_app_id());
      const v1::AppRole* role = nullptr;
      if (api != nullptr) {
        for (const auto& r : api->app_roles()) {
          if (IEq(r.value(), ref.value()) && Enabled(r) &&
              ContainsIR(r.allowed_member_types(), "Application")) {
            role = &r;
          }
        }
      }
      if (sp == nullptr || role == nullptr) {
        *status = "InvalidArgument";
        return false;
      }
      Event e{nullptr, sp->app_id(), client};
      e.role = role;
      if (!authorized(e)) {
        *status = "PermissionDenied";
        return false;
      }
      roles.emplace_back(sp->app_id(), role);
    }
    vector<string> resources;
    for (const Perm& p : delegated) {
      if (!ContainsI(resources, p.resource)) resources.push_back(p.resource);
    }
    for (const string& res : resources) {
      vector<string> values;
      for (const Perm& p : delegated) {
        if (IEq(p.resource, res)) values.push_back(p.value);
      }
      v1::GrantWrite* g = out->add_grants();
      g->set_client_app_id(CanonApp(client));
      g->set_resource_app_id(res);
      g->set_consent_type("AllPrincipals");
      g->set_scope(Merge(res, TenantWide(client, res), values));
    }
    for (const auto& r : roles) {
      bool dup = false;
      for (const auto& a : out->app_role_assignments()) {
        dup = dup || (IEq(a.resource_app_id(), r.first) && IEq(a.app_role_id(), r.second->id()));
      }
      // An assignment the bundle already holds is not created again.
      for (const auto& a : b_.app_role_assignments()) {
        dup = dup || (IEq(a.client_app_id(), client) && IEq(a.resource_app_id(), r.first) &&
                      IEq(a.app_role_id(), r.second->id()));
      }
      if (dup) continue;
      v1::AppRoleAssignmentWrite* a = out->add_app_role_assignments();
      a->set_client_app_id(CanonApp(client));
      a->set_resource_app_id(r.first);
      a->set_app_role_id(r.second->id());
    }
    if (FindSp(client) == nullptr) out->add_create_service_principals(CanonApp(client));
    return true;
  }

 private:
  vector<Perm> m_;
  const v1::PolicyBundle& b_;
  const v1::TokenRequest& r_;
  v1::Decision d_;
  GrantType grant_ = GrantType::kInteractive;
  bool interactive_ = false;
  bool prompt_consent_ = false;
  bool prompt_none_ = false;
  int64_t now_ = 0;
  vector<vector<string>> requirements_;
  vector<string> xms_cc_;
  std::optional<int64_t> max_age_;
  const v1::Session* session_ = nullptr;
  std::set<string> methods_;
  std::optional<int64_t> primary_time_, mfa_time_;
  vector<ScopeTok> toks_;
  const v1::ServicePrincipal* client_sp_ = nullptr;
  const v1::AppRegistration* client_reg_ = nullptr;
  string primary_;
  const v1::ServicePrincipal* primary_sp_ = nullptr;
  bool oidc_only_ = false;
  bool self_token_ = false;
  bool t6_fail_ = false;
  bool ca_reached_ = false;
  vector<PolInfo> pols_;
  vector<string> applied_;
  vector<std::pair<string, string>> report_only_;
  vector<string> met_contexts_;
};

}  // namespace

v1::Decision Evaluate(const v1::PolicyBundle& bundle, const v1::TokenRequest& request) {
  Evaluator e(bundle, request);
  return e.Run();
}

RecordOutcome RecordConsent(const v1::PolicyBundle& bundle, const v1::RecordConsentRequest& request) {
  RecordOutcome out;
  if (IEq(request.kind(), "user_prompt") || IEq(request.kind(), "admin_prompt")) {
    Evaluator e(bundle, request.request());
    e.Run();
    if (!e.RecordPrompt(request, &out.result, &out.status)) out.result.Clear();
    return out;
  }
  if (IEq(request.kind(), "admin_grant")) {
    v1::TokenRequest actor;
    actor.set_tenant(bundle.tenant_id());
    *actor.mutable_user() = request.actor();
    Evaluator e(bundle, actor);
    if (!e.RecordAdminGrant(request, &out.result, &out.status)) out.result.Clear();
    return out;
  }
  out.status = "InvalidArgument";
  return out;
}

}  // namespace reference
}  // namespace consent

namespace consent {
namespace reference {

AccessOutcome CheckResourceAccess(const v1::PolicyBundle& bundle, const v1::ResourceAccessCheck& check) {
  AccessOutcome out;
  auto invalid = [&]() {
    out.status = "InvalidArgument";
    out.result.Clear();
    return out;
  };
  if (!check.tenant().empty() && !IEq(check.tenant(), bundle.tenant_id())) return invalid();
  const std::optional<int64_t> now = ParseTime(check.now());
  if (!now) return invalid();
  std::optional<int64_t> auth_time;
  if (!check.auth_time().empty()) {
    auth_time = ParseTime(check.auth_time());
    if (!auth_time) return invalid();
  }
  if (check.has_max_age() && check.max_age() < 0) return invalid();
  for (const std::string& c : check.required_acr_values()) {
    if (!ValidContextId(c)) return invalid();
  }
  // Format: the check's, else the resource's (SPEC 1.3), else entra.
  std::string format = Lower(check.challenge_format());
  if (format.empty() && !check.resource_app_id().empty()) {
    for (const auto& api : bundle.resources()) {
      if (IEq(api.app_id(), check.resource_app_id())) format = Lower(api.challenge_format());
    }
  }
  if (format.empty()) format = "entra";
  if (format != "entra" && format != "rfc9470" && format != "both") return invalid();
  bool acr_ok = check.required_acr_values_size() == 0;
  for (const std::string& c : check.required_acr_values()) acr_ok = acr_ok || ContainsIR(check.acrs(), c);
  const bool fresh_ok = !check.has_max_age() || (auth_time && *now - *auth_time <= check.max_age());
  if (acr_ok && fresh_ok) {
    out.result.set_allow(true);
    return out;
  }
  std::vector<std::string> acr_values;
  for (const std::string& c : check.required_acr_values()) {
    if (!ContainsI(acr_values, c)) acr_values.push_back(c);
  }
  auto s3 = [&](bool with_acr, bool with_max_age) {
    std::string h = "Bearer error=\"insufficient_user_authentication\", error_description=\"step-up required\"";
    if (with_acr) h += ", acr_values=\"" + JoinSpace(acr_values) + "\"";
    if (with_max_age) h += ", max_age=\"" + std::to_string(check.max_age()) + "\"";
    return h;
  };
  if (!fresh_ok) {
    out.result.set_http_status(401);
    out.result.add_www_authenticate(s3(!acr_ok, true));
    return out;
  }
  bool cp1 = false;
  for (const std::string& x : check.xms_cc()) cp1 = cp1 || x == "cp1";
  const std::string claims =
      "{\"access_token\":{\"acrs\":{\"essential\":true,\"value\":" + JsonString(acr_values[0]) + "}}}";
  const std::string s2 =
      "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", "
      "error=\"insufficient_claims\", claims=\"" + Base64(claims) + "\"";
  if (format == "rfc9470") {
    out.result.set_http_status(401);
    out.result.add_www_authenticate(s3(true, false));
  } else if (format == "entra") {
    if (cp1) {
      out.result.set_http_status(401);
      out.result.add_www_authenticate(s2);
    } else {
      out.result.set_http_status(403);
    }
  } else {
    out.result.set_http_status(401);
    out.result.add_www_authenticate(s3(true, false));
    if (cp1) out.result.add_www_authenticate(s2);
  }
  return out;
}

}  // namespace reference
}  // namespace consent
