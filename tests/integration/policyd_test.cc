// policyd end to end, in process, on an ephemeral loopback port: every RPC,
// batches, limits, deadlines, unknown tenants, health, hot reload while calls
// run, shutdown while busy, and the decision log. Loops are bounded; waits
// poll for an event with a generous cap and measure nothing.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "engine/policy_engine.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "proto/service.grpc.pb.h"
#include "server/policy_server.h"
#include "server/sha256.h"
#include "tests/integration/policyd_testing.h"
#include "server/health.grpc.pb.h"

namespace consent {
namespace testing {
namespace {

namespace fs = std::filesystem;
using ::google::protobuf::util::MessageDifferencer;
using ::grpc::health::v1::Health;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;
using ::testing::HasSubstr;

MATCHER_P(EqualsProto, expected, "") {
  std::string diff;
  MessageDifferencer d;
  d.ReportDifferencesToString(&diff);
  if (d.Compare(expected, arg)) return true;
  *result_listener << diff;
  return false;
}

constexpr char kTenant[] = "t-it";
// v1 grants User.Read only: Calendars.Read needs a (user) consent prompt.
// v2 grants both: the same request is issued.
constexpr char kScope[] = "User.Read Calendars.Read";

class PolicydTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = FreshDir();
    bundle_path_ = dir_ + "/it/t-it.bundle.textproto";
    WriteFile(bundle_path_, TenantBundle(kTenant, "v1"));
  }

  void Start(server::PolicyServerOptions options) {
    server_ = StartServer(options);
    ASSERT_NE(server_, nullptr);
    stub_ = Connect(server_->port());
  }
  void Start() { Start(TestOptions(dir_)); }

  v1::EvaluateResponse Evaluate(const v1::TokenRequest& request, grpc::Status* status) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::EvaluateRequest rpc;
    *rpc.mutable_request() = request;
    v1::EvaluateResponse response;
    *status = stub_->Evaluate(&context, rpc, &response);
    return response;
  }

  std::string dir_;
  std::string bundle_path_;
  std::unique_ptr<server::PolicyServer> server_;
  std::unique_ptr<v1::PolicyService::Stub> stub_;
};

TEST_F(PolicydTest, EvaluateAnswersAsTheEngine) {
  Start();
  for (const std::string scope : {"User.Read", kScope, "Nope.Read", ""}) {
    SCOPED_TRACE(scope);
    grpc::Status status;
    v1::EvaluateResponse response = Evaluate(Request(kTenant, scope), &status);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_THAT(response.decision(),
                EqualsProto(EngineDecision(TenantBundle(kTenant, "v1"), Request(kTenant, scope))));
    EXPECT_EQ(response.bundle_version(), "v1");
    EXPECT_EQ(response.bundle_hash(), server::Sha256Hex(ReadFile(bundle_path_)));
  }
  // SPEC T1: the granted scope is issued.
  grpc::Status status;
  v1::EvaluateResponse issued = Evaluate(Request(kTenant, "User.Read"), &status);
  EXPECT_EQ(issued.decision().outcome(), v1::ISSUE);
  EXPECT_THAT(issued.decision().token().scp(), ::testing::ElementsAre("User.Read"));
}

// SPEC E1: an unknown tenant is an INVALID decision, not an RPC error.
TEST_F(PolicydTest, UnknownTenantIsE1Decision) {
  Start();
  for (const std::string tenant : {"t-unknown", ""}) {
    grpc::Status status;
    v1::EvaluateResponse response = Evaluate(Request(tenant, "User.Read"), &status);
    ASSERT_TRUE(status.ok()) << status.error_message();
    const v1::Decision& d = response.decision();
    EXPECT_EQ(d.outcome(), v1::INVALID);
    EXPECT_EQ(d.error(), "invalid_request");
    EXPECT_EQ(d.error_code(), 90002);
    EXPECT_FALSE(d.has_token());
    EXPECT_THAT(d.explanation().rules(), ::testing::ElementsAre("E1"));
    if (!tenant.empty()) {
      EXPECT_THAT(d.error_description(), HasSubstr("'t-unknown'"));
    }
    EXPECT_EQ(response.bundle_version(), "");
  }
  // Tenant ids route case-insensitively (SPEC §0).
  grpc::Status status;
  EXPECT_EQ(Evaluate(Request("T-IT", "User.Read"), &status).bundle_version(), "v1");
}

// The description echoes the tenant only in RFC 6749 A.8's character set.
TEST_F(PolicydTest, UnknownTenantDescriptionIsSafe) {
  Start();
  grpc::Status status;
  v1::EvaluateResponse response = Evaluate(Request("t-\"x\\\n\u00e9", "User.Read"), &status);
  ASSERT_TRUE(status.ok());
  for (char c : response.decision().error_description()) {
    const unsigned char u = static_cast<unsigned char>(c);
    EXPECT_TRUE(u >= 0x20 && u <= 0x7e && c != '"' && c != '\\') << static_cast<int>(u);
  }
}

