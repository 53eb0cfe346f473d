#include "engine/ca/challenges.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/internal/time.h"
#include "gtest/gtest.h"

namespace consent {
namespace ca {
namespace {

TEST(ChallengesTest, S1_MinimalJsonEscaping) {
  std::string out;
  AppendJsonString(std::string("a\"b\\c\b\f\n\r\t\x01\x1f/\x7f\xc3\xa9", 16), &out);
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\b\\f\\n\\r\\t\\u0001\\u001f/\x7f\xc3\xa9\"");
  out.clear();
  AppendJsonString(absl::string_view("\0", 1), &out);
  EXPECT_EQ(out, "\"\\u0000\"");
}

TEST(ChallengesTest, S1_ClaimsMembersInOrder) {
  std::string out;
  std::vector<absl::string_view> ids = {"ca-ct-mfa-payroll"};
  BuildClaimsChallenge(ids, {}, &out);
  EXPECT_EQ(out, R"({"access_token":{"capolids":{"essential":true,"values":["ca-ct-mfa-payroll"]}}})");
  std::vector<absl::string_view> one = {"c2"};
  BuildClaimsChallenge({}, one, &out);
  EXPECT_EQ(out, R"({"access_token":{"acrs":{"essential":true,"value":"c2"}}})");
  std::vector<absl::string_view> p1 = {"p1"}, c1 = {"c1"};
  BuildClaimsChallenge(p1, c1, &out);
  EXPECT_EQ(out,
            R"({"access_token":{"capolids":{"essential":true,"values":["p1"]},"acrs":{"essential":true,"value":"c1"}}})");
  std::vector<absl::string_view> two = {"c1", "c3"};
  BuildClaimsChallenge({}, two, &out);
  EXPECT_EQ(out, R"({"access_token":{"acrs":{"essential":true,"values":["c1","c3"]}}})");
  BuildClaimsChallenge({}, {}, &out);
  EXPECT_EQ(out, "");
}

TEST(ChallengesTest, S2_WorkedExample8ByteForByte) {
  std::string claims, header;
  std::vector<absl::string_view> ids = {"ca-ct-mfa-payroll"};
  BuildClaimsChallenge(ids, {}, &claims);
  BuildMiddleTierChallenge(claims, &header);
  EXPECT_EQ(header,
            "Bearer realm=\"\", "
            "authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", "
            "error=\"insufficient_claims\", "
            "claims=\"eyJhY2Nlc3NfdG9rZW4iOnsiY2Fwb2xpZHMiOnsiZXNzZW50aWFsIjp0cnVlLCJ2YWx1ZXMiOlsiY2EtY3QtbWZhLXBheXJvbGwiXX19fQ==\"");
}

TEST(ChallengesTest, Base64Padding) {
  std::string out;
  for (auto [in, want] : std::vector<std::pair<std::string, std::string>>{
           {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="},
           {"\xff\xfe", "//4="}}) {
    out.clear();
    AppendBase64(in, &out);
    EXPECT_EQ(out, want) << in;
  }
}

TEST(ChallengesTest, S3_Header) {
  std::string out;
  std::vector<absl::string_view> acr = {"c2", "c9"};
  BuildRfc9470Challenge("bad \"text\"\\\n", acr, 28800, &out);
  EXPECT_EQ(out,
            "Bearer error=\"insufficient_user_authentication\", "
            "error_description=\"bad  text   \", acr_values=\"c2 c9\", max_age=\"28800\"");
  BuildRfc9470Challenge(kStepUpDescription, {}, 3600, &out);
  EXPECT_EQ(out, std::string("Bearer error=\"insufficient_user_authentication\", "
                             "error_description=\"") +
                     std::string(kStepUpDescription) + "\", max_age=\"3600\"");
}

int64_t T(absl::string_view text) { return *internal::ParseRfc3339(text); }

v1::ResourceAccessCheck Check(std::vector<std::string> acrs, std::vector<std::string> required,
                              std::vector<std::string> xms_cc = {}) {
  v1::ResourceAccessCheck c;
  for (auto& a : acrs) c.add_acrs(a);
  for (auto& a : required) c.add_required_acr_values(a);
  for (auto& a : xms_cc) c.add_xms_cc(a);
  return c;
}

std::string S3(absl::string_view params) {
  return absl::StrCat("Bearer error=\"insufficient_user_authentication\", error_description=\"",
                      kStepUpDescription, "\"", params);
}

TEST(ChallengesTest, S4_Allow) {
  const int64_t now = T("2025-03-03T10:00:00Z");
  v1::ResourceAccessResult r =
      CheckResourceAccessImpl(Check({"c1", "c2"}, {"C2", "c3"}), now, ChallengeFormat::kEntra);
  EXPECT_TRUE(r.allow());
  EXPECT_EQ(r.http_status(), 0);
  EXPECT_TRUE(CheckResourceAccessImpl(Check({}, {}), now, ChallengeFormat::kRfc9470).allow());
}

TEST(ChallengesTest, S4_FreshnessFailureIsS3AloneWhateverTheFormat) {
  // Worked example 11: auth_time now - 2 h, max_age 3600, format both.
  const int64_t now = T("2025-03-03T10:00:00Z");
  v1::ResourceAccessCheck c = Check({}, {}, {"cp1"});
  c.set_auth_time("2025-03-03T08:00:00Z");
  c.set_max_age(3600);
  for (ChallengeFormat f : {ChallengeFormat::kBoth, ChallengeFormat::kEntra}) {
    v1::ResourceAccessResult r = CheckResourceAccessImpl(c, now, f);
    EXPECT_FALSE(r.allow());
    EXPECT_EQ(r.http_status(), 401);
    ASSERT_EQ(r.www_authenticate_size(), 1);
    EXPECT_EQ(r.www_authenticate(0), S3(", max_age=\"3600\""));
  }
  c.set_max_age(7200);
  EXPECT_TRUE(CheckResourceAccessImpl(c, now, ChallengeFormat::kBoth).allow());  // boundary
  c.clear_auth_time();
  EXPECT_FALSE(CheckResourceAccessImpl(c, now, ChallengeFormat::kBoth).allow());
  // Both parameters fail: both listed.
  v1::ResourceAccessCheck both = Check({"c1"}, {"c2"});
  both.set_max_age(60);
  v1::ResourceAccessResult r = CheckResourceAccessImpl(both, now, ChallengeFormat::kEntra);
  ASSERT_EQ(r.www_authenticate_size(), 1);
  EXPECT_EQ(r.www_authenticate(0), S3(", acr_values=\"c2\", max_age=\"60\""));
}

TEST(ChallengesTest, S4_AcrFailurePerFormat) {
  const int64_t now = T("2025-03-03T10:00:00Z");
  const std::string s2 =
      "Bearer realm=\"\", "
      "authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", "
      "error=\"insufficient_claims\", claims=\"" +
      std::string("eyJhY2Nlc3NfdG9rZW4iOnsiYWNycyI6eyJlc3NlbnRpYWwiOnRydWUsInZhbHVlIjoiYzIifX19") +
      "\"";  // {"access_token":{"acrs":{"essential":true,"value":"c2"}}}
  v1::ResourceAccessResult r =
      CheckResourceAccessImpl(Check({"c1"}, {"c2", "c3"}), now, ChallengeFormat::kRfc9470);
  EXPECT_EQ(r.http_status(), 401);
  ASSERT_EQ(r.www_authenticate_size(), 1);
  EXPECT_EQ(r.www_authenticate(0), S3(", acr_values=\"c2 c3\""));

  r = CheckResourceAccessImpl(Check({"c1"}, {"c2", "c3"}), now, ChallengeFormat::kEntra);
  EXPECT_EQ(r.http_status(), 403);  // no cp1: no header
  EXPECT_EQ(r.www_authenticate_size(), 0);

  r = CheckResourceAccessImpl(Check({"c1"}, {"c2", "c3"}, {"cp1"}), now, ChallengeFormat::kEntra);
  EXPECT_EQ(r.http_status(), 401);
  ASSERT_EQ(r.www_authenticate_size(), 1);
  EXPECT_EQ(r.www_authenticate(0), s2);

  r = CheckResourceAccessImpl(Check({}, {"c2", "c3"}, {"cp1"}), now, ChallengeFormat::kBoth);
  EXPECT_EQ(r.http_status(), 401);
  ASSERT_EQ(r.www_authenticate_size(), 2);
  EXPECT_EQ(r.www_authenticate(0), S3(", acr_values=\"c2 c3\""));
  EXPECT_EQ(r.www_authenticate(1), s2);

  r = CheckResourceAccessImpl(Check({}, {"c2"}), now, ChallengeFormat::kBoth);
  EXPECT_EQ(r.http_status(), 401);
  ASSERT_EQ(r.www_authenticate_size(), 1);  // S2 only with cp1
}

TEST(ChallengesTest, ChallengeFormatVocabulary) {
  EXPECT_EQ(ParseChallengeFormatImpl(""), ChallengeFormat::kEntra);
  EXPECT_EQ(ParseChallengeFormatImpl("Entra"), ChallengeFormat::kEntra);
  EXPECT_EQ(ParseChallengeFormatImpl("RFC9470"), ChallengeFormat::kRfc9470);
  EXPECT_EQ(ParseChallengeFormatImpl("both"), ChallengeFormat::kBoth);
  EXPECT_FALSE(ParseChallengeFormatImpl("bearer").has_value());
}

}  // namespace
}  // namespace ca
}  // namespace consent
