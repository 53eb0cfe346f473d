#include "tools/policyctl/expect.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace consent::policyctl {
namespace {

constexpr absl::string_view kEllipsis = "\xE2\x80\xA6";  // U+2026

template <typename List>
std::string Join(const List& list) {
  return absl::StrJoin(list, " ");
}

std::string JoinAny(const v1::StepUp& step_up) {
  std::vector<std::string> lists;
  for (const v1::Alternatives& a : step_up.required_any()) {
    lists.push_back(absl::StrJoin(a.items(), " "));
  }
  return absl::StrJoin(lists, " | ");
}

std::string NormalizeAny(absl::string_view text) {
  std::vector<std::string> lists;
  for (absl::string_view part : absl::StrSplit(text, '|')) {
    std::string list = NormalizeList(part);
    if (!list.empty()) lists.push_back(list);
  }
  return absl::StrJoin(lists, " | ");
}

std::string JoinReportOnly(const v1::Decision& d) {
  std::vector<std::string> items;
  for (const v1::ReportOnlyResult& r : d.report_only()) {
    items.push_back(absl::StrCat(r.id(), "=", r.result()));
  }
  return absl::StrJoin(items, " ");
}

std::string Bool(bool b) { return b ? "true" : "false"; }

class Comparer {
 public:
  void String(absl::string_view field, absl::string_view expected,
              absl::string_view actual) {
    if (expected != actual) {
      out_.push_back({std::string(field), Show(expected), Show(actual)});
    }
  }
  void List(absl::string_view field, absl::string_view expected,
            absl::string_view actual_joined) {
    String(field, NormalizeList(expected), actual_joined);
  }
  void Int(absl::string_view field, int64_t expected, int64_t actual) {
    if (expected != actual) {
      out_.push_back({std::string(field), absl::StrCat(expected),
                      absl::StrCat(actual)});
    }
  }
  void Flag(absl::string_view field, bool expected, bool actual) {
    if (expected != actual) {
      out_.push_back({std::string(field), Bool(expected), Bool(actual)});
    }
  }
  // Every item of `expected` must occur in `actual`.
  template <typename Actual>
  void Includes(absl::string_view field, absl::string_view expected,
                const Actual& actual) {
    std::vector<std::string> missing;
    for (absl::string_view item :
         absl::StrSplit(expected, ' ', absl::SkipWhitespace())) {
      bool found = false;
      for (const auto& a : actual) {
        if (absl::EqualsIgnoreCase(a, item)) found = true;
      }
      if (!found) missing.push_back(std::string(item));
    }
    if (!missing.empty()) {
      out_.push_back({std::string(field),
                      absl::StrCat("includes ", NormalizeList(expected)),
                      absl::StrCat(Show(Join(actual)), " (missing ",
                                   absl::StrJoin(missing, " "), ")")});
    }
  }
  std::vector<Mismatch> Take() { return std::move(out_); }

 private:
  static std::string Show(absl::string_view s) {
    return s.empty() ? "(empty)" : std::string(s);
  }
  std::vector<Mismatch> out_;
};

}  // namespace

std::string NormalizeList(absl::string_view list) {
  return absl::StrJoin(
      absl::StrSplit(list, absl::ByAnyChar(" \t\n\r"), absl::SkipEmpty()), " ");
}

std::string NormalizeChallenge(absl::string_view header) {
  constexpr absl::string_view kParam = "error_description=\"";
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t start = header.find(kParam, pos);
    if (start == absl::string_view::npos) break;
    start += kParam.size();
    absl::StrAppend(&out, header.substr(pos, start - pos), kEllipsis);
    // Skip the quoted-string value: backslash escapes one character.
    size_t i = start;
    while (i < header.size() && header[i] != '"') {
      i += header[i] == '\\' ? 2 : 1;
    }
    pos = std::min(i, header.size());
  }
  absl::StrAppend(&out, header.substr(pos));
  return out;
}

