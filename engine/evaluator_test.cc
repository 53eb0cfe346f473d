// The core evaluator against SPEC's rules, table-driven over the Contoso
// fixture of SPEC §6 (policies/contoso). Each case names the rule it pins.
// Conditional Access cases live in engine/ca and in the policy suites.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/policy_engine.h"
#include "engine/testing_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace consent {
namespace {

using testing::Contoso;
using testing::ContosoBundle;
using testing::JoinPrompt;
using testing::JoinScp;
using testing::Request;
using testing::kAlice;
using testing::kBob;
using testing::kRavi;

constexpr char kSkip[] = "\x01";  // field not compared

struct Case {
  std::string name;
  std::string patch;    // bundle patch (textproto), appended to Contoso
  std::string request;  // request fields over SPEC §6's defaults
  v1::Outcome outcome;
  int error_code = 0;
  std::string error = kSkip;
  std::string prompt = kSkip;  // ", "-joined
  std::string scp = kSkip;     // " "-joined
  std::string reason = kSkip;
  std::string roles = kSkip;   // " "-joined
  std::string aud = kSkip;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class EvaluatorTest : public ::testing::TestWithParam<Case> {};

TEST_P(EvaluatorTest, Decides) {
  const Case& c = GetParam();
  std::shared_ptr<const CompiledPolicy> policy = Contoso(c.patch);
  ASSERT_NE(policy, nullptr);
  v1::Decision d = policy->Evaluate(Request(c.request));
  SCOPED_TRACE(d.DebugString());
  EXPECT_EQ(v1::Outcome_Name(d.outcome()), v1::Outcome_Name(c.outcome));
  EXPECT_EQ(d.error_code(), c.error_code);
  if (c.error != kSkip) {
    EXPECT_EQ(d.error(), c.error);
  }
  if (c.prompt != kSkip) {
    EXPECT_EQ(JoinPrompt(d), c.prompt);
  }
  if (c.scp != kSkip) {
    EXPECT_EQ(JoinScp(d), c.scp);
  }
  if (c.reason != kSkip) {
    EXPECT_EQ(d.reason(), c.reason);
  }
  if (c.roles != kSkip) {
    EXPECT_EQ(absl::StrJoin(d.token().roles(), " "), c.roles);
  }
  if (c.aud != kSkip) {
    EXPECT_EQ(d.token().aud(), c.aud);
  }
  // SPEC 3.1: error_description holds only RFC 6749 A.8 bytes.
  for (char ch : d.error_description()) {
    EXPECT_TRUE(ch >= 0x20 && ch <= 0x7e && ch != '"' && ch != '\\') << d.error_description();
  }
}

std::string Name(const ::testing::TestParamInfo<Case>& info) { return info.param.name; }

const char kOboAssertion[] = R"pb(
  grant_type: "on_behalf_of"
  assertion {
    kind: "access_token" aud: "app-expense" tid: "t-contoso"
    subject_type: "user" subject_id: "alice" exp: "2025-03-03T11:00:00Z"
  }
  ;;)pb";

// --- SPEC §6 worked examples (the parts outside Conditional Access).
INSTANTIATE_TEST_SUITE_P(
    WorkedExamples, EvaluatorTest,
    ::testing::Values(
        Case{"Ex1_N5b_IncrementalConsentPromptsOnlyNewScope", "",
             absl::StrCat(kAlice, R"pb( scope: "user.read Calendars.Read")pb"), v1::CONSENT_PROMPT_USER, 0,
             kSkip, "Calendars.Read"},
        Case{"Ex2_T1_EarlierGrantsInTheToken", "",
             R"pb(user { id: "alice" grants { client_app_id: "app-expense" resource_app_id: "00000003-0000-0000-c000-000000000000" scope: "Calendars.Read User.Read" } }
                  scope: "User.Read")pb",
             v1::ISSUE, 0, "", kSkip, "Calendars.Read User.Read", kSkip, kSkip,
             "00000003-0000-0000-c000-000000000000"},
        Case{"Ex3_N5c_AdminOnlyWorkflowOff", "", absl::StrCat(kAlice, R"pb( scope: "Group.Read.All")pb"),
             v1::ADMIN_APPROVAL_REQUIRED, 90094, "access_denied", kSkip, kSkip, "admin_only"},
        Case{"Ex3_N5c_AdminOnlyWorkflowOn", R"pb(consent_settings { user_consent_policies: "microsoft-user-default-legacy" admin_consent_workflow_enabled: true })pb",
             absl::StrCat(kAlice, R"pb( scope: "Group.Read.All")pb"), v1::ADMIN_APPROVAL_REQUIRED, 90095,
             "access_denied", kSkip, kSkip, "admin_only"},
        Case{"Ex3_N5a_ApplicationAdministratorGetsAdminPrompt", "",
             absl::StrCat(kRavi, R"pb( scope: "Group.Read.All")pb"), v1::CONSENT_PROMPT_ADMIN, 0, kSkip,
             "Group.Read.All"},
        Case{"Ex3_AfterR2OrgWideAliceIssues",
             R"pb(tenant_wide_grants { client_app_id: "app-expense" resource_app_id: "00000003-0000-0000-c000-000000000000" scope: "Group.Read.All" })pb",
             absl::StrCat(kAlice, R"pb( scope: "Group.Read.All")pb"), v1::ISSUE, 0, "", kSkip,
             "Group.Read.All User.Read"},
        Case{"Ex4_N6_ExcludedPermissionStopsWholeRequest",
             R"pb(permission_grant_policies {
                    id: "p1"
                    includes { permission_type: "delegated" permission_classification: "low" }
                    excludes { permission_type: "delegated" resource_application: "00000003-0000-0000-c000-000000000000" permissions: "Calendars.Read" }
                  }
                  consent_settings { user_consent_policies: "p1" })pb",
             absl::StrCat(kBob, R"pb( scope: "api://payroll/Payroll.Read Calendars.Read")pb"),
             v1::ADMIN_APPROVAL_REQUIRED, 90093, "access_denied", kSkip, kSkip, "policy"},
        Case{"Ex4_N6_AllowedWithoutTheExcludedScope",
             R"pb(permission_grant_policies {
                    id: "p1"
                    includes { permission_type: "delegated" permission_classification: "low" }
                    excludes { permission_type: "delegated" resource_application: "00000003-0000-0000-c000-000000000000" permissions: "Calendars.Read" }
                  }
                  consent_settings { user_consent_policies: "p1" })pb",
             absl::StrCat(kBob, R"pb( scope: "api://payroll/Payroll.Read")pb"), v1::CONSENT_PROMPT_USER, 0, kSkip,
             "api://payroll/Payroll.Read"},
        Case{"Ex5_N8_BasicSetIsNotRisky", "",
             absl::StrCat(kBob, R"pb( client_id: "app-sketchy" client_authenticated: false scope: "openid User.Read")pb"),
             v1::CONSENT_PROMPT_USER, 0, kSkip, "openid, User.Read"},
        Case{"Ex5_N8_RiskyWorkflowOff", "",
             absl::StrCat(kBob, R"pb( client_id: "app-sketchy" scope: "openid User.Read Mail.Read")pb"),
             v1::ADMIN_APPROVAL_REQUIRED, 900941, "access_denied", kSkip, kSkip, "risky"},
        Case{"Ex5_N8_RiskyWorkflowOn",
             R"pb(consent_settings { user_consent_policies: "microsoft-user-default-legacy" admin_consent_workflow_enabled: true })pb",
             absl::StrCat(kBob, R"pb( client_id: "app-sketchy" scope: "openid User.Read Mail.Read")pb"),
             v1::ADMIN_APPROVAL_REQUIRED, 900981, "access_denied", kSkip, kSkip, "risky"},
        Case{"Ex6_P6_DefaultWithNamedScope", "",
             absl::StrCat(kBob, R"pb( scope: "https://graph.microsoft.com/.default Mail.Read")pb"), v1::INVALID,
             70011, "invalid_scope"},
        Case{"Ex6_P6_NamedScopeWithOtherResourcesDefault", "",
             absl::StrCat(kBob, R"pb( scope: "Calendars.Read api://payroll/.default")pb"), v1::INVALID, 70011,
             "invalid_scope"},
        Case{"Ex6_N2_StaticSetPromptsOnlyMissing", "",
             absl::StrCat(kBob, R"pb( scope: "openid offline_access api://payroll/.default")pb"),
             v1::CONSENT_PROMPT_USER, 0, kSkip, "offline_access, openid, api://payroll/Payroll.Read"},
        Case{"Ex7_A5_ClientCredentialsRoles", "",
             R"pb(grant_type: "client_credentials" scope: "api://payroll/.default")pb", v1::ISSUE, 0, "", kSkip,
             "", kSkip, "Payroll.Sync", "payroll-api"},
        Case{"Ex7_A1_NamedRoleIsNotAScope", "",
             R"pb(grant_type: "client_credentials" scope: "api://payroll/Payroll.Sync")pb", v1::INVALID, 1002012,
             "invalid_scope"},
        Case{"Ex8_O3_AssertionForGraphRejected", "",
             absl::StrCat(kAlice, kOboAssertion,
                          R"pb( assertion { aud: "https://graph.microsoft.com" } scope: "api://payroll/Payroll.Read")pb"),
             v1::INVALID, 50013, "invalid_grant"},
        Case{"Ex8_E6_AssertionWithAnotherUsersRecord", "",
             absl::StrCat(kBob, kOboAssertion, R"pb( scope: "api://payroll/Payroll.Read")pb"), v1::INVALID, 50013,
             "invalid_grant"},
        Case{"Ex13_P7_OnePromptAcrossResources", "",
             absl::StrCat(kBob, R"pb( scope: "offline_access Calendars.Read api://payroll/Payroll.Read")pb"),
             v1::CONSENT_PROMPT_USER, 0, kSkip, "Calendars.Read, offline_access, api://payroll/Payroll.Read"},
        Case{"Ex13_T1_AfterR1IssuesForGraphOnly", "",
             R"pb(user { id: "bob"
                    grants { client_app_id: "app-expense" resource_app_id: "00000003-0000-0000-c000-000000000000" scope: "Calendars.Read offline_access" }
                    grants { client_app_id: "app-expense" resource_app_id: "payroll-api" scope: "Payroll.Read" } }
                  scope: "offline_access Calendars.Read api://payroll/Payroll.Read")pb",
             v1::ISSUE, 0, "", kSkip, "Calendars.Read User.Read", kSkip, kSkip,
             "00000003-0000-0000-c000-000000000000"},
        Case{"Ex13_P7_RefreshDropsOtherResources", "",
             R"pb(grant_type: "refresh_token" user { id: "bob"
                    grants { client_app_id: "app-expense" resource_app_id: "00000003-0000-0000-c000-000000000000" scope: "Calendars.Read offline_access" }
                    grants { client_app_id: "app-expense" resource_app_id: "payroll-api" scope: "Payroll.Read" } }
                  scope: "Calendars.Read api://payroll/Payroll.Read")pb",
             v1::ISSUE, 0, "", kSkip, "Calendars.Read User.Read"},
        Case{"Ex13_P2_RefreshUsesStoredScope", "",
             R"pb(grant_type: "refresh_token" user { id: "bob"
                    grants { client_app_id: "app-expense" resource_app_id: "00000003-0000-0000-c000-000000000000" scope: "Calendars.Read offline_access" }
                    grants { client_app_id: "app-expense" resource_app_id: "payroll-api" scope: "Payroll.Read" } }
                  refresh_token_scope: "offline_access Calendars.Read api://payroll/Payroll.Read")pb",
             v1::ISSUE, 0, "", kSkip, "Calendars.Read User.Read"},
        Case{"Ex13_RefreshForPayroll", "",
             R"pb(grant_type: "refresh_token" user { id: "bob"
                    grants { client_app_id: "app-expense" resource_app_id: "payroll-api" scope: "Payroll.Read" } }
                  scope: "api://payroll/Payroll.Read")pb",
             v1::ISSUE, 0, "", kSkip, "Payroll.Read", kSkip, kSkip, "payroll-api"},
        Case{"Ex13_P7_OboAcrossResources", "",
             absl::StrCat(kAlice, kOboAssertion, R"pb( scope: "Calendars.Read api://payroll/Payroll.Read")pb"),
             v1::INVALID, 700022, "invalid_scope"}),
    Name);

