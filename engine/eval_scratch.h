// Per-call evaluation state, reused across evaluations so that the hot path
// does not allocate once the buffers have grown to their working size.
// Internal to the engine.
#ifndef CONSENT_ENGINE_EVAL_SCRATCH_H_
#define CONSENT_ENGINE_EVAL_SCRATCH_H_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "absl/strings/string_view.h"
#include "engine/ca/ca_types.h"
#include "engine/ca/conditional_access.h"
#include "engine/compiled_policy_impl.h"
#include "engine/policy_engine.h"

namespace consent {

// One scope token of the request (SPEC 2.3), as split and resolved.
struct ScopeToken {
  absl::string_view text;   // as written
  absl::string_view ident;  // identifier part; empty when bare
  absl::string_view value;  // value part
  bool bare = false;
  bool is_default = false;  // value ".default"
  bool oidc = false;        // an OIDC scope of GRAPH
  bool duplicate = false;   // collapsed by P5
  bool dropped = false;     // dropped by P7 on refresh
  AppIndex app = kNoApp;    // resolved resource (P4)
  int32_t scope = -1;       // resolved delegated scope (P9)
};

// A (client, resource) pair of the consent computation (N1-N3).
struct ConsentUnit {
  AppIndex client = kNoApp;
  AppIndex resource = kNoApp;
  uint32_t words = 0;
  uint32_t q = 0;  // offsets into EvalContext::Scratch::bits
  uint32_t g = 0;
  uint32_t m = 0;
  bool any_m = false;
};

class EvalContext::Scratch {
 public:
  Scratch() : ca_scratch(ca::NewCaScratch(), &ca::DeleteCaScratch) {}

  void Clear() {
    tokens.clear();
    resources.clear();
    units.clear();
    bits_used = 0;
    targets.clear();
    prompt_groups.clear();
    prompt.clear();
    step_up.Clear();
  }

  // Reserves `n` zeroed words in `bits` and returns their offset. `bits`
  // only grows; the words in use are [0, bits_used).
  uint32_t Alloc(uint32_t n) {
    const uint32_t off = bits_used;
    if (off + n > bits.size()) bits.resize(std::max<size_t>(bits.size() * 2, off + n));
    std::memset(bits.data() + off, 0, n * sizeof(uint64_t));
    bits_used = off + n;
    return off;
  }
  uint64_t* Words(uint32_t off) { return bits.data() + off; }

  std::vector<ScopeToken> tokens;
  // P7: distinct non-OIDC resources in order of first appearance.
  std::vector<AppIndex> resources;
  std::vector<ConsentUnit> units;
  std::vector<uint64_t> bits;
  uint32_t bits_used = 0;
  std::vector<AppIndex> targets;
  // Prompt grouping order of resources (SPEC 3.1).
  std::vector<AppIndex> prompt_groups;
  struct PromptItem {
    uint32_t group;
    const ScopeDef* scope;
  };
  std::vector<PromptItem> prompt;
  // SPEC §4: the user's authority and self policies (grant policy indexes),
  // each once, in order of first mention; the stamps (by grant policy, equal
  // to policy_epoch when listed) keep the lists free of repeats.
  std::vector<int32_t> authority_policies, self_policies;
  std::vector<uint32_t> authority_stamp, self_stamp;
  uint32_t policy_epoch = 0;
  ca::StepUpParams step_up;
  ca::CaResult ca_result;
  std::unique_ptr<ca::CaScratch, void (*)(ca::CaScratch*)> ca_scratch;
  // Fault injection for fail-closed tests: evaluation throws at this step
  // (1..6 of SPEC 3.2) when non-zero.
  int fault_at_step = 0;
};

}  // namespace consent

#endif  // CONSENT_ENGINE_EVAL_SCRATCH_H_