std::vector<Mismatch> CompareDecision(const v1::Expect& e,
                                      const v1::Decision& d) {
  Comparer c;
  if (e.outcome() != v1::OUTCOME_UNSPECIFIED) {
    c.String("outcome", v1::Outcome_Name(e.outcome()),
             v1::Outcome_Name(d.outcome()));
  }
  if (e.has_error()) c.String("error", e.error(), d.error());
  if (e.has_error_code()) c.Int("error_code", e.error_code(), d.error_code());
  if (e.has_suberror()) c.String("suberror", e.suberror(), d.suberror());
  if (e.has_reason()) c.String("reason", e.reason(), d.reason());
  if (e.has_admin_consent_request_available()) {
    c.Flag("admin_consent_request_available",
           e.admin_consent_request_available(),
           d.admin_consent_request_available());
  }
  if (e.has_prompt_scopes()) {
    c.List("prompt.scopes", e.prompt_scopes(), Join(d.prompt().scopes()));
  }
  if (e.has_org_wide_option()) {
    c.Flag("prompt.org_wide_option", e.org_wide_option(),
           d.prompt().org_wide_option());
  }
  const v1::Token& t = d.token();
  if (e.has_aud()) c.String("token.aud", e.aud(), t.aud());
  if (e.has_scp()) c.List("token.scp", e.scp(), Join(t.scp()));
  if (e.has_roles()) c.List("token.roles", e.roles(), Join(t.roles()));
  if (e.has_acrs()) c.List("token.acrs", e.acrs(), Join(t.acrs()));
  if (e.has_id_token()) c.Flag("token.id_token", e.id_token(), t.id_token());
  if (e.has_refresh_token()) {
    c.Flag("token.refresh_token", e.refresh_token(), t.refresh_token());
  }
  if (e.has_auth_time()) c.String("token.auth_time", e.auth_time(), t.auth_time());
  if (e.has_xms_cc()) c.List("token.xms_cc", e.xms_cc(), Join(t.xms_cc()));
  const v1::StepUp& s = d.step_up();
  if (e.has_required()) c.List("step_up.required", e.required(), Join(s.required()));
  if (e.has_required_any()) {
    c.String("step_up.required_any", NormalizeAny(e.required_any()), JoinAny(s));
  }
  if (e.has_claims()) c.String("step_up.claims", e.claims(), s.claims());
  if (e.has_rfc9470_challenge()) {
    c.String("step_up.rfc9470_challenge",
             NormalizeChallenge(e.rfc9470_challenge()),
             NormalizeChallenge(s.rfc9470_challenge()));
  }
  if (e.has_middle_tier_challenge()) {
    c.String("step_up.middle_tier_challenge", e.middle_tier_challenge(),
             s.middle_tier_challenge());
  }
  if (e.has_blocking_policies()) {
    c.List("blocking_policies", e.blocking_policies(),
           Join(d.blocking_policies()));
  }
  if (e.has_applied_policies()) {
    c.List("applied_policies", e.applied_policies(), Join(d.applied_policies()));
  }
  if (e.has_report_only()) {
    c.List("report_only", e.report_only(), JoinReportOnly(d));
  }
  const v1::Explanation& x = d.explanation();
  if (e.has_explains_dropped_resources()) {
    c.Includes("explanation.dropped_resources", e.explains_dropped_resources(),
               x.dropped_resources());
  }
  if (e.has_explains_deferred_policies()) {
    c.Includes("explanation.deferred_policies", e.explains_deferred_policies(),
               x.deferred_policies());
  }
  if (e.has_explains_rules()) {
    c.Includes("explanation.rules", e.explains_rules(), x.rules());
  }
  return c.Take();
}

std::vector<Mismatch> CompareAccess(const v1::ExpectAccess& e,
                                    const v1::ResourceAccessResult& r) {
  Comparer c;
  if (e.has_allow()) c.Flag("allow", e.allow(), r.allow());
  if (e.has_http_status()) c.Int("http_status", e.http_status(), r.http_status());
  if (e.compare_www_authenticate() || e.www_authenticate_size() > 0) {
    std::vector<std::string> expected, actual;
    for (const auto& h : e.www_authenticate()) {
      expected.push_back(NormalizeChallenge(h));
    }
    for (const auto& h : r.www_authenticate()) {
      actual.push_back(NormalizeChallenge(h));
    }
    c.String("www_authenticate", absl::StrJoin(expected, "\n"),
             absl::StrJoin(actual, "\n"));
  }
  return c.Take();
}

