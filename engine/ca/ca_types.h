// The boundary between the core evaluator and Conditional Access.
//
// The core (engine/eval) decides validity, directory, scopes, consent and the
// token; at step 4 of SPEC 3.2 (delegated grants) and at C9 (client
// credentials) it hands Conditional Access a CaInput and reads a CaResult.
// Conditional Access owns C1-C9 and S1-S3/S5: which policies apply, how
// their controls and sign-in frequency combine, auth contexts, report-only
// results, and the exact error codes and challenge strings of a step-up or
// block.
#ifndef CONSENT_ENGINE_CA_CA_TYPES_H_
#define CONSENT_ENGINE_CA_CA_TYPES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "engine/report_only_results.h"
#include "proto/request.pb.h"

namespace consent {
namespace ca {

namespace v1 = ::consent::v1;

// Dense index of an app (registration and/or SP) in the compiled policy; -1
// for none.
using AppIndex = int32_t;

enum class GrantKind { kInteractive, kRefreshToken, kOnBehalfOf, kClientCredentials };

// A resource's challenge format (SPEC 1.3, S-rules).
enum class ChallengeFormat { kEntra, kRfc9470, kBoth };

// SPEC V4 / C7 / T7 request parameters, parsed once per request.
struct StepUpParams {
  // claims.access_token.acrs was present: its `value` or `values`.
  bool has_claims_acrs = false;
  std::vector<absl::string_view> claims_acrs;
  // acr_values had at least one entry.
  bool has_acr_values = false;
  std::vector<absl::string_view> acr_values;
  // claims.access_token.xms_cc.values, request order, duplicates kept.
  std::vector<absl::string_view> xms_cc;
  // S5 (interactive only).
  std::optional<int64_t> max_age;
  // Storage for unescaped JSON strings the views above may point into.
  std::vector<std::string> storage;
  size_t storage_used = 0;
  void Clear();
};

struct CaInput {
  GrantKind grant = GrantKind::kInteractive;
  // The client is a public client (C5: refresh on a public client fails).
  bool client_public = true;
  // Evaluation time, seconds since the epoch.
  int64_t now = 0;
  // Delegated grants: the subject (never null there) and the effective
  // session (OBO: the assertion's, O6); a null session means SPEC 2.5's
  // defaults.
  const v1::User* user = nullptr;
  const v1::Session* session = nullptr;
  // C2 targets, computed by the core: the primary resource (AADGRAPH instead
  // of GRAPH for OIDC-only requests), the apps in the `ca_targets` of the
  // requested scopes, the client when confidential and `openid` is asked.
  // Distinct.
  absl::Span<const AppIndex> targets;
  // C7, S5 inputs.
  const StepUpParams* step_up = nullptr;
  // C7b: the primary resource sets acrs_optional_claim.
  bool opportunistic_acrs = false;
  // S3: the primary resource's challenge format.
  ChallengeFormat challenge_format = ChallengeFormat::kEntra;
  // C9 (client credentials): the client SP and the requested resource.
  AppIndex client = -1;
  AppIndex resource = -1;
};

// What Conditional Access concluded. Views point into the CompiledCa, the
// request, or static storage. Reused across evaluations (Clear keeps
// capacity).
struct CaResult {
  enum class Verdict { kPass, kBlocked, kStepUp };
  Verdict verdict = Verdict::kPass;
  // BLOCKED / STEP_UP_REQUIRED: SPEC C6's error, code and suberror.
  absl::string_view error;
  int error_code = 0;
  absl::string_view suberror;

  std::vector<absl::string_view> applied_policies;   // sorted
  std::vector<absl::string_view> blocking_policies;  // sorted
  ReportOnlyResults report_only;  // C8, by id
  std::vector<absl::string_view> required;
  std::vector<std::vector<absl::string_view>> required_any;
  size_t required_any_size = 0;
  std::string claims;                 // S1; empty = none
  std::string rfc9470_challenge;      // S3; empty = none
  std::string middle_tier_challenge;  // S2 value when `claims` is set
  // T4: met requested contexts and opportunistic ones, sorted, spelled per
  // SPEC §0.
  std::vector<absl::string_view> acrs;
  // Explanation.
  std::vector<absl::string_view> rules;              // e.g. "C6", "C5", "C7"
  std::vector<absl::string_view> deferred_policies;  // C5
  std::vector<absl::string_view> unmet_controls;     // "policy: control"

  void Clear();
};

}  // namespace ca
}  // namespace consent

#endif  // CONSENT_ENGINE_CA_CA_TYPES_H_
