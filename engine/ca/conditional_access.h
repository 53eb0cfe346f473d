// Conditional Access, authentication context and step-up challenges
// (SPEC §1.7, §2.5, C1-C9, S1-S5), compiled once per bundle.
//
// CompiledCa is immutable and thread-safe. Evaluate() is const, allocation-free
// once the CaScratch and CaResult have warmed up, and never recurses to a
// depth the request controls.
//
// Implementation map (one library per concept, each with its _test):
//   auth_methods    SPEC 2.5 methods, MFA, built-in/custom strengths, times
//   session_facts   AnalyzeSession: validated session facts
//   ip_ranges       CIDR parsing, sorted merged range sets (log lookup)
//   device_filter   C3 rule grammar -> flat postfix program
//   step_up_params  V4 claims JSON (iterative, depth/size bounded), acr_values,
//                   max_age
//   challenges      S1 JSON, S2 base64 header, S3 header, S4 check
//   ca_compiler     1.7 compile checks -> ca_model (indexes by app / context)
//   ca_evaluator    C1-C9, S1-S3, S5
//
// Where SPEC is silent (engine choices, fail closed):
//   - `authenticationStrength:<id>` items use the policy's spelling of the
//     strength (SPEC §0), one item per spelling.
//   - A policy without `users` includes nobody; platforms / locations with
//     only excludes include `all` / `All`.
//   - AnalyzeSession also rejects: a method without an RFC 3339 `at`, a
//     country that is not two letters, an unknown device attribute key, or
//     isCompliant / trustType / physicalIds / systemLabels in the attribute
//     map (they come from the typed Device fields).
//   - claims: a repeated access_token / acrs / xms_cc / value / values member
//     is a V4 fault; `C7` is accepted as `c7`; leading zeros (`c07`) are not.
//   - Device-filter errors report a 0-based byte position; parentheses nest
//     at most 32 deep; bare words (True) and "quoted" values are both values.
//   - S3 `max_age` takes S5's `max_age` only when S5 itself failed.
//   - C9 covers an SP whose registration is in the bundle, single-tenant,
//     homed in this tenant, and not a managed identity.
#ifndef CONSENT_ENGINE_CA_CONDITIONAL_ACCESS_H_
#define CONSENT_ENGINE_CA_CONDITIONAL_ACCESS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "engine/ca/ca_types.h"
#include "engine/engine_options.h"
#include "engine/internal/problems.h"
#include "proto/bundle.pb.h"
#include "proto/decision.pb.h"
#include "proto/request.pb.h"

namespace consent {
namespace ca {

// What the CA compiler needs from the rest of the compiled policy.
struct CaCompileEnv {
  absl::string_view tenant_id;
  // The engine's dense index of an app id (ASCII case-insensitive), or -1
  // when the bundle has neither a registration nor an SP for it.
  std::function<AppIndex(absl::string_view app_id)> resolve_app;
};

// Reusable per-thread scratch for Evaluate (opaque).
class CaScratch;
// Caller owns the result and releases it with DeleteCaScratch (a raw pointer,
// so that callers need not see CaScratch's definition).
CaScratch* NewCaScratch();
void DeleteCaScratch(CaScratch* scratch);

class CompiledCa {
 public:
  virtual ~CompiledCa() = default;

  // Compiles conditional_access_policies, named_locations,
  // authentication_contexts, authentication_strengths and app_groups of
  // `bundle`, adding every problem (field path + value) to `problems`.
  // Returns null only if problems were added.
  static std::unique_ptr<const CompiledCa> Compile(
      const v1::PolicyBundle& bundle, const CaCompileEnv& env,
      const EngineOptions& options, internal::ProblemList* problems);

  // Step 4 of SPEC 3.2 for delegated grants (C1-C8, S1-S3, S5), or C9 for
  // client_credentials (input.grant), filling `result` (cleared first).
  virtual void Evaluate(const CaInput& input, CaScratch* scratch,
                        CaResult* result) const = 0;

  virtual int policy_count() const = 0;
  virtual int named_location_count() const = 0;
  virtual size_t ByteSize() const = 0;
};

// SPEC V4 and S5's input: parses `claims` (size and depth limited),
// `acr_values` and, when `interactive`, `max_age`. On a V4 fault returns
// false with `error` set to a description naming the parameter (the core
// answers invalid_request, AADSTS90100).
bool ParseStepUpParams(const v1::TokenRequest& request, bool interactive,
                       const EngineOptions& options, StepUpParams* out,
                       std::string* error);

// SPEC 2.5: times of a session's authentication.
struct AuthTimes {
  // Latest `at` of a first factor; none = no first factor.
  std::optional<int64_t> primary_auth_time;
  // Latest completion of a satisfying MFA combination; none = no MFA.
  std::optional<int64_t> mfa_time;
};

// Validates a session's facts (method names, times, ip, risk levels, ...)
// and computes its auth times. A null session is SPEC 2.5's default. On a
// malformed fact returns false with `error` naming the field and value (the
// core answers invalid_request, AADSTS90100; engine choice).
bool AnalyzeSession(const v1::Session* session, const EngineOptions& options,
                    AuthTimes* times, std::string* error);

// AnalyzeSession that also keeps the analysed facts in `scratch`: the next
// Evaluate with this scratch and the same session uses them instead of
// analysing the session a second time (the core validates it at step 1, CA
// reads it at step 4). The kept facts are consumed by that one Evaluate.
bool AnalyzeSession(const v1::Session* session, const EngineOptions& options,
                    CaScratch* scratch, AuthTimes* times, std::string* error);

// SPEC S4, the resource-side check.
v1::ResourceAccessResult CheckResourceAccess(const v1::ResourceAccessCheck& check,
                                             int64_t now, ChallengeFormat format);

// "entra" (also empty), "rfc9470", "both"; nullopt otherwise.
std::optional<ChallengeFormat> ParseChallengeFormat(absl::string_view text);

}  // namespace ca
}  // namespace consent

#endif  // CONSENT_ENGINE_CA_CONDITIONAL_ACCESS_H_
