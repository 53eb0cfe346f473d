// Checks of policyd's answers for //bench:loadgen (issue 7).
//
// loadgen measures the server: by default it sends pre-serialized requests
// and receives answers as raw bytes (grpc::ByteBuffer) without parsing them,
// because decoding an Evaluate answer (SPEC C8's structured `report_only`
// list above all) costs the client many times what decoding Noop's padded
// answer of the same size does, and that cost is not the server's. To stay
// honest it still decodes a sample of the answers (`ShouldDecode`) and
// counts one that does not parse, or that holds no decision, as a failed
// call (`CheckRawAnswer`). `--decode_answers` decodes every answer with the
// same checks (`CheckEvaluateResponse`, `CheckBatchResponse`).
//
//   grpc::ByteBuffer request = SerializeToByteBuffer(evaluate_request);
//   ... generic_stub.UnaryCall(ctx, kEvaluateMethod, {}, &request, &answer, cb)
//   if (ShouldDecode(call_index, every)) {
//     AnswerCheck c = CheckRawAnswer(AnswerKind::kEvaluate, &answer, 1);
//   }
//
// Thread-compatible free functions; no state.
#ifndef CONSENT_BENCH_ANSWER_CHECK_H_
#define CONSENT_BENCH_ANSWER_CHECK_H_

#include <cstdint>
#include <string>

#include "google/protobuf/message_lite.h"
#include "grpcpp/support/byte_buffer.h"
#include "proto/service.pb.h"

namespace consent {
namespace bench {

// Which RPC an answer belongs to.
enum class AnswerKind { kNoop, kEvaluate, kBatch };

// Full method names for grpc::GenericStub.
inline constexpr char kNoopMethod[] = "/consent.v1.PolicyService/Noop";
inline constexpr char kEvaluateMethod[] = "/consent.v1.PolicyService/Evaluate";
inline constexpr char kBatchEvaluateMethod[] = "/consent.v1.PolicyService/BatchEvaluate";

// The verdict on one answer whose RPC status was OK.
struct AnswerCheck {
  // False: the call counts as failed (`error` says why).
  bool ok = true;
  // Decisions the answer carries that count (0 for a failed answer; a batch
  // counts its good items).
  int64_t decisions = 0;
  std::string error;
  // Evaluate answers: the version of the bundle that decided.
  std::string bundle_version;
};

// The wire form of `message`, ready to be sent by grpc::GenericStub any
// number of times (copies of a ByteBuffer share its bytes).
grpc::ByteBuffer SerializeToByteBuffer(const google::protobuf::MessageLite& message);

// Whether the `index`-th answer (0-based) of a client slot in one phase
// segment is decoded: the first, then every `every`-th. `every` >= 1.
bool ShouldDecode(int64_t index, int64_t every);

// An Evaluate answer holds a decision: outcome neither UNAVAILABLE nor
// OUTCOME_UNSPECIFIED. A Noop answer (no decision; padding) is always ok
// and counts as one (empty) decision, as the baseline always has.
AnswerCheck CheckEvaluateResponse(AnswerKind kind, const v1::EvaluateResponse& response);

// A batch answer has `expected_items` results, each with code 0 and a
// decision as above; it counts its good items, and fails if any is bad.
AnswerCheck CheckBatchResponse(const v1::BatchEvaluateResponse& response, int expected_items);

// Decodes `answer` (consumed: left empty) as `kind`'s response message and
// checks it as above; an answer that does not parse fails.
AnswerCheck CheckRawAnswer(AnswerKind kind, grpc::ByteBuffer* answer, int expected_items);

// The verdict on an OK answer that is not decoded: `decisions` counts the
// items asked for (1 for Evaluate and Noop).
AnswerCheck UncheckedAnswer(AnswerKind kind, int expected_items);

}  // namespace bench
}  // namespace consent

#endif  // CONSENT_BENCH_ANSWER_CHECK_H_
