// The harness both TSan canaries share: serve a Health service on a
// loopback port and call Check from several client threads at once, so that
// the service's handlers run concurrently on gRPC's callback threads.
#ifndef CONSENT_TESTS_TSAN_HEALTH_CALLS_H_
#define CONSENT_TESTS_TSAN_HEALTH_CALLS_H_

#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "server/health.grpc.pb.h"

namespace consent {
namespace tsan {

// Serves `service`, runs `clients` threads each making `calls` Check calls
// with the request `make_request(client)`, and returns, per client, how many
// calls `succeeded(status, response)` accepted. Empty if the server did not
// start.
inline std::vector<int> CallHealthConcurrently(
    grpc::Service* service, int clients, int calls,
    const std::function<grpc::health::v1::HealthCheckRequest(int client)>& make_request,
    const std::function<bool(const grpc::Status&,
                             const grpc::health::v1::HealthCheckResponse&)>& succeeded) {
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) return {};
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                     grpc::InsecureChannelCredentials());
  std::vector<int> ok(static_cast<size_t>(clients), 0);
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto stub = grpc::health::v1::Health::NewStub(channel);
      for (int i = 0; i < calls; ++i) {
        grpc::ClientContext context;
        grpc::health::v1::HealthCheckResponse response;
        const grpc::Status status = stub->Check(&context, make_request(c), &response);
        if (succeeded(status, response)) ++ok[static_cast<size_t>(c)];
      }
    });
  }
  for (std::thread& t : threads) t.join();
  server->Shutdown();
  return ok;
}

}  // namespace tsan
}  // namespace consent

#endif  // CONSENT_TESTS_TSAN_HEALTH_CALLS_H_
