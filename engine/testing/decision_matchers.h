// gMock matchers over consent::v1::Decision, for embedders' tests (test-only;
// issue 6). Lists follow SPEC 3.1: `scp`, `roles`, policy lists are sorted by
// the engine, so these matchers compare them as sets; prompt scopes have a
// defined order and are compared in order.
//
// Example:
//   consent::v1::Decision d = policy->Evaluate(request);
//   EXPECT_THAT(d, IsIssuedWithScopes({"Calendars.Read", "User.Read"}));
//   EXPECT_THAT(d, PromptsUserFor({"Calendars.Read"}));
//   EXPECT_THAT(d, IsBlockedBy({"P-and"}));
//   EXPECT_THAT(d, AllOf(RequiresStepUp({"mfa"}), HasError("interaction_required", 50076)));
//
// On a mismatch the matchers print the decision's outcome, error, code and
// the relevant list, and the explanation's rules.
#ifndef CONSENT_ENGINE_TESTING_DECISION_MATCHERS_H_
#define CONSENT_ENGINE_TESTING_DECISION_MATCHERS_H_

#include <ostream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "proto/decision.pb.h"

namespace consent::testing {

namespace v1 = ::consent::v1;

// "ISSUE (rules: T1)" or "INVALID invalid_scope 70011 (rules: P6)".
std::string DescribeDecision(const v1::Decision& decision);

namespace matchers_internal {

// Whether `actual` holds exactly `expected`, in order or as a multiset.
bool SameStrings(const google::protobuf::RepeatedPtrField<std::string>& actual,
                 const std::vector<std::string>& expected, bool ordered);
std::string Join(const google::protobuf::RepeatedPtrField<std::string>& list);
std::string Join(const std::vector<std::string>& list);

}  // namespace matchers_internal

// The decision's outcome is `outcome`.
MATCHER_P(HasOutcome, outcome,
          std::string(negation ? "doesn't have" : "has") + " outcome " +
              v1::Outcome_Name(outcome)) {
  *result_listener << "the decision is " << DescribeDecision(arg);
  return arg.outcome() == outcome;
}

// ISSUE.
MATCHER(IsIssued, std::string(negation ? "isn't" : "is") + " issued") {
  *result_listener << "the decision is " << DescribeDecision(arg);
  return arg.outcome() == v1::ISSUE;
}

// ISSUE and token.scp holds exactly `scopes` (any order).
MATCHER_P(IsIssuedWithScopes, scopes,
          std::string(negation ? "isn't" : "is") + " issued with scp [" +
              matchers_internal::Join(std::vector<std::string>(scopes)) + "]") {
  *result_listener << "the decision is " << DescribeDecision(arg)
                   << ", scp [" << matchers_internal::Join(arg.token().scp())
                   << "]";
  return arg.outcome() == v1::ISSUE &&
         matchers_internal::SameStrings(arg.token().scp(),
                                        std::vector<std::string>(scopes), false);
}

// ISSUE and token.roles holds exactly `roles` (any order).
MATCHER_P(IsIssuedWithRoles, roles,
          std::string(negation ? "isn't" : "is") + " issued with roles [" +
              matchers_internal::Join(std::vector<std::string>(roles)) + "]") {
  *result_listener << "the decision is " << DescribeDecision(arg)
                   << ", roles [" << matchers_internal::Join(arg.token().roles())
                   << "]";
  return arg.outcome() == v1::ISSUE &&
         matchers_internal::SameStrings(arg.token().roles(),
                                        std::vector<std::string>(roles), false);
}

// CONSENT_PROMPT_USER or CONSENT_PROMPT_ADMIN listing exactly `scopes`, in
// SPEC 3.1's order.
MATCHER_P(PromptsFor, scopes,
          std::string(negation ? "doesn't prompt" : "prompts") + " for [" +
              matchers_internal::Join(std::vector<std::string>(scopes)) + "]") {
  *result_listener << "the decision is " << DescribeDecision(arg)
                   << ", prompt [" << matchers_internal::Join(arg.prompt().scopes())
                   << "]";
  return (arg.outcome() == v1::CONSENT_PROMPT_USER ||
          arg.outcome() == v1::CONSENT_PROMPT_ADMIN) &&
         matchers_internal::SameStrings(arg.prompt().scopes(),
                                        std::vector<std::string>(scopes), true);
}

// CONSENT_PROMPT_USER (no org-wide option) for exactly `scopes`, in order.
MATCHER_P(PromptsUserFor, scopes,
          std::string(negation ? "doesn't prompt" : "prompts") +
              " the user for [" +
              matchers_internal::Join(std::vector<std::string>(scopes)) + "]") {
  *result_listener << "the decision is " << DescribeDecision(arg)
                   << ", prompt [" << matchers_internal::Join(arg.prompt().scopes())
                   << "]";
  return arg.outcome() == v1::CONSENT_PROMPT_USER &&
         !arg.prompt().org_wide_option() &&
         matchers_internal::SameStrings(arg.prompt().scopes(),
                                        std::vector<std::string>(scopes), true);
}

// CONSENT_PROMPT_ADMIN with the org-wide option, for exactly `scopes`.
MATCHER_P(PromptsAdminFor, scopes,
          std::string(negation ? "doesn't prompt" : "prompts") +
              " an admin (org-wide) for [" +
              matchers_internal::Join(std::vector<std::string>(scopes)) + "]") {
  *result_listener << "the decision is " << DescribeDecision(arg)
                   << ", prompt [" << matchers_internal::Join(arg.prompt().scopes())
                   << "], org_wide_option "
                   << (arg.prompt().org_wide_option() ? "true" : "false");
  return arg.outcome() == v1::CONSENT_PROMPT_ADMIN &&
         arg.prompt().org_wide_option() &&
         matchers_internal::SameStrings(arg.prompt().scopes(),
                                        std::vector<std::string>(scopes), true);
}

// BLOCKED with blocking_policies exactly `policies` (any order).
MATCHER_P(IsBlockedBy, policies,
          std::string(negation ? "isn't" : "is") + " blocked by [" +
              matchers_internal::Join(std::vector<std::string>(policies)) + "]") {
  *result_listener << "the decision is " << DescribeDecision(arg)
                   << ", blocking_policies ["
                   << matchers_internal::Join(arg.blocking_policies()) << "]";
  return arg.outcome() == v1::BLOCKED &&
         matchers_internal::SameStrings(arg.blocking_policies(),
                                        std::vector<std::string>(policies), false);
}

// STEP_UP_REQUIRED with step_up.required exactly `required`, in order.
MATCHER_P(RequiresStepUp, required,
          std::string(negation ? "doesn't require" : "requires") +
              " a step-up for [" +
              matchers_internal::Join(std::vector<std::string>(required)) + "]") {
  *result_listener << "the decision is " << DescribeDecision(arg)
                   << ", required [" << matchers_internal::Join(arg.step_up().required())
                   << "]";
  return arg.outcome() == v1::STEP_UP_REQUIRED &&
         matchers_internal::SameStrings(arg.step_up().required(),
                                        std::vector<std::string>(required), true);
}

// applied_policies exactly `policies` (any order), whatever the outcome.
MATCHER_P(HasAppliedPolicies, policies,
          std::string(negation ? "doesn't apply" : "applies") + " [" +
              matchers_internal::Join(std::vector<std::string>(policies)) + "]") {
  *result_listener << "applied_policies ["
                   << matchers_internal::Join(arg.applied_policies()) << "]";
  return matchers_internal::SameStrings(arg.applied_policies(),
                                        std::vector<std::string>(policies), false);
}

// A report-only entry {id, result} (C8); ids compare ASCII case-insensitively.
MATCHER_P2(HasReportOnly, id, result,
           std::string(negation ? "doesn't report" : "reports") + " " +
               std::string(id) + "=" + std::string(result)) {
  std::string seen;
  bool found = false;
  for (const v1::ReportOnlyResult& r : arg.report_only()) {
    seen += (seen.empty() ? "" : " ") + r.id() + "=" + r.result();
    if (::testing::internal::CaseInsensitiveCStringEquals(
            r.id().c_str(), std::string(id).c_str()) &&
        r.result() == std::string(result)) {
      found = true;
    }
  }
  *result_listener << "report_only [" << seen << "]";
  return found;
}

// error_code (AADSTS number) is `code`.
MATCHER_P(HasError, code,
          std::string(negation ? "doesn't have" : "has") + " AADSTS " +
              ::testing::PrintToString(code)) {
  *result_listener << "the decision is " << DescribeDecision(arg);
  return arg.error_code() == code;
}

// error is `error` and error_code is `code`.
MATCHER_P2(HasOAuthError, error, code,
           std::string(negation ? "doesn't have" : "has") + " error " +
               std::string(error) + " " + ::testing::PrintToString(code)) {
  *result_listener << "the decision is " << DescribeDecision(arg);
  return arg.error() == std::string(error) && arg.error_code() == code;
}

}  // namespace consent::testing

#endif  // CONSENT_ENGINE_TESTING_DECISION_MATCHERS_H_
