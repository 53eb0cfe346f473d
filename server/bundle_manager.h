// BundleManager: loads every bundle file of a policy directory into a
// SnapshotStore and keeps them current (hot reload).
//
// Each file named `*.bundle.textproto` or `*.bundle.json` below the directory
// (recursive; names starting with "." are skipped) serves one tenant, the
// `tenant_id` inside it. A scan stats each bundle file and every file it
// imports (recursively); when any changed, the files are re-read, hashed
// (SHA-256 of their contents, bundle first, then imports depth-first) and, if
// the hash differs from the last attempt, recompiled with CompilePolicyFile.
//  - Compiled: the new snapshot is published atomically; calls in flight
//    finish on the snapshot they started with.
//  - Rejected (parse or validation error): one log line naming the file and
//    the first problems (field and value); the previous version, if any, keeps
//    serving; the error is reported by Files() until a later attempt succeeds.
//  - Another file already serves the tenant: the later file is rejected.
//  - Deleted: the last good version keeps serving for `deleted_bundle_grace`
//    after the scan that noticed the deletion, then the tenant is removed. A
//    file that reappears within the grace period continues as before.
//
// Scans run on the manager's thread (Start), never on a serving thread: at
// start, on every inotify event below the directory or in the directory of an
// imported file (debounced), and every `poll_interval` regardless (the
// polling fallback, and the only trigger when inotify is unavailable).
//
// Thread-safety: all public methods are thread-safe; scans are serialized.
#ifndef CONSENT_SERVER_BUNDLE_MANAGER_H_
#define CONSENT_SERVER_BUNDLE_MANAGER_H_

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/engine_options.h"
#include "engine/internal/ascii.h"
#include "engine/snapshot/snapshot_store.h"

namespace consent {
namespace server {

struct BundleManagerOptions {
  std::string policy_dir;
  EngineOptions engine_options;
  absl::Duration poll_interval = absl::Seconds(1);
  absl::Duration deleted_bundle_grace = absl::Seconds(30);
  bool use_inotify = true;
  // Wall clock for loaded_at, error times and the deletion grace; null =
  // absl::Now. Tests substitute a fake.
  std::function<absl::Time()> clock;
};

// The state of one bundle file, for ListBundles.
struct BundleFileStatus {
  std::string path;
  // The snapshot served from this file; null when none is.
  std::shared_ptr<const PolicySnapshot> serving;
  // The last failed attempt; empty when the last attempt succeeded.
  std::string last_error;
  absl::Time last_error_at;
  // Set while a deleted file's tenant is still served (grace period).
  std::optional<absl::Time> deleted_at;
};

struct ScanSummary {
  int files = 0;      // bundle files found
  int loaded = 0;     // compiled and published
  int rejected = 0;   // attempts that failed
  int removed = 0;    // tenants no longer served (deleted files)
  int unchanged = 0;  // files skipped because nothing changed
};

class BundleManager {
 public:
  // `store` must outlive the manager.
  BundleManager(BundleManagerOptions options, SnapshotStore* store);
  ~BundleManager();  // Stop()
  BundleManager(const BundleManager&) = delete;
  BundleManager& operator=(const BundleManager&) = delete;

  // One synchronous scan (see the file comment).
  ScanSummary ScanNow();

  // Starts the reload thread: an initial scan, then watching. `after_scan`
  // (may be null) runs on that thread after every scan.
  void Start(std::function<void()> after_scan);
  // Stops and joins the reload thread. Idempotent.
  void Stop();

  // True once the first scan has finished.
  bool initial_scan_done() const { return initial_scan_done_.load(std::memory_order_acquire); }
  // True when inotify watches are in place (else polling only).
  bool inotify_active() const { return inotify_active_.load(std::memory_order_acquire); }

  // Every known bundle file, sorted by path.
  std::vector<BundleFileStatus> Files() const;

  const BundleManagerOptions& options() const { return options_; }

 private:
  struct Stamp {
    std::string path;
    bool exists = false;
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    int64_t mtime_ns = 0;
    int64_t ctime_ns = 0;
    bool operator==(const Stamp& o) const {
      return path == o.path && exists == o.exists && dev == o.dev && ino == o.ino &&
             size == o.size && mtime_ns == o.mtime_ns && ctime_ns == o.ctime_ns;
    }
  };
  struct FileState {
    std::vector<Stamp> deps;  // files read by the last attempt; empty = attempt
    std::string attempted_hash;
    std::shared_ptr<const PolicySnapshot> serving;
    std::string last_error;
    absl::Time last_error_at;
    std::string lost_to_tenant;  // rejected because this tenant was taken
    std::optional<absl::Time> missing_since;
  };

  absl::Time Now() const;
  static Stamp StatFile(const std::string& path);
  void HandleVanished(const std::string& path, absl::Time now, ScanSummary* summary)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(scan_mu_);
  bool NeedsAttempt(const std::string& path) ABSL_EXCLUSIVE_LOCKS_REQUIRED(scan_mu_);
  void Attempt(const std::string& path, absl::Time now, bool force, ScanSummary* summary)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(scan_mu_);
  void Reject(const std::string& path, const std::string& error, absl::Time now,
              ScanSummary* summary) ABSL_EXCLUSIVE_LOCKS_REQUIRED(scan_mu_);
  void QueueRetriesFor(const std::string& tenant) ABSL_EXCLUSIVE_LOCKS_REQUIRED(scan_mu_);
  void Run(std::function<void()> after_scan);
  void UpdateWatches(int inotify_fd);

  const BundleManagerOptions options_;
  SnapshotStore* const store_;

  absl::Mutex scan_mu_;
  std::set<std::string> retry_ ABSL_GUARDED_BY(scan_mu_);
  std::string last_listing_error_ ABSL_GUARDED_BY(scan_mu_);

  mutable absl::Mutex mu_;
  std::map<std::string, FileState> files_ ABSL_GUARDED_BY(mu_);
  // tenant -> the file serving it.
  absl::flat_hash_map<std::string, std::string, internal::CaseInsensitiveHash,
                      internal::CaseInsensitiveEq>
      owner_ ABSL_GUARDED_BY(mu_);

  std::atomic<bool> initial_scan_done_{false};
  std::atomic<bool> inotify_active_{false};
  std::atomic<bool> stopping_{false};
  int stop_fd_ = -1;  // eventfd that wakes the reload thread to stop
  std::thread thread_;
  absl::Mutex stop_mu_;
};

// The bundle files below `dir` (see the file comment), sorted. Listing
// problems (unreadable directories) go to `error`.
std::vector<std::string> ListBundleFiles(const std::string& dir, std::string* error);

// The compile error as one line for logs: the header and the first
// `max_problems` problems, then "(+N more)".
std::string SummarizeError(const std::string& message, int max_problems);

}  // namespace server
}  // namespace consent

#endif  // CONSENT_SERVER_BUNDLE_MANAGER_H_
