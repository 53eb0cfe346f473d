#include "engine/ca/session_facts.h"

#include "absl/strings/match.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "engine/ca/device_filter.h"
#include "engine/internal/ascii.h"
#include "engine/internal/problems.h"
#include "engine/internal/time.h"

namespace consent {
namespace ca {
namespace {


using internal::Quote;

bool Fail(std::string* error, absl::string_view field, absl::string_view value,
          absl::string_view what) {
  if (error != nullptr) *error = absl::StrCat("session.", field, ": ", Quote(value), " ", what);
  return false;
}

bool CheckList(std::string* error, absl::string_view field, size_t n, size_t limit) {
  if (n <= limit) return true;
  if (error != nullptr) {
    *error = absl::StrCat("session.", field, ": ", n, " entries, more than ", limit,
                          " (max_session_list)");
  }
  return false;
}

bool ParseRisk(const std::string& text, absl::string_view field, RiskLevel* out,
               std::string* error) {
  if (text.empty()) {
    *out = RiskLevel::kNone;
    return true;
  }
  std::optional<RiskLevel> r = ParseRiskLevel(text);
  if (!r) return Fail(error, field, text, "is not a risk level (none, low, medium, high)");
  *out = *r;
  return true;
}

}  // namespace

std::optional<Platform> ParsePlatform(absl::string_view t) {
  if (internal::EqualsIgnoreCase(t, "android")) return Platform::kAndroid;
  if (internal::EqualsIgnoreCase(t, "iOS")) return Platform::kIos;
  if (internal::EqualsIgnoreCase(t, "windows")) return Platform::kWindows;
  if (internal::EqualsIgnoreCase(t, "macOS")) return Platform::kMacOs;
  if (internal::EqualsIgnoreCase(t, "linux")) return Platform::kLinux;
  if (internal::EqualsIgnoreCase(t, "windowsPhone")) return Platform::kWindowsPhone;
  return std::nullopt;
}

std::optional<ClientAppType> ParseClientAppType(absl::string_view t) {
  if (internal::EqualsIgnoreCase(t, "browser")) return ClientAppType::kBrowser;
  if (internal::EqualsIgnoreCase(t, "mobileAppsAndDesktopClients")) {
    return ClientAppType::kMobileAppsAndDesktopClients;
  }
  if (internal::EqualsIgnoreCase(t, "exchangeActiveSync")) return ClientAppType::kExchangeActiveSync;
  if (internal::EqualsIgnoreCase(t, "other")) return ClientAppType::kOther;
  return std::nullopt;
}

std::optional<RiskLevel> ParseRiskLevel(absl::string_view t) {
  if (internal::EqualsIgnoreCase(t, "none")) return RiskLevel::kNone;
  if (internal::EqualsIgnoreCase(t, "low")) return RiskLevel::kLow;
  if (internal::EqualsIgnoreCase(t, "medium")) return RiskLevel::kMedium;
  if (internal::EqualsIgnoreCase(t, "high")) return RiskLevel::kHigh;
  return std::nullopt;
}

bool AnalyzeSessionFacts(const v1::Session* session, const EngineOptions& options,
                         SessionFacts* facts, std::string* error) {
  facts->Reset();
  if (session == nullptr) return true;
  const v1::Session& s = *session;
  const size_t max_list = options.max_session_list;
  const bool lists_ok = static_cast<size_t>(s.auth_methods_size()) <= max_list &&
                        static_cast<size_t>(s.accepted_terms_size()) <= max_list &&
                        static_cast<size_t>(s.satisfied_custom_factors_size()) <= max_list;
  if (!lists_ok &&
      (!CheckList(error, "auth_methods", s.auth_methods_size(), options.max_session_list) ||
      !CheckList(error, "accepted_terms", s.accepted_terms_size(), options.max_session_list) ||
      !CheckList(error, "satisfied_custom_factors", s.satisfied_custom_factors_size(),
                 options.max_session_list))) {
    return false;
  }
  for (int i = 0; i < s.auth_methods_size(); ++i) {
    const v1::AuthMethod& m = s.auth_methods(i);
    std::optional<Method> method = ParseSessionMethod(m.method());
    if (!method) {
      return Fail(error, absl::StrCat("auth_methods[", i, "].method"), m.method(),
                  "is not an authentication method");
    }
    std::optional<int64_t> at = internal::ParseRfc3339(m.at());
    if (!at) {
      return Fail(error, absl::StrCat("auth_methods[", i, "].at"), m.at(),
                  "is not an RFC 3339 time");
    }
    facts->methods.Add(*method, *at);
  }
  facts->primary_auth_time = facts->methods.PrimaryAuthTime();
  facts->mfa_time = facts->methods.MfaTime();
  if (!s.platform().empty()) {
    std::optional<Platform> p = ParsePlatform(s.platform());
    if (!p) return Fail(error, "platform", s.platform(), "is not a platform");
    facts->platform = *p;
  }
  if (!s.client_app_type().empty()) {
    std::optional<ClientAppType> c = ParseClientAppType(s.client_app_type());
    if (!c) return Fail(error, "client_app_type", s.client_app_type(), "is not a client app type");
    facts->client_app_type = *c;
  }
  if (!s.ip().empty()) {
    facts->ip = ParseIp(s.ip());
    if (!facts->ip) return Fail(error, "ip", s.ip(), "is not an IPv4 or IPv6 address");
  }
  if (!s.country().empty()) {
    const std::string& c = s.country();
    if (c.size() != 2 || !absl::ascii_isalpha(static_cast<unsigned char>(c[0])) ||
        !absl::ascii_isalpha(static_cast<unsigned char>(c[1]))) {
      return Fail(error, "country", c, "is not an ISO 3166 alpha-2 code");
    }
    facts->country = c;
  }
  if (!ParseRisk(s.sign_in_risk(), "sign_in_risk", &facts->sign_in_risk, error) ||
      !ParseRisk(s.user_risk(), "user_risk", &facts->user_risk, error) ||
      !ParseRisk(s.service_principal_risk(), "service_principal_risk",
                 &facts->service_principal_risk, error)) {
    return false;
  }
  if (s.has_device()) {
    const v1::Device& d = s.device();
    if (!d.trust_type().empty() && !internal::EqualsIgnoreCase(d.trust_type(), "AzureAD") &&
        !internal::EqualsIgnoreCase(d.trust_type(), "ServerAD") &&
        !internal::EqualsIgnoreCase(d.trust_type(), "Workplace")) {
      return Fail(error, "device.trust_type", d.trust_type(),
                  "is not AzureAD, ServerAD or Workplace");
    }
    const bool device_lists_ok = static_cast<size_t>(d.attributes_size()) <= max_list &&
                                 static_cast<size_t>(d.physical_ids_size()) <= max_list &&
                                 static_cast<size_t>(d.system_labels_size()) <= max_list;
    if (!device_lists_ok &&
        (!CheckList(error, "device.attributes", d.attributes_size(), options.max_session_list) ||
        !CheckList(error, "device.physical_ids", d.physical_ids_size(),
                   options.max_session_list) ||
        !CheckList(error, "device.system_labels", d.system_labels_size(),
                   options.max_session_list))) {
      return false;
    }
    for (const auto& [key, value] : d.attributes()) {
      std::optional<DeviceAttr> attr = ParseDeviceAttr(key);
      if (!attr) return Fail(error, "device.attributes", key, "is not a device attribute");
      if (*attr == DeviceAttr::kIsCompliant || *attr == DeviceAttr::kTrustType ||
          *attr == DeviceAttr::kPhysicalIds || *attr == DeviceAttr::kSystemLabels) {
        return Fail(error, "device.attributes", key,
                    "comes from the device's typed field, not the attribute map");
      }
    }
  }
  return true;
}

}  // namespace ca
}  // namespace consent
