#include "tools/policyctl/coverage.h"

#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace consent::policyctl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

template <typename T>
T Parse(const std::string& text) {
  T message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message)) << text;
  return message;
}

constexpr char kBundle[] = R"pb(
  permission_grant_policies {
    id: "p1"
    includes { permission_type: "delegated" permission_classification: "low" }
    excludes { permission_type: "delegated" permissions: "Calendars.Read" }
  }
  permission_grant_policies { id: "p2" includes { permission_type: "delegated" } }
  conditional_access_policies {
    id: "P-or" state: "enabled"
    grant_controls { operator: "OR" built_in_controls: "compliantDevice" built_in_controls: "mfa" }
  }
  conditional_access_policies {
    id: "P-sif" state: "enabled"
    session_controls { sign_in_frequency { value: 8 type: "hours" } }
  }
  conditional_access_policies { id: "P-off" state: "disabled" grant_controls { built_in_controls: "block" } }
  conditional_access_policies {
    id: "P-ro" state: "enabledForReportingButNotEnforced"
    grant_controls { built_in_controls: "block" }
  }
)pb";

TEST(CoverageTest, GrantControlIdsInC4Order) {
  auto p = Parse<v1::ConditionalAccessPolicy>(R"pb(
    grant_controls {
      built_in_controls: "passwordChange" built_in_controls: "compliantDevice"
      authentication_strength: "phishingResistant"
      terms_of_use: "tou1" custom_factors: "duo"
    }
    session_controls { sign_in_frequency { every_time: true } })pb");
  EXPECT_THAT(GrantControlIds(p),
              ElementsAre("authenticationStrength:phishingResistant", "compliantDevice",
                          "passwordChange", "termsOfUse:tou1", "custom:duo",
                          "signInFrequency"));
}

TEST(CoverageTest, ItemsAndObservations) {
  auto bundle = Parse<v1::PolicyBundle>(kBundle);
  Coverage cov;
  cov.AddBundle("b", bundle);
  const BundleCoverage& c = cov.bundles().at("b");
  // p1, 2 sets, p2, 1 set, P-or + 2 controls, P-sif + SIF, P-ro + block;
  // P-off is disabled (C1) and not counted.
  EXPECT_EQ(c.items.size(), 12u);
  EXPECT_EQ(cov.Percent("b"), 0.0);

  cov.Observe("b", bundle, Parse<v1::Decision>(R"pb(
    outcome: CONSENT_PROMPT_USER
    explanation { rules: "N5b" grant_policies: "P1" condition_sets: "p1/includes[0]" condition_sets: "p1/excludes[0]" })pb"));
  cov.Observe("b", bundle, Parse<v1::Decision>(R"pb(
    outcome: STEP_UP_REQUIRED
    applied_policies: "P-or"
    report_only { id: "P-ro" result: "notApplied" }
    explanation { rules: "C6" unmet_controls: "P-or: compliantDevice" unmet_controls: "P-or: mfa" deferred_policies: "P-sif" })pb"));
  // 5 exercised: p1, its 2 sets, P-or, its 2 controls (unmet), P-sif and its SIF (deferred).
  int exercised = 0;
  for (const CoverageItem& item : c.items) exercised += item.exercised;
  EXPECT_EQ(exercised, 8);
  std::string report = cov.Report();
  EXPECT_THAT(report, HasSubstr("coverage b: 8/12 items exercised (66.7%) by 2 decisions"));
  EXPECT_THAT(report, HasSubstr("permission grant policies 1/2, condition sets 2/3, CA policies 2/3, grant controls 3/4"));
  EXPECT_THAT(report, HasSubstr("    grant_policy p2\n"));
  EXPECT_THAT(report, HasSubstr("    ca_policy P-ro\n"));
  EXPECT_THAT(report, HasSubstr("    grant_control P-ro/block\n"));
  EXPECT_THAT(report, Not(HasSubstr("P-off")));
  EXPECT_THAT(report, HasSubstr("SPEC rules that decided: C6 N5b"));

  // A satisfied, applied policy: controls seen met, not unmet.
  cov.Observe("b", bundle, Parse<v1::Decision>(R"pb(
    outcome: BLOCKED applied_policies: "P-or" blocking_policies: "P-ro"
    report_only { id: "P-ro" result: "failure" })pb"));
  EXPECT_THAT(cov.Report(), HasSubstr("10/12 items"));  // p2 never used
}

TEST(CoverageTest, MetOnlyControlsAreListed) {
  auto bundle = Parse<v1::PolicyBundle>(kBundle);
  Coverage cov;
  cov.AddBundle("b", bundle);
  cov.Observe("b", bundle, Parse<v1::Decision>(R"pb(outcome: ISSUE applied_policies: "p-or")pb"));
  EXPECT_THAT(cov.Report(),
              HasSubstr("grant controls never seen unmet (no case shows they matter):\n"
                        "    P-or/mfa\n    P-or/compliantDevice\n"));
}

TEST(CoverageTest, EmptyBundleIsFullyCovered) {
  Coverage cov;
  cov.AddBundle("e", v1::PolicyBundle());
  EXPECT_EQ(cov.Percent("e"), 100.0);
  EXPECT_EQ(cov.Percent("unknown"), 100.0);
}

}  // namespace
}  // namespace consent::policyctl

namespace consent::policyctl {
namespace {

TEST(CoverageTest, UnreportedConditionSetsAreNotCountedAsMisses) {
  auto bundle = Parse<v1::PolicyBundle>(kBundle);
  Coverage cov;
  cov.AddBundle("b", bundle);
  cov.Observe("b", bundle, Parse<v1::Decision>(R"pb(
    outcome: ISSUE explanation { grant_policies: "p1" grant_policies: "p2" }
    report_only { id: "P-ro" result: "success" })pb"));
  std::string report = cov.Report();
  // 9 counted items (3 condition sets left out): p1, p2, P-ro, P-ro/block.
  EXPECT_THAT(report, HasSubstr("coverage b: 4/9 items exercised (44.4%)"));
  EXPECT_THAT(report, HasSubstr("condition sets ?/3"));
  EXPECT_THAT(report, HasSubstr("condition sets: not counted"));
  EXPECT_THAT(report, Not(HasSubstr("condition_set p1/includes[0]")));
  EXPECT_THAT(report, HasSubstr("    P-ro/block\n"));  // seen met only
}

TEST(CoverageTest, ReportOnlySingleControlUserActionCountsAsUnmet) {
  auto bundle = Parse<v1::PolicyBundle>(R"pb(
    conditional_access_policies {
      id: "ro-mfa" state: "enabledForReportingButNotEnforced"
      grant_controls { built_in_controls: "mfa" }
    })pb");
  Coverage cov;
  cov.AddBundle("b", bundle);
  cov.Observe("b", bundle, Parse<v1::Decision>(R"pb(
    outcome: ISSUE report_only { id: "ro-mfa" result: "userActionRequired" })pb"));
  std::string report = cov.Report();
  EXPECT_THAT(report, HasSubstr("2/2 items"));
  EXPECT_THAT(report, Not(HasSubstr("never seen unmet")));
}

}  // namespace
}  // namespace consent::policyctl
