// Conditional Access at the CA level: SPEC worked examples 8-12 with CaInput
// built by hand, and C1-C9 / S1-S5 rule by rule.
#include "engine/ca/conditional_access.h"

#include <string>
#include <vector>

#include "engine/ca/ca_test_util.h"
#include "gtest/gtest.h"

namespace consent {
namespace ca {
namespace {

using namespace ::consent::ca::testing;  // NOLINT
using V = CaResult::Verdict;
using Strings = std::vector<std::string>;

constexpr char kS2Example8[] =
    "Bearer realm=\"\", "
    "authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", "
    "error=\"insufficient_claims\", "
    "claims=\"eyJhY2Nlc3NfdG9rZW4iOnsiY2Fwb2xpZHMiOnsiZXNzZW50aWFsIjp0cnVlLCJ2YWx1ZXMiOlsiY2EtY3QtbWZhLXBheXJvbGwiXX19fQ==\"";

std::string S3(absl::string_view params) {
  return "Bearer error=\"insufficient_user_authentication\", "
         "error_description=\"The request needs a stronger or more recent authentication\"" +
         std::string(params);
}

// ---------------------------------------------------------------- examples

TEST(WorkedExampleTest, Example8_OboStepUpForMfa) {
  auto ca = CompileOrDie(R"pb(
    conditional_access_policies {
      id: "ca-ct-mfa-payroll" state: "enabled"
      users { include_users: "All" }
      applications { include_applications: "payroll-app" }
      grant_controls { built_in_controls: "mfa" }
    })pb");
  Request r;
  r.input.grant = GrantKind::kOnBehalfOf;
  r.input.challenge_format = ChallengeFormat::kBoth;
  Outcome o = Evaluate(*ca, r);
  EXPECT_EQ(o.verdict, V::kStepUp);
  EXPECT_EQ(o.error, "interaction_required");
  EXPECT_EQ(o.code, 50076);
  EXPECT_EQ(o.required, Strings{"mfa"});
  EXPECT_EQ(o.claims,
            R"({"access_token":{"capolids":{"essential":true,"values":["ca-ct-mfa-payroll"]}}})");
  EXPECT_EQ(o.middle_tier, kS2Example8);
  EXPECT_EQ(o.rfc9470, "");  // MFA-only step-ups have none (S3)
  EXPECT_EQ(o.applied, Strings{"ca-ct-mfa-payroll"});
  // Not MFA-registered: 50079.
  r.user.set_mfa_registered(false);
  EXPECT_EQ(Evaluate(*ca, r).code, 50079);
}

constexpr char kExample9[] = R"pb(
  conditional_access_policies {
    id: "P-or" state: "enabled"
    users { include_users: "All" }
    applications { include_applications: "payroll-app" }
    grant_controls { operator: "OR" built_in_controls: "mfa" built_in_controls: "compliantDevice" }
  }
  conditional_access_policies {
    id: "P-and" state: "enabled"
    users { include_users: "All" }
    applications { include_applications: "payroll-app" }
    grant_controls { operator: "AND" built_in_controls: "mfa" built_in_controls: "domainJoinedDevice" }
  })pb";

TEST(WorkedExampleTest, Example9_AndOrBlock) {
  auto ca = CompileOrDie(kExample9);
  Request r;
  r.session = WithMfa();
  r.session.mutable_device()->set_registered(true);
  r.session.mutable_device()->set_trust_type("AzureAD");
  r.session.mutable_device()->set_is_compliant(true);
  Outcome o = Evaluate(*ca, r);
  EXPECT_EQ(o.verdict, V::kBlocked);
  EXPECT_EQ(o.error, "access_denied");
  EXPECT_EQ(o.code, 53001);
  EXPECT_EQ(o.blocking, Strings{"P-and"});
  EXPECT_EQ(o.applied, (Strings{"P-and", "P-or"}));
  EXPECT_EQ(o.unmet, Strings{"P-and: domainJoinedDevice"});

  auto ca2 = CompileOrDie(R"pb(
    conditional_access_policies {
      id: "P-or" state: "enabled"
      users { include_users: "All" }
      applications { include_applications: "payroll-app" }
      grant_controls { operator: "OR" built_in_controls: "mfa" built_in_controls: "compliantDevice" }
    }
    conditional_access_policies {
      id: "P-block" state: "enabled"
      users { include_users: "All" }
      applications { include_applications: "All" }
      locations { include_locations: "loc-xx" }
      grant_controls { built_in_controls: "block" }
    }
    named_locations { id: "loc-xx" countries: "XX" })pb");
  r.session.set_country("XX");
  o = Evaluate(*ca2, r);
  EXPECT_EQ(o.verdict, V::kBlocked);
  EXPECT_EQ(o.code, 53003);
  EXPECT_EQ(o.blocking, Strings{"P-block"});
  EXPECT_EQ(o.applied, (Strings{"P-block", "P-or"}));
  // A refresh is denied with invalid_grant (3.1 "denial").
  r.input.grant = GrantKind::kRefreshToken;
  EXPECT_EQ(Evaluate(*ca2, r).error, "invalid_grant");
  // Outside XX the block does not apply and P-or is satisfied.
  r.session.set_country("FR");
  EXPECT_EQ(Evaluate(*ca2, r).verdict, V::kPass);
}

constexpr char kContexts[] = R"pb(
  authentication_contexts { id: "c2" is_available: true }
  authentication_contexts { id: "c9" is_available: true }
)pb";

TEST(WorkedExampleTest, Example10_AuthContext) {
  auto ca = CompileOrDie(std::string(kContexts) + R"pb(
    conditional_access_policies {
      id: "ca-ct-c2" state: "enabled"
      users { include_users: "All" }
      applications { include_auth_contexts: "c2" }
      grant_controls { built_in_controls: "mfa" built_in_controls: "compliantDevice" }
    })pb");
  Request r;
  r.session = WithMfa();  // unregistered device
  r.input.challenge_format = ChallengeFormat::kBoth;
  r.Params(R"({"access_token":{"acrs":{"essential":true,"value":"c2"}}})");
  Outcome o = Evaluate(*ca, r);
  EXPECT_EQ(o.verdict, V::kBlocked);
  EXPECT_EQ(o.code, 53000);
  EXPECT_EQ(o.blocking, Strings{"ca-ct-c2"});
  EXPECT_EQ(o.applied, Strings{"ca-ct-c2"});

  Request r2;
  r2.session = WithMfa();
  r2.Params("", "c2 c9");
  o = Evaluate(*ca, r2);
  EXPECT_EQ(o.verdict, V::kPass);
  EXPECT_EQ(o.acrs, Strings{"c9"});
  EXPECT_EQ(o.applied, Strings{"ca-ct-c2"});

  auto mfa_only = CompileOrDie(std::string(kContexts) + R"pb(
    conditional_access_policies {
      id: "ca-ct-c2" state: "enabled"
      users { include_users: "All" }
      applications { include_auth_contexts: "c2" }
      grant_controls { built_in_controls: "mfa" }
    })pb");
  Request r3;
  r3.input.challenge_format = ChallengeFormat::kBoth;
  r3.Params(R"({"access_token":{"acrs":{"essential":true,"value":"c2"}}})");
  o = Evaluate(*mfa_only, r3);
  EXPECT_EQ(o.verdict, V::kStepUp);
  EXPECT_EQ(o.code, 50076);
  EXPECT_EQ(o.required, Strings{"mfa"});
  EXPECT_EQ(o.claims, R"({"access_token":{"acrs":{"essential":true,"value":"c2"}}})");
  EXPECT_EQ(o.rfc9470, S3(", acr_values=\"c2\""));
  // Entra format: no S3 header.
  r3.input.challenge_format = ChallengeFormat::kEntra;
  EXPECT_EQ(Evaluate(*mfa_only, r3).rfc9470, "");
}

constexpr char kSif8h[] = R"pb(
  conditional_access_policies {
    id: "ca-sif-payroll" state: "enabled"
    users { include_users: "All" }
    applications { include_applications: "payroll-app" }
    session_controls { sign_in_frequency { value: 8 type: "hours" } }
  })pb";

