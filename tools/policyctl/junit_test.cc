#include "tools/policyctl/junit.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace consent::policyctl {
namespace {

using ::testing::HasSubstr;

TEST(JunitTest, OneTestcasePerCase) {
  JunitSuite s{"contoso", "policies/contoso/a.suite.textproto", {}, ""};
  s.cases.push_back({"ex1_prompt", true, "", ""});
  s.cases.push_back({"ex2 <&\"'>", false, "1 field(s) differ", "outcome\x01 a<b"});
  JunitSuite broken{"broken", "b.suite.textproto", {}, "b.suite.textproto:3:1: oops"};
  std::string xml = JunitXml({s, broken});
  EXPECT_THAT(xml, HasSubstr("<testsuites name=\"policyctl\" tests=\"3\" failures=\"2\""));
  EXPECT_THAT(xml, HasSubstr("<testsuite name=\"contoso\" file=\"policies/contoso/a.suite.textproto\" tests=\"2\" failures=\"1\""));
  EXPECT_THAT(xml, HasSubstr("<testcase classname=\"contoso\" name=\"ex1_prompt\" time=\"0\"/>"));
  EXPECT_THAT(xml, HasSubstr("name=\"ex2 &lt;&amp;&quot;&apos;&gt;\""));
  EXPECT_THAT(xml, HasSubstr("<failure message=\"1 field(s) differ\">outcome\xEF\xBF\xBD a&lt;b</failure>"));
  EXPECT_THAT(xml, HasSubstr("name=\"(load)\""));
  size_t count = 0;
  for (size_t pos = 0; (pos = xml.find("<testcase ", pos)) != std::string::npos; ++pos) ++count;
  EXPECT_EQ(count, 3u);
}

TEST(JunitTest, XmlEscapeKeepsUtf8) {
  EXPECT_EQ(XmlEscape("…\n\t"), "…\n\t");
  EXPECT_EQ(XmlEscape(std::string("\0", 1)), "\xEF\xBF\xBD");
}

}  // namespace
}  // namespace consent::policyctl
