// One CompiledPolicy evaluated from several threads at once, each with its
// own EvalContext: every thread must reach exactly the decisions a single
// thread reaches. Run under ThreadSanitizer by tools/tsan.sh, this also
// checks the engine's shared state (function-local statics, per-thread
// memos, the compiled policy itself) for data races; in the normal suite it
// checks that evaluations do not interfere.
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/synthetic_tenant.h"
#include "engine/policy_engine.h"
#include "gtest/gtest.h"

namespace consent {
namespace {

TEST(EngineConcurrencyTest, ThreadsWithOwnContextsDecideAsOneThreadDoes) {
  const bench::SyntheticTenant tenant = bench::GenerateTenant(bench::TenantSize::kSmall);
  const std::vector<v1::TokenRequest> requests = bench::GenerateRequests(tenant, 600);
  auto compiled = CompilePolicy(tenant.bundle);
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  const std::shared_ptr<const CompiledPolicy> policy = *compiled;

  std::vector<std::string> expected;
  for (const v1::TokenRequest& r : requests) {
    expected.push_back(policy->Evaluate(r).SerializeAsString());
  }

  constexpr int kThreads = 4;
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      EvalContext context;
      v1::Decision decision;
      // Each thread starts at a different request so that the same request
      // is evaluated by different threads at the same time.
      for (size_t k = 0; k < requests.size() * 2; ++k) {
        const size_t i = (k + t * requests.size() / kThreads) % requests.size();
        decision.Clear();
        DecisionViewToProto(policy->Evaluate(requests[i], &context), &decision);
        if (decision.SerializeAsString() != expected[i]) ++mismatches[t];
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

}  // namespace
}  // namespace consent
