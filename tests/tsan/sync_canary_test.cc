// Correctly synchronised hand-offs through the libraries TSan cannot see into
// unless they are instrumented (tools/tsan_deps.sh): absl::Mutex (lock,
// reader lock, Await), absl::CondVar, absl::Notification, and gRPC's callback
// API (a request decoded on one gRPC thread, handled on another, answered to a
// client thread). Under tools/tsan.sh this test must PASS; with Debian's
// uninstrumented Abseil or gRPC loaded instead, TSan reports every one of
// these accesses. It also checks that those libraries really were loaded from
// CONSENT_TSAN_LIBDIR when that is set. Tagged `manual`.
#include <link.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/base/thread_annotations.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "server/health.grpc.pb.h"
#include "tests/tsan/health_calls.h"

namespace consent {
namespace {

using ::grpc::health::v1::Health;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;

TEST(SyncCanaryTest, MutexGuardedCounter) {
  absl::Mutex mu;
  int counter ABSL_GUARDED_BY(mu) = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        absl::MutexLock lock(&mu);
        ++counter;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  absl::ReaderMutexLock lock(&mu);
  EXPECT_EQ(counter, 4000);
}

TEST(SyncCanaryTest, CondVarAwaitAndNotificationHandoffs) {
  // Plain data written before a hand-off and read after it, never under a lock.
  std::string via_condvar, via_await, via_notification;
  absl::Mutex mu;
  bool condvar_ready ABSL_GUARDED_BY(mu) = false;
  bool await_ready ABSL_GUARDED_BY(mu) = false;
  absl::CondVar cv;
  absl::Notification notification;
  std::thread producer([&] {
    via_condvar = "condvar";
    {
      absl::MutexLock lock(&mu);
      condvar_ready = true;
      cv.Signal();
    }
    via_await = "await";
    {
      absl::MutexLock lock(&mu);
      await_ready = true;
    }
    via_notification = "notification";
    notification.Notify();
  });
  {
    absl::MutexLock lock(&mu);
    while (!condvar_ready) cv.Wait(&mu);
  }
  EXPECT_EQ(via_condvar, "condvar");
  {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(&await_ready));
  }
  EXPECT_EQ(via_await, "await");
  notification.WaitForNotification();
  EXPECT_EQ(via_notification, "notification");
  producer.join();
}

class CountingHealth final : public Health::CallbackService {
 public:
  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  const HealthCheckRequest* request,
                                  HealthCheckResponse* response) override {
    {
      absl::MutexLock lock(&mu_);
      ++checks_;
      last_service_ = request->service();
    }
    response->set_status(HealthCheckResponse::SERVING);
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  int checks() {
    absl::MutexLock lock(&mu_);
    return checks_;
  }

 private:
  absl::Mutex mu_;
  int checks_ ABSL_GUARDED_BY(mu_) = 0;
  std::string last_service_ ABSL_GUARDED_BY(mu_);
};

TEST(SyncCanaryTest, GrpcCallbackHandlersWithGuardedState) {
  CountingHealth service;
  const std::vector<int> served = tsan::CallHealthConcurrently(
      &service, /*clients=*/4, /*calls=*/25,
      [](int c) {
        HealthCheckRequest request;
        request.set_service(absl::StrCat("client-", c));
        return request;
      },
      [](const grpc::Status& status, const HealthCheckResponse& response) {
        return status.ok() && response.status() == HealthCheckResponse::SERVING;
      });
  ASSERT_EQ(served.size(), 4u) << "the server did not start";
  for (int s : served) EXPECT_EQ(s, 25);
  EXPECT_EQ(service.checks(), 100);
}

// The libraries whose synchronisation must be visible, by file name prefix.
bool MustBeInstrumented(const std::string& base) {
  for (const char* prefix : {"libabsl_", "libgrpc", "libgpr.", "libprotobuf.", "libupb.",
                             "libaddress_sorting."}) {
    if (absl::StartsWith(base, prefix)) return true;
  }
  return false;
}

TEST(SyncCanaryTest, InstrumentedLibrariesAreTheOnesLoaded) {
  const char* dir = std::getenv("CONSENT_TSAN_LIBDIR");
  if (dir == nullptr || *dir == '\0') GTEST_SKIP() << "CONSENT_TSAN_LIBDIR is not set";
  struct Found {
    std::vector<std::string> ok, wrong;
    std::string dir;
  } found;
  found.dir = absl::StrCat(dir, "/");
  dl_iterate_phdr(
      [](struct dl_phdr_info* info, size_t, void* data) {
        auto* f = static_cast<Found*>(data);
        const std::string path = info->dlpi_name != nullptr ? info->dlpi_name : "";
        const std::string base = path.substr(path.rfind('/') + 1);
        if (!MustBeInstrumented(base)) return 0;
        (absl::StartsWith(path, f->dir) ? f->ok : f->wrong).push_back(path);
        return 0;
      },
      &found);
  EXPECT_TRUE(found.wrong.empty()) << "loaded from outside " << found.dir << ": "
                                   << absl::StrJoin(found.wrong, " ");
  // libabsl_synchronization, libgrpc, libgrpc++, libgpr and libprotobuf at least.
  EXPECT_GE(found.ok.size(), 5u);
}

}  // namespace
}  // namespace consent
