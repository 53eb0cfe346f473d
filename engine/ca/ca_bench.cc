// Microbenchmarks of CA compile and evaluate (issue 7 measures the engine;
// these isolate CA). BM_Evaluate_UnrelatedPolicies sweeps the number of
// policies that target other apps: cost should stay flat (indexes by app).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "benchmark/benchmark.h"
#include "engine/ca/conditional_access.h"
#include "engine/internal/time.h"

namespace consent {
namespace ca {
namespace {

AppIndex Resolve(absl::string_view id) {
  if (!absl::ConsumePrefix(&id, "app-")) return -1;
  int n = 0;
  for (char c : id) n = n * 10 + (c - '0');
  return n;
}

// `unrelated` policies on other apps, 5 on app-0, one trusted location of
// `ranges` /24s, 20 country locations, a device filter and a context policy.
v1::PolicyBundle MakeBundle(int unrelated, int ranges) {
  v1::PolicyBundle b;
  b.set_tenant_id("t");
  auto* hq = b.add_named_locations();
  hq->set_id("hq");
  hq->set_is_trusted(true);
  for (int i = 0; i < ranges; ++i) {
    hq->add_ip_ranges(absl::StrCat("10.", i / 256, ".", i % 256, ".0/24"));
  }
  for (int i = 0; i < 20; ++i) {
    auto* l = b.add_named_locations();
    l->set_id(absl::StrCat("country-", i));
    l->add_countries(std::string("A") + static_cast<char>('A' + i));
  }
  auto* ctx = b.add_authentication_contexts();
  ctx->set_id("c1");
  ctx->set_is_available(true);
  auto add = [&](const std::string& id, int app) {
    auto* p = b.add_conditional_access_policies();
    p->set_id(id);
    p->set_state("enabled");
    p->mutable_users()->add_include_users("All");
    p->mutable_users()->add_exclude_groups("g-break-glass");
    p->mutable_applications()->add_include_applications(absl::StrCat("app-", app));
    return p;
  };
  for (int i = 0; i < unrelated; ++i) {
    auto* p = add(absl::StrCat("other-", i), 1 + i % 500);
    p->mutable_grant_controls()->add_built_in_controls("mfa");
  }
  for (int i = 0; i < 5; ++i) {
    auto* p = add(absl::StrCat("mine-", i), 0);
    p->mutable_locations()->add_include_locations("All");
    p->mutable_locations()->add_exclude_locations("AllTrusted");
    p->mutable_locations()->add_exclude_locations(absl::StrCat("country-", i));
    if (i == 0) {
      p->mutable_device_filter()->set_mode("exclude");
      p->mutable_device_filter()->set_rule(
          "device.model -startsWith \"Surface\" -and device.isCompliant -eq True -or "
          "device.deviceId -in [\"a\", \"b\", \"c\"]");
    }
    p->mutable_grant_controls()->add_built_in_controls(i == 1 ? "compliantDevice" : "mfa");
    p->mutable_grant_controls()->set_operator_("OR");
    p->mutable_session_controls()->mutable_sign_in_frequency()->set_value(8);
    p->mutable_session_controls()->mutable_sign_in_frequency()->set_type("hours");
  }
  auto* c = b.add_conditional_access_policies();
  c->set_id("ctx-c1");
  c->set_state("enabled");
  c->mutable_users()->add_include_users("All");
  c->mutable_applications()->add_include_auth_contexts("c1");
  c->mutable_grant_controls()->add_built_in_controls("mfa");
  return b;
}

std::unique_ptr<const CompiledCa> Compile(const v1::PolicyBundle& b) {
  CaCompileEnv env;
  env.tenant_id = "t";
  env.resolve_app = Resolve;
  internal::ProblemList problems;
  auto ca = CompiledCa::Compile(b, env, EngineOptions(), &problems);
  if (!ca) std::abort();
  return ca;
}

struct Fixture {
  v1::User user;
  v1::Session session;
  v1::TokenRequest request;
  StepUpParams step_up;
  std::vector<AppIndex> targets = {0};
  CaInput input;
  Fixture() {
    user.set_id("alice");
    user.set_mfa_registered(true);
    for (int i = 0; i < 50; ++i) user.add_groups(absl::StrCat("g-", i));
    const int64_t now = *internal::ParseRfc3339("2025-03-03T10:00:00Z");
    auto* m = session.add_auth_methods();
    m->set_method("password");
    m->set_at("2025-03-03T09:00:00Z");
    m = session.add_auth_methods();
    m->set_method("sms");
    m->set_at("2025-03-03T09:00:00Z");
    session.set_ip("192.0.2.7");
    session.set_country("AZ");
    request.set_acr_values("c1");
    std::string error;
    ParseStepUpParams(request, true, EngineOptions(), &step_up, &error);
    input.now = now;
    input.user = &user;
    input.session = &session;
    input.targets = targets;
    input.step_up = &step_up;
    input.challenge_format = ChallengeFormat::kBoth;
  }
};

void BM_Evaluate_UnrelatedPolicies(benchmark::State& state) {
  auto ca = Compile(MakeBundle(static_cast<int>(state.range(0)), 1000));
  Fixture f;
  CaScratch* scratch = NewCaScratch();
  CaResult result;
  for (auto _ : state) {
    ca->Evaluate(f.input, scratch, &result);
    benchmark::DoNotOptimize(result.verdict);
  }
  DeleteCaScratch(scratch);
}
BENCHMARK(BM_Evaluate_UnrelatedPolicies)->Arg(10)->Arg(1000)->Arg(10000);

void BM_Evaluate_TrustedRanges(benchmark::State& state) {
  auto ca = Compile(MakeBundle(100, static_cast<int>(state.range(0))));
  Fixture f;
  CaScratch* scratch = NewCaScratch();
  CaResult result;
  for (auto _ : state) {
    ca->Evaluate(f.input, scratch, &result);
    benchmark::DoNotOptimize(result.verdict);
  }
  DeleteCaScratch(scratch);
}
BENCHMARK(BM_Evaluate_TrustedRanges)->Arg(10)->Arg(1000)->Arg(20000);

void BM_Compile(benchmark::State& state) {
  v1::PolicyBundle b = MakeBundle(static_cast<int>(state.range(0)), 1000);
  for (auto _ : state) benchmark::DoNotOptimize(Compile(b));
}
BENCHMARK(BM_Compile)->Arg(1000);

void BM_ParseStepUpParams(benchmark::State& state) {
  v1::TokenRequest r;
  r.set_claims(R"({"access_token":{"acrs":{"essential":true,"values":["c1","c2"]},"xms_cc":{"values":["cp1"]}}})");
  r.set_acr_values("c1 c3");
  StepUpParams p;
  std::string error;
  for (auto _ : state) benchmark::DoNotOptimize(ParseStepUpParams(r, true, EngineOptions(), &p, &error));
}
BENCHMARK(BM_ParseStepUpParams);

}  // namespace
}  // namespace ca
}  // namespace consent
