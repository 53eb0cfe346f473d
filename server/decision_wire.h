// Protobuf wire encoding of the sidecar's answers straight from the engine's
// DecisionView, without building a consent.v1.Decision message first.
//
// policyd's hottest work after the engine itself was turning each
// DecisionView into a Decision (one arena string per field and list
// element, a message per report-only entry) and then serializing that
// message (with proto3's UTF-8 check of every string). AppendDecision writes
// the bytes directly: the result is byte-for-byte what
//
//   v1::Decision d;
//   DecisionViewToProto(view, &d);            // engine/policy_engine.h
//   if (omit_explanation) d.clear_explanation();
//   d.SerializeToString(&bytes);
//
// produces (field-number order, proto3 defaults omitted, every list element
// written), which decision_wire_test checks over the synthetic tenants'
// request streams and over hand-built views that fill every field. A change
// to proto/decision.proto or to DecisionViewToProto must be mirrored here;
// the test's field inventory fails until it is.
//
// Strings are not UTF-8 checked: the engine's strings come from the
// bundle and the request, both parsed (and so UTF-8 checked) by protobuf,
// and from the engine's own ASCII text.
#ifndef CONSENT_SERVER_DECISION_WIRE_H_
#define CONSENT_SERVER_DECISION_WIRE_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "engine/decision_view.h"
#include "google/protobuf/message_lite.h"

namespace consent {
namespace server {

// Protobuf wire format, appended to a growable buffer the writer owns (kept
// across uses: Clear() empties it, Shrink() gives back memory).
class WireWriter {
 public:
  WireWriter() = default;
  WireWriter(const WireWriter&) = delete;
  WireWriter& operator=(const WireWriter&) = delete;

  // Singular proto3 fields: nothing is written for the default value.
  void Int32(int field, int32_t value) {
    if (value == 0) return;
    Reserve(kMaxVarint * 2);
    Tag(field, kVarint);
    // int32 and enum values are sign-extended to 64 bits (negative: 10 bytes).
    Varint(static_cast<uint64_t>(static_cast<int64_t>(value)));
  }
  void Bool(int field, bool value) {
    if (!value) return;
    Reserve(kMaxVarint + 1);
    Tag(field, kVarint);
    data_[size_++] = 1;
  }
  void String(int field, absl::string_view value) {
    if (!value.empty()) Element(field, value);
  }
  // A repeated string's element: written even when empty.
  void Element(int field, absl::string_view value) {
    Reserve(kMaxVarint * 2 + value.size());
    Tag(field, kLengthDelimited);
    Varint(value.size());
    if (!value.empty()) std::memcpy(data_.get() + size_, value.data(), value.size());
    size_ += value.size();
  }
  // A repeated string's element made of `parts` concatenated.
  void JoinedElement(int field, std::initializer_list<absl::string_view> parts);

  // A submessage: Begin writes the tag and returns a mark; the message's
  // fields follow; End writes its length in front of them.
  size_t Begin(int field) {
    Reserve(kMaxVarint + 1);
    Tag(field, kLengthDelimited);
    data_[size_++] = 0;  // the length, when it fits one byte (the usual case)
    return size_;
  }
  void End(size_t mark);

  // An already-built message as field `field`.
  void Message(int field, const google::protobuf::MessageLite& message);

  absl::string_view bytes() const { return absl::string_view(data_.get(), size_); }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  void Clear() { size_ = 0; }
  // Frees the buffer when it grew beyond `max_kept` bytes.
  void Shrink(size_t max_kept) {
    if (capacity_ > max_kept) {
      data_.reset();
      size_ = capacity_ = 0;
    }
  }

 private:
  static constexpr int kVarint = 0;
  static constexpr int kLengthDelimited = 2;
  static constexpr size_t kMaxVarint = 10;

  void Reserve(size_t extra) {
    if (capacity_ - size_ < extra) Grow(extra);
  }
  void Grow(size_t extra);
  // Tag and Varint: the caller has reserved the room.
  void Tag(int field, int wire_type) {
    Varint((static_cast<uint64_t>(field) << 3) | static_cast<uint64_t>(wire_type));
  }
  void Varint(uint64_t value) {
    char* p = data_.get() + size_;
    while (value >= 0x80) {
      *p++ = static_cast<char>(value | 0x80);
      value >>= 7;
    }
    *p++ = static_cast<char>(value);
    size_ = static_cast<size_t>(p - data_.get());
  }

  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

// Appends `view` as a consent.v1.Decision in field `field` of the enclosing
// message (see the file comment); `omit_explanation` leaves `explanation`
// out (EvaluateRequest.omit_explanation).
void AppendDecision(int field, const DecisionView& view, bool omit_explanation, WireWriter* w);

// The same bytes as the Decision itself (no enclosing field): for tests.
std::string EncodeDecision(const DecisionView& view, bool omit_explanation);

}  // namespace server
}  // namespace consent

#endif  // CONSENT_SERVER_DECISION_WIRE_H_
