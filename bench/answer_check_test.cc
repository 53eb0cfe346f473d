#include "bench/answer_check.h"

#include <string>

#include "gmock/gmock.h"
#include "grpcpp/support/slice.h"
#include "gtest/gtest.h"
#include "proto/service.pb.h"

namespace consent {
namespace bench {
namespace {

using ::testing::HasSubstr;

v1::EvaluateResponse Answer(v1::Outcome outcome, const std::string& version) {
  v1::EvaluateResponse response;
  response.mutable_decision()->set_outcome(outcome);
  response.mutable_decision()->add_report_only()->set_id("ca-7");
  response.set_bundle_version(version);
  response.set_bundle_hash("abc");
  return response;
}

grpc::ByteBuffer Bytes(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

TEST(AnswerCheckTest, SerializeToByteBufferRoundTrips) {
  const v1::EvaluateResponse response = Answer(v1::ISSUE, "v1");
  grpc::ByteBuffer bytes = SerializeToByteBuffer(response);
  grpc::Slice flat;
  ASSERT_TRUE(bytes.DumpToSingleSlice(&flat).ok());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(flat.begin()), flat.size()),
            response.SerializeAsString());
  // A copy shares the bytes and can be sent again.
  grpc::ByteBuffer copy = bytes;
  EXPECT_EQ(copy.Length(), bytes.Length());
}

TEST(AnswerCheckTest, ShouldDecodeFirstThenEveryNth) {
  EXPECT_TRUE(ShouldDecode(0, 1000));
  EXPECT_FALSE(ShouldDecode(1, 1000));
  EXPECT_FALSE(ShouldDecode(999, 1000));
  EXPECT_TRUE(ShouldDecode(1000, 1000));
  EXPECT_TRUE(ShouldDecode(2000, 1000));
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(ShouldDecode(i, 1));
}

TEST(AnswerCheckTest, RawEvaluateAnswerWithDecisionCounts) {
  grpc::ByteBuffer bytes = SerializeToByteBuffer(Answer(v1::STEP_UP_REQUIRED, "v7"));
  const AnswerCheck check = CheckRawAnswer(AnswerKind::kEvaluate, &bytes, 1);
  EXPECT_TRUE(check.ok) << check.error;
  EXPECT_EQ(check.decisions, 1);
  EXPECT_EQ(check.bundle_version, "v7");
}

TEST(AnswerCheckTest, UnavailableOrUnspecifiedOutcomeFails) {
  for (v1::Outcome outcome : {v1::UNAVAILABLE, v1::OUTCOME_UNSPECIFIED}) {
    grpc::ByteBuffer bytes = SerializeToByteBuffer(Answer(outcome, "v1"));
    const AnswerCheck check = CheckRawAnswer(AnswerKind::kEvaluate, &bytes, 1);
    EXPECT_FALSE(check.ok) << v1::Outcome_Name(outcome);
    EXPECT_EQ(check.decisions, 0);
    EXPECT_THAT(check.error, HasSubstr(v1::Outcome_Name(outcome)));
  }
}

TEST(AnswerCheckTest, AnswerThatDoesNotParseFails) {
  // Field 1 (decision), length-delimited, claiming 100 bytes it lacks.
  grpc::ByteBuffer bytes = Bytes(std::string("\x0a\x64\x08\x01", 4));
  const AnswerCheck check = CheckRawAnswer(AnswerKind::kEvaluate, &bytes, 1);
  EXPECT_FALSE(check.ok);
  EXPECT_THAT(check.error, HasSubstr("does not parse as EvaluateResponse"));

  grpc::ByteBuffer batch_bytes = Bytes(std::string("\x0a\x64\x08\x01", 4));
  const AnswerCheck batch = CheckRawAnswer(AnswerKind::kBatch, &batch_bytes, 1);
  EXPECT_FALSE(batch.ok);
  EXPECT_THAT(batch.error, HasSubstr("does not parse as BatchEvaluateResponse"));
}

TEST(AnswerCheckTest, NoopAnswerNeedsNoDecision) {
  v1::EvaluateResponse padded;
  padded.set_bundle_hash(std::string(700, '0'));
  grpc::ByteBuffer bytes = SerializeToByteBuffer(padded);
  const AnswerCheck check = CheckRawAnswer(AnswerKind::kNoop, &bytes, 1);
  EXPECT_TRUE(check.ok) << check.error;
  EXPECT_EQ(check.decisions, 1);
  // The same bytes read as an Evaluate answer hold no decision.
  grpc::ByteBuffer again = SerializeToByteBuffer(padded);
  EXPECT_FALSE(CheckRawAnswer(AnswerKind::kEvaluate, &again, 1).ok);
}

TEST(AnswerCheckTest, BatchCountsGoodItemsAndFailsOnBadOnesOrWrongCount) {
  v1::BatchEvaluateResponse response;
  for (int i = 0; i < 3; ++i) response.add_results()->mutable_decision()->set_outcome(v1::ISSUE);
  grpc::ByteBuffer good = SerializeToByteBuffer(response);
  AnswerCheck check = CheckRawAnswer(AnswerKind::kBatch, &good, 3);
  EXPECT_TRUE(check.ok) << check.error;
  EXPECT_EQ(check.decisions, 3);

  check = CheckBatchResponse(response, 4);
  EXPECT_FALSE(check.ok);
  EXPECT_THAT(check.error, HasSubstr("3 results for 4 requests"));

  v1::BatchItem* late = response.add_results();
  late->set_code(4);
  late->set_message("deadline");
  check = CheckBatchResponse(response, 4);
  EXPECT_FALSE(check.ok);
  EXPECT_EQ(check.decisions, 3);
  EXPECT_THAT(check.error, HasSubstr("code 4"));

  response.mutable_results(3)->set_code(0);
  response.mutable_results(3)->mutable_decision()->set_outcome(v1::UNAVAILABLE);
  EXPECT_FALSE(CheckBatchResponse(response, 4).ok);
}

TEST(AnswerCheckTest, UncheckedAnswerCountsWhatWasAsked) {
  EXPECT_EQ(UncheckedAnswer(AnswerKind::kEvaluate, 1).decisions, 1);
  EXPECT_EQ(UncheckedAnswer(AnswerKind::kNoop, 1).decisions, 1);
  EXPECT_EQ(UncheckedAnswer(AnswerKind::kBatch, 100).decisions, 100);
  EXPECT_TRUE(UncheckedAnswer(AnswerKind::kBatch, 100).ok);
}

}  // namespace
}  // namespace bench
}  // namespace consent
