// Tests of the synthetic tenant generator that need no engine: determinism,
// the sizes of issue 7, referential integrity, SPEC 1.7's CA compile checks,
// the built-ins matching policies/builtin/, and the request mix.
#include "bench/synthetic_tenant.h"

#include <fcntl.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/io/zero_copy_stream_impl.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace consent {
namespace bench {
namespace {

using ::google::protobuf::util::MessageDifferencer;

constexpr absl::string_view kGraph = "00000003-0000-0000-c000-000000000000";

std::string Lower(absl::string_view s) { return absl::AsciiStrToLower(s); }

TEST(SyntheticTenantTest, SameSeedSameBundleAndStream) {
  for (TenantSize size : {TenantSize::kSmall, TenantSize::kLarge}) {
    SCOPED_TRACE(TenantSizeName(size));
    const SyntheticTenant a = GenerateTenant(size, 7);
    const SyntheticTenant b = GenerateTenant(size, 7);
    EXPECT_TRUE(MessageDifferencer::Equals(a.bundle, b.bundle));
    const auto ra = GenerateRequests(a, 500, 11);
    const auto rb = GenerateRequests(b, 500, 11);
    ASSERT_EQ(ra.size(), 500u);
    ASSERT_EQ(rb.size(), 500u);
    for (size_t i = 0; i < ra.size(); ++i) {
      ASSERT_TRUE(MessageDifferencer::Equals(ra[i], rb[i])) << "request " << i;
    }
  }
}

TEST(SyntheticTenantTest, DifferentSeedDifferentBundleAndStream) {
  const SyntheticTenant a = GenerateTenant(TenantSize::kSmall, 1);
  const SyntheticTenant b = GenerateTenant(TenantSize::kSmall, 2);
  EXPECT_FALSE(MessageDifferencer::Equals(a.bundle, b.bundle));
  const auto ra = GenerateRequests(a, 50, 1);
  const auto rb = GenerateRequests(a, 50, 2);
  int differ = 0;
  for (size_t i = 0; i < ra.size(); ++i) {
    differ += !MessageDifferencer::Equals(ra[i], rb[i]);
  }
  EXPECT_GT(differ, 40);
}

TEST(SyntheticTenantTest, ParseTenantSize) {
  EXPECT_EQ(*ParseTenantSize("small"), TenantSize::kSmall);
  EXPECT_EQ(*ParseTenantSize("Large"), TenantSize::kLarge);
  EXPECT_EQ(*ParseTenantSize("XLARGE"), TenantSize::kXLarge);
  const absl::StatusOr<TenantSize> bad = ParseTenantSize("huge");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), ::testing::HasSubstr("\"huge\""));
}

struct SizeCase {
  TenantSize size;
  int clients, apis, scopes_per_api, ca, locations, ranges, contexts, pgps;
};

class SizeTest : public ::testing::TestWithParam<SizeCase> {};

// Issue 7's counts (xlarge's open counts are this generator's choice).
TEST_P(SizeTest, CountsMatchTheIssue) {
  const SizeCase& c = GetParam();
  const SyntheticTenant t = GenerateTenant(c.size);
  const v1::PolicyBundle& b = t.bundle;
  EXPECT_EQ(t.clients.size(), c.clients);
  EXPECT_EQ(t.apis.size(), c.apis);
  // + GRAPH, EXO, AADGRAPH.
  EXPECT_EQ(b.resources_size(), c.apis + 3);
  EXPECT_EQ(b.app_registrations_size(), c.clients + c.apis + 3);
  for (int i = 3; i < b.resources_size(); ++i) {
    ASSERT_EQ(b.resources(i).scopes_size(), c.scopes_per_api);
  }
  EXPECT_EQ(b.conditional_access_policies_size(), c.ca);
  int ip_locations = 0, ranges = 0, v6 = 0;
  for (const auto& loc : b.named_locations()) {
    if (loc.ip_ranges_size() == 0) continue;
    ++ip_locations;
    ranges += loc.ip_ranges_size();
    for (const auto& r : loc.ip_ranges()) v6 += r.find(':') != std::string::npos;
  }
  EXPECT_EQ(ip_locations, c.locations);
  EXPECT_EQ(ranges, c.ranges);
  EXPECT_GT(v6, 0);              // IPv6 ranges too
  EXPECT_GT(ranges - v6, v6);    // mostly IPv4
  EXPECT_EQ(b.authentication_contexts_size(), c.contexts);
  // + the four built-ins.
  EXPECT_EQ(b.permission_grant_policies_size(), c.pgps + 4);
  EXPECT_GT(b.tenant_wide_grants_size(), 0);
  EXPECT_GT(b.app_role_assignments_size(), 0);
  EXPECT_GT(b.app_groups_size(), 0);
  EXPECT_GT(b.custom_roles_size(), 0);
}

