// Test helpers for engine tests: the Contoso fixture of SPEC §6, request
// builders and applying recorded grants. Test-only.
#ifndef CONSENT_ENGINE_TESTING_UTIL_H_
#define CONSENT_ENGINE_TESTING_UTIL_H_

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "engine/policy_engine.h"
#include "proto/bundle.pb.h"
#include "proto/decision.pb.h"
#include "proto/request.pb.h"

namespace consent {
namespace testing {

inline constexpr absl::string_view kContosoPath = "policies/contoso/contoso.bundle.textproto";
inline constexpr absl::string_view kNow = "2025-03-03T10:00:00Z";

// Users of SPEC §6, as request fragments.
inline constexpr absl::string_view kAlice = R"pb(user { id: "alice" mfa_registered: true })pb";
inline constexpr absl::string_view kBob = R"pb(user { id: "bob" mfa_registered: true })pb";
inline constexpr absl::string_view kRavi =
    R"pb(user { id: "ravi" mfa_registered: true roles: "Application Administrator" })pb";

// The Contoso bundle (with its imports), with `patch` merged in: repeated
// fields are appended; a consent_settings in the patch replaces the base's.
v1::PolicyBundle ContosoBundle(absl::string_view patch = "");

// Compiles ContosoBundle(patch); fails the test on error.
std::shared_ptr<const CompiledPolicy> Contoso(absl::string_view patch = "");

// A TokenRequest with SPEC §6's defaults (tenant t-contoso, now, interactive,
// client app-expense authenticated) overridden by `text`: textproto
// fragments separated by ";;", merged in order.
v1::TokenRequest Request(absl::string_view text);

// Parses textproto or fails the test.
template <typename Message>
Message Parse(absl::string_view text);

// Applies recorded grants to a user (Principal) or a bundle (AllPrincipals,
// app-role assignments, new service principals).
void ApplyToUser(const v1::RecordConsentResult& result, v1::User* user);
void ApplyToBundle(const v1::RecordConsentResult& result, v1::PolicyBundle* bundle);

// "Calendars.Read User.Read" -> joined `scp`.
std::string JoinScp(const v1::Decision& d);
std::string JoinPrompt(const v1::Decision& d);

}  // namespace testing
}  // namespace consent

#endif  // CONSENT_ENGINE_TESTING_UTIL_H_