// --- Validity (V), scopes (P), directory (E), OBO (O), app-only (A).
INSTANTIATE_TEST_SUITE_P(
    Rules, EvaluatorTest,
    ::testing::Values(
        Case{"V1_UnknownGrantType", "", R"pb(grant_type: "password" scope: "User.Read")pb", v1::INVALID, 70003,
             "unsupported_grant_type"},
        Case{"V2_MissingClientId", "", absl::StrCat(kAlice, R"pb(client_id: "" scope: "User.Read")pb"),
             v1::INVALID, 900144, "invalid_request"},
        Case{"V2_MissingUser", "", R"pb(scope: "User.Read")pb", v1::INVALID, 900144, "invalid_request"},
        Case{"V2_OboMissingAssertion", "", absl::StrCat(kAlice, R"pb(grant_type: "on_behalf_of" scope: "User.Read")pb"),
             v1::INVALID, 900144, "invalid_request"},
        Case{"V3_BadPrompt", "", absl::StrCat(kAlice, R"pb(prompt: "login consent" scope: "User.Read")pb"),
             v1::INVALID, 90100, "invalid_request"},
        Case{"V3_SilentGrantIgnoresPrompt", "",
             absl::StrCat(kAlice, R"pb(grant_type: "refresh_token" prompt: "bogus" scope: "User.Read")pb"), v1::ISSUE,
             0, "", kSkip, "User.Read"},
        Case{"V4_ClaimsNotAnObject", "", absl::StrCat(kAlice, R"pb(claims: "[1]" scope: "User.Read")pb"), v1::INVALID,
             90100, "invalid_request"},
        Case{"V4_AcrValueOutOfRange", "", absl::StrCat(kAlice, R"pb(acr_values: "c100" scope: "User.Read")pb"),
             v1::INVALID, 90100, "invalid_request"},
        Case{"V5_DeclinedConsent", "", absl::StrCat(kAlice, R"pb(consent_response: "declined" scope: "User.Read")pb"),
             v1::CONSENT_DECLINED, 65004, "access_denied"},
        Case{"V5_UnknownClientStillFailsE2First", "",
             absl::StrCat(kAlice, R"pb(client_id: "nobody" consent_response: "declined" scope: "User.Read")pb"),
             v1::INVALID, 700016, "unauthorized_client"},
        Case{"V6_MalformedNow", "", absl::StrCat(kAlice, R"pb(now: "yesterday" scope: "User.Read")pb"), v1::INVALID,
             90100, "invalid_request"},
        Case{"V6_UnknownAuthMethod", "",
             absl::StrCat(kAlice, R"pb(session { auth_methods { method: "telepathy" at: "2025-03-03T09:00:00Z" } } scope: "User.Read")pb"),
             v1::INVALID, 90100, "invalid_request"},
        Case{"P1_ControlCharacter", "", absl::StrCat(kAlice, "scope: \"user.read\\n\""), v1::INVALID, 70011,
             "invalid_scope"},
        Case{"P1_QuoteCharacter", "", absl::StrCat(kAlice, R"pb(scope: "User.\"Read")pb"), v1::INVALID, 70011,
             "invalid_scope"},
        Case{"P2_EmptyScope", "", absl::StrCat(kAlice, R"pb(scope: "   ")pb"), v1::INVALID, 900144,
             "invalid_request"},
        Case{"P3_EmptyValueSide", "", absl::StrCat(kAlice, R"pb(scope: "api://payroll/")pb"), v1::INVALID, 70011,
             "invalid_scope"},
        Case{"P3_BareScopeIsGraph", "", absl::StrCat(kAlice, R"pb(scope: "user.read")pb"), v1::ISSUE, 0, "", kSkip,
             "User.Read"},
        Case{"P3_DefaultComparesCaseInsensitively", "", absl::StrCat(kBob, R"pb(scope: "api://payroll/.DEFAULT")pb"),
             v1::CONSENT_PROMPT_USER, 0, kSkip, "api://payroll/Payroll.Read"},
        Case{"A1_DefaultComparesCaseInsensitively", "",
             R"pb(grant_type: "client_credentials" scope: "api://payroll/.Default")pb", v1::ISSUE, 0, "", kSkip, "",
             kSkip, "Payroll.Sync"},
        Case{"P4_E5_UnknownResourceBeforeP9", "", absl::StrCat(kAlice, R"pb(scope: "Foo.Bar api://unknown/x")pb"),
             v1::INVALID, 500011, "invalid_resource"},
        Case{"P4_NoTrailingSlashNormalization", "", absl::StrCat(kAlice, R"pb(scope: "api://payroll//Payroll.Read")pb"),
             v1::INVALID, 500011, "invalid_resource"},
        Case{"E5_DisabledResource", R"pb(service_principals { app_id: "app-hr" enabled: false }
                                        app_registrations { app_id: "app-hr" home_tenant: "t-contoso" identifier_uris: "api://hr" }
                                        resources { app_id: "app-hr" scopes { id: "Hr.Read" value: "Hr.Read" } })pb",
             absl::StrCat(kAlice, R"pb(scope: "api://hr/Hr.Read")pb"), v1::INVALID, 50001, "invalid_resource"},
        Case{"P5_DuplicatesCollapseIntoOnePromptEntry", "",
             absl::StrCat(kAlice, R"pb(scope: "https://graph.microsoft.com/openid openid User.Read")pb"),
             v1::CONSENT_PROMPT_USER, 0, kSkip, "openid"},
        Case{"P8_OidcOnlyObo", "", absl::StrCat(kAlice, kOboAssertion, R"pb( scope: "openid")pb"), v1::INVALID,
             700023, "invalid_scope"},
        Case{"P9_UnknownValue", "", absl::StrCat(kAlice, R"pb(scope: "api://payroll/Payroll.Write")pb"),
             v1::INVALID, 650053, "invalid_client"},
        Case{"P9_AppRoleValueIsNotAScope", "", absl::StrCat(kAlice, R"pb(scope: "api://payroll/Payroll.Sync")pb"),
             v1::INVALID, 650053, "invalid_client"},
        Case{"P10_SelfTokenByIdentifierUri",
             R"pb(app_registrations { app_id: "app-self" home_tenant: "t-contoso" identifier_uris: "api://self" }
                  service_principals { app_id: "app-self" }
                  resources { app_id: "app-self" scopes { id: "Self.Read" value: "Self.Read" } })pb",
             absl::StrCat(kAlice, R"pb(client_id: "app-self" scope: "api://self/Self.Read")pb"), v1::INVALID, 90009,
             "invalid_request"},
        Case{"E1_WrongTenant", "", absl::StrCat(kAlice, R"pb(tenant: "t-other" scope: "User.Read")pb"), v1::INVALID,
             90002, "invalid_request"},
        Case{"E2_UnknownClient", "", absl::StrCat(kAlice, R"pb(client_id: "app-nope" scope: "User.Read")pb"),
             v1::INVALID, 700016, "unauthorized_client"},
        Case{"E2_ForeignMultiTenantSilentGrant", "",
             absl::StrCat(kAlice, R"pb(grant_type: "refresh_token" client_id: "app-sketchy" scope: "User.Read")pb"),
             v1::INVALID, 700016, "unauthorized_client"},
        Case{"E2_ForeignSingleTenant", R"pb(app_registrations { app_id: "app-foreign" home_tenant: "t-other" })pb",
             absl::StrCat(kAlice, R"pb(client_id: "app-foreign" scope: "User.Read")pb"), v1::INVALID, 700016,
             "unauthorized_client"},
        Case{"E3_DisabledClient",
             R"pb(app_registrations { app_id: "app-off" home_tenant: "t-contoso" } service_principals { app_id: "app-off" enabled: false })pb",
             absl::StrCat(kAlice, R"pb(client_id: "app-off" scope: "User.Read")pb"), v1::INVALID, 7000112,
             "unauthorized_client"},
        Case{"E4_PublicClientCredentials", "",
             R"pb(grant_type: "client_credentials" client_id: "app-mobile" scope: "api://payroll/.default")pb",
             v1::INVALID, 7000218, "invalid_client"},
        Case{"E4_UnauthenticatedObo", "",
             absl::StrCat(kAlice, kOboAssertion, R"pb(client_authenticated: false scope: "api://payroll/Payroll.Read")pb"),
             v1::INVALID, 7000218, "invalid_client"},
        Case{"E6_UserDoesNotExist", "", R"pb(user { id: "ghost" exists: false } scope: "User.Read")pb", v1::DENIED,
             50034, "access_denied"},
        Case{"E6_UserDisabledOnRefresh", "",
             R"pb(grant_type: "refresh_token" user { id: "alice" enabled: false } scope: "User.Read")pb", v1::DENIED,
             50057, "invalid_grant"},
        Case{"E7_AssignmentRequiredOnResource",
             R"pb(app_registrations { app_id: "app-hr" home_tenant: "t-contoso" identifier_uris: "api://hr" }
                  service_principals { app_id: "app-hr" app_role_assignment_required: true }
                  resources { app_id: "app-hr" scopes { id: "Hr.Read" value: "Hr.Read" } })pb",
             absl::StrCat(kAlice, R"pb(scope: "api://hr/Hr.Read")pb"), v1::DENIED, 50105, "access_denied"},
        Case{"E7_DefaultAccessAssignmentPasses",
             R"pb(app_registrations { app_id: "app-hr" home_tenant: "t-contoso" identifier_uris: "api://hr" }
                  service_principals { app_id: "app-hr" app_role_assignment_required: true }
                  resources { app_id: "app-hr" scopes { id: "Hr.Read" value: "Hr.Read" } })pb",
             R"pb(user { id: "alice" app_role_assignments { resource_app_id: "app-hr" } } scope: "api://hr/Hr.Read")pb",
             v1::CONSENT_PROMPT_USER, 0, kSkip, "api://hr/Hr.Read"},
        Case{"O1_IdTokenAssertion", "",
             absl::StrCat(kAlice, kOboAssertion, R"pb(assertion { kind: "id_token" } scope: "api://payroll/Payroll.Read")pb"),
             v1::INVALID, 240002, "invalid_grant"},
        Case{"O2_ExpiredAssertion", "",
             absl::StrCat(kAlice, kOboAssertion,
                          R"pb(assertion { exp: "2025-03-03T10:00:00Z" } scope: "api://payroll/Payroll.Read")pb"),
             v1::INVALID, 500133, "invalid_grant"},
        Case{"O4_AppOnlyAssertion", "",
             R"pb(grant_type: "on_behalf_of" assertion { kind: "access_token" aud: "app-expense" tid: "t-contoso" subject_type: "app" subject_id: "app-x" exp: "2025-03-03T11:00:00Z" }
                  scope: "api://payroll/Payroll.Read")pb",
             v1::INVALID, 50013, "invalid_grant"},
        Case{"O5_AssertionFromAnotherTenant", "",
             absl::StrCat(kAlice, kOboAssertion, R"pb(assertion { tid: "t-other" } scope: "api://payroll/Payroll.Read")pb"),
             v1::INVALID, 50013, "invalid_grant"},
        Case{"O7_N4_OboWithoutConsent", "", absl::StrCat(kAlice, kOboAssertion, R"pb( scope: "api://payroll/Payroll.Read")pb"),
             v1::CONSENT_REQUIRED, 65001, "invalid_grant"},
        Case{"O9_OboDefaultWithGrant", "",
             absl::StrCat(kOboAssertion, R"pb(user { id: "alice" grants { client_app_id: "app-expense" resource_app_id: "payroll-api" scope: "Payroll.Read" } }
                  scope: "api://payroll/.default")pb"),
             v1::ISSUE, 0, "", kSkip, "Payroll.Read", kSkip, kSkip, "payroll-api"},
        Case{"O3_UnknownAudience", "",
             absl::StrCat(kAlice, kOboAssertion, R"pb(assertion { aud: "api://not-the-middle-tier" } scope: "api://payroll/Payroll.Read")pb"),
             v1::INVALID, 50013, "invalid_grant"},
        Case{"A1_TwoDefaults", "",
             R"pb(grant_type: "client_credentials" scope: "api://payroll/.default https://graph.microsoft.com/.default")pb",
             v1::INVALID, 70011, "invalid_scope"},
        Case{"A1_DuplicateDefaultCountsOnce", "",
             R"pb(grant_type: "client_credentials" scope: "api://payroll/.default api://payroll/.default")pb",
             v1::ISSUE, 0, "", kSkip, "", kSkip, "Payroll.Sync"},
        Case{"A3_AssignmentRequired",
             R"pb(app_registrations { app_id: "app-batch" home_tenant: "t-contoso" client_type: "confidential" }
                  service_principals { app_id: "app-batch" }
                  service_principals { app_id: "app-hr" app_role_assignment_required: true }
                  app_registrations { app_id: "app-hr" home_tenant: "t-contoso" identifier_uris: "api://hr" }
                  resources { app_id: "app-hr" })pb",
             R"pb(grant_type: "client_credentials" client_id: "app-batch" scope: "api://hr/.default")pb",
             v1::DENIED, 501051, "invalid_grant"},
        Case{"A5_NoRoleIsNotAnError",
             R"pb(app_registrations { app_id: "app-batch" home_tenant: "t-contoso" client_type: "confidential" }
                  service_principals { app_id: "app-batch" })pb",
             R"pb(grant_type: "client_credentials" client_id: "app-batch" scope: "api://payroll/.default")pb",
             v1::ISSUE, 0, "", kSkip, "", kSkip, "", "payroll-api"}),
    Name);

// --- Consent (N), token (T).
INSTANTIATE_TEST_SUITE_P(
    Consent, EvaluatorTest,
    ::testing::Values(
        Case{"N1_TenantWideGrantSuffices", "", absl::StrCat(kAlice, R"pb(scope: "User.Read")pb"), v1::ISSUE, 0, "",
             kSkip, "User.Read"},
        Case{"N1_PreAuthorizedNeedsNoPrompt",
             R"pb(resources { app_id: "app-hr" pre_authorized { client_app_id: "app-expense" scope_ids: "Hr.Read" } scopes { id: "Hr.Read" value: "Hr.Read" } }
                  app_registrations { app_id: "app-hr" home_tenant: "t-contoso" identifier_uris: "api://hr" }
                  service_principals { app_id: "app-hr" })pb",
             absl::StrCat(kAlice, R"pb(scope: "api://hr/Hr.Read")pb"), v1::ISSUE, 0, "", kSkip, "Hr.Read"},
        Case{"N1_DisabledScopeIsNotGranted", "",
             R"pb(user { id: "alice" grants { client_app_id: "app-expense" resource_app_id: "payroll-api" scope: "Payroll.Read Payroll.Gone" } }
                  scope: "api://payroll/Payroll.Read")pb",
             v1::ISSUE, 0, "", kSkip, "Payroll.Read"},
        Case{"N2_DefaultWithAnyGrantAsksNothing", "",
             R"pb(user { id: "bob" grants { client_app_id: "app-expense" resource_app_id: "payroll-api" scope: "Payroll.Read" } }
                  scope: "api://payroll/.default")pb",
             v1::ISSUE, 0, "", kSkip, "Payroll.Read"},
        Case{"N2_DefaultWithPromptConsentRelists", "",
             R"pb(user { id: "bob" grants { client_app_id: "app-expense" resource_app_id: "payroll-api" scope: "Payroll.Read" } }
                  prompt: "consent" scope: "api://payroll/.default")pb",
             v1::CONSENT_PROMPT_USER, 0, kSkip, "api://payroll/Payroll.Read, User.Read"},
        Case{"N2_650057_DefaultForUnlistedResource",
             R"pb(app_registrations { app_id: "app-hr" home_tenant: "t-contoso" identifier_uris: "api://hr" }
                  service_principals { app_id: "app-hr" }
                  resources { app_id: "app-hr" scopes { id: "Hr.Read" value: "Hr.Read" } })pb",
             absl::StrCat(kBob, R"pb(scope: "api://hr/.default")pb"), v1::INVALID, 650057, "invalid_client"},
        Case{"N2_CombinedConsentViaKnownClient",
             R"pb(app_registrations { app_id: "app-middle" home_tenant: "t-contoso" client_type: "confidential" identifier_uris: "api://middle"
                    known_client_app_ids: "app-spa"
                    required_resource_access { resource_app_id: "payroll-api" scopes: "Payroll.Read" } }
                  service_principals { app_id: "app-middle" }
                  resources { app_id: "app-middle" scopes { id: "Middle.Use" value: "Middle.Use" } }
                  app_registrations { app_id: "app-spa" home_tenant: "t-contoso"
                    required_resource_access { resource_app_id: "app-middle" scopes: "Middle.Use" } }
                  service_principals { app_id: "app-spa" })pb",
             absl::StrCat(kBob, R"pb(client_id: "app-spa" client_authenticated: false scope: "api://middle/.default")pb"),
             v1::CONSENT_PROMPT_USER, 0, kSkip, "api://middle/Middle.Use, api://payroll/Payroll.Read"},
        Case{"N3_PromptConsentRelistsNamedGranted", "",
             absl::StrCat(kAlice, R"pb(prompt: "consent" scope: "User.Read")pb"), v1::CONSENT_PROMPT_USER, 0, kSkip,
             "User.Read"},
        Case{"N4_RefreshWithoutConsent", "",
             absl::StrCat(kAlice, R"pb(grant_type: "refresh_token" scope: "Mail.Read")pb"), v1::CONSENT_REQUIRED, 65001,
             "invalid_grant"},
        Case{"N5_PromptNoneKeepsPromptWithConsentRequired", "",
             absl::StrCat(kAlice, R"pb(prompt: "none" scope: "Mail.Read")pb"), v1::CONSENT_PROMPT_USER, 65001,
             "consent_required", "Mail.Read"},
        Case{"N5_PromptNoneAdminApprovalKeepsCode", "",
             absl::StrCat(kAlice, R"pb(prompt: "none" scope: "Group.Read.All")pb"), v1::ADMIN_APPROVAL_REQUIRED, 90094,
             "consent_required", kSkip, kSkip, "admin_only"},
        Case{"N5c_GuestFirst", "",
             R"pb(user { id: "gail" user_type: "guest" external_kind: "b2bCollaborationGuest" home_tenant: "t-x" } scope: "Group.Read.All")pb",
             v1::ADMIN_APPROVAL_REQUIRED, 90094, "access_denied", kSkip, kSkip, "guest"},
        Case{"N5c_AssignmentRequiredClient",
             R"pb(app_registrations { app_id: "app-locked" home_tenant: "t-contoso" }
                  service_principals { app_id: "app-locked" app_role_assignment_required: true })pb",
             R"pb(client_id: "app-locked" user { id: "alice" app_role_assignments { resource_app_id: "app-locked" } } scope: "Mail.Read")pb",
             v1::ADMIN_APPROVAL_REQUIRED, 90094, "access_denied", kSkip, kSkip, "assignment"},
        Case{"N5c_UserConsentDisabledIsPolicy", R"pb(consent_settings { })pb",
             absl::StrCat(kAlice, R"pb(scope: "Mail.Read")pb"), v1::ADMIN_APPROVAL_REQUIRED, 90093, "access_denied",
             kSkip, kSkip, "policy"},
        Case{"N5a_GlobalAdministrator", "",
             R"pb(user { id: "gina" roles: "Global Administrator" } scope: "Group.Read.All Mail.Read")pb",
             v1::CONSENT_PROMPT_ADMIN, 0, kSkip, "Group.Read.All, Mail.Read"},
        Case{"N5a_PrivilegedRoleAdministrator", "",
             R"pb(user { id: "pria" roles: "privileged role administrator" } scope: "Group.Read.All")pb",
             v1::CONSENT_PROMPT_ADMIN, 0, kSkip, "Group.Read.All"},
        Case{"N5a_CloudApplicationAdministrator", "",
             R"pb(user { id: "cara" roles: "Cloud Application Administrator" } scope: "Group.Read.All")pb",
             v1::CONSENT_PROMPT_ADMIN, 0, kSkip, "Group.Read.All"},
        Case{"N5a_CustomRoleForAll",
             R"pb(permission_grant_policies { id: "payroll-only" includes { permission_type: "delegated" resource_application: "payroll-api" } }
                  custom_roles { id: "role-payroll-admin" permissions: "managePermissionGrantsForAll.payroll-only" })pb",
             R"pb(user { id: "pat" roles: "role-payroll-admin" } scope: "api://payroll/Payroll.Approve")pb",
             v1::CONSENT_PROMPT_ADMIN, 0, kSkip, "api://payroll/Payroll.Approve"},
        Case{"N5a_CustomRoleOutsideItsPolicyFallsToSelf",
             R"pb(permission_grant_policies { id: "payroll-only" includes { permission_type: "delegated" resource_application: "payroll-api" } }
                  custom_roles { id: "role-payroll-admin" permissions: "managePermissionGrantsForAll.payroll-only" })pb",
             R"pb(user { id: "pat" roles: "role-payroll-admin" } scope: "Group.Read.All api://payroll/Payroll.Approve")pb",
             v1::ADMIN_APPROVAL_REQUIRED, 90094, "access_denied", kSkip, kSkip, "admin_only"},
        Case{"N5b_CustomRoleForSelfAddsPolicy",
             R"pb(permission_grant_policies { id: "mail-ok" includes { permission_type: "delegated" permissions: "Mail.Read" } }
                  custom_roles { id: "role-mail" permissions: "managePermissionGrantsForSelf.mail-ok" }
                  consent_settings { })pb",
             R"pb(user { id: "mo" roles: "role-mail" } scope: "Mail.Read")pb", v1::CONSENT_PROMPT_USER, 0, kSkip,
             "Mail.Read"},
        Case{"N5_AdminOnlyEvenWithSelfPolicyThatAllowsDelegated",
             R"pb(permission_grant_policies { id: "all-delegated" includes { permission_type: "delegated" } }
                  consent_settings { user_consent_policies: "all-delegated" })pb",
             absl::StrCat(kAlice, R"pb(scope: "Group.Read.All")pb"), v1::ADMIN_APPROVAL_REQUIRED, 90094,
             "access_denied", kSkip, kSkip, "admin_only"},
        Case{"T2_UserRolesInDelegatedToken",
             R"pb(resources { app_id: "app-hr" scopes { id: "Hr.Read" value: "Hr.Read" }
                    app_roles { id: "r-admin" value: "Hr.Admin" allowed_member_types: "User" }
                    app_roles { id: "r-sync" value: "Hr.Sync" allowed_member_types: "Application" } }
                  app_registrations { app_id: "app-hr" home_tenant: "t-contoso" identifier_uris: "api://hr" }
                  service_principals { app_id: "app-hr" }
                  tenant_wide_grants { client_app_id: "app-expense" resource_app_id: "app-hr" scope: "Hr.Read" })pb",
             R"pb(user { id: "alice" app_role_assignments { resource_app_id: "app-hr" app_role_id: "r-admin" }
                                     app_role_assignments { resource_app_id: "app-hr" app_role_id: "r-sync" } }
                  scope: "api://hr/Hr.Read")pb",
             v1::ISSUE, 0, "", kSkip, "Hr.Read", kSkip, "Hr.Admin", "app-hr"},
        Case{"T6_SelfTokenPromptsForUserRead",
             R"pb(app_registrations { app_id: "app-self" home_tenant: "t-contoso" identifier_uris: "api://self" }
                  service_principals { app_id: "app-self" }
                  resources { app_id: "app-self" scopes { id: "Self.Read" value: "Self.Read" } }
                  tenant_wide_grants { client_app_id: "app-self" resource_app_id: "app-self" scope: "Self.Read" })pb",
             absl::StrCat(kAlice, R"pb(client_id: "app-self" scope: "app-self/Self.Read")pb"),
             v1::CONSENT_PROMPT_USER, 0, kSkip, "User.Read"},
        Case{"T6_SelfTokenSilentWithoutUserRead",
             R"pb(app_registrations { app_id: "app-self" home_tenant: "t-contoso" identifier_uris: "api://self" }
                  service_principals { app_id: "app-self" }
                  resources { app_id: "app-self" scopes { id: "Self.Read" value: "Self.Read" } }
                  tenant_wide_grants { client_app_id: "app-self" resource_app_id: "app-self" scope: "Self.Read" })pb",
             absl::StrCat(kAlice, R"pb(grant_type: "refresh_token" client_id: "app-self" scope: "app-self/Self.Read")pb"),
             v1::INVALID, 90008, "invalid_grant"},
        Case{"T6_SelfTokenIssues",
             R"pb(app_registrations { app_id: "app-self" home_tenant: "t-contoso" identifier_uris: "api://self" }
                  service_principals { app_id: "app-self" }
                  resources { app_id: "app-self" scopes { id: "Self.Read" value: "Self.Read" } }
                  tenant_wide_grants { client_app_id: "app-self" resource_app_id: "app-self" scope: "Self.Read" }
                  tenant_wide_grants { client_app_id: "app-self" resource_app_id: "00000003-0000-0000-c000-000000000000" scope: "User.Read" })pb",
             absl::StrCat(kAlice, R"pb(client_id: "app-self" scope: "app-self/Self.Read")pb"), v1::ISSUE, 0, "",
             kSkip, "Self.Read", kSkip, kSkip, "app-self"}),
    Name);

