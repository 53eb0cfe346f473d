// Evaluate is allocation-free once its CaScratch and CaResult have warmed up
// (conditional_access.h), on every path: pass, block, step-up with claims and
// both challenges, contexts, report-only, device filters, locations, C9.
#include <atomic>
#include <cstdlib>
#include <new>

#include "engine/ca/ca_test_util.h"
#include "engine/ca/conditional_access.h"
#include "gtest/gtest.h"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
// The nothrow forms too: memory from the library's own nothrow new (e.g. a
// std::stable_sort buffer) would otherwise reach the free() below.
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n == 0 ? 1 : n);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace consent {
namespace ca {
namespace {

using namespace ::consent::ca::testing;  // NOLINT

constexpr char kBundle[] = R"pb(
  app_groups { name: "Office365" app_ids: "00000002-0000-0ff1-ce00-000000000000" }
  named_locations { id: "hq" ip_ranges: "203.0.113.0/24" ip_ranges: "2001:db8::/32" is_trusted: true }
  named_locations { id: "xx" countries: "XX" include_unknown: true }
  authentication_contexts { id: "c1" is_available: true }
  authentication_contexts { id: "c2" is_available: true }
  authentication_strengths { id: "s1" allowed_combinations: "fido2" }
  conditional_access_policies {
    id: "mfa-payroll" state: "enabled"
    users { include_users: "All" exclude_groups: "g-break-glass" }
    applications { include_applications: "payroll-app" }
    locations { include_locations: "All" exclude_locations: "AllTrusted" }
    device_filter { mode: "exclude" rule: "device.model -startsWith \"Surface\" -and device.isCompliant -eq True" }
    grant_controls { built_in_controls: "mfa" terms_of_use: "tou" }
    session_controls { sign_in_frequency { value: 1 type: "hours" } }
  }
  conditional_access_policies {
    id: "or-payroll" state: "enabled"
    users { include_groups: "g-finance" }
    applications { include_applications: "payroll-app" }
    grant_controls { operator: "OR" authentication_strength: "s1" custom_factors: "duo" }
  }
  conditional_access_policies {
    id: "ctx" state: "enabled"
    users { include_users: "All" }
    applications { include_auth_contexts: "c1" }
    grant_controls { built_in_controls: "mfa" }
  }
  conditional_access_policies {
    id: "block-xx" state: "enabled"
    users { include_users: "All" }
    applications { include_applications: "Office365" }
    locations { include_locations: "xx" }
    grant_controls { built_in_controls: "block" }
  }
  conditional_access_policies {
    id: "ro" state: "enabledForReportingButNotEnforced"
    users { include_users: "All" }
    applications { include_applications: "All" }
    platforms { include_platforms: "all" exclude_platforms: "iOS" }
    grant_controls { built_in_controls: "compliantDevice" }
  }
  conditional_access_policies {
    id: "wl" state: "enabled"
    client_applications { include_service_principals: "ServicePrincipalsInMyTenant" }
    applications { include_applications: "payroll-app" }
    grant_controls { built_in_controls: "block" }
  })pb";

TEST(CaAllocationTest, EvaluateIsAllocationFreeAfterWarmUp) {
  auto ca = CompileOrDie(kBundle);
  std::vector<Request> requests(6);
  requests[0].session = WithMfa();  // pass
  requests[0].session.add_accepted_terms("tou");
  requests[1].session = PasswordOnly(7200);  // step-up: SIF, mfa, terms, contexts
  requests[1].user.add_groups("g-finance");
  requests[1].input.challenge_format = ChallengeFormat::kBoth;
  requests[1].Params(R"({"access_token":{"acrs":{"values":["c1","c2"]}}})", "c1 c7", "60");
  requests[2].targets = {kExo, kGraph};  // block (unknown country)
  requests[2].session.set_ip("2001:db8::1");
  requests[3].session.set_ip("203.0.113.9");  // trusted: excluded location
  requests[3].session.mutable_device()->set_registered(true);
  (*requests[3].session.mutable_device()->mutable_attributes())["model"] = "Surface Pro";
  requests[3].input.opportunistic_acrs = true;
  requests[4].input.grant = GrantKind::kClientCredentials;  // C9
  requests[4].input.client = kDaemon;
  requests[5].input.grant = GrantKind::kRefreshToken;
  requests[5].input.client_public = true;
  requests[5].session = PasswordOnly(7200);
  for (Request& r : requests) r.Input();

  CaScratch* scratch = NewCaScratch();
  CaResult result;
  for (int warm = 0; warm < 2; ++warm) {
    for (Request& r : requests) ca->Evaluate(r.input, scratch, &result);
  }
  const long before = g_allocations.load();
  for (int round = 0; round < 50; ++round) {
    for (Request& r : requests) ca->Evaluate(r.input, scratch, &result);
  }
  const long allocations = g_allocations.load() - before;
  DeleteCaScratch(scratch);
  EXPECT_EQ(allocations, 0);

  // The requests did exercise every path.
  scratch = NewCaScratch();
  std::vector<CaResult::Verdict> verdicts;
  for (Request& r : requests) {
    ca->Evaluate(r.input, scratch, &result);
    verdicts.push_back(result.verdict);
    if (&r == &requests[1]) {
      EXPECT_FALSE(result.claims.empty());
      EXPECT_FALSE(result.rfc9470_challenge.empty());
      EXPECT_EQ(result.required_any_size, 1u);  // or-payroll: strength or custom
    }
  }
  DeleteCaScratch(scratch);
  using V = CaResult::Verdict;
  EXPECT_EQ(verdicts, (std::vector<V>{V::kPass, V::kStepUp, V::kBlocked, V::kPass, V::kBlocked,
                                      V::kStepUp}));
}

TEST(CaAllocationTest, ParseStepUpParamsReuseIsAllocationFree) {
  v1::TokenRequest r;
  r.set_claims(R"({"access_token":{"acrs":{"values":["c1","c2"]},"xms_cc":{"values":["cp1"]}}})");
  r.set_acr_values("c1 c3");
  r.set_max_age("3600");
  StepUpParams params;
  std::string error;
  ASSERT_TRUE(ParseStepUpParams(r, true, EngineOptions(), &params, &error));
  const long before = g_allocations.load();
  for (int i = 0; i < 20; ++i) ParseStepUpParams(r, true, EngineOptions(), &params, &error);
  EXPECT_EQ(g_allocations.load() - before, 0);
}

}  // namespace
}  // namespace ca
}  // namespace consent
