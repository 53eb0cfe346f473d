// RequestDecoder and TokenRequestSlot decode exactly what protobuf's
// ParseFromArray decodes, sub-message presence included, whatever the
// previous request on the same decoder looked like.
#include "server/request_decoder.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/synthetic_tenant.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace consent {
namespace server {
namespace {

using google::protobuf::util::MessageDifferencer;

// What protobuf makes of `wire`, and whether it accepts it.
struct Expected {
  bool ok;
  v1::TokenRequest message;
};
Expected ParseWithProtobuf(const std::string& wire) {
  Expected e;
  e.ok = e.message.ParseFromString(wire);
  return e;
}

void ExpectSame(const Expected& expected, bool ok, const v1::TokenRequest& got,
                const std::string& what) {
  ASSERT_EQ(expected.ok, ok) << what;
  if (!ok) return;
  std::string diff;
  MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differencer.Compare(expected.message, got)) << what << "\n" << diff;
  // Presence, spelled out (MessageDifferencer compares it too).
  EXPECT_EQ(expected.message.has_user(), got.has_user()) << what;
  EXPECT_EQ(expected.message.has_session(), got.has_session()) << what;
  EXPECT_EQ(expected.message.has_assertion(), got.has_assertion()) << what;
  EXPECT_EQ(expected.message.session().has_device(), got.session().has_device()) << what;
  EXPECT_EQ(expected.message.assertion().has_session(), got.assertion().has_session()) << what;
  EXPECT_EQ(expected.message.assertion().session().has_device(),
            got.assertion().session().has_device())
      << what;
}

grpc::ByteBuffer Buffer(const std::string& bytes, int pieces = 1) {
  std::vector<grpc::Slice> slices;
  const size_t step = bytes.size() / pieces + 1;
  for (size_t at = 0; at < bytes.size() || slices.empty(); at += step) {
    slices.emplace_back(bytes.substr(at, step));
  }
  return grpc::ByteBuffer(slices.data(), slices.size());
}

// Tag bytes of a field (field numbers below 16).
std::string Tag(int field, int wire_type) {
  return std::string(1, static_cast<char>(field << 3 | wire_type));
}
std::string Len(int field, const std::string& payload) {
  std::string out;
  const uint32_t tag = static_cast<uint32_t>(field) << 3 | 2;
  for (uint64_t v : {uint64_t{tag}, uint64_t{payload.size()}}) {
    while (v >= 0x80) {
      out += static_cast<char>(v | 0x80);
      v >>= 7;
    }
    out += static_cast<char>(v);
  }
  return out + payload;
}

std::vector<v1::TokenRequest> Stream(bench::TenantSize size, size_t n) {
  return bench::GenerateRequests(bench::GenerateTenant(size), n);
}

TEST(TokenRequestSlotTest, SyntheticStreamsDecodeAsProtobufDoesOnOneReusedSlot) {
  TokenRequestSlot slot;
  int with_user = 0, without_user = 0;
  for (bench::TenantSize size : {bench::TenantSize::kSmall, bench::TenantSize::kLarge}) {
    for (const v1::TokenRequest& r : Stream(size, 1500)) {
      const std::string wire = r.SerializeAsString();
      const bool ok = slot.Parse(wire);
      ExpectSame(ParseWithProtobuf(wire), ok, slot.message(), r.ShortDebugString());
      (r.has_user() ? with_user : without_user)++;
    }
  }
  // The stream alternates shapes (client_credentials carries no user).
  EXPECT_GT(with_user, 100);
  EXPECT_GT(without_user, 100);
}

TEST(TokenRequestSlotTest, PresenceFollowsEachRequestNotThePreviousOne) {
  v1::TokenRequest full;
  full.set_tenant("t");
  full.mutable_user()->set_id("u1");
  full.mutable_user()->add_grants()->set_scope("User.Read Mail.Read Calendars.ReadWrite");
  full.mutable_session()->set_ip("2001:db8::1");
  full.mutable_session()->mutable_device()->set_trust_type("AzureAD");
  full.mutable_assertion()->set_aud("api://middle-tier");
  full.mutable_assertion()->mutable_session()->mutable_device()->set_is_compliant(true);
  v1::TokenRequest empty_subs;  // present but empty sub-messages
  empty_subs.mutable_user();
  empty_subs.mutable_session()->mutable_device();
  empty_subs.mutable_assertion()->mutable_session();
  v1::TokenRequest bare;
  bare.set_tenant("t");
  bare.set_grant_type("client_credentials");

  TokenRequestSlot slot;
  const std::vector<const v1::TokenRequest*> order = {&full, &bare, &empty_subs, &full,
                                                      &empty_subs, &bare, &bare, &full};
  for (size_t i = 0; i < order.size(); ++i) {
    const std::string wire = order[i]->SerializeAsString();
    const bool ok = slot.Parse(wire);
    ExpectSame(ParseWithProtobuf(wire), ok, slot.message(), absl::StrCat("step ", i));
  }
  // The kept grant is cleared, not carried over.
  ASSERT_TRUE(slot.Parse(empty_subs.SerializeAsString()));
  EXPECT_EQ(slot.message().user().grants_size(), 0);
}

TEST(TokenRequestSlotTest, UnusualButValidBytesDecodeAsProtobufDoes) {
  v1::TokenRequest a;
  a.set_tenant("t");
  a.mutable_user()->set_id("first");
  a.mutable_user()->add_groups("g1");
  a.mutable_session()->set_ip("10.0.0.1");
  v1::TokenRequest b;
  b.mutable_user()->add_groups("g2");
  b.mutable_session()->mutable_device()->set_registered(true);
  const std::string wa = a.SerializeAsString(), wb = b.SerializeAsString();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"empty", ""},
      {"repeated occurrences merge", wa + wb},
      {"unknown varint", wa + Tag(15, 0) + "\x05"},
      {"unknown fixed32 and fixed64", Tag(14, 5) + "abcd" + wa + Tag(13, 1) + "abcdefgh"},
      {"unknown length-delimited", Len(12, "xyz") + wa},
      {"user as a varint (wire type mismatch)", wa + Tag(8, 0) + "\x01"},
      {"session's device as fixed32", Len(16, Tag(2, 5) + "abcd")},
      {"assertion's session with a mismatched device", Len(9, Len(7, Tag(2, 0) + "\x01"))},
      {"a group", wa + Tag(15, 3) + Tag(15, 4)},
      {"an unmatched end-group", wa + Tag(15, 4)},
      {"field number 0", std::string("\x00\x01", 2)},
      {"truncated length", wa + Tag(12, 2) + "\x05" + "ab"},
      {"truncated varint", wa + Tag(15, 0) + "\x80"},
      {"invalid UTF-8 in a string", Len(1, "\xff\xfe")},
      {"invalid UTF-8 deep in the user", Len(8, Len(1, "\xc3\x28"))},
      {"an eleven-byte varint", Tag(15, 0) + std::string(10, '\x80') + "\x01"},
  };
  TokenRequestSlot slot;
  for (int round = 0; round < 2; ++round) {
    for (const auto& [what, wire] : cases) {
      const bool ok = slot.Parse(wire);
      ExpectSame(ParseWithProtobuf(wire), ok, slot.message(), what);
      // And a normal request right after each, on the same slot.
      ExpectSame(ParseWithProtobuf(wa), slot.Parse(wa), slot.message(), what + " then a");
    }
  }
}

