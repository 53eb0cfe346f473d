#include "engine/testing_util.h"

#include <string>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace consent {
namespace testing {

template <typename Message>
Message Parse(absl::string_view text) {
  Message m;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(std::string(text), &m)) << text;
  return m;
}

template v1::PolicyBundle Parse<v1::PolicyBundle>(absl::string_view);
template v1::TokenRequest Parse<v1::TokenRequest>(absl::string_view);
template v1::User Parse<v1::User>(absl::string_view);
template v1::RecordConsentRequest Parse<v1::RecordConsentRequest>(absl::string_view);
template v1::ResourceAccessCheck Parse<v1::ResourceAccessCheck>(absl::string_view);

v1::PolicyBundle ContosoBundle(absl::string_view patch) {
  absl::StatusOr<v1::PolicyBundle> base = LoadBundleFile(std::string(kContosoPath));
  EXPECT_TRUE(base.ok()) << base.status();
  v1::PolicyBundle bundle = base.ok() ? *base : v1::PolicyBundle();
  v1::PolicyBundle extra = Parse<v1::PolicyBundle>(patch);
  if (extra.has_consent_settings()) bundle.clear_consent_settings();
  bundle.MergeFrom(extra);
  return bundle;
}

std::shared_ptr<const CompiledPolicy> Contoso(absl::string_view patch) {
  absl::StatusOr<std::shared_ptr<const CompiledPolicy>> policy = CompilePolicy(ContosoBundle(patch));
  EXPECT_TRUE(policy.ok()) << policy.status();
  return policy.ok() ? *policy : nullptr;
}

v1::TokenRequest Request(absl::string_view text) {
  v1::TokenRequest r;
  r.set_tenant("t-contoso");
  r.set_now(std::string(kNow));
  r.set_grant_type("interactive");
  r.set_client_id("app-expense");
  r.set_client_authenticated(true);
  // Fragments separated by ";;" merge in order, so a later fragment can
  // override fields (even with default values) of an earlier one.
  for (absl::string_view fragment : absl::StrSplit(text, ";;")) {
    EXPECT_TRUE(google::protobuf::TextFormat::MergeFromString(std::string(fragment), &r)) << fragment;
  }
  return r;
}

void ApplyToUser(const v1::RecordConsentResult& result, v1::User* user) {
  for (const v1::GrantWrite& w : result.grants()) {
    if (w.consent_type() != "Principal" || w.principal_id() != user->id()) continue;
    bool replaced = false;
    for (v1::UserGrant& g : *user->mutable_grants()) {
      if (g.client_app_id() == w.client_app_id() && g.resource_app_id() == w.resource_app_id()) {
        g.set_scope(w.scope());
        replaced = true;
      }
    }
    if (!replaced) {
      v1::UserGrant* g = user->add_grants();
      g->set_client_app_id(w.client_app_id());
      g->set_resource_app_id(w.resource_app_id());
      g->set_scope(w.scope());
    }
  }
}

void ApplyToBundle(const v1::RecordConsentResult& result, v1::PolicyBundle* bundle) {
  for (const v1::GrantWrite& w : result.grants()) {
    if (w.consent_type() != "AllPrincipals") continue;
    bool replaced = false;
    for (v1::TenantWideGrant& g : *bundle->mutable_tenant_wide_grants()) {
      if (g.client_app_id() == w.client_app_id() && g.resource_app_id() == w.resource_app_id()) {
        g.set_scope(w.scope());
        replaced = true;
      }
    }
    if (!replaced) {
      v1::TenantWideGrant* g = bundle->add_tenant_wide_grants();
      g->set_client_app_id(w.client_app_id());
      g->set_resource_app_id(w.resource_app_id());
      g->set_scope(w.scope());
    }
  }
  for (const v1::AppRoleAssignmentWrite& w : result.app_role_assignments()) {
    v1::ServicePrincipalRoleAssignment* a = bundle->add_app_role_assignments();
    a->set_client_app_id(w.client_app_id());
    a->set_resource_app_id(w.resource_app_id());
    a->set_app_role_id(w.app_role_id());
  }
  for (const std::string& app : result.create_service_principals()) {
    bundle->add_service_principals()->set_app_id(app);
  }
}

std::string JoinScp(const v1::Decision& d) { return absl::StrJoin(d.token().scp(), " "); }
std::string JoinPrompt(const v1::Decision& d) { return absl::StrJoin(d.prompt().scopes(), ", "); }

}  // namespace testing
}  // namespace consent
