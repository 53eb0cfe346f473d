#include "tools/policyctl/runner.h"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "engine/policy_engine.h"
#include "tools/policyctl/expect.h"
#include "tools/policyctl/field_path.h"
#include "tools/policyctl/suite_file.h"

namespace consent::policyctl {
namespace {

namespace fs = std::filesystem;

// Clears `paths` and appends overlay files and the inline overlay.
absl::Status ApplyBundleChanges(
    const google::protobuf::RepeatedPtrField<std::string>& clear,
    const std::vector<std::string>& overlay_paths,
    const v1::PolicyBundle& overlay, v1::PolicyBundle* bundle) {
  for (const std::string& path : clear) {
    if (absl::Status s = ClearFieldPath(bundle, path); !s.ok()) return s;
  }
  for (const std::string& path : overlay_paths) {
    absl::StatusOr<v1::PolicyBundle> loaded = LoadOverlayFile(path);
    if (!loaded.ok()) return loaded.status();
    bundle->MergeFrom(*loaded);
  }
  bundle->MergeFrom(overlay);
  return absl::OkStatus();
}

std::string Indent(absl::string_view text, absl::string_view indent) {
  std::string out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    absl::StrAppend(&out, indent, line, "\n");
  }
  return out;
}

absl::StatusCode StatusCodeByName(absl::string_view name) {
  for (int code = 0; code <= 16; ++code) {
    auto c = static_cast<absl::StatusCode>(code);
    std::string text = absl::StatusCodeToString(c);
    if (absl::EqualsIgnoreCase(text, name)) return c;
    std::string underscored = absl::StrReplaceAll(text, {{" ", "_"}});
    if (absl::EqualsIgnoreCase(underscored, name)) return c;
  }
  return absl::StatusCode::kUnknown;
}

}  // namespace

SuiteRunner::SuiteRunner(RunOptions options, Coverage* coverage,
                         std::ostream* out)
    : options_(std::move(options)), coverage_(coverage), out_(out) {}

