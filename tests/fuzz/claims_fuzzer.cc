// libFuzzer: claims JSON (V4, C7, T7) through consent::ca::ParseStepUpParams
// and then through Evaluate. Input: `claims` text; a 0x00 byte splits off
// `acr_values` and then `max_age`.
#include <string>

#include "engine/ca/conditional_access.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace consent;
  std::string parts[3];
  int k = 0;
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0 && k < 2) {
      ++k;
      continue;
    }
    parts[k] += static_cast<char>(data[i]);
  }
  v1::TokenRequest r;
  r.set_claims(parts[0]);
  r.set_acr_values(parts[1]);
  r.set_max_age(parts[2]);
  for (bool interactive : {true, false}) {
    ca::StepUpParams params;
    std::string error;
    ca::ParseStepUpParams(r, interactive, EngineOptions{}, &params, &error);
  }
  const fuzz::Loaded& loaded = fuzz::Bundles()[0];
  r.set_tenant(loaded.bundle.tenant_id());
  r.set_now("2025-03-03T10:00:00Z");
  r.set_grant_type("interactive");
  r.set_client_id(loaded.bundle.app_registrations(0).app_id());
  r.set_scope("openid");
  r.mutable_user()->set_id("alice");
  fuzz::CheckDecision(loaded.policy->Evaluate(r), "claims");
  return 0;
}
