// Differential test (issue 8): the engine against the independent reference
// evaluator (tests/reference) on random bundles and requests from
// RandomPolicy. Every Decision field is compared except error_description and
// explanation (SPEC 3.1; the S3 header's error_description value is
// normalized to "…"). On a disagreement a shrunk reproducer is printed as
// textproto: bundle, request and both decisions.
//
// DIFFERENTIAL_PAIRS (default 10000) sets the number of (bundle, request)
// pairs; DIFFERENTIAL_SEED the first seed; DIFFERENTIAL_REPRODUCERS how many
// distinct disagreements to shrink and print (default 5), DIFFERENTIAL_FILTER
// only those whose signature contains the given text.
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/message_differencer.h>

#include <algorithm>

#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/ascii.h"
#include "engine/policy_engine.h"
#include "proto/suite.pb.h"
#include "gtest/gtest.h"
#include "tests/differential/random_policy.h"
#include "tests/differential/shrink.h"
#include "tests/reference/decision_compare.h"
#include "tests/reference/reference_evaluator.h"

namespace consent {
namespace differential {
namespace {

long EnvOr(const char* name, long fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::strtol(v, nullptr, 10) : fallback;
}

std::string Text(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::TextFormat::Printer printer;
  printer.SetUseUtf8StringEscaping(true);
  printer.PrintToString(m, &out);
  return out;
}

std::string Indent(const std::string& text) {
  std::string out = "  ";
  for (size_t i = 0; i < text.size(); ++i) {
    out += text[i];
    if (text[i] == '\n' && i + 1 < text.size()) out += "  ";
  }
  return out;
}

// Which top-level fields differ, for grouping disagreements.
std::string Signature(const v1::Decision& engine, const v1::Decision& ref) {
  const v1::Decision a = reference::Comparable(engine);
  const v1::Decision b = reference::Comparable(ref);
  std::string sig = v1::Outcome_Name(engine.outcome()) + "/" + v1::Outcome_Name(ref.outcome());
  const auto* desc = v1::Decision::descriptor();
  for (int i = 0; i < desc->field_count(); ++i) {
    const auto* f = desc->field(i);
    v1::Decision x, y;
    x.CopyFrom(a);
    y.CopyFrom(b);
    // Keep only field f.
    for (int j = 0; j < desc->field_count(); ++j) {
      if (j == i) continue;
      x.GetReflection()->ClearField(&x, desc->field(j));
      y.GetReflection()->ClearField(&y, desc->field(j));
    }
    if (x.SerializeAsString() != y.SerializeAsString()) sig += " " + f->name();
  }
  return sig;
}

// RecordConsentResult with its lists in a canonical order (the contract does
// not order them).
v1::RecordConsentResult Sorted(v1::RecordConsentResult r) {
  auto key = [](const v1::GrantWrite& g) {
    return absl::AsciiStrToLower(g.client_app_id() + "|" + g.resource_app_id() + "|" + g.consent_type() +
                                 "|" + g.principal_id());
  };
  std::sort(r.mutable_grants()->begin(), r.mutable_grants()->end(),
            [&](const v1::GrantWrite& a, const v1::GrantWrite& b) { return key(a) < key(b); });
  auto akey = [](const v1::AppRoleAssignmentWrite& a) {
    return absl::AsciiStrToLower(a.client_app_id() + "|" + a.resource_app_id() + "|" + a.app_role_id());
  };
  std::sort(r.mutable_app_role_assignments()->begin(), r.mutable_app_role_assignments()->end(),
            [&](const v1::AppRoleAssignmentWrite& a, const v1::AppRoleAssignmentWrite& b) {
              return akey(a) < akey(b);
            });
  std::sort(r.mutable_create_service_principals()->begin(), r.mutable_create_service_principals()->end());
  return r;
}

std::string StatusName(const std::string& reference_status) {
  if (reference_status.empty()) return "OK";
  if (reference_status == "InvalidArgument") return "INVALID_ARGUMENT";
  if (reference_status == "PermissionDenied") return "PERMISSION_DENIED";
  if (reference_status == "FailedPrecondition") return "FAILED_PRECONDITION";
  return reference_status;
}

// Compares the engine's and the reference's RecordConsent on `rc`; empty
// when they agree, else a report.
std::string CompareRecord(const CompiledPolicy& policy, const v1::PolicyBundle& bundle,
                          const v1::RecordConsentRequest& rc) {
  const absl::StatusOr<v1::RecordConsentResult> engine = policy.RecordConsent(rc);
  const reference::RecordOutcome ref = reference::RecordConsent(bundle, rc);
  const std::string engine_status = absl::StatusCodeToString(engine.status().code());
  const std::string ref_status = StatusName(ref.status);
  if (engine_status != ref_status) {
    return "status: engine " + engine_status + " (" + std::string(engine.status().message()) +
           "), reference " + ref_status;
  }
  if (!engine.ok()) return "";
  const v1::RecordConsentResult a = Sorted(*engine), b = Sorted(ref.result);
  if (google::protobuf::util::MessageDifferencer::Equals(a, b)) return "";
  return "engine:    " + a.ShortDebugString() + "\nreference: " + b.ShortDebugString();
}

// A random R3 admin grant over `bundle`'s apps and permissions.
v1::RecordConsentRequest RandomAdminGrant(RandomPolicy* gen, const v1::PolicyBundle& bundle,
                                          const v1::TokenRequest& request) {
  v1::RecordConsentRequest rc;
  rc.set_kind("admin_grant");
  *rc.mutable_actor() = request.user();
  static const std::vector<std::string> kRoles = {"Global Administrator", "Application Administrator",
                                                  "Cloud Application Administrator", "cr-all", "Helpdesk"};
  if (gen->Chance(0.6)) rc.mutable_actor()->add_roles(gen->Pick(kRoles));
  rc.set_client_app_id(request.client_id());
  const int n = gen->Uniform(3);
  for (int i = 0; i < n && bundle.resources_size() > 0; ++i) {
    const v1::ResourceApi& api = bundle.resources(gen->Uniform(bundle.resources_size()));
    if (api.scopes_size() > 0 && gen->Chance(0.6)) {
      rc.add_delegated(api.app_id() + "/" + api.scopes(gen->Uniform(api.scopes_size())).value());
    } else if (api.app_roles_size() > 0) {
      v1::AppRoleRef* ref = rc.add_app_roles();
      ref->set_resource_app_id(api.app_id());
      ref->set_value(api.app_roles(gen->Uniform(api.app_roles_size())).value());
    }
  }
  if (gen->Chance(0.05)) rc.add_delegated("api://nowhere/x");
  return rc;
}

struct Pair {
  bool compiled = false;
  std::string compile_error;
  v1::Decision engine, ref;
  std::string diff;
};

Pair Run(const v1::PolicyBundle& bundle, const v1::TokenRequest& request) {
  Pair p;
  absl::StatusOr<std::shared_ptr<const CompiledPolicy>> policy = CompilePolicy(bundle);
  if (!policy.ok()) {
    p.compile_error = std::string(policy.status().message());
    return p;
  }
  p.compiled = true;
  p.engine = (*policy)->Evaluate(request);
  p.ref = reference::Evaluate(bundle, request);
  p.diff = reference::DiffDecisions(p.ref, p.engine);
  return p;
}

std::string Joined(const google::protobuf::RepeatedPtrField<std::string>& v) {
  std::string out;
  for (const std::string& x : v) out += (out.empty() ? "" : " ") + x;
  return out;
}

// The reproducer as a policy-suite case (proto/suite.proto, issue 6): every
// compared field stated from the reference (SPEC's reading), known_issue set.
std::string SuiteCase(const std::string& title, const v1::PolicyBundle& bundle,
                      const v1::TokenRequest& request, const v1::Decision& reference) {
  const v1::Decision d = reference::Comparable(reference);
  v1::Suite suite;
  suite.set_name("differential-repro");
  suite.set_bundle("differential_repro.bundle.textproto");
  v1::Case* c = suite.add_cases();
  c->set_name("differential_repro");
  c->set_known_issue("engine/reference disagreement found by engine_differential_test: " + title);
  *c->mutable_request() = request;
  v1::Expect* e = c->mutable_expect();
  e->set_outcome(d.outcome());
  e->set_error(d.error());
  e->set_error_code(d.error_code());
  e->set_suberror(d.suberror());
  e->set_reason(d.reason());
  e->set_admin_consent_request_available(d.admin_consent_request_available());
  e->set_prompt_scopes(Joined(d.prompt().scopes()));
  e->set_org_wide_option(d.prompt().org_wide_option());
  e->set_aud(d.token().aud());
  e->set_scp(Joined(d.token().scp()));
  e->set_roles(Joined(d.token().roles()));
  e->set_acrs(Joined(d.token().acrs()));
  e->set_id_token(d.token().id_token());
  e->set_refresh_token(d.token().refresh_token());
  e->set_auth_time(d.token().auth_time());
  e->set_xms_cc(Joined(d.token().xms_cc()));
  e->set_required(Joined(d.step_up().required()));
  std::string any;
  for (const auto& alt : d.step_up().required_any()) any += (any.empty() ? "" : " | ") + Joined(alt.items());
  e->set_required_any(any);
  e->set_claims(d.step_up().claims());
  e->set_rfc9470_challenge(d.step_up().rfc9470_challenge());
  e->set_middle_tier_challenge(d.step_up().middle_tier_challenge());
  e->set_blocking_policies(Joined(d.blocking_policies()));
  e->set_applied_policies(Joined(d.applied_policies()));
  std::string ro;
  for (const auto& r : d.report_only()) ro += (ro.empty() ? "" : " ") + r.id() + "=" + r.result();
  e->set_report_only(ro);
  return "# --- differential_repro.bundle.textproto\n# proto-file: proto/bundle.proto\n"
         "# proto-message: consent.v1.PolicyBundle\n" + Text(bundle) +
         "# --- differential_repro.suite.textproto\n# proto-file: proto/suite.proto\n"
         "# proto-message: consent.v1.Suite\n" + Text(suite);
}

void PrintReproducer(const std::string& title, v1::PolicyBundle bundle, v1::TokenRequest request) {
  const std::string sig0 = [&] {
    Pair p = Run(bundle, request);
    return Signature(p.engine, p.ref);
  }();
  auto same = [&](const v1::PolicyBundle& b, const v1::TokenRequest& r) {
    Pair p = Run(b, r);
    return p.compiled && !p.diff.empty() && Signature(p.engine, p.ref) == sig0;
  };
  int spent = 0;
  for (int round = 0; round < 2; ++round) {
    spent += Shrink(&request, [&](const google::protobuf::Message& m) {
      return same(bundle, static_cast<const v1::TokenRequest&>(m));
    }, 400);
    spent += Shrink(&bundle, [&](const google::protobuf::Message& m) {
      return same(static_cast<const v1::PolicyBundle&>(m), request);
    }, 1500);
  }
  const Pair p = Run(bundle, request);
  std::cout << "\n===== DISAGREEMENT " << title << " [" << sig0 << "] (shrunk with " << spent
            << " evaluations)\n"
            << "bundle {\n" << Indent(Text(bundle)) << "}\n"
            << "request {\n" << Indent(Text(request)) << "}\n"
            << "engine {\n" << Indent(Text(reference::Comparable(p.engine))) << "}\n"
            << "reference {\n" << Indent(Text(reference::Comparable(p.ref))) << "}\n"
            << "# diff (reference → engine):\n" << p.diff
            << "# as a policy suite (policyctl test; expectations = the reference's reading):\n"
            << SuiteCase(title, bundle, request, p.ref) << "=====\n";
}

TEST(EngineDifferential, EngineAgreesWithReference) {
  const long pairs = EnvOr("DIFFERENTIAL_PAIRS", 10000);
  const long first_seed = EnvOr("DIFFERENTIAL_SEED", 1);
  const long max_repro = EnvOr("DIFFERENTIAL_REPRODUCERS", 5);
  const int per_bundle = 25;
  long ran = 0, disagreements = 0, compile_failures = 0, path_mismatches = 0;
  long record_pairs = 0, record_disagreements = 0;
  std::map<std::string, long> record_signatures;
  std::map<std::string, std::string> record_examples;
  std::map<std::string, long> outcomes, signatures;
  std::map<std::string, std::pair<v1::PolicyBundle, v1::TokenRequest>> examples;
  EvalContext context;
  for (long seed = first_seed; ran < pairs; ++seed) {
    RandomPolicy gen(static_cast<uint64_t>(seed));
    const v1::PolicyBundle bundle = gen.Bundle();
    absl::StatusOr<std::shared_ptr<const CompiledPolicy>> policy = CompilePolicy(bundle);
    if (!policy.ok()) {
      if (++compile_failures <= 3) {
        std::string problems;
        for (const BundleProblem& problem : ValidateBundle(bundle)) problems += "\n  " + problem.ToString();
        ADD_FAILURE() << "generated bundle (seed " << seed << ") does not compile: "
                      << policy.status().message() << problems;
      }
      ran += per_bundle;  // count the skipped pairs' budget
      continue;
    }
    for (int i = 0; i < per_bundle && ran < pairs; ++i, ++ran) {
      const v1::TokenRequest request = gen.Request(bundle);
      const v1::Decision engine = (*policy)->Evaluate(request);
      // The allocation-free path must agree with the proto path.
      v1::Decision via_view;
      DecisionViewToProto((*policy)->Evaluate(request, &context), &via_view);
      if (!reference::DiffDecisions(engine, via_view).empty() && ++path_mismatches <= 3) {
        ADD_FAILURE() << "Evaluate(request) and Evaluate(request, &context) differ:\n"
                      << reference::DiffDecisions(engine, via_view)
                      << "request: " << Text(request);
      }
      const v1::Decision ref = reference::Evaluate(bundle, request);
      ++outcomes[v1::Outcome_Name(ref.outcome())];
      const std::string diff = reference::DiffDecisions(ref, engine);
      // §3.10: record the prompt (sometimes with the wrong kind), and now and
      // then an R3 admin grant.
      std::vector<v1::RecordConsentRequest> records;
      if (diff.empty() && (ref.outcome() == v1::CONSENT_PROMPT_USER || ref.outcome() == v1::CONSENT_PROMPT_ADMIN)) {
        v1::RecordConsentRequest rc;
        const bool user = ref.outcome() == v1::CONSENT_PROMPT_USER;
        rc.set_kind(gen.Chance(0.9) == user ? "user_prompt" : "admin_prompt");
        rc.set_org_wide(gen.Chance(0.5));
        *rc.mutable_request() = request;
        records.push_back(rc);
      }
      if (request.has_user() && gen.Chance(0.05)) records.push_back(RandomAdminGrant(&gen, bundle, request));
      for (const v1::RecordConsentRequest& rc : records) {
        ++record_pairs;
        const std::string record_diff = CompareRecord(**policy, bundle, rc);
        if (record_diff.empty()) continue;
        ++record_disagreements;
        const std::string sig = "RecordConsent " + rc.kind() + ": " + record_diff.substr(0, record_diff.find(':'));
        if (record_signatures[sig]++ == 0) {
          record_examples[sig] = "bundle {\n" + Indent(Text(bundle)) + "}\nrecord_consent_request {\n" +
                                 Indent(Text(rc)) + "}\n" + record_diff + "\n";
        }
      }
      if (diff.empty()) continue;
      ++disagreements;
      const std::string sig = Signature(engine, ref);
      if (signatures[sig]++ == 0) examples[sig] = {bundle, request};
    }
  }
  std::cout << "pairs run: " << ran << ", bundles that did not compile: " << compile_failures
            << ", disagreements: " << disagreements << "\nreference outcome distribution:\n";
  for (const auto& kv : outcomes) std::cout << "  " << kv.first << ": " << kv.second << "\n";
  std::cout << "disagreements by signature (engine/reference outcome, differing fields):\n";
  for (const auto& kv : signatures) std::cout << "  " << kv.second << "  " << kv.first << "\n";
  long printed = 0;
  const char* filter = std::getenv("DIFFERENTIAL_FILTER");
  for (const auto& kv : examples) {
    if (filter != nullptr && kv.first.find(filter) == std::string::npos) continue;
    if (printed++ >= max_repro) break;
    PrintReproducer(kv.first, kv.second.first, kv.second.second);
  }
  std::cout << "RecordConsent compared: " << record_pairs << ", disagreements: " << record_disagreements << "\n";
  for (const auto& kv : record_signatures) std::cout << "  " << kv.second << "  " << kv.first << "\n";
  long record_printed = 0;
  for (const auto& kv : record_examples) {
    if (filter != nullptr && kv.first.find(filter) == std::string::npos) continue;
    if (record_printed++ >= max_repro) break;
    std::cout << "\n===== RECORD DISAGREEMENT [" << kv.first << "]\n" << kv.second << "=====\n";
  }
  EXPECT_EQ(record_disagreements, 0) << "RecordConsent: see the reproducers above";
  EXPECT_EQ(compile_failures, 0);
  EXPECT_EQ(path_mismatches, 0);
  EXPECT_EQ(disagreements, 0) << "see the reproducers above";
}

TEST(EngineDifferential, ExampleBundles) {
  // The hand-written example tenants of policies/ with generated requests.
  const long pairs = EnvOr("DIFFERENTIAL_PAIRS", 10000) / 4;
  const long max_repro = EnvOr("DIFFERENTIAL_REPRODUCERS", 5);
  for (const char* path : {"policies/contoso/contoso.bundle.textproto",
                           "policies/fabrikam/fabrikam.bundle.textproto"}) {
    absl::StatusOr<v1::PolicyBundle> bundle = LoadBundleFile(path);
    ASSERT_TRUE(bundle.ok()) << bundle.status();
    absl::StatusOr<std::shared_ptr<const CompiledPolicy>> policy = CompilePolicy(*bundle);
    ASSERT_TRUE(policy.ok()) << policy.status();
    RandomPolicy gen(EnvOr("DIFFERENTIAL_SEED", 1));
    long disagreements = 0;
    std::map<std::string, long> outcomes;
    std::map<std::string, v1::TokenRequest> examples;
    for (long i = 0; i < pairs; ++i) {
      const v1::TokenRequest request = gen.Request(*bundle);
      const v1::Decision engine = (*policy)->Evaluate(request);
      const v1::Decision ref = reference::Evaluate(*bundle, request);
      ++outcomes[v1::Outcome_Name(ref.outcome())];
      if (reference::DiffDecisions(ref, engine).empty()) continue;
      ++disagreements;
      examples.emplace(Signature(engine, ref), request);
    }
    std::cout << path << ": " << pairs << " pairs, " << disagreements << " disagreements; outcomes:";
    for (const auto& kv : outcomes) std::cout << " " << kv.first << "=" << kv.second;
    std::cout << "\n";
    long printed = 0;
    for (const auto& kv : examples) {
      if (printed++ >= max_repro) break;
      PrintReproducer(kv.first, *bundle, kv.second);
    }
    EXPECT_EQ(disagreements, 0) << path;
  }
}

// SPEC S4: the resource-side check, engine against reference.
v1::ResourceAccessCheck RandomCheck(RandomPolicy* gen, const v1::PolicyBundle& bundle) {
  v1::ResourceAccessCheck c;
  const int t = gen->Uniform(100);
  c.set_tenant(t < 95 ? bundle.tenant_id() : t < 98 ? "" : "t-other");
  c.set_now(kGeneratorNow);
  for (int i = 1; i <= 5; ++i) {
    if (gen->Chance(0.3)) c.add_acrs("c" + std::to_string(i));
  }
  static const std::vector<std::string> kAuthTimes = {"", "2025-03-03T09:30:00Z", "2025-03-03T07:00:00Z",
                                                      "2025-03-03T09:59:00Z", "yesterday"};
  c.set_auth_time(gen->Chance(0.97) ? kAuthTimes[gen->Uniform(4)] : kAuthTimes[4]);
  if (gen->Chance(0.5)) c.add_xms_cc("cp1");
  if (gen->Chance(0.1)) c.add_xms_cc("xyz");
  const int req = gen->Uniform(3);
  for (int i = 0; i < req; ++i) c.add_required_acr_values("c" + std::to_string(1 + gen->Uniform(5)));
  if (gen->Chance(0.02)) c.add_required_acr_values("c0");
  const int m = gen->Uniform(10);
  if (m < 2) c.set_max_age(3600);
  else if (m < 4) c.set_max_age(600);
  else if (m == 4) c.set_max_age(gen->Chance(0.2) ? -1 : 0);
  static const std::vector<std::string> kFormats = {"", "", "entra", "rfc9470", "both", "RFC9470", "bogus"};
  c.set_challenge_format(gen->Pick(kFormats));
  if (gen->Chance(0.7) && bundle.resources_size() > 0) {
    c.set_resource_app_id(bundle.resources(gen->Uniform(bundle.resources_size())).app_id());
  }
  return c;
}

TEST(EngineDifferential, ResourceAccessCheckS4) {
  const long checks = EnvOr("DIFFERENTIAL_PAIRS", 10000) / 5;
  long ran = 0, disagreements = 0;
  std::map<std::string, long> statuses;
  std::map<std::string, std::string> examples;
  for (uint64_t seed = 1; ran < checks; ++seed) {
    RandomPolicy gen(seed);
    const v1::PolicyBundle bundle = gen.Bundle();
    absl::StatusOr<std::shared_ptr<const CompiledPolicy>> policy = CompilePolicy(bundle);
    ASSERT_TRUE(policy.ok()) << policy.status();
    for (int i = 0; i < 50 && ran < checks; ++i, ++ran) {
      const v1::ResourceAccessCheck check = RandomCheck(&gen, bundle);
      const absl::StatusOr<v1::ResourceAccessResult> engine = (*policy)->CheckResourceAccess(check);
      const reference::AccessOutcome ref = reference::CheckResourceAccess(bundle, check);
      const std::string engine_status = absl::StatusCodeToString(engine.status().code());
      const std::string ref_status = StatusName(ref.status);
      ++statuses[ref_status + (ref.result.allow() ? " allow" : " " + std::to_string(ref.result.http_status()))];
      std::string diff;
      if (engine_status != ref_status) {
        diff = "status: engine " + engine_status + " (" + std::string(engine.status().message()) + "), reference " +
               ref_status;
      } else if (engine.ok() && !google::protobuf::util::MessageDifferencer::Equals(
                                    reference::Comparable(*engine), reference::Comparable(ref.result))) {
        diff = "result:\n  engine:    " + reference::Comparable(*engine).ShortDebugString() +
               "\n  reference: " + reference::Comparable(ref.result).ShortDebugString();
      }
      if (diff.empty()) continue;
      ++disagreements;
      examples.emplace(diff.substr(0, diff.find(':') + 20),
                       "check: " + check.ShortDebugString() + "\n" + diff);
    }
  }
  std::cout << "S4 checks: " << ran << ", disagreements: " << disagreements << "; reference results:";
  for (const auto& kv : statuses) std::cout << " [" << kv.first << "]=" << kv.second;
  std::cout << "\n";
  int printed = 0;
  for (const auto& kv : examples) {
    if (printed++ >= 8) break;
    std::cout << "===== S4 DISAGREEMENT\n" << kv.second << "\n";
  }
  EXPECT_EQ(disagreements, 0);
}

// Reproducers of disagreements found earlier, kept as fixed cases.
TEST(EngineDifferential, FoundDisagreements) {
  absl::StatusOr<v1::PolicyBundle> bundle = LoadBundleFile("policies/contoso/contoso.bundle.textproto");
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  absl::StatusOr<std::shared_ptr<const CompiledPolicy>> policy = CompilePolicy(*bundle);
  ASSERT_TRUE(policy.ok()) << policy.status();
  // R3 listing the same app role twice must create one assignment.
  v1::RecordConsentRequest rc;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"(kind: "admin_grant" actor { id: "ravi" roles: "Global Administrator" } client_app_id: "app-mobile"
         app_roles { resource_app_id: "app-payroll" value: "Payroll.Sync" }
         app_roles { resource_app_id: "app-payroll" value: "Payroll.Sync" })",
      &rc));
  EXPECT_EQ(CompareRecord(**policy, *bundle, rc), "");
  // IPv4-mapped IPv6 session address, device attribute names, country.
  for (const char* session : {R"(ip: "::ffff:10.1.2.3")", R"(country: "¢g")",
                              R"(device { registered: true attributes { key: "isCompliant" value: "True" } })",
                              R"(device { registered: true attributes { key: "extensionAttribute15" value: "x" } })"}) {
    v1::TokenRequest r;
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
        std::string(R"(tenant: "t-contoso" now: "2025-03-03T10:00:00Z" grant_type: "interactive"
           client_id: "app-expense" client_authenticated: true scope: "User.Read" user { id: "alice" }
           session { )") + session + " }",
        &r));
    EXPECT_EQ(reference::DiffDecisions(reference::Evaluate(*bundle, r), (*policy)->Evaluate(r)), "") << session;
  }
}

TEST(EngineDifferential, InvalidBundlesAreRejectedNotCrashing) {
  // Compiler robustness on deliberately faulty bundles: never crash; report
  // how many of the faults the compiler caught.
  long rejected = 0, total = 0;
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    RandomPolicy gen(seed);
    const v1::PolicyBundle bundle = gen.InvalidBundle();
    ++total;
    absl::StatusOr<std::shared_ptr<const CompiledPolicy>> policy = CompilePolicy(bundle);
    if (!policy.ok()) {
      ++rejected;
      continue;
    }
    // Accepted: evaluation must still be total.
    for (int i = 0; i < 5; ++i) (*policy)->Evaluate(gen.Request(bundle));
  }
  std::cout << "invalid bundles rejected: " << rejected << " of " << total << "\n";
  EXPECT_GT(rejected, total / 2);
}

}  // namespace
}  // namespace differential
}  // namespace consent