TEST_F(PolicydTest, BatchKeepsOrderWithPerItemResults) {
  Start();
  const std::vector<v1::TokenRequest> requests = {
      Request(kTenant, "User.Read"), Request("t-unknown", "User.Read"),
      Request(kTenant, kScope), Request(kTenant, "Nope.Read")};
  v1::BatchEvaluateRequest batch;
  for (const auto& r : requests) *batch.add_requests() = r;
  v1::BatchEvaluateResponse response;
  grpc::ClientContext context;
  grpc::Status status = stub_->BatchEvaluate(&context, batch, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.results_size(), 4);
  for (int i : {0, 2, 3}) {
    SCOPED_TRACE(i);
    EXPECT_EQ(response.results(i).code(), 0);
    EXPECT_THAT(response.results(i).decision(),
                EqualsProto(EngineDecision(TenantBundle(kTenant, "v1"), requests[i])));
  }
  EXPECT_EQ(response.results(1).code(), 0);
  EXPECT_EQ(response.results(1).decision().error_code(), 90002);
  EXPECT_EQ(response.results(0).bundle_version(), "v1");
  EXPECT_EQ(response.results(0).bundle_hash(), server::Sha256Hex(ReadFile(bundle_path_)));
  EXPECT_EQ(response.results(1).bundle_version(), "");
  EXPECT_NE(response.results(0).decision().outcome(), response.results(2).decision().outcome());

  v1::BatchEvaluateResponse empty;
  grpc::ClientContext context2;
  ASSERT_TRUE(stub_->BatchEvaluate(&context2, v1::BatchEvaluateRequest(), &empty).ok());
  EXPECT_EQ(empty.results_size(), 0);
}

// Evaluate and BatchEvaluate decode into messages reused from call to call
// (server/request_decoder.h): requests of alternating shapes (with and
// without a user, a session, a device) still decide as the typed path does,
// nothing of one request leaking into the next.
TEST_F(PolicydTest, HotRpcsDecodeEachRequestAfresh) {
  Start();
  v1::TokenRequest with_all = Request(kTenant, "User.Read");
  with_all.mutable_session()->mutable_device()->set_is_compliant(true);
  v1::TokenRequest without_user = with_all;
  without_user.clear_user();
  v1::TokenRequest without_session = with_all;
  without_session.clear_session();
  for (int i = 0; i < 12; ++i) {
    const v1::TokenRequest& r = i % 3 == 0 ? with_all : i % 3 == 1 ? without_user : without_session;
    v1::Decision typed;
    std::shared_ptr<const PolicySnapshot> snapshot;
    server_->service().Decide(r, &typed, &snapshot);
    grpc::Status status;
    const v1::EvaluateResponse single = Evaluate(r, &status);
    ASSERT_TRUE(status.ok()) << i;
    EXPECT_TRUE(MessageDifferencer::Equals(single.decision(), typed)) << i;
    v1::BatchEvaluateRequest batch;
    *batch.add_requests() = r;
    *batch.add_requests() = i % 2 == 0 ? without_user : with_all;
    v1::BatchEvaluateResponse response;
    grpc::ClientContext context;
    ASSERT_TRUE(stub_->BatchEvaluate(&context, batch, &response).ok());
    ASSERT_EQ(response.results_size(), 2);
    EXPECT_TRUE(MessageDifferencer::Equals(response.results(0).decision(), typed)) << i;
  }
}

// Evaluate and BatchEvaluate parse their requests themselves (raw methods):
// bytes that are no such message are INVALID_ARGUMENT, and the server goes
// on serving.
TEST_F(PolicydTest, MalformedRequestIsInvalidArgument) {
  Start();
  grpc::GenericStub generic(grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                                grpc::InsecureChannelCredentials()));
  for (const std::string method : {"Evaluate", "BatchEvaluate"}) {
    SCOPED_TRACE(method);
    // Field 1 (the request / requests) as a length-delimited field whose
    // length runs past the end.
    const std::string garbage("\x0a\x7f\x01\x02", 4);
    grpc::Slice slice(garbage.data(), garbage.size());
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    absl::Notification done;
    grpc::Status status;
    generic.UnaryCall(&context, "/consent.v1.PolicyService/" + method, grpc::StubOptions(),
                      &request, &response, [&](grpc::Status s) {
                        status = std::move(s);
                        done.Notify();
                      });
    done.WaitForNotification();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(),
                HasSubstr("not a valid consent.v1." + method + "Request"));
  }
  grpc::Status status;
  EXPECT_EQ(Evaluate(Request(kTenant, "User.Read"), &status).decision().outcome(), v1::ISSUE);
  EXPECT_TRUE(status.ok());
}