TEST(WorkedExampleTest, Example11_SignInFrequency) {
  auto ca = CompileOrDie(kSif8h);
  Request r;
  r.session = PasswordOnly(9 * 3600);
  r.input.challenge_format = ChallengeFormat::kBoth;
  Outcome o = Evaluate(*ca, r);
  EXPECT_EQ(o.verdict, V::kStepUp);
  EXPECT_EQ(o.error, "login_required");
  EXPECT_EQ(o.code, 0);
  EXPECT_EQ(o.required, Strings{"reauthentication"});
  const std::string claims =
      R"({"access_token":{"capolids":{"essential":true,"values":["ca-sif-payroll"]}}})";
  EXPECT_EQ(o.claims, claims);
  EXPECT_EQ(o.rfc9470, S3(", max_age=\"28800\""));

  // Confidential refresh: deferred.
  r.input.grant = GrantKind::kRefreshToken;
  r.input.client_public = false;
  o = Evaluate(*ca, r);
  EXPECT_EQ(o.verdict, V::kPass);
  EXPECT_EQ(o.deferred, Strings{"ca-sif-payroll"});
  // Public refresh (app-mobile): 70043.
  r.input.client_public = true;
  r.input.client = kMobile;
  o = Evaluate(*ca, r);
  EXPECT_EQ(o.verdict, V::kStepUp);
  EXPECT_EQ(o.error, "invalid_grant");
  EXPECT_EQ(o.suberror, "token_expired");
  EXPECT_EQ(o.code, 70043);
  EXPECT_EQ(o.required, Strings{"reauthentication"});
  EXPECT_EQ(o.claims, claims);
  EXPECT_EQ(o.rfc9470, S3(", max_age=\"28800\""));
  // OBO: deferred.
  r.input.grant = GrantKind::kOnBehalfOf;
  EXPECT_EQ(Evaluate(*ca, r).verdict, V::kPass);

  // S5 without the policy.
  auto none = CompileOrDie("");
  Request s5;
  s5.session = PasswordOnly(2 * 3600);
  s5.input.challenge_format = ChallengeFormat::kBoth;
  s5.Params("", "", "3600");
  o = Evaluate(*none, s5);
  EXPECT_EQ(o.verdict, V::kStepUp);
  EXPECT_EQ(o.error, "login_required");
  EXPECT_EQ(o.code, 0);
  EXPECT_EQ(o.required, Strings{"reauthentication"});
  EXPECT_EQ(o.claims, "");
  EXPECT_EQ(o.middle_tier, "");
  EXPECT_EQ(o.rfc9470, S3(", max_age=\"3600\""));
}

TEST(WorkedExampleTest, Example12_ReportOnlyNeverDecides) {
  auto ca = CompileOrDie(R"pb(
    conditional_access_policies {
      id: "ca-ro-block" state: "enabledForReportingButNotEnforced"
      users { include_users: "All" }
      applications { include_applications: "All" }
      grant_controls { built_in_controls: "block" }
    })pb");
  Request r;
  r.targets = {kGraph};
  Outcome o = Evaluate(*ca, r);
  EXPECT_EQ(o.verdict, V::kPass);
  EXPECT_EQ(o.report_only, (std::vector<std::pair<std::string, std::string>>{
                               {"ca-ro-block", "failure"}}));
  EXPECT_TRUE(o.applied.empty());
}

// ---------------------------------------------------------------- C1, C8

