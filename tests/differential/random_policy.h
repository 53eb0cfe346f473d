// A seeded generator of random policy bundles and token requests for the
// differential test and the fuzzers (issue 8). It reaches every feature of
// SPEC §1-§3: every permission-grant condition-set field, every CA condition
// and control, device filters, IPv4/IPv6 ranges, auth contexts (claims and
// acr_values), OBO (valid and broken assertions), app-only, refresh with
// several resources, `.default`, malformed scopes, prompt values, unknown
// tenants/clients/resources. Requests are biased so that outcomes spread over
// every Outcome value.
//
// Bundles from Bundle() are meant to compile; InvalidBundle() returns one
// with a few deliberate faults, for compiler fuzzing.
#ifndef CONSENT_TESTS_DIFFERENTIAL_RANDOM_POLICY_H_
#define CONSENT_TESTS_DIFFERENTIAL_RANDOM_POLICY_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "proto/bundle.pb.h"
#include "proto/request.pb.h"

namespace consent {
namespace differential {

namespace v1 = ::consent::v1;

class RandomPolicy {
 public:
  explicit RandomPolicy(uint64_t seed) : rng_(seed) {}

  // A bundle the compiler should accept.
  v1::PolicyBundle Bundle();
  // A valid bundle with 1-3 deliberate faults (bad vocabulary, dangling
  // references, bad CIDR or device rule, forbidden control combinations...).
  v1::PolicyBundle InvalidBundle();
  // A request against `bundle` (usually one of Bundle()'s).
  v1::TokenRequest Request(const v1::PolicyBundle& bundle);

  // Deterministic helpers, also used by the fuzzers.
  uint64_t Next() { return rng_(); }
  int Uniform(int n) { return n <= 0 ? 0 : static_cast<int>(rng_() % static_cast<uint64_t>(n)); }
  bool Chance(double p) { return (rng_() % 1000000) < static_cast<uint64_t>(p * 1000000); }
  template <typename T>
  const T& Pick(const std::vector<T>& v) { return v[Uniform(static_cast<int>(v.size()))]; }

 private:
  void AddResourceApis(v1::PolicyBundle* b);
  void AddClients(v1::PolicyBundle* b);
  void AddGrantPolicies(v1::PolicyBundle* b);
  void AddConditionalAccess(v1::PolicyBundle* b);
  v1::PermissionGrantConditionSet RandomConditionSet(const v1::PolicyBundle& b);
  void RandomUserPolicy(const v1::PolicyBundle& b, v1::ConditionalAccessPolicy* p);
  void RandomWorkloadPolicy(const v1::PolicyBundle& b, v1::ConditionalAccessPolicy* p);
  std::string RandomDeviceRule();
  std::string RandomScope(const v1::PolicyBundle& b, const std::string& grant);
  std::string ScopeToken(const v1::PolicyBundle& b, const v1::ResourceApi& api);
  void RandomUser(const v1::PolicyBundle& b, const std::string& client,
                  const std::string& scope, v1::User* u);
  void RandomSession(v1::Session* s);
  std::string RandomTime(int64_t base, int64_t max_back);
  std::string RandomClaims();

  std::mt19937_64 rng_;
  std::vector<std::string> user_ids_ = {"u-alice", "u-bob", "u-carol", "u-dave"};
};

// The evaluation time the generator uses ("now" of every request).
extern const char kGeneratorNow[];
// GRAPH's app id.
extern const char kGraphAppId[];

}  // namespace differential
}  // namespace consent

#endif  // CONSENT_TESTS_DIFFERENTIAL_RANDOM_POLICY_H_
