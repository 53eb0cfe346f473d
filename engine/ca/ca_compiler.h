// Compiles a bundle's Conditional Access sections (SPEC 1.7) into a CaModel,
// reporting every problem with its field path and value.
#ifndef CONSENT_ENGINE_CA_CA_COMPILER_H_
#define CONSENT_ENGINE_CA_CA_COMPILER_H_

#include <functional>
#include <memory>

#include "absl/strings/string_view.h"
#include "engine/ca/ca_model.h"
#include "engine/engine_options.h"
#include "engine/internal/problems.h"
#include "proto/bundle.pb.h"

namespace consent {
namespace ca {

struct CaModelEnv {
  absl::string_view tenant_id;
  // Dense app index (case-insensitive), -1 when unknown.
  std::function<AppIndex(absl::string_view)> resolve_app;
};

// Null iff problems were added.
std::unique_ptr<const CaModel> CompileCaModel(const v1::PolicyBundle& bundle,
                                              const CaModelEnv& env,
                                              const EngineOptions& options,
                                              internal::ProblemList* problems);

}  // namespace ca
}  // namespace consent

#endif  // CONSENT_ENGINE_CA_CA_COMPILER_H_
