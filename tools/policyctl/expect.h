// Comparing a decision with a suite case's expectation (proto/suite.proto
// Expect), and printing decisions for people.
//
// Only the fields the expectation states are compared (SPEC 3.1: an empty
// list, an empty string, false and absent are equal). Lists are compared in
// order, written space-separated; `error_description` values inside RFC 9470
// challenges are replaced by "…" on both sides.
#ifndef CONSENT_TOOLS_POLICYCTL_EXPECT_H_
#define CONSENT_TOOLS_POLICYCTL_EXPECT_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "proto/decision.pb.h"
#include "proto/suite.pb.h"

namespace consent::policyctl {

namespace v1 = ::consent::v1;

// One compared field that differs.
struct Mismatch {
  std::string field;
  std::string expected;
  std::string actual;
};

std::vector<Mismatch> CompareDecision(const v1::Expect& expect,
                                      const v1::Decision& actual);
std::vector<Mismatch> CompareAccess(const v1::ExpectAccess& expect,
                                    const v1::ResourceAccessResult& actual);

// Replaces the value of every `error_description="..."` parameter of a
// WWW-Authenticate value by "…" (SPEC 3.1).
std::string NormalizeChallenge(absl::string_view header);

// Normalizes a space-separated list: runs of whitespace become one space.
std::string NormalizeList(absl::string_view list);

// "  field            expected ...   actual ..." table, one line per field.
std::string FormatMismatches(const std::vector<Mismatch>& mismatches);

// The decision's non-empty contract fields, one "name: value" per line, each
// prefixed by `indent`.
std::string FormatDecision(const v1::Decision& decision,
                           absl::string_view indent);

// The explanation, one "name: values" per line, each prefixed by `indent`.
std::string FormatExplanation(const v1::Explanation& explanation,
                              absl::string_view indent);

// The resource-access result, one line.
std::string FormatAccess(const v1::ResourceAccessResult& result);

}  // namespace consent::policyctl

#endif  // CONSENT_TOOLS_POLICYCTL_EXPECT_H_
