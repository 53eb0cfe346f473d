// Micro-benchmarks of the engine against synthetic tenants (issue 7).
//
//   bazel run -c opt --config=bench //bench:engine_bench --
//       --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// - BM_Evaluate_{Small,Large,XLarge}: the allocation-free
//   `Evaluate(request, &context)` over a 4,096-request stream (not one
//   repeated request), one reused EvalContext. Counters: `allocs_per_eval`
//   (operator new calls per evaluation after warm-up, from
//   //bench:alloc_counter) and the stream's share of INVALID/UNAVAILABLE
//   decisions (a broken engine would look fast).
// - BM_Floor_Large: bench/floor_decider.h's hand-written decision over the
//   same stream, so the engine's cost is a ratio measured in one run.
// - BM_EvaluateLatency_{Small,Large,XLarge}: each evaluation timed on its own
//   (steady_clock, ~20 ns of its own); counters p50/p90/p99/p999 in ns.
// - BM_Compile_{Small,Large,XLarge}: CompilePolicy; counters
//   `compiled_bytes` and `tenants_per_GiB`.
// - BM_EvaluateWire_Large: what the sidecar adds per decision in process:
//   the view, DecisionViewToProto into a reused Decision, and its wire
//   serialization into a reused string; counter `decision_bytes`.
// - BM_Throughput_Large: BatchEvaluate-style, 100 requests per iteration,
//   on 1 and 2 threads (real time), each thread with its own EvalContext:
//   items_per_second is decisions per second.
//
// bench/report.py turns the JSON output into bench/README.md's tables.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "bench/alloc_counter.h"
#include "bench/floor_decider.h"
#include "bench/synthetic_tenant.h"
#include "benchmark/benchmark.h"
#include "engine/policy_engine.h"