INSTANTIATE_TEST_SUITE_P(
    Sizes, SizeTest,
    ::testing::Values(SizeCase{TenantSize::kSmall, 10, 5, 20, 10, 5, 40, 5, 5},
                      SizeCase{TenantSize::kLarge, 1000, 100, 50, 200, 50, 1000, 20, 50},
                      SizeCase{TenantSize::kXLarge, 10000, 1000, 50, 2000, 200, 4000, 50,
                               200}),
    [](const ::testing::TestParamInfo<SizeCase>& info) {
      return std::string(TenantSizeName(info.param.size));
    });

// Case-insensitive lookups of what a bundle defines (SPEC §0).
struct Index {
  absl::flat_hash_set<std::string> apps;      // registrations
  absl::flat_hash_set<std::string> sps;       // app ids with an SP
  absl::flat_hash_set<std::string> sp_objects;
  absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>> scope_values;
  absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>> scope_ids;
  absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>> role_ids;
  absl::flat_hash_map<std::string, std::string> uri_to_app;
  absl::flat_hash_set<std::string> locations, contexts, app_groups, pgps;

  explicit Index(const v1::PolicyBundle& b) {
    for (const auto& a : b.app_registrations()) {
      EXPECT_TRUE(apps.insert(Lower(a.app_id())).second) << "duplicate app " << a.app_id();
      uri_to_app[Lower(a.app_id())] = Lower(a.app_id());
      for (const auto& u : a.identifier_uris()) uri_to_app[Lower(u)] = Lower(a.app_id());
    }
    for (const auto& sp : b.service_principals()) {
      EXPECT_TRUE(sps.insert(Lower(sp.app_id())).second) << "duplicate SP " << sp.app_id();
      sp_objects.insert(Lower(sp.object_id()));
    }
    for (const auto& r : b.resources()) {
      auto& values = scope_values[Lower(r.app_id())];
      auto& ids = scope_ids[Lower(r.app_id())];
      for (const auto& s : r.scopes()) {
        EXPECT_TRUE(values.insert(Lower(s.value())).second) << s.value();
        EXPECT_TRUE(ids.insert(Lower(s.id())).second) << s.id();
        // SPEC 1.3: only non-admin-only scopes can be classified.
        if (s.admin_only()) {
          EXPECT_EQ(s.classification(), "") << s.value();
        }
      }
      for (const auto& role : r.app_roles()) role_ids[Lower(r.app_id())].insert(Lower(role.id()));
    }
    for (const auto& l : b.named_locations()) locations.insert(Lower(l.id()));
    for (const auto& c : b.authentication_contexts()) contexts.insert(Lower(c.id()));
    for (const auto& g : b.app_groups()) app_groups.insert(Lower(g.name()));
    for (const auto& p : b.permission_grant_policies()) pgps.insert(Lower(p.id()));
  }

  bool HasScope(absl::string_view app, absl::string_view value) const {
    auto it = scope_values.find(Lower(app));
    return it != scope_values.end() && it->second.contains(Lower(value));
  }
};

