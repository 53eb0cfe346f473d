#include "server/bundle_manager.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "engine/policy_engine.h"
#include "server/bundle_imports.pb.h"
#include "server/logger.h"
#include "server/sha256.h"

namespace consent {
namespace server {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxStoredErrorBytes = 4096;

bool IsBundleName(absl::string_view name) {
  return !absl::StartsWith(name, ".") &&
         (absl::EndsWith(name, ".bundle.textproto") || absl::EndsWith(name, ".bundle.json"));
}

// Swallows the warnings TextFormat emits for every skipped field.
class SilentErrors : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
  void AddWarning(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
};

// The `imports` of a bundle file's content; empty when it does not parse (the
// compiler then reports the parse error itself).
std::vector<std::string> ParseImports(const std::string& path, const std::string& content) {
  BundleImports imports;
  if (absl::EndsWith(path, ".json")) {
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    if (!google::protobuf::util::JsonStringToMessage(content, &imports, options).ok()) {
      return {};
    }
  } else {
    SilentErrors errors;
    google::protobuf::TextFormat::Parser parser;
    parser.AllowUnknownField(true);
    parser.AllowUnknownExtension(true);
    parser.RecordErrorsTo(&errors);
    if (!parser.ParseFromString(content, &imports)) return {};
  }
  return {imports.imports().begin(), imports.imports().end()};
}

bool ReadFile(const std::string& path, std::string* content, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = absl::StrCat("cannot read \"", path, "\": ", std::strerror(errno));
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    *error = absl::StrCat("cannot read \"", path, "\": read error");
    return false;
  }
  *content = std::move(ss).str();
  return true;
}

std::string ShortHash(const std::string& hash) { return hash.substr(0, 12); }

}  // namespace