// --- N6: each condition-set field alone and with excludes; built-ins.
std::string PolicyPatch(absl::string_view include, absl::string_view exclude = "") {
  return absl::StrCat("permission_grant_policies { id: \"p\" includes { ", include, " } ",
                      exclude.empty() ? "" : absl::StrCat("excludes { ", exclude, " } "),
                      "} consent_settings { user_consent_policies: \"p\" }");
}

std::vector<Case> ConditionSetCases() {
  const std::string payroll_read = absl::StrCat(kBob, R"pb(scope: "api://payroll/Payroll.Read")pb");
  const std::string mail_read = absl::StrCat(kBob, R"pb(scope: "Mail.Read")pb");
  auto allows = [&](std::string name, std::string patch, std::string req = "") {
    return Case{name, patch, req.empty() ? payroll_read : req, v1::CONSENT_PROMPT_USER, 0};
  };
  auto denies = [&](std::string name, std::string patch, std::string req = "") {
    return Case{name, patch, req.empty() ? payroll_read : req, v1::ADMIN_APPROVAL_REQUIRED, 90093,
                "access_denied", kSkip, kSkip, "policy"};
  };
  std::vector<Case> v = {
      allows("N6_PermissionTypeDelegated", PolicyPatch(R"(permission_type: "delegated")")),
      denies("N6_PermissionTypeApplicationNeverDelegated", PolicyPatch(R"(permission_type: "application")")),
      allows("N6_ClassificationLow", PolicyPatch(R"(permission_type: "delegated" permission_classification: "low")")),
      denies("N6_ClassificationHigh", PolicyPatch(R"(permission_type: "delegated" permission_classification: "high")")),
      denies("N6_UnclassifiedMatchesOnlyAll",
             PolicyPatch(R"(permission_type: "delegated" permission_classification: "low")"), mail_read),
      allows("N6_PermissionsListed", PolicyPatch(R"(permission_type: "delegated" permissions: "Payroll.Read")")),
      denies("N6_PermissionsNotListed", PolicyPatch(R"(permission_type: "delegated" permissions: "Payroll.Approve")")),
      allows("N6_ResourceApplication", PolicyPatch(R"(permission_type: "delegated" resource_application: "payroll-api")")),
      denies("N6_OtherResourceApplication",
             PolicyPatch(R"(permission_type: "delegated" resource_application: "00000003-0000-0000-c000-000000000000")")),
      allows("N6_ClientApplicationIds", PolicyPatch(R"(permission_type: "delegated" client_application_ids: "app-expense")")),
      denies("N6_OtherClientApplicationIds", PolicyPatch(R"(permission_type: "delegated" client_application_ids: "app-mobile")")),
      allows("N6_ClientTenantIds", PolicyPatch(R"(permission_type: "delegated" client_application_tenant_ids: "t-contoso")")),
      denies("N6_OtherClientTenantIds", PolicyPatch(R"(permission_type: "delegated" client_application_tenant_ids: "t-other")")),
      denies("N6_PublisherIdsNeedVerifiedPublisher",
             PolicyPatch(R"(permission_type: "delegated" client_application_publisher_ids: "mpn-1")")),
      denies("N6_VerifiedOnly", PolicyPatch(R"(permission_type: "delegated" client_applications_from_verified_publisher_only: true)")),
      denies("N6_CertifiedOnly", PolicyPatch(R"(permission_type: "delegated" certified_client_applications_only: true)")),
      allows("N6_ThisTenantOnly", PolicyPatch(R"(permission_type: "delegated" client_applications_from_this_tenant_only: true)")),
      denies("N6_ExcludeByPermission",
             PolicyPatch(R"(permission_type: "delegated")", R"(permission_type: "delegated" permissions: "Payroll.Read")")),
      allows("N6_ExcludeOfAnotherPermission",
             PolicyPatch(R"(permission_type: "delegated")", R"(permission_type: "delegated" permissions: "Payroll.Approve")")),
      denies("N6_ExcludeByClient",
             PolicyPatch(R"(permission_type: "delegated")", R"(permission_type: "delegated" client_application_ids: "app-expense")")),
      denies("N6_ExcludeByResource",
             PolicyPatch(R"(permission_type: "delegated")", R"(permission_type: "delegated" resource_application: "payroll-api")")),
      allows("N6_PoliciesAreIndependent",
             R"pb(permission_grant_policies { id: "p" includes { permission_type: "delegated" }
                                              excludes { permission_type: "delegated" permissions: "Payroll.Read" } }
                  permission_grant_policies { id: "q" includes { permission_type: "delegated" } }
                  consent_settings { user_consent_policies: "p" user_consent_policies: "q" })pb"),
      // Built-ins (N7).
      allows("N7_LegacyAllowsUserConsentable", R"pb(consent_settings { user_consent_policies: "microsoft-user-default-legacy" })pb",
             mail_read),
      allows("N7_LowAllowsThisTenantsLowScopes", R"pb(consent_settings { user_consent_policies: "microsoft-user-default-low" })pb"),
      denies("N7_LowRejectsUnclassified", R"pb(consent_settings { user_consent_policies: "microsoft-user-default-low" })pb",
             mail_read),
      denies("N7_RecommendedExcludesMailRead",
             R"pb(consent_settings { user_consent_policies: "microsoft-user-default-recommended" })pb", mail_read),
      allows("N7_RecommendedAllowsUserRead",
             R"pb(consent_settings { user_consent_policies: "microsoft-user-default-recommended" })pb",
             absl::StrCat(kBob, R"pb(client_id: "app-mobile" scope: "User.Read")pb")),
  };
  // Verified publisher variants on a foreign verified app.
  const std::string verified_app =
      R"pb(app_registrations { app_id: "app-vendor" home_tenant: "t-vendor" audience: "multi" publisher_verified: true mpn_id: "mpn-7" m365_certified: true created: "2024-01-01" })pb";
  const std::string vendor_req =
      absl::StrCat(kBob, R"pb(client_id: "app-vendor" client_authenticated: false scope: "Mail.Read")pb");
  v.push_back(allows("N6_PublisherIdsListed",
                     absl::StrCat(verified_app, PolicyPatch(R"(permission_type: "delegated" client_application_publisher_ids: "mpn-7")")),
                     vendor_req));
  v.push_back(allows("N6_VerifiedOnlyVerified",
                     absl::StrCat(verified_app, PolicyPatch(R"(permission_type: "delegated" client_applications_from_verified_publisher_only: true)")),
                     vendor_req));
  v.push_back(allows("N6_CertifiedOnlyCertified",
                     absl::StrCat(verified_app, PolicyPatch(R"(permission_type: "delegated" certified_client_applications_only: true)")),
                     vendor_req));
  v.push_back(denies("N6_ThisTenantOnlyForeign",
                     absl::StrCat(verified_app, PolicyPatch(R"(permission_type: "delegated" client_applications_from_this_tenant_only: true)")),
                     vendor_req));
  // N8 edges: created on the cutoff date is not risky; unverified foreign
  // multi-tenant apps created after it are.
  const char* created_on_cutoff =
      R"pb(app_registrations { app_id: "app-old" home_tenant: "t-other" audience: "multi" created: "2020-11-08" })pb";
  const char* created_after =
      R"pb(app_registrations { app_id: "app-new" home_tenant: "t-other" audience: "multi" created: "2020-11-09" })pb";
  const char* created_absent = R"pb(app_registrations { app_id: "app-undated" home_tenant: "t-other" audience: "multi" })pb";
  v.push_back(Case{"N8_CreatedOnCutoffIsNotRisky", created_on_cutoff,
                   absl::StrCat(kBob, R"pb(client_id: "app-old" scope: "Mail.Read")pb"), v1::CONSENT_PROMPT_USER, 0});
  v.push_back(Case{"N8_CreatedAfterCutoffIsRisky", created_after,
                   absl::StrCat(kBob, R"pb(client_id: "app-new" scope: "Mail.Read")pb"), v1::ADMIN_APPROVAL_REQUIRED,
                   900941, "access_denied", kSkip, kSkip, "risky"});
  v.push_back(Case{"N8_AbsentCreationDateIsLaterThanAny", created_absent,
                   absl::StrCat(kBob, R"pb(client_id: "app-undated" scope: "Mail.Read")pb"),
                   v1::ADMIN_APPROVAL_REQUIRED, 900941, "access_denied", kSkip, kSkip, "risky"});
  v.push_back(Case{"N8_BasicSetOnly", created_after,
                   absl::StrCat(kBob, R"pb(client_id: "app-new" scope: "openid profile email offline_access User.Read")pb"),
                   v1::CONSENT_PROMPT_USER, 0, kSkip, "email, offline_access, openid, profile, User.Read"});
  v.push_back(Case{"N8_RiskBlockingOff",
                   absl::StrCat(created_after,
                                R"pb( consent_settings { user_consent_policies: "microsoft-user-default-legacy" block_user_consent_for_risky_apps: false })pb"),
                   absl::StrCat(kBob, R"pb(client_id: "app-new" scope: "Mail.Read")pb"), v1::CONSENT_PROMPT_USER, 0});
  return v;
}

