// PolicyServer: policyd's gRPC server, assembled -- the PolicyService, the
// bundle manager (hot reload) feeding a SnapshotStore, grpc.health.v1,
// server reflection, optional TLS / mutual TLS, the optional decision log and
// a periodic stats line. policyd_main.cc maps flags onto PolicyServerOptions;
// tests run it in-process on an ephemeral port ("127.0.0.1:0").
//
//   PolicyServer server(options);
//   absl::Status started = server.Start();   // listening; loading begins
//   ...
//   server.Shutdown(absl::Seconds(10));      // drain, then force
//
// Health (service "" and "consent.v1.PolicyService"): NOT_SERVING until the
// first load has finished with at least one tenant, then SERVING while any
// tenant is served; NOT_SERVING from the start of Shutdown.
//
// Thread-safety: Start and Shutdown from one controlling thread; the
// accessors are safe from any thread once started.
#ifndef CONSENT_SERVER_POLICY_SERVER_H_
#define CONSENT_SERVER_POLICY_SERVER_H_

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <grpcpp/server.h>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "engine/engine_options.h"
#include "engine/snapshot/snapshot_store.h"
#include "server/bundle_manager.h"
#include "server/decision_log.h"
#include "server/health_service.h"
#include "server/policy_service.h"

namespace consent {
namespace server {

struct PolicyServerOptions {
  // host:port; port 0 picks a free one (see port()).
  std::string listen = "127.0.0.1:50051";
  std::string policy_dir;
  // PEM files. TLS when tls_cert and tls_key are set; mutual TLS (client
  // certificates required and verified against it) when tls_client_ca is too.
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;
  // How often the TLS files are re-read (certificate rotation without a
  // restart; new connections get the new certificates, established ones keep
  // theirs). Replace the files atomically (write elsewhere, then rename): a
  // file that does not load makes new handshakes fail until it is fixed
  // (gRPC 1.51's file watcher keeps no last good copy). Zero: read once at
  // start.
  absl::Duration tls_reload_interval = absl::Minutes(1);
  // Plaintext is refused on a non-loopback `listen` unless this is set
  // (anyone who reaches the port could ask for decisions; docs/SECURITY.md).
  bool allow_plaintext_remote = false;
  // Largest request or response message, bytes (gRPC answers
  // RESOURCE_EXHAUSTED beyond it).
  int max_message_bytes = 4 << 20;
  size_t max_batch_size = 1000;
  EngineOptions engine_options;
  absl::Duration poll_interval = absl::Seconds(1);
  absl::Duration deleted_bundle_grace = absl::Seconds(30);
  bool use_inotify = true;
  // Empty = no decision log.
  std::string decision_log;
  size_t decision_log_queue = 65536;
  // Zero = no stats line.
  absl::Duration stats_interval = absl::Seconds(60);
  // Test hooks: the bundle manager's wall clock and the handlers' deadline
  // clock (null = real clocks).
  std::function<absl::Time()> clock;
  std::function<std::chrono::system_clock::time_point()> rpc_clock;
  std::function<void(const v1::TokenRequest&)> before_evaluate_for_testing;
};

class PolicyServer {
 public:
  explicit PolicyServer(PolicyServerOptions options);
  ~PolicyServer();  // Shutdown(zero grace) if still running
  PolicyServer(const PolicyServer&) = delete;
  PolicyServer& operator=(const PolicyServer&) = delete;

  // Validates the options, binds, starts serving and starts loading bundles
  // (on the reload thread). Errors name the offending flag and value.
  absl::Status Start();

  // Health NOT_SERVING, stop accepting calls, let in-flight calls finish for
  // up to `grace`, cancel the rest, then stop reloads and flush the decision
  // log. Idempotent.
  void Shutdown(absl::Duration grace);

  // The bound port (after Start).
  int port() const { return port_; }
  // Blocks until the first load has finished or `timeout` passes.
  bool WaitUntilLoaded(absl::Duration timeout) const;

  const SnapshotStore& store() const { return store_; }
  BundleManager& bundles() { return *bundles_; }
  PolicyServiceImpl& service() { return *service_; }
  DecisionLog* decision_log() { return decision_log_.get(); }

 private:
  void UpdateHealth();
  void StatsLoop();

  const PolicyServerOptions options_;
  SnapshotStore store_;
  std::unique_ptr<BundleManager> bundles_;
  std::unique_ptr<DecisionLog> decision_log_;
  std::unique_ptr<PolicyServiceImpl> service_;
  std::unique_ptr<HealthService> health_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;

  absl::Mutex health_mu_;
  bool shutting_down_ ABSL_GUARDED_BY(health_mu_) = false;
  int health_state_ ABSL_GUARDED_BY(health_mu_) = -1;  // -1 unset, 0 not serving, 1 serving

  absl::Mutex shutdown_mu_;
  bool stopped_ ABSL_GUARDED_BY(shutdown_mu_) = false;
  absl::Notification stop_stats_;
  std::thread stats_thread_;
};

}  // namespace server
}  // namespace consent

#endif  // CONSENT_SERVER_POLICY_SERVER_H_