std::vector<std::string> ListBundleFiles(const std::string& dir, std::string* error) {
  std::vector<std::string> out;
  error->clear();
  std::error_code ec;
  fs::recursive_directory_iterator it(
      dir, fs::directory_options::follow_directory_symlink | fs::directory_options::skip_permission_denied,
      ec);
  if (ec) {
    *error = absl::StrCat("--policy_dir=\"", dir, "\": cannot list: ", ec.message());
    return out;
  }
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) {
      *error = absl::StrCat("--policy_dir=\"", dir, "\": listing stopped: ", ec.message());
      break;
    }
    const std::string name = it->path().filename().string();
    std::error_code type_ec;
    if (it->is_directory(type_ec)) {
      // Hidden directories (.git, Kubernetes' ..data) are skipped; a symlink
      // loop is cut off by the depth bound.
      if (absl::StartsWith(name, ".") || it.depth() >= 16) it.disable_recursion_pending();
      continue;
    }
    if (IsBundleName(name) && it->is_regular_file(type_ec)) out.push_back(it->path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string SummarizeError(const std::string& message, int max_problems) {
  std::vector<absl::string_view> lines = absl::StrSplit(message, '\n', absl::SkipWhitespace());
  if (lines.empty()) return "unknown error";
  std::string out(absl::StripAsciiWhitespace(lines[0]));
  const int problems = static_cast<int>(lines.size()) - 1;
  for (int i = 1; i <= problems && i <= max_problems; ++i) {
    absl::StrAppend(&out, i == 1 ? ": " : "; ", absl::StripAsciiWhitespace(lines[i]));
  }
  if (problems > max_problems) absl::StrAppend(&out, " (+", problems - max_problems, " more)");
  return OneLine(out);
}

BundleManager::BundleManager(BundleManagerOptions options, SnapshotStore* store)
    : options_(std::move(options)), store_(store) {}

BundleManager::~BundleManager() { Stop(); }

absl::Time BundleManager::Now() const { return options_.clock ? options_.clock() : absl::Now(); }

BundleManager::Stamp BundleManager::StatFile(const std::string& path) {
  Stamp s;
  s.path = path;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return s;
  s.exists = true;
  s.dev = st.st_dev;
  s.ino = st.st_ino;
  s.size = st.st_size;
  s.mtime_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
  s.ctime_ns = int64_t{st.st_ctim.tv_sec} * 1000000000 + st.st_ctim.tv_nsec;
  return s;
}

ScanSummary BundleManager::ScanNow() {
  absl::MutexLock scan_lock(&scan_mu_);
  const absl::Time now = Now();
  ScanSummary summary;
  std::string listing_error;
  const std::vector<std::string> present = ListBundleFiles(options_.policy_dir, &listing_error);
  if (listing_error != last_listing_error_) {
    if (!listing_error.empty()) LogError("scan: ", listing_error);
    last_listing_error_ = listing_error;
  }
  summary.files = static_cast<int>(present.size());
  const absl::flat_hash_set<std::string> present_set(present.begin(), present.end());

  // A directory that cannot be listed (removed, permissions, a volume being
  // remounted) is not taken as the deletion of every bundle: tenants keep
  // serving their last good version until a listing succeeds.
  std::vector<std::string> vanished;
  if (listing_error.empty()) {
    absl::MutexLock lock(&mu_);
    for (const auto& [path, state] : files_) {
      if (!present_set.contains(path)) vanished.push_back(path);
    }
  }
  for (const std::string& path : vanished) HandleVanished(path, now, &summary);

  for (const std::string& path : present) {
    const bool needs = NeedsAttempt(path);
    const bool retry = retry_.erase(path) > 0;
    if (needs || retry) {
      Attempt(path, now, /*force=*/retry, &summary);
    } else {
      ++summary.unchanged;
    }
  }
  // Files that lost a tenant to another file get another chance when that
  // tenant is freed (its file deleted or now declaring another tenant).
  for (int pass = 0; pass < 4 && !retry_.empty(); ++pass) {
    std::set<std::string> retry = std::move(retry_);
    retry_.clear();
    for (const std::string& path : retry) {
      if (present_set.contains(path)) Attempt(path, now, /*force=*/true, &summary);
    }
  }
  return summary;
}

void BundleManager::HandleVanished(const std::string& path, absl::Time now,
                                   ScanSummary* summary) {
  std::shared_ptr<const PolicySnapshot> serving;
  absl::Time since;
  {
    absl::MutexLock lock(&mu_);
    FileState& state = files_[path];
    if (state.serving == nullptr) {
      // A rejected file went away: nothing was served from it.
      files_.erase(path);
      return;
    }
    if (!state.missing_since.has_value()) {
      state.missing_since = now;
      LogWarning("bundle deleted: file=", path, " tenant=", state.serving->tenant_id,
                 " version=", state.serving->version, "; serving it for --deleted_bundle_grace=",
                 absl::FormatDuration(options_.deleted_bundle_grace), " more");
    }
    since = *state.missing_since;
    if (now - since < options_.deleted_bundle_grace) return;
    serving = state.serving;
    owner_.erase(serving->tenant_id);
    files_.erase(path);
  }
  store_->Remove(serving->tenant_id);
  ++summary->removed;
  LogWarning("tenant removed: tenant=", serving->tenant_id, " version=", serving->version,
             " file=", path, " (deleted ", absl::FormatDuration(now - since),
             " ago; --deleted_bundle_grace=", absl::FormatDuration(options_.deleted_bundle_grace),
             ")");
  QueueRetriesFor(serving->tenant_id);
}

bool BundleManager::NeedsAttempt(const std::string& path) {
  std::vector<Stamp> deps;
  {
    absl::MutexLock lock(&mu_);
    auto it = files_.find(path);
    if (it == files_.end()) return true;
    if (it->second.missing_since.has_value()) {
      LogInfo("bundle reappeared: file=", path, "; it keeps serving its tenant");
      it->second.missing_since.reset();
    }
    deps = it->second.deps;
  }
  if (deps.empty()) return true;
  // File times are coarse (kernel ticks): two writes of equal size within one
  // tick leave identical stamps. So a file modified within the last couple of
  // seconds is re-read and re-hashed (not recompiled if the hash is the same),
  // as git does for "racily clean" entries.
  const int64_t racy_after_ns = absl::ToUnixNanos(absl::Now() - absl::Seconds(2));
  for (const Stamp& stamp : deps) {
    if (!(StatFile(stamp.path) == stamp)) return true;
    if (stamp.exists && std::max(stamp.mtime_ns, stamp.ctime_ns) >= racy_after_ns) return true;
  }
  return false;
}

void BundleManager::Attempt(const std::string& path, absl::Time now, bool force,
                            ScanSummary* summary) {
  // Read the bundle and its imports (depth-first, as the loader resolves
  // them), stamping each before reading so a write during the read shows up
  // as a change on the next scan.
  std::vector<Stamp> stamps;
  Sha256 hasher;
  std::string read_error;
  absl::flat_hash_set<std::string> visited;
  std::function<void(const std::string&, int)> visit = [&](const std::string& file, int depth) {
    const std::string key = fs::path(file).lexically_normal().string();
    if (!visited.insert(key).second) return;
    stamps.push_back(StatFile(file));
    std::string content, error;
    if (!ReadFile(file, &content, &error)) {
      if (read_error.empty()) read_error = error;
      return;
    }
    hasher.Update(content);
    if (depth >= options_.engine_options.max_import_depth) return;
    const fs::path dir = fs::path(file).parent_path();
    for (const std::string& import : ParseImports(file, content)) {
      if (import.empty()) continue;
      const fs::path p(import);
      visit(p.is_absolute() ? p.string() : (dir / p).string(), depth + 1);
    }
  };
  visit(path, 0);
  const std::string hash = hasher.HexDigest();

  std::shared_ptr<const PolicySnapshot> previous;
  {
    absl::MutexLock lock(&mu_);
    FileState& state = files_[path];
    const bool same = state.attempted_hash == hash && read_error.empty();
    state.deps = stamps;
    if (same && !force) {
      ++summary->unchanged;
      return;
    }
    state.attempted_hash = hash;
    previous = state.serving;
  }

  absl::StatusOr<std::shared_ptr<const CompiledPolicy>> compiled =
      absl::InternalError("not compiled");
  const absl::Time start = absl::Now();
  try {
    compiled = CompilePolicyFile(path, options_.engine_options);
  } catch (const std::exception& e) {
    compiled = absl::InternalError(absl::StrCat("compiler fault: ", e.what()));
  } catch (...) {
    compiled = absl::InternalError("compiler fault: unknown exception");
  }
  const absl::Duration compile_time = absl::Now() - start;
  if (!compiled.ok()) {
    Reject(path, std::string(compiled.status().message()), now, summary);
    return;
  }
  std::shared_ptr<const CompiledPolicy> policy = *std::move(compiled);
  const std::string& tenant = policy->tenant_id();
  if (tenant.empty()) {
    Reject(path, "tenant_id: empty (SPEC E1 needs the tenant)", now, summary);
    return;
  }

  std::string taken_by;
  {
    absl::MutexLock lock(&mu_);
    auto owner = owner_.find(tenant);
    if (owner != owner_.end() && owner->second != path) taken_by = owner->second;
  }
  if (!taken_by.empty()) {
    Reject(path,
           absl::StrCat("tenant_id: \"", tenant, "\" is already served from \"", taken_by,
                        "\"; one bundle file per tenant, the later one is ignored"),
           now, summary);
    absl::MutexLock lock(&mu_);
    files_[path].lost_to_tenant = tenant;
    return;
  }

  auto snapshot = std::make_shared<PolicySnapshot>();
  snapshot->policy = policy;
  snapshot->tenant_id = tenant;
  snapshot->version = policy->version();
  snapshot->hash = hash;
  snapshot->path = path;
  snapshot->loaded_at = now;

  if (previous != nullptr && !internal::EqualsIgnoreCase(previous->tenant_id, tenant)) {
    store_->Remove(previous->tenant_id);
    {
      absl::MutexLock lock(&mu_);
      owner_.erase(previous->tenant_id);
    }
    LogWarning("tenant removed: tenant=", previous->tenant_id, " file=", path,
               " now declares tenant ", tenant);
    QueueRetriesFor(previous->tenant_id);
  }
  absl::Status published = store_->Publish(snapshot);
  if (!published.ok()) {
    Reject(path, std::string(published.message()), now, summary);
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    FileState& state = files_[path];
    state.serving = snapshot;
    state.last_error.clear();
    state.lost_to_tenant.clear();
    owner_[tenant] = path;
  }
  ++summary->loaded;
  const PolicyStats stats = policy->stats();
  LogInfo(previous == nullptr ? "loaded" : "reloaded", ": tenant=", tenant,
          " version=", snapshot->version, " hash=", ShortHash(hash), " file=", path,
          " files=", stamps.size(), " apps=", stats.apps, " apis=", stats.resources,
          " grant_policies=", stats.grant_policies, " ca_policies=", stats.ca_policies,
          " compile_ms=", absl::ToDoubleMilliseconds(compile_time),
          previous == nullptr ? "" : absl::StrCat(" replaced_version=", previous->version));
}

void BundleManager::Reject(const std::string& path, const std::string& error, absl::Time now,
                           ScanSummary* summary) {
  ++summary->rejected;
  std::shared_ptr<const PolicySnapshot> serving;
  {
    absl::MutexLock lock(&mu_);
    FileState& state = files_[path];
    state.last_error = OneLine(error.substr(0, kMaxStoredErrorBytes));
    state.last_error_at = now;
    serving = state.serving;
  }
  LogError("bundle rejected: file=", path, " error=", SummarizeError(error, 3),
           serving != nullptr
               ? absl::StrCat(" -- still serving tenant=", serving->tenant_id,
                              " version=", serving->version, " hash=", ShortHash(serving->hash))
               : std::string(" -- no tenant is served from this file"));
}

void BundleManager::QueueRetriesFor(const std::string& tenant) {
  absl::MutexLock lock(&mu_);
  for (const auto& [path, state] : files_) {
    if (!state.lost_to_tenant.empty() &&
        internal::EqualsIgnoreCase(state.lost_to_tenant, tenant)) {
      retry_.insert(path);
    }
  }
}

std::vector<BundleFileStatus> BundleManager::Files() const {
  std::vector<BundleFileStatus> out;
  absl::MutexLock lock(&mu_);
  out.reserve(files_.size());
  for (const auto& [path, state] : files_) {
    BundleFileStatus s;
    s.path = path;
    s.serving = state.serving;
    s.last_error = state.last_error;
    s.last_error_at = state.last_error_at;
    s.deleted_at = state.missing_since;
    out.push_back(std::move(s));
  }
  return out;
}

void BundleManager::Start(std::function<void()> after_scan) {
  absl::MutexLock lock(&stop_mu_);
  if (thread_.joinable()) return;
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd_ < 0) {
    LogError("reload: eventfd failed: ", std::strerror(errno),
             "; stopping will wait up to one --poll_interval_ms");
  }
  thread_ = std::thread([this, cb = std::move(after_scan)]() mutable { Run(std::move(cb)); });
}

