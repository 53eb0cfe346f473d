#include "engine/snapshot/snapshot_store.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "engine/policy_engine.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/bundle.pb.h"

namespace consent {
namespace {

using ::testing::HasSubstr;
using ::testing::IsNull;
using ::testing::NotNull;

// A minimal valid bundle: the tenant (E1), a version label and the two
// built-in policies every bundle needs.
std::shared_ptr<const CompiledPolicy> Compile(const std::string& tenant,
                                              const std::string& version) {
  v1::PolicyBundle bundle;
  bundle.set_tenant_id(tenant);
  bundle.set_version(version);
  // The built-ins that define consent authority (SPEC §4) are required.
  for (const char* id : {"microsoft-company-admin", "microsoft-application-admin"}) {
    v1::PermissionGrantPolicy* p = bundle.add_permission_grant_policies();
    p->set_id(id);
    p->add_includes()->set_permission_type("delegated");
  }
  absl::StatusOr<std::shared_ptr<const CompiledPolicy>> policy = CompilePolicy(bundle);
  EXPECT_TRUE(policy.ok()) << policy.status();
  return policy.ok() ? *policy : nullptr;
}

std::shared_ptr<const PolicySnapshot> Snap(const std::string& tenant,
                                           const std::string& version) {
  auto s = std::make_shared<PolicySnapshot>();
  s->policy = Compile(tenant, version);
  s->tenant_id = tenant;
  s->version = version;
  s->hash = "hash-" + version;
  s->path = tenant + ".bundle.textproto";
  s->loaded_at = absl::UnixEpoch();
  return s;
}

TEST(SnapshotStoreTest, UnknownTenantIsNull) {
  SnapshotStore store;
  EXPECT_THAT(store.Get("t-a"), IsNull());
  EXPECT_EQ(store.size(), 0u);
  EXPECT_THAT(store.Remove("t-a"), IsNull());
  EXPECT_EQ(store.generation(), 0u);
}

// Tenant ids route ASCII case-insensitively (SPEC §0; the engine's E1 check
// has the last word on the request).
TEST(SnapshotStoreTest, GetIsCaseInsensitive) {
  SnapshotStore store;
  ASSERT_TRUE(store.Publish(Snap("T-Contoso", "v1")).ok());
  std::shared_ptr<const PolicySnapshot> got = store.Get("t-contoso");
  ASSERT_THAT(got, NotNull());
  EXPECT_EQ(got->tenant_id, "T-Contoso");
  EXPECT_EQ(got->version, "v1");
  EXPECT_THAT(store.Get("T-CONTOSO"), NotNull());
  EXPECT_THAT(store.Get("t-contoso2"), IsNull());
}

TEST(SnapshotStoreTest, PublishReplacesAndHandsBackPrevious) {
  SnapshotStore store;
  ASSERT_TRUE(store.Publish(Snap("t-a", "v1")).ok());
  std::shared_ptr<const PolicySnapshot> previous;
  ASSERT_TRUE(store.Publish(Snap("T-A", "v2"), &previous).ok());
  ASSERT_THAT(previous, NotNull());
  EXPECT_EQ(previous->version, "v1");
  EXPECT_EQ(store.Get("t-a")->version, "v2");
  EXPECT_EQ(store.size(), 1u);
  EXPECT_EQ(store.generation(), 2u);
}

struct BadPublishCase {
  std::string name;
  std::shared_ptr<const PolicySnapshot> snapshot;
  std::string field;
};

TEST(SnapshotStoreTest, RejectsIncompleteSnapshotsNamingTheField) {
  auto no_policy = std::make_shared<PolicySnapshot>();
  no_policy->tenant_id = "t-a";
  auto no_tenant = std::make_shared<PolicySnapshot>(*Snap("t-a", "v1"));
  no_tenant->tenant_id.clear();
  const std::vector<BadPublishCase> cases = {
      {"null", nullptr, "snapshot"},
      {"null_policy", no_policy, "snapshot.policy"},
      {"empty_tenant", no_tenant, "snapshot.tenant_id"},
  };
  for (const BadPublishCase& c : cases) {
    SCOPED_TRACE(c.name);
    SnapshotStore store;
    absl::Status status = store.Publish(c.snapshot);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.field + ":"));
    EXPECT_EQ(store.size(), 0u);
    EXPECT_EQ(store.generation(), 0u);
  }
}