TEST(TokenRequestSlotTest, MutatedBytesDecodeAsProtobufDoes) {
  TokenRequestSlot slot;
  uint64_t state = 0x9e3779b97f4a7c15u;
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  int accepted = 0, rejected = 0;
  for (const v1::TokenRequest& r : Stream(bench::TenantSize::kLarge, 600)) {
    const std::string wire = r.SerializeAsString();
    for (int m = 0; m < 6; ++m) {
      std::string mutated = wire;
      switch (m) {
        case 0:  // flip one byte
          if (!mutated.empty()) mutated[next() % mutated.size()] ^= 1 + next() % 255;
          break;
        case 1:  // truncate
          mutated.resize(next() % (mutated.size() + 1));
          break;
        case 2:  // splice a slice of itself in
          if (!mutated.empty()) {
            const size_t at = next() % mutated.size();
            mutated.insert(next() % mutated.size(), mutated.substr(at, next() % 32));
          }
          break;
        case 3:  // two bytes flipped
          for (int k = 0; k < 2 && !mutated.empty(); ++k) {
            mutated[next() % mutated.size()] = static_cast<char>(next());
          }
          break;
        case 4:  // merge with the previous request
          mutated = wire + slot.message().SerializeAsString();
          break;
        default:  // unchanged
          break;
      }
      const Expected expected = ParseWithProtobuf(mutated);
      (expected.ok ? accepted : rejected)++;
      ExpectSame(expected, slot.Parse(mutated), slot.message(), absl::StrCat("mutation ", m));
    }
  }
  // Both outcomes were exercised.
  EXPECT_GT(accepted, 600);
  EXPECT_GT(rejected, 100);
}

TEST(TokenRequestSlotTest, ALargeRequestIsNotKeptAfterReset) {
  v1::TokenRequest big;
  big.set_scope(std::string(TokenRequestSlot::kRetainedBytes + 1, 'a'));
  TokenRequestSlot slot;
  ASSERT_TRUE(slot.Parse(big.SerializeAsString()));
  EXPECT_TRUE(slot.retains_too_much());
  slot.Reset();
  EXPECT_FALSE(slot.retains_too_much());
  EXPECT_EQ(slot.message().ByteSizeLong(), 0u);
  v1::TokenRequest small;
  small.set_scope("openid");
  ASSERT_TRUE(slot.Parse(small.SerializeAsString()));
  EXPECT_EQ(slot.message().scope(), "openid");
  EXPECT_FALSE(slot.retains_too_much());
}

