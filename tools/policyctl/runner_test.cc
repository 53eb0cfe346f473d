// End-to-end tests of SuiteRunner against the real engine, on a small bundle
// written to TEST_TMPDIR.
#include "tools/policyctl/runner.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace consent::policyctl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

namespace fs = std::filesystem;

constexpr char kBundle[] = R"pb(
  tenant_id: "t-test"
  app_registrations {
    app_id: "00000003-0000-0000-c000-000000000000"
    home_tenant: "t-microsoft" audience: "multi" publisher_verified: true
    identifier_uris: "https://graph.microsoft.com"
  }
  app_registrations { app_id: "00000002-0000-0000-c000-000000000000" home_tenant: "t-microsoft" audience: "multi" }
  service_principals { app_id: "00000003-0000-0000-c000-000000000000" }
  service_principals { app_id: "00000002-0000-0000-c000-000000000000" }
  resources {
    app_id: "00000003-0000-0000-c000-000000000000"
    scopes { id: "User.Read" value: "User.Read" classification: "low" }
    scopes { id: "Calendars.Read" value: "Calendars.Read" }
  }
  app_registrations { app_id: "app" home_tenant: "t-test" client_type: "confidential" }
  service_principals { app_id: "app" }
  tenant_wide_grants { id: "g1" client_app_id: "app" resource_app_id: "00000003-0000-0000-c000-000000000000" scope: "User.Read" }
  permission_grant_policies { id: "everything" includes { permission_type: "delegatedUserConsentable" } }
  consent_settings { user_consent_policies: "everything" }
  # The compiler requires the authority built-ins (SPEC §4).
  permission_grant_policies {
    id: "microsoft-company-admin"
    includes { permission_type: "delegated" }
    includes { permission_type: "application" }
  }
  permission_grant_policies {
    id: "microsoft-application-admin"
    includes { permission_type: "delegated" }
    includes { permission_type: "application" }
    excludes { permission_type: "application" resource_application: "00000003-0000-0000-c000-000000000000" }
  }
)pb";

constexpr char kOverlay[] = R"pb(
  conditional_access_policies {
    id: "block-all" state: "enabled"
    users { include_users: "All" }
    applications { include_applications: "All" }
    grant_controls { built_in_controls: "block" }
  }
)pb";

constexpr char kSuite[] = R"pb(
  name: "t"
  bundle: "test.bundle.textproto"
  users { name: "u" user { id: "u1" } }
  defaults {
    tenant: "t-test" now: "2025-01-01T00:00:00Z" grant_type: "interactive"
    client_id: "app" client_authenticated: true
  }
  cases {
    name: "prompt_then_record"
    user: "u"
    request { scope: "Calendars.Read" }
    expect { outcome: CONSENT_PROMPT_USER prompt_scopes: "Calendars.Read" }
    record { kind: "user_prompt" }
  }
  cases {
    name: "issued_after_record"
    user: "u"
    request { scope: "Calendars.Read" }
    expect { outcome: ISSUE scp: "Calendars.Read User.Read" }
  }
  cases {
    name: "wrong_on_purpose"
    user: "u"
    request { scope: "User.Read" }
    known_issue: "demonstrates a failure"
    expect { outcome: BLOCKED scp: "User.Read" }
  }
  cases {
    name: "overlay_blocks"
    user: "u"
    request { scope: "User.Read" }
    overlay_files: "block.overlay.textproto"
    expect { outcome: BLOCKED error_code: 53003 blocking_policies: "block-all" }
  }
  cases {
    name: "overlay_is_per_case"
    user: "u"
    request { scope: "User.Read" }
    expect { outcome: ISSUE }
  }
)pb";

class RunnerTest : public testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    dir_ = fs::path(tmp != nullptr ? tmp : "/tmp") /
           testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::create_directories(dir_ / "sub");
    Write("test.bundle.textproto", kBundle);
    Write("block.overlay.textproto", kOverlay);
    Write("sub/a.suite.textproto", "");
  }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  std::string Path(const std::string& name) { return (dir_ / name).string(); }

  fs::path dir_;
};

