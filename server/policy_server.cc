#include "server/policy_server.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <grpcpp/server_builder.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "server/logger.h"

namespace consent {
namespace server {
namespace {

// Loopback or a Unix socket: "127.x.x.x:p", "localhost:p", "[::1]:p",
// "unix:...". Wildcards ("0.0.0.0", "[::]") and other hosts are not.
bool IsLocalAddress(absl::string_view listen) {
  if (absl::StartsWith(listen, "unix:") || absl::StartsWith(listen, "unix-abstract:")) return true;
  absl::string_view host = listen;
  if (absl::StartsWith(host, "[")) {
    const size_t close = host.find(']');
    if (close == absl::string_view::npos) return false;
    host = host.substr(1, close - 1);
  } else {
    const size_t colon = host.rfind(':');
    if (colon != absl::string_view::npos) host = host.substr(0, colon);
  }
  return absl::StartsWith(host, "127.") || host == "::1" || absl::EqualsIgnoreCase(host, "localhost");
}


constexpr const char* kServiceName = "consent.v1.PolicyService";

absl::Status ReadPem(absl::string_view flag, const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, "=\"", path, "\": cannot read: ", std::strerror(errno)));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = std::move(ss).str();
  if (out->find("-----BEGIN ") == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, "=\"", path, "\": not a PEM file (no -----BEGIN line)"));
  }
  return absl::OkStatus();
}

}  // namespace

PolicyServer::PolicyServer(PolicyServerOptions options) : options_(std::move(options)) {
  BundleManagerOptions bm;
  bm.policy_dir = options_.policy_dir;
  bm.engine_options = options_.engine_options;
  bm.poll_interval = options_.poll_interval;
  bm.deleted_bundle_grace = options_.deleted_bundle_grace;
  bm.use_inotify = options_.use_inotify;
  bm.clock = options_.clock;
  bundles_ = std::make_unique<BundleManager>(std::move(bm), &store_);
}

PolicyServer::~PolicyServer() { Shutdown(absl::ZeroDuration()); }

absl::Status PolicyServer::Start() {
  if (server_ != nullptr) return absl::FailedPreconditionError("already started");
  // --- Validate everything before binding.
  struct stat st;
  if (options_.policy_dir.empty()) {
    return absl::InvalidArgumentError("--policy_dir: required (the directory of *.bundle.textproto / *.bundle.json files)");
  }
  if (::stat(options_.policy_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--policy_dir=\"", options_.policy_dir, "\": not a directory"));
  }
  if (options_.max_message_bytes < 1024) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--max_message_bytes=", options_.max_message_bytes, ": must be at least 1024"));
  }
  if (options_.max_batch_size < 1) {
    return absl::InvalidArgumentError("--max_batch_size=0: must be at least 1");
  }
  if (options_.poll_interval < absl::Milliseconds(10)) {
    return absl::InvalidArgumentError(absl::StrCat("--poll_interval_ms=",
                                                   absl::ToInt64Milliseconds(options_.poll_interval),
                                                   ": must be at least 10"));
  }
  if (options_.deleted_bundle_grace < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--deleted_bundle_grace=", absl::FormatDuration(options_.deleted_bundle_grace),
                     ": must not be negative"));
  }
  std::shared_ptr<grpc::ServerCredentials> credentials;
  std::string tls_mode = "off";
  if (options_.tls_cert.empty() != options_.tls_key.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls_cert=\"", options_.tls_cert, "\" and --tls_key=\"", options_.tls_key,
                     "\": set both or neither"));
  }
  if (options_.tls_cert.empty() && !options_.allow_plaintext_remote && !IsLocalAddress(options_.listen)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--listen=\"", options_.listen,
        "\": plaintext on a non-loopback address; use --tls_cert and --tls_key (and --tls_client_ca "
        "for mutual TLS), or --allow_plaintext_remote"));
  }
  if (!options_.tls_client_ca.empty() && options_.tls_cert.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls_client_ca=\"", options_.tls_client_ca, "\": needs --tls_cert and --tls_key"));
  }
  if (!options_.tls_cert.empty()) {
    grpc::SslServerCredentialsOptions ssl(
        options_.tls_client_ca.empty()
            ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
            : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
    absl::Status s = ReadPem("tls_cert", options_.tls_cert, &pair.cert_chain);
    if (s.ok()) s = ReadPem("tls_key", options_.tls_key, &pair.private_key);
    if (s.ok() && !options_.tls_client_ca.empty()) {
      s = ReadPem("tls_client_ca", options_.tls_client_ca, &ssl.pem_root_certs);
    }
    if (!s.ok()) return s;
    if (options_.tls_reload_interval < absl::ZeroDuration()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--tls_reload_interval=", absl::FormatDuration(options_.tls_reload_interval),
          ": must not be negative"));
    }
    const bool mtls = !options_.tls_client_ca.empty();
    if (options_.tls_reload_interval == absl::ZeroDuration()) {
      ssl.pem_key_cert_pairs.push_back(std::move(pair));
      credentials = grpc::SslServerCredentials(ssl);
    } else {
      // The files were read above only to fail fast with a clear message;
      // gRPC's file watcher reads them now and again every interval.
      const unsigned seconds = static_cast<unsigned>(
          std::max<int64_t>(1, absl::ToInt64Seconds(options_.tls_reload_interval)));
      auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
          options_.tls_key, options_.tls_cert, mtls ? options_.tls_client_ca : "", seconds);
      grpc::experimental::TlsServerCredentialsOptions tls(provider);
      tls.watch_identity_key_cert_pairs();
      if (mtls) tls.watch_root_certs();
      tls.set_cert_request_type(mtls ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                     : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
      credentials = grpc::experimental::TlsServerCredentials(tls);
    }
    tls_mode = mtls ? "mtls" : "tls";
  } else {
    credentials = grpc::InsecureServerCredentials();
  }
  if (!options_.decision_log.empty()) {
    absl::StatusOr<std::unique_ptr<DecisionLog>> log =
        DecisionLog::Open(options_.decision_log, options_.decision_log_queue);
    if (!log.ok()) return log.status();
    decision_log_ = *std::move(log);
  }

  PolicyServiceOptions service_options;
  service_options.max_batch_size = options_.max_batch_size;
  service_options.max_message_bytes = options_.max_message_bytes;
  service_options.now = options_.rpc_clock;
  service_options.before_evaluate_for_testing = options_.before_evaluate_for_testing;
  service_ = std::make_unique<PolicyServiceImpl>(std::move(service_options), &store_,
                                                 bundles_.get(), decision_log_.get());

  // policyd's own health service (server/health_service.h), not gRPC's.
  grpc::EnableDefaultHealthCheckService(false);
  health_ = std::make_unique<HealthService>(std::vector<std::string>{"", kServiceName});
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options_.listen, credentials, &port_);
  builder.SetMaxReceiveMessageSize(options_.max_message_bytes);
  builder.SetMaxSendMessageSize(options_.max_message_bytes);
  builder.RegisterService(service_.get());
  builder.RegisterService(health_.get());
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    server_.reset();
    if (decision_log_ != nullptr) decision_log_->Close();
    return absl::UnavailableError(
        absl::StrCat("--listen=\"", options_.listen, "\": cannot listen (address in use or invalid)"));
  }
  UpdateHealth();  // logs nothing: NOT_SERVING from the start
  bundles_->Start([this] { UpdateHealth(); });
  if (options_.stats_interval > absl::ZeroDuration()) {
    stats_thread_ = std::thread([this] { StatsLoop(); });
  }
  const EngineOptions& e = options_.engine_options;
  LogInfo("started: listen=", options_.listen, " port=", port_, " tls=", tls_mode,
          " policy_dir=", options_.policy_dir,
          " max_message_bytes=", options_.max_message_bytes,
          " max_batch_size=", options_.max_batch_size,
          " max_scopes_per_request=", e.max_scopes_per_request,
          " max_scope_bytes=", e.max_scope_bytes,
          " poll_interval=", absl::FormatDuration(options_.poll_interval),
          " inotify=", options_.use_inotify ? "on" : "off",
          " deleted_bundle_grace=", absl::FormatDuration(options_.deleted_bundle_grace),
          " decision_log=", options_.decision_log.empty() ? "off" : options_.decision_log);
  return absl::OkStatus();
}

