// libFuzzer: device-filter rule compilation (SPEC C3, 1.7) through
// CompilePolicy with a bundle holding the rule in an enabled CA policy; when
// it compiles, evaluation over a few devices must keep SPEC 3.1's invariants.
#include <string>

#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace consent;
  if (size == 0) return 0;
  // A minimal bundle keeps compilation (and so fuzzing) fast.
  static const v1::PolicyBundle* minimal = [] {
    auto* b = new v1::PolicyBundle;
    b->set_tenant_id("t-fuzz");
    for (const char* app : {"00000003-0000-0000-c000-000000000000", "app-client"}) {
      v1::AppRegistration* reg = b->add_app_registrations();
      reg->set_app_id(app);
      reg->set_home_tenant("t-fuzz");
      b->add_service_principals()->set_app_id(app);
    }
    v1::ResourceApi* graph = b->add_resources();
    graph->set_app_id("00000003-0000-0000-c000-000000000000");
    v1::DelegatedScope* openid = graph->add_scopes();
    openid->set_id("openid");
    openid->set_value("openid");
    for (const char* id : {"microsoft-company-admin", "microsoft-application-admin"}) {
      v1::PermissionGrantPolicy* p = b->add_permission_grant_policies();
      p->set_id(id);
      p->add_includes()->set_permission_type("delegated");
    }
    v1::TenantWideGrant* g = b->add_tenant_wide_grants();
    g->set_client_app_id("app-client");
    g->set_resource_app_id("00000003-0000-0000-c000-000000000000");
    g->set_scope("openid");
    return b;
  }();
  v1::PolicyBundle bundle = *minimal;
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
    r.set_client_id("app-client");
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
