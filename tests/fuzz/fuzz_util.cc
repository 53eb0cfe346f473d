#include "tests/fuzz/fuzz_util.h"

#include <cstdio>
#include <cstdlib>

#include "tests/differential/random_policy.h"

namespace consent {
namespace fuzz {

namespace {

[[noreturn]] void Die(const std::string& what, const v1::Decision& d, const char* where) {
  std::fprintf(stderr, "INVARIANT VIOLATED (%s): %s\ndecision: %s\n", where, what.c_str(),
               d.ShortDebugString().c_str());
  std::abort();
}

// RFC 6749 A.8 (SPEC 3.1): %x20-21 / %x23-5B / %x5D-7E.
bool DescriptionChars(const std::string& s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c > 0x7E || c == '"' || c == '\\') return false;
  }
  return true;
}

}  // namespace

const std::vector<Loaded>& Bundles() {
  static const std::vector<Loaded>* bundles = [] {
    auto* out = new std::vector<Loaded>;
    const char* dir = std::getenv("FUZZ_POLICIES_DIR");
    const std::string base = dir != nullptr ? std::string(dir) + "/" : "policies/";
    for (const char* file : {"contoso/contoso.bundle.textproto", "fabrikam/fabrikam.bundle.textproto"}) {
      absl::StatusOr<v1::PolicyBundle> bundle = LoadBundleFile(base + file);
      if (!bundle.ok()) continue;
      absl::StatusOr<std::shared_ptr<const CompiledPolicy>> policy = CompilePolicy(*bundle);
      if (!policy.ok()) continue;
      out->push_back({*bundle, *policy});
    }
    for (uint64_t seed = 1; seed <= 4; ++seed) {
      differential::RandomPolicy gen(seed);
      v1::PolicyBundle bundle = gen.Bundle();
      absl::StatusOr<std::shared_ptr<const CompiledPolicy>> policy = CompilePolicy(bundle);
      if (!policy.ok()) {
        std::fprintf(stderr, "generated bundle %d does not compile: %s\n", static_cast<int>(seed),
                     std::string(policy.status().message()).c_str());
        std::abort();
      }
      out->push_back({bundle, *policy});
    }
    return out;
  }();
  return *bundles;
}

void CheckDecision(const v1::Decision& d, const char* where) {
  const v1::Outcome o = d.outcome();
  if (o < v1::ISSUE || o > v1::UNAVAILABLE) Die("outcome out of range", d, where);
  if (d.has_token() != (o == v1::ISSUE)) Die("token present iff ISSUE", d, where);
  if (o == v1::ISSUE && d.token().aud().empty()) Die("ISSUE without aud", d, where);
  const bool prompt = o == v1::CONSENT_PROMPT_USER || o == v1::CONSENT_PROMPT_ADMIN;
  if (d.has_prompt() && !prompt) Die("prompt outside CONSENT_PROMPT_*", d, where);
  if (prompt && d.prompt().scopes_size() == 0) Die("empty prompt", d, where);
  if (d.has_step_up() != (o == v1::STEP_UP_REQUIRED)) Die("step_up present iff STEP_UP_REQUIRED", d, where);
  if (o == v1::ISSUE && !d.error().empty()) Die("ISSUE with an error", d, where);
  if (prompt && !d.error().empty() && d.error() != "consent_required") Die("prompt with an error", d, where);
  if (!prompt && o != v1::ISSUE && d.error().empty()) Die("refusal without an error", d, where);
  if (o == v1::UNAVAILABLE && d.error() != "temporarily_unavailable" && d.error() != "server_error") {
    Die("UNAVAILABLE with a wrong error", d, where);
  }
  if (o == v1::BLOCKED && d.blocking_policies_size() == 0) Die("BLOCKED without blocking_policies", d, where);
  if (!DescriptionChars(d.error_description())) Die("error_description charset (RFC 6749 A.8)", d, where);
  if (d.has_step_up()) {
    const std::string& h = d.step_up().rfc9470_challenge();
    const size_t k = h.find("error_description=\"");
    if (k != std::string::npos) {
      const size_t end = h.find('"', k + 19);
      if (end == std::string::npos || !DescriptionChars(h.substr(k + 19, end - k - 19))) {
        Die("S3 error_description charset", d, where);
      }
    }
    if (!d.step_up().claims().empty() && d.step_up().middle_tier_challenge().empty()) {
      Die("claims without middle_tier_challenge", d, where);
    }
    if (d.step_up().required_size() == 0 && d.step_up().required_any_size() == 0) {
      Die("step-up with nothing required", d, where);
    }
  }
}

std::string Bytes::String(size_t max) {
  std::string out;
  while (size_ > 0 && out.size() < max) {
    const uint8_t c = Byte();
    if (c == 0xFF) break;
    out += static_cast<char>(c);
  }
  return out;
}

std::string Bytes::Pick(const std::vector<std::string>& vocab, size_t max_raw) {
  const uint8_t b = Byte();
  if (vocab.empty() || b % 8 == 7) return String(max_raw);
  return vocab[b % vocab.size()];
}