void BundleManager::Stop() {
  absl::MutexLock lock(&stop_mu_);
  if (!thread_.joinable()) return;
  stopping_.store(true, std::memory_order_release);
  if (stop_fd_ >= 0) {
    const uint64_t one = 1;
    (void)!::write(stop_fd_, &one, sizeof(one));
  }
  thread_.join();
  if (stop_fd_ >= 0) ::close(stop_fd_);
  stop_fd_ = -1;
}

void BundleManager::UpdateWatches(int inotify_fd) {
  // inotify_add_watch on a watched directory just returns its descriptor, so
  // re-adding every scan is cheap and picks up new and recreated directories.
  constexpr uint32_t kMask = IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM |
                             IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;
  std::set<std::string> dirs = {options_.policy_dir};
  std::error_code ec;
  fs::recursive_directory_iterator it(options_.policy_dir,
                                      fs::directory_options::follow_directory_symlink |
                                          fs::directory_options::skip_permission_denied,
                                      ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code type_ec;
    if (!it->is_directory(type_ec)) continue;
    const std::string name = it->path().filename().string();
    if (absl::StartsWith(name, ".") || it.depth() >= 16) {
      it.disable_recursion_pending();
      if (absl::StartsWith(name, "..")) dirs.insert(it->path().string());  // Kubernetes ..data
      continue;
    }
    dirs.insert(it->path().string());
  }
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [path, state] : files_) {
      for (const Stamp& s : state.deps) dirs.insert(fs::path(s.path).parent_path().string());
    }
  }
  for (const std::string& dir : dirs) {
    if (dir.empty()) continue;
    (void)::inotify_add_watch(inotify_fd, dir.c_str(), kMask);
  }
}

