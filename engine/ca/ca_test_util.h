// Test helpers: a fixed app table standing in for the core's, textproto
// bundles, sessions and requests at the fixture's `now` (SPEC §6).
#ifndef CONSENT_ENGINE_CA_CA_TEST_UTIL_H_
#define CONSENT_ENGINE_CA_CA_TEST_UTIL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "engine/ca/conditional_access.h"
#include "engine/internal/time.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace consent {
namespace ca {
namespace testing {

inline constexpr AppIndex kGraph = 0, kExo = 1, kAadGraph = 2, kPayroll = 3, kExpense = 4,
                          kMobile = 5, kDaemon = 6, kShared = 7;
inline const char* const kAppIds[] = {
    "00000003-0000-0000-c000-000000000000",  // GRAPH
    "00000002-0000-0ff1-ce00-000000000000",  // EXO
    "00000002-0000-0000-c000-000000000000",  // AADGRAPH
    "payroll-app",                           // api://payroll
    "app-expense",
    "app-mobile",
    "app-daemon",   // single-tenant confidential daemon (C9)
    "app-shared",   // multi-tenant app (C9: not covered)
};

inline AppIndex ResolveApp(absl::string_view id) {
  for (AppIndex i = 0; i < 8; ++i) {
    if (absl::EqualsIgnoreCase(id, kAppIds[i])) return i;
  }
  return -1;
}

inline int64_t Now() { return *internal::ParseRfc3339("2025-03-03T10:00:00Z"); }

inline std::string At(int64_t seconds_before_now) {
  std::string out;
  internal::FormatRfc3339(Now() - seconds_before_now, &out);
  return out;
}

inline v1::PolicyBundle Bundle(absl::string_view text) {
  v1::PolicyBundle b;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(std::string(text), &b)) << text;
  b.set_tenant_id("t-contoso");
  // Registrations for the C9 tests.
  auto* daemon = b.add_app_registrations();
  daemon->set_app_id("app-daemon");
  daemon->set_home_tenant("t-contoso");
  daemon->set_client_type("confidential");
  auto* shared = b.add_app_registrations();
  shared->set_app_id("app-shared");
  shared->set_home_tenant("t-other");
  shared->set_audience("multi");
  auto* sp = b.add_service_principals();
  sp->set_app_id("app-daemon");
  sp->set_object_id("sp-daemon");
  sp = b.add_service_principals();
  sp->set_app_id("app-shared");
  sp->set_object_id("sp-shared");
  return b;
}

inline std::unique_ptr<const CompiledCa> CompileOrDie(absl::string_view text,
                                                      const EngineOptions& options = {}) {
  v1::PolicyBundle b = Bundle(text);
  CaCompileEnv env;
  env.tenant_id = "t-contoso";
  env.resolve_app = ResolveApp;
  internal::ProblemList problems;
  std::unique_ptr<const CompiledCa> ca = CompiledCa::Compile(b, env, options, &problems);
  EXPECT_TRUE(problems.empty()) << problems.ToStatus();
  EXPECT_NE(ca, nullptr);
  return ca;
}

// Problems of a bundle that must not compile.
inline std::vector<std::string> Problems(absl::string_view text) {
  v1::PolicyBundle b = Bundle(text);
  CaCompileEnv env;
  env.tenant_id = "t-contoso";
  env.resolve_app = ResolveApp;
  internal::ProblemList problems;
  std::unique_ptr<const CompiledCa> ca = CompiledCa::Compile(b, env, EngineOptions(), &problems);
  EXPECT_EQ(ca, nullptr) << text;
  std::vector<std::string> out;
  for (const BundleProblem& p : problems.problems()) out.push_back(p.ToString());
  return out;
}

inline v1::User Alice() {
  v1::User u;
  u.set_id("alice");
  u.set_mfa_registered(true);
  return u;
}

// Methods as "name@seconds_before_now".
inline v1::Session Session(std::vector<std::pair<std::string, int64_t>> methods) {
  v1::Session s;
  for (auto& [m, before] : methods) {
    auto* a = s.add_auth_methods();
    a->set_method(m);
    a->set_at(At(before));
  }
  return s;
}
inline v1::Session PasswordOnly(int64_t before = 600) { return Session({{"password", before}}); }
inline v1::Session WithMfa(int64_t before = 600) {
  return Session({{"password", before}, {"microsoftAuthenticatorPush", before}});
}

// One evaluation's inputs, owned.
struct Request {
  v1::User user = Alice();
  v1::Session session = PasswordOnly();
  bool has_session = true;
  std::vector<AppIndex> targets = {kPayroll};
  StepUpParams step_up;
  v1::TokenRequest token_request;  // step_up's views point into it
  CaInput input;

