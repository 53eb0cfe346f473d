#include "tools/policyctl/suite_file.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "tools/policyctl/field_path.h"

namespace consent::policyctl {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::TextFormat;

// Collects parser errors as "FILE:LINE:COL: message" (1-based).
class Collector : public google::protobuf::io::ErrorCollector {
 public:
  explicit Collector(std::string file) : file_(std::move(file)) {}
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    errors_.push_back(absl::StrCat(file_, ":", line + 1, ":", column + 1, ": ",
                                   message));
  }
  void AddWarning(int line, google::protobuf::io::ColumnNumber column,
                  const std::string& message) override {
    AddError(line, column, absl::StrCat("warning: ", message));
  }
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::string file_;
  std::vector<std::string> errors_;
};

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open file"));
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read error"));
  return buffer.str();
}

// Semantic problems located through the parser's ParseInfoTree.
class Problems {
 public:
  explicit Problems(std::string file) : file_(std::move(file)) {}

  // `tree` is the tree of the message holding `field_name`; index -1 for a
  // singular field.
  void Add(const TextFormat::ParseInfoTree* tree, const Descriptor& type,
           absl::string_view field_name, int index, absl::string_view path,
           absl::string_view message) {
    int line = 0, column = 0;
    const FieldDescriptor* field = type.FindFieldByName(std::string(field_name));
    // GetLocation aborts on a repeated field without an index.
    if (tree != nullptr && field != nullptr &&
        field->is_repeated() == (index >= 0)) {
      TextFormat::ParseLocation loc = tree->GetLocation(field, index);
      if (loc.line >= 0) {
        line = loc.line + 1;
        column = loc.column + 1;
      }
    }
    if (line > 0) {
      list_.push_back(absl::StrCat(file_, ":", line, ":", column, ": ", path,
                                   ": ", message));
    } else {
      list_.push_back(absl::StrCat(file_, ": ", path, ": ", message));
    }
  }
  bool empty() const { return list_.empty(); }
  absl::Status ToStatus() const {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid suite: ", list_.size(),
        list_.size() == 1 ? " problem\n  " : " problems\n  ",
        absl::StrJoin(list_, "\n  ")));
  }

 private:
  std::string file_;
  std::vector<std::string> list_;
};

const TextFormat::ParseInfoTree* Nested(const TextFormat::ParseInfoTree* tree,
                                        const Descriptor& type,
                                        absl::string_view field_name,
                                        int index) {
  if (tree == nullptr) return nullptr;
  const FieldDescriptor* field = type.FindFieldByName(std::string(field_name));
  if (field == nullptr || field->is_repeated() != (index >= 0)) return nullptr;
  return tree->GetTreeForNested(field, index);
}

std::string Quoted(absl::string_view s) { return absl::StrCat("\"", s, "\""); }

std::string Lower(absl::string_view s) { return absl::AsciiStrToLower(s); }

constexpr absl::string_view kRecordKinds[] = {"user_prompt", "admin_prompt",
                                              "admin_grant"};
constexpr absl::string_view kStatusNames[] = {
    "CANCELLED",          "UNKNOWN",           "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",  "NOT_FOUND",         "ALREADY_EXISTS",
    "PERMISSION_DENIED",  "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED",            "OUT_OF_RANGE",      "UNIMPLEMENTED",
    "INTERNAL",           "UNAVAILABLE",       "DATA_LOSS",
    "UNAUTHENTICATED"};

template <typename Range>
bool Contains(const Range& range, absl::string_view value) {
  for (absl::string_view v : range) {
    if (v == value) return true;
  }
  return false;
}

