#include "engine/ca/auth_methods.h"

#include <algorithm>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/internal/ascii.h"

namespace consent {
namespace ca {
namespace {



constexpr std::array<absl::string_view, kMethodCount> kNames = {
    "fido2",
    "windowsHelloForBusiness",
    "x509Multifactor",
    "microsoftAuthenticatorPhoneSignIn",
    "temporaryAccessPassOneTime",
    "temporaryAccessPassMultiUse",
    "federatedMultiFactor",
    "sms",
    "voice",
    "microsoftAuthenticatorPush",
    "softwareOath",
    "hardwareOath",
    "password",
    "federatedSingleFactor",
    "x509SingleFactor",
    "smsSignIn",
    "emailOtp",
};

struct Alias {
  absl::string_view name;
  Method method;
};
// SPEC 2.5 Graph import names.
constexpr Alias kAliases[] = {
    {"x509CertificateMultiFactor", Method::kX509Multifactor},
    {"x509CertificateSingleFactor", Method::kX509SingleFactor},
    {"deviceBasedPush", Method::kMicrosoftAuthenticatorPhoneSignIn},
    {"email", Method::kEmailOtp},
};

}  // namespace

absl::string_view MethodName(Method m) { return kNames[static_cast<int>(m)]; }

std::optional<Method> ParseSessionMethod(absl::string_view name) {
  // Names bucketed by length: a request names a few methods, each parsed on
  // every evaluation, and a bucket holds at most a few names.
  constexpr size_t kMaxLength = 40;
  struct Buckets {
    std::vector<Alias> by_length[kMaxLength + 1];
  };
  static const Buckets* const kBuckets = [] {
    auto* b = new Buckets();
    for (int i = 0; i < kMethodCount; ++i) {
      b->by_length[kNames[i].size()].push_back({kNames[i], static_cast<Method>(i)});
    }
    for (const Alias& a : kAliases) b->by_length[a.name.size()].push_back(a);
    return b;
  }();
  if (name.size() > kMaxLength) return std::nullopt;
  for (const Alias& a : kBuckets->by_length[name.size()]) {
    if (internal::EqualsIgnoreCase(name, a.name)) return a.method;
  }
  return std::nullopt;
}

std::optional<MethodSet> ParseCombination(absl::string_view text, std::string* error) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, ',');
  MethodSet set = 0;
  for (absl::string_view part : parts) {
    absl::string_view name = absl::StripAsciiWhitespace(part);
    if (name.empty()) {
      *error = "empty method in combination";
      return std::nullopt;
    }
    std::optional<Method> m;
    // Graph: `sms` alone is SMS sign-in; with a password it is the second
    // factor.
    if (parts.size() == 1 && internal::EqualsIgnoreCase(name, "sms")) {
      m = Method::kSmsSignIn;
    } else {
      m = ParseSessionMethod(name);
    }
    if (!m.has_value()) {
      *error = absl::StrCat("unknown authentication method \"", name, "\"");
      return std::nullopt;
    }
    set |= Bit(*m);
  }
  return set;
}

bool MfaSatisfied(MethodSet methods) {
  if (methods & kStrongMethods) return true;
  const bool single = methods & (Bit(Method::kPassword) | Bit(Method::kFederatedSingleFactor));
  return single && (methods & kSecondFactors);
}

std::optional<BuiltinStrength> ParseBuiltinStrength(absl::string_view id) {
  if (internal::EqualsIgnoreCase(id, "mfa") ||
      internal::EqualsIgnoreCase(id, "00000000-0000-0000-0000-000000000002")) {
    return BuiltinStrength::kMfa;
  }
  if (internal::EqualsIgnoreCase(id, "passwordless") ||
      internal::EqualsIgnoreCase(id, "00000000-0000-0000-0000-000000000003")) {
    return BuiltinStrength::kPasswordless;
  }
  if (internal::EqualsIgnoreCase(id, "phishingResistant") ||
      internal::EqualsIgnoreCase(id, "00000000-0000-0000-0000-000000000004")) {
    return BuiltinStrength::kPhishingResistant;
  }
  return std::nullopt;
}

absl::string_view BuiltinStrengthName(BuiltinStrength s) {
  switch (s) {
    case BuiltinStrength::kMfa:
      return "mfa";
    case BuiltinStrength::kPasswordless:
      return "passwordless";
    case BuiltinStrength::kPhishingResistant:
      return "phishingResistant";
  }
  return "mfa";
}

std::vector<MethodSet> BuiltinCombinations(BuiltinStrength s) {
  std::vector<MethodSet> out;
  int strong = 0;
  switch (s) {
    case BuiltinStrength::kMfa:
      strong = 7;
      break;
    case BuiltinStrength::kPasswordless:
      strong = 4;
      break;
    case BuiltinStrength::kPhishingResistant:
      strong = 3;
      break;
  }
  for (int i = 0; i < strong; ++i) out.push_back(MethodSet{1} << i);
  if (s == BuiltinStrength::kMfa) {
    for (Method first : {Method::kPassword, Method::kFederatedSingleFactor}) {
      for (int i = 7; i < 12; ++i) out.push_back(Bit(first) | (MethodSet{1} << i));
    }
  }
  return out;
}

bool StrengthMet(const std::vector<MethodSet>& combinations, MethodSet methods) {
  for (MethodSet c : combinations) {
    if ((methods & c) == c) return true;
  }
  return false;
}

void MethodTimes::Add(Method m, int64_t at) {
  const int i = static_cast<int>(m);
  if (!(present & Bit(m)) || at > latest[i]) latest[i] = at;
  present |= Bit(m);
}

std::optional<int64_t> MethodTimes::PrimaryAuthTime() const {
  std::optional<int64_t> t;
  for (MethodSet m = present & kFirstFactors; m != 0; m &= m - 1) {
    const int64_t at = latest[__builtin_ctzll(m)];
    if (!t || at > *t) t = at;
  }
  return t;
}

std::optional<int64_t> MethodTimes::MfaTime() const {
  std::optional<int64_t> t;
  auto consider = [&t](int64_t v) {
    if (!t || v > *t) t = v;
  };
  constexpr MethodSet kStrong = (MethodSet{1} << 7) - 1;          // methods 0-6
  constexpr MethodSet kSecond = ((MethodSet{1} << 12) - 1) & ~kStrong;  // methods 7-11
  for (MethodSet m = present & kStrong; m != 0; m &= m - 1) consider(latest[__builtin_ctzll(m)]);
  if ((present & kSecond) == 0) return t;
  for (Method first : {Method::kPassword, Method::kFederatedSingleFactor}) {
    if (!(present & Bit(first))) continue;
    for (MethodSet m = present & kSecond; m != 0; m &= m - 1) {
      consider(std::max(latest[static_cast<int>(first)], latest[__builtin_ctzll(m)]));
    }
  }
  return t;
}

}  // namespace ca
}  // namespace consent
