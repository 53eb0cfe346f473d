// The synthetic tenants against the engine: every size compiles, and each
// stream's decisions spread over the outcomes issue 7 asks for (printed).
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/synthetic_tenant.h"
#include "engine/policy_engine.h"
#include "gtest/gtest.h"

namespace consent {
namespace bench {
namespace {

class EngineTest : public ::testing::TestWithParam<TenantSize> {};

TEST_P(EngineTest, CompilesAndSpreadsOutcomes) {
  const SyntheticTenant tenant = GenerateTenant(GetParam());
  absl::StatusOr<std::shared_ptr<const CompiledPolicy>> policy = CompilePolicy(tenant.bundle);
  ASSERT_TRUE(policy.ok()) << policy.status().message().substr(0, 4000);
  const PolicyStats stats = (*policy)->stats();
  EXPECT_EQ(stats.ca_policies, tenant.spec.ca_policies);
  EXPECT_GT(stats.compiled_bytes, 0u);

  const std::vector<v1::TokenRequest> stream = GenerateRequests(tenant, 3000);
  std::map<v1::Outcome, int> outcomes;
  std::map<std::string, int> by_kind;
  std::map<std::string, int> invalid_codes;
  EvalContext context;
  v1::Decision from_view;
  for (const v1::TokenRequest& r : stream) {
    const v1::Decision d = (*policy)->Evaluate(r);
    ++outcomes[d.outcome()];
    ++by_kind[r.grant_type() + "/" + v1::Outcome_Name(d.outcome())];
    if (d.outcome() == v1::INVALID || d.outcome() == v1::UNAVAILABLE) {
      ++invalid_codes[d.error() + " " + std::to_string(d.error_code())];
    }
    // The benchmarks time the view overload: it must decide the same.
    DecisionViewToProto((*policy)->Evaluate(r, &context), &from_view);
    ASSERT_EQ(from_view.outcome(), d.outcome()) << r.DebugString();
    ASSERT_EQ(from_view.error_code(), d.error_code()) << r.DebugString();
  }
  std::printf("%s tenant: %d apps, %d SPs, %d APIs, %d scopes, %d grant policies, "
              "%d CA policies, %d locations, compiled %zu bytes\n",
              std::string(TenantSizeName(GetParam())).c_str(), stats.apps,
              stats.service_principals, stats.resources, stats.scopes, stats.grant_policies,
              stats.ca_policies, stats.named_locations, stats.compiled_bytes);
  for (const auto& [o, n] : outcomes) {
    std::printf("  %-24s %5d  %5.1f%%\n", v1::Outcome_Name(o).c_str(), n,
                100.0 * n / stream.size());
  }
  for (const auto& [k, n] : by_kind) std::printf("    %-40s %5d\n", k.c_str(), n);
  for (const auto& [k, n] : invalid_codes) std::printf("    refused: %-30s %5d\n", k.c_str(), n);

  // Issue 7: issue, prompts, admin approval, step-up, block.
  const int n = stream.size();
  for (v1::Outcome o : {v1::ISSUE, v1::CONSENT_PROMPT_USER, v1::ADMIN_APPROVAL_REQUIRED,
                        v1::STEP_UP_REQUIRED, v1::BLOCKED}) {
    EXPECT_GE(outcomes[o], n / 100) << v1::Outcome_Name(o);
  }
  EXPECT_GE(outcomes[v1::ISSUE], n / 5);
  // The generator means its requests to be well-formed.
  EXPECT_LE(outcomes[v1::INVALID], n / 20);
  EXPECT_EQ(outcomes[v1::UNAVAILABLE], 0);
}

INSTANTIATE_TEST_SUITE_P(Sizes, EngineTest,
                         ::testing::Values(TenantSize::kSmall, TenantSize::kLarge,
                                           TenantSize::kXLarge),
                         [](const ::testing::TestParamInfo<TenantSize>& info) {
                           return std::string(TenantSizeName(info.param));
                         });

}  // namespace
}  // namespace bench
}  // namespace consent
