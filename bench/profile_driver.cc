// A small driver for `valgrind --tool=callgrind` (issue 7: perf has no
// hardware counters here; callgrind counts instructions reliably).
//
//   valgrind --tool=callgrind --toggle-collect='*RunProfiled*'
//       bazel-bin/bench/profile_driver --size=large --mode=evaluate --passes=2
//
// Only RunProfiled() is measured when collection is toggled on it: the
// tenant generation and (for --mode=evaluate/floor) the compile stay out.
#include <time.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "bench/floor_decider.h"
#include "bench/synthetic_tenant.h"
#include "engine/policy_engine.h"

ABSL_FLAG(std::string, size, "large", "small, large or xlarge");
ABSL_FLAG(std::string, mode, "evaluate", "evaluate, floor or compile");
ABSL_FLAG(int, passes, 2, "passes over the 4,096-request stream (evaluate, floor)");
ABSL_FLAG(uint64_t, seed, consent::bench::kDefaultSeed,
          "tenant and stream seed (profile-guided builds train on another seed than the "
          "benchmarks measure)");
ABSL_FLAG(bool, drop_report_only, false,
          "disable the report-only CA policies before compiling (what-if: the cost of C8)");

namespace consent {
namespace bench {

double ThreadCpuNanos() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

// Not inline, not static: callgrind toggles on its symbol.
__attribute__((noinline)) int RunProfiled(const std::string& mode, const SyntheticTenant& tenant,
                                          const std::vector<v1::TokenRequest>& stream,
                                          const CompiledPolicy* policy,
                                          const FloorDecider* floor, int passes) {
  int sum = 0;
  if (mode == "compile") {
    auto compiled = CompilePolicy(tenant.bundle);
    return compiled.ok() ? static_cast<int>((*compiled)->stats().compiled_bytes & 0xff) : -1;
  }
  EvalContext context;
  for (int p = 0; p < passes; ++p) {
    for (const v1::TokenRequest& r : stream) {
      sum += mode == "floor" ? floor->Decide(r).outcome : policy->Evaluate(r, &context).outcome;
    }
  }
  return sum;
}

}  // namespace bench
}  // namespace consent

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  using namespace consent::bench;  // NOLINT
  auto size = ParseTenantSize(absl::GetFlag(FLAGS_size));
  if (!size.ok()) {
    std::fprintf(stderr, "--size: %s\n", std::string(size.status().message()).c_str());
    return 2;
  }
  const std::string mode = absl::GetFlag(FLAGS_mode);
  if (mode != "evaluate" && mode != "floor" && mode != "compile") {
    std::fprintf(stderr, "--mode: unknown value \"%s\"\n", mode.c_str());
    return 2;
  }
  SyntheticTenant tenant = GenerateTenant(*size, absl::GetFlag(FLAGS_seed));
  if (absl::GetFlag(FLAGS_drop_report_only)) {
    for (auto& p : *tenant.bundle.mutable_conditional_access_policies()) {
      if (p.state() == "enabledForReportingButNotEnforced") p.set_state("disabled");
    }
  }
  const std::vector<consent::v1::TokenRequest> stream =
      GenerateRequests(tenant, 4096, absl::GetFlag(FLAGS_seed));
  std::shared_ptr<const consent::CompiledPolicy> policy;
  std::unique_ptr<FloorDecider> floor;
  if (mode == "evaluate") {
    auto compiled = consent::CompilePolicy(tenant.bundle);
    if (!compiled.ok()) {
      std::fprintf(stderr, "compile: %s\n", std::string(compiled.status().message()).c_str());
      return 1;
    }
    policy = *compiled;
  } else if (mode == "floor") {
    floor = std::make_unique<FloorDecider>(tenant);
  }
  const int passes = absl::GetFlag(FLAGS_passes);
  // Thread CPU time: the shared machine's load does not inflate it.
  const double start = ThreadCpuNanos();
  const int r = RunProfiled(mode, tenant, stream, policy.get(), floor.get(), passes);
  const double ns = ThreadCpuNanos() - start;
  const double per = mode == "compile" ? ns : ns / (static_cast<double>(passes) * stream.size());
  std::printf("%s %s: checksum %d, %.0f ns %s (thread CPU time)\n", mode.c_str(),
              std::string(TenantSizeName(*size)).c_str(), r, per,
              mode == "compile" ? "per compile" : "per request");
  return 0;
}
