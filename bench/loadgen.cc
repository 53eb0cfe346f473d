// Closed-loop gRPC load generator for the policyd sidecar (issue 7).
//
// Each of --concurrency slots keeps exactly one call in flight on the
// callback API and issues the next as soon as the previous completes, for
// --duration_s per phase; slots are spread round-robin over --channels
// channels (separate subchannels, so separate TCP connections). Requests are
// a synthetic tenant's stream (--size, the same generator and seed as the
// bundle policyd serves), so every call is a real decision.
//
// Phases, in one run, each reported with QPS and p50/p90/p99/p99.9:
//   noop      the `Noop` RPC with the same EvaluateRequest messages, its
//             responses padded to Evaluate's size (--noop_same_size): the
//             transport baseline (policyd does no engine work for it);
//   evaluate  `Evaluate`, and its QPS and p99 as ratios of noop's;
//   batch     (--batch > 0) `BatchEvaluate` with --batch requests per call:
//             decisions per second;
//   reload    (--reload_every_ms > 0) `Evaluate` again while a thread
//             rewrites --bundle_path every N ms with a new `version`, forcing
//             hot reloads; p99 as a ratio of evaluate's, failed calls, and
//             how many bundle versions answered.
// The phases alternate in --rounds rounds (noop, evaluate, batch, reload,
// noop, ...) so that bursts of load on a shared machine hit them alike.
// Loopback only (the target must be 127.0.0.1/::1/localhost); every phase
// is bounded by its duration; the program stops by itself.
//
//   loadgen --target=127.0.0.1:50051 --size=large --concurrency=16
//       --duration_s=10 --batch=100 --reload_every_ms=1000
//       --bundle_path=/tmp/policies/synthetic.bundle.textproto
//   loadgen --write_bundle=/tmp/policies/synthetic.bundle.textproto --size=large
//
// Client work. By default loadgen measures the server: every phase (the
// Noop baseline included) sends requests serialized once per stream entry,
// as raw bytes through grpc::GenericStub's callback API, and receives the
// answers as grpc::ByteBuffer without parsing them. Both sides of every
// ratio then do the same client work; otherwise the client's parse of an
// Evaluate answer (≈ 29 k instructions, half of them SPEC C8's structured
// `report_only` list) against that of Noop's padded answer of the same size
// (≈ 1–2 k) would count against Evaluate although the server does not do
// it. Correctness stays checked on a sample (bench/answer_check.h): each
// slot's first answer of every phase segment and then every
// --decode_every-th is decoded, and an answer that does not parse, or holds
// outcome UNAVAILABLE/OUTCOME_UNSPECIFIED (or, in a batch, a bad item or a
// wrong count), is a failed call; non-OK statuses are failed calls always.
// Bundle versions are read from the decoded answers. --decode_answers uses
// the typed stub and decodes and checks every answer instead (the client's
// view, with its parse cost).
//
// --omit_explanation asks for decision-only answers in every phase (and the
// Noop baseline is padded to their size). --server_pid=PID (policyd on the
// same machine) adds the CPU time per call of both processes to each phase.
// Beware: under closed-loop load on a small machine the process that waits
// fills its core with gRPC's polling and wake-ups, so CPU per call is then
// about "cores / QPS" for both processes and noop/evaluate CPU tracks the
// QPS ratio instead of measuring the work of a call (bench/README.md).
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/answer_check.h"
#include "bench/synthetic_tenant.h"
#include "google/protobuf/text_format.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "proto/service.grpc.pb.h"

ABSL_FLAG(bool, noop_same_size, true,
          "Pad each Noop response to the size of Evaluate's answer to the same request, so the "
          "baseline moves the same message sizes (issue 7).");
ABSL_FLAG(bool, omit_explanation, false,
          "Ask for decision-only answers (EvaluateRequest/BatchEvaluateRequest.omit_explanation): "
          "the token service's hot-path setting. The Noop baseline is padded to the size of "
          "those answers.");
ABSL_FLAG(bool, decode_answers, false,
          "Typed client: decode and check every answer (the client's parse cost included in "
          "every phase). Default: requests pre-serialized, answers received as raw bytes and "
          "only a sample decoded (--decode_every), so that the rates measure the server.");
