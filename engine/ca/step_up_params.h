// SPEC V4, C7 and S5 request parameters: the `claims` JSON, `acr_values` and
// `max_age`, parsed once per request.
//
// The JSON parser is iterative (an explicit, fixed-size container stack), so
// nesting is bounded by EngineOptions::max_claims_depth (and at most
// kMaxClaimsDepthCap) and never by the C++ stack. It validates the whole
// document (RFC 8259, UTF-8) and reads only claims.access_token.acrs and
// claims.access_token.xms_cc.
#ifndef CONSENT_ENGINE_CA_STEP_UP_PARAMS_H_
#define CONSENT_ENGINE_CA_STEP_UP_PARAMS_H_

#include <string>

#include "absl/strings/string_view.h"
#include "engine/ca/ca_types.h"
#include "engine/engine_options.h"
#include "proto/request.pb.h"

namespace consent {
namespace ca {

inline constexpr int kMaxClaimsDepthCap = 64;

// True for `c1` ... `c99` (`C` also accepted: ids compare case-insensitively;
// no leading zero).
bool IsAuthContextId(absl::string_view id);

// Parses `claims` into `out` (appending to its claims fields). `out` views
// point into `claims` or out->storage. False with `error` on a V4 fault.
bool ParseClaims(absl::string_view claims, const EngineOptions& options,
                 StepUpParams* out, std::string* error);

// Implementation of ParseStepUpParams (conditional_access.h).
bool ParseStepUpParamsImpl(const v1::TokenRequest& request, bool interactive,
                           const EngineOptions& options, StepUpParams* out,
                           std::string* error);

}  // namespace ca
}  // namespace consent

#endif  // CONSENT_ENGINE_CA_STEP_UP_PARAMS_H_
