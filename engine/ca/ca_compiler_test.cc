// A bad bundle for every compile check of SPEC 1.7 and the structural ones:
// each must be rejected with the field path and the value.
#include "engine/ca/ca_compiler.h"

#include <string>
#include <vector>

#include "engine/ca/ca_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace consent {
namespace ca {
namespace {

using ::consent::ca::testing::CompileOrDie;
using ::consent::ca::testing::Problems;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Policy(absl::string_view body) {
  return absl::StrCat(R"pb(conditional_access_policies { id: "p" state: "enabled" )pb", body,
                      " }");
}
constexpr char kUsersApps[] =
    R"pb(users { include_users: "All" } applications { include_applications: "All" } )pb";

struct BadCase {
  const char* name;
  std::string bundle;
  std::string problem;  // exact "path: message"
};

class BadBundleTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadBundleTest, Rejected) {
  const BadCase& c = GetParam();
  std::vector<std::string> problems = Problems(c.bundle);
  EXPECT_THAT(problems, ::testing::Contains(c.problem)) << ::testing::PrintToString(problems);
}

const BadCase kCases[] = {
    // SPEC 1.7 compile checks.
    {"BlockStandsAlone",
     Policy(absl::StrCat(kUsersApps,
                         R"pb(grant_controls { built_in_controls: "mfa" built_in_controls: "block" })pb")),
     R"(conditional_access_policies[0].grant_controls.built_in_controls: "block" must stand alone)"},
    {"BlockWithTerms",
     Policy(absl::StrCat(kUsersApps,
                         R"pb(grant_controls { built_in_controls: "block" terms_of_use: "t" })pb")),
     R"(conditional_access_policies[0].grant_controls.built_in_controls: "block" must stand alone)"},
    {"MfaWithStrength",
     Policy(absl::StrCat(kUsersApps,
                         R"pb(grant_controls { built_in_controls: "mfa" authentication_strength: "passwordless" })pb")),
     "conditional_access_policies[0].grant_controls: mfa cannot be combined with "
     "authentication_strength"},
    {"PasswordChangeNeedsUserRisk",
     Policy(absl::StrCat(kUsersApps,
                         R"pb(grant_controls { built_in_controls: "mfa" built_in_controls: "passwordChange" })pb")),
     "conditional_access_policies[0].grant_controls.built_in_controls: \"passwordChange\" needs "
     "operator AND with mfa, a user risk condition and All applications"},
    {"PasswordChangeNeedsMfa",
     Policy(absl::StrCat(kUsersApps,
                         R"pb(user_risk_levels: "high" grant_controls { built_in_controls: "passwordChange" })pb")),
     "conditional_access_policies[0].grant_controls.built_in_controls: \"passwordChange\" needs "
     "operator AND with mfa, a user risk condition and All applications"},
    {"PasswordChangeNeedsAnd",
     Policy(absl::StrCat(kUsersApps,
                         R"pb(user_risk_levels: "high" grant_controls { operator: "OR" built_in_controls: "mfa" built_in_controls: "passwordChange" })pb")),
     "conditional_access_policies[0].grant_controls.built_in_controls: \"passwordChange\" needs "
     "operator AND with mfa, a user risk condition and All applications"},
    {"PasswordChangeNeedsAllApps",
     Policy(R"pb(users { include_users: "All" } applications { include_applications: "payroll-app" }
                 user_risk_levels: "high"
                 grant_controls { built_in_controls: "mfa" built_in_controls: "passwordChange" })pb"),
     "conditional_access_policies[0].grant_controls.built_in_controls: \"passwordChange\" needs "
     "operator AND with mfa, a user risk condition and All applications"},
    {"WorkloadOnlyBlock",
     Policy(R"pb(client_applications { include_service_principals: "ServicePrincipalsInMyTenant" }
                 applications { include_applications: "All" }
                 grant_controls { built_in_controls: "mfa" })pb"),
     "conditional_access_policies[0].grant_controls.built_in_controls: workload identity "
     "policies only support block"},
    {"WorkloadNoAuthContexts",
     R"pb(authentication_contexts { id: "c1" })pb" +
         Policy(R"pb(client_applications { include_service_principals: "ServicePrincipalsInMyTenant" }
                     applications { include_auth_contexts: "c1" }
                     grant_controls { built_in_controls: "block" })pb"),
     "conditional_access_policies[0].applications.include_auth_contexts: workload identity "
     "policies cannot use auth contexts"},
    {"WorkloadNoSignInRisk",
     Policy(R"pb(client_applications { include_service_principals: "ServicePrincipalsInMyTenant" }
                 applications { include_applications: "All" } sign_in_risk_levels: "high"
                 grant_controls { built_in_controls: "block" })pb"),
     "conditional_access_policies[0].sign_in_risk_levels: is not a workload identity condition "
     "(C9)"},
    {"SpRiskOnUserPolicy",
     Policy(absl::StrCat(kUsersApps, R"pb(service_principal_risk_levels: "high")pb")),
     "conditional_access_policies[0].service_principal_risk_levels: applies to workload "
     "identity policies only (C9)"},
    {"DeviceFilterTooLong",
     Policy(absl::StrCat(kUsersApps, R"pb(device_filter { mode: "include" rule: "device.model -eq \")pb",
                         std::string(3070, 'a'), R"pb(\"" })pb")),
     "conditional_access_policies[0].device_filter.rule: rule has 3089 characters, more than 3072 "
     "(max_device_filter_chars)"},
    {"DeviceFilterBadToken",
     Policy(absl::StrCat(kUsersApps,
                         R"pb(device_filter { mode: "include" rule: "device.x -eq \"1\" -andd device.model -eq \"2\"" })pb")),
     "conditional_access_policies[0].device_filter.rule: unknown device attribute \"device.x\" "
     "at position 0"},
    {"DeviceFilterAndd",
     Policy(absl::StrCat(kUsersApps,
                         R"pb(device_filter { mode: "include" rule: "device.mdmAppId -eq \"1\" -andd" })pb")),
     "conditional_access_policies[0].device_filter.rule: unexpected token \"-andd\" at "
     "position 24"},
    {"DeviceFilterOperatorPerAttribute",
     Policy(absl::StrCat(kUsersApps,
                         R"pb(device_filter { mode: "include" rule: "device.deviceId -startsWith \"a\"" })pb")),
     "conditional_access_policies[0].device_filter.rule: operator not allowed on "
     "device.deviceId: \"-startsWith\" at position 16"},
    {"DeviceFilterMode",
     Policy(absl::StrCat(kUsersApps,
                         R"pb(device_filter { mode: "only" rule: "device.model -eq \"a\"" })pb")),
     "conditional_access_policies[0].device_filter.mode: \"only\" is not include or exclude"},
    {"DeviceFilterNoRule",
     Policy(absl::StrCat(kUsersApps, R"pb(device_filter { mode: "include" })pb")),
     "conditional_access_policies[0].device_filter.rule: is required"},
    {"TrustedCountryLocation",
     R"pb(named_locations { id: "x" countries: "FR" is_trusted: true })pb",
     "named_locations[0].is_trusted: only IP locations can be trusted"},
    // Structural checks.
    {"UnknownState", Policy(absl::StrCat(kUsersApps, "")) + R"pb(conditional_access_policies { id: "q" state: "on" })pb",
     "conditional_access_policies[1].state: \"on\" is not enabled, disabled or "
     "enabledForReportingButNotEnforced"},
    {"DuplicatePolicyId", Policy(kUsersApps) + R"pb(conditional_access_policies { id: "P" state: "disabled" })pb",
     "conditional_access_policies[1].id: \"P\" is defined twice"},
    {"MissingPolicyId", R"pb(conditional_access_policies { state: "enabled" })pb",
     "conditional_access_policies[0].id: is required"},
    {"UsersAndClientApplications",
     Policy(absl::StrCat(kUsersApps, R"pb(client_applications { include_service_principals: "x" } grant_controls { built_in_controls: "block" })pb")),
     "conditional_access_policies[0]: has both users and client_applications; a policy has one "
     "or the other"},
    {"AuthContextsWithApplications",
     R"pb(authentication_contexts { id: "c1" })pb" +
         Policy(R"pb(users { include_users: "All" }
                     applications { include_applications: "All" include_auth_contexts: "c1" })pb"),
     "conditional_access_policies[0].applications.include_auth_contexts: cannot be combined with "
     "include_applications / exclude_applications"},
    {"UnknownAuthContext",
     Policy(R"pb(users { include_users: "All" } applications { include_auth_contexts: "c7" })pb"),
     "conditional_access_policies[0].applications.include_auth_contexts[0]: \"c7\" is not a "
     "defined authentication context"},
    {"UnknownLocation",
     Policy(absl::StrCat(kUsersApps, R"pb(locations { include_locations: "nowhere" })pb")),
     "conditional_access_policies[0].locations.include_locations[0]: \"nowhere\" is not a named "
     "location"},
    {"AllLocationsExcluded",
     Policy(absl::StrCat(kUsersApps, R"pb(locations { exclude_locations: "All" })pb")),
     "conditional_access_policies[0].locations.exclude_locations[0]: \"All\" cannot be excluded"},
    {"UnknownStrength",
     Policy(absl::StrCat(kUsersApps, R"pb(grant_controls { authentication_strength: "strong-ish" })pb")),
     "conditional_access_policies[0].grant_controls.authentication_strength: \"strong-ish\" is "
     "not a defined authentication strength"},
    {"UnknownBuiltInControl",
     Policy(absl::StrCat(kUsersApps, R"pb(grant_controls { built_in_controls: "fingerprint" })pb")),
     "conditional_access_policies[0].grant_controls.built_in_controls[0]: \"fingerprint\" is "
     "not a built-in grant control"},
    {"BadOperator",
     Policy(absl::StrCat(kUsersApps, R"pb(grant_controls { operator: "XOR" built_in_controls: "mfa" })pb")),
     "conditional_access_policies[0].grant_controls.operator: \"XOR\" is not AND or OR"},
    {"SifValueBelowOne",
     Policy(absl::StrCat(kUsersApps, R"pb(session_controls { sign_in_frequency { value: 0 type: "hours" } })pb")),
     "conditional_access_policies[0].session_controls.sign_in_frequency.value: 0 must be an "
     "integer >= 1"},
    {"SifBadType",
     Policy(absl::StrCat(kUsersApps, R"pb(session_controls { sign_in_frequency { value: 2 type: "weeks" } })pb")),
     "conditional_access_policies[0].session_controls.sign_in_frequency.type: \"weeks\" is not "
     "hours or days"},
    {"SifEveryTimeWithValue",
     Policy(absl::StrCat(kUsersApps, R"pb(session_controls { sign_in_frequency { every_time: true value: 1 type: "hours" } })pb")),
     "conditional_access_policies[0].session_controls.sign_in_frequency: every_time cannot be "
     "combined with value / type"},
    {"SifBadAuthenticationType",
     Policy(absl::StrCat(kUsersApps, R"pb(session_controls { sign_in_frequency { every_time: true authentication_type: "tertiary" } })pb")),
     "conditional_access_policies[0].session_controls.sign_in_frequency.authentication_type: "
     "\"tertiary\" is not primaryAndSecondaryAuthentication or secondaryAuthentication"},
    {"UnknownClientAppType",
     Policy(absl::StrCat(kUsersApps, R"pb(client_app_types: "desktop")pb")),
     "conditional_access_policies[0].client_app_types[0]: \"desktop\" is not a client app type"},
    {"UnknownPlatform",
     Policy(absl::StrCat(kUsersApps, R"pb(platforms { include_platforms: "solaris" })pb")),
     "conditional_access_policies[0].platforms.include_platforms[0]: \"solaris\" is not a "
     "platform"},
    {"UnknownRiskLevel",
     Policy(absl::StrCat(kUsersApps, R"pb(user_risk_levels: "extreme")pb")),
     "conditional_access_policies[0].user_risk_levels[0]: \"extreme\" is not a risk level (none, "
     "low, medium, high)"},
    {"UnknownGuestKind",
     Policy(R"pb(users { include_guests_or_external_users { guest_or_external_user_types: "alien" } }
                 applications { include_applications: "All" })pb"),
     "conditional_access_policies[0].users.include_guests_or_external_users.guest_or_external_"
     "user_types[0]: \"alien\" is not an external user kind"},
    {"ExcludeAllUsers",
     Policy(R"pb(users { include_users: "All" exclude_users: "All" } applications { include_applications: "All" })pb"),
     "conditional_access_policies[0].users.exclude_users[0]: \"All\" cannot be excluded"},
    {"CustomRoleInCa",
     R"pb(custom_roles { id: "role-consent" })pb" +
         Policy(R"pb(users { include_roles: "role-consent" } applications { include_applications: "All" })pb"),
     "conditional_access_policies[0].users.include_roles[0]: \"role-consent\" is a custom role; "
     "CA targets built-in roles"},
    {"ExcludeAllApps",
     Policy(R"pb(users { include_users: "All" } applications { include_applications: "All" exclude_applications: "All" })pb"),
     "conditional_access_policies[0].applications.exclude_applications[0]: \"All\" cannot be "
     "excluded"},
    {"BadCidr", R"pb(named_locations { id: "x" ip_ranges: "10.0.0.1/8" })pb",
     "named_locations[0].ip_ranges[0]: \"10.0.0.1/8\": host bits set (the address is not the "
     "start of the range)"},
    {"BadCidrV6", R"pb(named_locations { id: "x" ip_ranges: "2001:db8::/200" })pb",
     "named_locations[0].ip_ranges[0]: \"2001:db8::/200\": prefix length must be 0..128"},
    {"BadCountry", R"pb(named_locations { id: "x" countries: "France" })pb",
     "named_locations[0].countries[0]: \"France\" is not an ISO 3166 alpha-2 code"},
    {"LocationBothKinds", R"pb(named_locations { id: "x" countries: "FR" ip_ranges: "10.0.0.0/8" })pb",
     "named_locations[0]: has both ip_ranges and countries; a location is one or the other"},
    {"LocationEmpty", R"pb(named_locations { id: "x" })pb",
     "named_locations[0]: needs ip_ranges or countries"},
    {"DuplicateLocation",
     R"pb(named_locations { id: "x" countries: "FR" } named_locations { id: "X" countries: "DE" })pb",
     "named_locations[1].id: \"X\" is defined twice"},
    {"BadContextId", R"pb(authentication_contexts { id: "c100" })pb",
     "authentication_contexts[0].id: \"c100\" is not c1...c99"},
    {"DuplicateContext",
     R"pb(authentication_contexts { id: "c1" } authentication_contexts { id: "C1" })pb",
     "authentication_contexts[1].id: \"C1\" is defined twice"},
    {"StrengthBadMethod",
     R"pb(authentication_strengths { id: "s" allowed_combinations: "password,retina" })pb",
     "authentication_strengths[0].allowed_combinations[0]: \"password,retina\": unknown "
     "authentication method \"retina\""},
    {"StrengthNoCombination", R"pb(authentication_strengths { id: "s" })pb",
     "authentication_strengths[0].allowed_combinations: needs at least one combination"},
    {"StrengthShadowsBuiltin",
     R"pb(authentication_strengths { id: "phishingResistant" allowed_combinations: "fido2" })pb",
     "authentication_strengths[0].id: \"phishingResistant\" is a built-in strength"},
    {"DuplicateAppGroup",
     R"pb(app_groups { name: "Office365" } app_groups { name: "office365" })pb",
     "app_groups[1].name: \"office365\" is defined twice"},
};

INSTANTIATE_TEST_SUITE_P(Compile_1_7, BadBundleTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<BadCase>& info) {
                           return std::string(info.param.name);
                         });

