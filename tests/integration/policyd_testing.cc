#include "tests/integration/policyd_testing.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "engine/policy_engine.h"
#include "gtest/gtest.h"

namespace consent {
namespace testing {

namespace fs = std::filesystem;

std::string FreshDir(const std::string& suffix) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info != nullptr ? absl::StrCat(info->test_suite_name(), ".", info->name())
                                     : std::string("dir");
  absl::StrReplaceAll({{"/", "_"}}, &name);
  const fs::path dir = fs::path(tmp != nullptr ? tmp : "/tmp") / (name + suffix);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

void WriteFile(const std::string& path, const std::string& content) {
  fs::create_directories(fs::path(path).parent_path());
  const std::string tmp = path + ".tmp~";
  {
    std::ofstream out(tmp, std::ios::binary);
    out << content;
  }
  fs::rename(tmp, path);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {

constexpr char kAuthority[] = R"pb(
permission_grant_policies {
  id: "microsoft-user-default-legacy"
  includes { permission_type: "delegatedUserConsentable" }
}
permission_grant_policies {
  id: "microsoft-company-admin"
  includes { permission_type: "delegated" }
  includes { permission_type: "application" }
}
permission_grant_policies {
  id: "microsoft-application-admin"
  includes { permission_type: "delegated" }
  includes { permission_type: "application" }
  excludes {
    permission_type: "application"
    resource_application: "00000003-0000-0000-c000-000000000000"
  }
}
)pb";

}  // namespace

std::string TenantBundle(const std::string& tenant, const std::string& version,
                         const std::string& grant_scope) {
  return absl::StrCat(R"pb(tenant_id: ")pb", tenant, "\"\nversion: \"", version, "\"\n",
                      R"pb(
app_registrations {
  app_id: "00000003-0000-0000-c000-000000000000"
  display_name: "Microsoft Graph"
  home_tenant: "t-microsoft"
  audience: "multi"
  publisher_verified: true
  identifier_uris: "https://graph.microsoft.com"
}
service_principals { app_id: "00000003-0000-0000-c000-000000000000" object_id: "sp-graph" }
resources {
  app_id: "00000003-0000-0000-c000-000000000000"
  scopes { id: "User.Read" value: "User.Read" classification: "low" }
  scopes { id: "Calendars.Read" value: "Calendars.Read" classification: "low" }
  scopes { id: "openid" value: "openid" classification: "low" }
}
app_registrations {
  app_id: "app-it"
  display_name: "Integration client"
  home_tenant: ")pb",
                      tenant, R"pb("
  client_type: "confidential"
}
service_principals { app_id: "app-it" object_id: "sp-app-it" }
tenant_wide_grants {
  id: "grant-it-graph"
  client_app_id: "app-it"
  resource_app_id: "00000003-0000-0000-c000-000000000000"
  scope: ")pb",
                      grant_scope, R"pb("
}
consent_settings { user_consent_policies: "microsoft-user-default-legacy" }
)pb",
                      kAuthority);
}

std::string InvalidBundle(const std::string& tenant) {
  return absl::StrCat(TenantBundle(tenant, "broken"),
                      "resources { app_id: \"app-it\" scopes { id: \"x\" value: \"X.Read\" "
                      "classification: \"urgent\" } }\n");
}

v1::TokenRequest Request(const std::string& tenant, const std::string& scope) {
  v1::TokenRequest r;
  r.set_tenant(tenant);
  r.set_now(kNow);
  r.set_grant_type("interactive");
  r.set_client_id("app-it");
  r.set_client_authenticated(true);
  r.set_scope(scope);
  r.mutable_user()->set_id("alice");
  r.mutable_user()->set_mfa_registered(true);
  return r;
}

v1::Decision EngineDecision(const std::string& bundle_text, const v1::TokenRequest& request,
                            const EngineOptions& options) {
  const std::string dir = FreshDir(".engine");
  const std::string path = dir + "/x.bundle.textproto";
  WriteFile(path, bundle_text);
  absl::StatusOr<std::shared_ptr<const CompiledPolicy>> policy = CompilePolicyFile(path, options);
  EXPECT_TRUE(policy.ok()) << policy.status();
  if (!policy.ok()) return v1::Decision();
  return (*policy)->Evaluate(request);
}

server::PolicyServerOptions TestOptions(const std::string& policy_dir) {
  server::PolicyServerOptions options;
  options.listen = "127.0.0.1:0";
  options.policy_dir = policy_dir;
  options.poll_interval = absl::Milliseconds(20);
  options.deleted_bundle_grace = absl::ZeroDuration();
  options.stats_interval = absl::ZeroDuration();
  return options;
}

std::unique_ptr<server::PolicyServer> StartServer(const server::PolicyServerOptions& options) {
  auto server = std::make_unique<server::PolicyServer>(options);
  absl::Status started = server->Start();
  EXPECT_TRUE(started.ok()) << started;
  if (!started.ok()) return nullptr;
  EXPECT_TRUE(server->WaitUntilLoaded(absl::Seconds(30)));
  return server;
}

std::unique_ptr<v1::PolicyService::Stub> Connect(
    int port, std::shared_ptr<grpc::ChannelCredentials> credentials) {
  return v1::PolicyService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), credentials));
}

bool Eventually(const std::function<bool()>& condition, double seconds) {
  const absl::Time deadline = absl::Now() + absl::Seconds(seconds);
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

}  // namespace testing
}  // namespace consent
