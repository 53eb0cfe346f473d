// Shared by the libFuzzer targets (issue 8): loading the example bundles and
// the SPEC 3.1 invariants every decision must keep. A violated invariant
// aborts, so libFuzzer records the input as a crash.
#ifndef CONSENT_TESTS_FUZZ_FUZZ_UTIL_H_
#define CONSENT_TESTS_FUZZ_FUZZ_UTIL_H_

#include <google/protobuf/io/tokenizer.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/policy_engine.h"
#include "proto/bundle.pb.h"
#include "proto/decision.pb.h"
#include "proto/request.pb.h"

namespace consent {
namespace fuzz {

// Swallows text-format parse errors (protobuf logs them to stderr otherwise,
// which slows fuzzing down).
class SilentErrors : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
  void AddWarning(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
};

// A compiled bundle and its source.
struct Loaded {
  v1::PolicyBundle bundle;
  std::shared_ptr<const CompiledPolicy> policy;
};

// policies/contoso and policies/fabrikam (paths relative to the workspace
// root, or $FUZZ_POLICIES_DIR), then generated bundles for seeds 1..4.
// Bundles that fail to load are skipped; never empty (generated ones always
// compile, or the process aborts).
const std::vector<Loaded>& Bundles();

// SPEC 3.1 representation invariants (fail closed, never a token outside
// ISSUE, description charset, ...). Aborts with a message on violation.
void CheckDecision(const v1::Decision& d, const char* where);

// Decoded-request helpers over a FuzzedDataProvider-like byte stream.
class Bytes {
 public:
  Bytes(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool empty() const { return size_ == 0; }
  uint8_t Byte() {
    if (size_ == 0) return 0;
    --size_;
    return *data_++;
  }
  // A string of up to `max` bytes, terminated by a 0xFF byte or the end.
  std::string String(size_t max);
  // One of `vocab`, or (1 time in 8) a raw string.
  std::string Pick(const std::vector<std::string>& vocab, size_t max_raw = 64);
  std::string Rest() {
    std::string out(reinterpret_cast<const char*>(data_), size_);
    size_ = 0;
    return out;
  }

 private:
  const uint8_t* data_;
  size_t size_;
};

// A TokenRequest decoded from `in`, with vocabulary from `bundle`.
v1::TokenRequest DecodeRequest(const v1::PolicyBundle& bundle, Bytes* in);

}  // namespace fuzz
}  // namespace consent

#endif  // CONSENT_TESTS_FUZZ_FUZZ_UTIL_H_
