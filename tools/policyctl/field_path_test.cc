#include "tools/policyctl/field_path.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/bundle.pb.h"
#include "proto/request.pb.h"

namespace consent::policyctl {
namespace {

using ::testing::HasSubstr;

TEST(FieldPathTest, ClearsNestedScalarAndRepeated) {
  v1::TokenRequest r;
  r.set_scope("User.Read");
  r.mutable_session()->mutable_device()->set_registered(true);
  r.mutable_user()->add_groups("g1");
  ASSERT_TRUE(ClearFieldPath(&r, "scope").ok());
  ASSERT_TRUE(ClearFieldPath(&r, "session.device").ok());
  ASSERT_TRUE(ClearFieldPath(&r, "user.groups").ok());
  EXPECT_EQ(r.scope(), "");
  EXPECT_TRUE(r.has_session());
  EXPECT_FALSE(r.session().has_device());
  EXPECT_EQ(r.user().groups_size(), 0);
}

TEST(FieldPathTest, MissingIntermediateIsAlreadyClear) {
  v1::TokenRequest r;
  ASSERT_TRUE(ClearFieldPath(&r, "assertion.session").ok());
  EXPECT_FALSE(r.has_assertion());  // not created by clearing
}

TEST(FieldPathTest, BundleSettingsPath) {
  v1::PolicyBundle b;
  b.mutable_consent_settings()->add_user_consent_policies("x");
  ASSERT_TRUE(ClearFieldPath(&b, "consent_settings.user_consent_policies").ok());
  EXPECT_EQ(b.consent_settings().user_consent_policies_size(), 0);
}

struct BadPath {
  const char* path;
  const char* message;
};

class FieldPathErrorTest : public testing::TestWithParam<BadPath> {};

TEST_P(FieldPathErrorTest, NamesTheProblem) {
  v1::TokenRequest r;
  absl::Status s = ClearFieldPath(&r, GetParam().path);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr(GetParam().message));
  EXPECT_EQ(CheckFieldPath(*v1::TokenRequest::descriptor(), GetParam().path)
                .code(),
            absl::StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(
    Paths, FieldPathErrorTest,
    testing::Values(BadPath{"", "empty field path"},
                    BadPath{"scopes", "has no field \"scopes\""},
                    BadPath{"session.nope", "consent.v1.Session has no field"},
                    BadPath{"scope.x", "\"scope\" is not a singular message"},
                    BadPath{"user.grants.scope",
                            "\"grants\" is not a singular message"}));

}  // namespace
}  // namespace consent::policyctl
