// libFuzzer: request decoding + evaluation. The first byte picks a bundle
// (contoso, fabrikam or a generated one) and the decoding: a textproto
// TokenRequest (seeded from the policies/ suites) or a structured decoding.
// Both engine paths (proto and EvalContext) must agree and keep SPEC 3.1's
// invariants; with FUZZ_DIFFERENTIAL=1 the reference evaluator must agree too.
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/message_differencer.h>

#include <cstdio>
#include <cstdlib>

#include "tests/fuzz/fuzz_util.h"
#include "tests/reference/decision_compare.h"
#include "tests/reference/reference_evaluator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace consent;
  if (size == 0) return 0;
  const auto& bundles = fuzz::Bundles();
  const uint8_t head = data[0];
  const fuzz::Loaded& loaded = bundles[(head >> 1) % bundles.size()];
  fuzz::Bytes in(data + 1, size - 1);
  v1::TokenRequest request;
  if (head & 1) {
    google::protobuf::TextFormat::Parser parser;
    parser.SetRecursionLimit(32);
    static fuzz::SilentErrors silent;
    parser.RecordErrorsTo(&silent);
    if (!parser.ParseFromString(in.Rest(), &request)) return 0;
  } else {
    request = fuzz::DecodeRequest(loaded.bundle, &in);
  }
  const v1::Decision decision = loaded.policy->Evaluate(request);
  fuzz::CheckDecision(decision, "Evaluate(request)");
  static EvalContext* context = new EvalContext;
  v1::Decision via_view;
  DecisionViewToProto(loaded.policy->Evaluate(request, context), &via_view);
  if (!google::protobuf::util::MessageDifferencer::Equals(decision, via_view)) {
    std::fprintf(stderr, "proto and EvalContext paths differ\n%s\n%s\n", decision.ShortDebugString().c_str(),
                 via_view.ShortDebugString().c_str());
    std::abort();
  }
  static const bool differential = std::getenv("FUZZ_DIFFERENTIAL") != nullptr;
  if (differential) {
    const v1::Decision ref = reference::Evaluate(loaded.bundle, request);
    const std::string diff = reference::DiffDecisions(ref, decision);
    if (!diff.empty()) {
      std::fprintf(stderr, "engine and reference disagree:\n%s\nrequest: %s\n", diff.c_str(),
                   request.ShortDebugString().c_str());
      std::abort();
    }
  }
  return 0;
}
