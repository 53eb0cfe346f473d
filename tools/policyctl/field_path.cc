#include "tools/policyctl/field_path.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace consent::policyctl {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;

// Resolves `path` to its field descriptors, one per component.
absl::Status Resolve(const Descriptor& descriptor, absl::string_view path,
                     std::vector<const FieldDescriptor*>* fields) {
  if (path.empty()) return absl::InvalidArgumentError("empty field path");
  const Descriptor* current = &descriptor;
  std::vector<absl::string_view> parts = absl::StrSplit(path, '.');
  for (size_t i = 0; i < parts.size(); ++i) {
    const FieldDescriptor* field = current->FindFieldByName(std::string(parts[i]));
    if (field == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("field path \"", path, "\": ", current->full_name(),
                       " has no field \"", parts[i], "\""));
    }
    fields->push_back(field);
    if (i + 1 < parts.size()) {
      if (field->is_repeated() ||
          field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
        return absl::InvalidArgumentError(
            absl::StrCat("field path \"", path, "\": \"", parts[i],
                         "\" is not a singular message field"));
      }
      current = field->message_type();
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckFieldPath(const Descriptor& descriptor,
                            absl::string_view path) {
  std::vector<const FieldDescriptor*> fields;
  return Resolve(descriptor, path, &fields);
}

absl::Status ClearFieldPath(Message* message, absl::string_view path) {
  std::vector<const FieldDescriptor*> fields;
  if (absl::Status s = Resolve(*message->GetDescriptor(), path, &fields);
      !s.ok()) {
    return s;
  }
  Message* current = message;
  for (size_t i = 0; i + 1 < fields.size(); ++i) {
    const auto* reflection = current->GetReflection();
    if (!reflection->HasField(*current, fields[i])) return absl::OkStatus();
    current = reflection->MutableMessage(current, fields[i]);
  }
  current->GetReflection()->ClearField(current, fields.back());
  return absl::OkStatus();
}

}  // namespace consent::policyctl
