// The consent and Conditional Access decision engine: the embedder's API.
//
// A tenant's policy bundle (proto/bundle.proto) is compiled once into an
// immutable CompiledPolicy; each token request (proto/request.proto) is then
// evaluated against it into a Decision (proto/decision.proto), following
// ../shared/domain/SPEC.md. Evaluation is pure and thread-safe: share one
// `std::shared_ptr<const CompiledPolicy>` between any number of threads.
//
// Example:
//
//   absl::StatusOr<std::shared_ptr<const consent::CompiledPolicy>> policy =
//       consent::CompilePolicyFile("policies/contoso/contoso.bundle.textproto");
//   if (!policy.ok()) { /* every problem, with its field path */ }
//   consent::v1::TokenRequest request = ...;
//   consent::v1::Decision decision = (*policy)->Evaluate(request);
//   if (decision.outcome() == consent::v1::ISSUE) { ... decision.token().scp() ... }
//
// The hot path: `Evaluate(request, &context)` reuses an EvalContext and does
// no heap allocation once the context has warmed up; the proto-returning
// overloads allocate only the Decision they build.
#ifndef CONSENT_ENGINE_POLICY_ENGINE_H_
#define CONSENT_ENGINE_POLICY_ENGINE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/decision_view.h"
#include "engine/engine_options.h"
#include "engine/internal/problems.h"
#include "proto/bundle.pb.h"
#include "proto/decision.pb.h"
#include "proto/request.pb.h"

namespace consent {

class CompiledPolicyImpl;
class EvalContext;

// Sizes of a compiled policy, for ListBundles and the benchmarks.
struct PolicyStats {
  int apps = 0;                 // app registrations
  int service_principals = 0;
  int resources = 0;            // resource APIs
  int scopes = 0;               // delegated scopes over all resources
  int grant_policies = 0;       // permission grant policies
  int ca_policies = 0;          // Conditional Access policies
  int named_locations = 0;
  size_t compiled_bytes = 0;    // approximate heap footprint
};

// An immutable, compiled policy bundle for one tenant. Thread-safe.
class CompiledPolicy {
 public:
  ~CompiledPolicy();
  CompiledPolicy(const CompiledPolicy&) = delete;
  CompiledPolicy& operator=(const CompiledPolicy&) = delete;

  const std::string& tenant_id() const;
  const std::string& version() const;
  PolicyStats stats() const;

  // Decides `request` (SPEC §3). Never fails: malformed requests yield INVALID
  // decisions with OAuth errors; exhausted limits and internal faults yield
  // UNAVAILABLE (fail closed), never a token.
  v1::Decision Evaluate(const v1::TokenRequest& request) const;
  void Evaluate(const v1::TokenRequest& request, v1::Decision* decision) const;

  // Allocation-free form: the result lives in `context` and stays valid until
  // the next evaluation with it, and while `request` and this policy live.
  // `context` may be reused across policies and requests, not across threads.
  const DecisionView& Evaluate(const v1::TokenRequest& request,
                               EvalContext* context) const;

  // SPEC §3.10: the grant changes to persist after an accepted prompt (R1,
  // R2) or an admin grant (R3). InvalidArgument for a malformed input;
  // PermissionDenied when R3's actor lacks authority; FailedPrecondition when
  // the request's decision offers no prompt to accept.
  absl::StatusOr<v1::RecordConsentResult> RecordConsent(
      const v1::RecordConsentRequest& request) const;

  // SPEC S4 with the format of `check.resource_app_id` (when set and
  // `check.challenge_format` is empty). InvalidArgument for bad input.
  absl::StatusOr<v1::ResourceAccessResult> CheckResourceAccess(
      const v1::ResourceAccessCheck& check) const;

  const CompiledPolicyImpl& impl() const { return *impl_; }

 private:
  friend class PolicyCompiler;
  explicit CompiledPolicy(std::unique_ptr<const CompiledPolicyImpl> impl);
  std::unique_ptr<const CompiledPolicyImpl> impl_;
};

// Reusable per-thread evaluation state (scratch buffers and the result).
// Not thread-safe; cheap to keep one per worker thread.
class EvalContext {
 public:
  EvalContext();
  ~EvalContext();
  EvalContext(const EvalContext&) = delete;
  EvalContext& operator=(const EvalContext&) = delete;

  class Scratch;
  Scratch& scratch() { return *scratch_; }
  // Fail-closed tests: the next evaluations fault at step `step` (1-6 of
  // SPEC 3.2) as if an internal error occurred; 0 turns it off.
  void InjectFaultForTesting(int step);
  DecisionView& result() { return result_; }

 private:
  std::unique_ptr<Scratch> scratch_;
  DecisionView result_;
};

// Compiles `bundle`. On any validation problem returns InvalidArgument whose
// message lists every problem as "field.path[i]: message with \"value\"".
absl::StatusOr<std::shared_ptr<const CompiledPolicy>> CompilePolicy(
    const v1::PolicyBundle& bundle, const EngineOptions& options = {});

// Like CompilePolicy, but returns the problems as a list (empty = valid),
// e.g. for `policyctl validate`.
std::vector<BundleProblem> ValidateBundle(const v1::PolicyBundle& bundle,
                                          const EngineOptions& options = {});

// Reads a bundle file: textproto (`.textproto`, `.txtpb`, `.pbtxt`) or
// protobuf JSON (`.json`), with its `imports` appended (recursively, relative
// to the importing file; cycles are errors). Parse errors name the file, line
// and column.
absl::StatusOr<v1::PolicyBundle> LoadBundleFile(const std::string& path,
                                                const EngineOptions& options = {});

// LoadBundleFile + CompilePolicy.
absl::StatusOr<std::shared_ptr<const CompiledPolicy>> CompilePolicyFile(
    const std::string& path, const EngineOptions& options = {});

// The decision as a proto (what the sidecar and policyctl return).
void DecisionViewToProto(const DecisionView& view, v1::Decision* out);

}  // namespace consent

#endif  // CONSENT_ENGINE_POLICY_ENGINE_H_
