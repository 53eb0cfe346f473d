// libFuzzer: device-filter rule compilation (SPEC C3, 1.7) through
// CompilePolicy with a bundle holding the rule in an enabled CA policy; when
// it compiles, evaluation over a few devices must keep SPEC 3.1's invariants.
#include <string>

#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace consent;
  if (size == 0) return 0;
  const fuzz::Loaded& base = fuzz::Bundles()[0];
  v1::PolicyBundle bundle = base.bundle;
  v1::ConditionalAccessPolicy* p = bundle.add_conditional_access_policies();
  p->set_id("fuzz-device-filter");
  p->set_state((data[0] & 1) ? "enabled" : "enabledForReportingButNotEnforced");
  p->mutable_users()->add_include_users("All");
  p->mutable_applications()->add_include_applications("All");
  p->mutable_device_filter()->set_mode((data[0] & 2) ? "include" : "exclude");
  p->mutable_device_filter()->set_rule(std::string(reinterpret_cast<const char*>(data + 1), size - 1));
  p->mutable_grant_controls()->add_built_in_controls((data[0] & 4) ? "block" : "mfa");
  absl::StatusOr<std::shared_ptr<const CompiledPolicy>> policy = CompilePolicy(bundle);
  if (!policy.ok()) return 0;
  for (int device = 0; device < 3; ++device) {
    v1::TokenRequest r;
    r.set_tenant(bundle.tenant_id());
    r.set_now("2025-03-03T10:00:00Z");
    r.set_grant_type("interactive");
    r.set_client_id(bundle.app_registrations(0).app_id());
    r.set_scope("openid");
    r.mutable_user()->set_id("alice");
    if (device > 0) {
      v1::Device* d = r.mutable_session()->mutable_device();
      d->set_registered(true);
      d->set_is_compliant(device == 2);
      d->set_trust_type(device == 2 ? "ServerAD" : "AzureAD");
      (*d->mutable_attributes())["model"] = "Surface Pro";
      (*d->mutable_attributes())["deviceId"] = "dev-1";
      (*d->mutable_attributes())["extensionAttribute1"] = "red";
      d->add_physical_ids("[ZDID]:abc");
      d->add_system_labels("Privileged");
    }
    fuzz::CheckDecision((*policy)->Evaluate(r), "device filter");
  }
  return 0;
}
