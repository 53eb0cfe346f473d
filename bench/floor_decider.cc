#include "bench/floor_decider.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include <arpa/inet.h>

#include <cstring>

#include "absl/numeric/bits.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

namespace consent {
namespace bench {
namespace {

constexpr absl::string_view kGraph = "00000003-0000-0000-c000-000000000000";

bool IsOidc(absl::string_view token) {
  return token == "openid" || token == "profile" || token == "email" ||
         token == "offline_access";
}

uint8_t RiskBit(absl::string_view level) {
  if (level.empty() || level == "none") return 1;
  if (level == "low") return 2;
  if (level == "medium") return 4;
  return 8;  // high
}

uint8_t AppTypeBit(absl::string_view t) {
  if (t == "browser") return 1;
  if (t == "mobileAppsAndDesktopClients") return 2;
  if (t == "exchangeActiveSync") return 4;
  if (t == "other") return 8;
  if (t == "all") return 0x1f;
  return 16;  // none in the session: matches only `all` (C3)
}

uint8_t PlatformBit(absl::string_view p) {
  if (p == "android") return 1;
  if (p == "iOS") return 2;
  if (p == "windows") return 4;
  if (p == "macOS") return 8;
  if (p == "linux") return 16;
  if (p == "windowsPhone") return 32;
  if (p == "all") return 0x7f;
  return 64;  // unknown: matches only `all` (C3)
}

// SPEC 2.5: a strong method, or password + a second factor. The synthetic
// streams use exactly these names.
bool HasMfa(const v1::Session& s) {
  bool first = false, second = false;
  for (const v1::AuthMethod& m : s.auth_methods()) {
    const std::string& x = m.method();
    if (x == "fido2" || x == "windowsHelloForBusiness" || x == "x509Multifactor" ||
        x == "microsoftAuthenticatorPhoneSignIn") {
      return true;
    }
    if (x == "password" || x == "federatedSingleFactor") first = true;
    if (x == "microsoftAuthenticatorPush" || x == "sms" || x == "voice" ||
        x == "softwareOath" || x == "hardwareOath") {
      second = true;
    }
  }
  return first && second;
}

template <typename F>
void ForEachToken(absl::string_view text, F&& f) {
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    size_t j = i;
    while (j < text.size() && text[j] != ' ') ++j;
    if (j > i) f(text.substr(i, j - i));
    i = j;
  }
}

}  // namespace

FloorDecider::FloorDecider(const SyntheticTenant& tenant) {
  const v1::PolicyBundle& b = tenant.bundle;
  absl::flat_hash_map<std::string, bool> has_sp;
  for (const auto& sp : b.service_principals()) has_sp[sp.app_id()] = true;
  for (const auto& app : b.app_registrations()) {
    const int i = clients_.size();
    clients_by_id_.emplace(app.app_id(), i);
    Client c;
    c.has_sp = has_sp.contains(app.app_id());
    c.confidential = app.client_type() == "confidential";
    clients_.push_back(c);
  }
  absl::flat_hash_map<std::string, int> assignment_required;
  for (const auto& sp : b.service_principals()) {
    assignment_required[sp.app_id()] = sp.app_role_assignment_required();
  }
  for (const auto& res : b.resources()) {
    const int r = resources_.size();
    resources_.emplace_back();
    Resource& out = resources_.back();
    out.assignment_required = assignment_required[res.app_id()];
    resources_by_name_.emplace(res.app_id(), r);
    if (res.app_id() == kGraph) graph_ = r;
    for (int k = 0; k < res.scopes_size() && k < 64; ++k) {
      out.scope_bits.emplace(res.scopes(k).value(), k);
      if (res.scopes(k).admin_only()) out.admin_only |= uint64_t{1} << k;
    }
    auto c = clients_by_id_.find(res.app_id());
    if (c != clients_by_id_.end()) clients_[c->second].self_resource = r;
  }
  for (const auto& app : b.app_registrations()) {
    auto r = resources_by_name_.find(app.app_id());
    if (r == resources_by_name_.end()) continue;
    // Copy the index first: emplace may rehash and free what `r` points to
    // (ASan found the use after free).
    const int index = r->second;
    for (const auto& uri : app.identifier_uris()) resources_by_name_.emplace(uri, index);
  }
  for (const auto& g : b.tenant_wide_grants()) {
    auto c = clients_by_id_.find(g.client_app_id());
    auto r = resources_by_name_.find(g.resource_app_id());
    if (c == clients_by_id_.end() || r == resources_by_name_.end()) continue;
    uint64_t mask = 0;
    const Resource& res = resources_[r->second];
    ForEachToken(g.scope(), [&](absl::string_view v) {
      auto bit = res.scope_bits.find(v);
      if (bit != res.scope_bits.end()) mask |= uint64_t{1} << bit->second;
    });
    tenant_grants_[PairKey(c->second, r->second)] |= mask;
  }
  for (const auto& a : b.app_role_assignments()) {
    auto c = clients_by_id_.find(a.client_app_id());
    auto r = resources_by_name_.find(a.resource_app_id());
    if (c != clients_by_id_.end() && r != resources_by_name_.end()) {
      app_roles_[PairKey(c->second, r->second)] = true;
    }
  }
  CiMap<int> location_index;
  for (const auto& loc : b.named_locations()) {
    const int j = location_index.size();
    if (j >= kMaxLocations) break;
    location_index.emplace(loc.id(), j);
    if (loc.is_trusted()) trusted_.set(j);
    for (const auto& c : loc.countries()) countries_[c].set(j);
    for (const auto& range : loc.ip_ranges()) {
      const std::string prefix = range.substr(0, range.find('/'));
      if (range.find(':') != std::string::npos) {
        unsigned char a[16];
        if (inet_pton(AF_INET6, prefix.c_str(), a) != 1) continue;
        uint64_t key;
        std::memcpy(&key, a, 8);
        v6_[key].set(j);
      } else {
        in_addr a;
        if (inet_pton(AF_INET, prefix.c_str(), &a) != 1) continue;
        v4_[ntohl(a.s_addr) & 0xffffff00u].set(j);
      }
    }
  }
  // Only enforced user policies with applications: the ones a delegated
  // request's primary resource can meet.
  CiMap<std::vector<int>> groups;
  for (const auto& g : b.app_groups()) {
    for (const auto& id : g.app_ids()) {
      auto r = resources_by_name_.find(id);
      if (r != resources_by_name_.end()) groups[g.name()].push_back(r->second);
    }
  }
  for (const auto& p : b.conditional_access_policies()) {
    if (p.state() != "enabled" || !p.has_users()) continue;
    if (p.applications().include_auth_contexts_size() > 0) continue;
    Policy out;
    for (const auto& u : p.users().include_users()) out.all_users |= u == "All";
    out.include_groups.assign(p.users().include_groups().begin(),
                              p.users().include_groups().end());
    out.exclude_groups.assign(p.users().exclude_groups().begin(),
                              p.users().exclude_groups().end());
    for (const auto& level : p.sign_in_risk_levels()) out.risk_mask |= RiskBit(level);
    for (const auto& t : p.client_app_types()) out.app_type_mask |= AppTypeBit(t);
    for (const auto& x : p.platforms().include_platforms()) out.platform_include |= PlatformBit(x);
    for (const auto& x : p.platforms().exclude_platforms()) out.platform_exclude |= PlatformBit(x);
    for (const auto& l : p.locations().include_locations()) {
      out.has_locations = true;
      if (l == "All") {
        out.include_any_location = true;
      } else if (l == "AllTrusted") {
        out.include_locations |= trusted_;
      } else if (auto it = location_index.find(l); it != location_index.end()) {
        out.include_locations.set(it->second);
      }
    }
    for (const auto& l : p.locations().exclude_locations()) {
      if (l == "AllTrusted") {
        out.exclude_locations |= trusted_;
      } else if (auto it = location_index.find(l); it != location_index.end()) {
        out.exclude_locations.set(it->second);
      }
    }
    out.or_operator = p.grant_controls().operator_() == "OR";
    for (const auto& c : p.grant_controls().built_in_controls()) {
      out.block |= c == "block";
      out.mfa |= c == "mfa";
      out.compliant |= c == "compliantDevice";
    }
    out.mfa |= !p.grant_controls().authentication_strength().empty();
    const int index = policies_.size();
    policies_.push_back(std::move(out));
    for (const auto& a : p.applications().include_applications()) {
      if (a == "All") {
        for (Resource& r : resources_) r.policies.push_back(index);
        continue;
      }
      auto r = resources_by_name_.find(a);
      if (r != resources_by_name_.end()) resources_[r->second].policies.push_back(index);
      auto g = groups.find(a);
      if (g != groups.end()) {
        for (int member : g->second) resources_[member].policies.push_back(index);
      }
    }
  }
  for (Resource& r : resources_) {
    std::sort(r.policies.begin(), r.policies.end());
    r.policies.erase(std::unique(r.policies.begin(), r.policies.end()), r.policies.end());
  }
}

FloorDecider::LocationSet FloorDecider::Locate(const v1::Session& s) const {
  LocationSet out;
  if (!s.country().empty()) {
    auto c = countries_.find(s.country());
    if (c != countries_.end()) out |= c->second;
  }
  const std::string& ip = s.ip();
  if (ip.empty()) return out;
  if (ip.find(':') != std::string::npos) {
    unsigned char a[16];
    if (inet_pton(AF_INET6, ip.c_str(), a) == 1) {
      uint64_t key;
      std::memcpy(&key, a, 8);
      auto it = v6_.find(key);
      if (it != v6_.end()) out |= it->second;
    }
  } else {
    in_addr a;
    if (inet_pton(AF_INET, ip.c_str(), &a) == 1) {
      auto it = v4_.find(ntohl(a.s_addr) & 0xffffff00u);
      if (it != v4_.end()) out |= it->second;
    }
  }
  return out;
}

bool FloorDecider::PolicyApplies(const Policy& p, const v1::TokenRequest& r,
                                 const v1::Session& s, const LocationSet& locations) const {
  if (p.app_type_mask != 0 && (p.app_type_mask & AppTypeBit(s.client_app_type())) == 0) {
    return false;
  }
  if (p.platform_include != 0) {
    const uint8_t bit = PlatformBit(s.platform());
    if ((p.platform_include & bit) == 0 || (p.platform_exclude & bit) != 0) return false;
  }
  if (p.has_locations) {
    if (!p.include_any_location && (p.include_locations & locations).none()) return false;
    if ((p.exclude_locations & locations).any()) return false;
  }
  bool included = p.all_users;
  for (const std::string& g : r.user().groups()) {
    for (const std::string& x : p.exclude_groups) {
      if (g == x) return false;
    }
    if (!included) {
      for (const std::string& x : p.include_groups) included |= g == x;
    }
  }
  if (!included) return false;
  return p.risk_mask == 0 || (p.risk_mask & RiskBit(s.sign_in_risk())) != 0;
}

FloorDecision FloorDecider::Decide(const v1::TokenRequest& r) const {
  FloorDecision d;
  auto client_it = clients_by_id_.find(r.client_id());
  if (client_it == clients_by_id_.end()) {
    d.outcome = v1::INVALID;
    return d;
  }
  const int client = client_it->second;
  const absl::string_view grant = r.grant_type();
  const bool app_only = grant == "client_credentials";
  const bool silent = grant == "refresh_token" || grant == "on_behalf_of";
  absl::string_view scope = r.scope();
  if (scope.empty()) scope = r.refresh_token_scope();

  // Interned look-ups: primary resource and the requested scope mask.
  int primary = -1;
  uint64_t requested = 0;
  bool invalid = false;
  bool dot_default = false;
  ForEachToken(scope, [&](absl::string_view tok) {
    int res;
    absl::string_view value;
    const size_t slash = tok.rfind('/');
    if (slash == absl::string_view::npos) {
      if (IsOidc(tok)) return;
      res = graph_;
      value = tok;
    } else {
      auto it = resources_by_name_.find(tok.substr(0, slash));
      if (it == resources_by_name_.end()) {
        invalid = true;
        return;
      }
      res = it->second;
      value = tok.substr(slash + 1);
    }
    if (primary < 0) primary = res;
    if (res != primary) return;  // other resources: consent-only, skipped
    if (value == ".default") {
      dot_default = true;
      return;
    }
    auto bit = resources_[res].scope_bits.find(value);
    if (bit == resources_[res].scope_bits.end()) {
      invalid = true;
      return;
    }
    requested |= uint64_t{1} << bit->second;
  });
  if (invalid) {
    d.outcome = v1::INVALID;
    return d;
  }
  if (primary < 0) primary = graph_;
  const Resource& res = resources_[primary];

  if (app_only) {
    if (!clients_[client].confidential || !r.client_authenticated()) {
      d.outcome = v1::INVALID;
      return d;
    }
    const bool has_role = app_roles_.contains(PairKey(client, primary));
    d.outcome = res.assignment_required && !has_role ? v1::DENIED : v1::ISSUE;
    d.scopes = has_role;
    return d;
  }

  // Granted: tenant-wide (pre-computed) | the user's own grants.
  uint64_t granted = 0;
  auto tw = tenant_grants_.find(PairKey(client, primary));
  if (tw != tenant_grants_.end()) granted = tw->second;
  for (const v1::UserGrant& g : r.user().grants()) {
    auto gc = clients_by_id_.find(g.client_app_id());
    if (gc == clients_by_id_.end() || gc->second != client) continue;
    auto gr = resources_by_name_.find(g.resource_app_id());
    if (gr == resources_by_name_.end() || gr->second != primary) continue;
    ForEachToken(g.scope(), [&](absl::string_view v) {
      auto bit = res.scope_bits.find(v);
      if (bit != res.scope_bits.end()) granted |= uint64_t{1} << bit->second;
    });
  }
  if (dot_default && granted == 0 && !res.scope_bits.empty()) {
    requested = ~uint64_t{0} >> (64 - res.scope_bits.size());
  }

  // CA: the policies that target the primary resource.
  const v1::Session& s = grant == "on_behalf_of" ? r.assertion().session() : r.session();
  const bool mfa = HasMfa(s);
  const bool compliant = s.device().registered() && s.device().is_compliant();
  bool step_up = false;
  const LocationSet locations = res.policies.empty() ? LocationSet() : Locate(s);
  for (int index : res.policies) {
    const Policy& p = policies_[index];
    if (!PolicyApplies(p, r, s, locations)) continue;
    if (p.block) {
      d.outcome = v1::BLOCKED;
      return d;
    }
    if (p.or_operator) {
      if (!(p.mfa && mfa) && !(p.compliant && compliant)) {
        if (p.mfa) {
          step_up = true;
        } else {
          d.outcome = v1::BLOCKED;
          return d;
        }
      }
    } else {
      if (p.compliant && !compliant) {
        d.outcome = v1::BLOCKED;
        return d;
      }
      if (p.mfa && !mfa) step_up = true;
    }
  }
  if (step_up) {
    d.outcome = v1::STEP_UP_REQUIRED;
    return d;
  }

  // Consent.
  const uint64_t missing = requested & ~granted;
  if (missing != 0) {
    if (silent) {
      d.outcome = v1::CONSENT_REQUIRED;
    } else if ((missing & res.admin_only) != 0 || r.user().user_type() == "guest") {
      d.outcome = r.user().roles_size() > 0 ? v1::CONSENT_PROMPT_ADMIN
                                            : v1::ADMIN_APPROVAL_REQUIRED;
    } else {
      d.outcome = v1::CONSENT_PROMPT_USER;
    }
    d.scopes = absl::popcount(missing);
    return d;
  }
  d.outcome = v1::ISSUE;
  d.scopes = absl::popcount(granted);
  return d;
}

}  // namespace bench
}  // namespace consent