class IntegrityTest : public ::testing::TestWithParam<TenantSize> {};

TEST_P(IntegrityTest, EveryReferenceResolves) {
  const SyntheticTenant t = GenerateTenant(GetParam());
  const v1::PolicyBundle& b = t.bundle;
  const Index ix(b);
  EXPECT_EQ(b.tenant_id(), kTenantId);
  for (const auto& sp : b.service_principals()) EXPECT_TRUE(ix.apps.contains(Lower(sp.app_id())));
  for (const auto& r : b.resources()) {
    EXPECT_TRUE(ix.sps.contains(Lower(r.app_id())));
    for (const auto& s : r.scopes()) {
      for (const auto& target : s.ca_targets()) EXPECT_TRUE(ix.apps.contains(Lower(target)));
    }
    for (const auto& pa : r.pre_authorized()) {
      EXPECT_TRUE(ix.apps.contains(Lower(pa.client_app_id())));
      for (const auto& id : pa.scope_ids()) {
        EXPECT_TRUE(ix.scope_ids.at(Lower(r.app_id())).contains(Lower(id))) << id;
      }
    }
  }
  for (const auto& a : b.app_registrations()) {
    for (const auto& rra : a.required_resource_access()) {
      for (const auto& v : rra.scopes()) {
        EXPECT_TRUE(ix.HasScope(rra.resource_app_id(), v)) << a.app_id() << " " << v;
      }
    }
  }
  for (const auto& g : b.tenant_wide_grants()) {
    EXPECT_TRUE(ix.sps.contains(Lower(g.client_app_id()))) << g.id();
    for (absl::string_view v : absl::StrSplit(g.scope(), ' ')) {
      EXPECT_TRUE(ix.HasScope(g.resource_app_id(), v)) << g.id() << " " << v;
    }
  }
  for (const auto& ra : b.app_role_assignments()) {
    EXPECT_TRUE(ix.sps.contains(Lower(ra.client_app_id())));
    EXPECT_TRUE(ix.role_ids.at(Lower(ra.resource_app_id())).contains(Lower(ra.app_role_id())));
  }
  for (const auto& p : b.permission_grant_policies()) {
    EXPECT_GE(p.includes_size(), 1) << p.id();  // SPEC 1.6
    for (const auto* sets : {&p.includes(), &p.excludes()}) {
      for (const auto& cs : *sets) {
        EXPECT_THAT(cs.permission_type(),
                    ::testing::AnyOf("delegated", "application", "delegatedUserConsentable"));
        for (const auto& id : cs.permissions()) {
          EXPECT_TRUE(ix.scope_ids.at(Lower(cs.resource_application())).contains(Lower(id)));
        }
      }
    }
  }
  for (const auto& p : b.consent_settings().user_consent_policies()) {
    EXPECT_TRUE(ix.pgps.contains(Lower(p))) << p;
  }
  for (const auto& role : b.custom_roles()) {
    for (const auto& perm : role.permissions()) {
      const std::vector<std::string> parts = absl::StrSplit(perm, absl::MaxSplits('.', 1));
      ASSERT_EQ(parts.size(), 2u);
      EXPECT_THAT(parts[0], ::testing::AnyOf("managePermissionGrantsForSelf",
                                             "managePermissionGrantsForAll"));
      EXPECT_TRUE(ix.pgps.contains(Lower(parts[1]))) << perm;
    }
  }
}

