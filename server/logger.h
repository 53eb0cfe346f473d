// A tiny line logger for policyd (Abseil 20220623 has no logging library).
//
// One line per event, "<RFC 3339 UTC, microseconds> <LEVEL> <message>\n",
// written to stderr with a single write so lines from different threads never
// interleave. Messages should be single-line: newlines are replaced by "; ".
//
//   LogInfo("loaded tenant=", tenant, " version=", version);
//
// Thread-safe. Tests may redirect lines with SetLogSinkForTesting.
#ifndef CONSENT_SERVER_LOGGER_H_
#define CONSENT_SERVER_LOGGER_H_

#include <functional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace consent {
namespace server {

enum class LogLevel { kInfo, kWarning, kError };

void Log(LogLevel level, absl::string_view message);

template <typename... Args>
void LogInfo(const Args&... args) {
  Log(LogLevel::kInfo, absl::StrCat(args...));
}
template <typename... Args>
void LogWarning(const Args&... args) {
  Log(LogLevel::kWarning, absl::StrCat(args...));
}
template <typename... Args>
void LogError(const Args&... args) {
  Log(LogLevel::kError, absl::StrCat(args...));
}

// Every formatted line (without its trailing newline) goes to `sink` as well
// as stderr; nullptr removes the sink.
void SetLogSinkForTesting(std::function<void(absl::string_view line)> sink);

// "<line>" with control characters made visible and newlines as "; ".
std::string OneLine(absl::string_view text);

}  // namespace server
}  // namespace consent

#endif  // CONSENT_SERVER_LOGGER_H_
