// Runs policy test suites against the engine (`policyctl test`).
//
// For each suite: load and validate it, load its bundle (with imports), apply
// the suite's bundle changes, then run the cases in file order: build the
// request, compile the case's effective bundle (cached per distinct bundle),
// evaluate, compare, optionally record consent and carry the result forward
// (proto/suite.proto). Prints PASS/FAIL per case; a failure shows the
// expected-vs-actual diff, the request as built, the actual decision and its
// explanation.
#ifndef CONSENT_TOOLS_POLICYCTL_RUNNER_H_
#define CONSENT_TOOLS_POLICYCTL_RUNNER_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/policyctl/coverage.h"
#include "tools/policyctl/junit.h"

namespace consent::policyctl {

struct RunOptions {
  // Print the decision and explanation for passing cases too.
  bool verbose = false;
  // Run only cases whose name contains this text (empty = all).
  std::string filter;
};

struct RunTotals {
  int passed = 0;
  int failed = 0;
};

class SuiteRunner {
 public:
  // `coverage` may be null; it must outlive the runner.
  SuiteRunner(RunOptions options, Coverage* coverage, std::ostream* out);

  // Runs one suite file; adds its cases to `totals` (a suite that cannot be
  // loaded counts as one failure) and returns its JUnit record.
  JunitSuite Run(const std::string& path, RunTotals* totals);

 private:
  RunOptions options_;
  Coverage* coverage_;
  std::ostream* out_;
};

// Expands PATHs: files are taken as they are, directories are searched
// recursively for `*.suite.textproto`, sorted. NotFound for a missing path or
// a directory without suites.
absl::StatusOr<std::vector<std::string>> FindSuites(
    const std::vector<std::string>& paths);

}  // namespace consent::policyctl

#endif  // CONSENT_TOOLS_POLICYCTL_RUNNER_H_
