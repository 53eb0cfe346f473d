// Step-up challenge strings (SPEC S1-S4), built byte-exact.
//
// Builders append into caller-owned strings (capacity reused; no other
// allocation). JSON strings use RFC 8259 minimal escaping (S1).
#ifndef CONSENT_ENGINE_CA_CHALLENGES_H_
#define CONSENT_ENGINE_CA_CHALLENGES_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "engine/ca/ca_types.h"
#include "proto/decision.pb.h"
#include "proto/request.pb.h"

namespace consent {
namespace ca {

// Appends `value` as a JSON string (quotes included): only `"`, `\` and
// U+0000-U+001F are escaped (\" \\ \b \f \n \r \t, else \u00xx lower-case).
void AppendJsonString(absl::string_view value, std::string* out);

// Appends standard base64 (RFC 4648 §4, padded).
void AppendBase64(absl::string_view data, std::string* out);

// S1: `{"access_token":{...}}` into `out` (replaced). `capolids` and `acrs`
// must already be sorted (SPEC §0). Both empty: `out` is cleared (no claims).
void BuildClaimsChallenge(absl::Span<const absl::string_view> capolids,
                          absl::Span<const absl::string_view> acrs, std::string* out);

// S2: the middle tier's WWW-Authenticate value for `claims` (replaced).
void BuildMiddleTierChallenge(absl::string_view claims, std::string* out);

// S3: `Bearer error="insufficient_user_authentication",
// error_description="...", acr_values="c1 c2", max_age="N"` (replaced); the
// acr_values / max_age parameters only when given.
void BuildRfc9470Challenge(absl::string_view description,
                           absl::Span<const absl::string_view> acr_values,
                           std::optional<int64_t> max_age, std::string* out);

// The free-text error_description of S3 headers (allowed bytes only).
inline constexpr absl::string_view kStepUpDescription =
    "The request needs a stronger or more recent authentication";

// "entra" (also empty), "rfc9470", "both", ASCII case-insensitive.
std::optional<ChallengeFormat> ParseChallengeFormatImpl(absl::string_view text);

// S4, the resource-side check.
v1::ResourceAccessResult CheckResourceAccessImpl(const v1::ResourceAccessCheck& check,
                                                 int64_t now, ChallengeFormat format);

}  // namespace ca
}  // namespace consent

#endif  // CONSENT_ENGINE_CA_CHALLENGES_H_
