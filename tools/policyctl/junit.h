// JUnit XML for `policyctl test --junit=FILE`: one <testsuite> per suite
// file, one <testcase> per case, so tools/test.sh and CI count every suite
// case as a test case.
#ifndef CONSENT_TOOLS_POLICYCTL_JUNIT_H_
#define CONSENT_TOOLS_POLICYCTL_JUNIT_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace consent::policyctl {

struct JunitCase {
  std::string name;
  bool passed = false;
  std::string failure_message;  // one line
  std::string failure_text;     // the diff and the explanation
};

struct JunitSuite {
  std::string name;  // the suite's display name
  std::string file;  // its path
  std::vector<JunitCase> cases;
  // A suite that could not be loaded or run: reported as one failing case.
  std::string error;
};

// The whole document.
std::string JunitXml(const std::vector<JunitSuite>& suites);

// XML-escapes text for attributes and element content; bytes not allowed in
// XML 1.0 become U+FFFD.
std::string XmlEscape(absl::string_view text);

}  // namespace consent::policyctl

#endif  // CONSENT_TOOLS_POLICYCTL_JUNIT_H_
