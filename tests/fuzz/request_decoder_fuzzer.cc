// libFuzzer: policyd's request decoding (server/request_decoder.h) against
// protobuf's own parse. One slot and one decoder serve every input, as one
// gRPC thread's do, so what an input leaves behind meets the next. The first
// byte picks the message (TokenRequest, EvaluateRequest, BatchEvaluateRequest)
// and how many slices the bytes arrive in; any difference aborts.
#include <google/protobuf/util/message_differencer.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "grpcpp/support/byte_buffer.h"
#include "server/request_decoder.h"

namespace {

using google::protobuf::util::MessageDifferencer;

void Check(bool same, const char* what) {
  if (same) return;
  std::fprintf(stderr, "request_decoder_fuzzer: %s differs from protobuf's parse\n", what);
  std::abort();
}

grpc::ByteBuffer Buffer(const std::string& bytes, int pieces) {
  std::vector<grpc::Slice> slices;
  const size_t step = bytes.size() / pieces + 1;
  for (size_t at = 0; at < bytes.size() || slices.empty(); at += step) {
    slices.emplace_back(bytes.substr(at, step));
  }
  return grpc::ByteBuffer(slices.data(), slices.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace consent;
  if (size == 0) return 0;
  static server::TokenRequestSlot* slot = new server::TokenRequestSlot();
  static server::RequestDecoder* decoder = new server::RequestDecoder();
  constexpr size_t kMaxItems = 8;
  const uint8_t head = data[0];
  const std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (head % 3) {
    case 0: {
      v1::TokenRequest expected;
      const bool ok = expected.ParseFromString(bytes);
      Check(slot->Parse(bytes) == ok, "TokenRequest acceptance");
      if (ok) Check(MessageDifferencer::Equals(expected, slot->message()), "TokenRequest");
      break;
    }
    case 1: {
      v1::EvaluateRequest expected;
      const bool ok = expected.ParseFromString(bytes);
      Check(decoder->DecodeEvaluate(Buffer(bytes, 1 + (head >> 2) % 3)) == ok,
            "EvaluateRequest acceptance");
      if (ok) {
        Check(MessageDifferencer::Equals(expected.request(), decoder->request()),
              "EvaluateRequest.request");
        Check(expected.omit_explanation() == decoder->omit_explanation(),
              "EvaluateRequest.omit_explanation");
      }
      decoder->Trim();
      break;
    }
    default: {
      v1::BatchEvaluateRequest expected;
      const bool ok = expected.ParseFromString(bytes);
      const bool decoded = decoder->DecodeBatch(Buffer(bytes, 1 + (head >> 2) % 3), kMaxItems);
      // An over-size batch is refused unread, whatever its items hold.
      if (decoded && decoder->batch_size() > kMaxItems) {
        if (ok) Check(decoder->batch_size() == static_cast<size_t>(expected.requests_size()),
                      "BatchEvaluateRequest size");
        decoder->Trim();
        break;
      }
      Check(decoded == ok, "BatchEvaluateRequest acceptance");
      if (ok) {
        Check(decoder->batch_size() == static_cast<size_t>(expected.requests_size()),
              "BatchEvaluateRequest size");
        Check(decoder->omit_explanation() == expected.omit_explanation(),
              "BatchEvaluateRequest.omit_explanation");
        for (int i = 0; i < expected.requests_size(); ++i) {
          Check(MessageDifferencer::Equals(expected.requests(i), decoder->item(i)),
                "BatchEvaluateRequest.requests[i]");
        }
      }
      decoder->Trim();
      break;
    }
  }
  return 0;
}