// Checks the suite's cross-references and paths.
void Validate(const LoadedSuite& loaded, const TextFormat::ParseInfoTree& root,
              Problems* problems) {
  const v1::Suite& suite = loaded.suite;
  const Descriptor& suite_type = *v1::Suite::descriptor();
  if (suite.bundle().empty()) {
    problems->Add(&root, suite_type, "bundle", -1, "bundle",
                  "required: the bundle under test, relative to the suite file");
  }
  for (int i = 0; i < suite.bundle_clear_size(); ++i) {
    if (absl::Status s = CheckFieldPath(*v1::PolicyBundle::descriptor(),
                                        suite.bundle_clear(i));
        !s.ok()) {
      problems->Add(&root, suite_type, "bundle_clear", i,
                    absl::StrCat("bundle_clear[", i, "]"), s.message());
    }
  }

  absl::flat_hash_set<std::string> users, sessions, templates, cases;
  auto check_unique = [&](absl::flat_hash_set<std::string>* seen,
                          absl::string_view list, int i,
                          absl::string_view name,
                          const TextFormat::ParseInfoTree* tree,
                          const Descriptor& type) {
    std::string path = absl::StrCat(list, "[", i, "].name");
    if (name.empty()) {
      problems->Add(tree, type, "name", -1, path, "required");
    } else if (!seen->insert(std::string(name)).second) {
      problems->Add(tree, type, "name", -1, path,
                    absl::StrCat("duplicate name ", Quoted(name)));
    }
  };
  for (int i = 0; i < suite.users_size(); ++i) {
    check_unique(&users, "users", i, suite.users(i).name(),
                 Nested(&root, suite_type, "users", i),
                 *v1::UserFixture::descriptor());
  }
  for (int i = 0; i < suite.sessions_size(); ++i) {
    check_unique(&sessions, "sessions", i, suite.sessions(i).name(),
                 Nested(&root, suite_type, "sessions", i),
                 *v1::SessionFixture::descriptor());
  }
  for (int i = 0; i < suite.templates_size(); ++i) {
    check_unique(&templates, "templates", i, suite.templates(i).name(),
                 Nested(&root, suite_type, "templates", i),
                 *v1::RequestTemplate::descriptor());
  }

  // References shared by templates and cases.
  auto check_refs = [&](absl::string_view prefix,
                        const TextFormat::ParseInfoTree* tree,
                        const Descriptor& type, absl::string_view user,
                        absl::string_view session,
                        absl::string_view assertion_session,
                        const google::protobuf::RepeatedPtrField<std::string>& clear) {
    if (!user.empty() && !users.contains(user)) {
      problems->Add(tree, type, "user", -1, absl::StrCat(prefix, ".user"),
                    absl::StrCat("unknown user fixture ", Quoted(user)));
    }
    if (!session.empty() && !sessions.contains(session)) {
      problems->Add(tree, type, "session", -1, absl::StrCat(prefix, ".session"),
                    absl::StrCat("unknown session fixture ", Quoted(session)));
    }
    if (!assertion_session.empty() && !sessions.contains(assertion_session)) {
      problems->Add(tree, type, "assertion_session", -1,
                    absl::StrCat(prefix, ".assertion_session"),
                    absl::StrCat("unknown session fixture ",
                                 Quoted(assertion_session)));
    }
    for (int j = 0; j < clear.size(); ++j) {
      if (absl::Status s =
              CheckFieldPath(*v1::TokenRequest::descriptor(), clear[j]);
          !s.ok()) {
        problems->Add(tree, type, "clear", j,
                      absl::StrCat(prefix, ".clear[", j, "]"), s.message());
      }
    }
  };

  for (int i = 0; i < suite.templates_size(); ++i) {
    const v1::RequestTemplate& t = suite.templates(i);
    const auto* tree = Nested(&root, suite_type, "templates", i);
    const Descriptor& type = *v1::RequestTemplate::descriptor();
    std::string prefix = absl::StrCat("templates[", i, "]");
    check_refs(prefix, tree, type, t.user(), t.session(), t.assertion_session(),
               t.clear());
    if (!t.base().empty()) {
      if (!templates.contains(t.base())) {
        problems->Add(tree, type, "base", -1, prefix + ".base",
                      absl::StrCat("unknown template ", Quoted(t.base())));
        continue;
      }
      // Cycle check: follow bases.
      absl::flat_hash_set<std::string> seen = {t.name()};
      std::string next = t.base();
      while (!next.empty()) {
        if (!seen.insert(next).second) {
          problems->Add(tree, type, "base", -1, prefix + ".base",
                        absl::StrCat("template cycle through ", Quoted(next)));
          break;
        }
        std::string following;
        for (const auto& other : suite.templates()) {
          if (other.name() == next) following = other.base();
        }
        next = following;
      }
    }
  }

  const Descriptor& case_type = *v1::Case::descriptor();
  if (suite.cases_size() == 0) {
    problems->Add(&root, suite_type, "cases", -1, "cases", "a suite needs at least one case");
  }
  for (int i = 0; i < suite.cases_size(); ++i) {
    const v1::Case& c = suite.cases(i);
    const auto* tree = Nested(&root, suite_type, "cases", i);
    std::string prefix = absl::StrCat("cases[", i, "]");
    if (!c.name().empty()) prefix = absl::StrCat(prefix, " (", c.name(), ")");
    check_unique(&cases, "cases", i, c.name(), tree, case_type);
    check_refs(prefix, tree, case_type, c.user(), c.session(),
               c.assertion_session(), c.clear());
    if (!c.template_().empty() && !templates.contains(c.template_())) {
      problems->Add(tree, case_type, "template", -1, prefix + ".template",
                    absl::StrCat("unknown template ", Quoted(c.template_())));
    }
    for (int j = 0; j < c.bundle_clear_size(); ++j) {
      if (absl::Status s = CheckFieldPath(*v1::PolicyBundle::descriptor(),
                                          c.bundle_clear(j));
          !s.ok()) {
        problems->Add(tree, case_type, "bundle_clear", j,
                      absl::StrCat(prefix, ".bundle_clear[", j, "]"),
                      s.message());
      }
    }
    const bool is_check = c.has_resource_check();
    if (is_check) {
      if (!c.template_().empty() || !c.user().empty() || !c.session().empty() ||
          !c.assertion_session().empty() || c.clear_size() > 0 ||
          c.has_request() || c.has_record() || c.has_expect()) {
        problems->Add(tree, case_type, "resource_check", -1,
                      prefix + ".resource_check",
                      "a resource check case has no request, fixtures, record "
                      "or expect (use expect_access)");
      }
      if (!c.has_expect_access() || c.expect_access().ByteSizeLong() == 0) {
        problems->Add(tree, case_type, "resource_check", -1,
                      prefix + ".expect_access",
                      "required with resource_check: the expected S4 result");
      }
    } else {
      if (c.has_expect_access()) {
        problems->Add(tree, case_type, "expect_access", -1,
                      prefix + ".expect_access",
                      "only for resource_check cases");
      }
      const bool states_something =
          c.expect().ByteSizeLong() > 0 ||
          (c.has_record() && true);  // a record step checks its own status
      if (!states_something) {
        problems->Add(tree, case_type, "name", -1, prefix + ".expect",
                      "the case states no expected field: it could never fail");
      }
    }
    if (c.has_record()) {
      const v1::Record& r = c.record();
      const auto* rtree = Nested(tree, case_type, "record", -1);
      const Descriptor& rtype = *v1::Record::descriptor();
      if (!Contains(kRecordKinds, r.kind())) {
        problems->Add(rtree ? rtree : tree, rtree ? rtype : case_type,
                      rtree ? "kind" : "record", -1, prefix + ".record.kind",
                      absl::StrCat("must be user_prompt, admin_prompt or "
                                   "admin_grant, not ",
                                   Quoted(r.kind())));
      }
      if (r.kind() == "admin_grant") {
        if (r.actor().empty() || !users.contains(r.actor())) {
          problems->Add(rtree, rtype, "actor", -1, prefix + ".record.actor",
                        absl::StrCat("admin_grant needs a user fixture as "
                                     "actor; unknown ",
                                     Quoted(r.actor())));
        }
        if (r.client_app_id().empty()) {
          problems->Add(rtree, rtype, "client_app_id", -1,
                        prefix + ".record.client_app_id",
                        "required for admin_grant");
        }
      }
      if (!r.expect_status().empty() &&
          !Contains(kStatusNames, r.expect_status())) {
        problems->Add(rtree, rtype, "expect_status", -1,
                      prefix + ".record.expect_status",
                      absl::StrCat("not an absl status code name: ",
                                   Quoted(r.expect_status())));
      }
    }
  }
}

}  // namespace

