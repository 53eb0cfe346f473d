#include "engine/ca/ip_ranges.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace consent {
namespace ca {
namespace {

IpRange Cidr(absl::string_view text) {
  std::string error;
  std::optional<IpRange> r = ParseCidr(text, &error);
  EXPECT_TRUE(r.has_value()) << text << ": " << error;
  return r.value_or(IpRange{0, 0});
}

TEST(IpRangesTest, ParsesAddresses) {
  EXPECT_TRUE(ParseIp("10.0.0.1").has_value());
  EXPECT_TRUE(ParseIp("255.255.255.255").has_value());
  EXPECT_TRUE(ParseIp("::").has_value());
  EXPECT_TRUE(ParseIp("::1").has_value());
  EXPECT_TRUE(ParseIp("2001:db8::8a2e:370:7334").has_value());
  EXPECT_TRUE(ParseIp("2001:DB8:0:0:0:0:0:1").has_value());
  EXPECT_TRUE(ParseIp("::ffff:10.0.0.1").has_value());
  EXPECT_EQ(ParseIp("::ffff:10.0.0.1"), ParseIp("10.0.0.1"));
  EXPECT_EQ(ParseIp("2001:db8::1"), ParseIp("2001:0db8:0:0:0:0:0:1"));
  for (absl::string_view bad :
       {"", "10.0.0", "10.0.0.256", "10.0.0.01", "10..0.1", "1.2.3.4.5", "2001:db8:::1",
        "2001:db8::1::2", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", ":1::", "12345::", "g::1",
        "1:2:3:4:5:6:7:8::", "fe80::1%eth0", " 10.0.0.1"}) {
    EXPECT_FALSE(ParseIp(bad).has_value()) << bad;
  }
}

TEST(IpRangesTest, CidrErrors) {
  std::string error;
  EXPECT_FALSE(ParseCidr("10.0.0.0", &error).has_value());
  EXPECT_NE(error.find("prefix"), std::string::npos);
  EXPECT_FALSE(ParseCidr("10.0.0.0/33", &error).has_value());
  EXPECT_FALSE(ParseCidr("10.0.0.1/24", &error).has_value());
  EXPECT_NE(error.find("host bits"), std::string::npos);
  EXPECT_FALSE(ParseCidr("2001:db8::/129", &error).has_value());
  EXPECT_FALSE(ParseCidr("2001:db8::1/64", &error).has_value());
  EXPECT_FALSE(ParseCidr("10.0.0.0/08", &error).has_value());
  EXPECT_FALSE(ParseCidr("300.0.0.0/8", &error).has_value());
  EXPECT_TRUE(ParseCidr("0.0.0.0/0", &error).has_value());
  EXPECT_TRUE(ParseCidr("::/0", &error).has_value());
}

TEST(IpRangesTest, RangeEdgesV4) {
  IpRangeSet set({Cidr("10.1.0.0/16"), Cidr("192.168.1.128/25")});
  EXPECT_TRUE(set.Contains(*ParseIp("10.1.0.0")));
  EXPECT_TRUE(set.Contains(*ParseIp("10.1.255.255")));
  EXPECT_FALSE(set.Contains(*ParseIp("10.0.255.255")));
  EXPECT_FALSE(set.Contains(*ParseIp("10.2.0.0")));
  EXPECT_FALSE(set.Contains(*ParseIp("192.168.1.127")));
  EXPECT_TRUE(set.Contains(*ParseIp("192.168.1.128")));
  EXPECT_TRUE(set.Contains(*ParseIp("192.168.1.255")));
  EXPECT_FALSE(set.Contains(*ParseIp("192.168.2.0")));
  // A v4 range never matches a v6 address outside ::ffff:0:0/96.
  EXPECT_FALSE(set.Contains(*ParseIp("::a01:0")));
}

TEST(IpRangesTest, RangeEdgesV6) {
  IpRangeSet set({Cidr("2001:db8::/32"), Cidr("::1/128")});
  EXPECT_TRUE(set.Contains(*ParseIp("2001:db8::")));
  EXPECT_TRUE(set.Contains(*ParseIp("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")));
  EXPECT_FALSE(set.Contains(*ParseIp("2001:db9::")));
  EXPECT_FALSE(set.Contains(*ParseIp("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff")));
  EXPECT_TRUE(set.Contains(*ParseIp("::1")));
  EXPECT_FALSE(set.Contains(*ParseIp("::2")));
  EXPECT_FALSE(set.Contains(*ParseIp("10.0.0.1")));
  IpRangeSet all({Cidr("::/0")});
  EXPECT_TRUE(all.Contains(*ParseIp("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
  EXPECT_TRUE(all.Contains(*ParseIp("10.0.0.1")));
}

TEST(IpRangesTest, OverlappingAndAdjacentRangesMerge) {
  IpRangeSet set({Cidr("10.0.0.0/24"), Cidr("10.0.1.0/24"), Cidr("10.0.0.0/16"),
                  Cidr("10.0.0.128/25")});
  EXPECT_EQ(set.size(), 1u);
  EXPECT_TRUE(set.Contains(*ParseIp("10.0.200.1")));
  EXPECT_FALSE(set.Contains(*ParseIp("10.1.0.0")));
}

TEST(IpRangesTest, ThousandsOfRanges) {
  std::vector<IpRange> ranges;
  for (int i = 0; i < 5000; ++i) {
    ranges.push_back(Cidr("10." + std::to_string(i / 256 * 2 % 256) + "." +
                          std::to_string(i % 256) + ".0/24"));
  }
  IpRangeSet set(ranges);
  EXPECT_TRUE(set.Contains(*ParseIp("10.0.5.77")));
  EXPECT_FALSE(set.Contains(*ParseIp("10.1.5.77")));
  EXPECT_TRUE(set.Contains(*ParseIp("10.38.135.1")));  // i = 4999
}

}  // namespace
}  // namespace ca
}  // namespace consent
