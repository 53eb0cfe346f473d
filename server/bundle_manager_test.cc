#include "server/bundle_manager.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "engine/snapshot/snapshot_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/logger.h"
#include "server/sha256.h"

namespace consent {
namespace server {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::IsNull;
using ::testing::NotNull;

// A bundle the engine accepts: the tenant (E1) plus one grant policy, so a
// change of an imported file shows in PolicyStats.
// The built-ins that define consent authority (SPEC §4); the compiler
// requires them.
constexpr char kAuthorityPolicies[] =
    "permission_grant_policies { id: \"microsoft-company-admin\" "
    "includes { permission_type: \"delegated\" } includes { permission_type: \"application\" } }\n"
    "permission_grant_policies { id: \"microsoft-application-admin\" "
    "includes { permission_type: \"delegated\" } }\n";

std::string Bundle(const std::string& tenant, const std::string& version,
                   const std::string& extra = "") {
  return "tenant_id: \"" + tenant + "\"\nversion: \"" + version + "\"\n" + extra +
         kAuthorityPolicies;
}

// A scope classification outside SPEC 1.3's closed set: the compiler rejects
// the bundle naming the field and the value.
std::string InvalidBundle(const std::string& tenant) {
  return "tenant_id: \"" + tenant +
         "\"\nversion: \"bad\"\n"
         "app_registrations { app_id: \"api-x\" }\n"
         "service_principals { app_id: \"api-x\" }\n"
         "resources { app_id: \"api-x\" scopes { id: \"s1\" value: \"S.Read\" "
         "classification: \"urgent\" } }\n" +
         std::string(kAuthorityPolicies);
}

class BundleManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    dir_ = fs::path(tmp != nullptr ? tmp : "/tmp") /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    SetLogSinkForTesting([this](absl::string_view line) {
      absl::MutexLock lock(&log_mu_);
      log_.emplace_back(line);
    });
  }
  void TearDown() override { SetLogSinkForTesting(nullptr); }

  // Writes atomically (temp file + rename), as deploy tools do.
  std::string Write(const std::string& rel, const std::string& content) {
    const fs::path path = dir_ / rel;
    fs::create_directories(path.parent_path());
    const fs::path tmp = path.string() + ".tmp~";
    {
      std::ofstream out(tmp, std::ios::binary);
      out << content;
    }
    fs::rename(tmp, path);
    return path.string();
  }

  std::unique_ptr<BundleManager> Manager(absl::Duration grace = absl::Seconds(30)) {
    BundleManagerOptions options;
    options.policy_dir = dir_.string();
    options.deleted_bundle_grace = grace;
    options.clock = [this] { return now_; };
    return std::make_unique<BundleManager>(options, &store_);
  }

  std::vector<std::string> LogLinesContaining(absl::string_view text) {
    absl::MutexLock lock(&log_mu_);
    std::vector<std::string> out;
    for (const std::string& line : log_) {
      if (absl::StrContains(line, text)) out.push_back(line);
    }
    return out;
  }

  const BundleFileStatus* FileStatus(const std::vector<BundleFileStatus>& files,
                                     const std::string& path) {
    for (const BundleFileStatus& f : files) {
      if (f.path == path) return &f;
    }
    return nullptr;
  }

  fs::path dir_;
  SnapshotStore store_;
  absl::Time now_ = absl::FromUnixSeconds(1741000000);
  absl::Mutex log_mu_;
  std::vector<std::string> log_ ABSL_GUARDED_BY(log_mu_);
};

TEST_F(BundleManagerTest, InitialScanServesEveryBundleFileOnce) {
  const std::string a = Write("a.bundle.textproto", Bundle("t-a", "v1"));
  Write("nested/deeper/b.bundle.textproto", Bundle("t-b", "v1"));
  Write("c.bundle.json",
        "{\"tenantId\": \"t-json\", \"version\": \"j1\", \"permissionGrantPolicies\": ["
        "{\"id\": \"microsoft-company-admin\", \"includes\": [{\"permissionType\": \"delegated\"}]},"
        "{\"id\": \"microsoft-application-admin\", \"includes\": [{\"permissionType\": \"delegated\"}]}]}");
  Write("notes.textproto", Bundle("t-not-a-bundle", "v1"));    // wrong suffix
  Write(".hidden.bundle.textproto", Bundle("t-hidden", "v1"));  // dot file
  Write(".git/x.bundle.textproto", Bundle("t-git", "v1"));      // dot directory
  auto manager = Manager();
  ScanSummary summary = manager->ScanNow();
  EXPECT_EQ(summary.files, 3);
  EXPECT_EQ(summary.loaded, 3);
  EXPECT_EQ(summary.rejected, 0);
  EXPECT_EQ(store_.size(), 3u);
  std::shared_ptr<const PolicySnapshot> snap = store_.Get("t-a");
  ASSERT_THAT(snap, NotNull());
  EXPECT_EQ(snap->version, "v1");
  EXPECT_EQ(snap->path, a);
  EXPECT_EQ(snap->hash, Sha256Hex(Bundle("t-a", "v1")));  // sha256sum of the file
  EXPECT_EQ(snap->loaded_at, now_);
  EXPECT_THAT(store_.Get("t-json"), NotNull());
  EXPECT_THAT(store_.Get("t-b"), NotNull());
  EXPECT_THAT(store_.Get("t-hidden"), IsNull());
  EXPECT_EQ(LogLinesContaining("loaded: tenant=t-a").size(), 1u);
}

