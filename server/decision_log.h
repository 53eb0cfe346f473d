// The optional decision log: one JSON object per line, appended to a file by
// a writer thread fed through a bounded in-memory queue.
//
// Enqueue never waits on I/O and never fails a decision: when the queue is
// full the entry is dropped and counted. Drops and write errors are reported
// in the server log (at most one line per report interval, and at Close) and
// through dropped().
//
//   absl::StatusOr<std::unique_ptr<DecisionLog>> log =
//       DecisionLog::Open("/var/log/policyd/decisions.jsonl", 65536);
//   (*log)->Enqueue(FormatDecisionLogLine(...));
//
// Thread-safe.
#ifndef CONSENT_SERVER_DECISION_LOG_H_
#define CONSENT_SERVER_DECISION_LOG_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "proto/decision.pb.h"
#include "proto/request.pb.h"

namespace consent {
namespace server {

class DecisionLog {
 public:
  // Opens `path` for appending and starts the writer. `queue_capacity`
  // (entries, >= 1) bounds the memory held by unwritten lines.
  static absl::StatusOr<std::unique_ptr<DecisionLog>> Open(
      const std::string& path, size_t queue_capacity,
      absl::Duration report_interval = absl::Seconds(10));

  ~DecisionLog();  // Close()
  DecisionLog(const DecisionLog&) = delete;
  DecisionLog& operator=(const DecisionLog&) = delete;

  // Queues one line (without its newline). Returns false, counting a drop,
  // when the queue is full or the log is closed.
  bool Enqueue(std::string line);

  // Writes what is queued, stops the writer and closes the file; reports the
  // final counts. Idempotent.
  void Close();

  // Test hook: while paused the writer leaves the queue alone (so a test can
  // fill it deterministically). Close() drains regardless.
  void PauseWriterForTesting(bool paused);

  uint64_t dropped() const;   // queue full, closed, or write error
  uint64_t written() const;   // lines written
  const std::string& path() const { return path_; }

 private:
  DecisionLog(std::string path, std::FILE* file, size_t capacity, absl::Duration report);
  void Run();
  void ReportDrops(bool final_report);

  const std::string path_;
  std::FILE* file_;
  const size_t capacity_;
  const absl::Duration report_interval_;

  mutable absl::Mutex mu_;
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  bool paused_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t written_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t reported_dropped_ = 0;  // writer thread only
  bool write_error_logged_ = false;  // writer thread only
  absl::Mutex close_mu_;
  std::thread writer_;
};

// One decision as a JSON object (no newline): time, rpc, batch item index
// (-1 outside a batch), request facts (tenant, client, grant type, user id,
// scope) and the decision's outcome, error, codes, policies, bundle version
// and hash, and the latency. Never includes secrets: requests carry none.
std::string FormatDecisionLogLine(absl::Time now, absl::string_view rpc, int item,
                                  const v1::TokenRequest& request,
                                  const v1::Decision& decision,
                                  absl::string_view bundle_version,
                                  absl::string_view bundle_hash,
                                  absl::Duration latency);

// `text` as a JSON string literal, quotes included (RFC 8259 minimal
// escaping, invalid UTF-8 bytes passed through).
std::string JsonQuote(absl::string_view text);

}  // namespace server
}  // namespace consent

#endif  // CONSENT_SERVER_DECISION_LOG_H_
