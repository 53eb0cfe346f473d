#include "server/health_service.h"

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/health.grpc.pb.h"

namespace consent {
namespace server {
namespace {

using ::grpc::health::v1::Health;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;

class HealthServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::EnableDefaultHealthCheckService(false);
    health_ = std::make_unique<HealthService>(std::vector<std::string>{"", "svc.A"});
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(health_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = Health::NewStub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_),
                                                grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    health_->Shutdown();
    server_->Shutdown();
  }

  grpc::Status Check(const std::string& service, HealthCheckResponse::ServingStatus* status) {
    HealthCheckRequest request;
    request.set_service(service);
    HealthCheckResponse response;
    grpc::ClientContext context;
    grpc::Status s = stub_->Check(&context, request, &response);
    *status = response.status();
    return s;
  }

  std::unique_ptr<HealthService> health_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Health::Stub> stub_;
  int port_ = 0;
};

TEST_F(HealthServiceTest, StartsNotServingAndFollowsSetServing) {
  struct Step {
    bool set;  // apply SetServing(serving) first
    bool serving;
    HealthCheckResponse::ServingStatus expected;
  };
  const std::vector<Step> steps = {
      {false, false, HealthCheckResponse::NOT_SERVING},
      {true, true, HealthCheckResponse::SERVING},
      {true, true, HealthCheckResponse::SERVING},
      {true, false, HealthCheckResponse::NOT_SERVING},
  };
  for (const Step& step : steps) {
    if (step.set) health_->SetServing(step.serving);
    for (const std::string service : {"", "svc.A"}) {
      HealthCheckResponse::ServingStatus status;
      ASSERT_TRUE(Check(service, &status).ok());
      EXPECT_EQ(status, step.expected) << service;
    }
  }
}

TEST_F(HealthServiceTest, UnknownServiceIsNotFound) {
  HealthCheckResponse::ServingStatus status;
  EXPECT_EQ(Check("svc.B", &status).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(HealthServiceTest, WatchSeesChangesAndEndsAtShutdown) {
  grpc::ClientContext context;
  HealthCheckRequest request;
  request.set_service("svc.A");
  auto watch = stub_->Watch(&context, request);
  HealthCheckResponse update;
  ASSERT_TRUE(watch->Read(&update));
  EXPECT_EQ(update.status(), HealthCheckResponse::NOT_SERVING);
  health_->SetServing(true);
  ASSERT_TRUE(watch->Read(&update));
  EXPECT_EQ(update.status(), HealthCheckResponse::SERVING);
  health_->Shutdown();
  ASSERT_TRUE(watch->Read(&update));
  EXPECT_EQ(update.status(), HealthCheckResponse::NOT_SERVING);
  EXPECT_FALSE(watch->Read(&update));
  EXPECT_TRUE(watch->Finish().ok());

  // After shutdown: NOT_SERVING, changes ignored, new watches end at once.
  health_->SetServing(true);
  HealthCheckResponse::ServingStatus status;
  ASSERT_TRUE(Check("", &status).ok());
  EXPECT_EQ(status, HealthCheckResponse::NOT_SERVING);
  grpc::ClientContext late_context;
  auto late = stub_->Watch(&late_context, request);
  ASSERT_TRUE(late->Read(&update));
  EXPECT_EQ(update.status(), HealthCheckResponse::NOT_SERVING);
  EXPECT_FALSE(late->Read(&update));
  EXPECT_TRUE(late->Finish().ok());
}

TEST_F(HealthServiceTest, WatchOfUnknownServiceSaysSo) {
  grpc::ClientContext context;
  HealthCheckRequest request;
  request.set_service("svc.B");
  auto watch = stub_->Watch(&context, request);
  HealthCheckResponse update;
  ASSERT_TRUE(watch->Read(&update));
  EXPECT_EQ(update.status(), HealthCheckResponse::SERVICE_UNKNOWN);
  context.TryCancel();
  while (watch->Read(&update)) {
  }
  EXPECT_EQ(watch->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

}  // namespace
}  // namespace server
}  // namespace consent
