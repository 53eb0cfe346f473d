// The embedding example shown in README.md, compiled and run as a test
// (//engine/examples:embed_example_test). README.md quotes the region
// between the "example" markers verbatim; readme_sync_test checks it.
#include <iostream>

// [example begin]
#include "engine/policy_engine.h"

int main() {
  // Compile the tenant's bundle once (imports resolved, every problem named).
  auto policy = consent::CompilePolicyFile("policies/contoso/contoso.bundle.textproto");
  if (!policy.ok()) {
    std::cerr << policy.status() << "\n";
    return 1;
  }

  // One token request: Alice signs in to app-expense asking for a new scope.
  consent::v1::TokenRequest request;
  request.set_tenant("t-contoso");
  request.set_now("2025-03-03T10:00:00Z");
  request.set_grant_type("authorization_code");
  request.set_client_id("app-expense");
  request.set_client_authenticated(true);
  request.set_scope("User.Read Calendars.Read");
  request.mutable_user()->set_id("alice");

  // Evaluate: pure, thread-safe, no allocation on the hot path when a
  // consent::EvalContext is reused (see engine/policy_engine.h).
  consent::v1::Decision decision = (*policy)->Evaluate(request);
  std::cout << consent::v1::Outcome_Name(decision.outcome());  // CONSENT_PROMPT_USER
  for (const std::string& scope : decision.prompt().scopes()) std::cout << " " << scope;
  std::cout << "\nwhy:";
  for (const std::string& rule : decision.explanation().rules()) std::cout << " " << rule;
  std::cout << "\n";
  return decision.outcome() == consent::v1::CONSENT_PROMPT_USER ? 0 : 1;
}
// [example end]
