// The allocation counter counts what it claims to, so that a 0 from
// allocation_test means no allocation rather than a blind counter.
#include "bench/alloc_counter.h"

#include <memory>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "gtest/gtest.h"

namespace consent {
namespace bench {
namespace {

TEST(AllocCounterTest, CountsEveryOperatorNew) {
  if (!AllocationCountingAvailable()) GTEST_SKIP() << "a sanitizer replaces operator new: nothing to count";
  const uint64_t before = ThreadAllocations();
  auto a = std::make_unique<int>(1);
  std::vector<int> v(100);
  std::string s(1000, 'x');  // beyond the small-string buffer
  benchmark::DoNotOptimize(a.get());
  benchmark::DoNotOptimize(v.data());
  benchmark::DoNotOptimize(s.data());
  EXPECT_EQ(ThreadAllocations() - before, 3u);
}

TEST(AllocCounterTest, ReusedCapacityDoesNotAllocate) {
  std::vector<int> v;
  v.reserve(64);
  std::string s;
  s.reserve(256);
  const uint64_t before = ThreadAllocations();
  for (int i = 0; i < 64; ++i) v.push_back(i);
  s.assign(200, 'y');
  v.clear();
  benchmark::DoNotOptimize(v.data());
  benchmark::DoNotOptimize(s.data());
  EXPECT_EQ(ThreadAllocations() - before, 0u);
}

}  // namespace
}  // namespace bench
}  // namespace consent
