#include "tools/policyctl/suite_file.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace consent::policyctl {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr char kSuite[] = R"pb(
  bundle: "contoso.bundle.textproto"
  overlay_files: "ca.overlay.textproto"
  users { name: "alice" user { id: "alice" mfa_registered: true } }
  users { name: "bob" user { id: "bob" } }
  sessions { name: "pwd" session { auth_methods { method: "password" at: "2025-03-03T09:00:00Z" } } }
  sessions { name: "mfa" session { auth_methods { method: "fido2" at: "2025-03-03T09:00:00Z" } country: "JP" } }
  defaults { tenant: "t-contoso" now: "2025-03-03T10:00:00Z" grant_type: "interactive" client_id: "app-expense" }
  templates { name: "base" user: "alice" session: "pwd" request { scope: "User.Read" } }
  templates { name: "refresh" base: "base" clear: "scope" request { grant_type: "refresh_token" refresh_token_scope: "User.Read" } }
  cases { name: "plain" template: "base" expect { outcome: ISSUE } }
  cases {
    name: "override"
    template: "refresh"
    user: "bob"
    session: "mfa"
    request { session { platform: "iOS" } }
    overlay_files: "x.overlay.textproto"
    expect { scp: "User.Read" }
  }
  cases { name: "record_only" record { kind: "user_prompt" } }
)pb";

TEST(SuiteFileTest, ParsesAndResolvesPaths) {
  absl::StatusOr<LoadedSuite> s = ParseSuite(kSuite, "policies/contoso/a.suite.textproto");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->display_name, "a.suite.textproto");
  EXPECT_EQ(s->bundle_path, "policies/contoso/contoso.bundle.textproto");
  EXPECT_EQ(s->overlay_paths[0], "policies/contoso/ca.overlay.textproto");
  ASSERT_EQ(s->case_lines.size(), 3u);
  EXPECT_EQ(s->case_lines[0], 11);
  EXPECT_EQ(s->case_overlay_paths[1][0], "policies/contoso/x.overlay.textproto");
}

TEST(SuiteFileTest, BuildsRequestsInDocumentedOrder) {
  absl::StatusOr<LoadedSuite> s = ParseSuite(kSuite, "a.suite.textproto");
  ASSERT_TRUE(s.ok()) << s.status();
  SuiteFixtures fixtures(s->suite);

  absl::StatusOr<v1::TokenRequest> plain = fixtures.BuildRequest(s->suite.cases(0));
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->tenant(), "t-contoso");
  EXPECT_EQ(plain->grant_type(), "interactive");
  EXPECT_EQ(plain->user().id(), "alice");
  EXPECT_EQ(plain->scope(), "User.Read");
  EXPECT_EQ(plain->session().auth_methods(0).method(), "password");

  absl::StatusOr<v1::TokenRequest> o = fixtures.BuildRequest(s->suite.cases(1));
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->grant_type(), "refresh_token");
  EXPECT_EQ(o->scope(), "");  // cleared by the "refresh" template
  EXPECT_EQ(o->refresh_token_scope(), "User.Read");
  EXPECT_EQ(o->user().id(), "bob");          // case fixture replaces
  EXPECT_FALSE(o->user().mfa_registered());  // ... whole, not merged
  EXPECT_EQ(o->session().auth_methods(0).method(), "fido2");
  EXPECT_EQ(o->session().country(), "JP");
  EXPECT_EQ(o->session().platform(), "iOS");  // request merged last
}

TEST(SuiteFileTest, RecordedPrincipalGrantsReachLaterRequests) {
  absl::StatusOr<LoadedSuite> s = ParseSuite(kSuite, "a.suite.textproto");
  ASSERT_TRUE(s.ok());
  SuiteFixtures fixtures(s->suite);
  v1::GrantWrite g;
  g.set_client_app_id("app-expense");
  g.set_resource_app_id("graph");
  g.set_consent_type("Principal");
  g.set_principal_id("ALICE");
  g.set_scope("Calendars.Read");
  EXPECT_EQ(fixtures.ApplyPrincipalGrant(g), 1);
  g.set_scope("Calendars.Read User.Read");
  EXPECT_EQ(fixtures.ApplyPrincipalGrant(g), 1);  // merged, not duplicated
  absl::StatusOr<v1::TokenRequest> r = fixtures.BuildRequest(s->suite.cases(0));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->user().grants_size(), 1);
  EXPECT_EQ(r->user().grants(0).scope(), "Calendars.Read User.Read");
}

TEST(SuiteFileTest, RecordToBundleMergesTenantWideGrants) {
  v1::PolicyBundle b;
  auto* g = b.add_tenant_wide_grants();
  g->set_client_app_id("app-expense");
  g->set_resource_app_id("graph");
  g->set_scope("User.Read");
  v1::RecordConsentResult r;
  auto* w = r.add_grants();
  w->set_client_app_id("APP-EXPENSE");
  w->set_resource_app_id("graph");
  w->set_consent_type("AllPrincipals");
  w->set_scope("Group.Read.All User.Read");
  auto* p = r.add_grants();  // Principal grants are not the bundle's
  p->set_consent_type("Principal");
  r.add_create_service_principals("app-sketchy");
  r.add_create_service_principals("app-sketchy");
  ApplyRecordToBundle(r, &b);
  ASSERT_EQ(b.tenant_wide_grants_size(), 1);
  EXPECT_EQ(b.tenant_wide_grants(0).scope(), "Group.Read.All User.Read");
  ASSERT_EQ(b.service_principals_size(), 1);
  EXPECT_EQ(b.service_principals(0).app_id(), "app-sketchy");
}

