// PolicyServiceImpl: consent.v1.PolicyService on gRPC's callback (reactor)
// API. It only translates gRPC <-> engine: each handler looks up the tenant's
// current snapshot, evaluates inline (a thread_local EvalContext, no locks
// held while evaluating) and finishes the call before returning; nothing
// blocks in a handler.
//
// Error channels (proto/service.proto):
//  - Evaluate/BatchEvaluate answer with Decisions. An unknown tenant is an
//    INVALID decision with SPEC E1's error (invalid_request, 90002); before
//    the first load has finished, and on any internal fault, the decision is
//    UNAVAILABLE (temporarily_unavailable / server_error) -- never ISSUE.
//  - RPC status codes are for transport-level problems: DEADLINE_EXCEEDED
//    (deadline already passed), INVALID_ARGUMENT (batch larger than
//    --max_batch_size, or bad input to RecordConsent/CheckResourceAccess),
//    RESOURCE_EXHAUSTED (message size, enforced by gRPC), UNAVAILABLE
//    (not loaded yet, shutting down).
//
// Thread-safety: handlers run concurrently on gRPC's threads.
#ifndef CONSENT_SERVER_POLICY_SERVICE_H_
#define CONSENT_SERVER_POLICY_SERVICE_H_

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "engine/snapshot/snapshot_store.h"
#include "proto/service.grpc.pb.h"
#include "server/bundle_manager.h"
#include "server/decision_log.h"
#include "server/message_arena.h"

namespace consent {
namespace server {

struct PolicyServiceOptions {
  // Requests per BatchEvaluate.
  size_t max_batch_size = 1000;
  // The server's largest message; bounds Noop's padding.
  int max_message_bytes = 4 << 20;
  // Clock for deadline checks; null = std::chrono::system_clock::now. Tests
  // substitute a fake.
  std::function<std::chrono::system_clock::time_point()> now;
  // Test hook: runs inside the evaluation's fault barrier, before the engine
  // (a test throws from it to check that faults fail closed). Null in
  // production.
  std::function<void(const v1::TokenRequest&)> before_evaluate_for_testing;
};

class PolicyServiceImpl final : public v1::PolicyService::CallbackService {
 public:
  // `store` and `bundles` must outlive the service; `decision_log` may be
  // null (no decision log) and must outlive it otherwise.
  PolicyServiceImpl(PolicyServiceOptions options, const SnapshotStore* store,
                    const BundleManager* bundles, DecisionLog* decision_log);

  grpc::ServerUnaryReactor* Evaluate(grpc::CallbackServerContext* context,
                                     const v1::EvaluateRequest* request,
                                     v1::EvaluateResponse* response) override;
  grpc::ServerUnaryReactor* BatchEvaluate(grpc::CallbackServerContext* context,
                                          const v1::BatchEvaluateRequest* request,
                                          v1::BatchEvaluateResponse* response) override;
  grpc::ServerUnaryReactor* CheckResourceAccess(
      grpc::CallbackServerContext* context, const v1::CheckResourceAccessRequest* request,
      v1::CheckResourceAccessResponse* response) override;
  grpc::ServerUnaryReactor* RecordConsent(grpc::CallbackServerContext* context,
                                          const v1::RecordConsentRpcRequest* request,
                                          v1::RecordConsentResponse* response) override;
  grpc::ServerUnaryReactor* ListBundles(grpc::CallbackServerContext* context,
                                        const v1::ListBundlesRequest* request,
                                        v1::ListBundlesResponse* response) override;
  grpc::ServerUnaryReactor* Noop(grpc::CallbackServerContext* context,
                                 const v1::EvaluateRequest* request,
                                 v1::EvaluateResponse* response) override;

  // Decides one request against the current snapshot (the core of Evaluate
  // and of each BatchEvaluate item). Never fails: see the file comment.
  // `snapshot` receives the snapshot that decided (null if none did).
  // `omit_explanation`: leave `decision->explanation` unset
  // (EvaluateRequest.omit_explanation).
  void Decide(const v1::TokenRequest& request, v1::Decision* decision,
              std::shared_ptr<const PolicySnapshot>* snapshot,
              bool omit_explanation = false) const;

  // The arena allocators of the hot RPCs (server/message_arena.h), for
  // tests and the in-process profile driver (bench/sidecar_driver.cc).
  grpc::MessageAllocator<v1::EvaluateRequest, v1::EvaluateResponse>* evaluate_allocator() {
    return &evaluate_allocator_;
  }
  grpc::MessageAllocator<v1::EvaluateRequest, v1::EvaluateResponse>* noop_allocator() {
    return &noop_allocator_;
  }
  grpc::MessageAllocator<v1::BatchEvaluateRequest, v1::BatchEvaluateResponse>*
  batch_evaluate_allocator() {
    return &batch_allocator_;
  }
  ArenaAllocatorStats evaluate_arena_stats() const { return evaluate_allocator_.stats(); }
  ArenaAllocatorStats batch_arena_stats() const { return batch_allocator_.stats(); }

  // Decisions by outcome (index = v1::Outcome value), for the stats line.
  std::array<uint64_t, v1::Outcome_ARRAYSIZE> OutcomeCounts() const;
  uint64_t rpc_errors() const { return rpc_errors_.load(std::memory_order_relaxed); }

 private:
  bool DeadlinePassed(const grpc::CallbackServerContext* context) const;
  // Decide's core with the tenant's snapshot already looked up (null: no
  // bundle serves the tenant).
  void DecideWith(const PolicySnapshot* snap, const v1::TokenRequest& request,
                  bool omit_explanation, v1::Decision* decision) const;
  grpc::Status NotReady() const;
  void Count(v1::Outcome outcome) const;
  void LogDecision(absl::string_view rpc, int item, const v1::TokenRequest& request,
                   const v1::Decision& decision, const PolicySnapshot* snapshot,
                   absl::Time start) const;
  grpc::ServerUnaryReactor* Finish(grpc::CallbackServerContext* context,
                                   const grpc::Status& status) const;

  const PolicyServiceOptions options_;
  const SnapshotStore* const store_;
  const BundleManager* const bundles_;
  DecisionLog* const decision_log_;
  mutable std::array<std::atomic<uint64_t>, v1::Outcome_ARRAYSIZE> outcomes_{};
  mutable std::atomic<uint64_t> rpc_errors_{0};
  // Declared last: destroyed first, after the server has stopped calling.
  ArenaMessageAllocator<v1::EvaluateRequest, v1::EvaluateResponse> evaluate_allocator_;
  ArenaMessageAllocator<v1::EvaluateRequest, v1::EvaluateResponse> noop_allocator_;
  ArenaMessageAllocator<v1::BatchEvaluateRequest, v1::BatchEvaluateResponse> batch_allocator_;
};

// SPEC E1's decision for a tenant no bundle serves.
void UnknownTenantDecision(absl::string_view tenant, v1::Decision* decision);
// A fail-closed refusal: outcome UNAVAILABLE with `error`
// ("temporarily_unavailable" or "server_error").
void UnavailableDecision(absl::string_view error, absl::string_view description,
                         v1::Decision* decision);

}  // namespace server
}  // namespace consent

#endif  // CONSENT_SERVER_POLICY_SERVICE_H_
