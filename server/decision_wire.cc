#include "server/decision_wire.h"

#include <algorithm>
#include <utility>

#include "proto/decision.pb.h"

namespace consent {
namespace server {
namespace {

// Field numbers of proto/decision.proto (decision_wire_test checks them
// against the descriptors).
namespace decision {
constexpr int kOutcome = 1, kError = 2, kErrorCode = 3, kSuberror = 4, kReason = 5,
              kErrorDescription = 6, kToken = 7, kPrompt = 8,
              kAdminConsentRequestAvailable = 9, kStepUp = 10, kBlockingPolicies = 11,
              kAppliedPolicies = 12, kReportOnly = 13, kExplanation = 14;
}  // namespace decision
namespace token {
constexpr int kAud = 1, kScp = 2, kRoles = 3, kAcrs = 4, kIdToken = 5, kRefreshToken = 6,
              kAuthTime = 7, kXmsCc = 8;
}  // namespace token
namespace prompt {
constexpr int kScopes = 1, kOrgWideOption = 2;
}  // namespace prompt
namespace step_up {
constexpr int kRequired = 1, kRequiredAny = 2, kClaims = 3, kRfc9470Challenge = 4,
              kMiddleTierChallenge = 5;
constexpr int kAlternativesItems = 1;
}  // namespace step_up
namespace report_only {
constexpr int kId = 1, kResult = 2;
}  // namespace report_only
namespace explanation {
constexpr int kRules = 1, kNotes = 2, kGrantPolicies = 3, kGrants = 4, kDroppedResources = 5,
              kDeferredPolicies = 6, kSkippedStaticEntries = 7, kUnmetControls = 8,
              kConditionSets = 9;
}  // namespace explanation

template <typename Views>
void Elements(int field, const Views& views, WireWriter* w) {
  for (absl::string_view v : views) w->Element(field, v);
}

size_t VarintSize(uint64_t value) {
  size_t n = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++n;
  }
  return n;
}

}  // namespace

void WireWriter::Grow(size_t extra) {
  const size_t capacity = std::max<size_t>({size_ + extra, capacity_ * 2, 1024});
  std::unique_ptr<char[]> data(new char[capacity]);
  if (size_ > 0) std::memcpy(data.get(), data_.get(), size_);
  data_ = std::move(data);
  capacity_ = capacity;
}

void WireWriter::JoinedElement(int field, std::initializer_list<absl::string_view> parts) {
  size_t size = 0;
  for (absl::string_view p : parts) size += p.size();
  Reserve(kMaxVarint * 2 + size);
  Tag(field, kLengthDelimited);
  Varint(size);
  for (absl::string_view p : parts) {
    if (!p.empty()) std::memcpy(data_.get() + size_, p.data(), p.size());
    size_ += p.size();
  }
}

void WireWriter::End(size_t mark) {
  const size_t length = size_ - mark;
  if (length < 0x80) {
    data_[mark - 1] = static_cast<char>(length);
    return;
  }
  // Longer than one length byte: widen the placeholder and move the body.
  const size_t width = VarintSize(length);
  Reserve(width - 1);
  char* body = data_.get() + mark;
  std::memmove(body + width - 1, body, length);
  size_ += width - 1;
  char* p = body - 1;
  uint64_t value = length;
  while (value >= 0x80) {
    *p++ = static_cast<char>(value | 0x80);
    value >>= 7;
  }
  *p = static_cast<char>(value);
}

void WireWriter::Message(int field, const google::protobuf::MessageLite& message) {
  const size_t size = message.ByteSizeLong();
  Reserve(kMaxVarint * 2 + size);
  Tag(field, kLengthDelimited);
  Varint(size);
  message.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(data_.get() + size_));
  size_ += size;
}

