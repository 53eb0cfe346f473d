#include "server/policy_service.h"

#include <algorithm>

#include <exception>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "absl/cleanup/cleanup.h"
#include "engine/policy_engine.h"
#include "server/decision_wire.h"
#include "server/logger.h"
#include "server/request_decoder.h"

namespace consent {
namespace server {
namespace {

// One per gRPC thread; rebuilt after an exception left it in doubt.
thread_local std::unique_ptr<EvalContext> tl_context;

// Field numbers of proto/service.proto's answers (the raw handlers encode
// them; policyd_test parses them back with the generated classes).
constexpr int kEvaluateResponseDecision = 1;
constexpr int kEvaluateResponseBundleVersion = 2;
constexpr int kEvaluateResponseBundleHash = 3;
constexpr int kBatchResponseResults = 1;
constexpr int kBatchItemCode = 1;
constexpr int kBatchItemMessage = 2;
constexpr int kBatchItemDecision = 3;
constexpr int kBatchItemBundleVersion = 4;
constexpr int kBatchItemBundleHash = 5;

// OAuth error descriptions may hold only %x20-21 / %x23-5B / %x5D-7E
// (RFC 6749 A.8, SPEC 3.1): anything else in an echoed value becomes '?'.
std::string DescriptionSafe(absl::string_view text, size_t max_bytes = 256) {
  std::string out;
  for (char ch : text.substr(0, max_bytes)) {
    const unsigned char c = static_cast<unsigned char>(ch);
    const bool ok = c >= 0x20 && c <= 0x7e && c != '"' && c != '\\';
    out += ok ? ch : '?';
  }
  if (text.size() > max_bytes) out += "...";
  return out;
}

grpc::Status ToGrpc(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(static_cast<int>(status.code())),
                      std::string(status.message()));
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

// Noop's arena sizes (server/message_arena.h): one request and its answer,
// a few KiB in memory on the large synthetic tenant; first blocks of 16-64
// KiB, at most 128 idle holders (≤ 8 MiB held).
ArenaAllocatorOptions SingleCallArena() {
  ArenaAllocatorOptions o;
  o.initial_block_bytes = 16 << 10;
  o.max_block_bytes = 64 << 10;
  o.max_pooled = 128;
  return o;
}

// Empties the explanation's inputs in the engine's result, so that
// DecisionViewToProto does not copy what omit_explanation drops anyway (the
// caller clears `explanation` after the conversion, which is what decides).
// The view is the context's own result, rebuilt by the next evaluation.
void DropExplanationInputs(DecisionView* view) {
  view->rules.clear();
  view->grant_policies.clear();
  view->grants.clear();
  view->dropped_resources.clear();
  view->deferred_policies.clear();
  view->skipped_static_entries.clear();
  view->unmet_controls.clear();
  view->condition_sets.clear();
  view->notes.clear();
}

}  // namespace

void UnknownTenantDecision(absl::string_view tenant, v1::Decision* decision) {
  decision->Clear();
  decision->set_outcome(v1::INVALID);
  decision->set_error("invalid_request");
  decision->set_error_code(90002);
  decision->set_error_description(
      tenant.empty() ? std::string("AADSTS90002: the request names no tenant")
                     : absl::StrCat("AADSTS90002: tenant '", DescriptionSafe(tenant),
                                    "' is not served by this policyd"));
  decision->mutable_explanation()->add_rules("E1");
}

void UnavailableDecision(absl::string_view error, absl::string_view description,
                         v1::Decision* decision) {
  decision->Clear();
  decision->set_outcome(v1::UNAVAILABLE);
  decision->set_error(std::string(error));
  decision->set_error_description(DescriptionSafe(description));
}

PolicyServiceImpl::PolicyServiceImpl(PolicyServiceOptions options, const SnapshotStore* store,
                                     const BundleManager* bundles, DecisionLog* decision_log)
    : options_(std::move(options)),
      store_(store),
      bundles_(bundles),
      decision_log_(decision_log),
      noop_allocator_(SingleCallArena()) {
  // Noop, the load generator's baseline, gets its messages on recycled
  // arenas: gRPC's typed unary path at its cheapest.
  SetMessageAllocatorFor_Noop(&noop_allocator_);
}

bool PolicyServiceImpl::DeadlinePassed(const grpc::CallbackServerContext* context) const {
  const auto deadline = context->deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) return false;
  const auto now = options_.now ? options_.now() : std::chrono::system_clock::now();
  return now >= deadline;
}

grpc::Status PolicyServiceImpl::NotReady() const {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                      "policy bundles are still loading (health: NOT_SERVING); retry");
}