TEST(RequestDecoderTest, EvaluateRequestsDecodeAsProtobufDoes) {
  RequestDecoder decoder;
  int i = 0;
  for (const v1::TokenRequest& r : Stream(bench::TenantSize::kLarge, 400)) {
    v1::EvaluateRequest request;
    if (i % 5 != 4) *request.mutable_request() = r;  // every fifth: no request at all
    request.set_omit_explanation(i % 3 == 0);
    if (i % 7 == 0) request.set_noop_response_bytes(700);
    std::string wire = request.SerializeAsString();
    if (i % 11 == 0) wire += Len(9, "unknown");
    if (i % 13 == 0) wire += Len(1, "");  // a second, empty `request`: merges
    ASSERT_TRUE(decoder.DecodeEvaluate(Buffer(wire, 1 + i % 3))) << i;
    v1::EvaluateRequest expected;
    ASSERT_TRUE(expected.ParseFromString(wire));
    ExpectSame({true, expected.request()}, true, decoder.request(), absl::StrCat("item ", i));
    EXPECT_EQ(decoder.omit_explanation(), expected.omit_explanation());
    decoder.Trim();
    ++i;
  }
  EXPECT_FALSE(decoder.DecodeEvaluate(Buffer(Len(1, Len(1, "\xff")))));
  EXPECT_FALSE(decoder.DecodeEvaluate(Buffer("\x0a\x05" "ab")));
  EXPECT_FALSE(decoder.DecodeEvaluate(Buffer(Tag(3, 0) + "\x80")));
  // omit_explanation given twice: the last one counts, as in protobuf.
  const std::string omit_then_not = Tag(3, 0) + "\x01" + Tag(3, 0) + std::string(1, '\0');
  ASSERT_TRUE(decoder.DecodeEvaluate(Buffer(omit_then_not)));
  EXPECT_FALSE(decoder.omit_explanation());
  // A mismatched wire type for omit_explanation is an unknown field to protobuf.
  ASSERT_TRUE(decoder.DecodeEvaluate(Buffer(Len(3, "x"))));
  EXPECT_FALSE(decoder.omit_explanation());
}

TEST(RequestDecoderTest, BatchesDecodeAsProtobufDoes) {
  const std::vector<v1::TokenRequest> stream = Stream(bench::TenantSize::kLarge, 600);
  RequestDecoder decoder;
  size_t at = 0;
  for (int n : {100, 3, 0, 250, 1, 100}) {
    v1::BatchEvaluateRequest request;
    for (int k = 0; k < n; ++k) *request.add_requests() = stream[at++ % stream.size()];
    request.set_omit_explanation(n % 2 == 1);
    const std::string wire = request.SerializeAsString();
    ASSERT_TRUE(decoder.DecodeBatch(Buffer(wire, 1 + n % 4), 1000)) << n;
    ASSERT_EQ(decoder.batch_size(), static_cast<size_t>(n));
    EXPECT_EQ(decoder.omit_explanation(), n % 2 == 1);
    for (int k = 0; k < n; ++k) {
      ExpectSame({true, request.requests(k)}, true, decoder.item(k), absl::StrCat(n, "/", k));
    }
    decoder.Trim();
  }
  // Over the limit: counted, not decoded.
  v1::BatchEvaluateRequest over;
  for (int k = 0; k < 5; ++k) *over.add_requests() = stream[k];
  ASSERT_TRUE(decoder.DecodeBatch(Buffer(over.SerializeAsString()), 4));
  EXPECT_EQ(decoder.batch_size(), 5u);
  // One bad item spoils the batch, as in protobuf.
  std::string bad = over.SerializeAsString() + Len(1, Len(1, "\xff"));
  EXPECT_FALSE(decoder.DecodeBatch(Buffer(bad), 1000));
  // Outside the fast path (a group): protobuf's whole-message parse decides.
  std::string grouped = over.SerializeAsString() + Tag(15, 3) + Tag(15, 4);
  v1::BatchEvaluateRequest expected;
  ASSERT_TRUE(expected.ParseFromString(grouped));
  ASSERT_TRUE(decoder.DecodeBatch(Buffer(grouped), 1000));
  ASSERT_EQ(decoder.batch_size(), 5u);
  for (int k = 0; k < 5; ++k) {
    ExpectSame({true, expected.requests(k)}, true, decoder.item(k), absl::StrCat("grouped ", k));
  }
  decoder.Trim();
}

}  // namespace
}  // namespace server
}  // namespace consent
