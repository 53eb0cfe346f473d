// A session's facts (SPEC 2.5) in evaluated form, and their validation.
//
// AnalyzeSessionFacts reads a v1::Session once per request: method names
// (SPEC and Graph import names), RFC 3339 times, the ip, risk levels,
// platform and client app type, and computes primary_auth_time / mfa_time.
// Views point into the request. No allocation except error text.
#ifndef CONSENT_ENGINE_CA_SESSION_FACTS_H_
#define CONSENT_ENGINE_CA_SESSION_FACTS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "engine/ca/auth_methods.h"
#include "engine/ca/ip_ranges.h"
#include "engine/engine_options.h"
#include "proto/request.pb.h"

namespace consent {
namespace ca {

// SPEC 1.7 vocabularies. Bundle values parse with the same functions.
enum class Platform : uint8_t { kUnknown, kAndroid, kIos, kWindows, kMacOs, kLinux, kWindowsPhone };
enum class ClientAppType : uint8_t {
  kNone,  // not given: a modern client, never legacy (C3)
  kBrowser,
  kMobileAppsAndDesktopClients,
  kExchangeActiveSync,
  kOther,
};
enum class RiskLevel : uint8_t { kNone, kLow, kMedium, kHigh };

// Named values (not "all"); nullopt if unknown. Case-insensitive.
std::optional<Platform> ParsePlatform(absl::string_view text);
std::optional<ClientAppType> ParseClientAppType(absl::string_view text);
std::optional<RiskLevel> ParseRiskLevel(absl::string_view text);

struct SessionFacts {
  MethodTimes methods;
  std::optional<int64_t> primary_auth_time;
  std::optional<int64_t> mfa_time;
  Platform platform = Platform::kUnknown;
  ClientAppType client_app_type = ClientAppType::kNone;
  std::optional<IpKey> ip;
  absl::string_view country;  // empty = unknown
  RiskLevel sign_in_risk = RiskLevel::kNone;
  RiskLevel user_risk = RiskLevel::kNone;
  RiskLevel service_principal_risk = RiskLevel::kNone;

  // C4: exchangeActiveSync and other are legacy clients.
  bool legacy() const {
    return client_app_type == ClientAppType::kExchangeActiveSync ||
           client_app_type == ClientAppType::kOther;
  }
  bool mfa() const { return MfaSatisfied(methods.present); }

  // As a fresh SessionFacts(), without zeroing methods.latest (read only
  // under its `present` bit). Keep in step with the fields above.
  void Reset() {
    methods.Clear();
    primary_auth_time.reset();
    mfa_time.reset();
    platform = Platform::kUnknown;
    client_app_type = ClientAppType::kNone;
    ip.reset();
    country = {};
    sign_in_risk = user_risk = service_principal_risk = RiskLevel::kNone;
  }
};

// Fills `facts` from `session` (null = SPEC 2.5 defaults). On a malformed
// fact returns false; when `error` is non-null it names the field and value.
bool AnalyzeSessionFacts(const v1::Session* session, const EngineOptions& options,
                         SessionFacts* facts, std::string* error);

}  // namespace ca
}  // namespace consent

#endif  // CONSENT_ENGINE_CA_SESSION_FACTS_H_
