// ASCII case-insensitive identity and SPEC §0 ordering.
//
// Identifiers (scope values, app ids, policy ids, ...) compare ASCII
// case-insensitively; "sorted" means byte order of the ASCII-lowercased
// strings, ties broken by the original bytes.
#ifndef CONSENT_ENGINE_INTERNAL_ASCII_H_
#define CONSENT_ENGINE_INTERNAL_ASCII_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/base/attributes.h"
#include "absl/hash/hash.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

namespace consent {
namespace internal {

namespace swar {
// ASCII-lowercases the eight bytes of `x` ('A'..'Z' gain 0x20; bytes >= 0x80
// are left alone), as absl::ascii_tolower does byte by byte.
inline uint64_t Lower8(uint64_t x) {
  const uint64_t seven = x & 0x7f7f7f7f7f7f7f7full;
  const uint64_t ge_a = seven + 0x3f3f3f3f3f3f3f3full;  // byte >= 'A' sets bit 7
  const uint64_t gt_z = seven + 0x2525252525252525ull;  // byte >  'Z' sets bit 7
  const uint64_t upper = (ge_a & ~gt_z) & ~x & 0x8080808080808080ull;
  return x | (upper >> 2);
}
inline uint64_t Load8(const char* p) {
  uint64_t x;
  std::memcpy(&x, p, 8);
  return x;
}
}  // namespace swar

// The folded comparison of EqualsIgnoreCase, for same-size strings whose
// bytes differ: eight bytes at a time. Out of line: the rare path.
ABSL_ATTRIBUTE_NOINLINE inline bool EqualsIgnoreCaseFolded(const char* x, const char* y, size_t n) {
  if (n >= 8) {
    auto same = [](uint64_t u, uint64_t v) {
      if (u == v) return true;
      // Bytes that differ beyond the ASCII case bit (0x20) differ folded too.
      if ((u ^ v) & ~0x2020202020202020ull) return false;
      return swar::Lower8(u) == swar::Lower8(v);
    };
    const size_t last = n - 8;
    for (size_t i = 0; i < last; i += 8) {
      if (!same(swar::Load8(x + i), swar::Load8(y + i))) return false;
    }
    return same(swar::Load8(x + last), swar::Load8(y + last));  // may overlap
  }
  for (size_t i = 0; i < n; ++i) {
    if (x[i] != y[i] && absl::ascii_tolower(static_cast<unsigned char>(x[i])) !=
                            absl::ascii_tolower(static_cast<unsigned char>(y[i]))) {
      return false;
    }
  }
  return true;
}

// ASCII case-insensitive equality, inlined: sizes first, then the bytes as
// they are (identifiers usually arrive in their canonical spelling; memcmp is
// vectorized), then folded.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline bool EqualsIgnoreCase(absl::string_view a,
                                                          absl::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0) return true;
  return EqualsIgnoreCaseFolded(a.data(), b.data(), a.size());
}

// SPEC §0 "sorted": lowercase byte order, then original bytes. Eight bytes
// at a time: the first differing folded byte decides (little-endian: the
// lowest set bit of the difference marks it).
inline bool SpecLess(absl::string_view a, absl::string_view b) {
  const size_t n = a.size() < b.size() ? a.size() : b.size();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const uint64_t x = swar::Lower8(swar::Load8(a.data() + i));
    const uint64_t y = swar::Lower8(swar::Load8(b.data() + i));
    if (x != y) {
      const int shift = __builtin_ctzll(x ^ y) & ~7;
      return static_cast<uint8_t>(x >> shift) < static_cast<uint8_t>(y >> shift);
    }
  }
  for (; i < n; ++i) {
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
    // Eight bytes at a time, each byte with its 0x20 bit set: that maps
    // 'A'..'Z' onto 'a'..'z', so strings equal ignoring ASCII case hash
    // alike (a few other pairs, such as '@' and '`', collide too; equality
    // tells them apart). Mixed by multiply and rotate; absl::Hash finishes.
    // Identifiers here are mostly 30-40 bytes (GUIDs, URIs).
    constexpr uint64_t kMul = 0x9e3779b97f4a7c15ull;
    constexpr uint64_t kFold = 0x2020202020202020ull;
    uint64_t h = s.size() * kMul;
    const char* p = s.data();
    size_t n = s.size();
    for (; n >= 8; p += 8, n -= 8) h = Rotl((h ^ (swar::Load8(p) | kFold)) * kMul, 29);
    uint64_t tail = 0;
    if (n > 0 && s.size() >= 8) {
      // The last n bytes by an overlapping load, as the loop below builds them.
      tail = swar::Load8(p + n - 8) >> (8 * (8 - n));
    } else {
      for (size_t i = 0; i < n; ++i) tail |= uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
    }
    h = Rotl((h ^ (tail | kFold)) * kMul, 29);
    return absl::Hash<uint64_t>{}(h);
  }

 private:
  static uint64_t Rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
};

