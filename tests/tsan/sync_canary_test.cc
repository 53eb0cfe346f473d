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
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                     grpc::InsecureChannelCredentials());
  std::vector<std::thread> clients;
  std::vector<int> served(4, 0);
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&, c] {
      std::unique_ptr<Health::Stub> stub = Health::NewStub(channel);
      for (int i = 0; i < 25; ++i) {
        grpc::ClientContext context;
        HealthCheckRequest request;
        request.set_service(absl::StrCat("client-", c));
        HealthCheckResponse response;
        if (stub->Check(&context, request, &response).ok() &&
            response.status() == HealthCheckResponse::SERVING) {
          ++served[c];
        }
      }
    });
  }
  for (std::thread& t : clients) t.join();
  server->Shutdown();
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
