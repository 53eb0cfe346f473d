// The compiler rejects bad bundles whole, naming every problem's field path
// and value; files load as textproto or JSON with their imports.

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/policy_engine.h"
#include "engine/testing_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace consent {
namespace {

using ::testing::HasSubstr;
using testing::ContosoBundle;

struct BadBundle {
  std::string name;
  std::string patch;     // appended to Contoso
  std::string expected;  // substring of one problem, "path: message"
};

void PrintTo(const BadBundle& c, std::ostream* os) { *os << c.name; }

class BadBundleTest : public ::testing::TestWithParam<BadBundle> {};

TEST_P(BadBundleTest, IsRejectedWithFieldPathAndValue) {
  const BadBundle& c = GetParam();
  v1::PolicyBundle bundle = ContosoBundle(c.patch);
  std::vector<BundleProblem> problems = ValidateBundle(bundle);
  std::vector<std::string> lines;
  for (const BundleProblem& p : problems) lines.push_back(p.ToString());
  const std::string all = absl::StrJoin(lines, "\n");
  EXPECT_THAT(all, HasSubstr(c.expected));
  absl::StatusOr<std::shared_ptr<const CompiledPolicy>> policy = CompilePolicy(bundle);
  EXPECT_EQ(policy.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(policy.status().message()), HasSubstr(c.expected));
}

std::string Name(const ::testing::TestParamInfo<BadBundle>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(
    Compiler, BadBundleTest,
    ::testing::Values(
        BadBundle{"AppIdRequired", R"pb(app_registrations { home_tenant: "t" })pb",
                  "app_registrations[7].app_id: required"},
        BadBundle{"AppIdBadBytes", R"pb(app_registrations { app_id: "bad id" })pb",
                  "app_registrations[7].app_id: invalid identifier \"bad id\""},
        BadBundle{"DuplicateRegistration", R"pb(app_registrations { app_id: "APP-EXPENSE" })pb",
                  "app_registrations[7].app_id: duplicate app registration \"APP-EXPENSE\""},
        BadBundle{"Audience", R"pb(app_registrations { app_id: "x" audience: "everyone" })pb",
                  "app_registrations[7].audience: must be \"single\" or \"multi\", not \"everyone\""},
        BadBundle{"ClientType", R"pb(app_registrations { app_id: "x" client_type: "secret" })pb",
                  "app_registrations[7].client_type: must be \"public\" or \"confidential\", not \"secret\""},
        BadBundle{"CreatedDate", R"pb(app_registrations { app_id: "x" created: "2022-13-01" })pb",
                  "app_registrations[7].created: not a YYYY-MM-DD date: \"2022-13-01\""},
        BadBundle{"IdentifierUri", R"pb(app_registrations { app_id: "x" identifier_uris: "api://a b" })pb",
                  "app_registrations[7].identifier_uris[0]: invalid identifier URI \"api://a b\""},
        BadBundle{"SpAppIdRequired", R"pb(service_principals { object_id: "o" })pb",
                  "service_principals[6].app_id: required"},
        BadBundle{"SpWithoutRegistration", R"pb(service_principals { app_id: "ghost" })pb",
                  "service_principals[6].app_id: no app registration \"ghost\""},
        BadBundle{"DuplicateSp", R"pb(service_principals { app_id: "app-mobile" })pb",
                  "service_principals[6].app_id: duplicate service principal for \"app-mobile\""},
        BadBundle{"IdentifierCollision",
                  R"pb(app_registrations { app_id: "x" identifier_uris: "api://payroll" } service_principals { app_id: "x" })pb",
                  "service_principals[6]: identifier \"api://payroll\" already names app \"payroll-api\""},
        BadBundle{"ResourceWithoutRegistration", R"pb(resources { app_id: "ghost" })pb",
                  "resources[2].app_id: no app registration \"ghost\""},
        BadBundle{"DuplicateResource", R"pb(resources { app_id: "payroll-api" })pb",
                  "resources[2].app_id: duplicate resource API for \"payroll-api\""},
        BadBundle{"ScopeIdRequired", R"pb(app_registrations { app_id: "x" } resources { app_id: "x" scopes { value: "A" } })pb",
                  "resources[2].scopes[0].id: required"},
        BadBundle{"ScopeValueRequired", R"pb(app_registrations { app_id: "x" } resources { app_id: "x" scopes { id: "A" } })pb",
                  "resources[2].scopes[0].value: required"},
        BadBundle{"ScopeValueWithSlash",
                  R"pb(app_registrations { app_id: "x" } resources { app_id: "x" scopes { id: "A" value: "a/b" } })pb",
                  "resources[2].scopes[0].value: not a valid scope value: \"a/b\""},
        BadBundle{"DefaultIsReserved",
                  R"pb(app_registrations { app_id: "x" } resources { app_id: "x" scopes { id: "A" value: ".default" } })pb",
                  "resources[2].scopes[0].value: \".default\" is reserved"},
        BadBundle{"Classification",
                  R"pb(app_registrations { app_id: "x" } resources { app_id: "x" scopes { id: "A" value: "A" classification: "tiny" } })pb",
                  "resources[2].scopes[0].classification: must be \"low\", \"medium\" or \"high\", not \"tiny\""},
        BadBundle{"AdminOnlyClassified",
                  R"pb(app_registrations { app_id: "x" }
                       resources { app_id: "x" scopes { id: "A" value: "A" } scopes { id: "B" value: "B" } scopes { id: "C" value: "C" }
                                   scopes { id: "D" value: "D" } scopes { id: "E" value: "E" }
                                   scopes { id: "F" value: "F" admin_only: true classification: "low" } })pb",
                  "resources[2].scopes[5].classification: an admin-only scope cannot be classified"},
        BadBundle{"CaTargetUnknown",
                  R"pb(app_registrations { app_id: "x" } resources { app_id: "x" scopes { id: "A" value: "A" ca_targets: "nope" } })pb",
                  "resources[2].scopes[0].ca_targets[0]: unknown app \"nope\""},
        BadBundle{"DuplicateScopeValue",
                  R"pb(app_registrations { app_id: "x" } resources { app_id: "x" scopes { id: "A" value: "S" } scopes { id: "B" value: "s" } })pb",
                  "resources[2].scopes[1].value: duplicate scope value \"s\""},
        BadBundle{"DuplicateScopeId",
                  R"pb(app_registrations { app_id: "x" } resources { app_id: "x" scopes { id: "A" value: "S" } scopes { id: "a" value: "T" } })pb",
                  "resources[2].scopes[1].id: duplicate scope id \"a\""},
        BadBundle{"RoleMemberTypes",
                  R"pb(app_registrations { app_id: "x" } resources { app_id: "x" app_roles { id: "r" value: "R" allowed_member_types: "Robot" } })pb",
                  "resources[2].app_roles[0].allowed_member_types[0]: must be \"User\" or \"Application\", not \"Robot\""},
        BadBundle{"RoleNeedsMemberType", R"pb(app_registrations { app_id: "x" } resources { app_id: "x" app_roles { id: "r" value: "R" } })pb",
                  "resources[2].app_roles[0].allowed_member_types: at least one"},
        BadBundle{"RoleIdDefault",
                  R"pb(app_registrations { app_id: "x" } resources { app_id: "x" app_roles { id: "default" value: "R" allowed_member_types: "User" } })pb",
                  "resources[2].app_roles[0].id: \"default\" names the default-access role"},
        BadBundle{"DuplicateRole",
                  R"pb(app_registrations { app_id: "x" } resources { app_id: "x"
                         app_roles { id: "r" value: "R" allowed_member_types: "User" } app_roles { id: "r" value: "Q" allowed_member_types: "User" } })pb",
                  "resources[2].app_roles[1].id: duplicate app role id \"r\""},
        BadBundle{"PreAuthorizedClient",
                  R"pb(app_registrations { app_id: "x" } resources { app_id: "x" pre_authorized { client_app_id: "nobody" } })pb",
                  "resources[2].pre_authorized[0].client_app_id: no app registration \"nobody\""},
        BadBundle{"PreAuthorizedScope",
                  R"pb(app_registrations { app_id: "x" } resources { app_id: "x" pre_authorized { client_app_id: "app-expense" scope_ids: "Nope" } })pb",
                  "resources[2].pre_authorized[0].scope_ids[0]: no delegated scope with id \"Nope\""},
        BadBundle{"ChallengeFormat", R"pb(app_registrations { app_id: "x" } resources { app_id: "x" challenge_format: "smoke" })pb",
                  "resources[2].challenge_format: must be \"entra\", \"rfc9470\" or \"both\", not \"smoke\""},
        BadBundle{"RequiredResourceAccess", R"pb(app_registrations { app_id: "x" required_resource_access { scopes: "A" } })pb",
                  "app_registrations[7].required_resource_access[0].resource_app_id: required"},
        BadBundle{"GrantClientWithoutSp",
                  R"pb(tenant_wide_grants { client_app_id: "app-sketchy" resource_app_id: "payroll-api" scope: "Payroll.Read" })pb",
                  "tenant_wide_grants[1].client_app_id: no service principal \"app-sketchy\""},
        BadBundle{"GrantResourceNotAnApi",
                  R"pb(tenant_wide_grants { client_app_id: "app-mobile" resource_app_id: "app-expense" scope: "X" })pb",
                  "tenant_wide_grants[1].resource_app_id: no resource API with a service principal \"app-expense\""},
        BadBundle{"GrantUnknownScope",
                  R"pb(tenant_wide_grants { client_app_id: "app-mobile" resource_app_id: "payroll-api" scope: "Payroll.Read Payroll.Nope" })pb",
                  "tenant_wide_grants[1].scope: no delegated scope \"Payroll.Nope\" on resource \"payroll-api\""},
        BadBundle{"AssignmentUnknownRole",
                  R"pb(app_role_assignments { client_app_id: "app-mobile" resource_app_id: "payroll-api" app_role_id: "Nope" })pb",
                  "app_role_assignments[1].app_role_id: no app role with id \"Nope\""},
        BadBundle{"AssignmentClientWithoutSp",
                  R"pb(app_role_assignments { client_app_id: "ghost" resource_app_id: "payroll-api" app_role_id: "Payroll.Sync" })pb",
                  "app_role_assignments[1].client_app_id: no service principal \"ghost\""},
        BadBundle{"ConditionSetTypeRequired", R"pb(permission_grant_policies { id: "p" includes { } })pb",
                  "permission_grant_policies[5].includes[0].permission_type: required"},
        BadBundle{"ConditionSetType", R"pb(permission_grant_policies { id: "p" includes { permission_type: "both" } })pb",
                  "permission_grant_policies[5].includes[0].permission_type: must be"},
        BadBundle{"ConditionSetClassification",
                  R"pb(permission_grant_policies { id: "p" includes { permission_type: "delegated" permission_classification: "none" } })pb",
                  "permission_grant_policies[5].includes[0].permission_classification: must be \"low\", \"medium\", \"high\" or \"all\", not \"none\""},
        BadBundle{"ConditionSetResource",
                  R"pb(permission_grant_policies { id: "p" includes { permission_type: "delegated" resource_application: "ghost" } })pb",
                  "permission_grant_policies[5].includes[0].resource_application: unknown app \"ghost\""},
        BadBundle{"ConditionSetUnknownPermission",
                  R"pb(permission_grant_policies { id: "p" includes { permission_type: "delegated" } excludes { permission_type: "delegated" permissions: "Mail.Raed" } })pb",
                  "permission_grant_policies[5].excludes[0].permissions[0]: no delegated scope with id \"Mail.Raed\" on any resource"},
        BadBundle{"ConditionSetValuesNeedResource",
                  R"pb(permission_grant_policies { id: "p" includes { permission_type: "delegated" permission_values: "Mail.Read" } })pb",
                  "permission_grant_policies[5].includes[0].permission_values: requires resource_application"},
        BadBundle{"GrantPolicyIdRequired", R"pb(permission_grant_policies { includes { permission_type: "delegated" } })pb",
                  "permission_grant_policies[5].id: required"},
        BadBundle{"DuplicateGrantPolicy",
                  R"pb(permission_grant_policies { id: "MICROSOFT-USER-DEFAULT-LOW" includes { permission_type: "delegated" } })pb",
                  "permission_grant_policies[5].id: duplicate permission grant policy \"MICROSOFT-USER-DEFAULT-LOW\""},
        BadBundle{"GrantPolicyNeedsInclude", R"pb(permission_grant_policies { id: "p" })pb",
                  "permission_grant_policies[5].includes: at least one condition set is required"},
        BadBundle{"UserConsentPolicyUnknown", R"pb(consent_settings { user_consent_policies: "ghost" })pb",
                  "consent_settings.user_consent_policies[0]: unknown permission grant policy \"ghost\""},
        BadBundle{"CustomRoleIdRequired", R"pb(custom_roles { permissions: "x" })pb", "custom_roles[0].id: required"},
        BadBundle{"CustomRoleBuiltinName", R"pb(custom_roles { id: "global administrator" })pb",
                  "custom_roles[0].id: collides with a built-in role name"},
        BadBundle{"CustomRolePermission", R"pb(custom_roles { id: "r" permissions: "doEverything" })pb",
                  "custom_roles[0].permissions[0]: must be managePermissionGrantsForSelf.{policy}"},
        BadBundle{"CustomRoleUnknownPolicy", R"pb(custom_roles { id: "r" permissions: "managePermissionGrantsForAll.ghost" })pb",
                  "custom_roles[0].permissions[0]: unknown permission grant policy \"ghost\""},
        BadBundle{"DuplicateCustomRole", R"pb(custom_roles { id: "r" } custom_roles { id: "R" })pb",
                  "custom_roles[1].id: duplicate custom role \"R\""}),
    Name);

