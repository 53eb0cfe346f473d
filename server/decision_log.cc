#include "server/decision_log.h"

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/logger.h"

namespace consent {
namespace server {

absl::StatusOr<std::unique_ptr<DecisionLog>> DecisionLog::Open(const std::string& path,
                                                               size_t queue_capacity,
                                                               absl::Duration report) {
  if (path.empty()) return absl::InvalidArgumentError("--decision_log: empty path");
  if (queue_capacity == 0) {
    return absl::InvalidArgumentError("--decision_log_queue=0: must be at least 1");
  }
  std::FILE* file = std::fopen(path.c_str(), "ae");
  if (file == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("--decision_log=\"", path,
                                                   "\": cannot open for appending: ",
                                                   std::strerror(errno)));
  }
  return std::unique_ptr<DecisionLog>(new DecisionLog(path, file, queue_capacity, report));
}

DecisionLog::DecisionLog(std::string path, std::FILE* file, size_t capacity,
                         absl::Duration report)
    : path_(std::move(path)), file_(file), capacity_(capacity), report_interval_(report) {
  writer_ = std::thread([this] { Run(); });
}

DecisionLog::~DecisionLog() { Close(); }

bool DecisionLog::Enqueue(std::string line) {
  absl::MutexLock lock(&mu_);
  if (closing_ || queue_.size() >= capacity_) {
    ++dropped_;
    return false;
  }
  queue_.push_back(std::move(line));
  return true;
}

uint64_t DecisionLog::dropped() const {
  absl::MutexLock lock(&mu_);
  return dropped_;
}

uint64_t DecisionLog::written() const {
  absl::MutexLock lock(&mu_);
  return written_;
}

void DecisionLog::ReportDrops(bool final_report) {
  uint64_t dropped, written;
  {
    absl::MutexLock lock(&mu_);
    dropped = dropped_;
    written = written_;
  }
  if (dropped != reported_dropped_) {
    LogWarning("decision_log: ", dropped - reported_dropped_,
               " entries dropped since the last report (total dropped=", dropped,
               " written=", written, " queue=", capacity_, " file=", path_, ")");
    reported_dropped_ = dropped;
  } else if (final_report) {
    LogInfo("decision_log: closed file=", path_, " written=", written, " dropped=", dropped);
  }
}

void DecisionLog::Run() {
  std::vector<std::string> batch;
  absl::Time next_report = absl::Now() + report_interval_;
  for (;;) {
    bool closing;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return closing_ || (!paused_ && !queue_.empty());
      };
      mu_.AwaitWithTimeout(absl::Condition(&ready), report_interval_);
      if (paused_ && !closing_) continue;
      closing = closing_;
      batch.clear();
      while (!queue_.empty()) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    uint64_t ok = 0, failed = 0;
    for (std::string& line : batch) {
      line += '\n';
      if (std::fwrite(line.data(), 1, line.size(), file_) == line.size()) {
        ++ok;
      } else {
        ++failed;
      }
    }
    if (!batch.empty() && std::fflush(file_) != 0) {
      // Buffered lines may be lost: count the whole batch as dropped.
      failed = batch.size();
      ok = 0;
    }
    if (failed > 0 && !write_error_logged_) {
      LogError("decision_log: write to ", path_, " failed: ", std::strerror(errno),
               " (entries are counted as dropped)");
      write_error_logged_ = true;
    }
    {
      absl::MutexLock lock(&mu_);
      written_ += ok;
      dropped_ += failed;
    }
    if (closing) break;
    if (absl::Now() >= next_report) {
      ReportDrops(false);
      next_report = absl::Now() + report_interval_;
    }
  }
  ReportDrops(true);
}

void DecisionLog::Close() {
  absl::MutexLock close_lock(&close_mu_);
  {
    absl::MutexLock lock(&mu_);
    closing_ = true;
  }
  if (writer_.joinable()) writer_.join();
  if (file_ != nullptr) {
    std::fclose(file_);
    file_ = nullptr;
  }
}

void DecisionLog::PauseWriterForTesting(bool paused) {
  absl::MutexLock lock(&mu_);
  paused_ = paused;
}

std::string JsonQuote(absl::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size() + 2);
  out += '"';
  for (char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
  return out;
}

namespace {

template <typename List>
void AppendList(std::string* out, absl::string_view key, const List& list) {
  absl::StrAppend(out, ",\"", key, "\":[");
  bool first = true;
  for (const auto& item : list) {
    if (!first) *out += ',';
    first = false;
    *out += JsonQuote(item);
  }
  *out += ']';
}

}  // namespace

std::string FormatDecisionLogLine(absl::Time now, absl::string_view rpc, int item,
                                  const v1::TokenRequest& request,
                                  const v1::Decision& decision,
                                  absl::string_view bundle_version,
                                  absl::string_view bundle_hash, absl::Duration latency) {
  std::string out = "{\"time\":";
  out += JsonQuote(absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", now, absl::UTCTimeZone()));
  absl::StrAppend(&out, ",\"rpc\":", JsonQuote(rpc));
  if (item >= 0) absl::StrAppend(&out, ",\"item\":", item);
  absl::StrAppend(&out, ",\"tenant\":", JsonQuote(request.tenant()),
                  ",\"now\":", JsonQuote(request.now()),
                  ",\"grant_type\":", JsonQuote(request.grant_type()),
                  ",\"client_id\":", JsonQuote(request.client_id()),
                  ",\"user_id\":", JsonQuote(request.user().id()),
                  ",\"scope\":", JsonQuote(request.scope()),
                  ",\"outcome\":", JsonQuote(v1::Outcome_Name(decision.outcome())),
                  ",\"error\":", JsonQuote(decision.error()),
                  ",\"error_code\":", decision.error_code(),
                  ",\"suberror\":", JsonQuote(decision.suberror()),
                  ",\"reason\":", JsonQuote(decision.reason()));
  if (decision.has_token()) AppendList(&out, "scp", decision.token().scp());
  AppendList(&out, "blocking_policies", decision.blocking_policies());
  AppendList(&out, "applied_policies", decision.applied_policies());
  absl::StrAppend(&out, ",\"bundle_version\":", JsonQuote(bundle_version),
                  ",\"bundle_hash\":", JsonQuote(bundle_hash),
                  ",\"latency_us\":", absl::ToInt64Microseconds(latency), "}");
  return out;
}

}  // namespace server
}  // namespace consent
