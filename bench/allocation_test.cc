// Issue 7's allocation target as a count, not a timing: after one warm-up
// pass over a synthetic request stream, `Evaluate(request, &context)` makes
// no heap allocation (engine/policy_engine.h's hot-path promise).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/alloc_counter.h"
#include "bench/synthetic_tenant.h"
#include "engine/policy_engine.h"
#include "gtest/gtest.h"

namespace consent {
namespace bench {
namespace {

class AllocationTest : public ::testing::TestWithParam<TenantSize> {};

TEST_P(AllocationTest, ZeroAllocationsPerEvaluationAfterWarmUp) {
  if (!AllocationCountingAvailable()) GTEST_SKIP() << "a sanitizer replaces operator new: nothing to count";
  const SyntheticTenant tenant = GenerateTenant(GetParam());
  const std::vector<v1::TokenRequest> stream = GenerateRequests(tenant, 2000);
  absl::StatusOr<std::shared_ptr<const CompiledPolicy>> policy = CompilePolicy(tenant.bundle);
  ASSERT_TRUE(policy.ok()) << policy.status().message().substr(0, 2000);
  EvalContext context;
  for (const v1::TokenRequest& r : stream) (*policy)->Evaluate(r, &context);  // warm-up
  uint64_t total = 0;
  int worst = -1;
  uint64_t worst_count = 0;
  for (size_t i = 0; i < stream.size(); ++i) {
    const uint64_t before = ThreadAllocations();
    const DecisionView& view = (*policy)->Evaluate(stream[i], &context);
    const uint64_t n = ThreadAllocations() - before;
    ASSERT_NE(view.outcome, v1::OUTCOME_UNSPECIFIED);
    total += n;
    if (n > worst_count) {
      worst_count = n;
      worst = static_cast<int>(i);
    }
  }
  EXPECT_EQ(total, 0u) << "over " << stream.size() << " evaluations; worst: request "
                       << worst << " with " << worst_count << " allocations:\n"
                       << (worst >= 0 ? stream[worst].DebugString() : std::string());
}

INSTANTIATE_TEST_SUITE_P(Sizes, AllocationTest,
                         ::testing::Values(TenantSize::kSmall, TenantSize::kLarge),
                         [](const ::testing::TestParamInfo<TenantSize>& info) {
                           return std::string(TenantSizeName(info.param));
                         });

}  // namespace
}  // namespace bench
}  // namespace consent