// EvaluateRequest.omit_explanation: a decision-only answer is the full
// decision without `explanation`; the default keeps the explanation.
TEST_F(PolicydTest, EvaluateOmitsTheExplanationOnlyWhenAsked) {
  Start();
  for (const std::string scope : {"User.Read", kScope, "Nope.Read"}) {
    SCOPED_TRACE(scope);
    const v1::Decision full = EngineDecision(TenantBundle(kTenant, "v1"), Request(kTenant, scope));
    ASSERT_GT(full.explanation().rules_size(), 0);
    v1::Decision decision_only = full;
    decision_only.clear_explanation();
    for (const bool omit : {false, true}) {
      SCOPED_TRACE(omit);
      grpc::ClientContext context;
      v1::EvaluateRequest rpc;
      *rpc.mutable_request() = Request(kTenant, scope);
      rpc.set_omit_explanation(omit);
      v1::EvaluateResponse response;
      ASSERT_TRUE(stub_->Evaluate(&context, rpc, &response).ok());
      EXPECT_THAT(response.decision(), EqualsProto(omit ? decision_only : full));
      EXPECT_EQ(response.decision().has_explanation(), !omit);
      EXPECT_EQ(response.bundle_version(), "v1");
      EXPECT_EQ(response.bundle_hash(), server::Sha256Hex(ReadFile(bundle_path_)));
    }
  }
  // Unknown tenant (E1): the same INVALID decision, without its rule list.
  grpc::ClientContext context;
  v1::EvaluateRequest rpc;
  *rpc.mutable_request() = Request("t-unknown", "User.Read");
  rpc.set_omit_explanation(true);
  v1::EvaluateResponse response;
  ASSERT_TRUE(stub_->Evaluate(&context, rpc, &response).ok());
  EXPECT_EQ(response.decision().outcome(), v1::INVALID);
  EXPECT_EQ(response.decision().error_code(), 90002);
  EXPECT_FALSE(response.decision().has_explanation());
}

TEST_F(PolicydTest, BatchOmitsTheExplanationOnlyWhenAsked) {
  Start();
  const std::vector<v1::TokenRequest> requests = {
      Request(kTenant, "User.Read"), Request("t-unknown", "User.Read"),
      Request(kTenant, kScope), Request("T-IT", "Nope.Read"), Request(kTenant, "Nope.Read")};
  for (const bool omit : {false, true}) {
    SCOPED_TRACE(omit);
    v1::BatchEvaluateRequest batch;
    for (const auto& r : requests) *batch.add_requests() = r;
    batch.set_omit_explanation(omit);
    v1::BatchEvaluateResponse response;
    grpc::ClientContext context;
    ASSERT_TRUE(stub_->BatchEvaluate(&context, batch, &response).ok());
    ASSERT_EQ(response.results_size(), 5);
    for (int i : {0, 2, 3, 4}) {
      SCOPED_TRACE(i);
      v1::Decision expected = EngineDecision(TenantBundle(kTenant, "v1"), requests[i]);
      if (omit) expected.clear_explanation();
      EXPECT_EQ(response.results(i).code(), 0);
      EXPECT_THAT(response.results(i).decision(), EqualsProto(expected));
      EXPECT_EQ(response.results(i).decision().has_explanation(), !omit);
      EXPECT_EQ(response.results(i).bundle_version(), "v1");
    }
    EXPECT_EQ(response.results(1).decision().error_code(), 90002);
    EXPECT_EQ(response.results(1).decision().has_explanation(), !omit);
    EXPECT_EQ(response.results(1).bundle_version(), "");
  }
}

// Items still pending when the deadline passes get DEADLINE_EXCEEDED each;
// those already decided keep their decisions. The server's clock is a fake
// that jumps past the deadline after three reads (the call's check and items
// 0 and 1).
TEST_F(PolicydTest, BatchItemsAfterTheDeadlineReportIt) {
  auto reads = std::make_shared<std::atomic<int>>(0);
  server::PolicyServerOptions options = TestOptions(dir_);
  options.rpc_clock = [reads] {
    return ++*reads <= 3 ? std::chrono::system_clock::now()
                         : std::chrono::system_clock::now() + std::chrono::hours(1);
  };
  Start(options);
  v1::BatchEvaluateRequest batch;
  for (int i = 0; i < 4; ++i) *batch.add_requests() = Request(kTenant, "User.Read");
  v1::BatchEvaluateResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(5));
  ASSERT_TRUE(stub_->BatchEvaluate(&context, batch, &response).ok());
  ASSERT_EQ(response.results_size(), 4);
  EXPECT_EQ(response.results(0).code(), 0);
  EXPECT_EQ(response.results(0).decision().outcome(), v1::ISSUE);
  EXPECT_EQ(response.results(1).code(), 0);
  for (int i : {2, 3}) {
    EXPECT_EQ(response.results(i).code(), grpc::StatusCode::DEADLINE_EXCEEDED);
    EXPECT_THAT(response.results(i).message(), HasSubstr(absl::StrCat("requests[", i, "]")));
    EXPECT_FALSE(response.results(i).has_decision());
  }
}

TEST_F(PolicydTest, BatchLargerThanTheLimitIsRefused) {
  server::PolicyServerOptions options = TestOptions(dir_);
  options.max_batch_size = 3;
  Start(options);
  v1::BatchEvaluateRequest batch;
  for (int i = 0; i < 3; ++i) *batch.add_requests() = Request(kTenant, "User.Read");
  {
    v1::BatchEvaluateResponse response;
    grpc::ClientContext context;
    ASSERT_TRUE(stub_->BatchEvaluate(&context, batch, &response).ok());
    EXPECT_EQ(response.results_size(), 3);
  }
  *batch.add_requests() = Request(kTenant, "User.Read");
  v1::BatchEvaluateResponse response;
  grpc::ClientContext context;
  grpc::Status status = stub_->BatchEvaluate(&context, batch, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("4 requests exceeds --max_batch_size=3"));
}