// SPEC 1.7's compile checks, one by one.
TEST_P(IntegrityTest, ConditionalAccessPassesSpec17Checks) {
  const SyntheticTenant t = GenerateTenant(GetParam());
  const Index ix(t.bundle);
  std::set<std::string> ids;
  std::map<std::string, int> states;
  for (const auto& p : t.bundle.conditional_access_policies()) {
    SCOPED_TRACE(p.id());
    EXPECT_TRUE(ids.insert(Lower(p.id())).second);
    ++states[p.state()];
    const auto& g = p.grant_controls();
    const auto& controls = g.built_in_controls();
    const bool block = std::find(controls.begin(), controls.end(), "block") != controls.end();
    const bool mfa = std::find(controls.begin(), controls.end(), "mfa") != controls.end();
    if (block) {  // block stands alone
      EXPECT_EQ(controls.size(), 1);
      EXPECT_EQ(g.authentication_strength(), "");
    }
    EXPECT_FALSE(mfa && !g.authentication_strength().empty());
    for (const auto& c : controls) EXPECT_NE(c, "passwordChange");
    EXPECT_THAT(g.operator_(), ::testing::AnyOf("", "AND", "OR"));
    const bool users = p.has_users();
    const bool workload = p.has_client_applications();
    EXPECT_NE(users, workload);  // users or client_applications, not both
    if (workload) {
      EXPECT_TRUE(block);
      EXPECT_EQ(p.applications().include_auth_contexts_size(), 0);
      for (const auto& sp : p.client_applications().include_service_principals()) {
        EXPECT_TRUE(ix.sp_objects.contains(Lower(sp))) << sp;
      }
    }
    const auto& apps = p.applications();
    // Applications or auth contexts, never both (and one of them).
    EXPECT_NE(apps.include_applications_size() > 0, apps.include_auth_contexts_size() > 0);
    for (const auto& a : apps.include_applications()) {
      EXPECT_TRUE(a == "All" || ix.apps.contains(Lower(a)) || ix.app_groups.contains(Lower(a)))
          << a;
    }
    for (const auto& c : apps.include_auth_contexts()) EXPECT_TRUE(ix.contexts.contains(c));
    for (const auto* locs : {&p.locations().include_locations(), &p.locations().exclude_locations()}) {
      for (const auto& l : *locs) {
        EXPECT_TRUE(l == "All" || l == "AllTrusted" || ix.locations.contains(Lower(l))) << l;
      }
    }
    for (const auto& grp : p.users().include_groups()) {
      EXPECT_EQ(std::count(p.users().include_groups().begin(), p.users().include_groups().end(),
                           grp),
                1);
    }
    if (p.session_controls().has_sign_in_frequency()) {
      const auto& sif = p.session_controls().sign_in_frequency();
      EXPECT_GE(sif.value(), 1);
      EXPECT_THAT(sif.type(), ::testing::AnyOf("hours", "days"));
    }
  }
  if (t.bundle.conditional_access_policies_size() >= 20) {
    EXPECT_GT(states["enabled"], 0);
    EXPECT_GT(states["disabled"], 0);
    EXPECT_GT(states["enabledForReportingButNotEnforced"], 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, IntegrityTest,
                         ::testing::Values(TenantSize::kSmall, TenantSize::kLarge,
                                           TenantSize::kXLarge),
                         [](const ::testing::TestParamInfo<TenantSize>& info) {
                           return std::string(TenantSizeName(info.param));
                         });

// The generated built-ins equal policies/builtin/microsoft.textproto's.
TEST(SyntheticTenantTest, BuiltinsEqualTheShippedFile) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  ASSERT_NE(srcdir, nullptr);
  ASSERT_NE(workspace, nullptr);
  const std::string path =
      std::string(srcdir) + "/" + workspace + "/policies/builtin/microsoft.textproto";
  const int fd = open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0) << path;
  google::protobuf::io::FileInputStream in(fd);
  in.SetCloseOnDelete(true);
  v1::PolicyBundle shipped;
  ASSERT_TRUE(google::protobuf::TextFormat::Parse(&in, &shipped));
  const SyntheticTenant t = GenerateTenant(TenantSize::kSmall);
  int compared = 0;
  for (const auto& mine : t.bundle.permission_grant_policies()) {
    if (mine.id().rfind("microsoft-", 0) != 0) continue;
    bool found = false;
    for (const auto& theirs : shipped.permission_grant_policies()) {
      if (theirs.id() != mine.id()) continue;
      found = true;
      v1::PermissionGrantPolicy a = mine, b = theirs;
      a.clear_description();
      b.clear_description();
      EXPECT_TRUE(MessageDifferencer::Equals(a, b)) << mine.id();
    }
    EXPECT_TRUE(found) << mine.id();
    ++compared;
  }
  EXPECT_EQ(compared, 4);
}

