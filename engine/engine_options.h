// Budgets and limits of the engine. Every limit is enforced with an error
// that names it; the defaults suit an identity provider's token endpoint.
#ifndef CONSENT_ENGINE_ENGINE_OPTIONS_H_
#define CONSENT_ENGINE_ENGINE_OPTIONS_H_

#include <cstddef>
#include <cstdint>

namespace consent {

struct EngineOptions {
  // --- Per request (exceeded: INVALID, invalid_request/invalid_scope, the
  // description names the limit).
  // Bytes of `scope` (or `refresh_token_scope`).
  size_t max_scope_bytes = 8192;
  // Scope tokens after splitting (P1).
  size_t max_scopes_per_request = 100;
  // Bytes of one scope token.
  size_t max_scope_token_bytes = 512;
  // Bytes of the `claims` JSON and its nesting depth (V4).
  size_t max_claims_bytes = 16384;
  int max_claims_depth = 16;
  // Entries of `acr_values` and of claims `acrs.values` / `xms_cc.values`.
  size_t max_acr_values = 32;
  // User record: groups, roles, grants, app-role assignments (each list).
  size_t max_user_list = 10000;
  // Session: auth methods, terms, custom factors, device attributes.
  size_t max_session_list = 256;

  // --- Per bundle (exceeded: the bundle is rejected).
  // Bytes of a bundle file, imports included.
  size_t max_bundle_bytes = 256u << 20;
  // Elements of any one repeated field of the bundle.
  size_t max_bundle_elements = 1000000;
  // Characters of a device-filter rule (SPEC 1.7: 3072).
  size_t max_device_filter_chars = 3072;
  // Depth of `imports`.
  int max_import_depth = 8;
  // (No regular-expression budget: device filters compile to a flat
  // predicate program evaluated in time linear in the rule; the engine uses
  // no regular expressions.)
};

}  // namespace consent

#endif  // CONSENT_ENGINE_ENGINE_OPTIONS_H_