TEST_F(PolicydTest, OversizedMessageIsRefused) {
  server::PolicyServerOptions options = TestOptions(dir_);
  options.max_message_bytes = 4096;
  Start(options);
  grpc::Status status;
  Evaluate(Request(kTenant, "User.Read"), &status);
  EXPECT_TRUE(status.ok());
  Evaluate(Request(kTenant, std::string(8000, 'a')), &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("4096"));
}

// Engine limits are flags; exceeding one is an INVALID decision naming it.
TEST_F(PolicydTest, EngineLimitsAreConfigurable) {
  server::PolicyServerOptions options = TestOptions(dir_);
  options.engine_options.max_scopes_per_request = 2;
  Start(options);
  grpc::Status status;
  v1::EvaluateResponse ok = Evaluate(Request(kTenant, "User.Read openid"), &status);
  EXPECT_NE(ok.decision().outcome(), v1::INVALID);
  v1::EvaluateResponse over = Evaluate(Request(kTenant, "User.Read openid Calendars.Read"), &status);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(over.decision().outcome(), v1::INVALID);
  EXPECT_THAT(over.decision().error_description(), HasSubstr("max_scopes_per_request"));
}

// A call whose deadline has already passed is not evaluated. The server's
// clock runs an hour ahead; calls without a deadline are unaffected.
TEST_F(PolicydTest, ExpiredDeadlineIsDeadlineExceeded) {
  server::PolicyServerOptions options = TestOptions(dir_);
  options.rpc_clock = [] { return std::chrono::system_clock::now() + std::chrono::hours(1); };
  Start(options);
  const auto deadline = [] { return std::chrono::system_clock::now() + std::chrono::seconds(60); };
  {
    grpc::ClientContext context;
    context.set_deadline(deadline());
    v1::EvaluateRequest rpc;
    *rpc.mutable_request() = Request(kTenant, "User.Read");
    v1::EvaluateResponse response;
    grpc::Status status = stub_->Evaluate(&context, rpc, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
    EXPECT_FALSE(response.has_decision());
  }
  {
    grpc::ClientContext context;
    context.set_deadline(deadline());
    v1::BatchEvaluateResponse response;
    EXPECT_EQ(stub_->BatchEvaluate(&context, v1::BatchEvaluateRequest(), &response).error_code(),
              grpc::StatusCode::DEADLINE_EXCEEDED);
  }
  {
    grpc::ClientContext context;
    context.set_deadline(deadline());
    v1::CheckResourceAccessResponse response;
    EXPECT_EQ(stub_->CheckResourceAccess(&context, v1::CheckResourceAccessRequest(), &response)
                  .error_code(),
              grpc::StatusCode::DEADLINE_EXCEEDED);
  }
  {
    grpc::ClientContext context;
    context.set_deadline(deadline());
    v1::RecordConsentResponse response;
    EXPECT_EQ(
        stub_->RecordConsent(&context, v1::RecordConsentRpcRequest(), &response).error_code(),
        grpc::StatusCode::DEADLINE_EXCEEDED);
  }
  grpc::ClientContext no_deadline;
  v1::EvaluateRequest rpc;
  *rpc.mutable_request() = Request(kTenant, "User.Read");
  v1::EvaluateResponse response;
  EXPECT_TRUE(stub_->Evaluate(&no_deadline, rpc, &response).ok());
  EXPECT_EQ(response.decision().outcome(), v1::ISSUE);
}

TEST_F(PolicydTest, CheckResourceAccessAnswersAsTheEngine) {
  Start();
  auto policy = CompilePolicyFile(bundle_path_);
  ASSERT_TRUE(policy.ok()) << policy.status();
  v1::ResourceAccessCheck met;
  met.set_tenant(kTenant);
  met.set_now(kNow);
  met.add_acrs("c1");
  met.add_required_acr_values("c1");
  met.set_challenge_format("rfc9470");
  v1::ResourceAccessCheck unmet = met;
  unmet.clear_acrs();
  for (const v1::ResourceAccessCheck& check : {met, unmet}) {
    v1::CheckResourceAccessRequest rpc;
    *rpc.mutable_check() = check;
    v1::CheckResourceAccessResponse response;
    grpc::ClientContext context;
    grpc::Status status = stub_->CheckResourceAccess(&context, rpc, &response);
    auto expected = (*policy)->CheckResourceAccess(check);
    ASSERT_TRUE(expected.ok()) << expected.status();
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_THAT(response.result(), EqualsProto(*expected));
  }
  // SPEC S4: the met requirement allows; the unmet one is a 401 challenge.
  v1::CheckResourceAccessRequest rpc;
  *rpc.mutable_check() = unmet;
  v1::CheckResourceAccessResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->CheckResourceAccess(&context, rpc, &response).ok());
  EXPECT_FALSE(response.result().allow());
  EXPECT_EQ(response.result().http_status(), 401);

  rpc.mutable_check()->set_tenant("t-unknown");
  grpc::ClientContext context2;
  grpc::Status status = stub_->CheckResourceAccess(&context2, rpc, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("check.tenant: unknown tenant \"t-unknown\""));
}

