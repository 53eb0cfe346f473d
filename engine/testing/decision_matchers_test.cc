#include "engine/testing/decision_matchers.h"

#include <string>
#include <vector>

#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace consent::testing {
namespace {

using ::testing::AllOf;
using ::testing::Not;
using V = std::vector<std::string>;

v1::Decision Parse(const std::string& text) {
  v1::Decision d;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &d)) << text;
  return d;
}

// Explanation printed on a mismatch.
template <typename M>
std::string Explain(const M& matcher, const v1::Decision& d) {
  ::testing::StringMatchResultListener listener;
  ::testing::Matcher<const v1::Decision&> m = matcher;
  m.MatchAndExplain(d, &listener);
  return listener.str();
}

// SPEC example 1 after R1 / 2.
const v1::Decision kIssued = Parse(R"pb(
  outcome: ISSUE
  token { aud: "00000003-0000-0000-c000-000000000000" scp: "Calendars.Read" scp: "User.Read" }
  explanation { rules: "T1" })pb");

TEST(DecisionMatchersTest, IssuedWithScopes) {
  EXPECT_THAT(kIssued, IsIssued());
  EXPECT_THAT(kIssued, IsIssuedWithScopes(V{"User.Read", "Calendars.Read"}));
  EXPECT_THAT(kIssued, Not(IsIssuedWithScopes(V{"User.Read"})));
  EXPECT_THAT(kIssued, Not(IsIssuedWithScopes(V{"User.Read", "Calendars.Read", "Mail.Read"})));
  EXPECT_THAT(kIssued, Not(IsIssuedWithRoles(V{"Payroll.Sync"})));
  EXPECT_THAT(kIssued, IsIssuedWithRoles(V{}));
  EXPECT_EQ(Explain(IsIssuedWithScopes(V{"User.Read"}), kIssued),
            "the decision is ISSUE (rules: T1), scp [Calendars.Read User.Read]");
}

TEST(DecisionMatchersTest, Prompts) {
  // SPEC example 6: order of the prompt matters.
  v1::Decision d = Parse(R"pb(
    outcome: CONSENT_PROMPT_USER
    prompt { scopes: "offline_access" scopes: "openid" scopes: "api://payroll/Payroll.Read" })pb");
  V scopes = {"offline_access", "openid", "api://payroll/Payroll.Read"};
  EXPECT_THAT(d, PromptsFor(scopes));
  EXPECT_THAT(d, PromptsUserFor(scopes));
  EXPECT_THAT(d, Not(PromptsAdminFor(scopes)));
  EXPECT_THAT(d, Not(PromptsFor(V{"openid", "offline_access", "api://payroll/Payroll.Read"})));
  EXPECT_THAT(kIssued, Not(PromptsFor(V{})));
  v1::Decision admin = Parse(R"pb(
    outcome: CONSENT_PROMPT_ADMIN prompt { scopes: "Group.Read.All" org_wide_option: true })pb");
  EXPECT_THAT(admin, PromptsAdminFor(V{"Group.Read.All"}));
  EXPECT_THAT(admin, Not(PromptsUserFor(V{"Group.Read.All"})));
}

TEST(DecisionMatchersTest, BlockedStepUpErrors) {
  // SPEC example 9.
  v1::Decision blocked = Parse(R"pb(
    outcome: BLOCKED error: "access_denied" error_code: 53001
    blocking_policies: "P-and" applied_policies: "P-and" applied_policies: "P-or")pb");
  EXPECT_THAT(blocked, AllOf(IsBlockedBy(V{"P-and"}), HasError(53001),
                             HasOAuthError("access_denied", 53001),
                             HasAppliedPolicies(V{"P-or", "P-and"})));
  EXPECT_THAT(blocked, Not(IsBlockedBy(V{"P-block"})));
  EXPECT_THAT(blocked, Not(HasError(53003)));
  EXPECT_THAT(blocked, Not(HasOAuthError("invalid_grant", 53001)));
  EXPECT_EQ(Explain(IsBlockedBy(V{"P-block"}), blocked),
            "the decision is BLOCKED access_denied 53001, blocking_policies [P-and]");
  // SPEC example 8.
  v1::Decision step_up = Parse(R"pb(
    outcome: STEP_UP_REQUIRED error: "interaction_required" error_code: 50076
    step_up { required: "mfa" })pb");
  EXPECT_THAT(step_up, AllOf(RequiresStepUp(V{"mfa"}), HasOutcome(v1::STEP_UP_REQUIRED)));
  EXPECT_THAT(step_up, Not(RequiresStepUp(V{"reauthentication", "mfa"})));
  EXPECT_THAT(step_up, Not(HasOutcome(v1::ISSUE)));
}

TEST(DecisionMatchersTest, ReportOnly) {
  // SPEC example 12.
  v1::Decision d = Parse(R"pb(outcome: ISSUE report_only { id: "ca-ro-block" result: "failure" })pb");
  EXPECT_THAT(d, HasReportOnly("CA-RO-BLOCK", "failure"));
  EXPECT_THAT(d, Not(HasReportOnly("ca-ro-block", "success")));
  EXPECT_THAT(d, HasAppliedPolicies(V{}));
}

TEST(DecisionMatchersTest, Descriptions) {
  EXPECT_EQ(::testing::DescribeMatcher<const v1::Decision&>(PromptsUserFor(V{"a", "b"})),
            "prompts the user for [a b]");
  EXPECT_EQ(::testing::DescribeMatcher<const v1::Decision&>(IsBlockedBy(V{"p"}), true),
            "isn't blocked by [p]");
  EXPECT_EQ(DescribeDecision(Parse(R"pb(outcome: STEP_UP_REQUIRED error: "invalid_grant"
                                        error_code: 70043 suberror: "token_expired")pb")),
            "STEP_UP_REQUIRED invalid_grant 70043 (token_expired)");
}

}  // namespace
}  // namespace consent::testing
