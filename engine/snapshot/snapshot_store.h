// SnapshotStore: the per-tenant table of compiled policies a server answers
// from, swapped atomically on hot reload.
//
// Each tenant maps to an immutable PolicySnapshot (the CompiledPolicy plus
// where it came from). Readers take a `shared_ptr` copy under a shared lock
// and evaluate against it without holding any lock, so a call that started on
// one snapshot finishes on it even if a reload publishes a newer one (or
// removes the tenant) meanwhile; the old snapshot is freed when its last
// reader drops it.
//
// Example:
//
//   SnapshotStore store;
//   absl::Status s = store.Publish(std::make_shared<const PolicySnapshot>(
//       PolicySnapshot{policy, "t-contoso", "v1", hash, path, absl::Now()}));
//   std::shared_ptr<const PolicySnapshot> snap = store.Get("T-CONTOSO");
//   if (snap != nullptr) snap->policy->Evaluate(request, &context);
//
// Thread-safety: all methods are safe to call concurrently.
#ifndef CONSENT_ENGINE_SNAPSHOT_SNAPSHOT_STORE_H_
#define CONSENT_ENGINE_SNAPSHOT_SNAPSHOT_STORE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/internal/ascii.h"
#include "engine/policy_engine.h"

namespace consent {

// One tenant's served policy and its provenance. Immutable once published.
struct PolicySnapshot {
  std::shared_ptr<const CompiledPolicy> policy;
  // The tenant as the bundle spells it; the store's key (compared ASCII
  // case-insensitively, like every identifier of SPEC §0).
  std::string tenant_id;
  // The bundle's version label.
  std::string version;
  // Hex SHA-256 of the bundle's files.
  std::string hash;
  // The bundle file it was compiled from.
  std::string path;
  absl::Time loaded_at;
};

class SnapshotStore {
 public:
  SnapshotStore() = default;
  SnapshotStore(const SnapshotStore&) = delete;
  SnapshotStore& operator=(const SnapshotStore&) = delete;

  // The current snapshot of `tenant` (ASCII case-insensitive), or nullptr.
  // Wait-free for practical purposes: a shared lock, one hash probe and a
  // reference-count increment.
  std::shared_ptr<const PolicySnapshot> Get(absl::string_view tenant) const;

  // Makes `snapshot` the one served for its tenant, replacing any previous
  // one, which is handed back through `previous` (if not null) so that the
  // caller, not the lock holder, pays for freeing it. InvalidArgument (and no
  // change) for a null snapshot, a null policy or an empty tenant id.
  absl::Status Publish(std::shared_ptr<const PolicySnapshot> snapshot,
                       std::shared_ptr<const PolicySnapshot>* previous = nullptr);

  // Stops serving `tenant`; returns the removed snapshot (nullptr if none).
  std::shared_ptr<const PolicySnapshot> Remove(absl::string_view tenant);

  // Every served snapshot, sorted by tenant id (SPEC §0 order).
  std::vector<std::shared_ptr<const PolicySnapshot>> List() const;

  size_t size() const;

  // Incremented by every successful Publish and Remove.
  uint64_t generation() const;

 private:
  using Map = absl::flat_hash_map<std::string, std::shared_ptr<const PolicySnapshot>,
                                  internal::CaseInsensitiveHash,
                                  internal::CaseInsensitiveEq>;

  mutable absl::Mutex mu_;
  Map tenants_ ABSL_GUARDED_BY(mu_);
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace consent

#endif  // CONSENT_ENGINE_SNAPSHOT_SNAPSHOT_STORE_H_