TEST(CompilerTest, TenantIdRequired) {
  v1::PolicyBundle bundle = ContosoBundle();
  bundle.clear_tenant_id();
  EXPECT_THAT(CompilePolicy(bundle).status().message(), HasSubstr("tenant_id: required"));
}

TEST(CompilerTest, BuiltinAuthorityPoliciesAreRequired) {
  v1::PolicyBundle bundle = ContosoBundle();
  bundle.clear_permission_grant_policies();
  bundle.clear_consent_settings();
  EXPECT_THAT(CompilePolicy(bundle).status().message(),
              HasSubstr("permission_grant_policies: built-in policy \"microsoft-company-admin\" is missing"));
}

TEST(CompilerTest, ReportsEveryProblemAtOnce) {
  v1::PolicyBundle bundle = ContosoBundle(R"pb(
    app_registrations { app_id: "x" audience: "everyone" client_type: "secret" }
    consent_settings { user_consent_policies: "ghost" })pb");
  std::vector<BundleProblem> problems = ValidateBundle(bundle);
  EXPECT_EQ(problems.size(), 3u);
  EXPECT_THAT(std::string(CompilePolicy(bundle).status().message()), HasSubstr("3 problems"));
}

TEST(CompilerTest, ElementLimit) {
  EngineOptions options;
  options.max_bundle_elements = 3;
  EXPECT_THAT(CompilePolicy(ContosoBundle(), options).status().message(),
              HasSubstr("app_registrations: 7 elements exceed the limit max_bundle_elements=3"));
}

