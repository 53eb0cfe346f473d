// The Conditional Access boundary (conditional_access.h): wires the compiler,
// evaluator, parameter parsing, session analysis and challenge builders.
#include "engine/ca/conditional_access.h"

#include <utility>

#include "engine/ca/ca_compiler.h"
#include "engine/ca/ca_evaluator.h"
#include "engine/ca/challenges.h"
#include "engine/ca/session_facts.h"
#include "engine/ca/step_up_params.h"

namespace consent {
namespace ca {
namespace {

class CompiledCaImpl final : public CompiledCa {
 public:
  CompiledCaImpl(std::unique_ptr<const CaModel> model, const EngineOptions& options)
      : evaluator_(std::move(model), options) {}

  void Evaluate(const CaInput& input, CaScratch* scratch, CaResult* result) const override {
    evaluator_.Evaluate(input, scratch, result);
  }
  int policy_count() const override { return evaluator_.model().policy_count; }
  int named_location_count() const override {
    return evaluator_.model().named_location_count;
  }
  size_t ByteSize() const override { return sizeof(*this) + evaluator_.ByteSize(); }

 private:
  CaEvaluator evaluator_;
};

}  // namespace

CaScratch* NewCaScratch() { return new CaScratch(); }
void DeleteCaScratch(CaScratch* scratch) { delete scratch; }

std::unique_ptr<const CompiledCa> CompiledCa::Compile(const v1::PolicyBundle& bundle,
                                                      const CaCompileEnv& env,
                                                      const EngineOptions& options,
                                                      internal::ProblemList* problems) {
  CaModelEnv model_env;
  model_env.tenant_id = env.tenant_id;
  model_env.resolve_app = env.resolve_app;
  if (!model_env.resolve_app) model_env.resolve_app = [](absl::string_view) { return -1; };
  std::unique_ptr<const CaModel> model = CompileCaModel(bundle, model_env, options, problems);
  if (model == nullptr) return nullptr;
  return std::make_unique<CompiledCaImpl>(std::move(model), options);
}

bool ParseStepUpParams(const v1::TokenRequest& request, bool interactive,
                       const EngineOptions& options, StepUpParams* out, std::string* error) {
  return ParseStepUpParamsImpl(request, interactive, options, out, error);
}

bool AnalyzeSession(const v1::Session* session, const EngineOptions& options, AuthTimes* times,
                    std::string* error) {
  SessionFacts facts;
  if (!AnalyzeSessionFacts(session, options, &facts, error)) return false;
  times->primary_auth_time = facts.primary_auth_time;
  times->mfa_time = facts.mfa_time;
  return true;
}

bool AnalyzeSession(const v1::Session* session, const EngineOptions& options, CaScratch* scratch,
                    AuthTimes* times, std::string* error) {
  scratch->forget_facts();
  SessionFacts& facts = scratch->facts_for_next_evaluate(session);
  if (!AnalyzeSessionFacts(session, options, &facts, error)) {
    scratch->forget_facts();
    return false;
  }
  times->primary_auth_time = facts.primary_auth_time;
  times->mfa_time = facts.mfa_time;
  return true;
}

v1::ResourceAccessResult CheckResourceAccess(const v1::ResourceAccessCheck& check, int64_t now,
                                             ChallengeFormat format) {
  return CheckResourceAccessImpl(check, now, format);
}

std::optional<ChallengeFormat> ParseChallengeFormat(absl::string_view text) {
  return ParseChallengeFormatImpl(text);
}

}  // namespace ca
}  // namespace consent
