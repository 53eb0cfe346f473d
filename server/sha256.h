// SHA-256 (FIPS 180-4), for the content hash of bundle files that ListBundles
// and EvaluateResponse report. Self-contained so policyd needs no libcrypto.
//
//   Sha256 h;
//   h.Update(file_a);
//   h.Update(file_b);
//   std::string hex = h.HexDigest();  // 64 lower-case hex digits
//
// Not thread-safe; cheap to create.
#ifndef CONSENT_SERVER_SHA256_H_
#define CONSENT_SERVER_SHA256_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace consent {
namespace server {

class Sha256 {
 public:
  Sha256();
  void Update(absl::string_view data);
  // Finishes the hash; the object must not be updated afterwards.
  std::array<uint8_t, 32> Digest();
  std::string HexDigest();

 private:
  void Block(const uint8_t* p);

  uint32_t h_[8];
  uint8_t buffer_[64];
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

// Hex SHA-256 of `data`.
std::string Sha256Hex(absl::string_view data);

}  // namespace server
}  // namespace consent

#endif  // CONSENT_SERVER_SHA256_H_
