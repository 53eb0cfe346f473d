// The schemas parse as the documentation and policies/ write them.
#include <string>

#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "proto/bundle.pb.h"
#include "proto/decision.pb.h"
#include "proto/request.pb.h"

namespace consent {
namespace {

using ::google::protobuf::TextFormat;

TEST(ProtoTest, BundleTextprotoParses) {
  v1::PolicyBundle bundle;
  ASSERT_TRUE(TextFormat::ParseFromString(R"pb(
    tenant_id: "t-contoso"
    app_registrations { app_id: "app-expense" client_type: "confidential" }
    service_principals { app_id: "app-expense" enabled: false }
    resources {
      app_id: "api-payroll"
      scopes { id: "Payroll.Read" value: "Payroll.Read" classification: "low" }
    }
  )pb", &bundle));
  EXPECT_EQ(bundle.tenant_id(), "t-contoso");
  ASSERT_EQ(bundle.service_principals_size(), 1);
  // `enabled` has presence: an explicit false differs from "omitted".
  EXPECT_TRUE(bundle.service_principals(0).has_enabled());
  EXPECT_FALSE(bundle.service_principals(0).enabled());
  EXPECT_FALSE(bundle.resources(0).scopes(0).has_enabled());
}

TEST(ProtoTest, BundleJsonMappingParses) {
  v1::PolicyBundle bundle;
  auto status = google::protobuf::util::JsonStringToMessage(
      R"({"tenantId":"t1","resources":[{"appId":"r","scopes":[{"id":"s","value":"S","adminOnly":true}]}]})",
      &bundle);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_TRUE(bundle.resources(0).scopes(0).admin_only());
}

TEST(ProtoTest, UnknownFieldIsATextprotoError) {
  v1::TokenRequest request;
  EXPECT_FALSE(TextFormat::ParseFromString(R"pb(scopes: "x")pb", &request));
}

TEST(ProtoTest, DecisionRoundTrips) {
  v1::Decision decision;
  decision.set_outcome(v1::STEP_UP_REQUIRED);
  decision.mutable_step_up()->add_required("mfa");
  std::string wire;
  ASSERT_TRUE(decision.SerializeToString(&wire));
  v1::Decision back;
  ASSERT_TRUE(back.ParseFromString(wire));
  EXPECT_EQ(back.step_up().required(0), "mfa");
}

}  // namespace
}  // namespace consent