TEST_F(BundleManagerTest, UnchangedFilesAreNotRecompiled) {
  Write("a.bundle.textproto", Bundle("t-a", "v1"));
  auto manager = Manager();
  manager->ScanNow();
  std::shared_ptr<const PolicySnapshot> first = store_.Get("t-a");
  ScanSummary again = manager->ScanNow();
  EXPECT_EQ(again.loaded, 0);
  EXPECT_EQ(again.rejected, 0);
  EXPECT_EQ(store_.Get("t-a"), first);  // the very same snapshot
}

TEST_F(BundleManagerTest, ValidChangeSwapsAndInFlightSnapshotSurvives) {
  const std::string a = Write("a.bundle.textproto", Bundle("t-a", "v1"));
  auto manager = Manager();
  manager->ScanNow();
  std::shared_ptr<const PolicySnapshot> in_flight = store_.Get("t-a");
  Write("a.bundle.textproto", Bundle("t-a", "v2"));
  now_ += absl::Minutes(1);
  ScanSummary summary = manager->ScanNow();
  EXPECT_EQ(summary.loaded, 1);
  std::shared_ptr<const PolicySnapshot> current = store_.Get("t-a");
  ASSERT_THAT(current, NotNull());
  EXPECT_EQ(current->version, "v2");
  EXPECT_EQ(current->policy->version(), "v2");
  EXPECT_NE(current->hash, in_flight->hash);
  EXPECT_EQ(current->loaded_at, now_);
  EXPECT_EQ(in_flight->version, "v1");
  EXPECT_EQ(in_flight->policy->version(), "v1");
  EXPECT_EQ(LogLinesContaining("reloaded: tenant=t-a version=v2").size(), 1u);
}

// An invalid bundle is rejected with one log line naming the file and the
// field and value; the previous version keeps serving; the error is reported
// until a valid version arrives.
TEST_F(BundleManagerTest, InvalidChangeKeepsPreviousVersion) {
  const std::string a = Write("a.bundle.textproto", Bundle("t-a", "v1"));
  auto manager = Manager();
  manager->ScanNow();
  Write("a.bundle.textproto", InvalidBundle("t-a"));
  now_ += absl::Minutes(1);
  ScanSummary summary = manager->ScanNow();
  EXPECT_EQ(summary.rejected, 1);
  ASSERT_THAT(store_.Get("t-a"), NotNull());
  EXPECT_EQ(store_.Get("t-a")->version, "v1");
  std::vector<std::string> lines = LogLinesContaining("bundle rejected: file=" + a);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], HasSubstr("classification"));
  EXPECT_THAT(lines[0], HasSubstr("urgent"));
  EXPECT_THAT(lines[0], HasSubstr("still serving tenant=t-a version=v1"));
  std::vector<BundleFileStatus> files = manager->Files();
  const BundleFileStatus* status = FileStatus(files, a);
  ASSERT_NE(status, nullptr);
  ASSERT_THAT(status->serving, NotNull());
  EXPECT_THAT(status->last_error, HasSubstr("urgent"));
  EXPECT_EQ(status->last_error_at, now_);

  // The same broken content again: no new attempt, no new log line.
  manager->ScanNow();
  EXPECT_EQ(LogLinesContaining("bundle rejected: file=" + a).size(), 1u);

  Write("a.bundle.textproto", Bundle("t-a", "v3"));
  manager->ScanNow();
  EXPECT_EQ(store_.Get("t-a")->version, "v3");
  files = manager->Files();
  EXPECT_EQ(FileStatus(files, a)->last_error, "");
}

