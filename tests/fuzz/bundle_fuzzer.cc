// libFuzzer: bundle compilation from arbitrary textproto (seeded from
// policies/). Parse → ValidateBundle and CompilePolicy (must agree on
// validity) → when valid, evaluate generated requests.
#include <google/protobuf/text_format.h>

#include <cstdio>
#include <cstdlib>

#include "tests/differential/random_policy.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace consent;
  v1::PolicyBundle bundle;
  google::protobuf::TextFormat::Parser parser;
  parser.SetRecursionLimit(32);
  static fuzz::SilentErrors silent;
  parser.RecordErrorsTo(&silent);
  if (!parser.ParseFromString(std::string(reinterpret_cast<const char*>(data), size), &bundle)) return 0;
  const std::vector<BundleProblem> problems = ValidateBundle(bundle);
  absl::StatusOr<std::shared_ptr<const CompiledPolicy>> policy = CompilePolicy(bundle);
  if (policy.ok() != problems.empty()) {
    std::fprintf(stderr, "ValidateBundle (%d problems) and CompilePolicy (%s) disagree\n",
                 static_cast<int>(problems.size()), policy.ok() ? "ok" : "error");
    std::abort();
  }
  if (!policy.ok()) return 0;
  differential::RandomPolicy gen(size);
  for (int i = 0; i < 8; ++i) fuzz::CheckDecision((*policy)->Evaluate(gen.Request(bundle)), "bundle");
  return 0;
}