ABSL_FLAG(int64_t, decode_every, 1000,
          "Without --decode_answers: decode and check each slot's first answer of every phase "
          "segment and then every N-th (1 = all, still through the generic client).");
ABSL_FLAG(std::string, target, "127.0.0.1:50051", "policyd address (loopback only)");
ABSL_FLAG(int, concurrency, 1, "calls in flight (closed loop)");
ABSL_FLAG(int, channels, 1, "gRPC channels (connections) the calls spread over");
ABSL_FLAG(double, duration_s, 5, "measured seconds per phase (split over rounds)");
ABSL_FLAG(double, warmup_s, 1, "seconds of unmeasured calls per phase (split over rounds)");
ABSL_FLAG(int, rounds, 3, "phases alternate in this many rounds (fair ratios on a noisy machine)");
ABSL_FLAG(std::string, size, "large", "request mix: the synthetic tenant size (small, large, xlarge)");
ABSL_FLAG(uint64_t, seed, consent::bench::kDefaultSeed, "generator seed (bundle and requests)");
ABSL_FLAG(int, requests, 4096, "distinct requests in the stream");
ABSL_FLAG(int, batch, 0, "BatchEvaluate phase with this many requests per call (0 = skip)");
ABSL_FLAG(int, reload_every_ms, 0,
          "reload phase: rewrite --bundle_path every N ms during Evaluate load (0 = skip)");
ABSL_FLAG(std::string, bundle_path, "", "the bundle file policyd serves (for --reload_every_ms)");
ABSL_FLAG(std::string, write_bundle, "",
          "write the synthetic bundle (textproto) to this path and exit");
ABSL_FLAG(double, wait_ready_s, 60, "seconds to wait for policyd to answer before the run");
ABSL_FLAG(std::string, json_out, "", "also write the results as JSON here");
ABSL_FLAG(int, server_pid, 0,
          "policyd's process id (same machine): also report its CPU time per call in each "
          "phase, from /proc/PID/stat (0 = off)");