TEST(SnapshotStoreTest, RemoveStopsServingOnlyThatTenant) {
  SnapshotStore store;
  ASSERT_TRUE(store.Publish(Snap("t-a", "v1")).ok());
  ASSERT_TRUE(store.Publish(Snap("t-b", "v1")).ok());
  std::shared_ptr<const PolicySnapshot> removed = store.Remove("T-A");
  ASSERT_THAT(removed, NotNull());
  EXPECT_EQ(removed->tenant_id, "t-a");
  EXPECT_THAT(store.Get("t-a"), IsNull());
  EXPECT_THAT(store.Get("t-b"), NotNull());
  EXPECT_EQ(store.size(), 1u);
}

TEST(SnapshotStoreTest, ListIsSortedBySpecOrder) {
  SnapshotStore store;
  for (const char* t : {"t-b", "T-a", "t-C", "t-a2"}) {
    ASSERT_TRUE(store.Publish(Snap(t, "v1")).ok());
  }
  std::vector<std::string> tenants;
  for (const auto& s : store.List()) tenants.push_back(s->tenant_id);
  EXPECT_THAT(tenants, ::testing::ElementsAre("T-a", "t-a2", "t-b", "t-C"));
}

// An in-flight call keeps its snapshot alive across a swap; the old snapshot
// is freed when the last reader drops it.
TEST(SnapshotStoreTest, ReaderKeepsItsSnapshotAcrossSwap) {
  SnapshotStore store;
  ASSERT_TRUE(store.Publish(Snap("t-a", "v1")).ok());
  std::shared_ptr<const PolicySnapshot> in_flight = store.Get("t-a");
  std::weak_ptr<const PolicySnapshot> watch = in_flight;
  ASSERT_TRUE(store.Publish(Snap("t-a", "v2")).ok());
  ASSERT_THAT(store.Remove("t-a"), NotNull());
  ASSERT_FALSE(watch.expired());
  EXPECT_EQ(in_flight->version, "v1");
  EXPECT_EQ(in_flight->policy->version(), "v1");
  in_flight.reset();
  EXPECT_TRUE(watch.expired());
}

// Readers racing a writer always see a whole snapshot: its label matches its
// compiled policy. Bounded loops, no timing.
TEST(SnapshotStoreTest, ConcurrentReadersSeeWholeSnapshots) {
  SnapshotStore store;
  const std::vector<std::shared_ptr<const PolicySnapshot>> versions = {
      Snap("t-a", "v1"), Snap("t-a", "v2"), Snap("t-a", "v3")};
  ASSERT_TRUE(store.Publish(versions[0]).ok());
  std::atomic<int> bad{0};
  std::atomic<bool> writer_done{false};
  std::vector<std::thread> readers;
  for (int r = 0; r < 4; ++r) {
    readers.emplace_back([&] {
      for (int i = 0; i < 20000 && !(writer_done && i > 1000); ++i) {
        std::shared_ptr<const PolicySnapshot> s = store.Get("t-a");
        if (s == nullptr || s->policy == nullptr ||
            s->policy->version() != s->version || s->hash != "hash-" + s->version) {
          ++bad;
        }
      }
    });
  }
  for (int i = 0; i < 3000; ++i) {
    ASSERT_TRUE(store.Publish(versions[i % versions.size()]).ok());
  }
  writer_done = true;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(store.generation(), 3001u);
}

}  // namespace
}  // namespace consent