TEST(CompilerTest, ValidBundleHasStats) {
  auto policy = CompilePolicy(ContosoBundle());
  ASSERT_TRUE(policy.ok()) << policy.status();
  PolicyStats s = (*policy)->stats();
  EXPECT_EQ(s.apps, 7);
  EXPECT_EQ(s.service_principals, 6);
  EXPECT_EQ(s.resources, 2);
  EXPECT_EQ(s.scopes, 10);
  EXPECT_EQ(s.grant_policies, 5);
  EXPECT_GT(s.compiled_bytes, 1000u);
  EXPECT_EQ((*policy)->tenant_id(), "t-contoso");
  EXPECT_EQ((*policy)->version(), "spec-6");
}

// --- Files.

std::string WriteTemp(const std::string& name, const std::string& text) {
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string path = absl::StrCat(dir ? dir : "/tmp", "/", name);
  std::ofstream(path) << text;
  return path;
}

TEST(LoadBundleFileTest, ParseErrorNamesFileLineAndColumn) {
  std::string path = WriteTemp("bad.bundle.textproto", "tenant_id: \"t\"\napp_registrations { app_idd: \"x\" }\n");
  absl::StatusOr<v1::PolicyBundle> b = LoadBundleFile(path);
  ASSERT_FALSE(b.ok());
  EXPECT_THAT(std::string(b.status().message()), HasSubstr("bad.bundle.textproto:2:"));
  EXPECT_THAT(std::string(b.status().message()), HasSubstr("app_idd"));
}

