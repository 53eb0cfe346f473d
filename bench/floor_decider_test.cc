// The floor's decisions on hand-picked requests against the small synthetic
// tenant: it must really decide (a floor that always says ISSUE would be a
// meaningless baseline).
#include "bench/floor_decider.h"

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace consent {
namespace bench {
namespace {

class FloorDeciderTest : public ::testing::Test {
 protected:
  FloorDeciderTest() : tenant_(GenerateTenant(TenantSize::kSmall)), floor_(tenant_) {}

  const SyntheticApi& ApiOf(absl::string_view app_id) const {
    for (const SyntheticApi& a : tenant_.apis) {
      if (a.app_id == app_id) return a;
    }
    ADD_FAILURE() << "no API " << app_id;
    return tenant_.apis[0];
  }

  // Interactive, MFA done on a compliant device, no groups, no risk.
  v1::TokenRequest Request(absl::string_view client, absl::string_view scope) const {
    v1::TokenRequest r;
    r.set_tenant(std::string(kTenantId));
    r.set_now(std::string(kNow));
    r.set_grant_type("interactive");
    r.set_client_id(std::string(client));
    r.set_scope(std::string(scope));
    r.mutable_user()->set_id("user-1");
    v1::Session* s = r.mutable_session();
    v1::AuthMethod* m = s->add_auth_methods();
    m->set_method("fido2");
    m->set_at("2025-03-03T09:00:00Z");
    s->mutable_device()->set_registered(true);
    s->mutable_device()->set_is_compliant(true);
    return r;
  }

  const SyntheticTenant tenant_;
  const FloorDecider floor_;
};

TEST_F(FloorDeciderTest, DecidesConsentAndCa) {
  // A tenant-wide grant of a generated API covers its first scope.
  const v1::TenantWideGrant* grant = nullptr;
  for (const auto& g : tenant_.bundle.tenant_wide_grants()) {
    if (g.id().rfind("twg-graph", 0) != 0) {
      grant = &g;
      break;
    }
  }
  ASSERT_NE(grant, nullptr);
  const SyntheticApi& api = ApiOf(grant->resource_app_id());
  const std::string first = std::string(absl::StrSplit(grant->scope(), ' ').begin()->data(),
                                        grant->scope().find(' ') == std::string::npos
                                            ? grant->scope().size()
                                            : grant->scope().find(' '));
  v1::TokenRequest r = Request(grant->client_app_id(), absl::StrCat(api.identifier_uri, "/", first));
  EXPECT_EQ(floor_.Decide(r).outcome, v1::ISSUE) << r.DebugString();
  // SPEC §0: ids and values compare ASCII case-insensitively.
  v1::TokenRequest upper = r;
  upper.set_client_id(absl::AsciiStrToUpper(r.client_id()));
  upper.set_scope(absl::AsciiStrToLower(r.scope()));
  EXPECT_EQ(floor_.Decide(upper).outcome, v1::ISSUE) << upper.DebugString();
  upper.set_client_id(r.client_id() + "x");
  EXPECT_EQ(floor_.Decide(upper).outcome, v1::INVALID);

  r.mutable_session()->set_sign_in_risk("high");  // ca-block-high-risk
  EXPECT_EQ(floor_.Decide(r).outcome, v1::BLOCKED);
  r.mutable_session()->set_sign_in_risk("none");

  // Admin-only scope (every tenth) without a grant.
  r.set_scope(absl::StrCat(api.identifier_uri, "/", api.scopes[9]));
  EXPECT_EQ(floor_.Decide(r).outcome, v1::ADMIN_APPROVAL_REQUIRED);
  r.mutable_user()->add_roles("Application Administrator");
  EXPECT_EQ(floor_.Decide(r).outcome, v1::CONSENT_PROMPT_ADMIN);
  r.mutable_user()->clear_roles();

  // A consentable scope, not granted: prompt; on refresh: consent required.
  int k = 0;
  while (api.admin_only[k] || absl::StrContains(grant->scope(), api.scopes[k])) ++k;
  r.set_scope(absl::StrCat(api.identifier_uri, "/", api.scopes[k]));
  EXPECT_EQ(floor_.Decide(r).outcome, v1::CONSENT_PROMPT_USER);
  r.set_grant_type("refresh_token");
  EXPECT_EQ(floor_.Decide(r).outcome, v1::CONSENT_REQUIRED);
  // ... unless the user granted it.
  v1::UserGrant* own = r.mutable_user()->add_grants();
  own->set_client_app_id(grant->client_app_id());
  own->set_resource_app_id(api.app_id);
  own->set_scope(api.scopes[k]);
  EXPECT_EQ(floor_.Decide(r).outcome, v1::ISSUE);

  EXPECT_EQ(floor_.Decide(Request("no-such-client", "User.Read")).outcome, v1::INVALID);
  EXPECT_EQ(floor_.Decide(Request(grant->client_app_id(),
                                  absl::StrCat(api.identifier_uri, "/NoSuch.Scope")))
                .outcome,
            v1::INVALID);
}

TEST_F(FloorDeciderTest, MfaPolicyStepsUpAPasswordOnlySession) {
  for (const auto& p : tenant_.bundle.conditional_access_policies()) {
    if (p.state() != "enabled" || !p.has_users() || p.users().include_users_size() == 0 ||
        p.sign_in_risk_levels_size() > 0 || p.grant_controls().operator_() == "OR" ||
        p.grant_controls().built_in_controls_size() != 1 ||
        p.grant_controls().built_in_controls(0) != "mfa" ||
        p.applications().include_applications_size() == 0 ||
        p.applications().include_applications(0) == "All") {
      continue;
    }
    const std::string& target = p.applications().include_applications(0);
    bool is_api = false;
    for (const SyntheticApi& a : tenant_.apis) is_api |= a.app_id == target;
    if (!is_api) continue;
    const SyntheticApi& api = ApiOf(target);
    v1::TokenRequest r =
        Request(tenant_.clients[0].app_id, absl::StrCat(api.identifier_uri, "/", api.scopes[0]));
    r.mutable_session()->mutable_auth_methods(0)->set_method("password");
    EXPECT_EQ(floor_.Decide(r).outcome, v1::STEP_UP_REQUIRED) << p.id();
    return;
  }
  FAIL() << "the small tenant has no plain mfa policy on an API";
}

TEST_F(FloorDeciderTest, ClientCredentials) {
  const v1::ServicePrincipalRoleAssignment& a = tenant_.bundle.app_role_assignments(0);
  const SyntheticApi& api = ApiOf(a.resource_app_id());
  v1::TokenRequest r = Request(a.client_app_id(), absl::StrCat(api.identifier_uri, "/.default"));
  r.set_grant_type("client_credentials");
  r.clear_user();
  r.set_client_authenticated(true);
  const FloorDecision d = floor_.Decide(r);
  EXPECT_EQ(d.outcome, v1::ISSUE);
  EXPECT_EQ(d.scopes, 1);
  r.set_client_authenticated(false);
  EXPECT_EQ(floor_.Decide(r).outcome, v1::INVALID);
}

}  // namespace
}  // namespace bench
}  // namespace consent

namespace consent {
namespace bench {
namespace {

// Over the large stream the floor spreads like the engine should (printed).
TEST(FloorDeciderStreamTest, SpreadsOverTheLargeStream) {
  const SyntheticTenant tenant = GenerateTenant(TenantSize::kLarge);
  const FloorDecider floor(tenant);
  const std::vector<v1::TokenRequest> stream = GenerateRequests(tenant, 4096);
  std::map<v1::Outcome, int> outcomes;
  for (const v1::TokenRequest& r : stream) ++outcomes[floor.Decide(r).outcome];
  for (const auto& [o, n] : outcomes) {
    std::printf("  floor %-24s %5d\n", v1::Outcome_Name(o).c_str(), n);
  }
  for (v1::Outcome o : {v1::ISSUE, v1::CONSENT_PROMPT_USER, v1::ADMIN_APPROVAL_REQUIRED,
                        v1::STEP_UP_REQUIRED, v1::BLOCKED, v1::CONSENT_REQUIRED}) {
    EXPECT_GE(outcomes[o], 20) << v1::Outcome_Name(o);
  }
  EXPECT_LE(outcomes[v1::INVALID], 40);
}

}  // namespace
}  // namespace bench
}  // namespace consent
