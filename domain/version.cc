#include "syncd/domain/version.h"

#include <cstddef>
#include <cstdio>

namespace syncd::domain {
namespace {

constexpr int64_t kMsPerSecond = 1000;
constexpr int64_t kMsPerDay = 86400 * kMsPerSecond;

bool IsLeapYear(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int64_t year, int month) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return (month == 2 && IsLeapYear(year)) ? 29 : kDays[month - 1];
}

// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, int* m, int* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2 ? 1 : 0);
}

// A cursor over the text; every Read* either consumes exactly what it
// promises or returns false.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}

  bool AtEnd() const { return pos_ == text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  void Advance() { ++pos_; }

  bool Consume(char c) {
    if (AtEnd() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }

  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }

  // Exactly `count` digits.
  bool ReadDigits(int count, int* out) {
    int value = 0;
    for (int i = 0; i < count; ++i) {
      if (AtEnd() || !IsDigit(text_[pos_])) return false;
      value = value * 10 + (text_[pos_] - '0');
      ++pos_;
    }
    *out = value;
    return true;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

// Reads an optional zone designator; *offset_minutes is east of UTC.
bool ReadZone(Cursor* c, int* offset_minutes) {
  *offset_minutes = 0;
  if (c->AtEnd()) return true;
  const char ch = c->Peek();
  if (ch == 'Z' || ch == 'z') {
    c->Advance();
    return true;
  }
  if (ch != '+' && ch != '-') return false;
  c->Advance();
  int hours = 0;
  int minutes = 0;
  if (!c->ReadDigits(2, &hours)) return false;
  if (!c->AtEnd()) {
    c->Consume(':');
    if (!c->ReadDigits(2, &minutes)) return false;
  }
  if (hours > 23 || minutes > 59) return false;
  *offset_minutes = (hours * 60 + minutes) * (ch == '-' ? -1 : 1);
  return true;
}

}  // namespace

std::optional<int64_t> ParseIso8601Ms(std::string_view text) {
  Cursor c(text);
  int year = 0;
  int month = 0;
  int day = 0;
  if (!c.ReadDigits(4, &year) || !c.Consume('-') || !c.ReadDigits(2, &month) || !c.Consume('-') ||
      !c.ReadDigits(2, &day)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) return std::nullopt;

  int hour = 0;
  int minute = 0;
  int second = 0;
  int millis = 0;
  int offset_minutes = 0;
  if (!c.AtEnd()) {
    const char sep = c.Peek();
    if (sep != 'T' && sep != 't' && sep != ' ') return std::nullopt;
    c.Advance();
    if (!c.ReadDigits(2, &hour) || !c.Consume(':') || !c.ReadDigits(2, &minute)) {
      return std::nullopt;
    }
    if (c.Consume(':')) {
      if (!c.ReadDigits(2, &second)) return std::nullopt;
      if (c.Consume('.')) {
        // Any number of digits, at least one; only milliseconds are kept (truncated).
        int digits = 0;
        while (!c.AtEnd() && Cursor::IsDigit(c.Peek())) {
          if (digits < 3) millis = millis * 10 + (c.Peek() - '0');
          ++digits;
          c.Advance();
        }
        if (digits == 0) return std::nullopt;
        for (int i = digits; i < 3; ++i) millis *= 10;
      }
    }
    if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
    if (!ReadZone(&c, &offset_minutes)) return std::nullopt;
  }
  if (!c.AtEnd()) return std::nullopt;

  const int64_t days = DaysFromCivil(year, month, day);
  const int64_t local_seconds = days * 86400 + int64_t{hour} * 3600 + int64_t{minute} * 60 + second;
  const int64_t utc_seconds = local_seconds - static_cast<int64_t>(offset_minutes) * 60;
  return utc_seconds * kMsPerSecond + millis;
}

std::string FormatIso8601Ms(int64_t epoch_ms) {
  // Floor division, so times before 1970 still get a millisecond part in 0..999.
  int64_t days = epoch_ms / kMsPerDay;
  int64_t ms_of_day = epoch_ms % kMsPerDay;
  if (ms_of_day < 0) {
    ms_of_day += kMsPerDay;
    days -= 1;
  }
  int64_t year = 0;
  int month = 0;
  int day = 0;
  CivilFromDays(days, &year, &month, &day);
  const int64_t seconds_of_day = ms_of_day / kMsPerSecond;
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ",
                static_cast<long long>(year), month, day, static_cast<int>(seconds_of_day / 3600),
                static_cast<int>(seconds_of_day / 60 % 60), static_cast<int>(seconds_of_day % 60),
                static_cast<int>(ms_of_day % kMsPerSecond));
  return std::string(buf);
}

}  // namespace syncd::domain