INSTANTIATE_TEST_SUITE_P(ConditionSets, EvaluatorTest, ::testing::ValuesIn(ConditionSetCases()), Name);

// --- Sequences: prompts, recording (R1-R3), then issuing.

TEST(RecordingTest, Ex1_R1ThenIssue) {
  v1::PolicyBundle bundle = ContosoBundle();
  auto policy = *CompilePolicy(bundle);
  v1::TokenRequest req = Request(absl::StrCat(kAlice, R"pb(scope: "user.read Calendars.Read")pb"));
  ASSERT_EQ(policy->Evaluate(req).outcome(), v1::CONSENT_PROMPT_USER);
  v1::RecordConsentRequest rec;
  rec.set_kind("user_prompt");
  *rec.mutable_request() = req;
  absl::StatusOr<v1::RecordConsentResult> result = policy->RecordConsent(rec);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->grants_size(), 1);
  EXPECT_EQ(result->grants(0).consent_type(), "Principal");
  EXPECT_EQ(result->grants(0).principal_id(), "alice");
  EXPECT_EQ(result->grants(0).scope(), "Calendars.Read");
  testing::ApplyToUser(*result, req.mutable_user());
  v1::Decision d = policy->Evaluate(req);
  EXPECT_EQ(d.outcome(), v1::ISSUE);
  EXPECT_EQ(JoinScp(d), "Calendars.Read User.Read");
}

