// Counts heap allocations of the calling thread, for the benchmarks'
// allocations-per-evaluation counter and the zero-allocation test (issue 7).
//
// Linking //bench:alloc_counter replaces the global operator new/delete of
// the whole binary (alwayslink): every form of operator new bumps a
// thread-local counter, then calls malloc. Only binaries that want the count
// may depend on it; it never goes into a library.
//
//   const uint64_t before = consent::bench::ThreadAllocations();
//   ... work ...
//   const uint64_t allocations = consent::bench::ThreadAllocations() - before;
#ifndef CONSENT_BENCH_ALLOC_COUNTER_H_
#define CONSENT_BENCH_ALLOC_COUNTER_H_

#include <cstdint>

namespace consent {
namespace bench {

// Heap allocations (calls of any operator new) made so far by this thread.
uint64_t ThreadAllocations();

// False when a sanitizer's own operator new replaces ours (ASan), so the
// counts would read 0 whatever happens: allocation tests skip then.
constexpr bool AllocationCountingAvailable() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return false;
#else
  return true;
#endif
}

}  // namespace bench
}  // namespace consent

#endif  // CONSENT_BENCH_ALLOC_COUNTER_H_