TEST_F(PolicydTest, RecordConsentAnswersAsTheEngine) {
  Start();
  auto policy = CompilePolicyFile(bundle_path_);
  ASSERT_TRUE(policy.ok()) << policy.status();
  v1::RecordConsentRequest accepted;
  accepted.set_kind("user_prompt");
  *accepted.mutable_request() = Request(kTenant, kScope);  // SPEC R1
  v1::RecordConsentRequest bad = accepted;
  bad.set_kind("no_such_kind");
  for (const v1::RecordConsentRequest& request : {accepted, bad}) {
    SCOPED_TRACE(request.kind());
    v1::RecordConsentRpcRequest rpc;
    *rpc.mutable_request() = request;
    v1::RecordConsentResponse response;
    grpc::ClientContext context;
    grpc::Status status = stub_->RecordConsent(&context, rpc, &response);
    auto expected = (*policy)->RecordConsent(request);
    EXPECT_EQ(static_cast<int>(status.error_code()), static_cast<int>(expected.status().code()));
    if (expected.ok()) {
      EXPECT_THAT(response.result(), EqualsProto(*expected));
    } else {
      EXPECT_EQ(status.error_message(), expected.status().message());
    }
  }
  // R1 writes alice's Principal grant holding the requested scopes.
  v1::RecordConsentRpcRequest rpc;
  *rpc.mutable_request() = accepted;
  v1::RecordConsentResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->RecordConsent(&context, rpc, &response).ok());
  ASSERT_GE(response.result().grants_size(), 1);
  EXPECT_EQ(response.result().grants(0).consent_type(), "Principal");
  EXPECT_EQ(response.result().grants(0).principal_id(), "alice");

  rpc.mutable_request()->mutable_request()->set_tenant("t-unknown");
  grpc::ClientContext context2;
  grpc::Status status = stub_->RecordConsent(&context2, rpc, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("request.request.tenant: unknown tenant"));
}

TEST_F(PolicydTest, ListBundlesReportsTenantsAndRejectedFiles) {
  WriteFile(dir_ + "/other/t-two.bundle.textproto", TenantBundle("t-two", "v7"));
  WriteFile(dir_ + "/broken.bundle.textproto", InvalidBundle("t-three"));
  Start();
  v1::ListBundlesResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->ListBundles(&context, v1::ListBundlesRequest(), &response).ok());
  ASSERT_EQ(response.bundles_size(), 2);
  const v1::BundleInfo& it = response.bundles(0);  // sorted by path: it/ < other/
  EXPECT_EQ(it.tenant_id(), kTenant);
  EXPECT_EQ(it.version(), "v1");
  EXPECT_EQ(it.hash(), server::Sha256Hex(ReadFile(bundle_path_)));
  EXPECT_EQ(it.path(), bundle_path_);
  EXPECT_EQ(it.app_count(), 2);
  EXPECT_EQ(it.api_count(), 1);
  EXPECT_EQ(it.grant_policy_count(), 3);
  EXPECT_EQ(it.ca_policy_count(), 0);
  EXPECT_EQ(it.last_reload_error(), "");
  EXPECT_FALSE(it.loaded_at().empty());
  EXPECT_EQ(it.loaded_at().back(), 'Z');
  EXPECT_EQ(response.bundles(1).tenant_id(), "t-two");
  EXPECT_EQ(response.bundles(1).version(), "v7");
  EXPECT_THAT(response.rejected_files(),
              ::testing::ElementsAre(dir_ + "/broken.bundle.textproto"));
  EXPECT_FALSE(response.decision_log_enabled());
}

TEST_F(PolicydTest, NoopDoesNothing) {
  Start();
  v1::EvaluateRequest rpc;
  *rpc.mutable_request() = Request(kTenant, "User.Read");
  v1::EvaluateResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->Noop(&context, rpc, &response).ok());
  EXPECT_FALSE(response.has_decision());
  EXPECT_EQ(response.bundle_version(), "");
  EXPECT_EQ(response.ByteSizeLong(), 0u);
  // Padded on request to the size of an Evaluate answer; bounded.
  rpc.set_noop_response_bytes(600);
  grpc::ClientContext padded_context;
  ASSERT_TRUE(stub_->Noop(&padded_context, rpc, &response).ok());
  EXPECT_EQ(response.bundle_hash().size(), 600u);
  EXPECT_FALSE(response.has_decision());
  rpc.set_noop_response_bytes(-5);
  grpc::ClientContext negative_context;
  ASSERT_TRUE(stub_->Noop(&negative_context, rpc, &response).ok());
  EXPECT_EQ(response.ByteSizeLong(), 0u);
  const auto counts = server_->service().OutcomeCounts();
  for (uint64_t c : counts) EXPECT_EQ(c, 0u);
}