  Request() {
    input.grant = GrantKind::kInteractive;
    input.client_public = false;
    input.now = Now();
    input.client = kExpense;
    input.resource = kPayroll;
  }
  // Parses claims / acr_values / max_age as the core would.
  Request& Params(absl::string_view claims, absl::string_view acr_values = "",
                  absl::string_view max_age = "") {
    v1::TokenRequest& r = token_request;
    r.set_claims(std::string(claims));
    r.set_acr_values(std::string(acr_values));
    r.set_max_age(std::string(max_age));
    std::string error;
    EXPECT_TRUE(ParseStepUpParams(r, input.grant == GrantKind::kInteractive, EngineOptions(),
                                  &step_up, &error))
        << error;
    return *this;
  }
  const CaInput& Input() {
    input.user = &user;
    input.session = has_session ? &session : nullptr;
    input.targets = targets;
    input.step_up = &step_up;
    return input;
  }
};

struct Outcome {
  CaResult::Verdict verdict;
  std::string error;
  int code;
  std::string suberror;
  std::vector<std::string> applied, blocking, required, acrs, deferred, unmet, rules;
  std::vector<std::vector<std::string>> required_any;
  std::vector<std::pair<std::string, std::string>> report_only;
  std::string claims, rfc9470, middle_tier;
};

inline std::vector<std::string> Str(const std::vector<absl::string_view>& v) {
  return std::vector<std::string>(v.begin(), v.end());
}

inline Outcome Evaluate(const CompiledCa& ca, Request& request) {
  CaScratch* scratch = NewCaScratch();
  CaResult r;
  ca.Evaluate(request.Input(), scratch, &r);
  // A second run on the same scratch and result must give the same answer.
  CaResult again;
  ca.Evaluate(request.Input(), scratch, &again);
  ca.Evaluate(request.Input(), scratch, &r);
  DeleteCaScratch(scratch);
  Outcome o;
  o.verdict = r.verdict;
  o.error = std::string(r.error);
  o.code = r.error_code;
  o.suberror = std::string(r.suberror);
  o.applied = Str(r.applied_policies);
  o.blocking = Str(r.blocking_policies);
  o.required = Str(r.required);
  o.acrs = Str(r.acrs);
  o.deferred = Str(r.deferred_policies);
  o.unmet = Str(r.unmet_controls);
  o.rules = Str(r.rules);
  for (size_t i = 0; i < r.required_any_size; ++i) o.required_any.push_back(Str(r.required_any[i]));
  for (const auto& [id, res] : r.report_only) o.report_only.emplace_back(id, res);
  o.claims = r.claims;
  o.rfc9470 = r.rfc9470_challenge;
  o.middle_tier = r.middle_tier_challenge;
  EXPECT_EQ(again.claims, r.claims);
  EXPECT_EQ(Str(again.required), o.required);
  EXPECT_EQ(again.verdict, r.verdict);
  return o;
}

}  // namespace testing
}  // namespace ca
}  // namespace consent

#endif  // CONSENT_ENGINE_CA_CA_TEST_UTIL_H_
