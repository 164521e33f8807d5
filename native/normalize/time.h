// Venue timestamps -> integer microseconds since the Unix epoch. No
// allocation, no locale, no libc time functions.
#pragma once

#include <cstdint>
#include <string_view>

#include "decimal.h"

namespace tickwire::norm {

// Largest value a JS number holds exactly: canonical times are JS numbers.
inline constexpr int64_t kMaxSafeInteger = 9007199254740991LL;

// Non-negative integer milliseconds given as digits (a JSON integer token or a
// decimal string) -> µs. False for anything else (sign, fraction, exponent,
// empty, or out of the exactly representable range).
inline bool msDigitsToMicros(std::string_view s, int64_t& us) {
  if (s.empty()) return false;
  while (s.size() > 1 && s[0] == '0') s.remove_prefix(1);
  if (s.size() > 16) return false;
  int64_t v = 0;
  for (char c : s) {
    if (!isDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  if (v > kMaxSafeInteger / 1000) return false;
  us = v * 1000;
  return true;
}

namespace detail {
// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
constexpr int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}
constexpr bool isLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
inline bool digitsAt(std::string_view s, size_t pos, size_t count, int& out) {
  if (pos + count > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < count; ++i) {
    const char c = s[pos + i];
    if (!isDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}
}  // namespace detail

enum class TimeStatus : uint8_t { Ok, BeforeEpoch, Bad };

// RFC 3339 date-time: YYYY-MM-DD'T'hh:mm:ss[.frac]('Z'|±hh:mm). Fraction
// digits beyond µs are truncated. Bad when malformed or out of range (month
// 13, Feb 30, hour 24, second 60 ...); a valid time before the epoch is
// BeforeEpoch (canonical ts null: Coinbase sends 0001-01-01 on real updates).
inline TimeStatus parseRfc3339(std::string_view s, int64_t& us) {
  using detail::digitsAt;
  int year, month, day, hour, minute, second;
  if (s.size() < 20) return TimeStatus::Bad;
  if (!digitsAt(s, 0, 4, year) || s[4] != '-' || !digitsAt(s, 5, 2, month) || s[7] != '-' || !digitsAt(s, 8, 2, day) ||
      s[10] != 'T' || !digitsAt(s, 11, 2, hour) || s[13] != ':' || !digitsAt(s, 14, 2, minute) || s[16] != ':' ||
      !digitsAt(s, 17, 2, second)) {
    return TimeStatus::Bad;
  }
  size_t i = 19;
  int64_t micros = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    size_t digits = 0;
    while (i < s.size() && isDigit(s[i])) {
      if (digits < 6) micros = micros * 10 + (s[i] - '0');
      ++digits;
      ++i;
    }
    if (digits == 0) return TimeStatus::Bad;
    for (size_t k = digits; k < 6; ++k) micros *= 10;
  }
  if (i >= s.size()) return TimeStatus::Bad;
  int64_t offsetSeconds = 0;
  int oh = 0, om = 0;
  bool hasOffset = false;
  if (s[i] == 'Z') {
    ++i;
  } else if (s[i] == '+' || s[i] == '-') {
    const bool neg = s[i] == '-';
    if (!digitsAt(s, i + 1, 2, oh) || i + 3 >= s.size() || s[i + 3] != ':' || !digitsAt(s, i + 4, 2, om)) {
      return TimeStatus::Bad;
    }
    hasOffset = true;
    offsetSeconds = (oh * 3600 + om * 60) * (neg ? -1 : 1);
    i += 6;
  } else {
    return TimeStatus::Bad;
  }
  if (i != s.size()) return TimeStatus::Bad;
  static constexpr uint8_t kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1) return TimeStatus::Bad;
  const int maxDay = kDays[month - 1] + (month == 2 && detail::isLeap(year) ? 1 : 0);
  if (day > maxDay || hour > 23 || minute > 59 || second > 59) return TimeStatus::Bad;
  if (hasOffset && (oh > 23 || om > 59)) return TimeStatus::Bad;
  if (year < 1969) return TimeStatus::BeforeEpoch;
  const int64_t days = detail::daysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offsetSeconds;
  const int64_t value = seconds * 1000000 + micros;
  if (value < 0) return TimeStatus::BeforeEpoch;
  if (value > kMaxSafeInteger) return TimeStatus::Bad;
  us = value;
  return TimeStatus::Ok;
}

}  // namespace tickwire::norm
