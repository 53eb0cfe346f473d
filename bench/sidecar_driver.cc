// Runs policyd's handler path in process, without sockets, for
// `valgrind --tool=callgrind` and for counting heap allocations per call
// (issue 7, the sidecar targets).
//
//   valgrind --tool=callgrind --toggle-collect='*RunProfiled*'
//       bazel-bin/bench/sidecar_driver --rpc=evaluate --calls=4096
//
// Each call does what gRPC's callback unary handler does around
// PolicyServiceImpl (grpcpp/impl/codegen/server_callback_handlers.h). Raw
// methods (Evaluate, BatchEvaluate): the handler gets the request's bytes
// and a fresh CallbackServerContext and leaves the answer's bytes. Typed
// Noop: the request and response come from the service's MessageAllocator
// (else they are constructed in place, as gRPC's DefaultMessageHolder does
// in the call arena), the request is parsed from a ByteBuffer, the handler
// runs, the response is serialized into a ByteBuffer and the messages are
// released. What stays out: HTTP/2, the completion queue, the client.
//
// Prints instructions-free figures: heap allocations (operator new) per call
// and thread CPU time per call; run under callgrind for instruction counts.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "bench/alloc_counter.h"
#include "bench/synthetic_tenant.h"
#include "engine/snapshot/snapshot_store.h"
#include "google/protobuf/text_format.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/support/message_allocator.h"
#include "grpcpp/support/server_callback.h"
#include "proto/service.grpc.pb.h"
#include "server/bundle_manager.h"
#include "server/logger.h"
#include "server/policy_service.h"

ABSL_FLAG(std::string, size, "large", "synthetic tenant: small, large or xlarge");
ABSL_FLAG(std::string, rpc, "evaluate", "evaluate, batch or noop");
ABSL_FLAG(int, calls, 4096, "calls to make (batch: calls of --batch requests)");
ABSL_FLAG(int, batch, 100, "requests per BatchEvaluate call");
ABSL_FLAG(bool, omit_explanation, false, "ask for decision-only answers (no explanation)");
ABSL_FLAG(bool, arena, true,
          "noop: use the service's arena allocator (false: messages as gRPC's default holder "
          "makes them)");
ABSL_FLAG(int, warmup, 200, "unmeasured calls first");
ABSL_FLAG(int, evict_kb, 0,
          "before each call, write this many KiB of unrelated memory (what gRPC, the kernel "
          "and the client touch between two calls of a live server), outside the timing: "
          "the handler then runs with cold caches");
ABSL_FLAG(bool, mutex_deadlock_detection, false,
          "keep Abseil's mutex deadlock detection on (policyd turns it off; see "
          "server/policyd_main.cc)");

