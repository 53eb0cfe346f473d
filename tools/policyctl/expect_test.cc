#include "tools/policyctl/expect.h"

#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace consent::policyctl {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

template <typename T>
T Parse(const std::string& text) {
  T message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message)) << text;
  return message;
}

// SPEC example 10, third variant: a step-up with an RFC 9470 challenge.
constexpr char kStepUp[] = R"pb(
  outcome: STEP_UP_REQUIRED
  error: "interaction_required"
  error_code: 50076
  step_up {
    required: "mfa"
    claims: "{\"access_token\":{\"acrs\":{\"essential\":true,\"value\":\"c2\"}}}"
    rfc9470_challenge: "Bearer error=\"insufficient_user_authentication\", error_description=\"A stronger sign-in is required\", acr_values=\"c2\""
  }
  applied_policies: "ca-ct-c2"
  explanation { rules: "C7" rules: "C6" unmet_controls: "ca-ct-c2: mfa" }
)pb";

struct Row {
  const char* name;
  const char* expect;     // textproto of Expect
  const char* decision;   // textproto of Decision
  std::vector<std::string> differing_fields;
};

class CompareDecisionTest : public testing::TestWithParam<Row> {};

TEST_P(CompareDecisionTest, ComparesOnlyStatedFields) {
  std::vector<Mismatch> diff =
      CompareDecision(Parse<v1::Expect>(GetParam().expect),
                      Parse<v1::Decision>(GetParam().decision));
  std::vector<std::string> fields;
  for (const Mismatch& m : diff) fields.push_back(m.field);
  EXPECT_EQ(fields, GetParam().differing_fields) << FormatMismatches(diff);
}

INSTANTIATE_TEST_SUITE_P(
    Rows, CompareDecisionTest,
    testing::Values(
        Row{"NothingStatedButOutcome", "outcome: STEP_UP_REQUIRED", kStepUp, {}},
        Row{"WrongOutcome", "outcome: ISSUE", kStepUp, {"outcome"}},
        Row{"FullMatchWithEllipsis",
            R"pb(outcome: STEP_UP_REQUIRED error: "interaction_required" error_code: 50076
                 required: "mfa"
                 claims: "{\"access_token\":{\"acrs\":{\"essential\":true,\"value\":\"c2\"}}}"
                 rfc9470_challenge: "Bearer error=\"insufficient_user_authentication\", error_description=\"…\", acr_values=\"c2\""
                 applied_policies: "ca-ct-c2" blocking_policies: "")pb",
            kStepUp,
            {}},
        Row{"ChallengeParameterDiffers",
            R"pb(rfc9470_challenge: "Bearer error=\"insufficient_user_authentication\", error_description=\"…\", max_age=\"3600\"")pb",
            kStepUp,
            {"step_up.rfc9470_challenge"}},
        Row{"StatedEmptyIsCompared", R"pb(claims: "" suberror: "")pb", kStepUp,
            {"step_up.claims"}},
        Row{"ErrorCodeZeroStated", "error_code: 0", kStepUp, {"error_code"}},
        Row{"ListOrderMatters",
            R"pb(scp: "User.Read Calendars.Read")pb",
            R"pb(outcome: ISSUE token { scp: "Calendars.Read" scp: "User.Read" })pb",
            {"token.scp"}},
        Row{"ListWhitespaceIsFree",
            "scp: \"  Calendars.Read\\n  User.Read \" refresh_token: false id_token: true",
            R"pb(outcome: ISSUE token { scp: "Calendars.Read" scp: "User.Read" id_token: true })pb",
            {}},
        Row{"PromptAndWorkflow",
            R"pb(prompt_scopes: "offline_access openid api://payroll/Payroll.Read" org_wide_option: false admin_consent_request_available: true)pb",
            R"pb(outcome: CONSENT_PROMPT_USER prompt { scopes: "offline_access" scopes: "openid" scopes: "api://payroll/Payroll.Read" })pb",
            {"admin_consent_request_available"}},
        Row{"RequiredAnyAndReportOnly",
            R"pb(required_any: "mfa | compliantDevice  custom:x" report_only: "a=failure b=success")pb",
            R"pb(step_up { required_any { items: "mfa" } required_any { items: "compliantDevice" items: "custom:x" } }
                 report_only { id: "a" result: "failure" } report_only { id: "b" result: "notApplied" })pb",
            {"report_only"}},
        Row{"ExplanationIncludes",
            R"pb(explains_rules: "c6 C7" explains_deferred_policies: "ca-sif")pb",
            kStepUp,
            {"explanation.deferred_policies"}}),
    [](const testing::TestParamInfo<Row>& info) { return info.param.name; });

TEST(ExpectTest, MismatchShowsBothSides) {
  std::vector<Mismatch> diff = CompareDecision(
      Parse<v1::Expect>("outcome: BLOCKED error_code: 53001 blocking_policies: \"P-and\""),
      Parse<v1::Decision>(kStepUp));
  ASSERT_EQ(diff.size(), 3u);
  EXPECT_EQ(diff[0].expected, "BLOCKED");
  EXPECT_EQ(diff[0].actual, "STEP_UP_REQUIRED");
  EXPECT_EQ(diff[2].actual, "(empty)");
  std::string table = FormatMismatches(diff);
  EXPECT_THAT(table, HasSubstr("error_code         expected: 53001"));
  EXPECT_THAT(table, HasSubstr("actual:   50076"));
}

TEST(ExpectTest, NormalizeChallenge) {
  EXPECT_EQ(NormalizeChallenge(
                "Bearer error=\"x\", error_description=\"a \\\"q\\\" b\", max_age=\"5\""),
            "Bearer error=\"x\", error_description=\"…\", max_age=\"5\"");
  EXPECT_EQ(NormalizeChallenge("Bearer realm=\"\""), "Bearer realm=\"\"");
  EXPECT_EQ(NormalizeChallenge("error_description=\"unterminated"),
            "error_description=\"…");
}

TEST(ExpectTest, CompareAccess) {
  v1::ResourceAccessResult r = Parse<v1::ResourceAccessResult>(
      R"pb(http_status: 401 www_authenticate: "Bearer error=\"insufficient_user_authentication\", error_description=\"too old\", max_age=\"3600\"")pb");
  v1::ExpectAccess e = Parse<v1::ExpectAccess>(
      R"pb(allow: false http_status: 401 www_authenticate: "Bearer error=\"insufficient_user_authentication\", error_description=\"…\", max_age=\"3600\"")pb");
  EXPECT_THAT(CompareAccess(e, r), IsEmpty());
  e.set_http_status(403);
  EXPECT_THAT(CompareAccess(e, r), ElementsAre(Field(&Mismatch::field, "http_status")));
  e = Parse<v1::ExpectAccess>("allow: true compare_www_authenticate: true");
  EXPECT_EQ(CompareAccess(e, r).size(), 2u);
}

TEST(ExpectTest, FormatDecisionAndExplanation) {
  v1::Decision d = Parse<v1::Decision>(kStepUp);
  std::string text = FormatDecision(d, "  ");
  EXPECT_THAT(text, HasSubstr("  outcome: STEP_UP_REQUIRED\n"));
  EXPECT_THAT(text, HasSubstr("  step_up.required: mfa\n"));
  EXPECT_THAT(text, testing::Not(HasSubstr("token.")));
  EXPECT_EQ(FormatExplanation(d.explanation(), "> "),
            "> rules: C7, C6\n> unmet_controls: ca-ct-c2: mfa\n");
}

}  // namespace
}  // namespace consent::policyctl