struct BadSuite {
  const char* name;
  const char* text;
  const char* error;  // must appear, with file:line:column
};

class SuiteErrorTest : public testing::TestWithParam<BadSuite> {};

TEST_P(SuiteErrorTest, NamesFileLineAndField) {
  absl::StatusOr<LoadedSuite> s = ParseSuite(GetParam().text, "x.suite.textproto");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.status().message()),
              AllOf(HasSubstr("x.suite.textproto:"), HasSubstr(GetParam().error)))
      << s.status();
}

INSTANTIATE_TEST_SUITE_P(
    Errors, SuiteErrorTest,
    testing::Values(
        BadSuite{"Syntax", "bundle: \"b\"\ncases { nme: \"x\" }",
                 "x.suite.textproto:2:12: Message type \"consent.v1.Case\" has no field named \"nme\""},
        BadSuite{"UnknownUser",
                 "bundle: \"b\"\ncases {\n  name: \"c\"\n  user: \"alce\"\n  expect { outcome: ISSUE }\n}",
                 "x.suite.textproto:4:3: cases[0] (c).user: unknown user fixture \"alce\""},
        BadSuite{"UnknownTemplate",
                 "bundle: \"b\"\ncases { name: \"c\" template: \"t\" expect { outcome: ISSUE } }",
                 "cases[0] (c).template: unknown template \"t\""},
        BadSuite{"BadClear",
                 "bundle: \"b\"\ncases { name: \"c\" clear: \"sesion\" expect { outcome: ISSUE } }",
                 "cases[0] (c).clear[0]: field path \"sesion\": consent.v1.TokenRequest has no field"},
        BadSuite{"BadBundleClear",
                 "bundle: \"b\"\nbundle_clear: \"consent_settings.nope\"\ncases { name: \"c\" expect { outcome: ISSUE } }",
                 "x.suite.textproto:2:1: bundle_clear[0]: field path"},
        BadSuite{"NoBundle", "cases { name: \"c\" expect { outcome: ISSUE } }",
                 "bundle: required"},
        BadSuite{"NoExpectation", "bundle: \"b\"\ncases { name: \"c\" }",
                 "cases[0] (c).expect: the case states no expected field"},
        BadSuite{"DuplicateCase",
                 "bundle: \"b\"\ncases { name: \"c\" expect { outcome: ISSUE } }\ncases { name: \"c\" expect { outcome: ISSUE } }",
                 "x.suite.textproto:3:9: cases[1].name: duplicate name \"c\""},
        BadSuite{"TemplateCycle",
                 "bundle: \"b\"\ntemplates { name: \"a\" base: \"b\" }\ntemplates { name: \"b\" base: \"a\" }\ncases { name: \"c\" expect { outcome: ISSUE } }",
                 "templates[0].base: template cycle"},
        BadSuite{"BadRecordKind",
                 "bundle: \"b\"\ncases { name: \"c\" record { kind: \"user\" } }",
                 "cases[0] (c).record.kind: must be user_prompt, admin_prompt or admin_grant, not \"user\""},
        BadSuite{"AdminGrantWithoutActor",
                 "bundle: \"b\"\ncases { name: \"c\" record { kind: \"admin_grant\" client_app_id: \"x\" } }",
                 "record.actor: admin_grant needs a user fixture"},
        BadSuite{"ResourceCheckWithRequest",
                 "bundle: \"b\"\ncases { name: \"c\" resource_check { now: \"x\" } request { scope: \"a\" } expect_access { allow: true } }",
                 "a resource check case has no request"},
        BadSuite{"ExpectAccessWithoutCheck",
                 "bundle: \"b\"\ncases { name: \"c\" expect { outcome: ISSUE } expect_access { allow: true } }",
                 "expect_access: only for resource_check cases"},
        BadSuite{"NoCases", "bundle: \"b\"", "cases: a suite needs at least one case"}),
    [](const testing::TestParamInfo<BadSuite>& info) { return info.param.name; });

TEST(SuiteFileTest, MissingFileIsNotFound) {
  EXPECT_EQ(LoadSuiteFile("/nonexistent/x.suite.textproto").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(SuiteFileTest, ResolveRelative) {
  EXPECT_EQ(ResolveRelative("a/b/c.txt", "../d"), "a/d");
  EXPECT_EQ(ResolveRelative("a/b/c.txt", "./x/../d"), "a/b/d");
  EXPECT_EQ(ResolveRelative("c.txt", "d"), "d");
  EXPECT_EQ(ResolveRelative("a/c.txt", "/abs"), "/abs");
}

}  // namespace
}  // namespace consent::policyctl