JunitSuite SuiteRunner::Run(const std::string& path, RunTotals* totals) {
  JunitSuite junit;
  junit.file = path;
  junit.name = path;
  auto fail_suite = [&](absl::string_view message) {
    junit.error = std::string(message);
    ++totals->failed;
    *out_ << "FAIL " << path << " (suite)\n" << Indent(message, "  ");
    return junit;
  };

  absl::StatusOr<LoadedSuite> loaded = LoadSuiteFile(path);
  if (!loaded.ok()) return fail_suite(loaded.status().message());
  const v1::Suite& suite = loaded->suite;
  junit.name = loaded->display_name;

  absl::StatusOr<v1::PolicyBundle> base = LoadBundleFile(loaded->bundle_path);
  if (!base.ok()) {
    return fail_suite(absl::StrCat("bundle ", loaded->bundle_path, ": ",
                                   base.status().message()));
  }
  v1::PolicyBundle state = *std::move(base);
  if (absl::Status s = ApplyBundleChanges(suite.bundle_clear(),
                                          loaded->overlay_paths,
                                          suite.overlay(), &state);
      !s.ok()) {
    return fail_suite(s.message());
  }
  SuiteFixtures fixtures(suite);
  absl::flat_hash_map<std::string, std::shared_ptr<const CompiledPolicy>> cache;
  const std::string& coverage_key = loaded->bundle_path;

  for (int i = 0; i < suite.cases_size(); ++i) {
    const v1::Case& c = suite.cases(i);
    if (!options_.filter.empty() && !absl::StrContains(c.name(), options_.filter)) {
      continue;
    }
    JunitCase result;
    result.name = c.name();
    std::string where = absl::StrCat(path, ":", loaded->case_lines[i]);
    std::string detail;   // diff or error
    std::string actual;   // decision + explanation
    std::string message;  // one line
    std::string request_text;  // the built request, on failure

    v1::PolicyBundle effective = state;
    std::shared_ptr<const CompiledPolicy> policy;
    if (absl::Status s = ApplyBundleChanges(c.bundle_clear(),
                                            loaded->case_overlay_paths[i],
                                            c.overlay(), &effective);
        !s.ok()) {
      message = "bundle overlay error";
      detail = std::string(s.message());
    } else {
      std::string key = effective.SerializeAsString();
      auto it = cache.find(key);
      if (it != cache.end()) {
        policy = it->second;
      } else {
        absl::StatusOr<std::shared_ptr<const CompiledPolicy>> compiled =
            CompilePolicy(effective);
        if (compiled.ok()) {
          policy = *compiled;
          cache[key] = policy;
        } else {
          message = "the case's bundle does not compile";
          detail = std::string(compiled.status().message());
        }
      }
      if (coverage_ != nullptr) coverage_->AddBundle(coverage_key, effective);
    }

    if (policy != nullptr && c.has_resource_check()) {
      absl::StatusOr<v1::ResourceAccessResult> access =
          policy->CheckResourceAccess(c.resource_check());
      if (!access.ok()) {
        message = "resource check failed to run";
        detail = std::string(access.status().message());
      } else {
        std::vector<Mismatch> diff = CompareAccess(c.expect_access(), *access);
        actual = absl::StrCat("    ", FormatAccess(*access), "\n");
        if (!diff.empty()) {
          message = absl::StrCat(diff.size(), " field(s) differ");
          detail = FormatMismatches(diff);
        }
      }
    } else if (policy != nullptr) {
      absl::StatusOr<v1::TokenRequest> request = fixtures.BuildRequest(c);
      if (!request.ok()) {
        message = "cannot build the request";
        detail = std::string(request.status().message());
      } else {
        request_text = request->ShortDebugString();
        v1::Decision decision = policy->Evaluate(*request);
        if (coverage_ != nullptr) {
          coverage_->Observe(coverage_key, effective, decision);
        }
        std::vector<Mismatch> diff = CompareDecision(c.expect(), decision);
        actual = absl::StrCat(FormatDecision(decision, "    "), "  explanation:\n",
                              FormatExplanation(decision.explanation(), "    "));
        if (!diff.empty()) {
          message = absl::StrCat(diff.size(), " field(s) differ");
          detail = FormatMismatches(diff);
        }
        if (c.has_record()) {
          const v1::Record& r = c.record();
          v1::RecordConsentRequest record;
          record.set_kind(r.kind());
          if (r.kind() != "admin_grant") *record.mutable_request() = *request;
          record.set_org_wide(r.org_wide());
          if (const v1::User* actor = fixtures.FindUser(r.actor())) {
            *record.mutable_actor() = *actor;
          }
          record.set_client_app_id(r.client_app_id());
          *record.mutable_delegated() = r.delegated();
          *record.mutable_app_roles() = r.app_roles();
          absl::StatusOr<v1::RecordConsentResult> recorded =
              policy->RecordConsent(record);
          absl::StatusCode want = r.expect_status().empty()
                                      ? absl::StatusCode::kOk
                                      : StatusCodeByName(r.expect_status());
          absl::StatusCode got = recorded.status().code();
          if (got != want) {
            if (message.empty()) message = "recording consent";
            absl::StrAppend(&detail, "    record.", r.kind(),
                            "  expected: ", absl::StatusCodeToString(want),
                            "\n    actual: ", recorded.status().ToString(), "\n");
          } else if (recorded.ok()) {
            for (const v1::GrantWrite& g : recorded->grants()) {
              if (g.consent_type() == "Principal") fixtures.ApplyPrincipalGrant(g);
            }
            ApplyRecordToBundle(*recorded, &state);
            absl::StrAppend(&actual, "  recorded (", r.kind(), "):\n",
                            Indent(recorded->DebugString(), "    "));
          }
        }
      }
    }

    result.passed = message.empty();
    if (result.passed) {
      ++totals->passed;
      *out_ << "PASS " << junit.name << ": " << c.name() << "\n";
      if (options_.verbose) *out_ << actual;
    } else {
      ++totals->failed;
      std::string text = absl::StrCat("  at ", where, "\n");
      if (!c.known_issue().empty()) {
        absl::StrAppend(&text, "  known issue: ", c.known_issue(), "\n");
      }
      absl::StrAppend(&text, "  ", message, ":\n", Indent(detail, "    "));
      if (!request_text.empty()) {
        absl::StrAppend(&text, "  request (after fixtures and templates):\n    ",
                        request_text, "\n");
      }
      if (!actual.empty()) absl::StrAppend(&text, "  actual decision:\n", actual);
      *out_ << "FAIL " << junit.name << ": " << c.name() << "\n" << text;
      result.failure_message = message;
      result.failure_text = text;
    }
    junit.cases.push_back(std::move(result));
  }
  return junit;
}

absl::StatusOr<std::vector<std::string>> FindSuites(
    const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const std::string& path : paths) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(
               path, fs::directory_options::follow_directory_symlink, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        std::string name = it->path().string();
        if (absl::EndsWith(name, ".suite.textproto") && !it->is_directory()) {
          found.push_back(name);
        }
      }
      if (ec) {
        return absl::NotFoundError(absl::StrCat(path, ": ", ec.message()));
      }
      if (found.empty()) {
        return absl::NotFoundError(
            absl::StrCat(path, ": no *.suite.textproto below this directory"));
      }
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
    } else if (fs::exists(path, ec)) {
      out.push_back(path);
    } else {
      return absl::NotFoundError(absl::StrCat(path, ": no such file or directory"));
    }
  }
  return out;
}

}  // namespace consent::policyctl
