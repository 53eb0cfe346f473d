// An independent, deliberately plain model of SPEC.md (§2-§4), used only by
// tests: the differential test compares the engine's decisions with it.
//
// Written from /work/shared/domain/SPEC.md alone, never from the engine's
// sources. It reads the bundle protos directly on every call (linear scans,
// std::string, std::set): obviousness over speed. Where SPEC is ambiguous it
// takes the conservative reading; those readings are listed in
// tests/reference/README.md.
#ifndef CONSENT_TESTS_REFERENCE_REFERENCE_EVALUATOR_H_
#define CONSENT_TESTS_REFERENCE_REFERENCE_EVALUATOR_H_

#include <string>

#include "proto/bundle.pb.h"
#include "proto/decision.pb.h"
#include "proto/request.pb.h"

namespace consent {
namespace reference {

namespace v1 = ::consent::v1;

// SPEC §3: the decision for `request` under `bundle`. `bundle` must be a
// bundle the engine's compiler accepts (imports already appended). Never
// crashes; a rule the model cannot evaluate (e.g. a device-filter rule it
// cannot parse) yields UNAVAILABLE/server_error, never a token.
v1::Decision Evaluate(const v1::PolicyBundle& bundle,
                      const v1::TokenRequest& request);

// SPEC §3.10 R1-R3: the writes to persist. `status` is empty on success,
// else the absl status code name the engine should answer
// ("InvalidArgument", "PermissionDenied", "FailedPrecondition").
struct RecordOutcome {
  std::string status;
  v1::RecordConsentResult result;
};
RecordOutcome RecordConsent(const v1::PolicyBundle& bundle,
                            const v1::RecordConsentRequest& request);

// SPEC S4, the resource-side check. `status` is empty on success, else
// "InvalidArgument".
struct AccessOutcome {
  std::string status;
  v1::ResourceAccessResult result;
};
AccessOutcome CheckResourceAccess(const v1::PolicyBundle& bundle,
                                  const v1::ResourceAccessCheck& check);

}  // namespace reference
}  // namespace consent

#endif  // CONSENT_TESTS_REFERENCE_REFERENCE_EVALUATOR_H_
