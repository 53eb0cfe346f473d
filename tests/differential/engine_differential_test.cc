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

#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include "engine/policy_engine.h"
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
            << "# diff (reference → engine):\n" << p.diff << "=====\n";
}

TEST(EngineDifferential, EngineAgreesWithReference) {
  const long pairs = EnvOr("DIFFERENTIAL_PAIRS", 10000);
  const long first_seed = EnvOr("DIFFERENTIAL_SEED", 1);
  const long max_repro = EnvOr("DIFFERENTIAL_REPRODUCERS", 5);
  const int per_bundle = 25;
  long ran = 0, disagreements = 0, compile_failures = 0, path_mismatches = 0;
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