TEST(LoadBundleFileTest, JsonMappingLoads) {
  std::string path = WriteTemp("t.bundle.json", R"({"tenantId":"t-json","version":"7"})");
  absl::StatusOr<v1::PolicyBundle> b = LoadBundleFile(path);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->tenant_id(), "t-json");
}

TEST(LoadBundleFileTest, ImportCycleIsAnError) {
  WriteTemp("a.textproto", "imports: \"b.textproto\"\n");
  std::string path = WriteTemp("b.textproto", "imports: \"a.textproto\"\n");
  EXPECT_THAT(std::string(LoadBundleFile(path).status().message()), HasSubstr("import cycle"));
}

TEST(LoadBundleFileTest, MissingImport) {
  std::string path = WriteTemp("m.bundle.textproto", "tenant_id: \"t\" imports: \"nope.textproto\"\n");
  absl::StatusOr<v1::PolicyBundle> b = LoadBundleFile(path);
  EXPECT_EQ(b.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(b.status().message()), HasSubstr("nope.textproto: cannot open"));
}

TEST(LoadBundleFileTest, ImportOfAnotherTenantIsRejected) {
  WriteTemp("other.textproto", "tenant_id: \"t-other\"\n");
  std::string path = WriteTemp("x.bundle.textproto", "tenant_id: \"t\" imports: \"other.textproto\"\n");
  EXPECT_THAT(std::string(LoadBundleFile(path).status().message()), HasSubstr("differs from the importing bundle"));
}

TEST(LoadBundleFileTest, SizeLimit) {
  EngineOptions options;
  options.max_bundle_bytes = 10;
  std::string path = WriteTemp("big.bundle.textproto", "tenant_id: \"a-long-tenant-name\"\n");
  EXPECT_EQ(LoadBundleFile(path, options).status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(LoadBundleFileTest, ContosoCompilesFromFile) {
  auto policy = CompilePolicyFile(std::string(testing::kContosoPath));
  ASSERT_TRUE(policy.ok()) << policy.status();
}

}  // namespace
}  // namespace consent
