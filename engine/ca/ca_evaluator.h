// Evaluates a compiled CaModel for one request (SPEC C1-C9, S1-S3, S5).
//
// CaEvaluator is immutable and thread-safe; per-call state lives in a
// CaScratch (one per thread), whose epoch-stamped arrays are never cleared
// between calls, so a warmed-up evaluation does no allocation. Cost: the
// policies indexed under the request's targets, the "All apps" policies,
// the policies of requested / published contexts and the report-only ones;
// never the unrelated app-targeted policies.
#ifndef CONSENT_ENGINE_CA_CA_EVALUATOR_H_
#define CONSENT_ENGINE_CA_CA_EVALUATOR_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "engine/ca/ca_model.h"
#include "engine/ca/ca_types.h"
#include "engine/ca/device_filter.h"
#include "engine/ca/session_facts.h"
#include "engine/engine_options.h"

namespace consent {
namespace ca {

// Per-policy verdict of C4 + C5.
struct PolicyJudgement {
  enum class Result : uint8_t { kSatisfied, kSoft, kHard, kBlock };
  bool conditions = false;  // C3 minus applications
  bool judged = false;
  Result result = Result::kSatisfied;
  int8_t hard_rank = 0;  // C4 rank of the unmet-hard control (kSifRank: SIF)
  int hard_code = 0;
  bool sif_unmet = false;     // unmet and not deferred
  bool sif_deferred = false;  // unmet but deferred (C5)
};

// Reusable per-thread scratch (declared in conditional_access.h).
class CaScratch {
 public:
  CaScratch() = default;
  CaScratch(const CaScratch&) = delete;
  CaScratch& operator=(const CaScratch&) = delete;

  // Facts analysed ahead of Evaluate by AnalyzeSession(..., scratch, ...),
  // valid for `analysed_session` until the next Evaluate consumes them.
  SessionFacts& facts_for_next_evaluate(const v1::Session* session) {
    analysed_session = session;
    analysed_valid = true;
    return facts;
  }
  void forget_facts() { analysed_valid = false; }

 private:
  friend class CaEvaluator;
  const v1::Session* analysed_session = nullptr;
  bool analysed_valid = false;
  uint32_t epoch = 0;
  uint64_t sized_for = 0;  // CaModel::instance_id the stamp arrays fit
  std::vector<uint32_t> cond_stamp, judge_stamp;
  std::vector<PolicyJudgement> judgement;
  std::vector<uint32_t> candidate_stamp, combined_stamp, applied_stamp;
  std::vector<uint32_t> group_stamp, role_stamp, item_met_stamp, item_req_stamp;
  std::vector<uint32_t> location_stamp;
  std::vector<uint8_t> location_in;
  std::vector<uint32_t> context_stamp;  // requested (defined) contexts
  std::vector<int32_t> requested_contexts;  // those stamped, once each
  std::vector<int32_t> combined, applied, items, any_items;
  std::vector<int32_t> unsatisfied_contexts;  // request order, codes (see .cc)
  std::vector<int32_t> acrs_codes;
  std::vector<absl::string_view> capolids, acr_names;
  SessionFacts facts;
  DeviceView device;
  bool device_filled = false;
  bool members_done = false;
  bool trusted_done = false;
  bool in_trusted = false;
  int32_t user_index = -1;
};

class CaEvaluator {
 public:
  CaEvaluator(std::unique_ptr<const CaModel> model, const EngineOptions& options)
      : model_(std::move(model)), options_(options) {}

  void Evaluate(const CaInput& input, CaScratch* scratch, CaResult* result) const;

  const CaModel& model() const { return *model_; }
  size_t ByteSize() const;

 private:
  class Run;
  std::unique_ptr<const CaModel> model_;
  EngineOptions options_;
};

}  // namespace ca
}  // namespace consent

#endif  // CONSENT_ENGINE_CA_CA_EVALUATOR_H_