TEST_F(BundleManagerTest, SyntaxErrorNamesFileAndServesNothing) {
  const std::string a = Write("a.bundle.textproto", "tenant_id: \"t-a\"\nversion: v1 }\n");
  auto manager = Manager();
  ScanSummary summary = manager->ScanNow();
  EXPECT_EQ(summary.rejected, 1);
  EXPECT_EQ(store_.size(), 0u);
  std::vector<std::string> lines = LogLinesContaining("bundle rejected: file=" + a);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], HasSubstr("no tenant is served from this file"));
  std::vector<BundleFileStatus> files = manager->Files();
  ASSERT_EQ(files.size(), 1u);
  EXPECT_THAT(files[0].serving, IsNull());
  EXPECT_FALSE(files[0].last_error.empty());
}

// Deleted-bundle policy: the last good version serves for the grace period
// after the scan that noticed the deletion, then the tenant is removed.
TEST_F(BundleManagerTest, DeletedBundleServesForGraceThenStops) {
  const std::string a = Write("a.bundle.textproto", Bundle("t-a", "v1"));
  Write("b.bundle.textproto", Bundle("t-b", "v1"));
  auto manager = Manager(absl::Seconds(30));
  manager->ScanNow();
  fs::remove(a);
  manager->ScanNow();
  EXPECT_THAT(store_.Get("t-a"), NotNull());
  std::vector<BundleFileStatus> files = manager->Files();
  ASSERT_NE(FileStatus(files, a), nullptr);
  EXPECT_EQ(FileStatus(files, a)->deleted_at, now_);
  now_ += absl::Seconds(29);
  EXPECT_EQ(manager->ScanNow().removed, 0);
  EXPECT_THAT(store_.Get("t-a"), NotNull());
  now_ += absl::Seconds(1);
  EXPECT_EQ(manager->ScanNow().removed, 1);
  EXPECT_THAT(store_.Get("t-a"), IsNull());
  EXPECT_THAT(store_.Get("t-b"), NotNull());  // other tenants unaffected
  EXPECT_EQ(FileStatus(manager->Files(), a), nullptr);
  EXPECT_EQ(LogLinesContaining("tenant removed: tenant=t-a").size(), 1u);
}

TEST_F(BundleManagerTest, DeletedBundleWithZeroGraceStopsAtNextScan) {
  const std::string a = Write("a.bundle.textproto", Bundle("t-a", "v1"));
  auto manager = Manager(absl::ZeroDuration());
  manager->ScanNow();
  fs::remove(a);
  EXPECT_EQ(manager->ScanNow().removed, 1);
  EXPECT_THAT(store_.Get("t-a"), IsNull());
}

TEST_F(BundleManagerTest, BundleReappearingWithinGraceKeepsServing) {
  const std::string a = Write("a.bundle.textproto", Bundle("t-a", "v1"));
  auto manager = Manager(absl::Seconds(30));
  manager->ScanNow();
  std::shared_ptr<const PolicySnapshot> before = store_.Get("t-a");
  fs::remove(a);
  manager->ScanNow();
  Write("a.bundle.textproto", Bundle("t-a", "v1"));  // same content again
  now_ += absl::Minutes(5);
  manager->ScanNow();
  EXPECT_EQ(store_.Get("t-a"), before);  // not even recompiled: same hash
  EXPECT_FALSE(FileStatus(manager->Files(), a)->deleted_at.has_value());
}

// An unlistable directory is not the deletion of every bundle.
TEST_F(BundleManagerTest, UnlistableDirectoryKeepsServing) {
  Write("a.bundle.textproto", Bundle("t-a", "v1"));
  auto manager = Manager(absl::ZeroDuration());
  manager->ScanNow();
  const fs::path moved = dir_.string() + ".moved";
  fs::remove_all(moved);
  fs::rename(dir_, moved);
  EXPECT_EQ(manager->ScanNow().removed, 0);
  EXPECT_THAT(store_.Get("t-a"), NotNull());
  EXPECT_EQ(LogLinesContaining("cannot list").size(), 1u);
  fs::rename(moved, dir_);
  manager->ScanNow();
  EXPECT_THAT(store_.Get("t-a"), NotNull());
}

