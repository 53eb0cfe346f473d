#include "engine/ca/ca_types.h"

namespace consent {
namespace ca {

void StepUpParams::Clear() {
  has_claims_acrs = false;
  claims_acrs.clear();
  has_acr_values = false;
  acr_values.clear();
  xms_cc.clear();
  max_age.reset();
  storage_used = 0;  // the strings keep their capacity
}

void CaResult::Clear() {
  verdict = Verdict::kPass;
  error = {};
  error_code = 0;
  suberror = {};
  applied_policies.clear();
  blocking_policies.clear();
  report_only.Clear();
  required.clear();
  for (size_t i = 0; i < required_any_size && i < required_any.size(); ++i) {
    required_any[i].clear();
  }
  required_any_size = 0;
  claims.clear();
  rfc9470_challenge.clear();
  middle_tier_challenge.clear();
  acrs.clear();
  rules.clear();
  deferred_policies.clear();
  unmet_controls.clear();
}

}  // namespace ca
}  // namespace consent
