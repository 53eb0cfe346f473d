// Deliberate data races: tools/tsan.sh runs this under --config=tsan and
// requires it to FAIL with ThreadSanitizer reports naming RacyIncrement and
// RacyHealth::Check. That proves the instrumented Debian libraries
// (tools/tsan_deps.sh) and tools/tsan.supp leave TSan able to see a race in
// our own code, both between plain threads and between gRPC callback
// handlers. Without TSan the test passes (the races are harmless here), and
// it is tagged `manual` so the normal suite never runs it.
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "server/health.grpc.pb.h"
#include "tests/tsan/health_calls.h"

namespace consent {
namespace {

using ::grpc::health::v1::Health;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;

int g_unguarded_counter = 0;  // deliberately unsynchronised

__attribute__((noinline)) void RacyIncrement(int n) {
  for (int i = 0; i < n; ++i) {
    const int seen = g_unguarded_counter;
    g_unguarded_counter = seen + 1;
  }
}

TEST(RaceCanaryTest, PlainThreadsRaceOnAGlobal) {
  std::thread a(RacyIncrement, 1000);
  std::thread b(RacyIncrement, 1000);
  a.join();
  b.join();
  EXPECT_GT(g_unguarded_counter, 0);
}

// A health service whose Check updates a member without a lock: gRPC runs
// handlers on several threads, so concurrent calls race on checks_.
class RacyHealth final : public Health::CallbackService {
 public:
  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  const HealthCheckRequest*,
                                  HealthCheckResponse* response) override {
    const int seen = checks_;  // deliberately unguarded read ...
    absl::SleepFor(absl::Milliseconds(2));
    checks_ = seen + 1;  // ... and write
    response->set_status(HealthCheckResponse::SERVING);
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  int checks_ = 0;
};

TEST(RaceCanaryTest, GrpcHandlersRaceOnAMember) {
  RacyHealth service;
  const std::vector<int> ok = tsan::CallHealthConcurrently(
      &service, /*clients=*/4, /*calls=*/10, [](int) { return HealthCheckRequest(); },
      [](const grpc::Status& status, const HealthCheckResponse&) { return status.ok(); });
  ASSERT_EQ(ok.size(), 4u) << "the server did not start";
  for (int n : ok) EXPECT_EQ(n, 10);
}

}  // namespace
}  // namespace consent
