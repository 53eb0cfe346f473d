// Helpers of the policyd integration tests: temporary policy directories,
// small bundles, token requests and in-process servers on ephemeral ports.
#ifndef CONSENT_TESTS_INTEGRATION_POLICYD_TESTING_H_
#define CONSENT_TESTS_INTEGRATION_POLICYD_TESTING_H_

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "proto/request.pb.h"
#include "proto/service.grpc.pb.h"
#include "server/policy_server.h"

namespace consent {
namespace testing {

inline constexpr char kNow[] = "2025-03-03T10:00:00Z";
inline constexpr char kGraph[] = "00000003-0000-0000-c000-000000000000";

// A fresh directory under TEST_TMPDIR named after the running test.
std::string FreshDir(const std::string& suffix = "");

// Writes atomically (temp file + rename), creating parent directories.
void WriteFile(const std::string& path, const std::string& content);
std::string ReadFile(const std::string& path);

// A tenant with Microsoft Graph (User.Read, Calendars.Read, openid: all
// low), the confidential client `app-it`, an AllPrincipals grant of
// `grant_scope` from app-it to Graph, user consent through
// microsoft-user-default-legacy, and the authority built-ins (SPEC §4).
std::string TenantBundle(const std::string& tenant, const std::string& version,
                         const std::string& grant_scope = "User.Read");

// A bundle the compiler rejects: scope classification "urgent" (SPEC 1.3).
std::string InvalidBundle(const std::string& tenant);

// An interactive request of alice from app-it for `scope` at kNow.
v1::TokenRequest Request(const std::string& tenant, const std::string& scope);

// The decision the engine itself gives `request` with the bundle `text`.
v1::Decision EngineDecision(const std::string& bundle_text, const v1::TokenRequest& request,
                            const EngineOptions& options = {});

// Options for a server on 127.0.0.1:0 over `policy_dir`, fast reloads, no
// stats line.
server::PolicyServerOptions TestOptions(const std::string& policy_dir);

// Starts `options` and waits for its first load; fails the test on error.
std::unique_ptr<server::PolicyServer> StartServer(const server::PolicyServerOptions& options);

std::unique_ptr<v1::PolicyService::Stub> Connect(
    int port, std::shared_ptr<grpc::ChannelCredentials> credentials =
                  grpc::InsecureChannelCredentials());

// Polls `condition` every 5 ms for up to `seconds`; true once it holds.
bool Eventually(const std::function<bool()>& condition, double seconds = 10);

}  // namespace testing
}  // namespace consent

#endif  // CONSENT_TESTS_INTEGRATION_POLICYD_TESTING_H_
