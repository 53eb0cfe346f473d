#include "server/decision_log.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace consent {
namespace server {
namespace {

using ::testing::HasSubstr;

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::vector<std::string> lines = absl::StrSplit(ss.str(), '\n', absl::SkipEmpty());
  return lines;
}

TEST(JsonQuoteTest, EscapesMinimally) {
  struct Case {
    std::string in, out;
  };
  const std::vector<Case> cases = {
      {"plain", "\"plain\""},
      {"a\"b\\c", "\"a\\\"b\\\\c\""},
      {"\n\r\t\b\f", "\"\\n\\r\\t\\b\\f\""},
      {std::string("\x01\x1f", 2), "\"\\u0001\\u001f\""},
      {"caf\xc3\xa9 /", "\"caf\xc3\xa9 /\""},
  };
  for (const Case& c : cases) EXPECT_EQ(JsonQuote(c.in), c.out);
}

TEST(DecisionLogTest, LinesAreJsonObjects) {
  v1::TokenRequest request;
  request.set_tenant("t-a");
  request.set_client_id("app \"x\"");
  request.set_grant_type("interactive");
  request.set_scope("User.Read\nMail.Read");
  request.mutable_user()->set_id("alice");
  v1::Decision decision;
  decision.set_outcome(v1::ISSUE);
  decision.mutable_token()->add_scp("User.Read");
  decision.add_applied_policies("p1");
  std::string line = FormatDecisionLogLine(absl::FromUnixSeconds(1741000000), "Evaluate", -1,
                                           request, decision, "v1", "abc",
                                           absl::Microseconds(12));
  EXPECT_EQ(line.find('\n'), std::string::npos);
  google::protobuf::Struct parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &parsed).ok()) << line;
  const auto& f = parsed.fields();
  EXPECT_EQ(f.at("time").string_value(), "2025-03-03T11:06:40.000000Z");
  EXPECT_EQ(f.at("rpc").string_value(), "Evaluate");
  EXPECT_EQ(f.count("item"), 0u);
  EXPECT_EQ(f.at("client_id").string_value(), "app \"x\"");
  EXPECT_EQ(f.at("scope").string_value(), "User.Read\nMail.Read");
  EXPECT_EQ(f.at("outcome").string_value(), "ISSUE");
  EXPECT_EQ(f.at("scp").list_value().values(0).string_value(), "User.Read");
  EXPECT_EQ(f.at("applied_policies").list_value().values(0).string_value(), "p1");
  EXPECT_EQ(f.at("bundle_version").string_value(), "v1");
  EXPECT_EQ(f.at("latency_us").number_value(), 12);

  std::string batch_line = FormatDecisionLogLine(absl::UnixEpoch(), "BatchEvaluate", 3,
                                                 request, decision, "", "", absl::ZeroDuration());
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(batch_line, &parsed).ok());
  EXPECT_EQ(parsed.fields().at("item").number_value(), 3);
}

TEST(DecisionLogTest, WritesEveryQueuedLineOnClose) {
  const std::string path = TempPath("written.jsonl");
  std::remove(path.c_str());
  auto log = DecisionLog::Open(path, 100);
  ASSERT_TRUE(log.ok()) << log.status();
  for (int i = 0; i < 50; ++i) EXPECT_TRUE((*log)->Enqueue("{\"i\":" + std::to_string(i) + "}"));
  (*log)->Close();
  EXPECT_EQ((*log)->written(), 50u);
  EXPECT_EQ((*log)->dropped(), 0u);
  std::vector<std::string> lines = ReadLines(path);
  ASSERT_EQ(lines.size(), 50u);
  EXPECT_EQ(lines[0], "{\"i\":0}");
  EXPECT_EQ(lines[49], "{\"i\":49}");
}

// A full queue drops (and counts) instead of waiting.
TEST(DecisionLogTest, FullQueueDropsAndCounts) {
  const std::string path = TempPath("full.jsonl");
  std::remove(path.c_str());
  auto log = DecisionLog::Open(path, 8);
  ASSERT_TRUE(log.ok()) << log.status();
  (*log)->PauseWriterForTesting(true);
  int accepted = 0;
  for (int i = 0; i < 20; ++i) accepted += (*log)->Enqueue("{}") ? 1 : 0;
  EXPECT_EQ(accepted, 8);
  EXPECT_EQ((*log)->dropped(), 12u);
  (*log)->Close();
  EXPECT_EQ((*log)->written(), 8u);
  EXPECT_EQ(ReadLines(path).size(), 8u);
  // After Close every entry is dropped, never blocked.
  EXPECT_FALSE((*log)->Enqueue("{}"));
  EXPECT_EQ((*log)->dropped(), 13u);
}

// Write errors are counted as drops, not surfaced to decisions.
TEST(DecisionLogTest, WriteErrorsCountAsDropped) {
  auto log = DecisionLog::Open("/dev/full", 16);
  ASSERT_TRUE(log.ok()) << log.status();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE((*log)->Enqueue("{}"));
  (*log)->Close();
  EXPECT_EQ((*log)->written(), 0u);
  EXPECT_EQ((*log)->dropped(), 3u);
}

TEST(DecisionLogTest, OpenErrorsNameTheFlag) {
  auto bad_path = DecisionLog::Open("/nonexistent-dir/x.jsonl", 16);
  EXPECT_EQ(bad_path.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad_path.status().message()),
              HasSubstr("--decision_log=\"/nonexistent-dir/x.jsonl\""));
  auto zero = DecisionLog::Open(TempPath("zero.jsonl"), 0);
  EXPECT_THAT(std::string(zero.status().message()), HasSubstr("--decision_log_queue=0"));
}

}  // namespace
}  // namespace server
}  // namespace consent
