#include "bench/answer_check.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/support/slice.h"

namespace consent {
namespace bench {
namespace {

bool HoldsDecision(v1::Outcome outcome) {
  return outcome != v1::UNAVAILABLE && outcome != v1::OUTCOME_UNSPECIFIED;
}

}  // namespace

grpc::ByteBuffer SerializeToByteBuffer(const google::protobuf::MessageLite& message) {
  grpc::Slice slice(message.SerializeAsString());
  return grpc::ByteBuffer(&slice, 1);
}

bool ShouldDecode(int64_t index, int64_t every) { return every <= 1 || index % every == 0; }

AnswerCheck CheckEvaluateResponse(AnswerKind kind, const v1::EvaluateResponse& response) {
  AnswerCheck check;
  check.bundle_version = response.bundle_version();
  if (kind == AnswerKind::kEvaluate && !HoldsDecision(response.decision().outcome())) {
    check.ok = false;
    check.error = absl::StrCat("decision ", v1::Outcome_Name(response.decision().outcome()), " ",
                               response.decision().error());
    return check;
  }
  check.decisions = 1;
  return check;
}

AnswerCheck CheckBatchResponse(const v1::BatchEvaluateResponse& response, int expected_items) {
  AnswerCheck check;
  if (response.results_size() != expected_items) {
    check.ok = false;
    check.error = absl::StrCat("batch: ", response.results_size(), " results for ",
                               expected_items, " requests");
  }
  for (const v1::BatchItem& item : response.results()) {
    if (item.code() == 0 && HoldsDecision(item.decision().outcome())) {
      ++check.decisions;
    } else if (check.ok) {
      check.ok = false;
      check.error = absl::StrCat("batch item: code ", item.code(), " ",
                                 v1::Outcome_Name(item.decision().outcome()), " ",
                                 item.message());
    }
  }
  return check;
}

AnswerCheck CheckRawAnswer(AnswerKind kind, grpc::ByteBuffer* answer, int expected_items) {
  if (kind == AnswerKind::kBatch) {
    v1::BatchEvaluateResponse response;
    const grpc::Status st =
        grpc::SerializationTraits<v1::BatchEvaluateResponse>::Deserialize(answer, &response);
    if (!st.ok()) {
      AnswerCheck check;
      check.ok = false;
      check.error = absl::StrCat("answer does not parse as BatchEvaluateResponse: ",
                                 st.error_message());
      return check;
    }
    return CheckBatchResponse(response, expected_items);
  }
  v1::EvaluateResponse response;
  const grpc::Status st =
      grpc::SerializationTraits<v1::EvaluateResponse>::Deserialize(answer, &response);
  if (!st.ok()) {
    AnswerCheck check;
    check.ok = false;
    check.error =
        absl::StrCat("answer does not parse as EvaluateResponse: ", st.error_message());
    return check;
  }
  return CheckEvaluateResponse(kind, response);
}

AnswerCheck UncheckedAnswer(AnswerKind kind, int expected_items) {
  AnswerCheck check;
  check.decisions = kind == AnswerKind::kBatch ? expected_items : 1;
  return check;
}

}  // namespace bench
}  // namespace consent