v1::TokenRequest DecodeRequest(const v1::PolicyBundle& bundle, Bytes* in) {
  std::vector<std::string> apps, idents, values, users = {"alice", "bob", "ravi", "u-alice", "u-bob"};
  for (const auto& reg : bundle.app_registrations()) {
    apps.push_back(reg.app_id());
    idents.push_back(reg.app_id());
    for (const std::string& u : reg.identifier_uris()) idents.push_back(u);
  }
  for (const auto& api : bundle.resources()) {
    for (const auto& s : api.scopes()) values.push_back(s.value());
    for (const auto& r : api.app_roles()) values.push_back(r.value());
  }
  values.push_back(".default");
  static const std::vector<std::string> kGrants = {"interactive", "refresh_token", "client_credentials",
                                                   "on_behalf_of", "authorization_code"};
  static const std::vector<std::string> kMethods = {
      "password", "fido2", "sms", "microsoftAuthenticatorPush", "windowsHelloForBusiness", "email",
      "x509CertificateMultiFactor", "federatedSingleFactor", "temporaryAccessPassOneTime", "voice"};
  static const std::vector<std::string> kTimes = {"2025-03-03T09:00:00Z", "2025-03-03T01:00:00Z",
                                                  "2025-03-03T09:59:00Z", "2025-02-28T10:00:00Z"};
  static const std::vector<std::string> kPrompts = {"", "none", "consent", "login", "select_account"};
  static const std::vector<std::string> kClaims = {
      "", R"({"access_token":{"acrs":{"essential":true,"value":"c2"}}})",
      R"({"access_token":{"acrs":{"values":["c1","c2"]},"xms_cc":{"values":["cp1"]}}})"};
  v1::TokenRequest r;
  r.set_tenant(in->Byte() % 16 == 0 ? "t-other" : bundle.tenant_id());
  r.set_now("2025-03-03T10:00:00Z");
  r.set_grant_type(in->Pick(kGrants));
  r.set_client_id(in->Pick(apps));
  r.set_client_authenticated(in->Byte() % 4 != 0);
  const int tokens = in->Byte() % 5;
  std::string scope;
  for (int i = 0; i < tokens; ++i) {
    const uint8_t shape = in->Byte() % 4;
    std::string t = shape == 0 ? in->Pick(values) : in->Pick(idents) + "/" + in->Pick(values);
    scope += (scope.empty() ? "" : " ") + t;
  }
  r.set_scope(scope);
  if (in->Byte() % 4 == 0) r.set_refresh_token_scope(in->String(128));
  if (in->Byte() % 8 != 0) {
    v1::User* u = r.mutable_user();
    u->set_id(in->Pick(users));
    u->set_mfa_registered(in->Byte() % 2);
    if (in->Byte() % 4 == 0) u->add_roles(in->Pick({"Global Administrator", "Application Administrator"}));
    const int grants = in->Byte() % 3;
    for (int i = 0; i < grants; ++i) {
      v1::UserGrant* g = u->add_grants();
      g->set_client_app_id(in->Pick(apps));
      g->set_resource_app_id(in->Pick(apps));
      g->set_scope(in->Pick(values) + " " + in->Pick(values));
    }
  }
  v1::Session* s = r.mutable_session();
  if (r.grant_type() == "on_behalf_of") {
    v1::Assertion* a = r.mutable_assertion();
    a->set_kind(in->Byte() % 8 ? "access_token" : "id_token");
    a->set_aud(in->Pick(idents));
    a->set_tid(bundle.tenant_id());
    a->set_subject_type("user");
    a->set_subject_id(r.user().id());
    a->set_exp("2025-03-03T11:00:00Z");
    s = a->mutable_session();
  }
  const int methods = in->Byte() % 4;
  for (int i = 0; i < methods; ++i) {
    v1::AuthMethod* m = s->add_auth_methods();
    m->set_method(in->Pick(kMethods));
    m->set_at(in->Pick(kTimes));
  }
  if (in->Byte() % 2) {
    v1::Device* d = s->mutable_device();
    d->set_registered(in->Byte() % 2);
    d->set_is_compliant(in->Byte() % 2);
    d->set_trust_type(in->Pick({"AzureAD", "ServerAD", "Workplace", ""}));
    (*d->mutable_attributes())[in->Pick({"model", "deviceId", "extensionAttribute1"})] = in->String(32);
  }
  s->set_ip(in->Pick({"", "10.1.2.3", "2001:db8::1", "8.8.8.8"}));
  s->set_country(in->Pick({"", "FR", "US", "XX"}));
  s->set_client_app_type(in->Pick({"", "browser", "exchangeActiveSync", "other"}));
  r.set_prompt(in->Pick(kPrompts));
  r.set_claims(in->Pick(kClaims, 256));
  r.set_acr_values(in->Pick({"", "c1", "c2 c9"}));
  r.set_max_age(in->Pick({"", "3600", "0"}));
  if (in->Byte() % 16 == 0) r.set_consent_response("declined");
  return r;
}

}  // namespace fuzz
}  // namespace consent