// An internal fault while evaluating fails closed: UNAVAILABLE/server_error,
// never a token, never an RPC error; the next call is served normally.
TEST_F(PolicydTest, EvaluationFaultFailsClosed) {
  server::PolicyServerOptions options = TestOptions(dir_);
  options.before_evaluate_for_testing = [](const v1::TokenRequest& request) {
    if (request.client_id() == "boom") throw std::runtime_error("injected fault");
  };
  Start(options);
  v1::TokenRequest faulty = Request(kTenant, "User.Read");
  faulty.set_client_id("boom");
  grpc::Status status;
  v1::EvaluateResponse response = Evaluate(faulty, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.decision().outcome(), v1::UNAVAILABLE);
  EXPECT_EQ(response.decision().error(), "server_error");
  EXPECT_FALSE(response.decision().has_token());

  v1::BatchEvaluateRequest batch;
  *batch.add_requests() = faulty;
  *batch.add_requests() = Request(kTenant, "User.Read");
  v1::BatchEvaluateResponse batch_response;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->BatchEvaluate(&context, batch, &batch_response).ok());
  ASSERT_EQ(batch_response.results_size(), 2);
  EXPECT_EQ(batch_response.results(0).decision().outcome(), v1::UNAVAILABLE);
  EXPECT_EQ(batch_response.results(1).decision().outcome(), v1::ISSUE);

  EXPECT_EQ(Evaluate(Request(kTenant, "User.Read"), &status).decision().outcome(), v1::ISSUE);
  EXPECT_EQ(server_->service().OutcomeCounts()[v1::UNAVAILABLE], 2u);
}

// Before the first load has finished the service refuses, fail closed.
TEST(PolicyServiceTest, NotLoadedYetIsUnavailable) {
  SnapshotStore store;
  server::BundleManagerOptions options;
  options.policy_dir = "/nonexistent";
  server::BundleManager never_started(options, &store);
  server::PolicyServiceImpl service({}, &store, &never_started, nullptr);
  v1::Decision decision;
  std::shared_ptr<const PolicySnapshot> snapshot;
  service.Decide(Request(kTenant, "User.Read"), &decision, &snapshot);
  EXPECT_EQ(decision.outcome(), v1::UNAVAILABLE);
  EXPECT_EQ(decision.error(), "temporarily_unavailable");
  EXPECT_EQ(snapshot, nullptr);
}

HealthCheckResponse::ServingStatus CheckHealth(int port, const std::string& service) {
  auto stub = Health::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
    return HealthCheckResponse::UNKNOWN;
  }
  return response.status();
}

// NOT_SERVING until a load has produced a tenant, SERVING after, NOT_SERVING
// from the start of shutdown, as Check answers and a Watch stream sees them.
TEST_F(PolicydTest, HealthTransitions) {
  fs::remove(bundle_path_);
  Start();
  EXPECT_EQ(CheckHealth(server_->port(), ""), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(CheckHealth(server_->port(), "consent.v1.PolicyService"),
            HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(CheckHealth(server_->port(), "no.such.Service"), HealthCheckResponse::UNKNOWN);

  auto stub = Health::NewStub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                                  grpc::InsecureChannelCredentials()));
  grpc::ClientContext watch_context;
  HealthCheckRequest request;
  request.set_service("consent.v1.PolicyService");
  std::unique_ptr<grpc::ClientReader<HealthCheckResponse>> watch =
      stub->Watch(&watch_context, request);
  HealthCheckResponse update;
  ASSERT_TRUE(watch->Read(&update));
  EXPECT_EQ(update.status(), HealthCheckResponse::NOT_SERVING);

  WriteFile(bundle_path_, TenantBundle(kTenant, "v1"));
  ASSERT_TRUE(watch->Read(&update));
  EXPECT_EQ(update.status(), HealthCheckResponse::SERVING);
  EXPECT_EQ(CheckHealth(server_->port(), ""), HealthCheckResponse::SERVING);

  // A watcher of an unknown service is told so.
  grpc::ClientContext unknown_context;
  HealthCheckRequest unknown;
  unknown.set_service("no.such.Service");
  auto unknown_watch = stub->Watch(&unknown_context, unknown);
  ASSERT_TRUE(unknown_watch->Read(&update));
  EXPECT_EQ(update.status(), HealthCheckResponse::SERVICE_UNKNOWN);

  // Shutdown sends NOT_SERVING and ends the streams (OK) instead of letting
  // them hold the drain for the whole grace period.
  std::thread stopper([&] { server_->Shutdown(absl::Seconds(60)); });
  std::vector<HealthCheckResponse::ServingStatus> seen;
  while (watch->Read(&update)) seen.push_back(update.status());
  grpc::Status end = watch->Finish();
  stopper.join();
  EXPECT_TRUE(end.ok()) << end.error_message();
  EXPECT_THAT(seen, ::testing::ElementsAre(HealthCheckResponse::NOT_SERVING));
  while (unknown_watch->Read(&update)) {
  }
  EXPECT_TRUE(unknown_watch->Finish().ok());
}