TEST_F(RunnerTest, PassFailDiffExplanationRecordAndOverlays) {
  Write("t.suite.textproto", kSuite);
  std::ostringstream out;
  Coverage coverage;
  SuiteRunner runner(RunOptions{}, &coverage, &out);
  RunTotals totals;
  JunitSuite junit = runner.Run(Path("t.suite.textproto"), &totals);
  const std::string text = out.str();
  EXPECT_EQ(totals.passed, 4) << text;
  EXPECT_EQ(totals.failed, 1) << text;
  EXPECT_THAT(text, HasSubstr("PASS t: prompt_then_record\n"));
  EXPECT_THAT(text, HasSubstr("PASS t: issued_after_record\n"));  // R1 carried
  EXPECT_THAT(text, HasSubstr("PASS t: overlay_blocks\n"));
  EXPECT_THAT(text, HasSubstr("PASS t: overlay_is_per_case\n"));
  EXPECT_THAT(text, HasSubstr("FAIL t: wrong_on_purpose\n"));
  EXPECT_THAT(text, HasSubstr("t.suite.textproto:22\n"));  // the case's line
  EXPECT_THAT(text, HasSubstr("known issue: demonstrates a failure"));
  // scp differs too: the R1 recorded by the first case is carried here.
  EXPECT_THAT(text, HasSubstr("2 field(s) differ"));
  EXPECT_THAT(text, HasSubstr("outcome    expected: BLOCKED\n"));
  EXPECT_THAT(text, HasSubstr("actual:   ISSUE\n"));
  EXPECT_THAT(text, HasSubstr("token.scp  expected: User.Read\n"));
  EXPECT_THAT(text, HasSubstr("actual:   Calendars.Read User.Read\n"));
  EXPECT_THAT(text, HasSubstr("request (after fixtures and templates):\n    tenant: \"t-test\""));
  EXPECT_THAT(text, HasSubstr("actual decision:\n    outcome: ISSUE\n"));
  EXPECT_THAT(text, HasSubstr("  explanation:\n    rules: "));
  ASSERT_EQ(junit.cases.size(), 5u);
  EXPECT_FALSE(junit.cases[2].passed);
  EXPECT_THAT(junit.cases[2].failure_text, HasSubstr("expected: BLOCKED"));
  EXPECT_THAT(coverage.Report(), HasSubstr("CA policies 1/1, grant controls 1/1"));
}

TEST_F(RunnerTest, FilterRunsMatchingCasesOnly) {
  Write("t.suite.textproto", kSuite);
  std::ostringstream out;
  RunOptions options;
  options.filter = "overlay";
  SuiteRunner runner(options, nullptr, &out);
  RunTotals totals;
  runner.Run(Path("t.suite.textproto"), &totals);
  EXPECT_EQ(totals.passed, 2) << out.str();
  EXPECT_EQ(totals.failed, 0);
}

TEST_F(RunnerTest, BrokenSuiteIsOneFailureNamingFileLineField) {
  Write("bad.suite.textproto",
        "bundle: \"test.bundle.textproto\"\ncases {\n  name: \"c\"\n  user: \"nobody\"\n  expect { outcome: ISSUE }\n}\n");
  std::ostringstream out;
  SuiteRunner runner(RunOptions{}, nullptr, &out);
  RunTotals totals;
  JunitSuite junit = runner.Run(Path("bad.suite.textproto"), &totals);
  EXPECT_EQ(totals.failed, 1);
  EXPECT_THAT(junit.error, HasSubstr("bad.suite.textproto:4:3: cases[0] (c).user: unknown user fixture \"nobody\""));
  EXPECT_THAT(out.str(), HasSubstr("FAIL "));
}

TEST_F(RunnerTest, MissingBundleAndBadOverlayFail) {
  Write("nobundle.suite.textproto",
        "bundle: \"missing.bundle.textproto\"\ncases { name: \"c\" expect { outcome: ISSUE } }\n");
  Write("badoverlay.suite.textproto",
        "bundle: \"test.bundle.textproto\"\ndefaults { tenant: \"t-test\" }\n"
        "cases { name: \"c\" overlay_files: \"nope.overlay.textproto\" expect { outcome: ISSUE } }\n");
  std::ostringstream out;
  SuiteRunner runner(RunOptions{}, nullptr, &out);
  RunTotals totals;
  JunitSuite a = runner.Run(Path("nobundle.suite.textproto"), &totals);
  EXPECT_THAT(a.error, HasSubstr("missing.bundle.textproto"));
  JunitSuite b = runner.Run(Path("badoverlay.suite.textproto"), &totals);
  ASSERT_EQ(b.cases.size(), 1u);
  EXPECT_FALSE(b.cases[0].passed);
  EXPECT_THAT(b.cases[0].failure_text, HasSubstr("nope.overlay.textproto"));
  EXPECT_EQ(totals.failed, 2);
  EXPECT_EQ(totals.passed, 0);
}

TEST_F(RunnerTest, RecordStatusMismatchFails) {
  Write("rec.suite.textproto", R"pb(
    bundle: "test.bundle.textproto"
    users { name: "u" user { id: "u1" } }
    defaults { tenant: "t-test" now: "2025-01-01T00:00:00Z" grant_type: "interactive" client_id: "app" }
    cases {
      name: "issue_has_no_prompt_to_accept"
      user: "u"
      request { scope: "User.Read" }
      expect { outcome: ISSUE }
      record { kind: "user_prompt" }
    }
  )pb");
  std::ostringstream out;
  SuiteRunner runner(RunOptions{}, nullptr, &out);
  RunTotals totals;
  runner.Run(Path("rec.suite.textproto"), &totals);
  EXPECT_EQ(totals.failed, 1) << out.str();
  EXPECT_THAT(out.str(), HasSubstr("record.user_prompt  expected: OK"));
}

TEST_F(RunnerTest, FindSuites) {
  Write("sub/b.suite.textproto", "");
  Write("sub/notes.textproto", "");
  auto found = FindSuites({Path("sub")});
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_THAT(*found, ElementsAre(Path("sub/a.suite.textproto"), Path("sub/b.suite.textproto")));
  EXPECT_EQ(FindSuites({Path("nope")}).status().code(), absl::StatusCode::kNotFound);
  fs::create_directories(dir_ / "empty");
  EXPECT_EQ(FindSuites({Path("empty")}).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace consent::policyctl
