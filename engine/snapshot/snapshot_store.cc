#include "engine/snapshot/snapshot_store.h"

#include <algorithm>
#include <utility>

namespace consent {

std::shared_ptr<const PolicySnapshot> SnapshotStore::Get(absl::string_view tenant) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = tenants_.find(tenant);
  if (it == tenants_.end()) return nullptr;
  return it->second;
}

absl::Status SnapshotStore::Publish(std::shared_ptr<const PolicySnapshot> snapshot,
                                    std::shared_ptr<const PolicySnapshot>* previous) {
  if (snapshot == nullptr) return absl::InvalidArgumentError("snapshot: null");
  if (snapshot->policy == nullptr) {
    return absl::InvalidArgumentError("snapshot.policy: null (tenant \"" +
                                      snapshot->tenant_id + "\")");
  }
  if (snapshot->tenant_id.empty()) {
    return absl::InvalidArgumentError("snapshot.tenant_id: empty");
  }
  std::shared_ptr<const PolicySnapshot> old;
  {
    absl::MutexLock lock(&mu_);
    auto it = tenants_.find(snapshot->tenant_id);
    if (it == tenants_.end()) {
      std::string key = snapshot->tenant_id;
      tenants_.emplace(std::move(key), std::move(snapshot));
    } else {
      // Swap so that the old snapshot leaves the lock in `old`.
      old = std::move(it->second);
      it->second = std::move(snapshot);
    }
    ++generation_;
  }
  if (previous != nullptr) *previous = std::move(old);
  // Otherwise `old` is released here, outside the lock.
  return absl::OkStatus();
}

std::shared_ptr<const PolicySnapshot> SnapshotStore::Remove(absl::string_view tenant) {
  std::shared_ptr<const PolicySnapshot> old;
  absl::MutexLock lock(&mu_);
  auto it = tenants_.find(tenant);
  if (it == tenants_.end()) return nullptr;
  old = std::move(it->second);
  tenants_.erase(it);
  ++generation_;
  return old;
}

std::vector<std::shared_ptr<const PolicySnapshot>> SnapshotStore::List() const {
  std::vector<std::shared_ptr<const PolicySnapshot>> out;
  {
    absl::ReaderMutexLock lock(&mu_);
    out.reserve(tenants_.size());
    for (const auto& [tenant, snapshot] : tenants_) out.push_back(snapshot);
  }
  std::sort(out.begin(), out.end(),
            [](const std::shared_ptr<const PolicySnapshot>& a,
               const std::shared_ptr<const PolicySnapshot>& b) {
              return internal::SpecLess(a->tenant_id, b->tenant_id);
            });
  return out;
}

size_t SnapshotStore::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return tenants_.size();
}

uint64_t SnapshotStore::generation() const {
  absl::ReaderMutexLock lock(&mu_);
  return generation_;
}

}  // namespace consent