std::string FormatMismatches(const std::vector<Mismatch>& mismatches) {
  size_t width = 5;
  for (const Mismatch& m : mismatches) width = std::max(width, m.field.size());
  std::string out;
  for (const Mismatch& m : mismatches) {
    std::string pad(width - m.field.size(), ' ');
    absl::StrAppend(&out, "    ", m.field, pad, "  expected: ", m.expected,
                    "\n    ", std::string(width, ' '), "  actual:   ",
                    m.actual, "\n");
  }
  return out;
}

std::string FormatDecision(const v1::Decision& d, absl::string_view indent) {
  std::string out;
  auto line = [&](absl::string_view name, absl::string_view value) {
    if (!value.empty()) absl::StrAppend(&out, indent, name, ": ", value, "\n");
  };
  line("outcome", v1::Outcome_Name(d.outcome()));
  line("error", d.error());
  if (d.error_code() != 0) line("error_code", absl::StrCat(d.error_code()));
  line("suberror", d.suberror());
  line("reason", d.reason());
  line("error_description", d.error_description());
  if (d.admin_consent_request_available()) {
    line("admin_consent_request_available", "true");
  }
  if (d.has_prompt()) {
    line("prompt.scopes", Join(d.prompt().scopes()));
    if (d.prompt().org_wide_option()) line("prompt.org_wide_option", "true");
  }
  if (d.has_token()) {
    const v1::Token& t = d.token();
    line("token.aud", t.aud());
    line("token.scp", Join(t.scp()));
    line("token.roles", Join(t.roles()));
    line("token.acrs", Join(t.acrs()));
    if (t.id_token()) line("token.id_token", "true");
    if (t.refresh_token()) line("token.refresh_token", "true");
    line("token.auth_time", t.auth_time());
    line("token.xms_cc", Join(t.xms_cc()));
  }
  if (d.has_step_up()) {
    const v1::StepUp& s = d.step_up();
    line("step_up.required", Join(s.required()));
    line("step_up.required_any", JoinAny(s));
    line("step_up.claims", s.claims());
    line("step_up.rfc9470_challenge", s.rfc9470_challenge());
    line("step_up.middle_tier_challenge", s.middle_tier_challenge());
  }
  line("blocking_policies", Join(d.blocking_policies()));
  line("applied_policies", Join(d.applied_policies()));
  line("report_only", JoinReportOnly(d));
  return out;
}

std::string FormatExplanation(const v1::Explanation& x,
                              absl::string_view indent) {
  std::string out;
  auto line = [&](absl::string_view name, const auto& list) {
    if (list.empty()) return;
    absl::StrAppend(&out, indent, name, ": ", absl::StrJoin(list, ", "), "\n");
  };
  line("rules", x.rules());
  line("grant_policies", x.grant_policies());
  line("condition_sets", x.condition_sets());
  line("grants", x.grants());
  line("unmet_controls", x.unmet_controls());
  line("deferred_policies", x.deferred_policies());
  line("dropped_resources", x.dropped_resources());
  line("skipped_static_entries", x.skipped_static_entries());
  for (const std::string& note : x.notes()) {
    absl::StrAppend(&out, indent, "note: ", note, "\n");
  }
  return out;
}

std::string FormatAccess(const v1::ResourceAccessResult& r) {
  std::string out = absl::StrCat("allow: ", Bool(r.allow()),
                                 ", http_status: ", r.http_status());
  for (const auto& h : r.www_authenticate()) {
    absl::StrAppend(&out, ", WWW-Authenticate: ", h);
  }
  return out;
}

}  // namespace consent::policyctl
