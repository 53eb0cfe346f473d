#include "tests/reference/reference_util.h"

#include "gtest/gtest.h"

namespace consent {
namespace reference {
namespace {

TEST(ReferenceUtil, SpecOrder) {
  std::vector<std::string> v = {"b", "B", "a", "User.Read", "openid"};
  SortSpec(&v);
  EXPECT_EQ(v, (std::vector<std::string>{"a", "B", "b", "openid", "User.Read"}));
}

TEST(ReferenceUtil, Times) {
  EXPECT_EQ(ParseTime("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseTime("2025-03-03T10:00:00Z"), 1740996000);
  EXPECT_EQ(FormatTime(1740996000), "2025-03-03T10:00:00Z");
  EXPECT_EQ(ParseTime("2025-03-03T11:00:00+01:00"), 1740996000);
  EXPECT_FALSE(ParseTime("2025-02-30T10:00:00Z"));
  EXPECT_FALSE(ParseTime("yesterday"));
}

TEST(ReferenceUtil, Json) {
  Json j;
  EXPECT_TRUE(ParseJson("{\"a\":[1,\"x\\u00e9\",true,null]}", 16, &j));
  EXPECT_FALSE(ParseJson("{\"a\":1,\"a\":2}", 16, &j));
  EXPECT_FALSE(ParseJson("{\"a\":1", 16, &j));
  EXPECT_FALSE(ParseJson("[[[1]]]", 2, &j));
  EXPECT_FALSE(ParseJson("\"\xff\"", 16, &j));
  EXPECT_EQ(JsonString("a\"\\\n\x01"), "\"a\\\"\\\\\\n\\u0001\"");
  EXPECT_EQ(Base64("ab"), "YWI=");
}

TEST(ReferenceUtil, Cidr) {
  IpAddr ip;
  ASSERT_TRUE(ParseIp("10.1.2.3", &ip));
  bool in = false;
  EXPECT_TRUE(IpInCidr(ip, "10.0.0.0/8", &in));
  EXPECT_TRUE(in);
  EXPECT_TRUE(IpInCidr(ip, "10.2.0.0/16", &in));
  EXPECT_FALSE(in);
  ASSERT_TRUE(ParseIp("2001:db8::1", &ip));
  EXPECT_TRUE(IpInCidr(ip, "2001:db8::/32", &in));
  EXPECT_TRUE(in);
  EXPECT_TRUE(IpInCidr(ip, "10.0.0.0/8", &in));
  EXPECT_FALSE(in);
  EXPECT_FALSE(IpInCidr(ip, "10.0.0.0/40", &in));
  EXPECT_FALSE(ParseIp(std::string("::\0\f:::::t", 10), &ip));  // found by the differential fuzzer
  ASSERT_TRUE(ParseIp("::ffff:10.1.2.3", &ip));
  EXPECT_TRUE(IpInCidr(ip, "10.0.0.0/8", &in));
  EXPECT_TRUE(in);
}

TEST(ReferenceUtil, DeviceRules) {
  DeviceFacts f;
  f.attrs["model"] = "Surface Pro";
  f.attrs["iscompliant"] = "True";
  f.lists["systemlabels"] = {"Privileged"};
  EXPECT_EQ(EvalDeviceRule("device.model -startsWith \"surface\"", f), true);
  EXPECT_EQ(EvalDeviceRule("device.isCompliant -eq True -and device.model -eq \"x\"", f), false);
  EXPECT_EQ(EvalDeviceRule("device.model -eq \"x\" -or device.model -eq \"y\" -and device.isCompliant -eq False", f), false);
  EXPECT_EQ(EvalDeviceRule("(device.model -eq \"x\" -or device.model -contains \"pro\") -and device.isCompliant -eq True", f), true);
  EXPECT_EQ(EvalDeviceRule("device.systemLabels -contains \"Privileged\"", f), true);
  EXPECT_EQ(EvalDeviceRule("device.systemLabels -contains \"Priv\"", f), false);
  EXPECT_EQ(EvalDeviceRule("device.manufacturer -in [\"a\", \"b\"]", f), false);
  EXPECT_EQ(EvalDeviceRule("device.manufacturer -notIn [\"a\", \"b\"]", f), true);  // null
  EXPECT_EQ(EvalDeviceRule("device.model -eq", f), std::nullopt);
}

}  // namespace
}  // namespace reference
}  // namespace consent
