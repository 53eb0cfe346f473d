// PolicyServiceImpl: consent.v1.PolicyService on gRPC's callback (reactor)
// API. It only translates gRPC <-> engine: each handler looks up the tenant's
// current snapshot, evaluates inline (a thread_local EvalContext, no locks
// held while evaluating) and finishes the call before returning; nothing
// blocks in a handler.
//
// The hot path (issue 7): Evaluate and BatchEvaluate are raw callback
// methods. Their requests are parsed onto pooled arenas
// (server/message_arena.h) and their answers are encoded straight from the
// engine's DecisionView (server/decision_wire.h), the same bytes as the
// typed Decision would serialize to, without building it. Decisions that do
// not come from the engine (unknown tenant, not loaded, faults), and every
// decision while the decision log is on, go through a Decision message as
// before. Noop, the load generator's baseline, stays typed, its messages on
// the same kind of arena.
//
// Error channels (proto/service.proto):
//  - Evaluate/BatchEvaluate answer with Decisions. An unknown tenant is an
//    INVALID decision with SPEC E1's error (invalid_request, 90002); before
//    the first load has finished, and on any internal fault, the decision is
//    UNAVAILABLE (temporarily_unavailable / server_error) -- never ISSUE.
//  - RPC status codes are for transport-level problems: DEADLINE_EXCEEDED
//    (deadline already passed), INVALID_ARGUMENT (batch larger than
//    --max_batch_size, request bytes of Evaluate/BatchEvaluate that do not
//    parse, or bad input to RecordConsent/CheckResourceAccess),
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
#include "engine/decision_view.h"
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

class PolicyServiceImpl final
    : public v1::PolicyService::WithRawCallbackMethod_Evaluate<
          v1::PolicyService::WithRawCallbackMethod_BatchEvaluate<
              v1::PolicyService::CallbackService>> {
 public:
  // `store` and `bundles` must outlive the service; `decision_log` may be
  // null (no decision log) and must outlive it otherwise.
  PolicyServiceImpl(PolicyServiceOptions options, const SnapshotStore* store,
                    const BundleManager* bundles, DecisionLog* decision_log);

  // Raw: the request is a serialized EvaluateRequest, the response a
  // serialized EvaluateResponse (a request that does not parse is
  // INVALID_ARGUMENT).
  grpc::ServerUnaryReactor* Evaluate(grpc::CallbackServerContext* context,
                                     const grpc::ByteBuffer* request,
                                     grpc::ByteBuffer* response) override;
  // Raw: BatchEvaluateRequest -> BatchEvaluateResponse.
  grpc::ServerUnaryReactor* BatchEvaluate(grpc::CallbackServerContext* context,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* response) override;
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

  // Noop's arena allocator (server/message_arena.h), for the in-process
  // profile driver (bench/sidecar_driver.cc), which plays gRPC's part.
  grpc::MessageAllocator<v1::EvaluateRequest, v1::EvaluateResponse>* noop_allocator() {
    return &noop_allocator_;
  }

  // Decisions by outcome (index = v1::Outcome value), for the stats line.
  std::array<uint64_t, v1::Outcome_ARRAYSIZE> OutcomeCounts() const;
  uint64_t rpc_errors() const { return rpc_errors_.load(std::memory_order_relaxed); }

 private:
  bool DeadlinePassed(const grpc::CallbackServerContext* context) const;
  // One decision, for the raw handlers: the engine's view when the answer
  // can be encoded from it, else `proto` holds the decision.
  struct Answer {
    const DecisionView* view = nullptr;  // null: see `proto`
    v1::Outcome outcome = v1::OUTCOME_UNSPECIFIED;
  };
  // Decides `request` with `snap` (null: no bundle serves the tenant; `loaded`
  // false: before the first load). `want_proto`: always fill `proto` (the
  // decision log needs the message).
  Answer DecideOne(const PolicySnapshot* snap, bool loaded, const v1::TokenRequest& request,
                   bool omit_explanation, bool want_proto, v1::Decision* proto) const;
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
  // Noop's messages, on pooled arenas (gRPC's, through
  // SetMessageAllocatorFor_Noop). Evaluate and BatchEvaluate decode into
  // per-thread reused messages instead (server/request_decoder.h). The
  // server must have stopped calling before this goes.
  ArenaMessageAllocator<v1::EvaluateRequest, v1::EvaluateResponse> noop_allocator_;
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
