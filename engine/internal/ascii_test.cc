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
  // '@' '[' '`' '{' border the letters: equality must not fold them, nor
  // non-ASCII bytes. (The hash may collide on such pairs by design: it sets
  // every byte's 0x20 bit; the table's equality tells them apart.)
  EXPECT_FALSE(EqualsIgnoreCase("@", "`"));
  EXPECT_FALSE(EqualsIgnoreCase("[", "{"));
  EXPECT_FALSE(EqualsIgnoreCase("api://x@y/Read.All", "api://x`y/Read.All"));
  EXPECT_FALSE(EqualsIgnoreCase("\xc3\x89", "\xc3\xa9"));
  // Different identifiers of one shape still hash apart.
  EXPECT_NE(h("00000003-0000-0000-c000-000000000000"), h("00000002-0000-0000-c000-000000000000"));
  EXPECT_NE(h("Mail.Read"), h("Mail.Send"));
}

// The SWAR paths against byte-by-byte definitions: every byte value at
// every position of strings of every length around the eight-byte blocks.
TEST(AsciiTest, EqualsIgnoreCaseMatchesTheByteDefinition) {
  auto slow = [](absl::string_view a, absl::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (absl::ascii_tolower(static_cast<unsigned char>(a[i])) !=
          absl::ascii_tolower(static_cast<unsigned char>(b[i]))) {
        return false;
      }
    }
    return true;
  };
  const std::string base = "api://Payroll-App/Scope.Read";
  for (size_t len = 0; len <= base.size(); ++len) {
    const std::string a = base.substr(0, len);
    for (size_t pos = 0; pos < len; ++pos) {
      for (int c = 0; c < 256; ++c) {
        std::string b = a;
        b[pos] = static_cast<char>(c);
        ASSERT_EQ(EqualsIgnoreCase(a, b), slow(a, b)) << a << " vs " << b;
        ASSERT_EQ(EqualsIgnoreCase(b, a), slow(b, a)) << b << " vs " << a;
      }
    }
  }
}

TEST(AsciiTest, AllPrintableUnquotedMatchesTheByteDefinition) {
  for (uint8_t lo : {uint8_t{0x20}, uint8_t{0x21}}) {
    auto slow = [lo](absl::string_view s) {
      for (char ch : s) {
        const unsigned char c = static_cast<unsigned char>(ch);
        if (c < lo || c > 0x7e || c == '"' || c == '\\') return false;
      }
      return true;
    };
    const std::string base = "https://graph.microsoft.com/Mail.Read";
    for (size_t len = 0; len <= base.size(); ++len) {
      const std::string a = base.substr(0, len);
      ASSERT_TRUE(AllPrintableUnquoted(a, lo)) << a;
      for (size_t pos = 0; pos < len; ++pos) {
        for (int c = 0; c < 256; ++c) {
          std::string b = a;
          b[pos] = static_cast<char>(c);
          ASSERT_EQ(AllPrintableUnquoted(b, lo), slow(b)) << "lo " << int{lo} << " byte " << c
                                                           << " at " << pos << " of " << len;
        }
      }
    }
  }
}

TEST(AsciiTest, SpecLessMatchesTheByteDefinition) {
  auto slow = [](absl::string_view a, absl::string_view b) {
    const std::string la = absl::AsciiStrToLower(a), lb = absl::AsciiStrToLower(b);
    if (la != lb) return la < lb;
    return a < b;
  };
  const std::string base = "Calendars.ReadWrite.Shared";
  for (size_t len = 0; len <= base.size(); ++len) {
    const std::string a = base.substr(0, len);
    for (size_t pos = 0; pos < len; ++pos) {
      for (int c = 0; c < 256; ++c) {
        std::string b = a;
        b[pos] = static_cast<char>(c);
        ASSERT_EQ(SpecLess(a, b), slow(a, b)) << a << " < " << b;
        ASSERT_EQ(SpecLess(b, a), slow(b, a)) << b << " < " << a;
        ASSERT_EQ(SpecLess(b, base), slow(b, base)) << b << " < " << base;
      }
    }
  }
}

TEST(AsciiTest, HexDigitValueOfEveryByte) {
  for (int b = 0; b < 256; ++b) {
    const char c = static_cast<char>(b);
    int want = -1;
    if (c >= '0' && c <= '9') want = c - '0';
    if (c >= 'a' && c <= 'f') want = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') want = c - 'A' + 10;
    EXPECT_EQ(HexDigitValue(c), want) << b;
  }
}

TEST(AsciiTest, FindFirstAndLast) {
  EXPECT_EQ(FindLast("api://x/y", '/'), 7u);
  EXPECT_EQ(FindLast("Mail.Read", '/'), absl::string_view::npos);
  EXPECT_EQ(FindLast("", '/'), absl::string_view::npos);
  EXPECT_EQ(FindFirst("a b c", ' ', 0), 1u);
  EXPECT_EQ(FindFirst("a b c", ' ', 2), 3u);
  EXPECT_EQ(FindFirst("a b c", ' ', 4), absl::string_view::npos);
  EXPECT_EQ(FindFirst("a b c", ' ', 99), absl::string_view::npos);
}

}  // namespace
}  // namespace internal
}  // namespace consent
