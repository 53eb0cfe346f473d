#include "server/request_decoder.h"

#include <climits>
#include <cstdint>
#include <utility>

#include "google/protobuf/io/coded_stream.h"

namespace consent {
namespace server {
namespace {

// Protobuf wire types (the low three bits of a tag).
constexpr int kVarint = 0;
constexpr int kFixed64 = 1;
constexpr int kLengthDelimited = 2;
constexpr int kFixed32 = 5;
constexpr uint64_t kMaxFieldNumber = (uint64_t{1} << 29) - 1;

// Field numbers the fast path reads (proto/request.proto, proto/service.proto).
constexpr uint32_t kTokenRequestUser = 8;
constexpr uint32_t kTokenRequestAssertion = 9;
constexpr uint32_t kTokenRequestSession = 16;
constexpr uint32_t kAssertionSession = 7;
constexpr uint32_t kSessionDevice = 2;
constexpr uint32_t kEvaluateRequestRequest = 1;
constexpr uint32_t kEvaluateRequestNoopResponseBytes = 2;
constexpr uint32_t kEvaluateRequestOmitExplanation = 3;
constexpr uint32_t kBatchRequestRequests = 1;
constexpr uint32_t kBatchRequestOmitExplanation = 2;

bool ReadVarint(const char** p, const char* end, uint64_t* value) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*p == end) return false;
    const uint8_t b = static_cast<uint8_t>(*(*p)++);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *value = v;
      return true;
    }
  }
  return false;  // more than ten bytes
}

// Calls visit(field, wire_type, payload, value) for each field of the
// message serialized in `wire`: `payload` holds a length-delimited field's
// bytes, `value` a varint's value. False when the bytes are not a plain
// sequence of fields (malformed, truncated, groups, field number 0 or out of
// range) or when `visit` returns false: protobuf then decides.
template <typename Visit>
bool ForEachField(absl::string_view wire, Visit visit) {
  const char* p = wire.data();
  const char* const end = p + wire.size();
  while (p < end) {
    uint64_t tag;
    if (!ReadVarint(&p, end, &tag)) return false;
    const uint64_t field = tag >> 3;
    const int wire_type = static_cast<int>(tag & 7);
    if (field == 0 || field > kMaxFieldNumber) return false;
    absl::string_view payload;
    uint64_t value = 0;
    switch (wire_type) {
      case kVarint:
        if (!ReadVarint(&p, end, &value)) return false;
        break;
      case kFixed64:
        if (end - p < 8) return false;
        p += 8;
        break;
      case kFixed32:
        if (end - p < 4) return false;
        p += 4;
        break;
      case kLengthDelimited: {
        uint64_t size;
        if (!ReadVarint(&p, end, &size)) return false;
        if (size > static_cast<uint64_t>(end - p)) return false;
        payload = absl::string_view(p, static_cast<size_t>(size));
        p += size;
        break;
      }
      default:  // groups (deprecated) and invalid wire types
        return false;
    }
    if (!visit(static_cast<uint32_t>(field), wire_type, payload, value)) return false;
  }
  return true;
}

// Whether a Session's bytes carry a device; false (protobuf decides) when
// they are not plain.
bool ScanSession(absl::string_view wire, bool* device) {
  return ForEachField(wire, [device](uint32_t field, int wire_type, absl::string_view, uint64_t) {
    if (field != kSessionDevice) return true;
    *device = true;
    return wire_type == kLengthDelimited;
  });
}

// Whether an Assertion's bytes carry a session, and it a device.
bool ScanAssertion(absl::string_view wire, bool* session, bool* device) {
  return ForEachField(wire, [&](uint32_t field, int wire_type, absl::string_view payload,
                                uint64_t) {
    if (field != kAssertionSession) return true;
    *session = true;
    return wire_type == kLengthDelimited && ScanSession(payload, device);
  });
}

// A kept sub-message, cleared, or a new one.
template <typename M>
M* Take(std::unique_ptr<M>* kept) {
  if (*kept == nullptr) return new M();
  (*kept)->Clear();
  return kept->release();
}

}  // namespace

