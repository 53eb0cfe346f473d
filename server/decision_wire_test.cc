// server/decision_wire must produce exactly the bytes of the Decision that
// DecisionViewToProto builds: checked over the synthetic tenants' request
// streams (every outcome the generator produces) and over hand-built views
// that fill every field, with long strings (multi-byte lengths) and both
// settings of omit_explanation. The field inventory fails when
// proto/decision.proto changes, so that the encoder is updated with it.
#include "server/decision_wire.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/synthetic_tenant.h"
#include "engine/policy_engine.h"
#include "gtest/gtest.h"
#include "proto/decision.pb.h"

namespace consent {
namespace server {
namespace {

std::string ProtoBytes(const DecisionView& view, bool omit_explanation) {
  v1::Decision decision;
  DecisionViewToProto(view, &decision);
  if (omit_explanation) decision.clear_explanation();
  return decision.SerializeAsString();
}

// What the encoder knows (server/decision_wire.cc): message -> field name
// -> number. A field added, renumbered or removed in proto/decision.proto
// fails here until the encoder (and this list) follow.
TEST(DecisionWireTest, FieldInventoryMatchesTheProto) {
  const std::map<std::string, std::map<std::string, int>> known = {
      {"consent.v1.Decision",
       {{"outcome", 1}, {"error", 2}, {"error_code", 3}, {"suberror", 4}, {"reason", 5},
        {"error_description", 6}, {"token", 7}, {"prompt", 8},
        {"admin_consent_request_available", 9}, {"step_up", 10}, {"blocking_policies", 11},
        {"applied_policies", 12}, {"report_only", 13}, {"explanation", 14}}},
      {"consent.v1.Token",
       {{"aud", 1}, {"scp", 2}, {"roles", 3}, {"acrs", 4}, {"id_token", 5},
        {"refresh_token", 6}, {"auth_time", 7}, {"xms_cc", 8}}},
      {"consent.v1.Prompt", {{"scopes", 1}, {"org_wide_option", 2}}},
      {"consent.v1.StepUp",
       {{"required", 1}, {"required_any", 2}, {"claims", 3}, {"rfc9470_challenge", 4},
        {"middle_tier_challenge", 5}}},
      {"consent.v1.Alternatives", {{"items", 1}}},
      {"consent.v1.ReportOnlyResult", {{"id", 1}, {"result", 2}}},
      {"consent.v1.Explanation",
       {{"rules", 1}, {"notes", 2}, {"grant_policies", 3}, {"grants", 4},
        {"dropped_resources", 5}, {"deferred_policies", 6}, {"skipped_static_entries", 7},
        {"unmet_controls", 8}, {"condition_sets", 9}}},
  };
  const google::protobuf::DescriptorPool* pool = v1::Decision::descriptor()->file()->pool();
  for (const auto& [message, fields] : known) {
    SCOPED_TRACE(message);
    const google::protobuf::Descriptor* d = pool->FindMessageTypeByName(message);
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->field_count(), static_cast<int>(fields.size()));
    for (const auto& [name, number] : fields) {
      const google::protobuf::FieldDescriptor* f = d->FindFieldByName(name);
      ASSERT_NE(f, nullptr) << name;
      EXPECT_EQ(f->number(), number) << name;
      EXPECT_FALSE(f->has_presence() && f->type() != google::protobuf::FieldDescriptor::TYPE_MESSAGE)
          << name << ": explicit presence is not encoded";
    }
  }
}

class StreamTest : public ::testing::TestWithParam<bench::TenantSize> {};

TEST_P(StreamTest, SyntheticStreamEncodesAsTheProto) {
  const bench::SyntheticTenant tenant = bench::GenerateTenant(GetParam());
  absl::StatusOr<std::shared_ptr<const CompiledPolicy>> policy = CompilePolicy(tenant.bundle);
  ASSERT_TRUE(policy.ok()) << policy.status();
  const std::vector<v1::TokenRequest> stream = bench::GenerateRequests(tenant, 4096);
  EvalContext context;
  std::map<v1::Outcome, int> outcomes;
  for (size_t i = 0; i < stream.size(); ++i) {
    const DecisionView& view = (*policy)->Evaluate(stream[i], &context);
    ++outcomes[view.outcome];
    for (const bool omit : {false, true}) {
      ASSERT_EQ(EncodeDecision(view, omit), ProtoBytes(view, omit))
          << "request " << i << " omit_explanation=" << omit << "\n"
          << stream[i].DebugString();
    }
  }
  EXPECT_GE(outcomes.size(), 4u);  // the stream is varied
}

INSTANTIATE_TEST_SUITE_P(Sizes, StreamTest,
                         ::testing::Values(bench::TenantSize::kSmall, bench::TenantSize::kLarge));

// Every field set, for every outcome (token, prompt and step_up depend on
// it), with values short, empty, and long enough for 2- and 3-byte lengths.
TEST(DecisionWireTest, EveryFieldEncodesAsTheProto) {
  const std::string long_text(200, 'x');
  const std::string longer_text(20000, 'y');
  for (int o = 0; o < v1::Outcome_ARRAYSIZE; ++o) {
    for (const int variant : {0, 1, 2}) {
      SCOPED_TRACE(absl::StrCat("outcome ", o, " variant ", variant));
      const absl::string_view text = variant == 0   ? absl::string_view("abc")
                                     : variant == 1 ? absl::string_view(long_text)
                                                    : absl::string_view(longer_text);
      std::vector<absl::string_view> ro_ids;
      DecisionView d;
      d.outcome = static_cast<v1::Outcome>(o);
      d.error = "invalid_scope";
      d.error_code = variant == 2 ? -7 : 70011;  // a negative int32 takes 10 bytes
      d.suberror = variant == 0 ? "" : "consent_required";
      d.reason = variant == 1 ? "" : "risky";
      d.error_description = std::string(text);
      d.aud = text;
      d.scp = {"User.Read", "", text};
      d.roles = {"Role.A"};
      d.acrs = {"c1", "c2"};
      d.id_token = variant != 1;
      d.refresh_token = variant == 1;
      d.auth_time = "2025-03-03T10:00:00Z";
      d.xms_cc = {"cp1"};
      d.prompt_scopes = {"Calendars.Read", text};
      d.org_wide_option = variant == 2;
      d.admin_consent_request_available = variant != 0;
      d.required = {"mfa", "termsOfUse:tou-1"};
      d.required_any = {{"a", "b"}, {}, {text}};
      d.required_any_size = variant == 0 ? 0 : variant == 1 ? 2 : 3;
      d.claims = variant == 0 ? "" : R"({"access_token":{"acrs":{"essential":true,"value":"c1"}}})";
      d.rfc9470_challenge = std::string(text);
      d.middle_tier_challenge = "claims=...";
      d.blocking_policies = {"ca-block"};
      d.applied_policies = {"ca-1", "ca-2", text};
      // C8's list: ids owned by the compiled policy in real use, here by
      // ro_ids; positions not Set read "notApplied".
      for (int i = 0; i < 20 * variant + 1; ++i) {
        ro_ids.push_back(i % 2 ? absl::string_view("ca-ro") : text);
      }
      d.report_only.Reset(ro_ids);
      for (int i = 0; i < 20 * variant + 1; i += 3) d.report_only.Set(i, "failure");
      d.report_only.Finish();
      d.rules = {"E2", "N3", "N5b"};
      d.notes = {"note", text};
      d.grant_policies = {"microsoft-user-default-legacy"};
      d.grants = {"grant-1", ""};
      d.dropped_resources = {"api://x", text};
      d.deferred_policies = {"ca-sif"};
      d.skipped_static_entries = {"api://y/Read"};
      d.unmet_controls = {"ca-1: mfa"};
      d.condition_sets = {"p/includes[0]"};
      for (const bool omit : {false, true}) {
        EXPECT_EQ(EncodeDecision(d, omit), ProtoBytes(d, omit)) << "omit_explanation=" << omit;
      }
    }
  }
  // An empty view (all defaults).
  DecisionView empty;
  EXPECT_EQ(EncodeDecision(empty, false), ProtoBytes(empty, false));
  EXPECT_EQ(EncodeDecision(empty, true), ProtoBytes(empty, true));
}

// Messages around the decision: lengths of every width, and an embedded
// ready-made message.
TEST(DecisionWireTest, WriterFramesSubmessages) {
  for (const size_t size : {0u, 1u, 127u, 128u, 16383u, 16384u, 70000u}) {
    SCOPED_TRACE(size);
    v1::Explanation expected;
    expected.add_rules(std::string(size, 'r'));
    v1::Decision outer;
    *outer.mutable_explanation() = expected;
    outer.set_error_code(5);

    WireWriter w;
    w.Int32(3, 5);
    const size_t mark = w.Begin(14);
    w.Element(1, std::string(size, 'r'));
    w.End(mark);
    EXPECT_EQ(w.bytes(), outer.SerializeAsString());

    WireWriter e;
    e.Int32(3, 5);
    e.Message(14, expected);
    EXPECT_EQ(e.bytes(), outer.SerializeAsString());
    e.Clear();
    EXPECT_EQ(e.size(), 0u);
  }
}

}  // namespace
}  // namespace server
}  // namespace consent
