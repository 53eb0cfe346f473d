#include "tools/policyctl/coverage.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"

namespace consent::policyctl {
namespace {

std::string Key(absl::string_view kind, absl::string_view id) {
  return absl::StrCat(kind, "|", absl::AsciiStrToLower(id));
}

// Splits an unmet_controls entry "P: control" (also accepts "P:control").
bool SplitUnmet(absl::string_view entry, absl::string_view* policy,
                absl::string_view* control) {
  size_t colon = entry.find(": ");
  size_t skip = 2;
  if (colon == absl::string_view::npos) {
    colon = entry.find(':');
    skip = 1;
  }
  if (colon == absl::string_view::npos) return false;
  *policy = absl::StripAsciiWhitespace(entry.substr(0, colon));
  *control = absl::StripAsciiWhitespace(entry.substr(colon + skip));
  return true;
}

// Whether an unmet_controls control text names item `control`.
bool SameControl(absl::string_view item, absl::string_view reported) {
  if (absl::EqualsIgnoreCase(item, reported)) return true;
  if (absl::EqualsIgnoreCase(item, "signInFrequency")) {
    return absl::EqualsIgnoreCase(reported, "reauthentication") ||
           absl::StartsWithIgnoreCase(reported, "signInFrequency");
  }
  if (absl::StartsWithIgnoreCase(item, "authenticationStrength:")) {
    return absl::EqualsIgnoreCase(reported, "authenticationStrength");
  }
  return false;
}

constexpr absl::string_view kKinds[] = {"grant_policy", "condition_set",
                                        "ca_policy", "grant_control"};
constexpr absl::string_view kKindTitles[] = {
    "permission grant policies", "condition sets", "CA policies",
    "grant controls"};

}  // namespace

std::vector<std::string> GrantControlIds(const v1::ConditionalAccessPolicy& p) {
  std::vector<std::string> out;
  const v1::GrantControls& g = p.grant_controls();
  // C4 order: mfa/strength, compliantDevice, domainJoinedDevice,
  // approvedApplication, compliantApplication, passwordChange, terms, custom;
  // block stands alone.
  constexpr absl::string_view kOrder[] = {
      "block",           "mfa",                 "compliantDevice",
      "domainJoinedDevice", "approvedApplication", "compliantApplication",
      "passwordChange"};
  for (absl::string_view name : kOrder) {
    for (const std::string& c : g.built_in_controls()) {
      if (absl::EqualsIgnoreCase(c, name)) out.push_back(c);
    }
    // An authentication strength ranks with mfa (never both, 1.7).
    if (name == "mfa" && !g.authentication_strength().empty()) {
      out.push_back(
          absl::StrCat("authenticationStrength:", g.authentication_strength()));
    }
  }
  for (const std::string& t : g.terms_of_use()) {
    out.push_back(absl::StrCat("termsOfUse:", t));
  }
  for (const std::string& c : g.custom_factors()) {
    out.push_back(absl::StrCat("custom:", c));
  }
  const v1::SignInFrequency& sif = p.session_controls().sign_in_frequency();
  if (sif.every_time() || sif.value() > 0) out.push_back("signInFrequency");
  return out;
}

void Coverage::Add(BundleCoverage* c, std::string kind, const std::string& id) {
  std::string key = Key(kind, id);
  if (c->index.contains(key)) return;
  c->index[key] = c->items.size();
  c->items.push_back({std::move(kind), id});
}

CoverageItem* Coverage::Find(BundleCoverage* c, absl::string_view kind,
                             absl::string_view id) {
  auto it = c->index.find(Key(kind, id));
  return it == c->index.end() ? nullptr : &c->items[it->second];
}

void Coverage::AddBundle(const std::string& key,
                         const v1::PolicyBundle& bundle) {
  BundleCoverage& c = bundles_[key];
  for (const v1::PermissionGrantPolicy& p : bundle.permission_grant_policies()) {
    Add(&c, "grant_policy", p.id());
    for (int i = 0; i < p.includes_size(); ++i) {
      Add(&c, "condition_set", absl::StrCat(p.id(), "/includes[", i, "]"));
    }
    for (int i = 0; i < p.excludes_size(); ++i) {
      Add(&c, "condition_set", absl::StrCat(p.id(), "/excludes[", i, "]"));
    }
  }
  for (const v1::ConditionalAccessPolicy& p :
       bundle.conditional_access_policies()) {
    if (absl::EqualsIgnoreCase(p.state(), "disabled")) continue;  // C1
    Add(&c, "ca_policy", p.id());
    for (const std::string& control : GrantControlIds(p)) {
      Add(&c, "grant_control", absl::StrCat(p.id(), "/", control));
    }
  }
}

void Coverage::Observe(const std::string& key, const v1::PolicyBundle& bundle,
                       const v1::Decision& d) {
  BundleCoverage& c = bundles_[key];
  ++c.decisions;
  const v1::Explanation& x = d.explanation();
  for (const std::string& r : x.rules()) c.rules_fired.insert(r);
  for (const std::string& p : x.grant_policies()) {
    if (CoverageItem* item = Find(&c, "grant_policy", p)) item->exercised = true;
  }
  if (x.condition_sets_size() > 0) c.condition_sets_reported = true;
  for (const std::string& s : x.condition_sets()) {
    if (CoverageItem* item = Find(&c, "condition_set", s)) item->exercised = true;
  }

  auto lower_set = [](const auto& list) {
    absl::flat_hash_set<std::string> out;
    for (const auto& s : list) out.insert(absl::AsciiStrToLower(s));
    return out;
  };
  const auto applied = lower_set(d.applied_policies());
  const auto blocking = lower_set(d.blocking_policies());
  const auto deferred = lower_set(x.deferred_policies());
  absl::flat_hash_set<std::string> touched = applied;
  touched.insert(blocking.begin(), blocking.end());
  touched.insert(deferred.begin(), deferred.end());
  absl::flat_hash_map<std::string, std::string> report_only;
  for (const v1::ReportOnlyResult& r : d.report_only()) {
    if (!absl::EqualsIgnoreCase(r.result(), "notApplied")) {
      touched.insert(absl::AsciiStrToLower(r.id()));
      report_only[absl::AsciiStrToLower(r.id())] = r.result();
    }
  }
  std::vector<std::pair<std::string, std::string>> unmet;
  for (const std::string& entry : x.unmet_controls()) {
    absl::string_view policy, control;
    if (!SplitUnmet(entry, &policy, &control)) continue;
    unmet.emplace_back(absl::AsciiStrToLower(policy), std::string(control));
    touched.insert(absl::AsciiStrToLower(policy));
  }

  for (const v1::ConditionalAccessPolicy& p :
       bundle.conditional_access_policies()) {
    const std::string id = absl::AsciiStrToLower(p.id());
    if (!touched.contains(id)) continue;
    if (CoverageItem* item = Find(&c, "ca_policy", p.id())) item->exercised = true;
    std::vector<std::string> controls = GrantControlIds(p);
    if (!controls.empty() && controls.back() == "signInFrequency") {
      controls.pop_back();
    }
    for (const std::string& control : GrantControlIds(p)) {
      CoverageItem* item =
          Find(&c, "grant_control", absl::StrCat(p.id(), "/", control));
      if (item == nullptr) continue;
      bool is_unmet = false;
      for (const auto& [policy, reported] : unmet) {
        if (policy == id && SameControl(control, reported)) is_unmet = true;
      }
      if (control == "block" && blocking.contains(id)) is_unmet = true;
      if (control == "signInFrequency" && deferred.contains(id)) is_unmet = true;
      auto ro = report_only.find(id);
      if (ro != report_only.end() && control == "block" &&
          absl::EqualsIgnoreCase(ro->second, "failure")) {
        is_unmet = true;
      }
      // A report-only policy with a single grant control that "would fail"
      // or needs user action: that control was unmet (the engine lists no
      // unmet_controls for report-only policies).
      if (ro != report_only.end() && controls.size() == 1 &&
          control != "signInFrequency" &&
          (absl::EqualsIgnoreCase(ro->second, "failure") ||
           absl::EqualsIgnoreCase(ro->second, "userActionRequired"))) {
        is_unmet = true;
      }
      if (is_unmet) {
        item->unmet_seen = true;
      } else if (applied.contains(id) ||
                 (ro != report_only.end() &&
                  absl::EqualsIgnoreCase(ro->second, "success"))) {
        item->met_seen = true;
      }
      item->exercised = item->met_seen || item->unmet_seen;
    }
  }
}

namespace {

bool Counted(const BundleCoverage& c, const CoverageItem& item) {
  return item.kind != "condition_set" || c.condition_sets_reported;
}

}  // namespace

double Coverage::Percent(const std::string& key) const {
  auto it = bundles_.find(key);
  if (it == bundles_.end()) return 100.0;
  int done = 0, total = 0;
  for (const CoverageItem& item : it->second.items) {
    if (!Counted(it->second, item)) continue;
    ++total;
    done += item.exercised;
  }
  return total == 0 ? 100.0 : 100.0 * done / total;
}

std::string Coverage::Report() const {
  std::string out;
  for (const auto& [key, c] : bundles_) {
    int done = 0, total = 0;
    for (const CoverageItem& item : c.items) {
      if (!Counted(c, item)) continue;
      ++total;
      done += item.exercised;
    }
    absl::StrAppendFormat(&out, "coverage %s: %d/%d items exercised (%.1f%%) by %d decisions\n",
                          key, done, total, Percent(key), c.decisions);
    std::vector<std::string> counts;
    for (size_t k = 0; k < 4; ++k) {
      int total = 0, hit = 0;
      for (const CoverageItem& item : c.items) {
        if (item.kind != kKinds[k]) continue;
        ++total;
        hit += item.exercised;
      }
      if (k == 1 && !c.condition_sets_reported) {
        counts.push_back(absl::StrCat(kKindTitles[k], " ?/", total));
      } else {
        counts.push_back(absl::StrCat(kKindTitles[k], " ", hit, "/", total));
      }
    }
    absl::StrAppend(&out, "  ", absl::StrJoin(counts, ", "), "\n");
    if (!c.condition_sets_reported) {
      absl::StrAppend(&out, "  condition sets: not counted, no decision reported "
                            "explanation.condition_sets\n");
    }
    bool header = false;
    for (const CoverageItem& item : c.items) {
      if (item.exercised || !Counted(c, item)) continue;
      if (!header) absl::StrAppend(&out, "  never exercised:\n");
      header = true;
      absl::StrAppend(&out, "    ", item.kind, " ", item.id, "\n");
    }
    header = false;
    for (const CoverageItem& item : c.items) {
      if (item.kind != "grant_control" || !item.exercised || item.unmet_seen) {
        continue;
      }
      if (!header) {
        absl::StrAppend(&out, "  grant controls never seen unmet (no case shows they matter):\n");
      }
      header = true;
      absl::StrAppend(&out, "    ", item.id, "\n");
    }
    if (!c.rules_fired.empty()) {
      absl::StrAppend(&out, "  SPEC rules that decided: ",
                      absl::StrJoin(c.rules_fired, " "), "\n");
    }
  }
  return out;
}

}  // namespace consent::policyctl
