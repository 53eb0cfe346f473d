// The compiled form of a bundle's Conditional Access (SPEC 1.7): policies
// with every condition resolved to indices, bit masks and programs, the
// indexes by target app and by auth context, and every output string the
// evaluator may emit (ids, "authenticationStrength:<id>", "policy: control").
// Built by ca_compiler, read by ca_evaluator; immutable once built.
#ifndef CONSENT_ENGINE_CA_CA_MODEL_H_
#define CONSENT_ENGINE_CA_CA_MODEL_H_

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/types/span.h"
#include "engine/ca/auth_methods.h"
#include "engine/ca/ca_types.h"
#include "engine/ca/device_filter.h"
#include "engine/ca/ip_ranges.h"
#include "engine/ca/session_facts.h"
#include "engine/internal/ascii.h"

namespace consent {
namespace ca {

template <typename V>
using CiMap = absl::flat_hash_map<std::string, V, internal::CaseInsensitiveHash,
                                  internal::CaseInsensitiveEq>;

// C4 order of grant controls (mfa and strength share the first rank).
enum class ControlKind : uint8_t {
  kMfa = 0,
  kStrength = 0 + 16,  // same C4 rank as mfa, see Rank()
  kCompliantDevice = 1,
  kDomainJoinedDevice = 2,
  kApprovedApplication = 3,
  kCompliantApplication = 4,
  kPasswordChange = 5,
  kTermsOfUse = 6,
  kCustomFactor = 7,
};
inline int Rank(ControlKind k) { return static_cast<int>(k) & 15; }
// An unmet SIF on a legacy client ranks after every grant control (C5).
inline constexpr int kSifRank = 8;

struct Control {
  ControlKind kind;
  // kStrength: index into CaModel::strengths; kTermsOfUse / kCustomFactor:
  // index into CaModel::terms / custom_factors.
  int32_t arg = -1;
  // kStrength: the policy's spelling (compiler-internal).
  int32_t name = -1;
  // Index into CaModel::required_items for remediable kinds, else -1.
  int32_t item = -1;
  // Precomputed "policy: control" explanation.
  std::string unmet_text;
};

// 3.1's `required` items in output order: reauthentication, mfa,
// authenticationStrength:<id>..., passwordChange, termsOfUse:<id>...,
// custom:<id>... (ids sorted).
struct RequiredItem {
  std::string text;
  ControlKind kind;  // kMfa also for reauthentication (see kReauthItem)
};
inline constexpr int kReauthItem = 0;
inline constexpr int kMfaItem = 1;

struct GuestCondition {
  uint8_t kinds = 0;  // bit per ExternalKind
  std::vector<std::string> tenants;  // empty = any home tenant
  bool configured() const { return kinds != 0; }
};

// SPEC 1.1 external kinds.
inline constexpr absl::string_view kExternalKinds[] = {
    "b2bCollaborationGuest", "b2bCollaborationMember", "b2bDirectConnectUser",
    "internalGuest",         "serviceProvider",        "otherExternalUser",
};

enum class SifKind : uint8_t { kNone, kTime, kEveryTime };

// Field order is for locality: an evaluation reads the flags and masks of
// every candidate policy, the id lists of some, the texts of few.
struct CaPolicyModel {
  // --- Hot: flags and masks (the first cache line).
  bool report_only = false;
  bool workload = false;
  bool users_all = false;
  bool users_guests = false;  // GuestsOrExternalUsers
  bool exclude_guests = false;
  bool apps_all = false;
  bool sps_in_tenant = false;
  bool platforms_configured = false;
  bool locations_configured = false;
  bool include_all_locations = false, include_trusted = false, exclude_trusted = false;
  bool device_filter_exclude = false;
  bool op_or = false;
  bool block = false;
  bool sif_secondary = false;
  SifKind sif = SifKind::kNone;
  uint8_t client_app_types = 0;  // bit per ClientAppType; bit 7 = all; 0 = not configured
  uint8_t include_platforms = 0, exclude_platforms = 0;  // bit per Platform; bit 7 = all
  uint8_t sign_in_risk = 0, user_risk = 0, sp_risk = 0;  // bit per RiskLevel; 0 = not configured
  // Report-only policies: position in CaModel::report_only_{user,workload}.
  int32_t report_only_position = -1;
  int32_t source_index = 0;  // position in the bundle (for messages)
  int64_t sif_seconds = 0;

  // --- Warm: the lists matching reads.
  // Users (C3).
  std::vector<int32_t> include_users, exclude_users;    // CaModel::user_ids
  std::vector<int32_t> include_groups, exclude_groups;  // CaModel::group_ids
  std::vector<int32_t> include_roles, exclude_roles;    // CaModel::role_ids
  // Applications (C2) or auth contexts (C7).
  std::vector<AppIndex> include_apps, exclude_apps;  // sorted
  std::vector<int32_t> contexts;                     // CaModel::contexts
  std::vector<int32_t> include_locations, exclude_locations;  // CaModel::locations
  // Grant (C4).
  std::vector<Control> controls;  // C4 order

