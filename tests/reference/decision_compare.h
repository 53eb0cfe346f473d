// Comparing decisions as SPEC 3.1 says: `error_description` and
// `explanation` are never compared, and the `error_description` value inside
// an S3 header (`rfc9470_challenge`) is replaced by "…" before comparing.
#ifndef CONSENT_TESTS_REFERENCE_DECISION_COMPARE_H_
#define CONSENT_TESTS_REFERENCE_DECISION_COMPARE_H_

#include <string>

#include "proto/decision.pb.h"

namespace consent {
namespace reference {

// The comparable form of `d`: never-compared fields cleared, the S3
// error_description value replaced by "…".
consent::v1::Decision Comparable(const consent::v1::Decision& d);

// Empty when equal; else a field-by-field report of the differences.
std::string DiffDecisions(const consent::v1::Decision& expected,
                          const consent::v1::Decision& actual);

// S4 results: each S3 header's error_description value replaced by "…".
consent::v1::ResourceAccessResult Comparable(const consent::v1::ResourceAccessResult& r);

}  // namespace reference
}  // namespace consent

#endif  // CONSENT_TESTS_REFERENCE_DECISION_COMPARE_H_