std::string ResolveRelative(absl::string_view file, absl::string_view relative) {
  std::string joined;
  size_t slash = file.rfind('/');
  if (absl::StartsWith(relative, "/") || slash == absl::string_view::npos) {
    joined = std::string(relative);
  } else {
    joined = absl::StrCat(file.substr(0, slash + 1), relative);
  }
  // One spelling per file: coverage is keyed by the bundle path.
  return std::filesystem::path(joined).lexically_normal().string();
}

absl::StatusOr<LoadedSuite> ParseSuite(absl::string_view text,
                                       const std::string& path) {
  LoadedSuite loaded;
  loaded.path = path;
  TextFormat::Parser parser;
  Collector collector(path);
  TextFormat::ParseInfoTree tree;
  parser.RecordErrorsTo(&collector);
  parser.WriteLocationsTo(&tree);
  if (!parser.ParseFromString(std::string(text), &loaded.suite)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid suite: ", absl::StrJoin(collector.errors(), "\n  ")));
  }
  Problems problems(path);
  Validate(loaded, tree, &problems);
  if (!problems.empty()) return problems.ToStatus();

  const v1::Suite& suite = loaded.suite;
  loaded.display_name = suite.name();
  if (loaded.display_name.empty()) {
    size_t slash = path.rfind('/');
    loaded.display_name =
        slash == std::string::npos ? path : path.substr(slash + 1);
  }
  loaded.bundle_path = ResolveRelative(path, suite.bundle());
  for (const std::string& f : suite.overlay_files()) {
    loaded.overlay_paths.push_back(ResolveRelative(path, f));
  }
  const FieldDescriptor* cases_field =
      v1::Suite::descriptor()->FindFieldByName("cases");
  for (int i = 0; i < suite.cases_size(); ++i) {
    TextFormat::ParseLocation loc = tree.GetLocation(cases_field, i);
    loaded.case_lines.push_back(loc.line >= 0 ? loc.line + 1 : 0);
    std::vector<std::string> overlays;
    for (const std::string& f : suite.cases(i).overlay_files()) {
      overlays.push_back(ResolveRelative(path, f));
    }
    loaded.case_overlay_paths.push_back(std::move(overlays));
  }
  return loaded;
}

