// Loading policy test suites (proto/suite.proto) and building each case's
// request from the suite's fixtures and templates.
//
// Suite files are textproto. Syntax errors and semantic errors (an unknown
// fixture, a bad `clear` path, a case that states nothing to compare, ...)
// are all reported at once, each as "FILE:LINE:COLUMN: FIELD: message".
//
// Example:
//   absl::StatusOr<LoadedSuite> suite = LoadSuiteFile("policies/contoso/examples.suite.textproto");
//   SuiteFixtures fixtures(suite->suite);
//   absl::StatusOr<v1::TokenRequest> request = fixtures.BuildRequest(suite->suite.cases(0));
#ifndef CONSENT_TOOLS_POLICYCTL_SUITE_FILE_H_
#define CONSENT_TOOLS_POLICYCTL_SUITE_FILE_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/bundle.pb.h"
#include "proto/decision.pb.h"
#include "proto/request.pb.h"
#include "proto/suite.pb.h"

namespace consent::policyctl {

namespace v1 = ::consent::v1;

// A parsed, validated suite with its file paths resolved.
struct LoadedSuite {
  std::string path;         // as given
  v1::Suite suite;
  std::string display_name; // Suite.name, else the file name
  std::string bundle_path;  // Suite.bundle resolved against the suite's dir
  std::vector<std::string> overlay_paths;  // Suite.overlay_files, resolved
  // Per case (same index as suite.cases): 1-based line of the case in the
  // file and its resolved overlay files.
  std::vector<int> case_lines;
  std::vector<std::vector<std::string>> case_overlay_paths;
};

// Reads and validates a suite file. InvalidArgument listing every problem.
absl::StatusOr<LoadedSuite> LoadSuiteFile(const std::string& path);

// As LoadSuiteFile, for text already in memory; `path` names it in errors and
// anchors relative paths.
absl::StatusOr<LoadedSuite> ParseSuite(absl::string_view text,
                                       const std::string& path);

// Reads a PolicyBundle textproto overlay (no imports). Errors name the file,
// line and column.
absl::StatusOr<v1::PolicyBundle> LoadOverlayFile(const std::string& path);

// Resolves `relative` against the directory of `file`, lexically normalized
// ("a/b/../c" -> "a/c").
std::string ResolveRelative(absl::string_view file, absl::string_view relative);

// The suite's fixtures, as `record` steps change them. Not thread-safe.
class SuiteFixtures {
 public:
  explicit SuiteFixtures(const v1::Suite& suite);

  // The case's request: defaults, template chain, fixtures, clear, request
  // (proto/suite.proto). Errors only for inconsistencies LoadSuiteFile
  // would have reported.
  absl::StatusOr<v1::TokenRequest> BuildRequest(const v1::Case& c) const;

  // The user fixture named `name`, or nullptr.
  const v1::User* FindUser(absl::string_view name) const;

  // Merges a recorded Principal grant into every user fixture whose id is
  // `grant.principal_id()` (ASCII case-insensitive): the grant of the same
  // (client, resource) takes the recorded scope, else it is added. Returns
  // the number of fixtures changed.
  int ApplyPrincipalGrant(const v1::GrantWrite& grant);

 private:
  absl::Status ApplyTemplate(absl::string_view name, int depth,
                             v1::TokenRequest* request) const;
  absl::Status ApplyParts(absl::string_view user, absl::string_view session,
                          absl::string_view assertion_session,
                          const google::protobuf::RepeatedPtrField<std::string>& clear,
                          const v1::TokenRequest& overrides,
                          v1::TokenRequest* request) const;

  const v1::Suite& suite_;
  absl::flat_hash_map<std::string, v1::User> users_;
  absl::flat_hash_map<std::string, const v1::Session*> sessions_;
  absl::flat_hash_map<std::string, const v1::RequestTemplate*> templates_;
};

// Applies a recorded consent result to a bundle: AllPrincipals grants merge
// into `tenant_wide_grants` (same client and resource: the recorded scope
// replaces the old value, which it includes, R-rules merge), app-role
// assignments and service principals are added when missing.
void ApplyRecordToBundle(const v1::RecordConsentResult& result,
                         v1::PolicyBundle* bundle);

}  // namespace consent::policyctl

#endif  // CONSENT_TOOLS_POLICYCTL_SUITE_FILE_H_