namespace consent {
namespace bench {
namespace {

using Clock = std::chrono::steady_clock;

enum class Rpc { kNoop, kEvaluate, kBatch };

struct PhaseResult {
  std::string name;
  int64_t calls = 0;
  int64_t decisions = 0;
  int64_t failed = 0;
  int64_t answers_checked = 0;  // answers decoded and checked
  std::string first_error;
  double seconds = 0;
  double qps = 0;
  double decisions_per_s = 0;
  double p50_us = 0, p90_us = 0, p99_us = 0, p999_us = 0, max_us = 0;
  int versions_seen = 0;
  // CPU microseconds per call over the measured windows (server: -1 when
  // not measured). On a saturated machine QPS follows their sum.
  double client_cpu_us_per_call = 0;
  double server_cpu_us_per_call = -1;
};

// What one measured segment produced.
struct RawRun {
  std::vector<int64_t> latencies_ns;
  int64_t failed = 0;
  int64_t decisions = 0;
  int64_t answers_checked = 0;
  std::string first_error;
  double seconds = 0;
  std::vector<std::string> versions;  // distinct bundle versions that answered
  // CPU seconds used during the measured window: this process (client), and
  // the server when --server_pid is given (< 0: unknown).
  double client_cpu_s = 0;
  double server_cpu_s = -1;
};

// CPU seconds (user + system) this process has used.
double ProcessCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

// CPU seconds (user + system) of process `pid` from /proc (clock-tick
// resolution); < 0 when unreadable.
double OtherProcessCpuSeconds(int pid) {
  if (pid <= 0) return -1;
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the command name, which is in parentheses and may hold
  // spaces: state is field 3, utime 14, stime 15.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::vector<std::string> fields = absl::StrSplit(stat.substr(close + 2), ' ');
  if (fields.size() < 13) return -1;
  const double ticks = std::stod(fields[11]) + std::stod(fields[12]);
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Percentiles and rates over the segments of one phase.
PhaseResult Summarize(absl::string_view name, const std::vector<RawRun>& runs) {
  PhaseResult result;
  result.name = std::string(name);
  std::vector<int64_t> all;
  std::vector<std::string> versions;
  double client_cpu = 0, server_cpu = 0;
  bool server_known = !runs.empty();
  for (const RawRun& r : runs) {
    client_cpu += r.client_cpu_s;
    if (r.server_cpu_s < 0) server_known = false;
    server_cpu += r.server_cpu_s;
    all.insert(all.end(), r.latencies_ns.begin(), r.latencies_ns.end());
    result.failed += r.failed;
    result.decisions += r.decisions;
    result.answers_checked += r.answers_checked;
    result.seconds += r.seconds;
    if (result.first_error.empty()) result.first_error = r.first_error;
    for (const std::string& v : r.versions) {
      if (std::find(versions.begin(), versions.end(), v) == versions.end()) versions.push_back(v);
    }
  }
  std::sort(all.begin(), all.end());
  result.calls = all.size();
  if (result.seconds > 0) {
    result.qps = all.size() / result.seconds;
    result.decisions_per_s = result.decisions / result.seconds;
  }
  auto pct = [&](double p) {
    if (all.empty()) return 0.0;
    return all[std::min(all.size() - 1, static_cast<size_t>(p * all.size()))] / 1e3;
  };
  result.p50_us = pct(0.5);
  result.p90_us = pct(0.9);
  result.p99_us = pct(0.99);
  result.p999_us = pct(0.999);
  result.max_us = all.empty() ? 0 : all.back() / 1e3;
  result.versions_seen = versions.size();
  if (!all.empty()) {
    result.client_cpu_us_per_call = client_cpu * 1e6 / all.size();
    if (server_known) result.server_cpu_us_per_call = server_cpu * 1e6 / all.size();
  }
  return result;
}

// The requests of one phase, typed and serialized (index for index).
struct PhaseRequests {
  const std::vector<v1::EvaluateRequest>* singles = nullptr;
  const std::vector<grpc::ByteBuffer>* raw_singles = nullptr;
  const std::vector<v1::BatchEvaluateRequest>* batches = nullptr;
  const std::vector<grpc::ByteBuffer>* raw_batches = nullptr;
};

// The client's stubs, one of each per channel.
struct Stubs {
  std::vector<std::unique_ptr<v1::PolicyService::Stub>> typed;
  std::vector<std::unique_ptr<grpc::GenericStub>> generic;
};

// One closed-loop phase: `concurrency` slots, each re-issuing its call from
// the completion callback until the deadline. `decode_every` 0: the typed
// client (every answer decoded); else the generic client decoding a sample.
class Phase {
 public:
  Phase(Stubs* stubs, Rpc rpc, const PhaseRequests& requests, int concurrency,
        int64_t decode_every)
      : stubs_(stubs),
        rpc_(rpc),
        kind_(rpc == Rpc::kNoop       ? AnswerKind::kNoop
              : rpc == Rpc::kEvaluate ? AnswerKind::kEvaluate
                                      : AnswerKind::kBatch),
        method_(rpc == Rpc::kNoop       ? kNoopMethod
                : rpc == Rpc::kEvaluate ? kEvaluateMethod
                                        : kBatchEvaluateMethod),
        requests_(requests),
        decode_every_(decode_every) {
    slots_.resize(concurrency);
    for (int i = 0; i < concurrency; ++i) {
      slots_[i].index = i;
      slots_[i].next = static_cast<size_t>(i) * 7919;
      slots_[i].latencies_ns.reserve(1 << 16);
    }
  }

  // Runs the slots closed-loop: `warmup_s` unmeasured, then `duration_s`
  // measured. A Phase runs once.
  RawRun Run(double warmup_s, double duration_s) {
    RawRun raw;
    const Clock::time_point start = Clock::now();
    measure_from_ = start + std::chrono::microseconds(static_cast<int64_t>(warmup_s * 1e6));
    deadline_ = measure_from_ + std::chrono::microseconds(static_cast<int64_t>(duration_s * 1e6));
    outstanding_.store(slots_.size());
    for (Slot& s : slots_) Issue(&s);
    // CPU used over the measured window (warm-up excluded), by the client
    // (this process) and the server (--server_pid).
    std::this_thread::sleep_until(measure_from_);
    const double client0 = ProcessCpuSeconds();
    const double server0 = OtherProcessCpuSeconds(absl::GetFlag(FLAGS_server_pid));
    std::this_thread::sleep_until(deadline_);
    raw.client_cpu_s = ProcessCpuSeconds() - client0;
    const double server1 = OtherProcessCpuSeconds(absl::GetFlag(FLAGS_server_pid));
    raw.server_cpu_s = server0 >= 0 && server1 >= 0 ? server1 - server0 : -1;
    done_.WaitForNotification();
    raw.seconds = std::chrono::duration<double>(deadline_ - measure_from_).count();
    for (Slot& s : slots_) {
      raw.latencies_ns.insert(raw.latencies_ns.end(), s.latencies_ns.begin(),
                              s.latencies_ns.end());
      raw.failed += s.failed;
      raw.decisions += s.decisions;
      raw.answers_checked += s.answers_checked;
      if (raw.first_error.empty()) raw.first_error = s.first_error;
      for (const std::string& v : s.versions) {
        if (std::find(raw.versions.begin(), raw.versions.end(), v) == raw.versions.end()) {
          raw.versions.push_back(v);
        }
      }
    }
    return raw;
  }

 private:
  struct Slot {
    int index = 0;
    size_t next = 0;
    size_t current = 0;  // index of the request in flight
    int64_t answers = 0;  // answers received in this segment (sampling)
    std::unique_ptr<grpc::ClientContext> context;
    v1::EvaluateResponse response;
    v1::BatchEvaluateResponse batch_response;
    grpc::ByteBuffer raw_response;
    Clock::time_point started;
    std::vector<int64_t> latencies_ns;
    int64_t failed = 0;
    int64_t decisions = 0;
    int64_t answers_checked = 0;
    std::string first_error;
    std::vector<std::string> versions;  // distinct bundle versions seen
  };

  void Issue(Slot* s) {
    s->context = std::make_unique<grpc::ClientContext>();
    s->context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    const size_t channel = s->index % stubs_->typed.size();
    const size_t n =
        rpc_ == Rpc::kBatch ? requests_.batches->size() : requests_.singles->size();
    s->current = s->next++ % n;
    s->started = Clock::now();
    auto done = [this, s](grpc::Status status) { Completed(s, status); };
    if (decode_every_ > 0) {
      // Pre-serialized request (a ByteBuffer copy shares its bytes); the
      // answer stays raw bytes.
      const grpc::ByteBuffer* request = rpc_ == Rpc::kBatch
                                            ? &(*requests_.raw_batches)[s->current]
                                            : &(*requests_.raw_singles)[s->current];
      stubs_->generic[channel]->UnaryCall(s->context.get(), method_, grpc::StubOptions(),
                                          request, &s->raw_response, done);
      return;
    }
    v1::PolicyService::Stub* stub = stubs_->typed[channel].get();
    switch (rpc_) {
      case Rpc::kNoop:
        stub->async()->Noop(s->context.get(), &(*requests_.singles)[s->current], &s->response,
                            done);
        break;
      case Rpc::kEvaluate:
        stub->async()->Evaluate(s->context.get(), &(*requests_.singles)[s->current],
                                &s->response, done);
        break;
      case Rpc::kBatch:
        stub->async()->BatchEvaluate(s->context.get(), &(*requests_.batches)[s->current],
                                     &s->batch_response, done);
        break;
    }
  }

  // The verdict on the answer of a call whose status is OK: decoded and
  // checked (typed client; or the generic client's sample), else counted
  // as the decisions asked for.
  AnswerCheck Check(Slot* s) {
    const int items =
        rpc_ == Rpc::kBatch ? (*requests_.batches)[s->current].requests_size() : 1;
    if (decode_every_ == 0) {
      ++s->answers_checked;
      return rpc_ == Rpc::kBatch ? CheckBatchResponse(s->batch_response, items)
                                 : CheckEvaluateResponse(kind_, s->response);
    }
    if (ShouldDecode(s->answers++, decode_every_)) {
      ++s->answers_checked;
      return CheckRawAnswer(kind_, &s->raw_response, items);
    }
    return UncheckedAnswer(kind_, items);
  }

  // Runs on a gRPC thread; never blocks.
  void Completed(Slot* s, const grpc::Status& status) {
    const Clock::time_point now = Clock::now();
    AnswerCheck check;
    if (status.ok()) {
      check = Check(s);
    } else {
      check.ok = false;
      check.error =
          absl::StrCat("rpc status ", status.error_code(), ": ", status.error_message());
    }
    if (!check.bundle_version.empty() &&
        std::find(s->versions.begin(), s->versions.end(), check.bundle_version) ==
            s->versions.end()) {
      s->versions.push_back(check.bundle_version);
    }
    if (s->started >= measure_from_ && now <= deadline_) {
      s->latencies_ns.push_back(
          std::chrono::duration_cast<std::chrono::nanoseconds>(now - s->started).count());
      s->decisions += check.ok ? check.decisions : 0;
      s->failed += !check.ok;
      if (!check.ok && s->first_error.empty()) s->first_error = check.error;
    } else if (!check.ok && now <= deadline_) {
      ++s->failed;  // a failure during warm-up still counts
      if (s->first_error.empty()) s->first_error = check.error;
    }
    if (now < deadline_) {
      Issue(s);
    } else if (outstanding_.fetch_sub(1) == 1) {
      done_.Notify();
    }
  }

  Stubs* stubs_;
  const Rpc rpc_;
  const AnswerKind kind_;
  const std::string method_;
  const PhaseRequests requests_;
  const int64_t decode_every_;
  std::vector<Slot> slots_;
  Clock::time_point measure_from_, deadline_;
  std::atomic<size_t> outstanding_{0};
  absl::Notification done_;
};

bool IsLoopback(absl::string_view target) {
  for (absl::string_view prefix : {"127.", "localhost:", "[::1]:", "ipv4:127.", "ipv6:[::1]"}) {
    if (absl::StartsWith(target, prefix)) return true;
  }
  return false;
}

bool WriteFileAtomically(const std::string& path, const std::string& contents) {
  // The temporary name does not end in .bundle.textproto, so a directory
  // scan never takes it for a bundle; rename() makes the switch atomic.
  const std::string tmp = path + ".tmp-loadgen";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return false;
    out << contents;
    if (!out.good()) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

std::string BundleText(const v1::PolicyBundle& bundle) {
  std::string text;
  google::protobuf::TextFormat::PrintToString(bundle, &text);
  return absl::StrCat("# proto-file: proto/bundle.proto\n# proto-message: consent.v1.PolicyBundle\n"
                      "# Generated by //bench:loadgen (bench/synthetic_tenant.h).\n",
                      text);
}

void Print(const PhaseResult& r) {
  const std::string server_cpu =
      r.server_cpu_us_per_call < 0 ? "-" : absl::StrFormat("%.1fus", r.server_cpu_us_per_call);
  std::printf(
      "%-9s calls=%-8lld qps=%-10.0f decisions/s=%-10.0f p50=%.1fus p90=%.1fus p99=%.1fus "
      "p99.9=%.1fus max=%.1fus failed=%lld checked=%lld cpu/call client=%.1fus server=%s%s%s\n",
      r.name.c_str(), static_cast<long long>(r.calls), r.qps, r.decisions_per_s, r.p50_us,
      r.p90_us, r.p99_us, r.p999_us, r.max_us, static_cast<long long>(r.failed),
      static_cast<long long>(r.answers_checked),
      r.client_cpu_us_per_call, server_cpu.c_str(), r.first_error.empty() ? "" : " first_error=", r.first_error.c_str());
  std::fflush(stdout);
}

std::string Json(const PhaseResult& r) {
  return absl::StrFormat(
      R"({"phase":"%s","calls":%d,"decisions":%d,"failed":%d,"answers_checked":%d,)"
      R"("seconds":%.3f,"qps":%.1f,)"
      R"("decisions_per_s":%.1f,"p50_us":%.2f,"p90_us":%.2f,"p99_us":%.2f,"p999_us":%.2f,)"
      R"("max_us":%.2f,"versions_seen":%d,"client_cpu_us_per_call":%.2f,)"
      R"("server_cpu_us_per_call":%.2f})",
      r.name, r.calls, r.decisions, r.failed, r.answers_checked, r.seconds, r.qps,
      r.decisions_per_s, r.p50_us, r.p90_us, r.p99_us, r.p999_us, r.max_us, r.versions_seen, r.client_cpu_us_per_call,
      r.server_cpu_us_per_call);
}

int Main() {
  absl::StatusOr<TenantSize> size = ParseTenantSize(absl::GetFlag(FLAGS_size));
  if (!size.ok()) {
    std::fprintf(stderr, "--size: %s\n", std::string(size.status().message()).c_str());
    return 2;
  }
  const uint64_t seed = absl::GetFlag(FLAGS_seed);
  const SyntheticTenant tenant = GenerateTenant(*size, seed);

  if (const std::string path = absl::GetFlag(FLAGS_write_bundle); !path.empty()) {
    if (!WriteFileAtomically(path, BundleText(tenant.bundle))) {
      std::fprintf(stderr, "--write_bundle: cannot write \"%s\"\n", path.c_str());
      return 1;
    }
    std::printf("wrote %s bundle (%d apps, %d CA policies) to %s\n",
                std::string(TenantSizeName(*size)).c_str(),
                tenant.bundle.app_registrations_size(),
                tenant.bundle.conditional_access_policies_size(), path.c_str());
    return 0;
  }

  const std::string target = absl::GetFlag(FLAGS_target);
  const int concurrency = absl::GetFlag(FLAGS_concurrency);
  const int channels = absl::GetFlag(FLAGS_channels);
  const double duration = absl::GetFlag(FLAGS_duration_s);
  const double warmup = absl::GetFlag(FLAGS_warmup_s);
  const int batch = absl::GetFlag(FLAGS_batch);
  const int reload_ms = absl::GetFlag(FLAGS_reload_every_ms);
  const std::string bundle_path = absl::GetFlag(FLAGS_bundle_path);
  if (!IsLoopback(target)) {
    std::fprintf(stderr, "--target: \"%s\" is not a loopback address\n", target.c_str());
    return 2;
  }
  if (concurrency < 1 || concurrency > 4096) {
    std::fprintf(stderr, "--concurrency: %d outside 1..4096\n", concurrency);
    return 2;
  }
  if (channels < 1 || channels > 256) {
    std::fprintf(stderr, "--channels: %d outside 1..256\n", channels);
    return 2;
  }
  if (!(duration > 0 && duration <= 600) || !(warmup >= 0 && warmup <= 60)) {
    std::fprintf(stderr, "--duration_s: %g outside (0, 600] or --warmup_s: %g outside [0, 60]\n",
                 duration, warmup);
    return 2;
  }
  if (absl::GetFlag(FLAGS_rounds) < 1 || absl::GetFlag(FLAGS_rounds) > 100) {
    std::fprintf(stderr, "--rounds: %d outside 1..100\n", absl::GetFlag(FLAGS_rounds));
    return 2;
  }
  if (batch < 0 || batch > 100000) {
    std::fprintf(stderr, "--batch: %d outside 0..100000\n", batch);
    return 2;
  }
  const bool decode_answers = absl::GetFlag(FLAGS_decode_answers);
  const int64_t decode_every = absl::GetFlag(FLAGS_decode_every);
  if (decode_every < 1) {
    std::fprintf(stderr, "--decode_every: %lld must be >= 1\n",
                 static_cast<long long>(decode_every));
    return 2;
  }
  if (reload_ms < 0 || (reload_ms > 0 && bundle_path.empty())) {
    std::fprintf(stderr, "--reload_every_ms: %d needs --bundle_path and must be >= 0\n",
                 reload_ms);
    return 2;
  }

  const std::vector<v1::TokenRequest> stream =
      GenerateRequests(tenant, std::max(absl::GetFlag(FLAGS_requests), 1), seed);
  const bool omit_explanation = absl::GetFlag(FLAGS_omit_explanation);
  std::vector<v1::EvaluateRequest> singles(stream.size());
  for (size_t i = 0; i < stream.size(); ++i) {
    *singles[i].mutable_request() = stream[i];
    singles[i].set_omit_explanation(omit_explanation);
  }
  std::vector<v1::BatchEvaluateRequest> batches;
  if (batch > 0) {
    const size_t n = std::max<size_t>(1, stream.size() / batch);
    batches.resize(n);
    for (size_t b = 0; b < n; ++b) {
      batches[b].set_omit_explanation(omit_explanation);
      for (int k = 0; k < batch; ++k) {
        *batches[b].add_requests() = stream[(b * batch + k) % stream.size()];
      }
    }
  }

  Stubs stubs;
  for (int c = 0; c < channels; ++c) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // own connection each
    args.SetInt("grpc.channel_id", c);                   // distinct channel keys
    args.SetMaxReceiveMessageSize(64 << 20);
    args.SetMaxSendMessageSize(64 << 20);
    std::shared_ptr<grpc::Channel> channel =
        grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
    stubs.typed.push_back(v1::PolicyService::NewStub(channel));
    stubs.generic.push_back(std::make_unique<grpc::GenericStub>(channel));
  }

  // Wait until policyd answers an Evaluate with a decision from a bundle.
  {
    const absl::Time give_up = absl::Now() + absl::Seconds(absl::GetFlag(FLAGS_wait_ready_s));
    for (;;) {
      grpc::ClientContext ctx;
      ctx.set_wait_for_ready(true);
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
      v1::EvaluateResponse resp;
      const grpc::Status st = stubs.typed[0]->Evaluate(&ctx, singles[0], &resp);
      if (st.ok() && !resp.bundle_version().empty()) break;
      if (absl::Now() > give_up) {
        std::fprintf(stderr, "policyd at %s not ready: %s\n", target.c_str(),
                     st.ok() ? "no bundle serves the synthetic tenant" : st.error_message().c_str());
        return 1;
      }
      absl::SleepFor(absl::Milliseconds(200));
    }
  }
  // The baseline moves the same message sizes as Evaluate: each Noop
  // request asks for a response as large as Evaluate's answer to it.
  std::vector<v1::EvaluateRequest> noop_singles = singles;
  if (absl::GetFlag(FLAGS_noop_same_size)) {
    for (size_t i = 0; i < singles.size(); ++i) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
      v1::EvaluateResponse resp;
      if (stubs.typed[0]->Evaluate(&ctx, singles[i], &resp).ok()) {
        // Padding is one length-delimited field: tag + length + bytes.
        const int64_t size = static_cast<int64_t>(resp.ByteSizeLong());
        noop_singles[i].set_noop_response_bytes(static_cast<int32_t>(std::max<int64_t>(0, size - 3)));
      }
    }
  }
  // Requests serialized once per stream entry, for the generic client.
  auto serialize_all = [](const auto& messages) {
    std::vector<grpc::ByteBuffer> raw;
    raw.reserve(messages.size());
    for (const auto& m : messages) raw.push_back(SerializeToByteBuffer(m));
    return raw;
  };
  const std::vector<grpc::ByteBuffer> raw_singles = serialize_all(singles);
  const std::vector<grpc::ByteBuffer> raw_noop_singles = serialize_all(noop_singles);
  const std::vector<grpc::ByteBuffer> raw_batches = serialize_all(batches);
  const PhaseRequests requests{&singles, &raw_singles, &batches, &raw_batches};
  const PhaseRequests noop_requests{&noop_singles, &raw_noop_singles, nullptr, nullptr};
  std::printf(
      "target=%s size=%s requests=%zu concurrency=%d channels=%d duration=%gs warmup=%gs%s "
      "client=%s\n",
      target.c_str(), std::string(TenantSizeName(*size)).c_str(), stream.size(), concurrency,
      channels, duration, warmup, omit_explanation ? " omit_explanation" : "",
      decode_answers ? "typed, every answer decoded"
                     : absl::StrCat("generic, raw answers, 1 in ", decode_every,
                                    " (and each slot's first per segment) decoded")
                           .c_str());

  // Phases alternate in --rounds rounds (noop, evaluate, batch, reload, noop,
  // ...), each segment duration/rounds long, so that a burst of load from
  // the shared machine hits every phase alike and the ratios stay fair.
  const int rounds = absl::GetFlag(FLAGS_rounds);
  const double segment = duration / rounds;
  const double segment_warmup = warmup / rounds;
  auto segment_run = [&](Rpc rpc) {
    Phase phase(&stubs, rpc, rpc == Rpc::kNoop ? noop_requests : requests, concurrency,
                decode_answers ? 0 : decode_every);
    return phase.Run(segment_warmup, segment);
  };
  std::vector<RawRun> noop_runs, evaluate_runs, batch_runs, reload_runs;
  bool reload_ok = true;
  int rewrites = 0;
  v1::PolicyBundle reload_bundle = tenant.bundle;
  int reload_serial = 0;
  for (int round = 0; round < rounds; ++round) {
    noop_runs.push_back(segment_run(Rpc::kNoop));
    evaluate_runs.push_back(segment_run(Rpc::kEvaluate));
    if (batch > 0) batch_runs.push_back(segment_run(Rpc::kBatch));
    if (reload_ms > 0) {
      // Rewrites the bundle every reload_ms while this segment runs; each
      // rewrite only changes `version`.
      std::atomic<bool> stop{false};
      std::thread reloader([&] {
        while (!stop.load()) {
          reload_bundle.set_version(
              absl::StrCat(tenant.bundle.version(), "-reload-", ++reload_serial));
          if (!WriteFileAtomically(bundle_path, BundleText(reload_bundle))) {
            std::fprintf(stderr, "reload: cannot write %s\n", bundle_path.c_str());
            reload_ok = false;
            return;
          }
          ++rewrites;
          const absl::Time until = absl::Now() + absl::Milliseconds(reload_ms);
          while (!stop.load() && absl::Now() < until) absl::SleepFor(absl::Milliseconds(5));
        }
      });
      reload_runs.push_back(segment_run(Rpc::kEvaluate));
      stop.store(true);
      reloader.join();
    }
  }
  std::vector<PhaseResult> results;
  results.push_back(Summarize("noop", noop_runs));
  results.push_back(Summarize("evaluate", evaluate_runs));
  const PhaseResult& noop = results[0];
  const PhaseResult& evaluate = results[1];
  Print(noop);
  Print(evaluate);
  std::printf("ratio     evaluate/noop qps=%.3f p50=%.3f p99=%.3f\n", evaluate.qps / noop.qps,
              evaluate.p50_us / noop.p50_us, evaluate.p99_us / noop.p99_us);
  if (noop.server_cpu_us_per_call > 0 && evaluate.server_cpu_us_per_call > 0) {
    // When the processes' CPU per call is their work, QPS goes as its
    // inverse; when they fill their cores while waiting (closed loop on a
    // small machine), this merely tracks the QPS ratio.
    std::printf("ratio     noop/evaluate cpu per call (client+server)=%.3f\n",
                (noop.client_cpu_us_per_call + noop.server_cpu_us_per_call) /
                    (evaluate.client_cpu_us_per_call + evaluate.server_cpu_us_per_call));
  }
  if (batch > 0) {
    results.push_back(Summarize("batch", batch_runs));
    Print(results.back());
  }
  if (reload_ms > 0) {
    results.push_back(Summarize("reload", reload_runs));
    const PhaseResult& reload = results.back();
    Print(reload);
    std::printf("ratio     reload/evaluate p99=%.3f failed=%lld rewrites=%d versions_seen=%d\n",
                reload.p99_us / results[1].p99_us, static_cast<long long>(reload.failed),
                rewrites, reload.versions_seen);
    // Leave the original bundle in place.
    WriteFileAtomically(bundle_path, BundleText(tenant.bundle));
  }

  if (const std::string path = absl::GetFlag(FLAGS_json_out); !path.empty()) {
    std::string json = absl::StrFormat(
        R"({"target":"%s","size":"%s","concurrency":%d,"channels":%d,"batch":%d,)"
        R"("reload_every_ms":%d,"omit_explanation":%s,"decode_answers":%s,"decode_every":%d,)"
        R"("phases":[)",
        target, TenantSizeName(*size), concurrency, channels, batch, reload_ms,
        omit_explanation ? "true" : "false", decode_answers ? "true" : "false",
        decode_answers ? 1 : decode_every);
    for (size_t i = 0; i < results.size(); ++i) {
      absl::StrAppend(&json, i ? "," : "", Json(results[i]));
    }
    absl::StrAppend(&json, "]}\n");
    if (!WriteFileAtomically(path, json)) {
      std::fprintf(stderr, "--json_out: cannot write \"%s\"\n", path.c_str());
      return 1;
    }
  }
  int64_t failed = 0;
  for (const PhaseResult& r : results) failed += r.failed;
  return failed == 0 && reload_ok ? 0 : 3;
}

}  // namespace
}  // namespace bench
}  // namespace consent

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return consent::bench::Main();
}