absl::StatusOr<LoadedSuite> LoadSuiteFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  return ParseSuite(*text, path);
}

absl::StatusOr<v1::PolicyBundle> LoadOverlayFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  TextFormat::Parser parser;
  Collector collector(path);
  parser.RecordErrorsTo(&collector);
  v1::PolicyBundle bundle;
  if (!parser.ParseFromString(*text, &bundle)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid overlay: ", absl::StrJoin(collector.errors(), "\n  ")));
  }
  if (bundle.imports_size() > 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": imports: overlays cannot import; the base bundle's imports "
              "apply"));
  }
  return bundle;
}

SuiteFixtures::SuiteFixtures(const v1::Suite& suite) : suite_(suite) {
  for (const auto& u : suite.users()) users_[u.name()] = u.user();
  for (const auto& s : suite.sessions()) sessions_[s.name()] = &s.session();
  for (const auto& t : suite.templates()) templates_[t.name()] = &t;
}

const v1::User* SuiteFixtures::FindUser(absl::string_view name) const {
  auto it = users_.find(name);
  return it == users_.end() ? nullptr : &it->second;
}

absl::Status SuiteFixtures::ApplyParts(
    absl::string_view user, absl::string_view session,
    absl::string_view assertion_session,
    const google::protobuf::RepeatedPtrField<std::string>& clear,
    const v1::TokenRequest& overrides, v1::TokenRequest* request) const {
  if (!user.empty()) {
    const v1::User* u = FindUser(user);
    if (u == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown user fixture ", Quoted(user)));
    }
    *request->mutable_user() = *u;
  }
  if (!session.empty()) {
    auto it = sessions_.find(session);
    if (it == sessions_.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown session fixture ", Quoted(session)));
    }
    *request->mutable_session() = *it->second;
  }
  if (!assertion_session.empty()) {
    auto it = sessions_.find(assertion_session);
    if (it == sessions_.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown session fixture ", Quoted(assertion_session)));
    }
    *request->mutable_assertion()->mutable_session() = *it->second;
  }
  for (const std::string& path : clear) {
    if (absl::Status s = ClearFieldPath(request, path); !s.ok()) return s;
  }
  request->MergeFrom(overrides);
  return absl::OkStatus();
}