namespace consent {
namespace bench {

double ThreadCpuNanos() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

// What gRPC does for one unary callback call, minus the transport.
template <typename Req, typename Resp, typename Handler>
size_t OneCall(grpc::MessageAllocator<Req, Resp>* allocator, const grpc::Slice& wire,
               Handler handler) {
  grpc::MessageHolder<Req, Resp>* holder;
  struct Plain : grpc::MessageHolder<Req, Resp> {
    Plain() {
      this->set_request(&req);
      this->set_response(&resp);
    }
    void Release() override {}
    Req req;
    Resp resp;
  };
  Plain plain;
  holder = allocator != nullptr ? allocator->AllocateMessages() : &plain;
  grpc::ByteBuffer in(&wire, 1);
  grpc::Status status = grpc::SerializationTraits<Req>::Deserialize(&in, holder->request());
  size_t bytes = 0;
  if (status.ok()) {
    grpc::CallbackServerContext context;
    handler(&context, holder->request(), holder->response());
    grpc::ByteBuffer out;
    bool own = false;
    status = grpc::SerializationTraits<Resp>::Serialize(*holder->response(), &out, &own);
    bytes = out.Length();
  }
  holder->Release();
  return bytes;
}

// A raw callback method (Evaluate, BatchEvaluate): gRPC hands the handler
// the request's bytes and sends the bytes it leaves in `response`.
template <typename Handler>
size_t OneRawCall(const grpc::Slice& wire, Handler handler) {
  grpc::ByteBuffer in(&wire, 1);
  grpc::ByteBuffer out;
  grpc::CallbackServerContext context;
  handler(&context, &in, &out);
  return out.Length();
}

// Writes every cache line of `memory` (--evict_kb): the caches then hold it
// instead of the handler's code and data.
__attribute__((noinline)) void Evict(std::vector<uint64_t>* memory) {
  for (size_t i = 0; i < memory->size(); i += 8) (*memory)[i] += i;
}

// Not inline, not static: callgrind toggles on its symbol.
__attribute__((noinline)) size_t RunProfiled(server::PolicyServiceImpl* service,
                                             const std::string& rpc,
                                             const std::vector<grpc::Slice>& wires, int calls,
                                             bool use_arena, std::vector<uint64_t>* evict,
                                             double* call_ns) {
  size_t bytes = 0;
  for (int i = 0; i < calls; ++i) {
    const grpc::Slice& wire = wires[i % wires.size()];
    // Only --evict_kb times each call: otherwise the clock reads would land in
    // what callgrind counts when it toggles on RunProfiled.
    std::chrono::steady_clock::time_point call_start;
    if (evict != nullptr) {
      Evict(evict);
      call_start = std::chrono::steady_clock::now();
    }
    if (rpc == "batch") {
      bytes += OneRawCall(wire, [&](grpc::CallbackServerContext* c, const grpc::ByteBuffer* q,
                                    grpc::ByteBuffer* r) { service->BatchEvaluate(c, q, r); });
    } else if (rpc == "evaluate") {
      bytes += OneRawCall(wire, [&](grpc::CallbackServerContext* c, const grpc::ByteBuffer* q,
                                    grpc::ByteBuffer* r) { service->Evaluate(c, q, r); });
    } else {
      bytes += OneCall<v1::EvaluateRequest, v1::EvaluateResponse>(
          use_arena ? service->noop_allocator() : nullptr, wire,
          [&](grpc::CallbackServerContext* c, const v1::EvaluateRequest* q,
              v1::EvaluateResponse* r) { service->Noop(c, q, r); });
    }
    if (evict != nullptr) {
      *call_ns += std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() -
                                                           call_start)
                      .count();
    }
  }
  return bytes;
}

int Main() {
  auto size = ParseTenantSize(absl::GetFlag(FLAGS_size));
  if (!size.ok()) {
    std::fprintf(stderr, "--size: %s\n", std::string(size.status().message()).c_str());
    return 2;
  }
  const std::string rpc = absl::GetFlag(FLAGS_rpc);
  if (rpc != "evaluate" && rpc != "batch" && rpc != "noop") {
    std::fprintf(stderr, "--rpc: unknown value \"%s\"\n", rpc.c_str());
    return 2;
  }
  const int calls = absl::GetFlag(FLAGS_calls);
  const int batch = absl::GetFlag(FLAGS_batch);
  if (calls < 1 || batch < 1) {
    std::fprintf(stderr, "--calls and --batch must be positive\n");
    return 2;
  }
  const SyntheticTenant tenant = GenerateTenant(*size);

  // The bundle in a temporary policy directory, loaded as policyd loads it.
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / absl::StrCat("sidecar_driver.", ::getpid());
  std::filesystem::create_directories(dir);
  {
    std::string text;
    google::protobuf::TextFormat::PrintToString(tenant.bundle, &text);
    std::ofstream((dir / "synthetic.bundle.textproto").string()) << text;
  }
  SnapshotStore store;
  server::BundleManagerOptions bm_options;
  bm_options.policy_dir = dir.string();
  bm_options.use_inotify = false;
  bm_options.poll_interval = absl::Hours(1);
  server::BundleManager bundles(bm_options, &store);
  bundles.Start(nullptr);
  while (!bundles.initial_scan_done()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  bundles.Stop();
  std::filesystem::remove_all(dir);
  if (store.size() != 1) {
    std::fprintf(stderr, "the synthetic bundle did not load\n");
    return 1;
  }

  server::PolicyServiceImpl service(server::PolicyServiceOptions{}, &store, &bundles, nullptr);

  const std::vector<v1::TokenRequest> stream = GenerateRequests(tenant, 4096);
  const bool decision_only = absl::GetFlag(FLAGS_omit_explanation);
  std::vector<grpc::Slice> wires;
  if (rpc == "batch") {
    for (size_t b = 0; b * batch < stream.size(); ++b) {
      v1::BatchEvaluateRequest request;
      for (int k = 0; k < batch; ++k) {
        *request.add_requests() = stream[(b * batch + k) % stream.size()];
      }
      if (decision_only) request.set_omit_explanation(true);
      wires.emplace_back(request.SerializeAsString());
    }
  } else {
    for (const v1::TokenRequest& r : stream) {
      v1::EvaluateRequest request;
      *request.mutable_request() = r;
      if (decision_only) request.set_omit_explanation(true);
      if (rpc == "noop") request.set_noop_response_bytes(700);
      wires.emplace_back(request.SerializeAsString());
    }
  }

  const bool use_arena = absl::GetFlag(FLAGS_arena);
  std::vector<uint64_t> evict(static_cast<size_t>(absl::GetFlag(FLAGS_evict_kb)) * 1024 / 8);
  std::vector<uint64_t>* evict_or_null = evict.empty() ? nullptr : &evict;
  double call_ns = 0;
  RunProfiled(&service, rpc, wires, absl::GetFlag(FLAGS_warmup), use_arena, evict_or_null,
              &call_ns);
  call_ns = 0;
  const uint64_t allocs_before = ThreadAllocations();
  const double start = ThreadCpuNanos();
  const size_t bytes =
      RunProfiled(&service, rpc, wires, calls, use_arena, evict_or_null, &call_ns);
  // With --evict_kb the eviction is not the handler's: only the calls are
  // timed (wall clock around each call, so run it on a quiet machine).
  const double ns = evict.empty() ? ThreadCpuNanos() - start : call_ns;
  const double allocs = static_cast<double>(ThreadAllocations() - allocs_before);
  const int per_call = rpc == "batch" ? batch : 1;
  std::printf(
      "%s %s%s%s: %d calls, %.1f response bytes/call, %.2f allocations/call, %.2f per decision, "
      "%.0f ns/call, %.0f ns per decision (%s)\n",
      rpc.c_str(), std::string(TenantSizeName(*size)).c_str(),
      decision_only ? " omit_explanation" : "", use_arena ? "" : " no_arena", calls, static_cast<double>(bytes) / calls,
      allocs / calls, allocs / calls / per_call, ns / calls, ns / calls / per_call,
      evict.empty() ? "thread CPU time" : "wall clock per call, caches evicted before each");
  return 0;
}

}  // namespace bench
}  // namespace consent

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  if (!absl::GetFlag(FLAGS_mutex_deadlock_detection)) {
    absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  }
  return consent::bench::Main();
}