grpc::ServerUnaryReactor* PolicyServiceImpl::Finish(grpc::CallbackServerContext* context,
                                                    const grpc::Status& status) const {
  if (!status.ok()) rpc_errors_.fetch_add(1, std::memory_order_relaxed);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

void PolicyServiceImpl::Count(v1::Outcome outcome) const {
  const int i = static_cast<int>(outcome);
  if (i >= 0 && i < v1::Outcome_ARRAYSIZE) outcomes_[i].fetch_add(1, std::memory_order_relaxed);
}

std::array<uint64_t, v1::Outcome_ARRAYSIZE> PolicyServiceImpl::OutcomeCounts() const {
  std::array<uint64_t, v1::Outcome_ARRAYSIZE> out{};
  for (int i = 0; i < v1::Outcome_ARRAYSIZE; ++i) {
    out[i] = outcomes_[i].load(std::memory_order_relaxed);
  }
  return out;
}

void PolicyServiceImpl::Decide(const v1::TokenRequest& request, v1::Decision* decision,
                               std::shared_ptr<const PolicySnapshot>* snapshot,
                               bool omit_explanation) const {
  snapshot->reset();
  const bool loaded = bundles_->initial_scan_done();
  std::shared_ptr<const PolicySnapshot> snap = loaded ? store_->Get(request.tenant()) : nullptr;
  DecideOne(snap.get(), loaded, request, omit_explanation, /*want_proto=*/true, decision);
  if (snap != nullptr) *snapshot = std::move(snap);
}

PolicyServiceImpl::Answer PolicyServiceImpl::DecideOne(const PolicySnapshot* snap, bool loaded,
                                                       const v1::TokenRequest& request,
                                                       bool omit_explanation, bool want_proto,
                                                       v1::Decision* proto) const {
  Answer answer;
  if (!loaded) {
    UnavailableDecision("temporarily_unavailable",
                        "policy bundles are still loading; retry shortly", proto);
    answer.outcome = proto->outcome();
    return answer;
  }
  if (snap == nullptr) {
    UnknownTenantDecision(request.tenant(), proto);
    if (omit_explanation) proto->clear_explanation();
    answer.outcome = proto->outcome();
    return answer;
  }
  const DecisionView* view = nullptr;
  try {
    if (options_.before_evaluate_for_testing) options_.before_evaluate_for_testing(request);
    if (tl_context == nullptr) tl_context = std::make_unique<EvalContext>();
    view = &snap->policy->Evaluate(request, tl_context.get());
  } catch (const std::exception& e) {
    tl_context.reset();
    view = nullptr;
    LogError("evaluate: internal fault tenant=", snap->tenant_id, " version=", snap->version,
             ": ", e.what(), " -- answered UNAVAILABLE/server_error");
  } catch (...) {
    tl_context.reset();
    view = nullptr;
    LogError("evaluate: internal fault tenant=", snap->tenant_id, " version=", snap->version,
             ": unknown exception -- answered UNAVAILABLE/server_error");
  }
  if (view == nullptr) {
    UnavailableDecision("server_error", "internal error while evaluating the request", proto);
    answer.outcome = proto->outcome();
    return answer;
  }
  // Fail closed on a malformed answer: no outcome is no decision (SPEC 3.1).
  if (view->outcome == v1::OUTCOME_UNSPECIFIED || !v1::Outcome_IsValid(view->outcome)) {
    LogError("evaluate: engine returned no outcome tenant=", snap->tenant_id,
             " -- answered UNAVAILABLE/server_error");
    UnavailableDecision("server_error", "the engine returned no outcome", proto);
    answer.outcome = proto->outcome();
    return answer;
  }
  if (omit_explanation && view == &tl_context->result()) {
    DropExplanationInputs(&tl_context->result());
  }
  answer.outcome = view->outcome;
  if (!want_proto) {
    // Encoded from the view (server/decision_wire.h), which, like
    // DecisionViewToProto, writes a token only on ISSUE (SPEC 3.1).
    answer.view = view;
    return answer;
  }
  try {
    DecisionViewToProto(*view, proto);
  } catch (...) {
    LogError("evaluate: internal fault tenant=", snap->tenant_id, " version=", snap->version,
             ": converting the decision failed -- answered UNAVAILABLE/server_error");
    UnavailableDecision("server_error", "internal error while evaluating the request", proto);
    answer.outcome = proto->outcome();
    return answer;
  }
  // Only ISSUE may carry a token (SPEC 3.1).
  if (proto->outcome() != v1::ISSUE && proto->has_token()) proto->clear_token();
  if (omit_explanation) proto->clear_explanation();
  return answer;
}

void PolicyServiceImpl::LogDecision(absl::string_view rpc, int item,
                                    const v1::TokenRequest& request,
                                    const v1::Decision& decision,
                                    const PolicySnapshot* snapshot, absl::Time start) const {
  if (decision_log_ == nullptr) return;
  const absl::Time now = absl::Now();
  decision_log_->Enqueue(FormatDecisionLogLine(
      now, rpc, item, request, decision, snapshot != nullptr ? snapshot->version : "",
      snapshot != nullptr ? snapshot->hash : "", now - start));
}

namespace {

// The reused encoding buffer of a gRPC thread; a batch's answer can be large,
// so a buffer grown beyond this is given back after use.
constexpr size_t kKeptWireBytes = 1 << 20;
thread_local WireWriter tl_wire;

// The encoded answer as the call's response (one slice, one copy); empties
// the writer for the next call.
void SetResponse(WireWriter* wire, grpc::ByteBuffer* response) {
  const absl::string_view bytes = wire->bytes();
  grpc::Slice slice(bytes.data(), bytes.size());
  grpc::ByteBuffer buffer(&slice, 1);
  response->Swap(&buffer);
  wire->Clear();
  wire->Shrink(kKeptWireBytes);
}


// What a gRPC thread keeps between Evaluate and BatchEvaluate calls: the
// decoder whose messages the requests are parsed into (reused: see
// server/request_decoder.h) and the Decision message for answers not
// encoded from an engine view (unknown tenant, faults, the decision log).
struct CallScratch {
  RequestDecoder decoder;
  v1::Decision decision;
};
thread_local CallScratch tl_scratch;

}  // namespace

grpc::ServerUnaryReactor* PolicyServiceImpl::Evaluate(grpc::CallbackServerContext* context,
                                                      const grpc::ByteBuffer* request_bytes,
                                                      grpc::ByteBuffer* response_bytes) {
  const absl::Time start = decision_log_ != nullptr ? absl::Now() : absl::InfinitePast();
  if (DeadlinePassed(context)) {
    return Finish(context, grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                                        "deadline exceeded before evaluation"));
  }
  RequestDecoder& decoder = tl_scratch.decoder;
  const absl::Cleanup trim = [&decoder] { decoder.Trim(); };
  if (!decoder.DecodeEvaluate(*request_bytes)) {
    return Finish(context, grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                        "request: not a valid consent.v1.EvaluateRequest"));
  }
  const v1::TokenRequest& request = decoder.request();
  const bool omit_explanation = decoder.omit_explanation();
  const bool loaded = bundles_->initial_scan_done();
  std::shared_ptr<const PolicySnapshot> snapshot =
      loaded ? store_->Get(request.tenant()) : nullptr;
  v1::Decision* proto = &tl_scratch.decision;
  const Answer answer = DecideOne(snapshot.get(), loaded, request, omit_explanation,
                                  decision_log_ != nullptr, proto);
  WireWriter& w = tl_wire;
  w.Clear();  // in case an exception left bytes behind
  if (answer.view != nullptr) {
    AppendDecision(kEvaluateResponseDecision, *answer.view, omit_explanation, &w);
  } else {
    w.Message(kEvaluateResponseDecision, *proto);
  }
  if (snapshot != nullptr) {
    w.String(kEvaluateResponseBundleVersion, snapshot->version);
    w.String(kEvaluateResponseBundleHash, snapshot->hash);
  }
  SetResponse(&w, response_bytes);
  Count(answer.outcome);
  if (decision_log_ != nullptr) {
    LogDecision("Evaluate", -1, request, *proto, snapshot.get(), start);
  }
  return Finish(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* PolicyServiceImpl::BatchEvaluate(grpc::CallbackServerContext* context,
                                                           const grpc::ByteBuffer* request_bytes,
                                                           grpc::ByteBuffer* response_bytes) {
  const absl::Time start = decision_log_ != nullptr ? absl::Now() : absl::InfinitePast();
  if (DeadlinePassed(context)) {
    return Finish(context, grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                                        "deadline exceeded before evaluation"));
  }
  RequestDecoder& decoder = tl_scratch.decoder;
  const absl::Cleanup trim = [&decoder] { decoder.Trim(); };
  if (!decoder.DecodeBatch(*request_bytes, options_.max_batch_size)) {
    return Finish(context, grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                        "request: not a valid consent.v1.BatchEvaluateRequest"));
  }
  const size_t n = decoder.batch_size();
  if (n > options_.max_batch_size) {
    return Finish(context,
                  grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                               absl::StrCat("requests: a batch of ", n,
                                            " requests exceeds --max_batch_size=",
                                            options_.max_batch_size)));
  }
  const bool omit_explanation = decoder.omit_explanation();
  const bool loaded = bundles_->initial_scan_done();
  const bool want_proto = decision_log_ != nullptr;
  // One Decision message for the items that need one; each such item's
  // bytes are written before the next item reuses it.
  v1::Decision* proto = &tl_scratch.decision;
  // One snapshot look-up per run of items naming the same tenant (byte for
  // byte; other spellings look up again): a batch usually serves one tenant.
  // Each item still reports the snapshot that decided it.
  std::shared_ptr<const PolicySnapshot> snapshot;
  const std::string* snapshot_tenant = nullptr;
  std::array<uint64_t, v1::Outcome_ARRAYSIZE> counts{};
  WireWriter& w = tl_wire;
  w.Clear();  // in case an exception left bytes behind
  for (size_t i = 0; i < n; ++i) {
    const size_t item = w.Begin(kBatchResponseResults);
    // Items are independent: once the deadline passes, the rest are reported
    // as such instead of being evaluated for nobody.
    if (DeadlinePassed(context)) {
      w.Int32(kBatchItemCode, static_cast<int>(grpc::StatusCode::DEADLINE_EXCEEDED));
      w.String(kBatchItemMessage,
               absl::StrCat("requests[", i, "]: deadline exceeded before evaluation"));
      w.End(item);
      continue;
    }
    const v1::TokenRequest& one = decoder.item(i);
    if (loaded && (snapshot_tenant == nullptr || *snapshot_tenant != one.tenant())) {
      snapshot = store_->Get(one.tenant());
      snapshot_tenant = &one.tenant();
    }
    const PolicySnapshot* decided_by = loaded ? snapshot.get() : nullptr;
    const Answer answer =
        DecideOne(decided_by, loaded, one, omit_explanation, want_proto, proto);
    if (answer.view != nullptr) {
      AppendDecision(kBatchItemDecision, *answer.view, omit_explanation, &w);
    } else {
      w.Message(kBatchItemDecision, *proto);
    }
    if (decided_by != nullptr) {
      w.String(kBatchItemBundleVersion, decided_by->version);
      w.String(kBatchItemBundleHash, decided_by->hash);
    }
    w.End(item);
    const int outcome = static_cast<int>(answer.outcome);
    if (outcome >= 0 && outcome < v1::Outcome_ARRAYSIZE) ++counts[outcome];
    if (want_proto) {
      LogDecision("BatchEvaluate", static_cast<int>(i), one, *proto, decided_by, start);
    }
  }
  SetResponse(&w, response_bytes);
  for (int i = 0; i < v1::Outcome_ARRAYSIZE; ++i) {
    if (counts[i] != 0) outcomes_[i].fetch_add(counts[i], std::memory_order_relaxed);
  }
  return Finish(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* PolicyServiceImpl::CheckResourceAccess(
    grpc::CallbackServerContext* context, const v1::CheckResourceAccessRequest* request,
    v1::CheckResourceAccessResponse* response) {
  if (DeadlinePassed(context)) {
    return Finish(context, grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                                        "deadline exceeded before evaluation"));
  }
  if (!bundles_->initial_scan_done()) return Finish(context, NotReady());
  const v1::ResourceAccessCheck& check = request->check();
  std::shared_ptr<const PolicySnapshot> snap = store_->Get(check.tenant());
  if (snap == nullptr) {
    return Finish(context, grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                        absl::StrCat("check.tenant: unknown tenant \"",
                                                     OneLine(check.tenant()),
                                                     "\" (SPEC E1, AADSTS90002)")));
  }
  try {
    absl::StatusOr<v1::ResourceAccessResult> result = snap->policy->CheckResourceAccess(check);
    if (!result.ok()) return Finish(context, ToGrpc(result.status()));
    *response->mutable_result() = *std::move(result);
  } catch (const std::exception& e) {
    LogError("check_resource_access: internal fault tenant=", snap->tenant_id, ": ", e.what());
    response->Clear();
    return Finish(context, grpc::Status(grpc::StatusCode::INTERNAL,
                                        "internal error while checking resource access"));
  } catch (...) {
    LogError("check_resource_access: internal fault tenant=", snap->tenant_id);
    response->Clear();
    return Finish(context, grpc::Status(grpc::StatusCode::INTERNAL,
                                        "internal error while checking resource access"));
  }
  return Finish(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* PolicyServiceImpl::RecordConsent(
    grpc::CallbackServerContext* context, const v1::RecordConsentRpcRequest* request,
    v1::RecordConsentResponse* response) {
  if (DeadlinePassed(context)) {
    return Finish(context, grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                                        "deadline exceeded before evaluation"));
  }
  if (!bundles_->initial_scan_done()) return Finish(context, NotReady());
  // The tenant travels in the embedded token request for every kind (R3
  // included: only its `tenant` need be set).
  const std::string& tenant = request->request().request().tenant();
  std::shared_ptr<const PolicySnapshot> snap = store_->Get(tenant);
  if (snap == nullptr) {
    return Finish(context, grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                        absl::StrCat("request.request.tenant: unknown tenant \"",
                                                     OneLine(tenant),
                                                     "\" (SPEC E1, AADSTS90002)")));
  }
  try {
    absl::StatusOr<v1::RecordConsentResult> result =
        snap->policy->RecordConsent(request->request());
    if (!result.ok()) return Finish(context, ToGrpc(result.status()));
    *response->mutable_result() = *std::move(result);
  } catch (const std::exception& e) {
    LogError("record_consent: internal fault tenant=", snap->tenant_id, ": ", e.what());
    response->Clear();
    return Finish(context, grpc::Status(grpc::StatusCode::INTERNAL,
                                        "internal error while recording consent"));
  } catch (...) {
    LogError("record_consent: internal fault tenant=", snap->tenant_id);
    response->Clear();
    return Finish(context, grpc::Status(grpc::StatusCode::INTERNAL,
                                        "internal error while recording consent"));
  }
  return Finish(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* PolicyServiceImpl::ListBundles(grpc::CallbackServerContext* context,
                                                         const v1::ListBundlesRequest*,
                                                         v1::ListBundlesResponse* response) {
  if (decision_log_ != nullptr) {
    response->set_decision_log_enabled(true);
    response->set_decision_log_dropped(decision_log_->dropped());
  }
  for (const BundleFileStatus& file : bundles_->Files()) {
    if (file.serving == nullptr) {
      response->add_rejected_files(file.path);
      continue;
    }
    const PolicySnapshot& s = *file.serving;
    v1::BundleInfo* info = response->add_bundles();
    info->set_tenant_id(s.tenant_id);
    info->set_version(s.version);
    info->set_hash(s.hash);
    info->set_path(s.path);
    info->set_loaded_at(Rfc3339(s.loaded_at));
    const PolicyStats stats = s.policy->stats();
    info->set_app_count(stats.apps);
    info->set_api_count(stats.resources);
    info->set_ca_policy_count(stats.ca_policies);
    info->set_grant_policy_count(stats.grant_policies);
    if (!file.last_error.empty()) {
      info->set_last_reload_error(file.last_error);
      info->set_last_reload_error_at(Rfc3339(file.last_error_at));
    }
  }
  return Finish(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* PolicyServiceImpl::Noop(grpc::CallbackServerContext* context,
                                                  const v1::EvaluateRequest* request,
                                                  v1::EvaluateResponse* response) {
  // The load generator's transport baseline: no lookup, no engine work; the
  // response is padded to the size the caller asks for, so that the
  // baseline moves the same message sizes as Evaluate (issue 7).
  const int64_t limit = std::max<int64_t>(0, int64_t{options_.max_message_bytes} - 64);
  const int64_t pad = std::min<int64_t>(std::max(request->noop_response_bytes(), 0), limit);
  if (pad > 0) response->mutable_bundle_hash()->assign(static_cast<size_t>(pad), '0');
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace server
}  // namespace consent
