#include "server/logger.h"

#include <unistd.h>

#include <cstdio>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace consent {
namespace server {
namespace {

absl::Mutex sink_mu;
std::function<void(absl::string_view)>* sink ABSL_GUARDED_BY(sink_mu) = nullptr;

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarning:
      return "WARN";
    case LogLevel::kError:
      return "ERROR";
  }
  return "ERROR";
}

}  // namespace

std::string OneLine(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      // Trim the indentation that follows (problem lists are indented).
      while (i + 1 < text.size() && text[i + 1] == ' ') ++i;
      if (i + 1 < text.size()) out += "; ";
    } else if (c == '\r' || c == '\t') {
      out += ' ';
    } else if (c < 0x20 || c == 0x7f) {
      absl::StrAppend(&out, "\\x", absl::Hex(c, absl::kZeroPad2));
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

void Log(LogLevel level, absl::string_view message) {
  std::string line = absl::StrCat(
      absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::Now(), absl::UTCTimeZone()), " ",
      LevelName(level), " ", OneLine(message));
  {
    absl::MutexLock lock(&sink_mu);
    if (sink != nullptr) (*sink)(line);
  }
  line += '\n';
  // One write(2) per line: concurrent lines do not interleave.
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(STDERR_FILENO, line.data() + done, line.size() - done);
    if (n <= 0) break;  // stderr gone: logging must never fail the server
    done += static_cast<size_t>(n);
  }
}

void SetLogSinkForTesting(std::function<void(absl::string_view line)> new_sink) {
  absl::MutexLock lock(&sink_mu);
  delete sink;
  sink = new_sink ? new std::function<void(absl::string_view)>(std::move(new_sink)) : nullptr;
}

}  // namespace server
}  // namespace consent
