#include "tests/reference/decision_compare.h"

#include <google/protobuf/util/message_differencer.h>

#include <string>

namespace consent {
namespace reference {

namespace {

std::string NormalizeChallenge(const std::string& h) {
  const std::string key = "error_description=\"";
  const size_t start = h.find(key);
  if (start == std::string::npos) return h;
  const size_t value = start + key.size();
  const size_t end = h.find('"', value);
  if (end == std::string::npos) return h;
  return h.substr(0, value) + "\xE2\x80\xA6" + h.substr(end);
}

}  // namespace

consent::v1::Decision Comparable(const consent::v1::Decision& d) {
  consent::v1::Decision out = d;
  out.clear_error_description();
  out.clear_explanation();
  if (out.has_step_up() && !out.step_up().rfc9470_challenge().empty()) {
    out.mutable_step_up()->set_rfc9470_challenge(
        NormalizeChallenge(out.step_up().rfc9470_challenge()));
  }
  // "an empty list, an empty string, false and absent are equal" (3.1).
  if (out.has_token() && out.token().ByteSizeLong() == 0) out.clear_token();
  if (out.has_prompt() && out.prompt().ByteSizeLong() == 0) out.clear_prompt();
  if (out.has_step_up() && out.step_up().ByteSizeLong() == 0) out.clear_step_up();
  return out;
}

consent::v1::ResourceAccessResult Comparable(const consent::v1::ResourceAccessResult& r) {
  consent::v1::ResourceAccessResult out = r;
  for (std::string& h : *out.mutable_www_authenticate()) h = NormalizeChallenge(h);
  return out;
}

std::string DiffDecisions(const consent::v1::Decision& expected,
                          const consent::v1::Decision& actual) {
  google::protobuf::util::MessageDifferencer differ;
  std::string report;
  differ.ReportDifferencesToString(&report);
  const consent::v1::Decision a = Comparable(expected);
  const consent::v1::Decision b = Comparable(actual);
  if (differ.Compare(a, b)) return "";
  return report.empty() ? std::string("decisions differ") : report;
}

}  // namespace reference
}  // namespace consent