// Reloads of a valid, an invalid and a deleted bundle while four clients call
// without pause: no call fails, and every answer is whole -- the decision is
// exactly the one of the bundle version the response names.
TEST_F(PolicydTest, ReloadWhileCallsRun) {
  WriteFile(dir_ + "/stable/t-stable.bundle.textproto", TenantBundle("t-stable", "s1"));
  Start();
  const v1::Decision expected_v1 = EngineDecision(TenantBundle(kTenant, "v1"), Request(kTenant, kScope));
  const v1::Decision expected_v2 =
      EngineDecision(TenantBundle(kTenant, "v2", "User.Read Calendars.Read"), Request(kTenant, kScope));
  ASSERT_NE(expected_v1.outcome(), expected_v2.outcome());  // the versions are told apart
  const v1::Decision expected_stable =
      EngineDecision(TenantBundle("t-stable", "s1"), Request("t-stable", kScope));

  std::atomic<bool> stop{false};
  std::atomic<int> failures{0}, torn{0}, calls{0};
  absl::Mutex seen_mu;
  std::set<std::string> seen_versions;
  std::atomic<bool> saw_unknown{false};
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&, c] {
      auto stub = Connect(server_->port());
      for (int i = 0; i < 200000 && !stop.load(); ++i) {
        const bool stable = (i % 4 == c % 4);
        v1::EvaluateRequest rpc;
        *rpc.mutable_request() = Request(stable ? "t-stable" : kTenant, kScope);
        v1::EvaluateResponse response;
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
        if (!stub->Evaluate(&context, rpc, &response).ok()) {
          ++failures;
          continue;
        }
        ++calls;
        const std::string& version = response.bundle_version();
        const v1::Decision* expected = nullptr;
        if (stable) {
          expected = version == "s1" ? &expected_stable : nullptr;
        } else if (version == "v1") {
          expected = &expected_v1;
        } else if (version == "v2") {
          expected = &expected_v2;
        } else if (version.empty() && response.decision().error_code() == 90002) {
          saw_unknown = true;
          continue;
        }
        if (expected == nullptr || !MessageDifferencer::Equals(*expected, response.decision())) {
          ++torn;
        }
        absl::MutexLock lock(&seen_mu);
        seen_versions.insert(version);
      }
    });
  }
  auto saw = [&](const std::string& v) {
    absl::MutexLock lock(&seen_mu);
    return seen_versions.count(v) > 0;
  };
  auto list = [&] {
    v1::ListBundlesResponse response;
    grpc::ClientContext context;
    EXPECT_TRUE(stub_->ListBundles(&context, v1::ListBundlesRequest(), &response).ok());
    return response;
  };
  EXPECT_TRUE(Eventually([&] { return saw("v1"); }));
  // 1. A valid change is swapped in.
  WriteFile(bundle_path_, TenantBundle(kTenant, "v2", "User.Read Calendars.Read"));
  EXPECT_TRUE(Eventually([&] { return saw("v2"); }));
  // 2. An invalid change is rejected; v2 keeps serving; ListBundles says why.
  WriteFile(bundle_path_, InvalidBundle(kTenant));
  EXPECT_TRUE(Eventually([&] {
    v1::ListBundlesResponse r = list();
    return r.bundles_size() == 2 && !r.bundles(0).last_reload_error().empty();
  }));
  v1::ListBundlesResponse after_invalid = list();
  ASSERT_EQ(after_invalid.bundles_size(), 2);
  EXPECT_EQ(after_invalid.bundles(0).version(), "v2");
  EXPECT_THAT(after_invalid.bundles(0).last_reload_error(), HasSubstr("urgent"));
  EXPECT_FALSE(after_invalid.bundles(0).last_reload_error_at().empty());
  const int calls_before_delete = calls.load();
  EXPECT_TRUE(Eventually([&] { return calls.load() > calls_before_delete + 20; }, 60));
  // 3. A deleted bundle stops its tenant (grace 0 here), and only it.
  fs::remove(bundle_path_);
  EXPECT_TRUE(Eventually([&] { return saw_unknown.load(); }));
  const int calls_after_delete = calls.load();
  EXPECT_TRUE(Eventually([&] { return calls.load() > calls_after_delete + 20; }, 60));
  stop = true;
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(torn.load(), 0);
  EXPECT_TRUE(saw("s1"));
  EXPECT_FALSE(saw("broken"));
  v1::ListBundlesResponse final_list = list();
  ASSERT_EQ(final_list.bundles_size(), 1);
  EXPECT_EQ(final_list.bundles(0).tenant_id(), "t-stable");
}