TEST(RecordingTest, Ex3_R2OrgWideThenAliceIssues) {
  v1::PolicyBundle bundle = ContosoBundle();
  auto policy = *CompilePolicy(bundle);
  v1::RecordConsentRequest rec;
  rec.set_kind("admin_prompt");
  rec.set_org_wide(true);
  *rec.mutable_request() = Request(absl::StrCat(kRavi, R"pb(scope: "Group.Read.All")pb"));
  absl::StatusOr<v1::RecordConsentResult> result = policy->RecordConsent(rec);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->grants_size(), 1);
  EXPECT_EQ(result->grants(0).consent_type(), "AllPrincipals");
  // Merged with the existing tenant-wide grant (SPEC 3.10).
  EXPECT_EQ(result->grants(0).scope(), "Group.Read.All User.Read");
  testing::ApplyToBundle(*result, &bundle);
  auto after = *CompilePolicy(bundle);
  v1::Decision d = after->Evaluate(Request(absl::StrCat(kAlice, R"pb(scope: "Group.Read.All")pb")));
  EXPECT_EQ(d.outcome(), v1::ISSUE) << d.DebugString();
}

TEST(RecordingTest, R2WithoutBoxGoesToTheAdminsOwnGrant) {
  auto policy = Contoso();
  v1::RecordConsentRequest rec;
  rec.set_kind("admin_prompt");
  *rec.mutable_request() = Request(absl::StrCat(kRavi, R"pb(scope: "Group.Read.All")pb"));
  absl::StatusOr<v1::RecordConsentResult> result = policy->RecordConsent(rec);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->grants(0).consent_type(), "Principal");
  EXPECT_EQ(result->grants(0).principal_id(), "ravi");
}