// Byte-class tests eight bytes at a time (SWAR). Each is exact: a byte's
// arithmetic never carries or borrows into its neighbour's high bit.
namespace swar {
inline constexpr uint64_t kOnes = 0x0101010101010101ull;
inline constexpr uint64_t kHigh = 0x8080808080808080ull;
// Some byte of x is < n (n <= 128).
inline uint64_t HasLess(uint64_t x, uint8_t n) { return (x - kOnes * n) & ~x & kHigh; }
// Some byte of x is > n (n < 128).
inline uint64_t HasMore(uint64_t x, uint8_t n) { return ((x + kOnes * (127 - n)) | x) & kHigh; }
// Some byte of x equals b.
inline uint64_t HasByte(uint64_t x, uint8_t b) { return HasLess(x ^ (kOnes * b), 1); }
}  // namespace swar

// True iff every byte of `s` is in [lo, 0x7E] and is neither '"' nor '\\'
// (lo <= 0x22). With lo = 0x21 that is RFC 6749's scope-token byte set
// (NQCHAR, A.4); with lo = 0x20, its error_description set (A.8).
inline bool AllPrintableUnquoted(absl::string_view s, uint8_t lo) {
  auto bad = [lo](uint64_t x) {
    return swar::HasLess(x, lo) | swar::HasMore(x, 0x7e) | swar::HasByte(x, '"') |
           swar::HasByte(x, '\\');
  };
  const char* p = s.data();
  size_t n = s.size();
  if (n < 8) {
    for (size_t i = 0; i < n; ++i) {
      const unsigned char c = static_cast<unsigned char>(p[i]);
      if (c < lo || c > 0x7e || c == '"' || c == '\\') return false;
    }
    return true;
  }
  uint64_t acc = 0;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t x;
    std::memcpy(&x, p, 8);
    acc |= bad(x);
  }
  if (n > 0) {  // the last eight bytes again, overlapping
    uint64_t x;
    std::memcpy(&x, p + n - 8, 8);
    acc |= bad(x);
  }
  return acc == 0;
}

// The value of a hexadecimal digit of either case, or -1 for any other byte.
inline int HexDigitValue(char c) {
  static constexpr struct Table {
    int8_t value[256];
    constexpr Table() : value() {
      for (int b = 0; b < 256; ++b) {
        value[b] = b >= '0' && b <= '9'   ? static_cast<int8_t>(b - '0')
                   : b >= 'a' && b <= 'f' ? static_cast<int8_t>(b - 'a' + 10)
                   : b >= 'A' && b <= 'F' ? static_cast<int8_t>(b - 'A' + 10)
                                          : int8_t{-1};
      }
    }
  } kTable;
  return kTable.value[static_cast<unsigned char>(c)];
}

// Appends `text` with every byte outside RFC 6749's A.8 set (%x20-21 /
// %x23-5B / %x5D-7E: what an error_description or an RFC 9470
// error_description may hold) replaced by `replacement`; clean text (the
// usual case) is appended whole.
inline void AppendA8Safe(std::string* out, absl::string_view text, char replacement) {
  if (AllPrintableUnquoted(text, 0x20)) {
    out->append(text.data(), text.size());
    return;
  }
  for (char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    out->push_back(c >= 0x20 && c <= 0x7e && c != '"' && c != '\\' ? ch : replacement);
  }
}

// Position of the last `c` in `s`, or npos (memrchr: vectorized, and
// inline where absl's rfind is an out-of-line call).
inline size_t FindLast(absl::string_view s, char c) {
  if (s.empty()) return absl::string_view::npos;
  const void* hit = memrchr(s.data(), c, s.size());
  return hit == nullptr ? absl::string_view::npos
                        : static_cast<size_t>(static_cast<const char*>(hit) - s.data());
}

// Position of the first `c` in `s` at or after `from`, or npos.
inline size_t FindFirst(absl::string_view s, char c, size_t from) {
  if (from >= s.size()) return absl::string_view::npos;
  const void* hit = std::memchr(s.data() + from, c, s.size() - from);
  return hit == nullptr ? absl::string_view::npos
                        : static_cast<size_t>(static_cast<const char*>(hit) - s.data());
}

struct CaseInsensitiveEq {
  using is_transparent = void;
  bool operator()(absl::string_view a, absl::string_view b) const {
    return ::consent::internal::EqualsIgnoreCase(a, b);
  }
};

}  // namespace internal
}  // namespace consent

#endif  // CONSENT_ENGINE_INTERNAL_ASCII_H_