// Shutdown while clients are busy: in-flight calls complete, later ones are
// refused as UNAVAILABLE/CANCELLED, nothing else; Shutdown returns.
TEST_F(PolicydTest, ShutdownWhileBusy) {
  Start();
  const v1::Decision expected = EngineDecision(TenantBundle(kTenant, "v1"), Request(kTenant, kScope));
  std::atomic<int> ok{0}, refused{0}, other{0}, wrong{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&] {
      auto stub = Connect(server_->port());
      for (int i = 0; i < 100000 && !stop.load(); ++i) {
        v1::EvaluateRequest rpc;
        *rpc.mutable_request() = Request(kTenant, kScope);
        v1::EvaluateResponse response;
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
        grpc::Status status = stub->Evaluate(&context, rpc, &response);
        if (status.ok()) {
          ++ok;
          if (!MessageDifferencer::Equals(expected, response.decision())) ++wrong;
        } else if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                   status.error_code() == grpc::StatusCode::CANCELLED) {
          ++refused;
          if (refused.load() > 20) break;  // the server is gone
        } else {
          ++other;
        }
      }
    });
  }
  EXPECT_TRUE(Eventually([&] { return ok.load() > 20; }, 60));
  server_->Shutdown(absl::Seconds(5));
  EXPECT_TRUE(Eventually([&] { return refused.load() > 0; }));
  stop = true;
  for (std::thread& t : clients) t.join();
  EXPECT_GT(ok.load(), 20);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(wrong.load(), 0);
  server_->Shutdown(absl::Seconds(5));  // idempotent
}

TEST_F(PolicydTest, DecisionLogRecordsEveryDecision) {
  const std::string log_path = FreshDir(".log") + "/decisions.jsonl";
  server::PolicyServerOptions options = TestOptions(dir_);
  options.decision_log = log_path;
  Start(options);
  grpc::Status status;
  Evaluate(Request(kTenant, "User.Read"), &status);
  Evaluate(Request("t-unknown", "User.Read"), &status);
  v1::BatchEvaluateRequest batch;
  *batch.add_requests() = Request(kTenant, kScope);
  v1::BatchEvaluateResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->BatchEvaluate(&context, batch, &response).ok());
  v1::ListBundlesResponse bundles;
  grpc::ClientContext list_context;
  ASSERT_TRUE(stub_->ListBundles(&list_context, v1::ListBundlesRequest(), &bundles).ok());
  EXPECT_TRUE(bundles.decision_log_enabled());
  EXPECT_EQ(bundles.decision_log_dropped(), 0u);
  server_->Shutdown(absl::Seconds(5));  // flushes
  std::vector<std::string> lines = absl::StrSplit(ReadFile(log_path), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u);
  std::vector<std::string> outcomes;
  for (const std::string& line : lines) {
    google::protobuf::Struct entry;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &entry).ok()) << line;
    outcomes.push_back(entry.fields().at("outcome").string_value());
  }
  EXPECT_EQ(outcomes[0], "ISSUE");
  EXPECT_EQ(outcomes[1], "INVALID");
  EXPECT_THAT(lines[0], HasSubstr("\"bundle_version\":\"v1\""));
  EXPECT_THAT(lines[2], HasSubstr("\"rpc\":\"BatchEvaluate\",\"item\":0"));
  EXPECT_EQ(server_->decision_log()->dropped(), 0u);
}

TEST(PolicyServerTest, BadOptionsNameTheFlag) {
  struct Case {
    std::string name;
    std::function<void(server::PolicyServerOptions*)> edit;
    std::string message;
  };
  const std::string dir = FreshDir();
  const std::vector<Case> cases = {
      {"no_dir", [](auto* o) { o->policy_dir = ""; }, "--policy_dir: required"},
      {"missing_dir", [](auto* o) { o->policy_dir = "/nonexistent/x"; },
       "--policy_dir=\"/nonexistent/x\": not a directory"},
      {"cert_without_key", [](auto* o) { o->tls_cert = "/x/cert.pem"; },
       "--tls_cert=\"/x/cert.pem\" and --tls_key=\"\": set both or neither"},
      {"ca_without_cert", [](auto* o) { o->tls_client_ca = "/x/ca.pem"; },
       "--tls_client_ca=\"/x/ca.pem\": needs --tls_cert"},
      {"unreadable_cert",
       [](auto* o) {
         o->tls_cert = "/nonexistent/cert.pem";
         o->tls_key = "/nonexistent/key.pem";
       },
       "--tls_cert=\"/nonexistent/cert.pem\": cannot read"},
      {"batch_zero", [](auto* o) { o->max_batch_size = 0; }, "--max_batch_size=0"},
      {"bad_listen", [](auto* o) { o->listen = "127.0.0.256:50051"; },
       "--listen=\"127.0.0.256:50051\": cannot listen"},
      {"plaintext_remote", [](auto* o) { o->listen = "0.0.0.0:0"; },
       "--listen=\"0.0.0.0:0\": plaintext on a non-loopback address"},
      {"plaintext_remote_v6", [](auto* o) { o->listen = "[::]:0"; },
       "--listen=\"[::]:0\": plaintext on a non-loopback address"},
      {"decision_log", [](auto* o) { o->decision_log = "/nonexistent/d.jsonl"; },
       "--decision_log=\"/nonexistent/d.jsonl\""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    server::PolicyServerOptions options = TestOptions(dir);
    c.edit(&options);
    server::PolicyServer server(options);
    absl::Status status = server.Start();
    EXPECT_FALSE(status.ok());
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.message));
  }
}

}  // namespace
}  // namespace testing
}  // namespace consent
