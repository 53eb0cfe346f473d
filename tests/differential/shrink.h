// Generic test-case shrinking over protobuf messages: drop repeated elements
// and clear fields while a predicate (e.g. "engine and reference disagree")
// keeps holding.
#ifndef CONSENT_TESTS_DIFFERENTIAL_SHRINK_H_
#define CONSENT_TESTS_DIFFERENTIAL_SHRINK_H_

#include <functional>

#include <google/protobuf/message.h>

namespace consent {
namespace differential {

// Removes the k-th removable part of `m` (a repeated element or a set
// singular field, depth first). Returns false when `m` has fewer parts.
bool RemoveKth(google::protobuf::Message* m, int* k);

// Greedily shrinks `root` while `holds(candidate)` stays true, spending at
// most `budget` predicate calls. Returns the number of calls spent.
int Shrink(google::protobuf::Message* root,
           const std::function<bool(const google::protobuf::Message&)>& holds,
           int budget);

}  // namespace differential
}  // namespace consent

#endif  // CONSENT_TESTS_DIFFERENTIAL_SHRINK_H_
