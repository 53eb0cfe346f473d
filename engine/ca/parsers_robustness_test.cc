// Deterministic mutation tests of the parsers (a cheap in-tree complement to
// tests/fuzz): mutated claims JSON, acr_values and max_age (request input,
// V4), device-filter rules and CIDR ranges (bundle input) must never crash,
// and what they accept must be well-formed.
#include <random>
#include <string>
#include <vector>

#include "engine/ca/device_filter.h"
#include "engine/ca/ip_ranges.h"
#include "engine/ca/step_up_params.h"
#include "gtest/gtest.h"

namespace consent {
namespace ca {
namespace {

std::string Mutate(std::string s, std::mt19937* rng, absl::string_view alphabet) {
  std::uniform_int_distribution<int> op(0, 3);
  const int n = 1 + (*rng)() % 4;
  for (int k = 0; k < n; ++k) {
    const size_t pos = s.empty() ? 0 : (*rng)() % (s.size() + 1);
    const char c = alphabet[(*rng)() % alphabet.size()];
    switch (op(*rng)) {
      case 0:
        s.insert(s.begin() + pos, c);
        break;
      case 1:
        if (pos < s.size()) s.erase(pos, 1 + (*rng)() % 3);
        break;
      case 2:
        if (pos < s.size()) s[pos] = c;
        break;
      default:
        if (!s.empty()) {  // duplicate a slice
          const size_t from = (*rng)() % s.size();
          s.insert(pos, s.substr(from, 1 + (*rng)() % 8));
        }
    }
  }
  return s;
}

bool Inside(absl::string_view view, absl::string_view text, const StepUpParams& p) {
  if (view.data() >= text.data() && view.data() + view.size() <= text.data() + text.size()) {
    return true;
  }
  for (size_t i = 0; i < p.storage_used; ++i) {
    const std::string& s = p.storage[i];
    if (view.data() >= s.data() && view.data() + view.size() <= s.data() + s.size()) return true;
  }
  return false;
}

TEST(ParsersRobustnessTest, V4_MutatedClaimsNeverCrashAndViewsStayInBounds) {
  const std::vector<std::string> seeds = {
      R"({"access_token":{"acrs":{"essential":true,"value":"c2"}}})",
      R"({"access_token":{"acrs":{"values":["c1","c25"]},"xms_cc":{"values":["cp1","\u0063p2"]}}})",
      R"({"id_token":{"x":[1,-2.5e+3,true,false,null,{"y":"\ud83d\ude00"}]},"access_token":{}})",
  };
  const std::string alphabet = "{}[]\":,\\ctrufalsn0123456789.-+eE \t\nacrsvluxm_\x01\xc3\xa9\xff";
  std::mt19937 rng(7);
  EngineOptions options;
  options.max_claims_depth = 8;
  StepUpParams params;
  v1::TokenRequest request;
  int accepted = 0;
  for (int i = 0; i < 30000; ++i) {
    request.set_claims(Mutate(seeds[i % seeds.size()], &rng, alphabet));
    request.set_acr_values(Mutate("c1 c2", &rng, "c 019x"));
    request.set_max_age(Mutate("3600", &rng, "0123456789-+ x"));
    std::string error;
    if (!ParseStepUpParamsImpl(request, true, options, &params, &error)) {
      EXPECT_FALSE(error.empty());
      continue;
    }
    ++accepted;
    for (absl::string_view v : params.claims_acrs) {
      ASSERT_TRUE(Inside(v, request.claims(), params));
      EXPECT_TRUE(IsAuthContextId(v)) << v;
    }
    for (absl::string_view v : params.xms_cc) ASSERT_TRUE(Inside(v, request.claims(), params));
    for (absl::string_view v : params.acr_values) {
      ASSERT_TRUE(Inside(v, request.acr_values(), params));
      EXPECT_TRUE(IsAuthContextId(v));
    }
    if (params.max_age) EXPECT_GE(*params.max_age, 0);
  }
  EXPECT_GT(accepted, 100);  // the mutations are not all rejected
}

TEST(ParsersRobustnessTest, C3_MutatedDeviceFiltersNeverCrash) {
  const std::vector<std::string> seeds = {
      R"(device.model -startsWith "Surface" -and (device.isCompliant -eq True -or device.deviceId -in ["a", "b"]))",
      R"(device.physicalIds -contains "[ZTDID]:x" -or device.extensionAttribute7 -notEndsWith "y")",
  };
  const std::string alphabet = "()[]\",- .deviceqnorandTFx\xff";
  std::mt19937 rng(11);
  v1::Device device;
  device.set_registered(true);
  device.set_is_compliant(true);
  (*device.mutable_attributes())["model"] = "Surface";
  DeviceView view;
  view.Fill(&device);
  DeviceView null_view;
  null_view.Fill(nullptr);
  int compiled = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string rule = Mutate(seeds[i % seeds.size()], &rng, alphabet);
    std::string error;
    std::optional<DeviceFilterProgram> p = DeviceFilterProgram::Compile(rule, 3072, &error);
    if (!p) {
      EXPECT_NE(error.find("position"), std::string::npos) << rule << " -> " << error;
      continue;
    }
    ++compiled;
    p->Evaluate(view);
    p->Evaluate(null_view);
  }
  EXPECT_GT(compiled, 100);
}

TEST(ParsersRobustnessTest, MutatedCidrsNeverCrash) {
  std::mt19937 rng(13);
  const std::vector<std::string> seeds = {"10.0.0.0/8", "2001:db8::/32", "::ffff:10.0.0.0/104"};
  for (int i = 0; i < 20000; ++i) {
    std::string text = Mutate(seeds[i % seeds.size()], &rng, "0123456789abcdef.:/x ");
    std::string error;
    std::optional<IpRange> r = ParseCidr(text, &error);
    if (r) {
      EXPECT_LE(r->first, r->last) << text;
    }
    ParseIp(text);
  }
}

}  // namespace
}  // namespace ca
}  // namespace consent
