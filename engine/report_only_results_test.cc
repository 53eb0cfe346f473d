#include "engine/report_only_results.h"

#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace consent {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs Read(const ReportOnlyResults& r) {
  Pairs out;
  for (const auto& [id, result] : r) out.emplace_back(std::string(id), std::string(result));
  return out;
}

TEST(ReportOnlyResultsTest, UnsetPositionsReadNotApplied) {
  const std::vector<absl::string_view> ids = {"ca-a", "ca-b", "ca-c", "ca-d"};
  ReportOnlyResults r;
  r.Reset(ids);
  // Recorded out of order, as index look-ups find them.
  r.Set(3, "success");
  r.Set(1, "failure");
  r.Finish();
  EXPECT_EQ(r.size(), 4u);
  EXPECT_EQ(Read(r), (Pairs{{"ca-a", "notApplied"},
                            {"ca-b", "failure"},
                            {"ca-c", "notApplied"},
                            {"ca-d", "success"}}));
  EXPECT_EQ(r[0].second, "notApplied");
  EXPECT_EQ(r[1].second, "failure");
  EXPECT_EQ(r[3].first, "ca-d");
  EXPECT_EQ(r[3].second, "success");
}

TEST(ReportOnlyResultsTest, ResetForgetsEarlierResultsAndCopiesShareTheIds) {
  const std::vector<absl::string_view> ids = {"ca-a", "ca-b"};
  ReportOnlyResults r;
  r.Reset(ids);
  r.Set(0, "userActionRequired");
  r.Finish();
  ReportOnlyResults copy = r;
  r.Reset(ids);
  r.Finish();
  EXPECT_EQ(Read(r), (Pairs{{"ca-a", "notApplied"}, {"ca-b", "notApplied"}}));
  EXPECT_EQ(Read(copy), (Pairs{{"ca-a", "userActionRequired"}, {"ca-b", "notApplied"}}));
  r.Clear();
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.begin(), r.end());
}

}  // namespace
}  // namespace consent
