// Device-filter rules (SPEC C3, 1.7), compiled at bundle load into a flat
// postfix program of predicates and -and/-or steps.
//
// Grammar (case-insensitive keywords and attribute names):
//   expr := and ("-or" and)*          -and binds tighter (engine choice)
//   and  := term ("-and" term)*
//   term := "(" expr ")" | "device." attr op value
//   op   := -eq -ne -startsWith -notStartsWith -endsWith -notEndsWith
//           -contains -notContains -in -notIn   (allowed per attribute, 1.7)
//   value:= "quoted" | bare word (True, False, ...) | [ "a", "b", ... ] (in/notIn)
// Parentheses nest at most kMaxDeviceFilterDepth deep. Evaluation walks the
// program once with a fixed-size bool stack: no allocation, no recursion.
#ifndef CONSENT_ENGINE_CA_DEVICE_FILTER_H_
#define CONSENT_ENGINE_CA_DEVICE_FILTER_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "proto/request.pb.h"

namespace consent {
namespace ca {

enum class DeviceAttr : uint8_t {
  kDeviceId = 0,
  kDisplayName,
  kDeviceOwnership,
  kEnrollmentProfileName,
  kIsCompliant,
  kManufacturer,
  kMdmAppId,
  kModel,
  kOperatingSystem,
  kOperatingSystemVersion,
  kPhysicalIds,
  kProfileType,
  kSystemLabels,
  kTrustType,
  kExtensionAttribute1,  // ... kExtensionAttribute1 + 14
};
inline constexpr int kDeviceAttrCount = 14 + 15;

// Attribute by name, ASCII case-insensitive ("extensionAttribute7").
std::optional<DeviceAttr> ParseDeviceAttr(absl::string_view name);
absl::string_view DeviceAttrName(DeviceAttr attr);

enum class DeviceOp : uint8_t {
  kEq, kNe, kStartsWith, kNotStartsWith, kEndsWith, kNotEndsWith,
  kContains, kNotContains, kIn, kNotIn,
};

inline constexpr int kMaxDeviceFilterDepth = 32;

// A session's device as the filter sees it: every attribute null for an
// unregistered device (C3); string_views into the request.
struct DeviceView {
  std::array<absl::string_view, kDeviceAttrCount> value{};
  std::array<bool, kDeviceAttrCount> present{};
  // Null when unregistered.
  const google::protobuf::RepeatedPtrField<std::string>* physical_ids = nullptr;
  const google::protobuf::RepeatedPtrField<std::string>* system_labels = nullptr;
  bool registered = false;

  // Fills from `device` (null = unregistered). Device map keys are resolved
  // case-insensitively; unknown keys are ignored here (AnalyzeSession
  // rejects them). extensionAttributeN stays null unless the device is
  // compliant, MDM-managed or ServerAD (Entra).
  void Fill(const v1::Device* device);
};

class DeviceFilterProgram {
 public:
  // Compiles `rule`. On failure returns nullopt and sets `error` to e.g.
  // `unexpected token "-andd" at position 17` (0-based byte offset).
  static std::optional<DeviceFilterProgram> Compile(absl::string_view rule,
                                                    size_t max_chars,
                                                    std::string* error);

  bool Evaluate(const DeviceView& device) const;

  size_t ByteSize() const;
  size_t predicate_count() const { return preds_.size(); }

 private:
  struct Pred {
    DeviceAttr attr;
    DeviceOp op;
    std::vector<std::string> values;  // one, or the -in/-notIn list
  };
  // Postfix steps: >= 0 = predicate index; kAnd / kOr combine two.
  static constexpr int32_t kAnd = -1;
  static constexpr int32_t kOr = -2;
  std::vector<Pred> preds_;
  std::vector<int32_t> steps_;

  friend class DeviceFilterParser;
};

}  // namespace ca
}  // namespace consent

#endif  // CONSENT_ENGINE_CA_DEVICE_FILTER_H_
