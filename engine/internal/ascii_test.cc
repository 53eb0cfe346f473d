#include "engine/internal/ascii.h"

#include <algorithm>
#include <string>
#include <vector>

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
}

}  // namespace
}  // namespace internal
}  // namespace consent
