#include "tests/differential/shrink.h"

#include <memory>
#include <vector>

namespace consent {
namespace differential {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

bool RemoveKth(Message* m, int* k) {
  const Reflection* r = m->GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(*m, &fields);
  for (const FieldDescriptor* f : fields) {
    if (f->is_repeated()) {
      const int n = r->FieldSize(*m, f);
      for (int i = 0; i < n; ++i) {
        if (*k == 0) {
          for (int j = i; j < n - 1; ++j) r->SwapElements(m, f, j, j + 1);
          r->RemoveLast(m, f);
          return true;
        }
        --*k;
      }
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !f->is_map()) {
        for (int i = 0; i < n; ++i) {
          if (RemoveKth(r->MutableRepeatedMessage(m, f, i), k)) return true;
        }
      }
    } else {
      if (*k == 0) {
        r->ClearField(m, f);
        return true;
      }
      --*k;
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        if (RemoveKth(r->MutableMessage(m, f), k)) return true;
      }
    }
  }
  return false;
}

int Shrink(Message* root, const std::function<bool(const Message&)>& holds, int budget) {
  int spent = 0;
  bool progress = true;
  while (progress && spent < budget) {
    progress = false;
    int k = 0;
    while (spent < budget) {
      std::unique_ptr<Message> copy(root->New());
      copy->CopyFrom(*root);
      int kk = k;
      if (!RemoveKth(copy.get(), &kk)) break;
      ++spent;
      if (holds(*copy)) {
        root->CopyFrom(*copy);
        progress = true;
      } else {
        ++k;
      }
    }
  }
  return spent;
}

}  // namespace differential
}  // namespace consent
