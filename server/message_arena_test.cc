#include "server/message_arena.h"

#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "proto/service.pb.h"

namespace consent {
namespace server {
namespace {

using Allocator = ArenaMessageAllocator<v1::EvaluateRequest, v1::EvaluateResponse>;

ArenaAllocatorOptions Small() {
  ArenaAllocatorOptions o;
  o.initial_block_bytes = 4096;
  o.max_block_bytes = 64 << 10;
  o.max_pooled = 2;
  return o;
}

TEST(ArenaMessageAllocatorTest, MessagesLiveOnAnArena) {
  Allocator allocator(Small());
  grpc::MessageHolder<v1::EvaluateRequest, v1::EvaluateResponse>* holder =
      allocator.AllocateMessages();
  ASSERT_NE(holder->request(), nullptr);
  ASSERT_NE(holder->response(), nullptr);
  EXPECT_NE(holder->request()->GetArena(), nullptr);
  EXPECT_EQ(holder->request()->GetArena(), holder->response()->GetArena());
  holder->request()->mutable_request()->set_tenant("t-contoso");
  holder->response()->mutable_decision()->mutable_explanation()->add_rules("E2");
  holder->Release();
}

TEST(ArenaMessageAllocatorTest, HoldersAreReusedWithFreshMessages) {
  Allocator allocator(Small());
  auto* first = allocator.AllocateMessages();
  first->request()->mutable_request()->set_tenant("t-contoso");
  first->response()->set_bundle_version("v1");
  first->Release();
  auto* second = allocator.AllocateMessages();
  EXPECT_EQ(second, first);  // the pooled holder
  EXPECT_FALSE(second->request()->has_request());
  EXPECT_EQ(second->response()->bundle_version(), "");
  second->Release();
  const ArenaAllocatorStats stats = allocator.stats();
  EXPECT_EQ(stats.allocated, 2u);
  EXPECT_EQ(stats.created, 1u);
  EXPECT_EQ(stats.pooled, 1u);
}

TEST(ArenaMessageAllocatorTest, PoolIsBounded) {
  Allocator allocator(Small());
  std::vector<grpc::MessageHolder<v1::EvaluateRequest, v1::EvaluateResponse>*> held;
  for (int i = 0; i < 5; ++i) held.push_back(allocator.AllocateMessages());
  for (auto* h : held) h->Release();
  EXPECT_EQ(allocator.stats().created, 5u);
  EXPECT_EQ(allocator.stats().pooled, 2u);  // max_pooled; the rest were freed
}

// A call larger than the first block still works (more arena blocks), and
// the holder's block grows for the next one, up to max_block_bytes.
TEST(ArenaMessageAllocatorTest, LargeMessagesFitAndTheBlockGrows) {
  Allocator allocator(Small());
  const std::string big(20000, 'x');
  for (int round = 0; round < 3; ++round) {
    auto* holder = allocator.AllocateMessages();
    v1::Decision* decision = holder->response()->mutable_decision();
    for (int i = 0; i < 200; ++i) decision->add_applied_policies("policy-" + std::to_string(i));
    decision->set_error_description(big);
    EXPECT_EQ(decision->applied_policies_size(), 200);
    EXPECT_EQ(decision->error_description(), big);
    holder->Release();
  }
  EXPECT_EQ(allocator.stats().created, 1u);
  // A request far beyond max_block_bytes: served, the block stays bounded.
  auto* holder = allocator.AllocateMessages();
  holder->response()->set_bundle_hash(std::string(1 << 20, 'h'));
  for (int i = 0; i < 5000; ++i) {
    holder->response()->mutable_decision()->add_blocking_policies("policy-" + std::to_string(i));
  }
  EXPECT_EQ(holder->response()->decision().blocking_policies_size(), 5000);
  holder->Release();
  holder = allocator.AllocateMessages();
  EXPECT_EQ(holder->response()->decision().blocking_policies_size(), 0);
  holder->Release();
  EXPECT_EQ(allocator.stats().created, 1u);
}

TEST(ArenaMessageAllocatorTest, ConcurrentUse) {
  Allocator allocator(Small());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&allocator, t] {
      for (int i = 0; i < 500; ++i) {
        auto* holder = allocator.AllocateMessages();
        holder->request()->mutable_request()->set_client_id("client-" + std::to_string(t));
        holder->response()->set_bundle_version(std::to_string(i));
        EXPECT_EQ(holder->request()->request().client_id(), "client-" + std::to_string(t));
        holder->Release();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const ArenaAllocatorStats stats = allocator.stats();
  EXPECT_EQ(stats.allocated, 2000u);
  EXPECT_LE(stats.created, 2000u);
  EXPECT_LE(stats.pooled, 2u);
}

}  // namespace
}  // namespace server
}  // namespace consent
