// SPEC §6 worked examples 1-13 against the reference evaluator, on a
// fixture written from §6 (testdata/contoso_fixture.textproto).
#include "tests/reference/reference_evaluator.h"

#include <google/protobuf/text_format.h>

#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "tests/reference/decision_compare.h"

namespace consent {
namespace reference {
namespace {

template <typename T>
T Parse(const std::string& text) {
  T msg;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &msg)) << text;
  return msg;
}

v1::PolicyBundle Contoso() {
  std::ifstream in("tests/reference/testdata/contoso_fixture.textproto");
  std::stringstream ss;
  ss << in.rdbuf();
  v1::PolicyBundle b = Parse<v1::PolicyBundle>(ss.str());
  EXPECT_EQ(b.tenant_id(), "t-contoso");
  return b;
}

const char kPayroll[] = "app-payroll";
const char kGraph[] = "00000003-0000-0000-c000-000000000000";
// now = 2025-03-03T10:00:00Z.
const char kMfaSession[] =
    "auth_methods { method: 'password' at: '2025-03-03T09:00:00Z' } "
    "auth_methods { method: 'microsoftAuthenticatorPush' at: '2025-03-03T09:00:05Z' }";
const char kPasswordSession[] = "auth_methods { method: 'password' at: '2025-03-03T09:00:00Z' }";

std::string Alice(const std::string& extra = "") {
  return "user { id: 'alice' mfa_registered: true " + extra + " }";
}
std::string Bob(const std::string& extra = "") {
  return "user { id: 'bob' mfa_registered: true " + extra + " }";
}
std::string Ravi() {
  return "user { id: 'ravi' mfa_registered: true roles: 'Application Administrator' }";
}
std::string Grant(const std::string& client, const std::string& res, const std::string& scope) {
  return "grants { client_app_id: '" + client + "' resource_app_id: '" + res + "' scope: '" +
         scope + "' }";
}

v1::TokenRequest Interactive(const std::string& scope, const std::string& user,
                             const std::string& more = "") {
  return Parse<v1::TokenRequest>(
      "tenant: 't-contoso' now: '2025-03-03T10:00:00Z' grant_type: 'interactive' "
      "client_id: 'app-expense' client_authenticated: true scope: '" + scope + "' " + user + " " +
      "session { " + kMfaSession + " } " + more);
}

void ExpectDecision(const v1::PolicyBundle& bundle, const v1::TokenRequest& request,
                    const std::string& expected_text) {
  const v1::Decision expected = Parse<v1::Decision>(expected_text);
  const v1::Decision actual = Evaluate(bundle, request);
  EXPECT_EQ(DiffDecisions(expected, actual), "")
      << "request: " << request.ShortDebugString() << "\nactual: " << actual.ShortDebugString();
}

void AddCa(v1::PolicyBundle* b, const std::string& text) {
  *b->add_conditional_access_policies() = Parse<v1::ConditionalAccessPolicy>(text);
}

TEST(ReferenceExamples, Ex1IncrementalConsentN3N5b) {
  const v1::PolicyBundle b = Contoso();
  ExpectDecision(b, Interactive("user.read Calendars.Read", Alice()),
                 "outcome: CONSENT_PROMPT_USER prompt { scopes: 'Calendars.Read' }");
  ExpectDecision(b, Interactive("user.read Calendars.Read", Alice(Grant("app-expense", kGraph, "Calendars.Read"))),
                 "outcome: ISSUE token { aud: '00000003-0000-0000-c000-000000000000' "
                 "scp: 'Calendars.Read' scp: 'User.Read' auth_time: '2025-03-03T09:00:00Z' }");
}

TEST(ReferenceExamples, Ex2EarlierGrantsInTokenT1) {
  ExpectDecision(Contoso(), Interactive("User.Read", Alice(Grant("app-expense", kGraph, "Calendars.Read"))),
                 "outcome: ISSUE token { aud: '00000003-0000-0000-c000-000000000000' "
                 "scp: 'Calendars.Read' scp: 'User.Read' auth_time: '2025-03-03T09:00:00Z' }");
}

TEST(ReferenceExamples, Ex3AdminOnlyN5) {
  v1::PolicyBundle b = Contoso();
  ExpectDecision(b, Interactive("Group.Read.All", Alice()),
                 "outcome: ADMIN_APPROVAL_REQUIRED error: 'access_denied' error_code: 90094 "
                 "reason: 'admin_only'");
  ExpectDecision(b, Interactive("Group.Read.All", Ravi()),
                 "outcome: CONSENT_PROMPT_ADMIN prompt { scopes: 'Group.Read.All' "
                 "org_wide_option: true }");
  // R2 with the box ticked: a tenant-wide grant.
  v1::PolicyBundle granted = b;
  v1::TenantWideGrant* g = granted.add_tenant_wide_grants();
  g->set_client_app_id("app-expense");
  g->set_resource_app_id(kGraph);
  g->set_scope("Group.Read.All");
  ExpectDecision(granted, Interactive("Group.Read.All", Alice()),
                 "outcome: ISSUE token { aud: '00000003-0000-0000-c000-000000000000' "
                 "scp: 'Group.Read.All' scp: 'User.Read' auth_time: '2025-03-03T09:00:00Z' }");
  b.mutable_consent_settings()->set_admin_consent_workflow_enabled(true);
  ExpectDecision(b, Interactive("Group.Read.All", Alice()),
                 "outcome: ADMIN_APPROVAL_REQUIRED error: 'access_denied' error_code: 90095 "
                 "reason: 'admin_only' admin_consent_request_available: true");
  // R4: a request already pending.
  ExpectDecision(b, Interactive("Group.Read.All", Alice(), "consent_request_pending: true"),
                 "outcome: ADMIN_APPROVAL_REQUIRED error: 'access_denied' error_code: 90095 "
                 "reason: 'admin_only'");
}

TEST(ReferenceExamples, Ex4ConditionSetsN6) {
  v1::PolicyBundle b = Contoso();
  b.mutable_consent_settings()->clear_user_consent_policies();
  b.mutable_consent_settings()->add_user_consent_policies("p1");
  *b.add_permission_grant_policies() = Parse<v1::PermissionGrantPolicy>(
      "id: 'p1' includes { permission_type: 'delegated' permission_classification: 'low' } "
      "excludes { permission_type: 'delegated' resource_application: "
      "'00000003-0000-0000-c000-000000000000' permissions: 'Calendars.Read' }");
  ExpectDecision(b, Interactive("api://payroll/Payroll.Read Calendars.Read", Bob()),
                 "outcome: ADMIN_APPROVAL_REQUIRED error: 'access_denied' error_code: 90093 "
                 "reason: 'policy'");
  // Payroll.Read alone is allowed by p1.
  ExpectDecision(b, Interactive("api://payroll/Payroll.Read", Bob()),
                 "outcome: CONSENT_PROMPT_USER prompt { scopes: 'api://payroll/Payroll.Read' }");
}

TEST(ReferenceExamples, Ex5RiskyAppE2N8) {
  v1::PolicyBundle b = Contoso();
  auto sketchy = [](const std::string& scope) {
    v1::TokenRequest r = Interactive(scope, Bob());
    r.set_client_id("app-sketchy");
    r.set_client_authenticated(false);
    return r;
  };
  ExpectDecision(b, sketchy("openid User.Read"),
                 "outcome: CONSENT_PROMPT_USER prompt { scopes: 'openid' scopes: 'User.Read' }");
  ExpectDecision(b, sketchy("openid User.Read Mail.Read"),
                 "outcome: ADMIN_APPROVAL_REQUIRED error: 'access_denied' error_code: 900941 "
                 "reason: 'risky'");
  b.mutable_consent_settings()->set_admin_consent_workflow_enabled(true);
  ExpectDecision(b, sketchy("openid User.Read Mail.Read"),
                 "outcome: ADMIN_APPROVAL_REQUIRED error: 'access_denied' error_code: 900981 "
                 "reason: 'risky' admin_consent_request_available: true");
  // E2: a silent grant from a foreign multi-tenant app without SP.
  v1::TokenRequest silent = sketchy("User.Read");
  silent.set_grant_type("refresh_token");
  ExpectDecision(b, silent, "outcome: INVALID error: 'unauthorized_client' error_code: 700016");
}

TEST(ReferenceExamples, Ex6DefaultP6N2N3) {
  const v1::PolicyBundle b = Contoso();
  ExpectDecision(b, Interactive("https://graph.microsoft.com/.default Mail.Read", Bob()),
                 "outcome: INVALID error: 'invalid_scope' error_code: 70011");
  ExpectDecision(b, Interactive("Calendars.Read api://payroll/.default", Bob()),
                 "outcome: INVALID error: 'invalid_scope' error_code: 70011");
  ExpectDecision(b, Interactive("openid offline_access api://payroll/.default", Bob()),
                 "outcome: CONSENT_PROMPT_USER prompt { scopes: 'offline_access' scopes: 'openid' "
                 "scopes: 'api://payroll/Payroll.Read' }");
}

TEST(ReferenceExamples, Ex7ClientCredentialsA1A5) {
  const v1::PolicyBundle b = Contoso();
  auto cc = [](const std::string& scope) {
    return Parse<v1::TokenRequest>(
        "tenant: 't-contoso' now: '2025-03-03T10:00:00Z' grant_type: 'client_credentials' "
        "client_id: 'app-expense' client_authenticated: true scope: '" + scope + "'");
  };
  ExpectDecision(b, cc("api://payroll/.default"),
                 "outcome: ISSUE token { aud: 'app-payroll' roles: 'Payroll.Sync' }");
  ExpectDecision(b, cc("api://payroll/Payroll.Sync"),
                 "outcome: INVALID error: 'invalid_scope' error_code: 1002012");
  ExpectDecision(b, cc("api://payroll/.default https://graph.microsoft.com/.default"),
                 "outcome: INVALID error: 'invalid_scope' error_code: 70011");
  v1::TokenRequest unauth = cc("api://payroll/.default");
  unauth.set_client_authenticated(false);
  ExpectDecision(b, unauth, "outcome: INVALID error: 'invalid_client' error_code: 7000218");
}

v1::TokenRequest Obo(const std::string& scope, const std::string& user, const std::string& aud,
                     const std::string& session) {
  return Parse<v1::TokenRequest>(
      "tenant: 't-contoso' now: '2025-03-03T10:00:00Z' grant_type: 'on_behalf_of' "
      "client_id: 'app-expense' client_authenticated: true scope: '" + scope + "' " + user +
      " assertion { kind: 'access_token' aud: '" + aud + "' tid: 't-contoso' subject_type: 'user' "
      "subject_id: 'alice' exp: '2025-03-03T11:00:00Z' session { " + session + " } }");
}

TEST(ReferenceExamples, Ex8OboO3E6O8S1S2) {
  v1::PolicyBundle b = Contoso();
  const std::string alice = Alice(Grant("app-expense", kPayroll, "Payroll.Read"));
  ExpectDecision(b, Obo("api://payroll/Payroll.Read", alice, "https://graph.microsoft.com", kMfaSession),
                 "outcome: INVALID error: 'invalid_grant' error_code: 50013");
  ExpectDecision(b, Obo("api://payroll/Payroll.Read", Bob(), "app-expense", kMfaSession),
                 "outcome: INVALID error: 'invalid_grant' error_code: 50013");
  AddCa(&b, "id: 'ca-ct-mfa-payroll' state: 'enabled' users { include_users: 'All' } "
            "applications { include_applications: 'app-payroll' } "
            "grant_controls { built_in_controls: 'mfa' }");
  ExpectDecision(
      b, Obo("api://payroll/Payroll.Read", alice, "app-expense", kPasswordSession),
      "outcome: STEP_UP_REQUIRED error: 'interaction_required' error_code: 50076 "
      "applied_policies: 'ca-ct-mfa-payroll' "
      "step_up { required: 'mfa' "
      "claims: '{\"access_token\":{\"capolids\":{\"essential\":true,\"values\":[\"ca-ct-mfa-payroll\"]}}}' "
      "middle_tier_challenge: 'Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/"
      "common/oauth2/authorize\", error=\"insufficient_claims\", claims=\""
      "eyJhY2Nlc3NfdG9rZW4iOnsiY2Fwb2xpZHMiOnsiZXNzZW50aWFsIjp0cnVlLCJ2YWx1ZXMiOlsiY2EtY3QtbWZhLXBheXJvbGwiXX19fQ==\"' }");
  // With MFA the OBO token is issued (no id_token on OBO).
  ExpectDecision(b, Obo("api://payroll/Payroll.Read", alice, "app-expense", kMfaSession),
                 "outcome: ISSUE applied_policies: 'ca-ct-mfa-payroll' token { aud: 'app-payroll' "
                 "scp: 'Payroll.Read' auth_time: '2025-03-03T09:00:00Z' }");
}

TEST(ReferenceExamples, Ex9AndOrBlockC4C6) {
  v1::PolicyBundle b = Contoso();
  const std::string device =
      "device { registered: true trust_type: 'AzureAD' is_compliant: true }";
  const std::string alice = Alice(Grant("app-expense", kPayroll, "Payroll.Read"));
  AddCa(&b, "id: 'P-or' state: 'enabled' users { include_users: 'All' } "
            "applications { include_applications: 'app-payroll' } "
            "grant_controls { operator: 'OR' built_in_controls: 'mfa' built_in_controls: 'compliantDevice' }");
  v1::PolicyBundle with_and = b;
  AddCa(&with_and, "id: 'P-and' state: 'enabled' users { include_users: 'All' } "
                   "applications { include_applications: 'app-payroll' } "
                   "grant_controls { operator: 'AND' built_in_controls: 'mfa' built_in_controls: 'domainJoinedDevice' }");
  v1::TokenRequest r = Interactive("api://payroll/Payroll.Read", alice);
  *r.mutable_session() = Parse<v1::Session>(std::string(kMfaSession) + " " + device);
  ExpectDecision(with_and, r,
                 "outcome: BLOCKED error: 'access_denied' error_code: 53001 "
                 "blocking_policies: 'P-and' applied_policies: 'P-and' applied_policies: 'P-or'");
  v1::PolicyBundle with_block = b;
  *with_block.add_named_locations() = Parse<v1::NamedLocation>("id: 'loc-xx' countries: 'XX'");
  AddCa(&with_block, "id: 'P-block' state: 'enabled' users { include_users: 'All' } "
                     "applications { include_applications: 'All' } "
                     "locations { include_locations: 'loc-xx' } "
                     "grant_controls { built_in_controls: 'block' }");
  r.mutable_session()->set_country("XX");
  ExpectDecision(with_block, r,
                 "outcome: BLOCKED error: 'access_denied' error_code: 53003 "
                 "blocking_policies: 'P-block' applied_policies: 'P-block' applied_policies: 'P-or'");
  r.mutable_session()->set_country("FR");
  ExpectDecision(with_block, r,
                 "outcome: ISSUE applied_policies: 'P-or' token { aud: 'app-payroll' "
                 "scp: 'Payroll.Read' auth_time: '2025-03-03T09:00:00Z' }");
}

TEST(ReferenceExamples, Ex10AuthContextC7S1S3) {
  v1::PolicyBundle b = Contoso();
  *b.add_authentication_contexts() = Parse<v1::AuthenticationContext>("id: 'c2' is_available: true");
  *b.add_authentication_contexts() = Parse<v1::AuthenticationContext>("id: 'c9' is_available: true");
  v1::PolicyBundle mfa_only = b;
  AddCa(&b, "id: 'ca-ct-c2' state: 'enabled' users { include_users: 'All' } "
            "applications { include_auth_contexts: 'c2' } "
            "grant_controls { built_in_controls: 'mfa' built_in_controls: 'compliantDevice' }");
  const std::string alice = Alice(Grant("app-expense", kPayroll, "Payroll.Read"));
  const std::string claims = "claims: '{\"access_token\":{\"acrs\":{\"essential\":true,\"value\":\"c2\"}}}'";
  ExpectDecision(b, Interactive("api://payroll/Payroll.Read", alice, claims),
                 "outcome: BLOCKED error: 'access_denied' error_code: 53000 "
                 "blocking_policies: 'ca-ct-c2' applied_policies: 'ca-ct-c2'");
  ExpectDecision(b, Interactive("api://payroll/Payroll.Read", alice, "acr_values: 'c2 c9'"),
                 "outcome: ISSUE applied_policies: 'ca-ct-c2' token { aud: 'app-payroll' "
                 "scp: 'Payroll.Read' acrs: 'c9' auth_time: '2025-03-03T09:00:00Z' }");
  AddCa(&mfa_only, "id: 'ca-ct-c2' state: 'enabled' users { include_users: 'All' } "
                   "applications { include_auth_contexts: 'c2' } "
                   "grant_controls { built_in_controls: 'mfa' }");
  v1::TokenRequest r = Interactive("api://payroll/Payroll.Read", alice, claims);
  *r.mutable_session() = Parse<v1::Session>(kPasswordSession);
  ExpectDecision(
      mfa_only, r,
      "outcome: STEP_UP_REQUIRED error: 'interaction_required' error_code: 50076 "
      "applied_policies: 'ca-ct-c2' step_up { required: 'mfa' "
      "claims: '{\"access_token\":{\"acrs\":{\"essential\":true,\"value\":\"c2\"}}}' "
      "rfc9470_challenge: 'Bearer error=\"insufficient_user_authentication\", "
      "error_description=\"\xE2\x80\xA6\", acr_values=\"c2\"' "
      "middle_tier_challenge: 'Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/"
      "common/oauth2/authorize\", error=\"insufficient_claims\", claims=\""
      "eyJhY2Nlc3NfdG9rZW4iOnsiYWNycyI6eyJlc3NlbnRpYWwiOnRydWUsInZhbHVlIjoiYzIifX19\"' }");
}

TEST(ReferenceExamples, Ex11SignInFrequencyC5S5) {
  v1::PolicyBundle b = Contoso();
  const v1::PolicyBundle no_policy = b;
  AddCa(&b, "id: 'ca-sif-payroll' state: 'enabled' users { include_users: 'All' } "
            "applications { include_applications: 'app-payroll' } "
            "session_controls { sign_in_frequency { value: 8 type: 'hours' } }");
  const std::string alice = Alice(Grant("app-expense", kPayroll, "Payroll.Read") + " " +
                                  Grant("app-mobile", kPayroll, "Payroll.Read"));
  const std::string stale = "auth_methods { method: 'password' at: '2025-03-03T01:00:00Z' }";
  v1::TokenRequest r = Interactive("api://payroll/Payroll.Read", alice);
  *r.mutable_session() = Parse<v1::Session>(stale);
  const std::string claims =
      "claims: '{\"access_token\":{\"capolids\":{\"essential\":true,\"values\":[\"ca-sif-payroll\"]}}}' "
      "rfc9470_challenge: 'Bearer error=\"insufficient_user_authentication\", "
      "error_description=\"\xE2\x80\xA6\", max_age=\"28800\"' "
      "middle_tier_challenge: 'Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/"
      "common/oauth2/authorize\", error=\"insufficient_claims\", claims=\""
      "eyJhY2Nlc3NfdG9rZW4iOnsiY2Fwb2xpZHMiOnsiZXNzZW50aWFsIjp0cnVlLCJ2YWx1ZXMiOlsiY2Etc2lmLXBheXJvbGwiXX19fQ==\"'";
  ExpectDecision(b, r,
                 "outcome: STEP_UP_REQUIRED error: 'login_required' applied_policies: 'ca-sif-payroll' "
                 "step_up { required: 'reauthentication' " + claims + " }");
  v1::TokenRequest refresh = r;
  refresh.set_grant_type("refresh_token");
  ExpectDecision(b, refresh,
                 "outcome: ISSUE applied_policies: 'ca-sif-payroll' token { aud: 'app-payroll' "
                 "scp: 'Payroll.Read' auth_time: '2025-03-03T01:00:00Z' }");
  refresh.set_client_id("app-mobile");
  refresh.set_client_authenticated(false);
  ExpectDecision(b, refresh,
                 "outcome: STEP_UP_REQUIRED error: 'invalid_grant' suberror: 'token_expired' "
                 "error_code: 70043 applied_policies: 'ca-sif-payroll' "
                 "step_up { required: 'reauthentication' " + claims + " }");
  v1::TokenRequest s5 = Interactive("api://payroll/Payroll.Read", alice, "max_age: '3600'");
  *s5.mutable_session() =
      Parse<v1::Session>("auth_methods { method: 'password' at: '2025-03-03T08:00:00Z' }");
  ExpectDecision(no_policy, s5,
                 "outcome: STEP_UP_REQUIRED error: 'login_required' "
                 "step_up { required: 'reauthentication' "
                 "rfc9470_challenge: 'Bearer error=\"insufficient_user_authentication\", "
                 "error_description=\"\xE2\x80\xA6\", max_age=\"3600\"' }");
}

TEST(ReferenceExamples, Ex12ReportOnlyC1C8) {
  v1::PolicyBundle b = Contoso();
  AddCa(&b, "id: 'ca-ro-block' state: 'enabledForReportingButNotEnforced' "
            "users { include_users: 'All' } applications { include_applications: 'All' } "
            "grant_controls { built_in_controls: 'block' }");
  ExpectDecision(b, Interactive("User.Read", Alice()),
                 "outcome: ISSUE report_only { id: 'ca-ro-block' result: 'failure' } "
                 "token { aud: '00000003-0000-0000-c000-000000000000' scp: 'User.Read' "
                 "auth_time: '2025-03-03T09:00:00Z' }");
}

TEST(ReferenceExamples, Ex13SeveralResourcesP2P7C2) {
  const v1::PolicyBundle b = Contoso();
  const std::string first = "offline_access Calendars.Read api://payroll/Payroll.Read";
  ExpectDecision(b, Interactive(first, Bob()),
                 "outcome: CONSENT_PROMPT_USER prompt { scopes: 'Calendars.Read' "
                 "scopes: 'offline_access' scopes: 'api://payroll/Payroll.Read' }");
  const std::string bob = Bob(Grant("app-expense", kGraph, "Calendars.Read offline_access") + " " +
                              Grant("app-expense", kPayroll, "Payroll.Read"));
  const std::string graph_token =
      "token { aud: '00000003-0000-0000-c000-000000000000' scp: 'Calendars.Read' "
      "scp: 'User.Read' auth_time: '2025-03-03T09:00:00Z'";
  ExpectDecision(b, Interactive(first, bob), "outcome: ISSUE " + graph_token + " refresh_token: true }");
  v1::TokenRequest refresh = Interactive("Calendars.Read api://payroll/Payroll.Read", bob);
  refresh.set_grant_type("refresh_token");
  ExpectDecision(b, refresh, "outcome: ISSUE " + graph_token + " }");
  refresh.set_scope("");
  refresh.set_refresh_token_scope(first);
  ExpectDecision(b, refresh, "outcome: ISSUE " + graph_token + " refresh_token: true }");
  refresh.set_scope("api://payroll/Payroll.Read");
  ExpectDecision(b, refresh,
                 "outcome: ISSUE token { aud: 'app-payroll' scp: 'Payroll.Read' "
                 "auth_time: '2025-03-03T09:00:00Z' }");
  ExpectDecision(b, Obo("Calendars.Read api://payroll/Payroll.Read", Alice(), "app-expense", kMfaSession),
                 "outcome: INVALID error: 'invalid_scope' error_code: 700022");
}

// §3.10 recording, on the examples' prompts.
void ExpectRecord(const v1::PolicyBundle& b, const std::string& request_text,
                  const std::string& expected_status, const std::string& expected_result) {
  const v1::RecordConsentRequest rc = Parse<v1::RecordConsentRequest>(request_text);
  const RecordOutcome out = RecordConsent(b, rc);
  EXPECT_EQ(out.status, expected_status) << request_text;
  const v1::RecordConsentResult want = Parse<v1::RecordConsentResult>(expected_result);
  EXPECT_EQ(out.result.ShortDebugString(), want.ShortDebugString()) << request_text;
}

TEST(ReferenceRecording, R1AcceptedUserPromptEx1) {
  const v1::PolicyBundle b = Contoso();
  const v1::TokenRequest r = Interactive("user.read Calendars.Read", Alice());
  ExpectRecord(b, "kind: 'user_prompt' request { " + r.ShortDebugString() + " }", "",
               "grants { client_app_id: 'app-expense' resource_app_id: "
               "'00000003-0000-0000-c000-000000000000' consent_type: 'Principal' "
               "principal_id: 'alice' scope: 'Calendars.Read' }");
  // Not a user prompt: nothing to accept.
  ExpectRecord(b, "kind: 'admin_prompt' request { " + r.ShortDebugString() + " }",
               "FailedPrecondition", "");
}

TEST(ReferenceRecording, R1CreatesForeignClientSpEx5) {
  v1::TokenRequest r = Interactive("openid User.Read", Bob(Grant("app-sketchy", kGraph, "email")));
  r.set_client_id("app-sketchy");
  ExpectRecord(Contoso(), "kind: 'user_prompt' request { " + r.ShortDebugString() + " }", "",
               "grants { client_app_id: 'app-sketchy' resource_app_id: "
               "'00000003-0000-0000-c000-000000000000' consent_type: 'Principal' "
               "principal_id: 'bob' scope: 'email openid User.Read' } "
               "create_service_principals: 'app-sketchy'");
}

TEST(ReferenceRecording, R2AdminPromptEx3) {
  const v1::PolicyBundle b = Contoso();
  const v1::TokenRequest r = Interactive("Group.Read.All", Ravi());
  ExpectRecord(b, "kind: 'admin_prompt' org_wide: true request { " + r.ShortDebugString() + " }", "",
               "grants { client_app_id: 'app-expense' resource_app_id: "
               "'00000003-0000-0000-c000-000000000000' consent_type: 'AllPrincipals' "
               "scope: 'Group.Read.All User.Read' }");
  ExpectRecord(b, "kind: 'admin_prompt' request { " + r.ShortDebugString() + " }", "",
               "grants { client_app_id: 'app-expense' resource_app_id: "
               "'00000003-0000-0000-c000-000000000000' consent_type: 'Principal' "
               "principal_id: 'ravi' scope: 'Group.Read.All' }");
}

TEST(ReferenceRecording, R3AdminGrantAuthority) {
  const v1::PolicyBundle b = Contoso();
  // Application Administrator: delegated and non-Graph app roles (§4).
  ExpectRecord(b,
               "kind: 'admin_grant' actor { id: 'ravi' roles: 'Application Administrator' } "
               "client_app_id: 'app-mobile' delegated: 'api://payroll/Payroll.Approve' "
               "app_roles { resource_app_id: 'app-payroll' value: 'Payroll.Sync' }",
               "",
               "grants { client_app_id: 'app-mobile' resource_app_id: 'app-payroll' "
               "consent_type: 'AllPrincipals' scope: 'Payroll.Approve' } "
               "app_role_assignments { client_app_id: 'app-mobile' resource_app_id: 'app-payroll' "
               "app_role_id: 'role-payroll-sync' }");
  ExpectRecord(b, "kind: 'admin_grant' actor { id: 'alice' } client_app_id: 'app-mobile' "
                  "delegated: 'User.Read'",
               "PermissionDenied", "");
  ExpectRecord(b, "kind: 'admin_grant' actor { id: 'ravi' roles: 'Global Administrator' } "
                  "client_app_id: 'app-mobile' delegated: 'api://payroll/Nope'",
               "InvalidArgument", "");
}

// Rules beyond the worked examples, one case each (table-driven).
struct RuleCase {
  const char* name;
  const char* request_extra;  // appended to an interactive request from Alice
  const char* scope;
  const char* expected;
};

TEST(ReferenceRules, ValidityAndDirectory) {
  const v1::PolicyBundle b = Contoso();
  const RuleCase cases[] = {
      {"V3 bad prompt", "prompt: 'none consent'", "User.Read",
       "outcome: INVALID error: 'invalid_request' error_code: 90100"},
      {"V4 claims not an object", "claims: '[1]'", "User.Read",
       "outcome: INVALID error: 'invalid_request' error_code: 90100"},
      {"V4 acr_values outside c1..c99", "acr_values: 'c100'", "User.Read",
       "outcome: INVALID error: 'invalid_request' error_code: 90100"},
      {"V4 max_age not an integer", "max_age: '-1'", "User.Read",
       "outcome: INVALID error: 'invalid_request' error_code: 90100"},
      {"P1 bad byte", "", "User.Read\\\\", "outcome: INVALID error: 'invalid_scope' error_code: 70011"},
      {"P2 no token", "", "   ", "outcome: INVALID error: 'invalid_request' error_code: 900144"},
      {"P3 empty side", "", "api://payroll/", "outcome: INVALID error: 'invalid_scope' error_code: 70011"},
      {"E5 before P9", "", "Foo.Bar api://unknown/x",
       "outcome: INVALID error: 'invalid_resource' error_code: 500011"},
      {"P9 unknown value", "", "Foo.Bar", "outcome: INVALID error: 'invalid_client' error_code: 650053"},
      {"V5 declined", "consent_response: 'declined'", "User.Read",
       "outcome: CONSENT_DECLINED error: 'access_denied' error_code: 65004"},
      {"session bad method", "session { auth_methods { method: 'carrierPigeon' at: '2025-03-03T09:00:00Z' } }",
       "User.Read", "outcome: INVALID error: 'invalid_request' error_code: 90100"},
  };
  for (const RuleCase& c : cases) {
    SCOPED_TRACE(c.name);
    v1::TokenRequest r = Interactive(c.scope, Alice());
    v1::TokenRequest extra = Parse<v1::TokenRequest>(c.request_extra);
    if (extra.has_session()) r.clear_session();
    r.MergeFrom(extra);
    ExpectDecision(b, r, c.expected);
  }
}

TEST(ReferenceRules, UnknownGrantTypeAndTenant) {
  const v1::PolicyBundle b = Contoso();
  v1::TokenRequest r = Interactive("User.Read", Alice());
  r.set_grant_type("password");
  ExpectDecision(b, r, "outcome: INVALID error: 'unsupported_grant_type' error_code: 70003");
  r = Interactive("User.Read", Alice());
  r.set_tenant("t-other");
  ExpectDecision(b, r, "outcome: INVALID error: 'invalid_request' error_code: 90002");
  r = Interactive("User.Read", Alice("exists: false"));
  ExpectDecision(b, r, "outcome: DENIED error: 'access_denied' error_code: 50034");
}

}  // namespace
}  // namespace reference
}  // namespace consent
