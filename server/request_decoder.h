// Decoding of Evaluate and BatchEvaluate requests into messages reused from
// call to call.
//
// After the engine, policyd's largest cost per decision was protobuf's parse
// of the TokenRequest: on a pooled arena, every string longer than 15 bytes
// (client ids, grants, timestamps, IPs) still took a heap allocation, a
// destructor registered on the arena and a free when the arena was reset,
// about as many instructions as the evaluation itself. A message that is
// cleared and parsed into again keeps its strings' buffers and its repeated
// elements, so a thread's next request of a similar shape allocates nothing.
//
// proto3's generated Clear() deletes singular sub-messages (user, session,
// assertion, device) instead of clearing them, which would throw those
// buffers away. TokenRequestSlot therefore detaches them before clearing,
// keeps them, and attaches back, cleared, exactly those the next request's
// bytes carry (found by a scan of the wire tags) before protobuf merges the
// bytes in: the result is the message TokenRequest::ParseFromArray gives,
// presence of every sub-message included. Bytes outside the shapes the fast
// path knows (a known field with an unexpected wire type, groups, anything
// malformed) are parsed by protobuf into fresh objects instead, so every
// input decodes exactly as protobuf decodes it; request_decoder_test checks
// this against ParseFromArray over the synthetic streams and mutated bytes.
//
// A decoder is used by one thread at a time (policyd keeps one per thread).
// What it keeps is bounded: a slot that decoded more than kRetainedBytes of
// wire starts afresh on its next use, and at most kRetainedSlots batch items
// are kept between calls.
#ifndef CONSENT_SERVER_REQUEST_DECODER_H_
#define CONSENT_SERVER_REQUEST_DECODER_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/slice.h"
#include "proto/request.pb.h"
#include "proto/service.pb.h"

namespace consent {
namespace server {

// One TokenRequest, decoded into the same message object every time.
class TokenRequestSlot {
 public:
  // Wire bytes beyond which a slot does not keep its buffers.
  static constexpr size_t kRetainedBytes = 64 << 10;

  TokenRequestSlot() = default;
  TokenRequestSlot(const TokenRequestSlot&) = delete;
  TokenRequestSlot& operator=(const TokenRequestSlot&) = delete;

  // Decodes `wire`, a serialized consent.v1.TokenRequest. True with the
  // message ParseFromArray would give; false when protobuf rejects the bytes
  // (the message is then unspecified until the next Parse).
  bool Parse(absl::string_view wire);
  const v1::TokenRequest& message() const { return message_; }

  // Whether the last Parse decoded more than kRetainedBytes.
  bool retains_too_much() const { return last_wire_bytes_ > kRetainedBytes; }
  // Frees everything kept (the message becomes empty).
  void Reset();

 private:
  // Detaches the kept sub-messages and clears the rest.
  void Recycle();
  bool ParseWithProtobuf(absl::string_view wire);

  v1::TokenRequest message_;
  // A Session and its Device, parked apart (so that clearing the session
  // does not delete the device).
  struct KeptSession {
    void Park(v1::Session* s);
    // The session, cleared (a new one if none was kept), with a cleared
    // device attached when `with_device`.
    v1::Session* Take(bool with_device);
    std::unique_ptr<v1::Session> session;
    std::unique_ptr<v1::Device> device;
  };

  // Sub-messages kept while detached: each is either attached to message_
  // (and null here) or parked here.
  std::unique_ptr<v1::User> user_;
  std::unique_ptr<v1::Assertion> assertion_;
  KeptSession assertion_session_;
  KeptSession session_;
  size_t last_wire_bytes_ = 0;
};

// The fields of an EvaluateRequest or BatchEvaluateRequest the handlers read.
class RequestDecoder {
 public:
  // Batch items kept between calls (a larger batch's extra slots are freed).
  static constexpr size_t kRetainedSlots = 256;

  RequestDecoder() = default;
  RequestDecoder(const RequestDecoder&) = delete;
  RequestDecoder& operator=(const RequestDecoder&) = delete;

  // An EvaluateRequest. False when the bytes are not one.
  bool DecodeEvaluate(const grpc::ByteBuffer& bytes);
  // A BatchEvaluateRequest. False when the bytes are not one. A batch of
  // more than `max_items` requests is not decoded: true, with
  // batch_size() > max_items and no items.
  bool DecodeBatch(const grpc::ByteBuffer& bytes, size_t max_items);

  // After DecodeEvaluate: the request (the default instance when absent).
  const v1::TokenRequest& request() const { return *items_[0]; }
  bool omit_explanation() const { return omit_explanation_; }
  // After DecodeBatch: the number of requests and each of them.
  size_t batch_size() const { return batch_size_; }
  const v1::TokenRequest& item(size_t i) const { return *items_[i]; }

  // Gives back what a large request left behind; call when the handler is
  // done with the decoded request.
  void Trim();

 private:
  // The request as one contiguous run of bytes (a view of the buffer's only
  // slice, or a copy into flat_).
  bool Flatten(const grpc::ByteBuffer& bytes, absl::string_view* out);
  TokenRequestSlot* Slot(size_t i);
  void Start();

  std::vector<std::unique_ptr<TokenRequestSlot>> slots_;
  std::vector<const v1::TokenRequest*> items_;
  bool omit_explanation_ = false;
  size_t batch_size_ = 0;
  size_t used_slots_ = 0;  // slots decoded into since the last Trim()
  std::vector<grpc::Slice> slices_;
  std::string flat_;
  // Inputs outside the fast path, parsed by protobuf as a whole.
  v1::EvaluateRequest evaluate_fallback_;
  v1::BatchEvaluateRequest batch_fallback_;
  bool fallback_used_ = false;
};

}  // namespace server
}  // namespace consent

#endif  // CONSENT_SERVER_REQUEST_DECODER_H_
