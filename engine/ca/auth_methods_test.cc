#include "engine/ca/auth_methods.h"

#include <string>

#include "gtest/gtest.h"

namespace consent {
namespace ca {
namespace {

TEST(AuthMethodsTest, SessionNamesAndGraphImportNames) {
  EXPECT_EQ(ParseSessionMethod("fido2"), Method::kFido2);
  EXPECT_EQ(ParseSessionMethod("PASSWORD"), Method::kPassword);
  EXPECT_EQ(ParseSessionMethod("sms"), Method::kSms);  // second factor in a session
  EXPECT_EQ(ParseSessionMethod("x509CertificateMultiFactor"), Method::kX509Multifactor);
  EXPECT_EQ(ParseSessionMethod("x509CertificateSingleFactor"), Method::kX509SingleFactor);
  EXPECT_EQ(ParseSessionMethod("deviceBasedPush"), Method::kMicrosoftAuthenticatorPhoneSignIn);
  EXPECT_EQ(ParseSessionMethod("email"), Method::kEmailOtp);
  EXPECT_FALSE(ParseSessionMethod("carrierPigeon").has_value());
  EXPECT_FALSE(ParseSessionMethod("").has_value());
}

TEST(AuthMethodsTest, CombinationsSmsAloneIsSmsSignIn) {
  std::string error;
  EXPECT_EQ(ParseCombination("sms", &error), Bit(Method::kSmsSignIn));
  EXPECT_EQ(ParseCombination("password,sms", &error), Bit(Method::kPassword) | Bit(Method::kSms));
  EXPECT_EQ(ParseCombination("fido2", &error), Bit(Method::kFido2));
  EXPECT_FALSE(ParseCombination("password,", &error).has_value());
  EXPECT_FALSE(ParseCombination("password,bogus", &error).has_value());
  EXPECT_NE(error.find("bogus"), std::string::npos);
}

TEST(AuthMethodsTest, MfaSatisfied_2_5) {
  EXPECT_FALSE(MfaSatisfied(Bit(Method::kPassword)));
  EXPECT_FALSE(MfaSatisfied(Bit(Method::kSms)));  // second factor alone
  EXPECT_TRUE(MfaSatisfied(Bit(Method::kPassword) | Bit(Method::kSms)));
  EXPECT_TRUE(MfaSatisfied(Bit(Method::kFederatedSingleFactor) | Bit(Method::kHardwareOath)));
  EXPECT_FALSE(MfaSatisfied(Bit(Method::kEmailOtp) | Bit(Method::kSms)));  // not a pair of 2.5
  EXPECT_TRUE(MfaSatisfied(Bit(Method::kFederatedMultiFactor)));
  EXPECT_TRUE(MfaSatisfied(Bit(Method::kTemporaryAccessPassMultiUse)));
}

TEST(AuthMethodsTest, BuiltinStrengths_2_5) {
  EXPECT_EQ(ParseBuiltinStrength("00000000-0000-0000-0000-000000000002"), BuiltinStrength::kMfa);
  EXPECT_EQ(ParseBuiltinStrength("PASSWORDLESS"), BuiltinStrength::kPasswordless);
  EXPECT_EQ(ParseBuiltinStrength("00000000-0000-0000-0000-000000000004"),
            BuiltinStrength::kPhishingResistant);
  EXPECT_FALSE(ParseBuiltinStrength("custom").has_value());
  auto mfa = BuiltinCombinations(BuiltinStrength::kMfa);
  auto pwless = BuiltinCombinations(BuiltinStrength::kPasswordless);
  auto phish = BuiltinCombinations(BuiltinStrength::kPhishingResistant);
  const MethodSet pw_sms = Bit(Method::kPassword) | Bit(Method::kSms);
  EXPECT_TRUE(StrengthMet(mfa, pw_sms));
  EXPECT_FALSE(StrengthMet(pwless, pw_sms));
  EXPECT_TRUE(StrengthMet(pwless, Bit(Method::kMicrosoftAuthenticatorPhoneSignIn)));
  EXPECT_FALSE(StrengthMet(phish, Bit(Method::kMicrosoftAuthenticatorPhoneSignIn)));
  EXPECT_TRUE(StrengthMet(phish, Bit(Method::kX509Multifactor)));
  EXPECT_FALSE(StrengthMet(pwless, Bit(Method::kTemporaryAccessPassOneTime)));
  // Over every method set: MFA satisfied iff the built-in mfa strength is.
  int mismatches = 0;
  for (MethodSet m = 0; m <= kAllMethods; ++m) {
    if (MfaSatisfied(m) != StrengthMet(mfa, m)) ++mismatches;
  }
  EXPECT_EQ(mismatches, 0);
}

TEST(AuthMethodsTest, CustomStrengthNeedsEveryMethodOfOneCombination) {
  std::vector<MethodSet> combos = {Bit(Method::kPassword) | Bit(Method::kVoice),
                                   Bit(Method::kFido2)};
  EXPECT_FALSE(StrengthMet(combos, Bit(Method::kPassword)));
  EXPECT_TRUE(StrengthMet(combos, Bit(Method::kPassword) | Bit(Method::kVoice)));
  EXPECT_TRUE(StrengthMet(combos, Bit(Method::kFido2) | Bit(Method::kEmailOtp)));
}

TEST(AuthMethodsTest, PrimaryAuthTimeAndMfaTime_2_5) {
  MethodTimes t;
  EXPECT_FALSE(t.PrimaryAuthTime().has_value());
  EXPECT_FALSE(t.MfaTime().has_value());
  t.Add(Method::kSms, 50);  // a second factor is not a first factor
  EXPECT_FALSE(t.PrimaryAuthTime().has_value());
  EXPECT_FALSE(t.MfaTime().has_value());
  t.Add(Method::kPassword, 100);
  t.Add(Method::kPassword, 40);  // the latest `at` counts
  EXPECT_EQ(t.PrimaryAuthTime(), 100);
  EXPECT_EQ(t.MfaTime(), 100);  // completion = largest member at
  t.Add(Method::kSms, 120);
  EXPECT_EQ(t.MfaTime(), 120);
  t.Add(Method::kFido2, 90);
  EXPECT_EQ(t.PrimaryAuthTime(), 100);
  EXPECT_EQ(t.MfaTime(), 120);
  t.Add(Method::kFido2, 200);
  EXPECT_EQ(t.PrimaryAuthTime(), 200);
  EXPECT_EQ(t.MfaTime(), 200);
}

}  // namespace
}  // namespace ca
}  // namespace consent
