// policyd: the gRPC sidecar. See server/README.md for flags and behaviour.
//
//   bazel-bin/server/policyd --policy_dir=policies --listen=127.0.0.1:50051
#include <signal.h>
#include <pthread.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/engine_options.h"
#include "server/logger.h"
#include "server/policy_server.h"

namespace {
const consent::EngineOptions kEngineDefaults;
}  // namespace

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "Address to serve on, host:port (port 0: any free port, see --port_file).");
ABSL_FLAG(std::string, policy_dir, "",
          "Directory searched recursively for *.bundle.textproto / *.bundle.json, one tenant "
          "per file. Required.");
ABSL_FLAG(std::string, tls_cert, "", "PEM server certificate chain; enables TLS with --tls_key.");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert.");
ABSL_FLAG(absl::Duration, tls_reload_interval, absl::Minutes(1),
          "Re-read --tls_cert, --tls_key and --tls_client_ca this often (certificate rotation "
          "without a restart; replace the files atomically: one that does not load fails new "
          "handshakes until fixed); 0 = only at start.");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM CA bundle; enables mutual TLS: clients must present a certificate it verifies.");
ABSL_FLAG(bool, allow_plaintext_remote, false,
          "Allow plaintext on a non-loopback --listen (refused by default: use TLS).");
ABSL_FLAG(int32_t, max_message_bytes, 4 << 20,
          "Largest request/response message in bytes (RESOURCE_EXHAUSTED beyond).");
ABSL_FLAG(int32_t, max_batch_size, 1000,
          "Largest BatchEvaluate, in requests (INVALID_ARGUMENT beyond).");
ABSL_FLAG(int64_t, max_scope_bytes, kEngineDefaults.max_scope_bytes,
          "Engine: bytes of `scope` / `refresh_token_scope` (INVALID decision beyond).");
ABSL_FLAG(int64_t, max_scopes_per_request, kEngineDefaults.max_scopes_per_request,
          "Engine: scope tokens per request (INVALID decision beyond).");
ABSL_FLAG(int64_t, max_scope_token_bytes, kEngineDefaults.max_scope_token_bytes,
          "Engine: bytes of one scope token.");
ABSL_FLAG(int64_t, max_claims_bytes, kEngineDefaults.max_claims_bytes,
          "Engine: bytes of the `claims` JSON.");
ABSL_FLAG(int32_t, max_claims_depth, kEngineDefaults.max_claims_depth,
          "Engine: nesting depth of the `claims` JSON.");
ABSL_FLAG(int64_t, max_acr_values, kEngineDefaults.max_acr_values,
          "Engine: entries of acr_values and of claims acrs/xms_cc values.");
ABSL_FLAG(int64_t, max_user_list, kEngineDefaults.max_user_list,
          "Engine: entries of each user list (groups, roles, grants, assignments).");
ABSL_FLAG(int64_t, max_session_list, kEngineDefaults.max_session_list,
          "Engine: entries of each session list (auth methods, terms, factors, attributes).");
ABSL_FLAG(int64_t, max_bundle_bytes, kEngineDefaults.max_bundle_bytes,
          "Engine: bytes of a bundle file, imports included (bundle rejected beyond).");
ABSL_FLAG(int64_t, max_bundle_elements, kEngineDefaults.max_bundle_elements,
          "Engine: elements of any one repeated field of a bundle.");
ABSL_FLAG(int32_t, max_import_depth, kEngineDefaults.max_import_depth,
          "Engine: depth of bundle `imports`.");
ABSL_FLAG(int32_t, poll_interval_ms, 1000,
          "Rescan the policy directory this often (the inotify fallback; also runs with inotify).");
ABSL_FLAG(bool, inotify, true, "Watch the policy directory with inotify for prompt reloads.");
ABSL_FLAG(absl::Duration, deleted_bundle_grace, absl::Seconds(30),
          "After a bundle file is deleted, keep serving its last good version this long, then "
          "stop serving the tenant (0s: stop at the next scan).");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(10),
          "On SIGTERM/SIGINT, let in-flight calls finish for up to this long, then cancel them.");
ABSL_FLAG(std::string, decision_log, "",
          "Append one JSON line per decision to this file (empty: off).");
ABSL_FLAG(int32_t, decision_log_queue, 65536,
          "Decision log queue, in entries; when full, entries are dropped and counted.");
ABSL_FLAG(absl::Duration, stats_interval, absl::Seconds(60),
          "Log a stats line (decisions by outcome, errors, decision-log drops) this often "
          "when something changed (0s: never).");
ABSL_FLAG(std::string, port_file, "",
          "After binding, write the port number to this file (for scripts using --listen=...:0).");

