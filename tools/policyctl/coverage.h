// Rule coverage for policy suites (`policyctl test --coverage`).
//
// Items of a bundle: each permission grant policy, each of its condition
// sets ("policy/includes[0]", "policy/excludes[1]"), each Conditional Access
// policy and each of its grant controls (built-in names,
// "authenticationStrength:<id>", "termsOfUse:<id>", "custom:<id>", and
// "signInFrequency" for a policy's SIF session control). An item is
// exercised when some case's decision names it:
//   - grant policy: in explanation.grant_policies;
//   - condition set: in explanation.condition_sets;
//   - CA policy: in applied_policies, blocking_policies, report_only with a
//     result other than notApplied, explanation.unmet_controls ("P: c") or
//     explanation.deferred_policies;
//   - grant control of P: seen unmet (in unmet_controls as "P: c", or P
//     blocking for `block`, or P's SIF deferred/unmet) or seen met (P in
//     applied_policies and the control not in unmet_controls); for a
//     report-only P, result "failure" counts `block` as seen unmet and
//     "success" counts every control as seen met; "failure" or
//     "userActionRequired" of a policy with one grant control counts it as
//     seen unmet.
// Coverage is kept per base bundle (the suites' `bundle`); items of overlays
// count under it. Not thread-safe.
#ifndef CONSENT_TOOLS_POLICYCTL_COVERAGE_H_
#define CONSENT_TOOLS_POLICYCTL_COVERAGE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/btree_set.h"
#include "proto/bundle.pb.h"
#include "proto/decision.pb.h"

namespace consent::policyctl {

namespace v1 = ::consent::v1;

struct CoverageItem {
  std::string kind;  // "grant_policy", "condition_set", "ca_policy", "grant_control"
  std::string id;    // as spelled in the bundle
  bool met_seen = false;    // grant controls only
  bool unmet_seen = false;  // grant controls only
  bool exercised = false;
};

struct BundleCoverage {
  std::vector<CoverageItem> items;
  absl::flat_hash_map<std::string, size_t> index;  // kind + lowercased id
  absl::btree_set<std::string> rules_fired;        // explanation.rules
  int decisions = 0;
  // Some decision named a condition set. When none did, the engine does not
  // report them (explanation.condition_sets): condition sets are listed as
  // unknown and left out of the percentage rather than counted as misses.
  bool condition_sets_reported = false;
};

class Coverage {
 public:
  // Registers the items of `bundle` (base plus overlays) under `key`; items
  // already known are kept.
  void AddBundle(const std::string& key, const v1::PolicyBundle& bundle);

  // Records what `decision` exercised; `bundle` is the effective bundle it
  // was evaluated against (for CA grant controls).
  void Observe(const std::string& key, const v1::PolicyBundle& bundle,
               const v1::Decision& decision);

  const std::map<std::string, BundleCoverage>& bundles() const {
    return bundles_;
  }

  // Exercised items / counted items of `key`, 0..100; 100 for no items.
  // Condition sets count only when the engine reported some (see above).
  double Percent(const std::string& key) const;

  // The report: per bundle the percentage, per kind the counts, the
  // never-exercised items and the grant controls never seen unmet.
  std::string Report() const;

 private:
  void Add(BundleCoverage* c, std::string kind, const std::string& id);
  CoverageItem* Find(BundleCoverage* c, absl::string_view kind,
                     absl::string_view id);
  std::map<std::string, BundleCoverage> bundles_;
};

// The grant-control item ids of a CA policy, in C4 order.
std::vector<std::string> GrantControlIds(const v1::ConditionalAccessPolicy& p);

}  // namespace consent::policyctl

#endif  // CONSENT_TOOLS_POLICYCTL_COVERAGE_H_