TEST(ReportOnlyTest, C8_EveryResult) {
  auto ca = CompileOrDie(R"pb(
    conditional_access_policies {
      id: "ro-d-mfa" state: "enabledForReportingButNotEnforced"
      users { include_users: "All" }
      applications { include_applications: "payroll-app" }
      grant_controls { built_in_controls: "mfa" }
    }
    conditional_access_policies {
      id: "ro-c-na" state: "enabledForReportingButNotEnforced"
      users { include_users: "bob" }
      applications { include_applications: "All" }
      grant_controls { built_in_controls: "mfa" }
    }
    conditional_access_policies {
      id: "ro-b-compliant" state: "enabledForReportingButNotEnforced"
      users { include_users: "All" }
      applications { include_applications: "All" }
      grant_controls { built_in_controls: "compliantDevice" }
    }
    conditional_access_policies {
      id: "ro-a-sif" state: "enabledForReportingButNotEnforced"
      users { include_users: "All" }
      applications { include_applications: "All" }
      session_controls { sign_in_frequency { every_time: true } }
    }
    conditional_access_policies {
      id: "ro-e-ok" state: "enabledForReportingButNotEnforced"
      users { include_users: "All" }
      applications { include_applications: "payroll-app" }
    }
    conditional_access_policies {
      id: "off" state: "disabled"
      users { include_users: "All" }
      applications { include_applications: "All" }
      grant_controls { built_in_controls: "block" }
    })pb");
  Request r;
  r.session = PasswordOnly(3600);
  Outcome o = Evaluate(*ca, r);
  EXPECT_EQ(o.verdict, V::kPass);
  EXPECT_TRUE(o.applied.empty());
  EXPECT_EQ(o.report_only, (std::vector<std::pair<std::string, std::string>>{
                               {"ro-a-sif", "userActionRequired"},
                               {"ro-b-compliant", "failure"},
                               {"ro-c-na", "notApplied"},
                               {"ro-d-mfa", "userActionRequired"},
                               {"ro-e-ok", "success"}}));
  // Deferred SIF counts as met for C8.
  r.input.grant = GrantKind::kOnBehalfOf;
  o = Evaluate(*ca, r);
  EXPECT_EQ(o.report_only[0], (std::pair<std::string, std::string>{"ro-a-sif", "success"}));
}

// ---------------------------------------------------------------- C3 users

std::string UserPolicy(absl::string_view users) {
  return absl::StrCat(R"pb(
    conditional_access_policies {
      id: "p" state: "enabled"
      users { )pb", users, R"pb( }
      applications { include_applications: "payroll-app" }
      grant_controls { built_in_controls: "mfa" }
    })pb");
}

bool Applies(absl::string_view policy_text, Request& r) {
  auto ca = CompileOrDie(policy_text);
  return !Evaluate(*ca, r).applied.empty();
}

TEST(UsersConditionTest, C3_IncludeExcludeNotConfigured) {
  Request r;
  r.user.add_groups("g-finance");
  r.user.add_roles("Global Administrator");
  EXPECT_TRUE(Applies(UserPolicy(R"(include_users: "All")"), r));
  EXPECT_TRUE(Applies(UserPolicy(R"(include_users: "ALICE")"), r));
  EXPECT_FALSE(Applies(UserPolicy(R"(include_users: "bob")"), r));
  EXPECT_FALSE(Applies(UserPolicy(R"(include_users: "None")"), r));
  EXPECT_FALSE(Applies(UserPolicy(""), r));  // not configured: nobody
  EXPECT_TRUE(Applies(UserPolicy(R"(include_groups: "G-Finance")"), r));
  EXPECT_FALSE(Applies(UserPolicy(R"(include_groups: "g-hr")"), r));
  EXPECT_TRUE(Applies(UserPolicy(R"(include_roles: "global administrator")"), r));
  EXPECT_FALSE(Applies(UserPolicy(R"(include_roles: "Application Administrator")"), r));
  // Exclude wins.
  EXPECT_FALSE(Applies(UserPolicy(R"(include_users: "All" exclude_users: "alice")"), r));
  EXPECT_FALSE(Applies(UserPolicy(R"(include_users: "All" exclude_groups: "g-finance")"), r));
  EXPECT_FALSE(
      Applies(UserPolicy(R"(include_users: "alice" exclude_roles: "Global Administrator")"), r));
  EXPECT_TRUE(Applies(UserPolicy(R"(include_users: "All" exclude_groups: "g-hr")"), r));
}

