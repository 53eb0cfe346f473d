#include "engine/ca/step_up_params.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"

namespace consent {
namespace ca {
namespace {

struct Parsed {
  bool ok;
  std::string error;
  StepUpParams params;
  // params' views point into the request: keep it, at a stable address.
  std::unique_ptr<v1::TokenRequest> request;
};

Parsed Parse(absl::string_view claims, absl::string_view acr_values = "",
             absl::string_view max_age = "", bool interactive = true,
             EngineOptions options = EngineOptions()) {
  Parsed p;
  p.request = std::make_unique<v1::TokenRequest>();
  v1::TokenRequest& r = *p.request;
  r.set_claims(std::string(claims));
  r.set_acr_values(std::string(acr_values));
  r.set_max_age(std::string(max_age));
  p.ok = ParseStepUpParamsImpl(r, interactive, options, &p.params, &p.error);
  return p;
}

std::vector<std::string> Strings(const std::vector<absl::string_view>& v) {
  return std::vector<std::string>(v.begin(), v.end());
}

TEST(StepUpParamsTest, C7_AcrsValueAndValues) {
  Parsed p = Parse(R"({"access_token":{"acrs":{"essential":true,"value":"c2"}}})");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_TRUE(p.params.has_claims_acrs);
  EXPECT_EQ(Strings(p.params.claims_acrs), std::vector<std::string>{"c2"});
  EXPECT_FALSE(p.params.has_acr_values);

  p = Parse(R"( { "id_token" : {"x":[1,2.5e3,-0,null,true,false,{"y":"z"}]},
      "access_token" : { "acrs" : { "values" : ["c1", "C25", "c99"] } } } )");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(Strings(p.params.claims_acrs), (std::vector<std::string>{"c1", "C25", "c99"}));
}

TEST(StepUpParamsTest, T7_XmsCcKeepsOrderAndDuplicates) {
  Parsed p = Parse(R"({"access_token":{"xms_cc":{"values":["cp1","cp2","cp1"]}}})");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_FALSE(p.params.has_claims_acrs);
  EXPECT_EQ(Strings(p.params.xms_cc), (std::vector<std::string>{"cp1", "cp2", "cp1"}));
}

TEST(StepUpParamsTest, V4_EscapesAreDecoded) {
  Parsed p = Parse(R"({"acc\u0065ss_token":{"acrs":{"value":"\u0063\u0037"},
      "xms_cc":{"values":["a\"b","\ud83d\ude00","\n"]}}})");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(Strings(p.params.claims_acrs), std::vector<std::string>{"c7"});
  EXPECT_EQ(Strings(p.params.xms_cc),
            (std::vector<std::string>{"a\"b", "\xF0\x9F\x98\x80", "\n"}));
}

TEST(StepUpParamsTest, V4_Faults) {
  struct Case {
    const char* claims;
    const char* error_part;
  } cases[] = {
      {"[]", "claims: not a JSON object"},
      {"\"x\"", "claims: not a JSON object"},
      {R"({"access_token":[]})", "claims.access_token: not a JSON object"},
      {R"({"access_token":{"acrs":"c1"}})", "claims.access_token.acrs: not a JSON object"},
      {R"({"access_token":{"xms_cc":1}})", "claims.access_token.xms_cc: not a JSON object"},
      {R"({"access_token":{"acrs":{}}})", "exactly one of"},
      {R"({"access_token":{"acrs":{"essential":true}}})", "exactly one of"},
      {R"({"access_token":{"acrs":{"value":"c1","values":["c2"]}}})", "exactly one of"},
      {R"({"access_token":{"acrs":{"value":1}}})", "acrs.value: not a string"},
      {R"({"access_token":{"acrs":{"values":[]}}})", "acrs.values: empty array"},
      {R"({"access_token":{"acrs":{"values":"c1"}}})", "acrs.values: not a string array"},
      {R"({"access_token":{"acrs":{"values":["c1",2]}}})", "acrs.values: not a string array"},
      {R"({"access_token":{"acrs":{"value":"c0"}}})", "is not an auth context id"},
      {R"({"access_token":{"acrs":{"value":"c100"}}})", "is not an auth context id"},
      {R"({"access_token":{"acrs":{"value":"c01"}}})", "is not an auth context id"},
      {R"({"access_token":{"acrs":{"value":"x1"}}})", "is not an auth context id"},
      {R"({"access_token":{"xms_cc":{"values":[1]}}})", "xms_cc.values: not a string array"},
      {R"({"access_token":{"xms_cc":{"values":{}}}})", "xms_cc.values: not a string array"},
      {R"({"access_token":{},"access_token":{}})", "member appears twice"},
      {R"({"access_token":{"acrs":{"value":"c1"}})", "not valid JSON"},
      {R"({"access_token":{"acrs":{"value":"c1"}}} x)", "unexpected text"},
      {R"({"a":01})", "not valid JSON"},
      {R"({"a":tru})", "not valid JSON"},
      {R"({"a":"\x"})", "not valid JSON"},
      {R"({"a":"\ud800"})", "not valid JSON"},
      {"{\"a\":\"\x01\"}", "not valid JSON"},
      {"{\"a\":\"\xC0\xAF\"}", "not valid JSON"},
      {R"({"a" 1})", "not valid JSON"},
      {R"({,})", "not valid JSON"},
      {R"({"a":1,})", "not valid JSON"},
      {R"({"a":[1,]})", "not valid JSON"},
      {"", nullptr},  // empty = absent
  };
  for (const Case& c : cases) {
    Parsed p = Parse(c.claims);
    if (c.error_part == nullptr) {
      EXPECT_TRUE(p.ok) << c.claims;
      continue;
    }
    EXPECT_FALSE(p.ok) << c.claims;
    EXPECT_NE(p.error.find(c.error_part), std::string::npos) << c.claims << " -> " << p.error;
  }
}

