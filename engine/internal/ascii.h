// ASCII case-insensitive identity and SPEC §0 ordering.
//
// Identifiers (scope values, app ids, policy ids, ...) compare ASCII
// case-insensitively; "sorted" means byte order of the ASCII-lowercased
// strings, ties broken by the original bytes.
#ifndef CONSENT_ENGINE_INTERNAL_ASCII_H_
#define CONSENT_ENGINE_INTERNAL_ASCII_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/hash/hash.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

namespace consent {
namespace internal {

// ASCII case-insensitive equality, inlined: sizes first, then bytes as
// they are (identifiers usually arrive in their canonical spelling), then
// lowercased.
inline bool EqualsIgnoreCase(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  const char* x = a.data();
  const char* y = b.data();
  for (size_t i = 0, n = a.size(); i < n; ++i) {
    if (x[i] == y[i]) continue;
    if (absl::ascii_tolower(static_cast<unsigned char>(x[i])) !=
        absl::ascii_tolower(static_cast<unsigned char>(y[i]))) {
      return false;
    }
  }
  return true;
}

// SPEC §0 "sorted": lowercase byte order, then original bytes.
inline bool SpecLess(absl::string_view a, absl::string_view b) {
  const size_t n = a.size() < b.size() ? a.size() : b.size();
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = absl::ascii_tolower(static_cast<unsigned char>(a[i]));
    const unsigned char y = absl::ascii_tolower(static_cast<unsigned char>(b[i]));
    if (x != y) return x < y;
  }
  if (a.size() != b.size()) return a.size() < b.size();
  return a < b;
}

struct SpecLessFn {
  bool operator()(absl::string_view a, absl::string_view b) const {
    return SpecLess(a, b);
  }
};

// Hash and equality for case-insensitive flat_hash_map keys. Heterogeneous:
// a map keyed by std::string can be probed with a string_view, no copy.
struct CaseInsensitiveHash {
  using is_transparent = void;
  size_t operator()(absl::string_view s) const {
    // FNV-1a over lowercased bytes, then mixed by absl::Hash.
    uint64_t h = 1469598103934665603ull;
    for (char c : s) {
      h ^= static_cast<unsigned char>(absl::ascii_tolower(static_cast<unsigned char>(c)));
      h *= 1099511628211ull;
    }
    return absl::Hash<uint64_t>{}(h);
  }
};

struct CaseInsensitiveEq {
  using is_transparent = void;
  bool operator()(absl::string_view a, absl::string_view b) const {
    return ::consent::internal::EqualsIgnoreCase(a, b);
  }
};

}  // namespace internal
}  // namespace consent

#endif  // CONSENT_ENGINE_INTERNAL_ASCII_H_
