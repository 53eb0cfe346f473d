#include "engine/internal/ascii.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "gtest/gtest.h"

namespace consent {
namespace internal {
namespace {

TEST(AsciiTest, SpecOrderIsLowercaseThenBytes) {
  std::vector<std::string> v = {"User.Read", "Calendars.Read", "b", "B", "a"};
  std::sort(v.begin(), v.end(), SpecLessFn());
  EXPECT_EQ(v, (std::vector<std::string>{"a", "B", "b", "Calendars.Read", "User.Read"}));
}

TEST(AsciiTest, HashAgreesWithEquality) {
  CaseInsensitiveHash h;
  EXPECT_EQ(h("Mail.Read"), h("mail.read"));
  EXPECT_TRUE(CaseInsensitiveEq()("API://Payroll", "api://payroll"));
  EXPECT_FALSE(CaseInsensitiveEq()("api://payroll/", "api://payroll"));
  // Every length around the eight-byte blocks, every ASCII letter.
  const std::string upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ@[`{0123456789-_./:";
  for (size_t len = 0; len <= upper.size(); ++len) {
    std::string a = upper.substr(0, len);
    std::string b = absl::AsciiStrToLower(a);
    EXPECT_EQ(h(a), h(b)) << a;
    EXPECT_TRUE(CaseInsensitiveEq()(a, b)) << a;
  }
  // '@' '[' '`' '{' border the letters: they must not fold.
  EXPECT_NE(h("@"), h("`"));
  EXPECT_NE(h("["), h("{"));
  EXPECT_FALSE(EqualsIgnoreCase("@", "`"));
  // Non-ASCII bytes are compared as they are.
  EXPECT_NE(h("\xc3\x89"), h("\xc3\xa9"));
}

}  // namespace
}  // namespace internal
}  // namespace consent