TEST(RecordingTest, R1CreatesTheForeignClientsServicePrincipal) {
  v1::PolicyBundle bundle = ContosoBundle();
  auto policy = *CompilePolicy(bundle);
  v1::RecordConsentRequest rec;
  rec.set_kind("user_prompt");
  *rec.mutable_request() = Request(absl::StrCat(kBob, R"pb(client_id: "app-sketchy" scope: "openid User.Read")pb"));
  absl::StatusOr<v1::RecordConsentResult> result = policy->RecordConsent(rec);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->create_service_principals_size(), 1);
  EXPECT_EQ(result->create_service_principals(0), "app-sketchy");
  EXPECT_EQ(result->grants(0).scope(), "openid User.Read");
}

TEST(RecordingTest, R1RefusesWhenThereIsNoPrompt) {
  auto policy = Contoso();
  v1::RecordConsentRequest rec;
  rec.set_kind("user_prompt");
  *rec.mutable_request() = Request(absl::StrCat(kAlice, R"pb(scope: "Group.Read.All")pb"));
  EXPECT_EQ(policy->RecordConsent(rec).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(RecordingTest, R3GraphAppRolesNeedGlobalAdministrator) {
  v1::PolicyBundle bundle = ContosoBundle(R"pb(app_registrations { app_id: "app-batch" home_tenant: "t-contoso" client_type: "confidential" }
                                              service_principals { app_id: "app-batch" })pb");
  for (v1::ResourceApi& r : *bundle.mutable_resources()) {
    if (r.app_id() == "00000003-0000-0000-c000-000000000000") {
      v1::AppRole* role = r.add_app_roles();
      role->set_id("df021288-bdef-4463-88db-98f22de89214");
      role->set_value("User.Read.All");
      role->add_allowed_member_types("Application");
    }
  }
  absl::StatusOr<std::shared_ptr<const CompiledPolicy>> policy = CompilePolicy(bundle);
  ASSERT_TRUE(policy.ok()) << policy.status();
  auto grant = [&](const char* role) {
    v1::RecordConsentRequest rec;
    rec.set_kind("admin_grant");
    rec.set_client_app_id("app-batch");
    rec.mutable_actor()->set_id("someone");
    rec.mutable_actor()->add_roles(role);
    v1::AppRoleRef* ref = rec.add_app_roles();
    ref->set_resource_app_id("00000003-0000-0000-c000-000000000000");
    ref->set_value("User.Read.All");
    return (*policy)->RecordConsent(rec);
  };
  EXPECT_TRUE(grant("Global Administrator").ok());
  EXPECT_TRUE(grant("Privileged Role Administrator").ok());
  EXPECT_EQ(grant("Application Administrator").status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(grant("Cloud Application Administrator").status().code(), absl::StatusCode::kPermissionDenied);
}

TEST(RecordingTest, R3AuthorityTable) {
  auto policy = Contoso(R"pb(app_registrations { app_id: "app-batch" home_tenant: "t-contoso" client_type: "confidential" }
                             service_principals { app_id: "app-batch" })pb");
  ASSERT_NE(policy, nullptr);
  auto grant = [&](const char* actor) {
    v1::RecordConsentRequest rec = testing::Parse<v1::RecordConsentRequest>(actor);
    rec.set_kind("admin_grant");
    rec.set_client_app_id("app-batch");
    rec.add_delegated("api://payroll/Payroll.Approve");
    auto* role = rec.add_app_roles();
    role->set_resource_app_id("payroll-api");
    role->set_value("Payroll.Sync");
    return policy->RecordConsent(rec);
  };
  // Global and Application Administrators: delegated and non-Graph roles.
  for (const char* actor : {R"pb(actor { id: "g" roles: "Global Administrator" })pb",
                            R"pb(actor { id: "a" roles: "Application Administrator" })pb",
                            R"pb(actor { id: "c" roles: "Cloud Application Administrator" })pb",
                            R"pb(actor { id: "p" roles: "Privileged Role Administrator" })pb"}) {
    absl::StatusOr<v1::RecordConsentResult> r = grant(actor);
    ASSERT_TRUE(r.ok()) << actor << r.status();
    ASSERT_EQ(r->grants_size(), 1);
    EXPECT_EQ(r->grants(0).consent_type(), "AllPrincipals");
    EXPECT_EQ(r->grants(0).scope(), "Payroll.Approve");
    ASSERT_EQ(r->app_role_assignments_size(), 1);
    EXPECT_EQ(r->app_role_assignments(0).app_role_id(), "Payroll.Sync");
  }
  // Anyone else: no authority.
  EXPECT_EQ(grant(R"pb(actor { id: "alice" })pb").status().code(), absl::StatusCode::kPermissionDenied);
}

TEST(RecordingTest, R3OwnerMayGrantOwnRolesOnly) {
  auto policy = Contoso(R"pb(app_registrations { app_id: "app-batch" home_tenant: "t-contoso" client_type: "confidential" }
                             service_principals { app_id: "app-batch" }
                             app_registrations { app_id: "app-hr" home_tenant: "t-contoso" identifier_uris: "api://hr" }
                             service_principals { app_id: "app-hr" owners: "olga" }
                             resources { app_id: "app-hr" scopes { id: "Hr.Read" value: "Hr.Read" }
                                         app_roles { id: "Hr.Sync" value: "Hr.Sync" allowed_member_types: "Application" } })pb");
  ASSERT_NE(policy, nullptr);
  v1::RecordConsentRequest rec = testing::Parse<v1::RecordConsentRequest>(R"pb(
    kind: "admin_grant" client_app_id: "app-batch" actor { id: "olga" }
    app_roles { resource_app_id: "app-hr" value: "Hr.Sync" })pb");
  absl::StatusOr<v1::RecordConsentResult> r = policy->RecordConsent(rec);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->app_role_assignments_size(), 1);
  rec.add_delegated("api://hr/Hr.Read");
  EXPECT_EQ(policy->RecordConsent(rec).status().code(), absl::StatusCode::kPermissionDenied);
}

// --- Fail closed.

TEST(FailClosedTest, InjectedFaultAtEveryStepNeverIssues) {
  auto policy = Contoso();
  v1::TokenRequest req = Request(absl::StrCat(kAlice, R"pb(scope: "User.Read")pb"));
  EvalContext context;
  ASSERT_EQ(policy->Evaluate(req, &context).outcome, v1::ISSUE);
  for (int step = 1; step <= 6; ++step) {
    context.InjectFaultForTesting(step);
    const DecisionView& d = policy->Evaluate(req, &context);
    EXPECT_EQ(d.outcome, v1::UNAVAILABLE) << "step " << step;
    EXPECT_EQ(d.error, "server_error");
    EXPECT_TRUE(d.scp.empty());
  }
  context.InjectFaultForTesting(0);
  EXPECT_EQ(policy->Evaluate(req, &context).outcome, v1::ISSUE);
}

TEST(EvalContextTest, ReusedContextGivesTheSameDecisions) {
  auto policy = Contoso();
  EvalContext context;
  std::vector<v1::TokenRequest> reqs = {
      Request(absl::StrCat(kAlice, R"pb(scope: "user.read Calendars.Read")pb")),
      Request(absl::StrCat(kAlice, R"pb(scope: "Group.Read.All")pb")),
      Request(R"pb(grant_type: "client_credentials" scope: "api://payroll/.default")pb"),
      Request(absl::StrCat(kBob, R"pb(scope: "openid offline_access api://payroll/.default")pb")),
  };
  for (int round = 0; round < 3; ++round) {
    for (const v1::TokenRequest& r : reqs) {
      v1::Decision fresh = policy->Evaluate(r);
      v1::Decision reused;
      DecisionViewToProto(policy->Evaluate(r, &context), &reused);
      EXPECT_EQ(fresh.SerializeAsString(), reused.SerializeAsString()) << r.DebugString();
    }
  }
}

// N5b/N6: every policy of the user counts, however many there are. (The
// evaluator once kept at most 64 and silently ignored the rest.)
TEST(ExplanationTest, N6_TheHundredthUserConsentPolicyStillAllows) {
  std::string patch;
  std::string settings = "consent_settings {";
  for (int i = 0; i < 100; ++i) {
    // Application permissions only: none of these allows a delegated scope.
    absl::StrAppend(&patch, "permission_grant_policies { id: \"app-only-", i,
                    "\" includes { permission_type: \"application\" } }\n");
    absl::StrAppend(&settings, " user_consent_policies: \"app-only-", i, "\"");
  }
  absl::StrAppend(&patch, R"pb(permission_grant_policies {
                                 id: "z-last"
                                 includes { permission_type: "delegated" permission_classification: "low" }
                               })pb");
  absl::StrAppend(&settings, " user_consent_policies: \"z-last\" }");
  auto policy = Contoso(absl::StrCat(patch, settings));
  ASSERT_NE(policy, nullptr);
  v1::Decision d = policy->Evaluate(Request(absl::StrCat(kBob, R"pb(scope: "api://payroll/Payroll.Read")pb")));
  EXPECT_EQ(v1::Outcome_Name(d.outcome()), "CONSENT_PROMPT_USER") << d.DebugString();
  EXPECT_THAT(d.explanation().grant_policies(), ::testing::ElementsAre("z-last"));
}

}  // namespace
}  // namespace consent

namespace consent {
namespace {

TEST(ExplanationTest, NamesConditionSetsAndGrantPolicies) {
  auto policy = Contoso(R"pb(permission_grant_policies {
                               id: "p1"
                               includes { permission_type: "delegated" permission_classification: "low" }
                               excludes { permission_type: "delegated" resource_application: "00000003-0000-0000-c000-000000000000" permissions: "Calendars.Read" }
                             }
                             consent_settings { user_consent_policies: "p1" })pb");
  v1::Decision d = policy->Evaluate(Request(absl::StrCat(kBob, R"pb(scope: "api://payroll/Payroll.Read Calendars.Read")pb")));
  EXPECT_EQ(d.reason(), "policy");
  EXPECT_THAT(d.explanation().condition_sets(), ::testing::ElementsAre("p1/includes[0]", "p1/excludes[0]"));
  EXPECT_THAT(d.explanation().rules(), ::testing::ElementsAre("E2", "N3", "N5c"));
  v1::Decision ok = policy->Evaluate(Request(absl::StrCat(kBob, R"pb(scope: "api://payroll/Payroll.Read")pb")));
  EXPECT_THAT(ok.explanation().grant_policies(), ::testing::ElementsAre("p1"));
}

}  // namespace
}  // namespace consent

namespace consent {
namespace {

TEST(RecordingTest, R3RoleNamedTwiceIsWrittenOnce) {
  auto policy = Contoso(R"pb(app_registrations { app_id: "app-batch" home_tenant: "t-contoso" client_type: "confidential" }
                             service_principals { app_id: "app-batch" })pb");
  v1::RecordConsentRequest rec = testing::Parse<v1::RecordConsentRequest>(R"pb(
    kind: "admin_grant" client_app_id: "app-batch" actor { id: "g" roles: "Global Administrator" }
    app_roles { resource_app_id: "payroll-api" value: "Payroll.Sync" }
    app_roles { resource_app_id: "payroll-api" value: "payroll.sync" })pb");
  absl::StatusOr<v1::RecordConsentResult> r = policy->RecordConsent(rec);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->app_role_assignments_size(), 1);
}

}  // namespace
}  // namespace consent

namespace consent {
namespace {

TEST(ResourceAccessTest, Ex11_S4FreshnessFailureIsS3Only) {
  auto policy = Contoso();
  v1::ResourceAccessCheck check = testing::Parse<v1::ResourceAccessCheck>(R"pb(
    tenant: "t-contoso" now: "2025-03-03T10:00:00Z" auth_time: "2025-03-03T08:00:00Z"
    max_age: 3600 resource_app_id: "payroll-api")pb");
  absl::StatusOr<v1::ResourceAccessResult> r = policy->CheckResourceAccess(check);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->allow());
  EXPECT_EQ(r->http_status(), 401);
  ASSERT_EQ(r->www_authenticate_size(), 1);
  EXPECT_THAT(r->www_authenticate(0), ::testing::HasSubstr("max_age=\"3600\""));
}

TEST(ResourceAccessTest, AnotherTenantsCheckIsRefused) {
  auto policy = Contoso();
  v1::ResourceAccessCheck check =
      testing::Parse<v1::ResourceAccessCheck>(R"pb(tenant: "t-other" now: "2025-03-03T10:00:00Z")pb");
  EXPECT_EQ(policy->CheckResourceAccess(check).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ResourceAccessTest, BadInputsNameTheField) {
  auto policy = Contoso();
  auto status = [&](const char* text) {
    return std::string(policy->CheckResourceAccess(testing::Parse<v1::ResourceAccessCheck>(text)).status().message());
  };
  EXPECT_THAT(status(R"pb(now: "soon")pb"), ::testing::HasSubstr("now:"));
  EXPECT_THAT(status(R"pb(now: "2025-03-03T10:00:00Z" required_acr_values: "c100")pb"),
              ::testing::HasSubstr("required_acr_values[0]"));
  EXPECT_THAT(status(R"pb(now: "2025-03-03T10:00:00Z" challenge_format: "smoke")pb"),
              ::testing::HasSubstr("challenge_format"));
  EXPECT_THAT(status(R"pb(now: "2025-03-03T10:00:00Z" resource_app_id: "ghost")pb"),
              ::testing::HasSubstr("resource_app_id"));
}

}  // namespace
}  // namespace consent
