// DecisionView: the engine's decision in allocation-free form.
//
// Mirrors consent.v1.Decision field for field (see proto/decision.proto for
// the meaning of each). string_views point into the CompiledPolicy that
// produced it, into the request, or into static storage; the std::string and
// vector members reuse their capacity across evaluations. Valid until the
// next evaluation with the same EvalContext.
#ifndef CONSENT_ENGINE_DECISION_VIEW_H_
#define CONSENT_ENGINE_DECISION_VIEW_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "engine/report_only_results.h"
#include "proto/decision.pb.h"

namespace consent {

struct DecisionView {
  v1::Outcome outcome = v1::OUTCOME_UNSPECIFIED;
  absl::string_view error;
  int error_code = 0;
  absl::string_view suberror;
  absl::string_view reason;
  // Built per decision; capacity reused.
  std::string error_description;

  // token (ISSUE only)
  absl::string_view aud;
  std::vector<absl::string_view> scp;
  std::vector<absl::string_view> roles;
  std::vector<absl::string_view> acrs;
  bool id_token = false;
  bool refresh_token = false;
  std::string auth_time;
  std::vector<absl::string_view> xms_cc;

  // prompt (CONSENT_PROMPT_* only)
  std::vector<absl::string_view> prompt_scopes;
  bool org_wide_option = false;
  bool admin_consent_request_available = false;

  // step_up (STEP_UP_REQUIRED only)
  std::vector<absl::string_view> required;
  std::vector<std::vector<absl::string_view>> required_any;
  size_t required_any_size = 0;  // entries of required_any in use
  std::string claims;
  std::string rfc9470_challenge;
  std::string middle_tier_challenge;

  std::vector<absl::string_view> blocking_policies;
  std::vector<absl::string_view> applied_policies;
  // C8: every report-only policy of the request's kind, by id (see
  // report_only_results.h); iterate for (id, result) pairs.
  ReportOnlyResults report_only;

  // explanation
  std::vector<absl::string_view> rules;
  std::vector<absl::string_view> grant_policies;
  std::vector<absl::string_view> grants;
  std::vector<absl::string_view> dropped_resources;
  std::vector<absl::string_view> deferred_policies;
  std::vector<absl::string_view> skipped_static_entries;
  std::vector<absl::string_view> unmet_controls;
  // Permission grant condition sets that matched: "policy/includes[i]".
  std::vector<absl::string_view> condition_sets;
  std::vector<absl::string_view> notes;

  // Empties every field, keeping capacity.
  void Clear();
  // Appends a rule id once (rules are string literals).
  void AddRule(absl::string_view rule);
};

}  // namespace consent

#endif  // CONSENT_ENGINE_DECISION_VIEW_H_