void TokenRequestSlot::KeptSession::Park(v1::Session* s) {
  if (s->has_device()) device.reset(s->release_device());
  session.reset(s);
}

v1::Session* TokenRequestSlot::KeptSession::Take(bool with_device) {
  v1::Session* s = server::Take(&session);  // cleared: its device was parked
  if (with_device) s->set_allocated_device(server::Take(&device));
  return s;
}

void TokenRequestSlot::Recycle() {
  if (message_.has_user()) user_.reset(message_.release_user());
  if (message_.has_assertion()) {
    v1::Assertion* assertion = message_.release_assertion();
    if (assertion->has_session()) assertion_session_.Park(assertion->release_session());
    assertion_.reset(assertion);
  }
  if (message_.has_session()) session_.Park(message_.release_session());
  message_.Clear();  // no sub-message is attached: nothing is deleted
}

void TokenRequestSlot::Reset() {
  v1::TokenRequest fresh;
  message_.Swap(&fresh);
  user_.reset();
  assertion_.reset();
  assertion_session_ = KeptSession();
  session_ = KeptSession();
  last_wire_bytes_ = 0;
}

bool TokenRequestSlot::ParseWithProtobuf(absl::string_view wire) {
  return wire.size() <= static_cast<size_t>(INT_MAX) &&
         message_.ParseFromArray(wire.data(), static_cast<int>(wire.size()));
}

bool TokenRequestSlot::Parse(absl::string_view wire) {
  if (last_wire_bytes_ > kRetainedBytes) Reset();
  last_wire_bytes_ = wire.size();
  Recycle();
  bool user = false, assertion = false, assertion_session = false, assertion_device = false,
       session = false, session_device = false;
  const bool plain = wire.size() <= static_cast<size_t>(INT_MAX) &&
      ForEachField(wire, [&](uint32_t field, int wire_type, absl::string_view payload,
                             uint64_t) {
        switch (field) {
          case kTokenRequestUser:
            user = true;
            return wire_type == kLengthDelimited;
          case kTokenRequestAssertion:
            assertion = true;
            return wire_type == kLengthDelimited &&
                   ScanAssertion(payload, &assertion_session, &assertion_device);
          case kTokenRequestSession:
            session = true;
            return wire_type == kLengthDelimited && ScanSession(payload, &session_device);
          default:
            return true;
        }
      });
  if (!plain) return ParseWithProtobuf(wire);
  // Attach, cleared, the kept sub-messages the bytes carry; protobuf merges
  // into them as into new ones.
  if (user) message_.set_allocated_user(Take(&user_));
  if (assertion) {
    v1::Assertion* a = Take(&assertion_);  // cleared: its session was parked
    if (assertion_session) a->set_allocated_session(assertion_session_.Take(assertion_device));
    message_.set_allocated_assertion(a);
  }
  if (session) message_.set_allocated_session(session_.Take(session_device));
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(wire.data()),
                                            static_cast<int>(wire.size()));
  return message_.MergeFromCodedStream(&in);
}

