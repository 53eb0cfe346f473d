// Field paths over protobuf messages, for suite overrides: `clear` and
// `bundle_clear` entries such as "session.device" or
// "consent_settings.user_consent_policies" (proto/suite.proto).
#ifndef CONSENT_TOOLS_POLICYCTL_FIELD_PATH_H_
#define CONSENT_TOOLS_POLICYCTL_FIELD_PATH_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace consent::policyctl {

// Checks that `path` (dot-separated field names; every field but the last a
// singular message) names a field of `descriptor`. InvalidArgument naming the
// first unknown component otherwise.
absl::Status CheckFieldPath(const google::protobuf::Descriptor& descriptor,
                            absl::string_view path);

// Clears the field named by `path` in `message` (a missing intermediate
// message means the field is already clear). Errors as CheckFieldPath.
absl::Status ClearFieldPath(google::protobuf::Message* message,
                            absl::string_view path);

}  // namespace consent::policyctl

#endif  // CONSENT_TOOLS_POLICYCTL_FIELD_PATH_H_
