#include "engine/internal/problems.h"

#include "absl/strings/escaping.h"

namespace consent {
namespace internal {

std::string Quote(absl::string_view value) {
  constexpr size_t kMax = 200;
  std::string shown = absl::CHexEscape(value.substr(0, kMax));
  if (value.size() > kMax) shown += "...";
  return absl::StrCat("\"", shown, "\"");
}

}  // namespace internal
}  // namespace consent