// A change to an imported file reloads every bundle importing it.
TEST_F(BundleManagerTest, ImportChangeReloadsEveryImporter) {
  const std::string policy_p1 =
      "permission_grant_policies { id: \"p1\" includes { permission_type: \"delegated\" } }\n";
  const std::string policy_p2 =
      "permission_grant_policies { id: \"p2\" includes { permission_type: \"delegated\" } }\n";
  Write("builtin/common.textproto", policy_p1);
  Write("a/a.bundle.textproto", Bundle("t-a", "v1", "imports: \"../builtin/common.textproto\"\n"));
  Write("b/b.bundle.textproto", Bundle("t-b", "v1", "imports: \"../builtin/common.textproto\"\n"));
  Write("c/c.bundle.textproto", Bundle("t-c", "v1"));
  auto manager = Manager();
  manager->ScanNow();
  ASSERT_EQ(store_.size(), 3u);
  const int before = store_.Get("t-a")->policy->stats().grant_policies;
  EXPECT_EQ(store_.Get("t-a")->hash,
            Sha256Hex(Bundle("t-a", "v1", "imports: \"../builtin/common.textproto\"\n") +
                      policy_p1));
  std::shared_ptr<const PolicySnapshot> c_before = store_.Get("t-c");
  Write("builtin/common.textproto", policy_p1 + policy_p2);
  ScanSummary summary = manager->ScanNow();
  EXPECT_EQ(summary.loaded, 2);
  EXPECT_EQ(store_.Get("t-a")->policy->stats().grant_policies, before + 1);
  EXPECT_EQ(store_.Get("t-b")->policy->stats().grant_policies, before + 1);
  EXPECT_EQ(store_.Get("t-c"), c_before);
}

// Two files for one tenant: the later (path order at start) is rejected, and
// takes over once the first is gone.
TEST_F(BundleManagerTest, DuplicateTenantRejectsTheLaterFile) {
  const std::string a = Write("a.bundle.textproto", Bundle("t-a", "from-a"));
  const std::string b = Write("b.bundle.textproto", Bundle("T-A", "from-b"));
  auto manager = Manager(absl::ZeroDuration());
  ScanSummary summary = manager->ScanNow();
  EXPECT_EQ(summary.loaded, 1);
  EXPECT_EQ(summary.rejected, 1);
  EXPECT_EQ(store_.Get("t-a")->version, "from-a");
  std::vector<BundleFileStatus> files = manager->Files();
  EXPECT_THAT(FileStatus(files, b)->serving, IsNull());
  EXPECT_THAT(FileStatus(files, b)->last_error, HasSubstr("already served from \"" + a + "\""));
  fs::remove(a);
  manager->ScanNow();
  ASSERT_THAT(store_.Get("t-a"), NotNull());
  EXPECT_EQ(store_.Get("t-a")->version, "from-b");
  EXPECT_EQ(FileStatus(manager->Files(), b)->last_error, "");
}

TEST_F(BundleManagerTest, FileDeclaringAnotherTenantMovesIt) {
  Write("a.bundle.textproto", Bundle("t-a", "v1"));
  auto manager = Manager();
  manager->ScanNow();
  Write("a.bundle.textproto", Bundle("t-b", "v1"));
  manager->ScanNow();
  EXPECT_THAT(store_.Get("t-a"), IsNull());
  EXPECT_THAT(store_.Get("t-b"), NotNull());
  EXPECT_EQ(store_.size(), 1u);
}

TEST(SummarizeErrorTest, KeepsHeaderAndFirstProblems) {
  EXPECT_EQ(SummarizeError("invalid policy bundle: 4 problems\n  a: x\n  b: y\n  c: z\n  d: w", 2),
            "invalid policy bundle: 4 problems: a: x; b: y (+2 more)");
  EXPECT_EQ(SummarizeError("file.textproto:3:5: Expected \"}\"", 3),
            "file.textproto:3:5: Expected \"}\"");
}

// The reload thread picks changes up by itself: through inotify, and by
// polling alone. Bounded waits for an event, nothing measured.
class WatcherTest : public BundleManagerTest, public ::testing::WithParamInterface<bool> {};

TEST_P(WatcherTest, ReloadThreadPicksUpChanges) {
  Write("a.bundle.textproto", Bundle("t-a", "v1"));
  BundleManagerOptions options;
  options.policy_dir = dir_.string();
  options.use_inotify = GetParam();
  options.poll_interval = GetParam() ? absl::Seconds(30) : absl::Milliseconds(20);
  BundleManager manager(options, &store_);
  std::atomic<int> scans{0};
  manager.Start([&] { ++scans; });
  for (int i = 0; i < 500 && !manager.initial_scan_done(); ++i) absl::SleepFor(absl::Milliseconds(10));
  ASSERT_TRUE(manager.initial_scan_done());
  ASSERT_THAT(store_.Get("t-a"), NotNull());
  EXPECT_EQ(manager.inotify_active(), GetParam());
  Write("a.bundle.textproto", Bundle("t-a", "v2"));
  for (int i = 0; i < 1000 && store_.Get("t-a")->version != "v2"; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(store_.Get("t-a")->version, "v2");
  manager.Stop();
  EXPECT_GE(scans.load(), 2);
}

INSTANTIATE_TEST_SUITE_P(InotifyAndPolling, WatcherTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Inotify" : "PollingOnly";
                         });

}  // namespace
}  // namespace server
}  // namespace consent
