#include "engine/internal/time.h"

#include <string>

#include "gtest/gtest.h"

namespace consent {
namespace internal {
namespace {

TEST(TimeTest, ParsesUtcAndOffsets) {
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseRfc3339("2025-03-03T10:00:00Z"), 1740996000);
  EXPECT_EQ(ParseRfc3339("2025-03-03T10:00:00.123Z"), 1740996000);
  EXPECT_EQ(ParseRfc3339("2025-03-03T11:00:00+01:00"), 1740996000);
  EXPECT_EQ(ParseRfc3339("2025-03-03t10:00:00z"), 1740996000);
}

TEST(TimeTest, RejectsMalformed) {
  for (const char* bad : {"", "2025-03-03", "2025-02-30T00:00:00Z", "2025-03-03T24:00:00Z",
                          "2025-03-03T10:00:00", "2025-03-03T10:00:00Zx", "2025-3-3T10:00:00Z",
                          "2025-03-03T10:00:00.Z"}) {
    EXPECT_FALSE(ParseRfc3339(bad).has_value()) << bad;
  }
}

TEST(TimeTest, Dates) {
  EXPECT_EQ(ParseDate("1970-01-02"), 1);
  EXPECT_EQ(ParseDate("2024-02-29").has_value(), true);
  EXPECT_FALSE(ParseDate("2023-02-29").has_value());
  EXPECT_LT(*ParseDate("2020-11-08"), *ParseDate("2022-01-10"));
}

TEST(TimeTest, FormatsRoundTrip) {
  std::string out;
  FormatRfc3339(1740996000, &out);
  EXPECT_EQ(out, "2025-03-03T10:00:00Z");
  FormatRfc3339(-1, &out);
  EXPECT_EQ(out, "1969-12-31T23:59:59Z");
}

}  // namespace
}  // namespace internal
}  // namespace consent
