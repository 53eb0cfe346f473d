// Authentication methods, MFA and authentication strengths (SPEC 2.5).
//
// Methods are a closed set of 17 names; a session's methods and a strength's
// combinations are bit sets over them, so checking a strength is a few mask
// tests with no allocation.
#ifndef CONSENT_ENGINE_CA_AUTH_METHODS_H_
#define CONSENT_ENGINE_CA_AUTH_METHODS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace consent {
namespace ca {

enum class Method : uint8_t {
  // Strong (SPEC 2.5); the first four are `passwordless`, the first three
  // `phishingResistant`.
  kFido2 = 0,
  kWindowsHelloForBusiness,
  kX509Multifactor,
  kMicrosoftAuthenticatorPhoneSignIn,
  kTemporaryAccessPassOneTime,
  kTemporaryAccessPassMultiUse,
  kFederatedMultiFactor,
  // Second factors.
  kSms,
  kVoice,
  kMicrosoftAuthenticatorPush,
  kSoftwareOath,
  kHardwareOath,
  // Other first factors.
  kPassword,
  kFederatedSingleFactor,
  kX509SingleFactor,
  kSmsSignIn,
  kEmailOtp,
};
inline constexpr int kMethodCount = 17;

using MethodSet = uint32_t;
inline constexpr MethodSet Bit(Method m) { return MethodSet{1} << static_cast<int>(m); }

inline constexpr MethodSet kStrongMethods = 0x7F;          // bits 0-6
inline constexpr MethodSet kSecondFactors = 0x1F << 7;     // bits 7-11
inline constexpr MethodSet kAllMethods = (1u << kMethodCount) - 1;
inline constexpr MethodSet kFirstFactors = kAllMethods & ~kSecondFactors;

// SPEC 2.5 spelling of a method.
absl::string_view MethodName(Method m);

// A session method name: SPEC 2.5 names and the Graph import names
// (`x509CertificateMultiFactor`, `x509CertificateSingleFactor`,
// `deviceBasedPush`, `email`), ASCII case-insensitive. `sms` is the second
// factor here.
std::optional<Method> ParseSessionMethod(absl::string_view name);

// One allowed combination of a strength: comma-joined names
// ("password,sms"); `sms` alone = `smsSignIn` (Graph). nullopt with `error`
// naming the bad part.
std::optional<MethodSet> ParseCombination(absl::string_view text, std::string* error);

// SPEC 2.5: the session holds a satisfying MFA combination.
bool MfaSatisfied(MethodSet methods);

// The built-in strengths.
enum class BuiltinStrength { kMfa, kPasswordless, kPhishingResistant };
// `mfa`, `passwordless`, `phishingResistant` or their Graph ids
// 00000000-0000-0000-0000-00000000000{2,3,4}.
std::optional<BuiltinStrength> ParseBuiltinStrength(absl::string_view id);
absl::string_view BuiltinStrengthName(BuiltinStrength s);
// The built-in's combinations (mfa: every strong method alone and
// password/federatedSingleFactor with each second factor).
std::vector<MethodSet> BuiltinCombinations(BuiltinStrength s);

// A strength is met when every method of one combination is present.
bool StrengthMet(const std::vector<MethodSet>& combinations, MethodSet methods);

// Latest completion time of each method in a session.
struct MethodTimes {
  MethodSet present = 0;
  std::array<int64_t, kMethodCount> latest{};
  void Clear() { present = 0; }
  void Add(Method m, int64_t at);
  // SPEC 2.5 primary_auth_time and mfa_time.
  std::optional<int64_t> PrimaryAuthTime() const;
  std::optional<int64_t> MfaTime() const;
};

}  // namespace ca
}  // namespace consent

#endif  // CONSENT_ENGINE_CA_AUTH_METHODS_H_