TEST(CompilerTest, ReportsEveryProblemNotJustTheFirst) {
  std::vector<std::string> problems = Problems(R"pb(
    named_locations { id: "a" countries: "FR" is_trusted: true }
    conditional_access_policies { id: "p" state: "maybe"
      grant_controls { built_in_controls: "block" built_in_controls: "mfa" } })pb");
  EXPECT_EQ(problems.size(), 3u) << ::testing::PrintToString(problems);
}

TEST(CompilerTest, DisabledPoliciesAreValidatedButNeverEvaluated) {
  EXPECT_FALSE(Problems(R"pb(conditional_access_policies { id: "p" state: "disabled"
      grant_controls { built_in_controls: "nope" } })pb").empty());
  auto ca = CompileOrDie(R"pb(conditional_access_policies { id: "p" state: "disabled"
      users { include_users: "All" } applications { include_applications: "All" }
      grant_controls { built_in_controls: "block" } })pb");
  EXPECT_EQ(ca->policy_count(), 1);
}

TEST(CompilerTest, ValidBundleWithEveryFeatureCompiles) {
  CompileOrDie(R"pb(
    app_groups { name: "Office365" app_ids: "00000002-0000-0ff1-ce00-000000000000" }
    named_locations { id: "hq" ip_ranges: "203.0.113.0/24" ip_ranges: "2001:db8::/32" is_trusted: true }
    named_locations { id: "xx" countries: "XX" include_unknown: true }
    authentication_contexts { id: "c1" is_available: true }
    authentication_strengths { id: "s1" allowed_combinations: "password,sms" allowed_combinations: "sms" }
    conditional_access_policies {
      id: "everything" state: "enabledForReportingButNotEnforced"
      users { include_users: "All" exclude_users: "GuestsOrExternalUsers" include_groups: "g"
              exclude_roles: "Global Administrator"
              include_guests_or_external_users { guest_or_external_user_types: "internalGuest"
                                                 external_tenants: "t-x" } }
      applications { include_applications: "Office365" exclude_applications: "payroll-app" }
      client_app_types: "browser" client_app_types: "mobileAppsAndDesktopClients"
      platforms { include_platforms: "all" exclude_platforms: "linux" }
      locations { include_locations: "All" exclude_locations: "AllTrusted" exclude_locations: "xx" }
      sign_in_risk_levels: "medium" user_risk_levels: "high"
      device_filter { mode: "exclude" rule: "device.trustType -eq \"ServerAD\" -or (device.isCompliant -eq True -and device.extensionAttribute3 -in [\"a\", \"b\"])" }
      grant_controls { operator: "OR" authentication_strength: "s1" built_in_controls: "compliantDevice"
                       terms_of_use: "tou" custom_factors: "duo" }
      session_controls { sign_in_frequency { value: 12 type: "hours" } }
    }
    conditional_access_policies {
      id: "ctx" state: "enabled"
      users { include_users: "All" }
      applications { include_auth_contexts: "c1" }
      grant_controls { authentication_strength: "00000000-0000-0000-0000-000000000004" }
      session_controls { sign_in_frequency { every_time: true authentication_type: "secondaryAuthentication" } }
    }
    conditional_access_policies {
      id: "wl" state: "enabled"
      client_applications { include_service_principals: "ServicePrincipalsInMyTenant" exclude_service_principals: "sp-1" }
      applications { include_applications: "All" }
      locations { include_locations: "All" exclude_locations: "hq" }
      service_principal_risk_levels: "high"
      grant_controls { built_in_controls: "block" }
    })pb");
}

}  // namespace
}  // namespace ca
}  // namespace consent