namespace {

using consent::server::LogError;
using consent::server::LogInfo;

// Range-checks one numeric flag; the error names the flag and its value.
bool InRange(const char* flag, int64_t value, int64_t lo, int64_t hi, std::string* error) {
  if (value >= lo && value <= hi) return true;
  *error = absl::StrCat("--", flag, "=", value, ": must be between ", lo, " and ", hi);
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  // Debian's Abseil is built without NDEBUG, so every absl::Mutex operation
  // -- gRPC's own locks included -- keeps a deadlock-detection graph (a
  // hash look-up and graph update per lock, measurable per call: issue 7).
  // That is a debugging aid of debug builds; the server turns it off. Tests
  // (in-process servers) keep it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::SetProgramUsageMessage(
      "policyd: consent and Conditional Access decisions over gRPC.\n"
      "  policyd --policy_dir=DIR [--listen=127.0.0.1:50051] [--tls_cert=... --tls_key=...]\n"
      "See server/README.md.");
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1) {
    LogError("unexpected argument \"", rest[1], "\" (flags are --name=value)");
    return 2;
  }

  // Block the stop signals in every thread (they inherit this mask); the main
  // thread takes them synchronously with sigwait below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::string error;
  const int64_t kBig = int64_t{1} << 40;
  bool ok = InRange("max_message_bytes", absl::GetFlag(FLAGS_max_message_bytes), 1024,
                    INT32_MAX, &error) &&
            InRange("max_batch_size", absl::GetFlag(FLAGS_max_batch_size), 1, 1000000, &error) &&
            InRange("max_scope_bytes", absl::GetFlag(FLAGS_max_scope_bytes), 1, kBig, &error) &&
            InRange("max_scopes_per_request", absl::GetFlag(FLAGS_max_scopes_per_request), 1,
                    kBig, &error) &&
            InRange("max_scope_token_bytes", absl::GetFlag(FLAGS_max_scope_token_bytes), 1, kBig,
                    &error) &&
            InRange("max_claims_bytes", absl::GetFlag(FLAGS_max_claims_bytes), 1, kBig, &error) &&
            InRange("max_claims_depth", absl::GetFlag(FLAGS_max_claims_depth), 1, 1000, &error) &&
            InRange("max_acr_values", absl::GetFlag(FLAGS_max_acr_values), 1, kBig, &error) &&
            InRange("max_user_list", absl::GetFlag(FLAGS_max_user_list), 1, kBig, &error) &&
            InRange("max_session_list", absl::GetFlag(FLAGS_max_session_list), 1, kBig,
                    &error) &&
            InRange("max_bundle_bytes", absl::GetFlag(FLAGS_max_bundle_bytes), 1, kBig, &error) &&
            InRange("max_bundle_elements", absl::GetFlag(FLAGS_max_bundle_elements), 1, kBig,
                    &error) &&
            InRange("max_import_depth", absl::GetFlag(FLAGS_max_import_depth), 0, 64, &error) &&
            InRange("poll_interval_ms", absl::GetFlag(FLAGS_poll_interval_ms), 10, 3600000,
                    &error) &&
            InRange("decision_log_queue", absl::GetFlag(FLAGS_decision_log_queue), 1, 100000000,
                    &error);
  if (ok && absl::GetFlag(FLAGS_shutdown_grace) < absl::ZeroDuration()) {
    error = absl::StrCat("--shutdown_grace=",
                         absl::FormatDuration(absl::GetFlag(FLAGS_shutdown_grace)),
                         ": must not be negative");
    ok = false;
  }
  if (!ok) {
    LogError("bad flag: ", error);
    return 2;
  }

  consent::server::PolicyServerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.policy_dir = absl::GetFlag(FLAGS_policy_dir);
  options.tls_cert = absl::GetFlag(FLAGS_tls_cert);
  options.tls_key = absl::GetFlag(FLAGS_tls_key);
  options.tls_client_ca = absl::GetFlag(FLAGS_tls_client_ca);
  options.tls_reload_interval = absl::GetFlag(FLAGS_tls_reload_interval);
  options.allow_plaintext_remote = absl::GetFlag(FLAGS_allow_plaintext_remote);
  options.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  options.max_batch_size = static_cast<size_t>(absl::GetFlag(FLAGS_max_batch_size));
  consent::EngineOptions& e = options.engine_options;
  e.max_scope_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_max_scope_bytes));
  e.max_scopes_per_request = static_cast<size_t>(absl::GetFlag(FLAGS_max_scopes_per_request));
  e.max_scope_token_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_max_scope_token_bytes));
  e.max_claims_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_max_claims_bytes));
  e.max_claims_depth = absl::GetFlag(FLAGS_max_claims_depth);
  e.max_acr_values = static_cast<size_t>(absl::GetFlag(FLAGS_max_acr_values));
  e.max_user_list = static_cast<size_t>(absl::GetFlag(FLAGS_max_user_list));
  e.max_session_list = static_cast<size_t>(absl::GetFlag(FLAGS_max_session_list));
  e.max_bundle_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_max_bundle_bytes));
  e.max_bundle_elements = static_cast<size_t>(absl::GetFlag(FLAGS_max_bundle_elements));
  e.max_import_depth = absl::GetFlag(FLAGS_max_import_depth);
  options.poll_interval = absl::Milliseconds(absl::GetFlag(FLAGS_poll_interval_ms));
  options.use_inotify = absl::GetFlag(FLAGS_inotify);
  options.deleted_bundle_grace = absl::GetFlag(FLAGS_deleted_bundle_grace);
  options.decision_log = absl::GetFlag(FLAGS_decision_log);
  options.decision_log_queue = static_cast<size_t>(absl::GetFlag(FLAGS_decision_log_queue));
  options.stats_interval = absl::GetFlag(FLAGS_stats_interval);

  consent::server::PolicyServer server(options);
  absl::Status started = server.Start();
  if (!started.ok()) {
    LogError("cannot start: ", started.message());
    return 1;
  }
  const std::string port_file = absl::GetFlag(FLAGS_port_file);
  if (!port_file.empty()) {
    // Write then rename, so a reader never sees a partial number.
    const std::string tmp = port_file + ".tmp";
    std::ofstream out(tmp);
    out << server.port() << "\n";
    out.close();
    if (!out || std::rename(tmp.c_str(), port_file.c_str()) != 0) {
      LogError("--port_file=\"", port_file, "\": cannot write");
      server.Shutdown(absl::ZeroDuration());
      return 1;
    }
  }

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  LogInfo("received ", signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
  server.Shutdown(absl::GetFlag(FLAGS_shutdown_grace));
  return 0;
}
