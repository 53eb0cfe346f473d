#include "engine/internal/time.h"

#include <cstring>


namespace consent {
namespace internal {
namespace {

// Howard Hinnant's days_from_civil.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t yy = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yy + (*m <= 2);
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

bool ValidDate(int y, int m, int d) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return false;
  int max = kDays[m - 1] + (m == 2 && IsLeap(y) ? 1 : 0);
  return d <= max;
}

}  // namespace

namespace {

// A decimal digit's value, or >= 10 (as unsigned) for any other byte.
inline unsigned D(char c) { return static_cast<unsigned>(static_cast<unsigned char>(c)) - '0'; }

// "YYYY-MM-DD" at p (10 bytes, present): days since the epoch.
inline std::optional<int64_t> DateAt(const char* p) {
  const unsigned y0 = D(p[0]), y1 = D(p[1]), y2 = D(p[2]), y3 = D(p[3]);
  const unsigned m0 = D(p[5]), m1 = D(p[6]), d0 = D(p[8]), d1 = D(p[9]);
  if ((y0 > 9) | (y1 > 9) | (y2 > 9) | (y3 > 9) | (m0 > 9) | (m1 > 9) | (d0 > 9) | (d1 > 9) |
      (p[4] != '-') | (p[7] != '-')) {
    return std::nullopt;
  }
  const int y = static_cast<int>(y0 * 1000 + y1 * 100 + y2 * 10 + y3);
  const int m = static_cast<int>(m0 * 10 + m1), d = static_cast<int>(d0 * 10 + d1);
  if (!ValidDate(y, m, d)) return std::nullopt;
  return DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
}

}  // namespace

std::optional<int64_t> ParseDate(absl::string_view s) {
  if (s.size() != 10) return std::nullopt;
  return DateAt(s.data());
}

std::optional<int64_t> ParseRfc3339(absl::string_view s) {
  if (s.size() < 20) return std::nullopt;
  const char* p = s.data();
  // A request's times (now, its authentication methods) mostly fall on the
  // same day, and so do consecutive requests: remember the last valid date
  // this thread converted.
  struct DateMemo {
    uint64_t head = 0;   // bytes 0-7
    uint16_t tail = 0;   // bytes 8-9
    int64_t days = 0;
    bool valid = false;
  };
  thread_local DateMemo memo;
  uint64_t head;
  uint16_t tail;
  std::memcpy(&head, p, 8);
  std::memcpy(&tail, p + 8, 2);
  std::optional<int64_t> days;
  if (memo.valid && memo.head == head && memo.tail == tail) {
    days = memo.days;
  } else {
    days = DateAt(p);
    if (!days) return std::nullopt;
    memo = DateMemo{head, tail, *days, true};
  }
  const unsigned h0 = D(p[11]), h1 = D(p[12]), i0 = D(p[14]), i1 = D(p[15]);
  const unsigned s0 = D(p[17]), s1 = D(p[18]);
  if ((p[10] != 'T') & (p[10] != 't') & (p[10] != ' ')) return std::nullopt;
  if ((h0 > 9) | (h1 > 9) | (i0 > 9) | (i1 > 9) | (s0 > 9) | (s1 > 9) | (p[13] != ':') |
      (p[16] != ':')) {
    return std::nullopt;
  }
  const int hh = static_cast<int>(h0 * 10 + h1), mm = static_cast<int>(i0 * 10 + i1);
  const int ss = static_cast<int>(s0 * 10 + s1);
  if (hh > 23 || mm > 59 || ss > 60) return std::nullopt;
  size_t pos = 19;
  if (s[pos] == '.') {
    ++pos;
    const size_t start = pos;
    while (pos < s.size() && D(s[pos]) <= 9) ++pos;
    if (pos == start || pos - start > 9) return std::nullopt;
  }
  int64_t offset = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    if (pos + 6 > s.size()) return std::nullopt;
    const unsigned a = D(s[pos + 1]), b = D(s[pos + 2]), c = D(s[pos + 4]), e = D(s[pos + 5]);
    if ((a > 9) | (b > 9) | (c > 9) | (e > 9) | (s[pos + 3] != ':')) return std::nullopt;
    const int oh = static_cast<int>(a * 10 + b), om = static_cast<int>(c * 10 + e);
    if (oh > 23 || om > 59) return std::nullopt;
    offset = (oh * 3600 + om * 60) * (s[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  return *days * 86400 + hh * 3600 + mm * 60 + ss - offset;
}

void FormatRfc3339(int64_t t, std::string* out) {
  int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
  int64_t rem = t - days * 86400;
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  // By hand: snprintf is a measurable share of an evaluation (T7).
  char buf[24];
  auto put = [&buf](int pos, int64_t v, int width) {
    for (int i = width - 1; i >= 0; --i) {
      buf[pos + i] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
  };
  if (y < 0 || y > 9999) y = y < 0 ? 0 : 9999;
  put(0, y, 4);
  buf[4] = '-';
  put(5, m, 2);
  buf[7] = '-';
  put(8, d, 2);
  buf[10] = 'T';
  put(11, rem / 3600, 2);
  buf[13] = ':';
  put(14, rem % 3600 / 60, 2);
  buf[16] = ':';
  put(17, rem % 60, 2);
  buf[19] = 'Z';
  out->assign(buf, 20);
}

}  // namespace internal
}  // namespace consent