TEST(UsersConditionTest, C3_GuestsAndExternalKinds) {
  Request r;
  EXPECT_FALSE(Applies(UserPolicy(R"(include_users: "GuestsOrExternalUsers")"), r));
  r.user.set_user_type("guest");
  r.user.set_external_kind("b2bCollaborationGuest");
  r.user.set_home_tenant("t-fabrikam");
  EXPECT_TRUE(Applies(UserPolicy(R"(include_users: "GuestsOrExternalUsers")"), r));
  EXPECT_FALSE(Applies(UserPolicy(R"(include_users: "All" exclude_users: "GuestsOrExternalUsers")"), r));
  EXPECT_TRUE(Applies(UserPolicy(R"(include_guests_or_external_users {
      guest_or_external_user_types: "b2bCollaborationGuest" })"), r));
  EXPECT_FALSE(Applies(UserPolicy(R"(include_guests_or_external_users {
      guest_or_external_user_types: "b2bDirectConnectUser" })"), r));
  EXPECT_TRUE(Applies(UserPolicy(R"(include_guests_or_external_users {
      guest_or_external_user_types: "b2bCollaborationGuest" external_tenants: "T-FABRIKAM" })"), r));
  EXPECT_FALSE(Applies(UserPolicy(R"(include_guests_or_external_users {
      guest_or_external_user_types: "b2bCollaborationGuest" external_tenants: "t-other" })"), r));
  EXPECT_FALSE(Applies(UserPolicy(R"(include_users: "All" exclude_guests_or_external_users {
      guest_or_external_user_types: "b2bCollaborationGuest" })"), r));
}

// ---------------------------------------------------------------- C2 apps

std::string AppPolicy(absl::string_view apps, absl::string_view extra = "") {
  return absl::StrCat(R"pb(
    app_groups { name: "Office365" app_ids: "00000002-0000-0ff1-ce00-000000000000" app_ids: "not-here" }
    conditional_access_policies {
      id: "p" state: "enabled"
      users { include_users: "All" }
      applications { )pb", apps, R"pb( }
      grant_controls { built_in_controls: "mfa" })pb", extra, "}");
}

TEST(ApplicationsConditionTest, C2_TargetsIncludeExclude) {
  Request r;
  r.targets = {kPayroll};
  EXPECT_TRUE(Applies(AppPolicy(R"(include_applications: "All")"), r));
  EXPECT_TRUE(Applies(AppPolicy(R"(include_applications: "PAYROLL-APP")"), r));
  EXPECT_FALSE(Applies(AppPolicy(R"(include_applications: "00000003-0000-0000-c000-000000000000")"), r));
  EXPECT_FALSE(Applies(AppPolicy(R"(include_applications: "None")"), r));
  EXPECT_FALSE(Applies(AppPolicy(""), r));
  EXPECT_FALSE(Applies(AppPolicy(R"(include_applications: "All" exclude_applications: "payroll-app")"), r));
  // An app absent from the bundle never matches (not an error).
  EXPECT_FALSE(Applies(AppPolicy(R"(include_applications: "app-unknown")"), r));
  // App groups stand for their members; any target suffices.
  r.targets = {kGraph, kExo};
  EXPECT_TRUE(Applies(AppPolicy(R"(include_applications: "Office365")"), r));
  EXPECT_TRUE(Applies(AppPolicy(R"(include_applications: "All" exclude_applications: "Office365")"), r));
  r.targets = {kExo};
  EXPECT_FALSE(Applies(AppPolicy(R"(include_applications: "All" exclude_applications: "Office365")"), r));
  // OIDC-only requests target AADGRAPH (the core computes it).
  r.targets = {kAadGraph};
  EXPECT_TRUE(Applies(AppPolicy(R"(include_applications: "00000002-0000-0000-c000-000000000000")"), r));
}

// ---------------------------------------------------------------- C3 conditions

TEST(ConditionsTest, C3_ClientAppTypes) {
  Request r;
  const std::string browser = AppPolicy(R"(include_applications: "All")",
                                        R"(client_app_types: "browser")");
  const std::string all = AppPolicy(R"(include_applications: "All")", R"(client_app_types: "all")");
  EXPECT_FALSE(Applies(browser, r));  // no type: matches only `all`
  EXPECT_TRUE(Applies(all, r));
  r.session.set_client_app_type("browser");
  EXPECT_TRUE(Applies(browser, r));
  r.session.set_client_app_type("mobileAppsAndDesktopClients");
  EXPECT_FALSE(Applies(browser, r));
  EXPECT_TRUE(Applies(all, r));
}

TEST(ConditionsTest, C3_Platforms) {
  Request r;
  const std::string ios = AppPolicy(R"(include_applications: "All")",
                                    R"(platforms { include_platforms: "iOS" })");
  const std::string all_but_ios = AppPolicy(
      R"(include_applications: "All")",
      R"(platforms { include_platforms: "all" exclude_platforms: "iOS" })");
  EXPECT_FALSE(Applies(ios, r));
  EXPECT_TRUE(Applies(all_but_ios, r));  // unknown matches only `all`
  r.session.set_platform("ios");
  EXPECT_TRUE(Applies(ios, r));
  EXPECT_FALSE(Applies(all_but_ios, r));
  r.session.set_platform("android");
  EXPECT_FALSE(Applies(ios, r));
  EXPECT_TRUE(Applies(all_but_ios, r));
}

constexpr char kLocations[] = R"pb(
  named_locations { id: "hq" ip_ranges: "203.0.113.0/24" ip_ranges: "2001:db8:1::/48" is_trusted: true }
  named_locations { id: "lab" ip_ranges: "198.51.100.0/25" }
  named_locations { id: "xx" countries: "XX" include_unknown: true }
)pb";

std::string LocationPolicy(absl::string_view loc) {
  return absl::StrCat(kLocations,
                      AppPolicy(R"(include_applications: "All")",
                                absl::StrCat("locations { ", loc, " }")));
}

TEST(ConditionsTest, C3_LocationsIpV4V6TrustedCountries) {
  Request r;
  r.session.set_ip("203.0.113.255");
  EXPECT_TRUE(Applies(LocationPolicy(R"(include_locations: "hq")"), r));
  EXPECT_TRUE(Applies(LocationPolicy(R"(include_locations: "AllTrusted")"), r));
  EXPECT_FALSE(Applies(LocationPolicy(R"(include_locations: "All" exclude_locations: "AllTrusted")"), r));
  EXPECT_FALSE(Applies(LocationPolicy(R"(include_locations: "lab")"), r));
  r.session.set_ip("2001:db8:1:ffff::1");
  EXPECT_TRUE(Applies(LocationPolicy(R"(include_locations: "AllTrusted")"), r));
  r.session.set_ip("2001:db8:2::1");
  EXPECT_FALSE(Applies(LocationPolicy(R"(include_locations: "AllTrusted")"), r));
  EXPECT_TRUE(Applies(LocationPolicy(R"(include_locations: "All" exclude_locations: "AllTrusted")"), r));
  r.session.set_ip("198.51.100.127");
  EXPECT_TRUE(Applies(LocationPolicy(R"(include_locations: "lab")"), r));
  r.session.set_ip("198.51.100.128");
  EXPECT_FALSE(Applies(LocationPolicy(R"(include_locations: "lab")"), r));
  // Countries: unknown matches with include_unknown.
  r.session.clear_ip();
  EXPECT_TRUE(Applies(LocationPolicy(R"(include_locations: "xx")"), r));
  EXPECT_FALSE(Applies(LocationPolicy(R"(include_locations: "hq")"), r));  // no ip: no IP location
  r.session.set_country("xx");
  EXPECT_TRUE(Applies(LocationPolicy(R"(include_locations: "xx")"), r));
  r.session.set_country("FR");
  EXPECT_FALSE(Applies(LocationPolicy(R"(include_locations: "xx")"), r));
  EXPECT_TRUE(Applies(LocationPolicy(R"(include_locations: "All" exclude_locations: "hq")"), r));
  EXPECT_TRUE(Applies(LocationPolicy(R"(exclude_locations: "xx")"), r));
}

TEST(ConditionsTest, C3_RiskLevels) {
  Request r;
  const std::string high = AppPolicy(R"(include_applications: "All")",
                                     R"(sign_in_risk_levels: "high" user_risk_levels: "medium" user_risk_levels: "high")");
  EXPECT_FALSE(Applies(high, r));  // default none
  r.session.set_sign_in_risk("high");
  EXPECT_FALSE(Applies(high, r));
  r.session.set_user_risk("medium");
  EXPECT_TRUE(Applies(high, r));
  EXPECT_TRUE(Applies(AppPolicy(R"(include_applications: "All")", R"(sign_in_risk_levels: "none")"),
                      *std::make_unique<Request>()));
}

TEST(ConditionsTest, C3_DeviceFilterModes) {
  const std::string include = AppPolicy(
      R"(include_applications: "All")",
      R"(device_filter { mode: "include" rule: "device.model -startsWith \"Surface\"" })");
  const std::string exclude = AppPolicy(
      R"(include_applications: "All")",
      R"(device_filter { mode: "exclude" rule: "device.model -startsWith \"Surface\"" })");
  Request r;  // unregistered: attributes null
  EXPECT_FALSE(Applies(include, r));
  EXPECT_TRUE(Applies(exclude, r));
  r.session.mutable_device()->set_registered(true);
  (*r.session.mutable_device()->mutable_attributes())["model"] = "Surface Go";
  EXPECT_TRUE(Applies(include, r));
  EXPECT_FALSE(Applies(exclude, r));
}

TEST(ConditionsTest, C3_NotConfiguredConditionsMatchEverySession) {
  const std::string plain = AppPolicy(R"(include_applications: "All")");
  const std::string empty_lists = AppPolicy(
      R"(include_applications: "All")",
      R"(platforms { } locations { } device_filter { })");
  for (const std::string* text : {&plain, &empty_lists}) {
    Request r;
    EXPECT_TRUE(Applies(*text, r));
    r.session.set_client_app_type("exchangeActiveSync");
    r.session.set_platform("linux");
    r.session.set_ip("192.0.2.1");
    r.session.set_country("FR");
    r.session.set_sign_in_risk("high");
    r.session.set_user_risk("low");
    r.session.mutable_device()->set_registered(true);
    EXPECT_TRUE(Applies(*text, r));
    r.has_session = false;
    EXPECT_TRUE(Applies(*text, r));
  }
}

// ---------------------------------------------------------------- C4, C6

std::string Grant(absl::string_view id, absl::string_view grant) {
  return absl::StrCat(R"pb(
    conditional_access_policies {
      id: ")pb", id, R"pb(" state: "enabled"
      users { include_users: "All" }
      applications { include_applications: "payroll-app" }
      grant_controls { )pb", grant, " } }");
}

TEST(GrantControlsTest, C4_AndOrHardSoft) {
  Request r;  // password only, unregistered device
  // AND with a hard control: blocked with that control's code.
  Outcome o = Evaluate(*CompileOrDie(Grant("p", R"(built_in_controls: "mfa" built_in_controls: "approvedApplication")")), r);
  EXPECT_EQ(o.verdict, V::kBlocked);
  EXPECT_EQ(o.code, 53002);
  o = Evaluate(*CompileOrDie(Grant("p", R"(built_in_controls: "compliantApplication")")), r);
  EXPECT_EQ(o.code, 53005);
  // AND, only remediable unmet: soft, all of them.
  o = Evaluate(*CompileOrDie(Grant("p", R"(built_in_controls: "mfa" terms_of_use: "tou-b" terms_of_use: "tou-a" custom_factors: "duo")")), r);
  EXPECT_EQ(o.verdict, V::kStepUp);
  EXPECT_EQ(o.required, (Strings{"mfa", "termsOfUse:tou-a", "termsOfUse:tou-b", "custom:duo"}));
  EXPECT_EQ(o.code, 50076);
  // OR with one remediable alternative: that one is required.
  o = Evaluate(*CompileOrDie(Grant("p", R"(operator: "OR" built_in_controls: "mfa" built_in_controls: "compliantDevice")")), r);
  EXPECT_EQ(o.verdict, V::kStepUp);
  EXPECT_EQ(o.required, Strings{"mfa"});
  // OR with no remediable alternative: hard, first in C4 order.
  o = Evaluate(*CompileOrDie(Grant("p", R"(operator: "OR" built_in_controls: "approvedApplication" built_in_controls: "domainJoinedDevice")")), r);
  EXPECT_EQ(o.verdict, V::kBlocked);
  EXPECT_EQ(o.code, 53001);
  // OR with several remediable alternatives: required_any.
  o = Evaluate(*CompileOrDie(Grant("p", R"(operator: "OR" built_in_controls: "mfa" terms_of_use: "tou")")), r);
  EXPECT_EQ(o.verdict, V::kStepUp);
  EXPECT_TRUE(o.required.empty());
  EXPECT_EQ(o.required_any, (std::vector<Strings>{{"mfa", "termsOfUse:tou"}}));
  EXPECT_EQ(o.code, 50076);  // from the first list
  // Met controls.
  r.session = WithMfa();
  r.session.add_accepted_terms("TOU");
  EXPECT_EQ(Evaluate(*CompileOrDie(Grant("p", R"(built_in_controls: "mfa" terms_of_use: "tou")")), r).verdict,
            V::kPass);
  // No grant control: nothing to satisfy.
  EXPECT_EQ(Evaluate(*CompileOrDie(Grant("p", "")), r).verdict, V::kPass);
}

TEST(GrantControlsTest, C4_StrengthsAndCodes) {
  const std::string text = absl::StrCat(
      R"pb(authentication_strengths { id: "str-fido" allowed_combinations: "fido2" })pb",
      Grant("p1", R"(authentication_strength: "str-fido")"),
      Grant("p2", R"(authentication_strength: "00000000-0000-0000-0000-000000000003")"));
  Request r;
  r.session = WithMfa();
  Outcome o = Evaluate(*CompileOrDie(text), r);
  EXPECT_EQ(o.verdict, V::kStepUp);
  // Spelled as the policies spell them (SPEC §0).
  EXPECT_EQ(o.required, (Strings{"authenticationStrength:00000000-0000-0000-0000-000000000003",
                                 "authenticationStrength:str-fido"}));
  EXPECT_EQ(o.code, 50076);
  r.session = Session({{"fido2", 60}});
  EXPECT_EQ(Evaluate(*CompileOrDie(text), r).verdict, V::kPass);
  // passwordChange: 50135.
  r.session = WithMfa();
  r.session.set_user_risk("high");
  o = Evaluate(*CompileOrDie(R"pb(
    conditional_access_policies {
      id: "pw" state: "enabled"
      users { include_users: "All" }
      applications { include_applications: "All" }
      user_risk_levels: "high"
      grant_controls { built_in_controls: "mfa" built_in_controls: "passwordChange" }
    })pb"), r);
  EXPECT_EQ(o.required, Strings{"passwordChange"});
  EXPECT_EQ(o.code, 50135);
  // Terms: 50158.
  o = Evaluate(*CompileOrDie(Grant("t", R"(terms_of_use: "tou")")), r);
  EXPECT_EQ(o.code, 50158);
}

TEST(CombiningTest, C6_BlockBeatsEverything) {
  const std::string text = absl::StrCat(
      Grant("a-hard", R"(built_in_controls: "compliantDevice")"),
      Grant("b-soft", R"(built_in_controls: "mfa")"),
      Grant("c-block", R"(built_in_controls: "block")"), kSif8h);
  Request r;
  r.session = PasswordOnly(9 * 3600);
  Outcome o = Evaluate(*CompileOrDie(text), r);
  EXPECT_EQ(o.verdict, V::kBlocked);
  EXPECT_EQ(o.code, 53003);
  EXPECT_EQ(o.blocking, Strings{"c-block"});
  EXPECT_EQ(o.applied, (Strings{"a-hard", "b-soft", "c-block", "ca-sif-payroll"}));
}

TEST(CombiningTest, C6_HardBeforeSoftEarliestControlCode) {
  const std::string text = absl::StrCat(
      Grant("a", R"(built_in_controls: "compliantApplication")"),
      Grant("b", R"(built_in_controls: "mfa" built_in_controls: "domainJoinedDevice")"),
      Grant("c", R"(built_in_controls: "mfa")"));
  Request r;
  Outcome o = Evaluate(*CompileOrDie(text), r);
  EXPECT_EQ(o.verdict, V::kBlocked);
  EXPECT_EQ(o.code, 53001);  // domainJoinedDevice precedes compliantApplication
  EXPECT_EQ(o.blocking, (Strings{"a", "b"}));
}

TEST(CombiningTest, C6_SeveralPoliciesMergeIntoOneStepUp) {
  const std::string text = absl::StrCat(
      Grant("z-mfa", R"(built_in_controls: "mfa")"),
      Grant("a-tou", R"(terms_of_use: "tou")"),
      Grant("m-or", R"(operator: "OR" built_in_controls: "mfa" custom_factors: "duo")"),
      Grant("n-or", R"(operator: "OR" terms_of_use: "tou2" custom_factors: "duo")"),
      Grant("o-or", R"(operator: "OR" custom_factors: "duo" terms_of_use: "tou2")"), kSif8h);
  Request r;
  r.session = PasswordOnly(9 * 3600);
  r.input.challenge_format = ChallengeFormat::kRfc9470;
  Outcome o = Evaluate(*CompileOrDie(text), r);
  EXPECT_EQ(o.verdict, V::kStepUp);
  EXPECT_EQ(o.required, (Strings{"reauthentication", "mfa", "termsOfUse:tou"}));
  // m-or shares mfa with `required`; o-or repeats n-or.
  EXPECT_EQ(o.required_any, (std::vector<Strings>{{"termsOfUse:tou2", "custom:duo"}}));
  EXPECT_EQ(o.error, "login_required");
  EXPECT_EQ(o.code, 0);
  EXPECT_EQ(o.claims,
            R"({"access_token":{"capolids":{"essential":true,"values":["a-tou","ca-sif-payroll","m-or","n-or","o-or","z-mfa"]}}})");
  EXPECT_EQ(o.rfc9470, S3(", max_age=\"28800\""));
}

TEST(LegacyClientTest, C4_C5_NothingRemediable) {
  Request r;
  r.session = PasswordOnly(9 * 3600);
  r.session.set_client_app_type("exchangeActiveSync");
  Outcome o = Evaluate(*CompileOrDie(Grant("p", R"(built_in_controls: "mfa")")), r);
  EXPECT_EQ(o.verdict, V::kBlocked);
  EXPECT_EQ(o.code, 53003);
  // A legacy-hard mfa ranks before compliantApplication.
  o = Evaluate(*CompileOrDie(absl::StrCat(Grant("a", R"(built_in_controls: "compliantApplication")"),
                                          Grant("b", R"(built_in_controls: "mfa")"))), r);
  EXPECT_EQ(o.code, 53003);
  // SIF on a legacy client: unmet-hard 53003, ranked after every control.
  o = Evaluate(*CompileOrDie(kSif8h), r);
  EXPECT_EQ(o.verdict, V::kBlocked);
  EXPECT_EQ(o.code, 53003);
  EXPECT_EQ(o.blocking, Strings{"ca-sif-payroll"});
  o = Evaluate(*CompileOrDie(absl::StrCat(kSif8h, Grant("x", R"(built_in_controls: "compliantDevice")"))), r);
  EXPECT_EQ(o.code, 53000);
  // S5 stays remediable for legacy clients.
  Request s5;
  s5.session = PasswordOnly(7200);
  s5.session.set_client_app_type("other");
  s5.Params("", "", "60");
  o = Evaluate(*CompileOrDie(""), s5);
  EXPECT_EQ(o.verdict, V::kStepUp);
  EXPECT_EQ(o.required, Strings{"reauthentication"});
}

// ---------------------------------------------------------------- C5

std::string Sif(absl::string_view sif) {
  return absl::StrCat(R"pb(
    conditional_access_policies {
      id: "sif" state: "enabled"
      users { include_users: "All" }
      applications { include_applications: "payroll-app" }
      session_controls { sign_in_frequency { )pb", sif, " } } }");
}

TEST(SignInFrequencyTest, C5_TimeBasedChecksBothTimes) {
  auto ca = CompileOrDie(Sif(R"(value: 1 type: "days")"));
  Request r;
  // MFA completed 2 days ago, a first factor 1 h ago.
  r.session = Session({{"password", 2 * 86400}, {"sms", 2 * 86400}, {"emailOtp", 3600}});
  EXPECT_EQ(Evaluate(*ca, r).verdict, V::kStepUp);
  r.session = Session({{"password", 86400}});  // boundary: met
  EXPECT_EQ(Evaluate(*ca, r).verdict, V::kPass);
  r.session = Session({{"password", 86401}});
  EXPECT_EQ(Evaluate(*ca, r).verdict, V::kStepUp);
  r.session = Session({{"sms", 60}});  // no first factor: fails
  EXPECT_EQ(Evaluate(*ca, r).verdict, V::kStepUp);
  r.has_session = false;
  EXPECT_EQ(Evaluate(*ca, r).verdict, V::kStepUp);
}

TEST(SignInFrequencyTest, C5_EveryTimeBothAuthenticationTypes) {
  auto primary = CompileOrDie(Sif(R"(every_time: true)"));
  auto secondary = CompileOrDie(
      Sif(R"(every_time: true authentication_type: "secondaryAuthentication")"));
  Request r;
  r.session = PasswordOnly(200);
  EXPECT_EQ(Evaluate(*primary, r).verdict, V::kPass);
  EXPECT_EQ(Evaluate(*secondary, r).verdict, V::kStepUp);  // needs MFA
  r.session = Session({{"password", 3600}, {"voice", 100}});
  EXPECT_EQ(Evaluate(*primary, r).verdict, V::kStepUp);
  EXPECT_EQ(Evaluate(*secondary, r).verdict, V::kPass);
  r.session = PasswordOnly(301);
  r.input.challenge_format = ChallengeFormat::kBoth;
  Outcome o = Evaluate(*primary, r);
  EXPECT_EQ(o.rfc9470, S3(", max_age=\"300\""));
  // Interactive, public refresh, confidential refresh, OBO.
  r.input.grant = GrantKind::kRefreshToken;
  r.input.client_public = true;
  EXPECT_EQ(Evaluate(*primary, r).code, 70043);
  r.input.client_public = false;
  o = Evaluate(*primary, r);
  EXPECT_EQ(o.verdict, V::kPass);
  EXPECT_EQ(o.deferred, Strings{"sif"});
  r.input.grant = GrantKind::kOnBehalfOf;
  EXPECT_EQ(Evaluate(*secondary, r).verdict, V::kPass);
}

TEST(SignInFrequencyTest, S3_SmallestMaxAge) {
  auto ca = CompileOrDie(absl::StrCat(kSif8h, Sif(R"(value: 2 type: "hours")")));
  Request r;
  r.session = PasswordOnly(9 * 3600);
  r.input.challenge_format = ChallengeFormat::kRfc9470;
  EXPECT_EQ(Evaluate(*ca, r).rfc9470, S3(", max_age=\"7200\""));
  r.Params("", "", "600");  // S5 smaller still
  EXPECT_EQ(Evaluate(*ca, r).rfc9470, S3(", max_age=\"600\""));
}

// ---------------------------------------------------------------- C7

TEST(AuthContextTest, C7_UndefinedAndUnpublishedContextsAreMet) {
  auto ca = CompileOrDie(R"pb(authentication_contexts { id: "c3" })pb");
  Request r;
  r.Params(R"({"access_token":{"acrs":{"values":["C3","c4"]}}})");
  Outcome o = Evaluate(*ca, r);
  EXPECT_EQ(o.verdict, V::kPass);
  EXPECT_EQ(o.acrs, (Strings{"c3", "c4"}));
}

TEST(AuthContextTest, C7_BothSourcesAreRequirements) {
  auto ca = CompileOrDie(std::string(kContexts) + R"pb(
    conditional_access_policies {
      id: "ctx-c2" state: "enabled"
      users { include_users: "All" }
      applications { include_auth_contexts: "c2" }
      grant_controls { built_in_controls: "mfa" }
    }
    conditional_access_policies {
      id: "ctx-c9" state: "enabled"
      users { include_users: "All" }
      applications { include_auth_contexts: "c9" }
      grant_controls { terms_of_use: "tou" }
    })pb");
  Request r;
  r.input.challenge_format = ChallengeFormat::kRfc9470;
  r.Params(R"({"access_token":{"acrs":{"value":"c9"}}})", "c2");
  Outcome o = Evaluate(*ca, r);
  EXPECT_EQ(o.verdict, V::kStepUp);
  EXPECT_EQ(o.required, (Strings{"mfa", "termsOfUse:tou"}));
  EXPECT_EQ(o.claims, R"({"access_token":{"acrs":{"essential":true,"values":["c2","c9"]}}})");
  EXPECT_EQ(o.rfc9470, S3(", acr_values=\"c9 c2\""));  // request order: claims, then acr_values
  EXPECT_EQ(o.applied, (Strings{"ctx-c2", "ctx-c9"}));
  // One source satisfied: only the other joins C6.
  r.session.add_accepted_terms("tou");
  o = Evaluate(*ca, r);
  EXPECT_EQ(o.required, Strings{"mfa"});
  EXPECT_EQ(o.claims, R"({"access_token":{"acrs":{"essential":true,"value":"c2"}}})");
}

TEST(AuthContextTest, C7b_Opportunistic) {
  auto ca = CompileOrDie(R"pb(
    authentication_contexts { id: "c1" is_available: true }
    authentication_contexts { id: "c2" is_available: true }
    authentication_contexts { id: "c3" is_available: false }
    authentication_contexts { id: "c4" is_available: true }
    authentication_contexts { id: "c5" is_available: true }
    conditional_access_policies {
      id: "c1-mfa" state: "enabled"
      users { include_users: "All" }
      applications { include_auth_contexts: "c1" }
      grant_controls { built_in_controls: "mfa" }
    }
    conditional_access_policies {
      id: "c2-compliant" state: "enabled"
      users { include_users: "All" }
      applications { include_auth_contexts: "c2" }
      grant_controls { built_in_controls: "compliantDevice" }
    }
    conditional_access_policies {
      id: "c3-mfa" state: "enabled"
      users { include_users: "All" }
      applications { include_auth_contexts: "c3" }
      grant_controls { built_in_controls: "mfa" }
    }
    conditional_access_policies {
      id: "c4-bob" state: "enabled"
      users { include_users: "bob" }
      applications { include_auth_contexts: "c4" }
      grant_controls { built_in_controls: "block" }
    }
    conditional_access_policies {
      id: "c5-ro" state: "enabledForReportingButNotEnforced"
      users { include_users: "All" }
      applications { include_auth_contexts: "c5" }
    })pb");
  Request r;
  r.session = WithMfa();
  r.input.opportunistic_acrs = true;
  Outcome o = Evaluate(*ca, r);
  EXPECT_EQ(o.verdict, V::kPass);
  // c1: satisfied; c2: unmet; c3: unpublished; c4: policy does not apply;
  // c5: no enabled policy.
  EXPECT_EQ(o.acrs, (Strings{"c1", "c4"}));
  EXPECT_TRUE(o.applied.empty());  // none from C7(b)
  EXPECT_EQ(o.report_only, (std::vector<std::pair<std::string, std::string>>{
                               {"c5-ro", "notApplied"}}));  // c5 not requested
  r.input.opportunistic_acrs = false;
  EXPECT_TRUE(Evaluate(*ca, r).acrs.empty());
}

// ---------------------------------------------------------------- C9

constexpr char kWorkload[] = R"pb(
  conditional_access_policies {
    id: "wl-block" state: "enabled"
    client_applications { include_service_principals: "ServicePrincipalsInMyTenant" }
    applications { include_applications: "payroll-app" }
    locations { include_locations: "All" exclude_locations: "hq" }
    grant_controls { built_in_controls: "block" }
  }
  conditional_access_policies {
    id: "wl-ro" state: "enabledForReportingButNotEnforced"
    client_applications { include_service_principals: "SP-DAEMON" }
    applications { include_applications: "All" }
    service_principal_risk_levels: "high"
    grant_controls { built_in_controls: "block" }
  }
  conditional_access_policies {
    id: "user-policy" state: "enabled"
    users { include_users: "All" }
    applications { include_applications: "All" }
    grant_controls { built_in_controls: "block" }
  }
  named_locations { id: "hq" ip_ranges: "203.0.113.0/24" is_trusted: true }
)pb";

TEST(WorkloadTest, C9_BlockAndReportOnly) {
  auto ca = CompileOrDie(kWorkload);
  Request r;
  r.input.grant = GrantKind::kClientCredentials;
  r.input.client = kDaemon;
  r.input.resource = kPayroll;
  r.session = v1::Session();
  Outcome o = Evaluate(*ca, r);
  EXPECT_EQ(o.verdict, V::kBlocked);
  EXPECT_EQ(o.error, "invalid_grant");
  EXPECT_EQ(o.code, 53003);
  EXPECT_EQ(o.blocking, Strings{"wl-block"});
  EXPECT_EQ(o.applied, Strings{"wl-block"});
  EXPECT_EQ(o.report_only, (std::vector<std::pair<std::string, std::string>>{
                               {"wl-ro", "notApplied"}}));
  r.session.set_service_principal_risk("high");
  r.session.set_ip("203.0.113.7");
  o = Evaluate(*ca, r);
  EXPECT_EQ(o.verdict, V::kPass);  // excluded location
  EXPECT_EQ(o.report_only[0].second, "failure");
  // Not covered: a multi-tenant app.
  r.input.client = kShared;
  r.session.clear_ip();
  o = Evaluate(*ca, r);
  EXPECT_EQ(o.verdict, V::kPass);
  EXPECT_EQ(o.report_only[0].second, "notApplied");
  // User policies never apply to app-only requests, workload ones never to
  // delegated requests.
  Request d;
  o = Evaluate(*ca, d);
  EXPECT_EQ(o.blocking, Strings{"user-policy"});
  EXPECT_TRUE(o.report_only.empty());
}

// ---------------------------------------------------------------- boundary

TEST(BoundaryTest, AnalyzeSessionComputesTimes) {
  v1::Session s = Session({{"password", 3600}, {"fido2", 60}});
  AuthTimes t;
  std::string error;
  ASSERT_TRUE(AnalyzeSession(&s, EngineOptions(), &t, &error));
  EXPECT_EQ(t.primary_auth_time, Now() - 60);
  EXPECT_EQ(t.mfa_time, Now() - 60);
  ASSERT_TRUE(AnalyzeSession(nullptr, EngineOptions(), &t, &error));
  EXPECT_FALSE(t.primary_auth_time.has_value());
  s.mutable_auth_methods(0)->set_method("pin");
  EXPECT_FALSE(AnalyzeSession(&s, EngineOptions(), &t, &error));
  EXPECT_NE(error.find("pin"), std::string::npos);
}

TEST(BoundaryTest, FailClosedWithoutUser) {
  auto ca = CompileOrDie("");
  Request r;
  CaInput in = r.Input();
  in.user = nullptr;
  CaScratch* scratch = NewCaScratch();
  CaResult result;
  ca->Evaluate(in, scratch, &result);
  DeleteCaScratch(scratch);
  EXPECT_EQ(result.verdict, V::kBlocked);
}

TEST(BoundaryTest, PolicyCountsAndSize) {
  auto ca = CompileOrDie(absl::StrCat(kWorkload, R"pb(
    named_locations { id: "x" countries: "XX" })pb"));
  EXPECT_EQ(ca->policy_count(), 3);
  EXPECT_EQ(ca->named_location_count(), 2);
  EXPECT_GT(ca->ByteSize(), 0u);
}

}  // namespace
}  // namespace ca
}  // namespace consent