void BundleManager::Run(std::function<void()> after_scan) {
  const absl::Time start = absl::Now();
  // Watch before the initial scan: a change made after the scan read a file
  // but before the watches existed would otherwise go unseen until the next
  // poll (--poll_interval_ms later). Events queued meanwhile just cause one
  // early rescan.
  int inotify_fd = -1;
  if (options_.use_inotify) {
    inotify_fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (inotify_fd < 0) {
      LogWarning("reload: inotify unavailable (", std::strerror(errno), "); polling every ",
                 absl::FormatDuration(options_.poll_interval));
    } else {
      UpdateWatches(inotify_fd);
    }
  }
  ScanSummary first = ScanNow();
  if (inotify_fd >= 0) {
    UpdateWatches(inotify_fd);  // and the directories of the imports just read
    inotify_active_.store(true, std::memory_order_release);
  }
  // Published last, so whoever sees initial_scan_done() also sees
  // inotify_active() as it will stay.
  initial_scan_done_.store(true, std::memory_order_release);
  LogInfo("initial load: policy_dir=", options_.policy_dir, " files=", first.files,
          " loaded=", first.loaded, " rejected=", first.rejected,
          " tenants=", store_->size(), " in ", absl::FormatDuration(absl::Now() - start));
  if (after_scan) after_scan();

  const int timeout_ms = static_cast<int>(
      std::max<int64_t>(1, absl::ToInt64Milliseconds(options_.poll_interval)));
  char buffer[16384];
  auto drain = [&] {
    while (inotify_fd >= 0 && ::read(inotify_fd, buffer, sizeof(buffer)) > 0) {
    }
  };
  while (!stopping_.load(std::memory_order_acquire)) {
    struct pollfd fds[2];
    int n = 0;
    if (stop_fd_ >= 0) fds[n++] = {stop_fd_, POLLIN, 0};
    const int inotify_index = n;
    if (inotify_fd >= 0) fds[n++] = {inotify_fd, POLLIN, 0};
    int ready = ::poll(fds, n, timeout_ms);
    if (stopping_.load(std::memory_order_acquire)) break;
    if (ready > 0 && inotify_fd >= 0 && (fds[inotify_index].revents & POLLIN)) {
      // Debounce: editors and deploy tools touch a file several times.
      drain();
      struct pollfd stop_only = {stop_fd_, POLLIN, 0};
      ::poll(&stop_only, stop_fd_ >= 0 ? 1 : 0, 25);
      drain();
      if (stopping_.load(std::memory_order_acquire)) break;
    }
    ScanNow();
    if (inotify_fd >= 0) UpdateWatches(inotify_fd);
    if (after_scan) after_scan();
  }
  if (inotify_fd >= 0) ::close(inotify_fd);
  inotify_active_.store(false, std::memory_order_release);
}

}  // namespace server
}  // namespace consent
