#include "engine/ca/session_facts.h"

#include <string>

#include "engine/internal/time.h"
#include "gtest/gtest.h"

namespace consent {
namespace ca {
namespace {

TEST(SessionFactsTest, NullSessionIsTheDefaults_2_5) {
  SessionFacts f;
  std::string error;
  ASSERT_TRUE(AnalyzeSessionFacts(nullptr, EngineOptions(), &f, &error));
  EXPECT_FALSE(f.primary_auth_time.has_value());
  EXPECT_FALSE(f.mfa_time.has_value());
  EXPECT_EQ(f.platform, Platform::kUnknown);
  EXPECT_EQ(f.client_app_type, ClientAppType::kNone);
  EXPECT_FALSE(f.legacy());
  EXPECT_FALSE(f.ip.has_value());
  EXPECT_EQ(f.sign_in_risk, RiskLevel::kNone);
}

TEST(SessionFactsTest, TimesAndVocabulary) {
  v1::Session s;
  auto* m = s.add_auth_methods();
  m->set_method("password");
  m->set_at("2025-03-03T01:00:00Z");
  m = s.add_auth_methods();
  m->set_method("microsoftAuthenticatorPush");
  m->set_at("2025-03-03T02:00:00Z");
  s.set_platform("IOS");
  s.set_client_app_type("exchangeActiveSync");
  s.set_ip("2001:db8::1");
  s.set_country("xx");
  s.set_user_risk("High");
  SessionFacts f;
  std::string error;
  ASSERT_TRUE(AnalyzeSessionFacts(&s, EngineOptions(), &f, &error)) << error;
  EXPECT_EQ(f.primary_auth_time, internal::ParseRfc3339("2025-03-03T01:00:00Z"));
  EXPECT_EQ(f.mfa_time, internal::ParseRfc3339("2025-03-03T02:00:00Z"));
  EXPECT_TRUE(f.mfa());
  EXPECT_EQ(f.platform, Platform::kIos);
  EXPECT_TRUE(f.legacy());
  EXPECT_EQ(f.user_risk, RiskLevel::kHigh);
  EXPECT_EQ(f.country, "xx");
}

TEST(SessionFactsTest, MalformedFactsNameFieldAndValue) {
  struct Case {
    void (*mutate)(v1::Session*);
    const char* error;
  } cases[] = {
      {[](v1::Session* s) { s->add_auth_methods()->set_method("pin"); },
       "session.auth_methods[0].method: \"pin\" is not an authentication method"},
      {[](v1::Session* s) {
         auto* m = s->add_auth_methods();
         m->set_method("password");
         m->set_at("yesterday");
       },
       "session.auth_methods[0].at: \"yesterday\" is not an RFC 3339 time"},
      {[](v1::Session* s) { s->set_ip("10.0.0.300"); },
       "session.ip: \"10.0.0.300\" is not an IPv4 or IPv6 address"},
      {[](v1::Session* s) { s->set_sign_in_risk("severe"); },
       "session.sign_in_risk: \"severe\" is not a risk level (none, low, medium, high)"},
      {[](v1::Session* s) { s->set_platform("beos"); }, "session.platform: \"beos\" is not a platform"},
      {[](v1::Session* s) { s->set_client_app_type("legacy"); },
       "session.client_app_type: \"legacy\" is not a client app type"},
      {[](v1::Session* s) { s->set_country("FRA"); },
       "session.country: \"FRA\" is not an ISO 3166 alpha-2 code"},
      {[](v1::Session* s) { s->mutable_device()->set_trust_type("Cloud"); },
       "session.device.trust_type: \"Cloud\" is not AzureAD, ServerAD or Workplace"},
      {[](v1::Session* s) { (*s->mutable_device()->mutable_attributes())["color"] = "red"; },
       "session.device.attributes: \"color\" is not a device attribute"},
  };
  for (const Case& c : cases) {
    v1::Session s;
    c.mutate(&s);
    SessionFacts f;
    std::string error;
    EXPECT_FALSE(AnalyzeSessionFacts(&s, EngineOptions(), &f, &error));
    EXPECT_EQ(error, c.error);
  }
}

TEST(SessionFactsTest, ListLimits) {
  v1::Session s;
  EngineOptions options;
  options.max_session_list = 2;
  for (int i = 0; i < 3; ++i) s.add_accepted_terms("t");
  SessionFacts f;
  std::string error;
  EXPECT_FALSE(AnalyzeSessionFacts(&s, options, &f, &error));
  EXPECT_NE(error.find("max_session_list"), std::string::npos);
}

}  // namespace
}  // namespace ca
}  // namespace consent