// Mirrors DecisionViewToProto (engine/policy_engine.cc) field by field, in
// field-number order.
void AppendDecision(int field, const DecisionView& d, bool omit_explanation, WireWriter* w) {
  const size_t mark = w->Begin(field);
  w->Int32(decision::kOutcome, d.outcome);
  w->String(decision::kError, d.error);
  w->Int32(decision::kErrorCode, d.error_code);
  w->String(decision::kSuberror, d.suberror);
  w->String(decision::kReason, d.reason);
  w->String(decision::kErrorDescription, d.error_description);
  if (d.outcome == v1::ISSUE) {
    const size_t t = w->Begin(decision::kToken);
    w->String(token::kAud, d.aud);
    Elements(token::kScp, d.scp, w);
    Elements(token::kRoles, d.roles, w);
    Elements(token::kAcrs, d.acrs, w);
    w->Bool(token::kIdToken, d.id_token);
    w->Bool(token::kRefreshToken, d.refresh_token);
    w->String(token::kAuthTime, d.auth_time);
    Elements(token::kXmsCc, d.xms_cc, w);
    w->End(t);
  }
  if (d.outcome == v1::CONSENT_PROMPT_USER || d.outcome == v1::CONSENT_PROMPT_ADMIN) {
    const size_t p = w->Begin(decision::kPrompt);
    Elements(prompt::kScopes, d.prompt_scopes, w);
    w->Bool(prompt::kOrgWideOption, d.org_wide_option);
    w->End(p);
  }
  w->Bool(decision::kAdminConsentRequestAvailable, d.admin_consent_request_available);
  if (d.outcome == v1::STEP_UP_REQUIRED) {
    const size_t s = w->Begin(decision::kStepUp);
    Elements(step_up::kRequired, d.required, w);
    for (size_t i = 0; i < d.required_any_size; ++i) {
      const size_t a = w->Begin(step_up::kRequiredAny);
      Elements(step_up::kAlternativesItems, d.required_any[i], w);
      w->End(a);
    }
    w->String(step_up::kClaims, d.claims);
    w->String(step_up::kRfc9470Challenge, d.rfc9470_challenge);
    w->String(step_up::kMiddleTierChallenge, d.middle_tier_challenge);
    w->End(s);
  }
  Elements(decision::kBlockingPolicies, d.blocking_policies, w);
  Elements(decision::kAppliedPolicies, d.applied_policies, w);
  for (const auto& [id, result] : d.report_only) {
    const size_t r = w->Begin(decision::kReportOnly);
    w->String(report_only::kId, id);
    w->String(report_only::kResult, result);
    w->End(r);
  }
  if (!omit_explanation) {
    const size_t e = w->Begin(decision::kExplanation);
    Elements(explanation::kRules, d.rules, w);
    // The notes: the engine's, then those DecisionViewToProto derives (same
    // texts, same order).
    Elements(explanation::kNotes, d.notes, w);
    if (!d.reason.empty()) w->JoinedElement(explanation::kNotes, {"N5c reason: ", d.reason});
    for (absl::string_view r : d.dropped_resources) {
      w->JoinedElement(explanation::kNotes, {"P7: refresh dropped resource ", r});
    }
    for (absl::string_view p : d.deferred_policies) {
      w->JoinedElement(explanation::kNotes, {"C5: sign-in frequency of ", p,
                                             " deferred to the next interactive sign-in"});
    }
    for (absl::string_view s : d.skipped_static_entries) {
      w->JoinedElement(explanation::kNotes,
                       {"N2: static entry ", s, " skipped (no usable resource or scope)"});
    }
    Elements(explanation::kGrantPolicies, d.grant_policies, w);
    Elements(explanation::kGrants, d.grants, w);
    Elements(explanation::kDroppedResources, d.dropped_resources, w);
    Elements(explanation::kDeferredPolicies, d.deferred_policies, w);
    Elements(explanation::kSkippedStaticEntries, d.skipped_static_entries, w);
    Elements(explanation::kUnmetControls, d.unmet_controls, w);
    Elements(explanation::kConditionSets, d.condition_sets, w);
    w->End(e);
  }
  w->End(mark);
}

std::string EncodeDecision(const DecisionView& view, bool omit_explanation) {
  WireWriter w;
  AppendDecision(1, view, omit_explanation, &w);
  const std::string out(w.bytes());
  // Drop the enclosing field's tag and length.
  size_t skip = 1;  // tag of field 1
  while (static_cast<unsigned char>(out[skip]) & 0x80) ++skip;
  return out.substr(skip + 1);
}

}  // namespace server
}  // namespace consent