TEST(StepUpParamsTest, V4_SizeAndDepthLimits) {
  EngineOptions options;
  options.max_claims_bytes = 64;
  Parsed p = Parse(R"({"a":")" + std::string(100, 'x') + "\"}", "", "", true, options);
  EXPECT_FALSE(p.ok);
  EXPECT_NE(p.error.find("max_claims_bytes"), std::string::npos);

  // 5000 nested arrays (within max_claims_bytes): rejected by depth, no recursion.
  std::string deep = "{\"a\":" + std::string(5000, '[') + std::string(5000, ']') + "}";
  p = Parse(deep);
  EXPECT_FALSE(p.ok);
  EXPECT_NE(p.error.find("max_claims_depth"), std::string::npos) << p.error;

  EngineOptions d3;
  d3.max_claims_depth = 3;
  EXPECT_TRUE(Parse(R"({"access_token":{"acrs":{"value":"c1"}}})", "", "", true, d3).ok);
  EXPECT_FALSE(Parse(R"({"access_token":{"acrs":{"values":["c1"]}}})", "", "", true, d3).ok);

  EngineOptions few;
  few.max_acr_values = 2;
  p = Parse(R"({"access_token":{"acrs":{"values":["c1","c2","c3"]}}})", "", "", true, few);
  EXPECT_FALSE(p.ok);
  EXPECT_NE(p.error.find("max_acr_values"), std::string::npos);
  p = Parse("", "c1 c2 c3", "", true, few);
  EXPECT_FALSE(p.ok);
  EXPECT_NE(p.error.find("max_acr_values"), std::string::npos);
}

TEST(StepUpParamsTest, V4_AcrValues) {
  Parsed p = Parse("", "  c2   c9 ");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_TRUE(p.params.has_acr_values);
  EXPECT_EQ(Strings(p.params.acr_values), (std::vector<std::string>{"c2", "c9"}));
  p = Parse("", "   ");
  ASSERT_TRUE(p.ok);
  EXPECT_FALSE(p.params.has_acr_values);  // no entries = absent
  p = Parse("", "c2 urn:mace:incommon:iap:silver");
  EXPECT_FALSE(p.ok);
  EXPECT_NE(p.error.find("acr_values"), std::string::npos);
}

TEST(StepUpParamsTest, S5_MaxAgeInteractiveOnly) {
  Parsed p = Parse("", "", "3600");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.params.max_age, 3600);
  p = Parse("", "", "0");
  EXPECT_EQ(p.params.max_age, 0);
  for (const char* bad : {"-1", "1.5", "1e3", " 60", "abc", "99999999999999999999"}) {
    p = Parse("", "", bad);
    EXPECT_FALSE(p.ok) << bad;
    EXPECT_NE(p.error.find("max_age"), std::string::npos);
  }
  p = Parse("", "", "abc", /*interactive=*/false);
  EXPECT_TRUE(p.ok);  // silent grants do not read it
  EXPECT_FALSE(p.params.max_age.has_value());
}

TEST(StepUpParamsTest, ReuseKeepsViewsValid) {
  StepUpParams params;
  std::string error;
  v1::TokenRequest r;
  for (int i = 0; i < 3; ++i) {
    r.set_claims(R"({"access_token":{"acrs":{"values":["\u00631","\u00632"]},
        "xms_cc":{"values":["\u0063p1"]}}})");
    ASSERT_TRUE(ParseStepUpParamsImpl(r, true, EngineOptions(), &params, &error)) << error;
    EXPECT_EQ(Strings(params.claims_acrs), (std::vector<std::string>{"c1", "c2"}));
    EXPECT_EQ(Strings(params.xms_cc), std::vector<std::string>{"cp1"});
  }
}

}  // namespace
}  // namespace ca
}  // namespace consent