// The stream mix of the header: every grant type, 1-5 scopes per
// interactive request, OBO assertions naming their user.
TEST(SyntheticTenantTest, RequestMix) {
  const SyntheticTenant t = GenerateTenant(TenantSize::kLarge);
  const Index ix(t.bundle);
  const std::vector<v1::TokenRequest> stream = GenerateRequests(t, 4000);
  std::map<std::string, int> kinds;
  int with_mfa = 0, with_device = 0, with_acr = 0, ipv6 = 0;
  for (const auto& r : stream) {
    ++kinds[r.grant_type() == "authorization_code" ? "interactive" : r.grant_type()];
    EXPECT_EQ(r.tenant(), kTenantId);
    EXPECT_EQ(r.now(), kNow);
    EXPECT_TRUE(ix.apps.contains(Lower(r.client_id())));
    const std::string scope = r.scope().empty() ? r.refresh_token_scope() : r.scope();
    int named = 0;
    for (absl::string_view tok : absl::StrSplit(scope, ' ', absl::SkipEmpty())) {
      if (tok == "openid" || tok == "profile" || tok == "offline_access") continue;
      const size_t slash = tok.rfind('/');
      ASSERT_NE(slash, absl::string_view::npos) << tok;
      auto app = ix.uri_to_app.find(Lower(tok.substr(0, slash)));
      ASSERT_NE(app, ix.uri_to_app.end()) << tok;
      if (tok.substr(slash + 1) != ".default") {
        EXPECT_TRUE(ix.HasScope(app->second, tok.substr(slash + 1))) << tok;
      }
      ++named;
    }
    if (r.grant_type() == "client_credentials") {
      EXPECT_EQ(named, 1);
      EXPECT_TRUE(r.client_authenticated());
      continue;
    }
    EXPECT_GE(named, 1);
    EXPECT_LE(named, 5);
    for (const auto& g : r.user().grants()) {
      for (absl::string_view v : absl::StrSplit(g.scope(), ' ')) {
        EXPECT_TRUE(ix.HasScope(g.resource_app_id(), v)) << v;
      }
    }
    const v1::Session& s =
        r.grant_type() == "on_behalf_of" ? r.assertion().session() : r.session();
    for (const auto& m : s.auth_methods()) {
      with_mfa += m.method() == "fido2" || m.method() == "microsoftAuthenticatorPush";
    }
    with_device += s.device().registered();
    ipv6 += s.ip().find(':') != std::string::npos;
    with_acr += !r.acr_values().empty() || !r.claims().empty();
    if (r.grant_type() == "on_behalf_of") {
      EXPECT_EQ(r.assertion().subject_id(), r.user().id());
      EXPECT_EQ(r.assertion().kind(), "access_token");
    }
  }
  // ~50/22/12/16 by construction; generous bands.
  EXPECT_GT(kinds["interactive"], 1700);
  EXPECT_GT(kinds["refresh_token"], 650);
  EXPECT_GT(kinds["on_behalf_of"], 300);
  EXPECT_GT(kinds["client_credentials"], 450);
  const int delegated = 4000 - kinds["client_credentials"];
  EXPECT_GT(with_mfa, delegated / 2);
  EXPECT_LT(with_mfa, delegated * 8 / 10);
  EXPECT_GT(with_device, delegated / 2);
  EXPECT_GT(ipv6, 0);
  EXPECT_GT(with_acr, 0);
}

}  // namespace
}  // namespace bench
}  // namespace consent
