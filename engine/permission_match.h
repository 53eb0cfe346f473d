// SPEC N6: matching a permission event against permission grant condition
// sets and policies. Used by the evaluator (N5) and by recording (R3).
#ifndef CONSENT_ENGINE_PERMISSION_MATCH_H_
#define CONSENT_ENGINE_PERMISSION_MATCH_H_

#include <cstdint>

#include "engine/compiled_policy_impl.h"

namespace consent {

// One permission of a consent decision: {delegated or application, id,
// classification, resource, client, admin_only}; the client's facts (home
// tenant, publisher, certification) are read from the compiled app.
struct PermissionEvent {
  bool application = false;
  AppIndex resource = kNoApp;
  uint32_t index = 0;  // scope index (delegated) or role index (application)
  Classification classification = Classification::kNone;
  bool admin_only = false;
  AppIndex client = kNoApp;
};

// A condition set matches iff every field matches (SPEC N6).
inline bool ConditionMatches(const CompiledPolicyImpl& p, const ConditionSetDef& cs,
                             const PermissionEvent& e) {
  switch (cs.type) {
    case ConditionSetDef::Type::kDelegated:
      if (e.application) return false;
      break;
    case ConditionSetDef::Type::kDelegatedUserConsentable:
      if (e.application || e.admin_only) return false;
      break;
    case ConditionSetDef::Type::kApplication:
      if (!e.application) return false;
      break;
  }
  if (((cs.classification_mask >> static_cast<int>(e.classification)) & 1) == 0) return false;
  if (!cs.any_resource && cs.resource != e.resource) return false;
  if (!cs.all_permissions &&
      !cs.permissions.contains((uint64_t{static_cast<uint32_t>(e.resource)} << 32) | e.index)) {
    return false;
  }
  const AppDef& client = p.app(e.client);
  if (!cs.all_clients && !cs.clients.contains(e.client)) return false;
  if (!cs.all_tenants && !cs.tenants.contains(client.home_tenant_id)) return false;
  if (!cs.all_publishers && !(client.publisher_verified && cs.publishers.contains(client.mpn_id))) {
    return false;
  }
  if (cs.verified_only && !client.publisher_verified) return false;
  if (cs.certified_only && !client.m365_certified) return false;
  if (cs.this_tenant_only && !client.home_is_this_tenant) return false;
  return true;
}

// A policy allows iff some include matches and no exclude does (SPEC N6).
// When given, `matched_include` / `matched_exclude` receive the first
// matching condition set of each kind (for explanations and coverage).
inline bool PolicyAllows(const CompiledPolicyImpl& p, const GrantPolicyDef& policy,
                         const PermissionEvent& e, const ConditionSetDef** matched_include = nullptr,
                         const ConditionSetDef** matched_exclude = nullptr) {
  const ConditionSetDef* include = nullptr;
  for (const ConditionSetDef& cs : policy.includes) {
    if (ConditionMatches(p, cs, e)) {
      include = &cs;
      break;
    }
  }
  if (matched_include != nullptr) *matched_include = include;
  if (include == nullptr) return false;
  for (const ConditionSetDef& cs : policy.excludes) {
    if (ConditionMatches(p, cs, e)) {
      if (matched_exclude != nullptr) *matched_exclude = &cs;
      return false;
    }
  }
  return true;
}

}  // namespace consent

#endif  // CONSENT_ENGINE_PERMISSION_MATCH_H_