namespace consent {
namespace bench {
namespace {

constexpr size_t kStreamSize = 4096;  // a power of two: index by mask
static_assert((kStreamSize & (kStreamSize - 1)) == 0, "mask indexing");

struct Fixture {
  SyntheticTenant tenant;
  std::vector<v1::TokenRequest> stream;
  std::shared_ptr<const CompiledPolicy> policy;
  std::unique_ptr<FloorDecider> floor;
};

// Built once per size, on first use (thread-safe static init), never freed.
const Fixture& GetFixture(TenantSize size) {
  static Fixture* fixtures[3] = {nullptr, nullptr, nullptr};
  static absl::Mutex mu;
  absl::MutexLock lock(&mu);
  Fixture*& f = fixtures[static_cast<int>(size)];
  if (f == nullptr) {
    f = new Fixture;
    f->tenant = GenerateTenant(size);
    f->stream = GenerateRequests(f->tenant, kStreamSize);
    absl::StatusOr<std::shared_ptr<const CompiledPolicy>> policy =
        CompilePolicy(f->tenant.bundle);
    if (!policy.ok()) {
      std::fprintf(stderr, "synthetic %s bundle does not compile: %s\n",
                   std::string(TenantSizeName(size)).c_str(),
                   std::string(policy.status().message()).substr(0, 4000).c_str());
      std::abort();
    }
    f->policy = *std::move(policy);
    f->floor = std::make_unique<FloorDecider>(f->tenant);
  }
  return *f;
}

void BM_Evaluate(benchmark::State& state, TenantSize size) {
  const Fixture& f = GetFixture(size);
  EvalContext context;
  // Warm-up: one pass so every buffer of the context reaches its capacity;
  // count the decisions that would make the figure meaningless.
  int refused = 0;
  for (const v1::TokenRequest& r : f.stream) {
    const v1::Outcome o = f.policy->Evaluate(r, &context).outcome;
    refused += o == v1::INVALID || o == v1::UNAVAILABLE;
  }
  size_t i = 0;
  const uint64_t allocs_before = ThreadAllocations();
  for (auto _ : state) {
    const DecisionView& view = f.policy->Evaluate(f.stream[i & (kStreamSize - 1)], &context);
    benchmark::DoNotOptimize(view.outcome);
    ++i;
  }
  const uint64_t allocs = ThreadAllocations() - allocs_before;
  state.counters["allocs_per_eval"] =
      benchmark::Counter(static_cast<double>(allocs) / std::max<size_t>(i, 1));
  state.counters["refused_share"] =
      benchmark::Counter(static_cast<double>(refused) / f.stream.size());
  state.SetItemsProcessed(state.iterations());
}

void BM_Floor_Large(benchmark::State& state) {
  const Fixture& f = GetFixture(TenantSize::kLarge);
  size_t i = 0;
  const uint64_t allocs_before = ThreadAllocations();
  for (auto _ : state) {
    const FloorDecision d = f.floor->Decide(f.stream[i & (kStreamSize - 1)]);
    benchmark::DoNotOptimize(d);
    ++i;
  }
  state.counters["allocs_per_eval"] = benchmark::Counter(
      static_cast<double>(ThreadAllocations() - allocs_before) / std::max<size_t>(i, 1));
  state.SetItemsProcessed(state.iterations());
}

// Per-evaluation latency percentiles. Samples go into a buffer reserved
// before timing starts.
void BM_EvaluateLatency(benchmark::State& state, TenantSize size) {
  const Fixture& f = GetFixture(size);
  EvalContext context;
  for (const v1::TokenRequest& r : f.stream) f.policy->Evaluate(r, &context);
  std::vector<int64_t> samples;
  samples.reserve(1 << 22);
  size_t i = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    const DecisionView& view = f.policy->Evaluate(f.stream[i & (kStreamSize - 1)], &context);
    benchmark::DoNotOptimize(view.outcome);
    const auto end = std::chrono::steady_clock::now();
    if (samples.size() < samples.capacity()) {
      samples.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count());
    }
    ++i;
  }
  if (samples.empty()) return;
  std::sort(samples.begin(), samples.end());
  auto pct = [&](double p) {
    return static_cast<double>(
        samples[std::min(samples.size() - 1, static_cast<size_t>(p * samples.size()))]);
  };
  state.counters["p50_ns"] = pct(0.50);
  state.counters["p90_ns"] = pct(0.90);
  state.counters["p99_ns"] = pct(0.99);
  state.counters["p999_ns"] = pct(0.999);
}

void BM_Compile(benchmark::State& state, TenantSize size) {
  const Fixture& f = GetFixture(size);
  size_t bytes = 0;
  for (auto _ : state) {
    absl::StatusOr<std::shared_ptr<const CompiledPolicy>> policy = CompilePolicy(f.tenant.bundle);
    if (!policy.ok()) {
      state.SkipWithError("compile failed");
      return;
    }
    bytes = (*policy)->stats().compiled_bytes;
    benchmark::DoNotOptimize(bytes);
  }
  state.counters["compiled_bytes"] = static_cast<double>(bytes);
  state.counters["bundle_bytes"] = static_cast<double>(f.tenant.bundle.ByteSizeLong());
  state.counters["tenants_per_GiB"] =
      bytes == 0 ? 0.0 : static_cast<double>(uint64_t{1} << 30) / static_cast<double>(bytes);
}

void BM_EvaluateWire_Large(benchmark::State& state) {
  const Fixture& f = GetFixture(TenantSize::kLarge);
  EvalContext context;
  v1::Decision decision;
  std::string wire;
  for (const v1::TokenRequest& r : f.stream) {
    DecisionViewToProto(f.policy->Evaluate(r, &context), &decision);
    decision.SerializeToString(&wire);
  }
  size_t i = 0;
  size_t bytes = 0;
  const uint64_t allocs_before = ThreadAllocations();
  for (auto _ : state) {
    DecisionViewToProto(f.policy->Evaluate(f.stream[i & (kStreamSize - 1)], &context), &decision);
    decision.SerializeToString(&wire);
    bytes += wire.size();
    ++i;
  }
  state.counters["allocs_per_eval"] = benchmark::Counter(
      static_cast<double>(ThreadAllocations() - allocs_before) / std::max<size_t>(i, 1));
  state.counters["decision_bytes"] =
      benchmark::Counter(static_cast<double>(bytes) / std::max<size_t>(i, 1));
  state.SetItemsProcessed(state.iterations());
}

// BatchEvaluate-style in-process throughput: each iteration decides a batch
// of 100 requests of the stream; threads share the policy, not the context.
void BM_Throughput_Large(benchmark::State& state) {
  const Fixture& f = GetFixture(TenantSize::kLarge);
  EvalContext context;
  for (const v1::TokenRequest& r : f.stream) f.policy->Evaluate(r, &context);
  constexpr size_t kBatch = 100;
  size_t i = static_cast<size_t>(state.thread_index()) * 997;
  for (auto _ : state) {
    for (size_t b = 0; b < kBatch; ++b) {
      const DecisionView& view = f.policy->Evaluate(f.stream[i & (kStreamSize - 1)], &context);
      benchmark::DoNotOptimize(view.outcome);
      ++i;
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

BENCHMARK_CAPTURE(BM_Evaluate, Small, TenantSize::kSmall)->Name("BM_Evaluate_Small");
BENCHMARK_CAPTURE(BM_Evaluate, Large, TenantSize::kLarge)->Name("BM_Evaluate_Large");
BENCHMARK_CAPTURE(BM_Evaluate, XLarge, TenantSize::kXLarge)->Name("BM_Evaluate_XLarge");
BENCHMARK(BM_Floor_Large);
BENCHMARK(BM_EvaluateWire_Large);
BENCHMARK_CAPTURE(BM_EvaluateLatency, Small, TenantSize::kSmall)
    ->Name("BM_EvaluateLatency_Small")
    ->Iterations(400000);
BENCHMARK_CAPTURE(BM_EvaluateLatency, Large, TenantSize::kLarge)
    ->Name("BM_EvaluateLatency_Large")
    ->Iterations(400000);
BENCHMARK_CAPTURE(BM_EvaluateLatency, XLarge, TenantSize::kXLarge)
    ->Name("BM_EvaluateLatency_XLarge")
    ->Iterations(400000);
BENCHMARK_CAPTURE(BM_Compile, Small, TenantSize::kSmall)
    ->Name("BM_Compile_Small")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Compile, Large, TenantSize::kLarge)
    ->Name("BM_Compile_Large")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Compile, XLarge, TenantSize::kXLarge)
    ->Name("BM_Compile_XLarge")
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);
BENCHMARK(BM_Throughput_Large)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace
}  // namespace bench
}  // namespace consent
