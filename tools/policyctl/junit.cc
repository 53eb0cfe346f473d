#include "tools/policyctl/junit.h"

#include "absl/strings/str_cat.h"

namespace consent::policyctl {

std::string XmlEscape(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') {
          out += "\xEF\xBF\xBD";
        } else {
          out += ch;
        }
    }
  }
  return out;
}

std::string JunitXml(const std::vector<JunitSuite>& suites) {
  int tests = 0, failures = 0;
  for (const JunitSuite& s : suites) {
    if (!s.error.empty()) {
      ++tests;
      ++failures;
    }
    for (const JunitCase& c : s.cases) {
      ++tests;
      failures += !c.passed;
    }
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  absl::StrAppend(&out, "<testsuites name=\"policyctl\" tests=\"", tests,
                  "\" failures=\"", failures, "\" errors=\"0\">\n");
  for (const JunitSuite& s : suites) {
    int suite_failures = s.error.empty() ? 0 : 1;
    int suite_tests = static_cast<int>(s.cases.size()) + suite_failures;
    for (const JunitCase& c : s.cases) suite_failures += !c.passed;
    absl::StrAppend(&out, "  <testsuite name=\"", XmlEscape(s.name),
                    "\" file=\"", XmlEscape(s.file), "\" tests=\"", suite_tests,
                    "\" failures=\"", suite_failures, "\" errors=\"0\">\n");
    if (!s.error.empty()) {
      absl::StrAppend(&out, "    <testcase classname=\"", XmlEscape(s.name),
                      "\" name=\"(load)\" time=\"0\">\n      <failure message=\"",
                      XmlEscape("suite could not be run"), "\">",
                      XmlEscape(s.error), "</failure>\n    </testcase>\n");
    }
    for (const JunitCase& c : s.cases) {
      absl::StrAppend(&out, "    <testcase classname=\"", XmlEscape(s.name),
                      "\" name=\"", XmlEscape(c.name), "\" time=\"0\"");
      if (c.passed) {
        absl::StrAppend(&out, "/>\n");
      } else {
        absl::StrAppend(&out, ">\n      <failure message=\"",
                        XmlEscape(c.failure_message), "\">",
                        XmlEscape(c.failure_text),
                        "</failure>\n    </testcase>\n");
      }
    }
    absl::StrAppend(&out, "  </testsuite>\n");
  }
  absl::StrAppend(&out, "</testsuites>\n");
  return out;
}

}  // namespace consent::policyctl