  // --- Cold.
  std::string id;
  GuestCondition include_guest_kinds, exclude_guest_kinds;
  // Workload identities (C9).
  std::vector<int32_t> include_sps, exclude_sps;  // CaModel::sp_object_ids
  std::optional<DeviceFilterProgram> device_filter;
  std::string block_text;  // "policy: block"
  std::string sif_text;    // "policy: signInFrequency"
};

struct NamedLocationModel {
  std::string id;
  bool trusted = false;
  bool is_ip = false;
  IpRangeSet ranges;
  std::vector<std::string> countries;  // upper-case alpha-2
  bool include_unknown = false;
};

struct AuthContextModel {
  std::string id;  // canonical spelling
  bool available = false;
  std::vector<int32_t> policies;  // enforced (state enabled), sorted
  bool has_enabled_policy = false;
  std::vector<int32_t> report_only_policies;  // sorted
};

struct StrengthModel {
  std::string name;
  std::vector<MethodSet> combinations;
};

// Workload facts of an app (C9), by AppIndex.
struct WorkloadClientModel {
  bool covered = false;  // single-tenant, home here, not a managed identity
  int32_t object_id = -1;  // CaModel::sp_object_ids
};

// Policy lists by app: a compressed-sparse-row table indexed by the dense
// AppIndex, so a look-up is two array reads (no hashing, no per-list heap
// block to chase).
class PolicyIndexByApp {
 public:
  // Building: Add any number of (app, policy) pairs, then Build once.
  void Add(AppIndex app, int32_t policy) { pending_.emplace_back(app, policy); }
  void Build() {
    // By app, then policy: policies keep the order they were added in, which
    // is ascending.
    std::sort(pending_.begin(), pending_.end());
    const size_t apps = pending_.empty() ? 0 : static_cast<size_t>(pending_.back().first) + 1;
    offsets_.assign(apps + 1, 0);
    policies_.clear();
    policies_.reserve(pending_.size());
    for (const auto& [app, policy] : pending_) {
      ++offsets_[static_cast<size_t>(app) + 1];
      policies_.push_back(policy);
    }
    for (size_t i = 1; i < offsets_.size(); ++i) offsets_[i] += offsets_[i - 1];
    pending_.clear();
    pending_.shrink_to_fit();
  }
  absl::Span<const int32_t> Find(AppIndex app) const {
    const size_t a = static_cast<size_t>(app);
    if (app < 0 || a + 1 >= offsets_.size()) return {};
    return absl::MakeConstSpan(policies_.data() + offsets_[a], offsets_[a + 1] - offsets_[a]);
  }
  size_t ByteSize() const {
    return offsets_.capacity() * sizeof(uint32_t) + policies_.capacity() * sizeof(int32_t);
  }

 private:
  std::vector<std::pair<AppIndex, int32_t>> pending_;
  std::vector<uint32_t> offsets_;  // apps + 1 entries
  std::vector<int32_t> policies_;
};

struct CaModel {
  std::vector<CaPolicyModel> policies;  // enabled + report-only, sorted by id (SPEC §0)
  std::vector<NamedLocationModel> locations;
  // Union of every trusted location's ranges: `AllTrusted` is one lookup.
  IpRangeSet trusted_ranges;
  std::vector<AuthContextModel> contexts;
  CiMap<int32_t> context_index;  // id -> contexts
  std::vector<StrengthModel> strengths;
  std::vector<RequiredItem> required_items;
  std::vector<std::string> terms, custom_factors;
  CiMap<int32_t> term_index, custom_index;  // id -> required item / terms index

  CiMap<int32_t> user_ids, group_ids, role_ids, sp_object_ids;
  absl::flat_hash_map<AppIndex, WorkloadClientModel> workload_clients;

  // Indexes of user policies by target: enforced ones (C2) and report-only
  // ones (C8: a report-only policy no target reaches is `notApplied`).
  PolicyIndexByApp by_app, report_only_by_app;
  std::vector<int32_t> all_apps, report_only_all_apps;
  std::vector<int32_t> report_only_user, report_only_workload, enforced_workload;
  // The ids of report_only_user and report_only_workload (sorted by id), for
  // ReportOnlyResults. Views into `policies`.
  std::vector<absl::string_view> report_only_user_ids, report_only_workload_ids;
  std::vector<int32_t> published_contexts;  // C7b candidates
  bool has_device_filters = false;

  // Unique per compiled model, never 0 (see CaScratch::sized_for).
  uint64_t instance_id = 0;

  int named_location_count = 0;
  int policy_count = 0;  // every policy in the bundle, disabled included
};

}  // namespace ca
}  // namespace consent

#endif  // CONSENT_ENGINE_CA_CA_MODEL_H_
