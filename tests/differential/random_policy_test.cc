// The generator alone (no engine): deterministic per seed, and with the
// reference evaluator its requests reach every Outcome value but the
// fault-only ones.
#include "tests/differential/random_policy.h"

#include <google/protobuf/util/message_differencer.h>

#include <iostream>
#include <map>
#include <string>

#include "gtest/gtest.h"
#include "tests/reference/reference_evaluator.h"

namespace consent {
namespace differential {
namespace {

TEST(RandomPolicy, DeterministicPerSeed) {
  RandomPolicy a(42), b(42), c(43);
  const v1::PolicyBundle ba = a.Bundle(), bb = b.Bundle(), bc = c.Bundle();
  using google::protobuf::util::MessageDifferencer;
  EXPECT_TRUE(MessageDifferencer::Equals(ba, bb));
  EXPECT_FALSE(MessageDifferencer::Equals(ba, bc));
  EXPECT_TRUE(MessageDifferencer::Equals(a.Request(ba), b.Request(bb)));
}

TEST(RandomPolicy, OutcomesSpreadOverEveryValue) {
  std::map<v1::Outcome, int> seen;
  std::map<std::string, int> invalid;
  int total = 0;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    RandomPolicy gen(seed);
    const v1::PolicyBundle bundle = gen.Bundle();
    for (int i = 0; i < 25; ++i) {
      const v1::Decision d = reference::Evaluate(bundle, gen.Request(bundle));
      ++seen[d.outcome()];
      if (d.outcome() == v1::INVALID) ++invalid[d.error() + " " + std::to_string(d.error_code())];
      ++total;
    }
  }
  for (int o = v1::ISSUE; o <= v1::INVALID; ++o) {
    const auto outcome = static_cast<v1::Outcome>(o);
    EXPECT_GT(seen[outcome], total / 500) << v1::Outcome_Name(outcome) << " is too rare";
    std::cout << v1::Outcome_Name(outcome) << ": " << seen[outcome] << "\n";
  }
  for (const auto& kv : invalid) std::cout << "  INVALID " << kv.first << ": " << kv.second << "\n";
  // The reference never fails internally on generated bundles.
  EXPECT_EQ(seen[v1::UNAVAILABLE], 0);
  EXPECT_LT(seen[v1::INVALID], total / 2) << "too many invalid requests";
}

}  // namespace
}  // namespace differential
}  // namespace consent
