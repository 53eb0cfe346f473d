// libFuzzer: scope-string parsing (P1-P10, A1) through Evaluate. The input
// is the raw `scope` text (the first byte picks the grant type and whether it
// travels as `refresh_token_scope`), against the contoso bundle when present.
#include <string>

#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace consent;
  if (size == 0) return 0;
  const fuzz::Loaded& loaded = fuzz::Bundles()[0];
  static const char* kGrants[] = {"interactive", "refresh_token", "client_credentials", "on_behalf_of"};
  const uint8_t head = data[0];
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  v1::TokenRequest r;
  r.set_tenant(loaded.bundle.tenant_id());
  r.set_now("2025-03-03T10:00:00Z");
  r.set_grant_type(kGrants[head % 4]);
  // The first confidential client of the bundle.
  for (const auto& reg : loaded.bundle.app_registrations()) {
    if (reg.client_type() == "confidential") {
      r.set_client_id(reg.app_id());
      break;
    }
  }
  r.set_client_authenticated(true);
  if ((head & 4) && r.grant_type() == "refresh_token") r.set_refresh_token_scope(text);
  else r.set_scope(text);
  if (head & 8) r.set_prompt("consent");
  r.mutable_user()->set_id("alice");
  r.mutable_user()->set_mfa_registered(true);
  v1::AuthMethod* m = r.mutable_session()->add_auth_methods();
  m->set_method("fido2");
  m->set_at("2025-03-03T09:00:00Z");
  if (r.grant_type() == "on_behalf_of") {
    v1::Assertion* a = r.mutable_assertion();
    a->set_kind("access_token");
    a->set_aud(r.client_id());
    a->set_tid(loaded.bundle.tenant_id());
    a->set_subject_type("user");
    a->set_subject_id("alice");
    a->set_exp("2025-03-03T11:00:00Z");
  }
  fuzz::CheckDecision(loaded.policy->Evaluate(r), "scope");
  return 0;
}