void PolicyServer::UpdateHealth() {
  absl::MutexLock lock(&health_mu_);
  if (server_ == nullptr || shutting_down_) return;
  const size_t tenants = store_.size();
  const int serving = bundles_->initial_scan_done() && tenants > 0 ? 1 : 0;
  if (serving == health_state_) return;
  health_->SetServing(serving == 1);
  if (health_state_ != -1 || serving == 1) {
    LogInfo("health: ", serving == 1 ? "SERVING" : "NOT_SERVING", " tenants=", tenants);
  }
  health_state_ = serving;
}

bool PolicyServer::WaitUntilLoaded(absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  while (!bundles_->initial_scan_done()) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(2));
  }
  return true;
}

void PolicyServer::StatsLoop() {
  std::string last;
  while (!stop_stats_.WaitForNotificationWithTimeout(options_.stats_interval)) {
    const auto counts = service_->OutcomeCounts();
    std::vector<std::string> parts;
    for (int i = 1; i < v1::Outcome_ARRAYSIZE; ++i) {
      if (counts[i] > 0) {
        parts.push_back(absl::StrCat(v1::Outcome_Name(static_cast<v1::Outcome>(i)), "=", counts[i]));
      }
    }
    std::string line = absl::StrCat(
        "stats: tenants=", store_.size(), " decisions{", absl::StrJoin(parts, " "),
        "} rpc_errors=", service_->rpc_errors(),
        decision_log_ != nullptr
            ? absl::StrCat(" decision_log_written=", decision_log_->written(),
                           " decision_log_dropped=", decision_log_->dropped())
            : std::string());
    if (line != last) LogInfo(line);  // quiet when idle
    last = std::move(line);
  }
}

void PolicyServer::Shutdown(absl::Duration grace) {
  absl::MutexLock lock(&shutdown_mu_);
  if (stopped_) return;
  stopped_ = true;
  if (server_ == nullptr) return;
  const absl::Time start = absl::Now();
  {
    absl::MutexLock health_lock(&health_mu_);
    shutting_down_ = true;
    // NOT_SERVING for every service, sent to watchers, whose streams end so
    // they do not hold the drain below.
    health_->Shutdown();
  }
  LogInfo("shutting down: draining in-flight calls for up to ",
          absl::FormatDuration(grace));
  server_->Shutdown(std::chrono::system_clock::now() +
                    std::chrono::microseconds(absl::ToInt64Microseconds(grace)));
  server_->Wait();
  bundles_->Stop();
  stop_stats_.Notify();
  if (stats_thread_.joinable()) stats_thread_.join();
  if (decision_log_ != nullptr) decision_log_->Close();
  LogInfo("stopped: in ", absl::FormatDuration(absl::Now() - start),
          " tenants=", store_.size(), " rpc_errors=", service_->rpc_errors());
}

}  // namespace server
}  // namespace consent
