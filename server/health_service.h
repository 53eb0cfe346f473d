// HealthService: grpc.health.v1.Health (Check and Watch) for policyd, on the
// callback API.
//
// policyd implements the protocol itself rather than using gRPC's default
// service for two reasons: every known service starts NOT_SERVING (the
// default one starts SERVING until told otherwise, a window before the first
// load), and Shutdown() ends every Watch stream after sending NOT_SERVING, so
// open watchers do not hold the server's drain until --shutdown_grace ends.
//
//   HealthService health({"", "consent.v1.PolicyService"});
//   builder.RegisterService(&health);
//   health.SetServing(true);
//   ...
//   health.Shutdown();  // before grpc::Server::Shutdown
//
// Check of an unknown service is NOT_FOUND; Watch of one reports
// SERVICE_UNKNOWN (grpc/grpc doc/health-checking.md). Thread-safe.
#ifndef CONSENT_SERVER_HEALTH_SERVICE_H_
#define CONSENT_SERVER_HEALTH_SERVICE_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "server/health.grpc.pb.h"

namespace consent {
namespace server {

class HealthService final : public grpc::health::v1::Health::CallbackService {
 public:
  using Status = grpc::health::v1::HealthCheckResponse::ServingStatus;

  // `services`: the names answered; all start NOT_SERVING.
  explicit HealthService(const std::vector<std::string>& services);
  ~HealthService() override;

  // Sets every known service SERVING or NOT_SERVING and tells watchers of a
  // change. Ignored after Shutdown().
  void SetServing(bool serving);
  // NOT_SERVING for all, sent to every watcher, whose streams then end (OK).
  // Later Watch calls get NOT_SERVING and end at once. Idempotent.
  void Shutdown();

  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  const grpc::health::v1::HealthCheckRequest* request,
                                  grpc::health::v1::HealthCheckResponse* response) override;
  grpc::ServerWriteReactor<grpc::health::v1::HealthCheckResponse>* Watch(
      grpc::CallbackServerContext* context,
      const grpc::health::v1::HealthCheckRequest* request) override;

 private:
  class Watcher;
  friend class Watcher;
  Status StatusOf(const std::string& service) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  void Unregister(Watcher* watcher);

  mutable absl::Mutex mu_;
  std::map<std::string, Status> statuses_ ABSL_GUARDED_BY(mu_);
  std::set<Watcher*> watchers_ ABSL_GUARDED_BY(mu_);
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace server
}  // namespace consent

#endif  // CONSENT_SERVER_HEALTH_SERVICE_H_