absl::Status SuiteFixtures::ApplyTemplate(absl::string_view name, int depth,
                                          v1::TokenRequest* request) const {
  if (depth > 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("template chain too deep at ", Quoted(name)));
  }
  auto it = templates_.find(name);
  if (it == templates_.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown template ", Quoted(name)));
  }
  const v1::RequestTemplate& t = *it->second;
  if (!t.base().empty()) {
    if (absl::Status s = ApplyTemplate(t.base(), depth + 1, request); !s.ok()) {
      return s;
    }
  }
  return ApplyParts(t.user(), t.session(), t.assertion_session(), t.clear(),
                    t.request(), request);
}

absl::StatusOr<v1::TokenRequest> SuiteFixtures::BuildRequest(
    const v1::Case& c) const {
  v1::TokenRequest request = suite_.defaults();
  if (!c.template_().empty()) {
    if (absl::Status s = ApplyTemplate(c.template_(), 0, &request); !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = ApplyParts(c.user(), c.session(), c.assertion_session(),
                                  c.clear(), c.request(), &request);
      !s.ok()) {
    return s;
  }
  return request;
}

int SuiteFixtures::ApplyPrincipalGrant(const v1::GrantWrite& grant) {
  int changed = 0;
  const std::string principal = Lower(grant.principal_id());
  for (auto& [name, user] : users_) {
    if (Lower(user.id()) != principal) continue;
    bool merged = false;
    for (v1::UserGrant& g : *user.mutable_grants()) {
      if (Lower(g.client_app_id()) == Lower(grant.client_app_id()) &&
          Lower(g.resource_app_id()) == Lower(grant.resource_app_id())) {
        g.set_scope(grant.scope());
        merged = true;
        break;
      }
    }
    if (!merged) {
      v1::UserGrant* g = user.add_grants();
      g->set_client_app_id(grant.client_app_id());
      g->set_resource_app_id(grant.resource_app_id());
      g->set_scope(grant.scope());
    }
    ++changed;
  }
  return changed;
}

void ApplyRecordToBundle(const v1::RecordConsentResult& result,
                         v1::PolicyBundle* bundle) {
  for (const v1::GrantWrite& grant : result.grants()) {
    if (grant.consent_type() != "AllPrincipals") continue;
    bool merged = false;
    for (v1::TenantWideGrant& g : *bundle->mutable_tenant_wide_grants()) {
      if (Lower(g.client_app_id()) == Lower(grant.client_app_id()) &&
          Lower(g.resource_app_id()) == Lower(grant.resource_app_id())) {
        g.set_scope(grant.scope());
        merged = true;
        break;
      }
    }
    if (!merged) {
      v1::TenantWideGrant* g = bundle->add_tenant_wide_grants();
      g->set_id(absl::StrCat("recorded-", grant.client_app_id(), "-",
                             grant.resource_app_id()));
      g->set_client_app_id(grant.client_app_id());
      g->set_resource_app_id(grant.resource_app_id());
      g->set_scope(grant.scope());
    }
  }
  for (const v1::AppRoleAssignmentWrite& a : result.app_role_assignments()) {
    bool present = false;
    for (const auto& existing : bundle->app_role_assignments()) {
      if (Lower(existing.client_app_id()) == Lower(a.client_app_id()) &&
          Lower(existing.resource_app_id()) == Lower(a.resource_app_id()) &&
          Lower(existing.app_role_id()) == Lower(a.app_role_id())) {
        present = true;
      }
    }
    if (present) continue;
    v1::ServicePrincipalRoleAssignment* out = bundle->add_app_role_assignments();
    out->set_client_app_id(a.client_app_id());
    out->set_resource_app_id(a.resource_app_id());
    out->set_app_role_id(a.app_role_id());
  }
  for (const std::string& app_id : result.create_service_principals()) {
    bool present = false;
    for (const auto& sp : bundle->service_principals()) {
      if (Lower(sp.app_id()) == Lower(app_id)) present = true;
    }
    if (present) continue;
    v1::ServicePrincipal* sp = bundle->add_service_principals();
    sp->set_app_id(app_id);
    sp->set_object_id(absl::StrCat("sp-recorded-", app_id));
  }
}

}  // namespace consent::policyctl
