#include "server/sha256.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace consent {
namespace server {
namespace {

struct Vector {
  std::string name;
  std::string input;
  std::string hex;
};

// FIPS 180-4 / NIST CSRC examples, plus padding edge lengths (55, 56, 64
// bytes) cross-checked with coreutils' sha256sum.
TEST(Sha256Test, KnownVectors) {
  const std::vector<Vector> vectors = {
      {"empty", "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"abc", "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {"two_blocks", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
      {"len55", std::string(55, 'a'),
       "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
      {"len56", std::string(56, 'a'),
       "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
      {"len64", std::string(64, 'a'),
       "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
  };
  for (const Vector& v : vectors) {
    SCOPED_TRACE(v.name);
    EXPECT_EQ(Sha256Hex(v.input), v.hex);
  }
}

TEST(Sha256Test, IncrementalEqualsOneShot) {
  std::string data;
  for (int i = 0; i < 1000; ++i) data += static_cast<char>(i * 7);
  for (size_t split : {0u, 1u, 63u, 64u, 65u, 500u, 1000u}) {
    SCOPED_TRACE(split);
    Sha256 h;
    h.Update(absl::string_view(data).substr(0, split));
    h.Update(absl::string_view(data).substr(split));
    EXPECT_EQ(h.HexDigest(), Sha256Hex(data));
  }
}

TEST(Sha256Test, MillionA) {
  EXPECT_EQ(Sha256Hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

}  // namespace
}  // namespace server
}  // namespace consent
