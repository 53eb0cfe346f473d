// RFC 3339 UTC timestamps and dates, parsed without allocation.
#ifndef CONSENT_ENGINE_INTERNAL_TIME_H_
#define CONSENT_ENGINE_INTERNAL_TIME_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace consent {
namespace internal {

// Seconds since the Unix epoch for "YYYY-MM-DDThh:mm:ss[.fff]Z" (also "+00:00"
// and lower-case t/z; other offsets are applied). nullopt when malformed.
std::optional<int64_t> ParseRfc3339(absl::string_view text);

// Days since the Unix epoch for "YYYY-MM-DD". nullopt when malformed.
std::optional<int64_t> ParseDate(absl::string_view text);

// "YYYY-MM-DDThh:mm:ssZ" into `out` (reuses its capacity).
void FormatRfc3339(int64_t seconds, std::string* out);

}  // namespace internal
}  // namespace consent

#endif  // CONSENT_ENGINE_INTERNAL_TIME_H_
