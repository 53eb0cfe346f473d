#include "engine/testing/decision_matchers.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace consent::testing {

std::string DescribeDecision(const v1::Decision& d) {
  std::string out = v1::Outcome_Name(d.outcome());
  if (!d.error().empty()) absl::StrAppend(&out, " ", d.error());
  if (d.error_code() != 0) absl::StrAppend(&out, " ", d.error_code());
  if (!d.suberror().empty()) absl::StrAppend(&out, " (", d.suberror(), ")");
  if (!d.reason().empty()) absl::StrAppend(&out, " reason ", d.reason());
  if (d.explanation().rules_size() > 0) {
    absl::StrAppend(&out, " (rules: ", absl::StrJoin(d.explanation().rules(), " "),
                    ")");
  }
  return out;
}

namespace matchers_internal {

bool SameStrings(const google::protobuf::RepeatedPtrField<std::string>& actual,
                 const std::vector<std::string>& expected, bool ordered) {
  std::vector<std::string> a(actual.begin(), actual.end());
  std::vector<std::string> e = expected;
  if (!ordered) {
    std::sort(a.begin(), a.end());
    std::sort(e.begin(), e.end());
  }
  return a == e;
}

std::string Join(const google::protobuf::RepeatedPtrField<std::string>& list) {
  return absl::StrJoin(list, " ");
}

std::string Join(const std::vector<std::string>& list) {
  return absl::StrJoin(list, " ");
}

}  // namespace matchers_internal
}  // namespace consent::testing
