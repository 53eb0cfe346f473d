#include "server/logger.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace consent {
namespace server {
namespace {

TEST(OneLineTest, MakesMultiLineTextOneLine) {
  struct Case {
    std::string in, out;
  };
  const std::vector<Case> cases = {
      {"plain", "plain"},
      {"invalid policy bundle: 2 problems\n  a: x\n  b: y", "invalid policy bundle: 2 problems; a: x; b: y"},
      {"trailing\n", "trailing"},
      {"tab\there", "tab here"},
      {std::string("nul\0byte", 8), "nul\\x00byte"},
  };
  for (const Case& c : cases) EXPECT_EQ(OneLine(c.in), c.out);
}

TEST(LogTest, OneTimestampedLinePerEvent) {
  std::vector<std::string> lines;
  SetLogSinkForTesting([&](absl::string_view line) { lines.emplace_back(line); });
  LogInfo("loaded: tenant=", "t-a", " apps=", 3);
  LogError("bundle rejected:\n  a: x");
  SetLogSinkForTesting(nullptr);
  LogWarning("not captured");
  ASSERT_EQ(lines.size(), 2u);
  // "2026-11-21T11:19:23.428325Z INFO loaded: tenant=t-a apps=3"
  EXPECT_EQ(lines[0].size(), 27u + 1 + 4 + 1 + 25);
  EXPECT_EQ(lines[0][10], 'T');
  EXPECT_EQ(lines[0][26], 'Z');
  EXPECT_TRUE(absl::EndsWith(lines[0], " INFO loaded: tenant=t-a apps=3")) << lines[0];
  EXPECT_TRUE(absl::EndsWith(lines[1], " ERROR bundle rejected:; a: x")) << lines[1];
}

}  // namespace
}  // namespace server
}  // namespace consent
