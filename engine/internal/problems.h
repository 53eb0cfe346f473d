// Validation problems collected while compiling a bundle. The compiler never
// stops at the first problem: it reports all of them, each naming the field
// path and the offending value, and the bundle is rejected whole.
#ifndef CONSENT_ENGINE_INTERNAL_PROBLEMS_H_
#define CONSENT_ENGINE_INTERNAL_PROBLEMS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"

namespace consent {

// One validation problem: `path` is a field path such as
// "resources[2].scopes[5].classification".
struct BundleProblem {
  std::string path;
  std::string message;

  std::string ToString() const { return absl::StrCat(path, ": ", message); }
};

namespace internal {

class ProblemList {
 public:
  void Add(std::string path, std::string message) {
    problems_.push_back({std::move(path), std::move(message)});
  }
  bool empty() const { return problems_.empty(); }
  size_t size() const { return problems_.size(); }
  const std::vector<BundleProblem>& problems() const { return problems_; }
  std::vector<BundleProblem> Take() { return std::move(problems_); }

  // InvalidArgument listing every problem, one per line; OK when empty.
  absl::Status ToStatus() const {
    if (problems_.empty()) return absl::OkStatus();
    std::string text = absl::StrCat("invalid policy bundle: ", problems_.size(),
                                    problems_.size() == 1 ? " problem" : " problems");
    for (const BundleProblem& p : problems_) absl::StrAppend(&text, "\n  ", p.ToString());
    return absl::InvalidArgumentError(text);
  }

 private:
  std::vector<BundleProblem> problems_;
};

// Path helpers: Field("resources", 2) -> "resources[2]".
inline std::string Field(absl::string_view base, absl::string_view name) {
  return base.empty() ? std::string(name) : absl::StrCat(base, ".", name);
}
inline std::string Index(absl::string_view base, int i) {
  return absl::StrCat(base, "[", i, "]");
}
// Quotes a value for messages: "x" with control bytes escaped.
std::string Quote(absl::string_view value);

}  // namespace internal
}  // namespace consent

#endif  // CONSENT_ENGINE_INTERNAL_PROBLEMS_H_