bool RequestDecoder::Flatten(const grpc::ByteBuffer& bytes, absl::string_view* out) {
  slices_.clear();
  if (!bytes.Dump(&slices_).ok()) return false;
  if (slices_.size() == 1) {
    *out = absl::string_view(reinterpret_cast<const char*>(slices_[0].begin()),
                             slices_[0].size());
  } else {
    flat_.clear();
    for (const grpc::Slice& s : slices_) {
      flat_.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    *out = flat_;
  }
  return out->size() <= static_cast<size_t>(INT_MAX);
}

TokenRequestSlot* RequestDecoder::Slot(size_t i) {
  while (slots_.size() <= i) slots_.push_back(std::make_unique<TokenRequestSlot>());
  if (i >= used_slots_) used_slots_ = i + 1;
  return slots_[i].get();
}

void RequestDecoder::Start() {
  items_.clear();
  omit_explanation_ = false;
  batch_size_ = 0;
  fallback_used_ = false;
}

bool RequestDecoder::DecodeEvaluate(const grpc::ByteBuffer& bytes) {
  Start();
  absl::string_view wire;
  if (!Flatten(bytes, &wire)) return false;
  absl::string_view request;
  int requests = 0;
  bool omit = false;
  const bool plain = ForEachField(
      wire, [&](uint32_t field, int wire_type, absl::string_view payload, uint64_t value) {
        switch (field) {
          case kEvaluateRequestRequest:
            request = payload;
            // Repeated occurrences of a message field merge: protobuf's job.
            return wire_type == kLengthDelimited && ++requests == 1;
          case kEvaluateRequestNoopResponseBytes:  // Noop's; not read here
            return wire_type == kVarint;
          case kEvaluateRequestOmitExplanation:
            omit = value != 0;
            return wire_type == kVarint;
          default:  // unknown fields: protobuf sets them aside, unread
            return true;
        }
      });
  if (plain) {
    TokenRequestSlot* slot = Slot(0);
    if (!slot->Parse(request)) return false;
    items_.push_back(&slot->message());
    omit_explanation_ = omit;
    batch_size_ = 1;
    return true;
  }
  fallback_used_ = true;
  if (!evaluate_fallback_.ParseFromArray(wire.data(), static_cast<int>(wire.size()))) {
    return false;
  }
  items_.push_back(&evaluate_fallback_.request());
  omit_explanation_ = evaluate_fallback_.omit_explanation();
  batch_size_ = 1;
  return true;
}

bool RequestDecoder::DecodeBatch(const grpc::ByteBuffer& bytes, size_t max_items) {
  Start();
  absl::string_view wire;
  if (!Flatten(bytes, &wire)) return false;
  size_t count = 0;
  bool omit = false;
  const bool plain = ForEachField(
      wire, [&](uint32_t field, int wire_type, absl::string_view, uint64_t value) {
        switch (field) {
          case kBatchRequestRequests:
            ++count;
            return wire_type == kLengthDelimited;
          case kBatchRequestOmitExplanation:
            omit = value != 0;
            return wire_type == kVarint;
          default:
            return true;
        }
      });
  if (plain) {
    batch_size_ = count;
    omit_explanation_ = omit;
    // An over-size batch is refused without decoding its items.
    if (count > max_items) return true;
    size_t i = 0;
    return ForEachField(wire, [&](uint32_t field, int, absl::string_view payload, uint64_t) {
      if (field != kBatchRequestRequests) return true;
      TokenRequestSlot* slot = Slot(i++);
      if (!slot->Parse(payload)) return false;
      items_.push_back(&slot->message());
      return true;
    });
  }
  fallback_used_ = true;
  if (!batch_fallback_.ParseFromArray(wire.data(), static_cast<int>(wire.size()))) return false;
  batch_size_ = static_cast<size_t>(batch_fallback_.requests_size());
  omit_explanation_ = batch_fallback_.omit_explanation();
  if (batch_size_ > max_items) return true;
  for (const v1::TokenRequest& r : batch_fallback_.requests()) items_.push_back(&r);
  return true;
}

void RequestDecoder::Trim() {
  items_.clear();
  slices_.clear();
  if (slots_.size() > kRetainedSlots) slots_.resize(kRetainedSlots);
  for (size_t i = 0; i < used_slots_ && i < slots_.size(); ++i) {
    if (slots_[i]->retains_too_much()) slots_[i]->Reset();
  }
  used_slots_ = 0;
  if (flat_.capacity() > TokenRequestSlot::kRetainedBytes) std::string().swap(flat_);
  if (fallback_used_) {
    v1::EvaluateRequest().Swap(&evaluate_fallback_);
    v1::BatchEvaluateRequest().Swap(&batch_fallback_);
    fallback_used_ = false;
  }
}

}  // namespace server
}  // namespace consent
