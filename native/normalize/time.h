// Venue timestamps -> integer microseconds since the Unix epoch. No
// allocation, no locale, no libc time functions.
#pragma once

#include <cstdint>
#include <string_view>

#include "decimal.h"

#if defined(__SSE4_1__) && defined(__SSSE3__)
#include <immintrin.h>
#endif

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

namespace detail {
// The fields of an RFC 3339 date-time as written, before any range check.
struct Rfc3339Fields {
  int year, month, day, hour, minute, second;
  int64_t micros = 0;
  int offsetHours = 0, offsetMinutes = 0;
  int64_t offsetSeconds = 0;
};

inline bool rfc3339FieldsGeneral(std::string_view s, Rfc3339Fields& f) {
  if (s.size() < 20) return false;
  if (!digitsAt(s, 0, 4, f.year) || s[4] != '-' || !digitsAt(s, 5, 2, f.month) || s[7] != '-' ||
      !digitsAt(s, 8, 2, f.day) || s[10] != 'T' || !digitsAt(s, 11, 2, f.hour) || s[13] != ':' ||
      !digitsAt(s, 14, 2, f.minute) || s[16] != ':' || !digitsAt(s, 17, 2, f.second)) {
    return false;
  }
  size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    ++i;
    size_t digits = 0;
    while (i < s.size() && isDigit(s[i])) {
      if (digits < 6) f.micros = f.micros * 10 + (s[i] - '0');
      ++digits;
      ++i;
    }
    if (digits == 0) return false;
    for (size_t k = digits; k < 6; ++k) f.micros *= 10;
  }
  if (i >= s.size()) return false;
  if (s[i] == 'Z') {
    ++i;
  } else if (s[i] == '+' || s[i] == '-') {
    const bool neg = s[i] == '-';
    if (!digitsAt(s, i + 1, 2, f.offsetHours) || i + 3 >= s.size() || s[i + 3] != ':' ||
        !digitsAt(s, i + 4, 2, f.offsetMinutes)) {
      return false;
    }
    f.offsetSeconds = (f.offsetHours * 3600 + f.offsetMinutes * 60) * (neg ? -1 : 1);
    i += 6;
  } else {
    return false;
  }
  return i == s.size();
}

#if defined(__SSE4_1__) && defined(__SSSE3__)
// The form the venues send, `YYYY-MM-DDThh:mm:ss.` then 1..9 digits and `Z`
// (Coinbase trims trailing zeros, Coinbase Advanced and Kraken send 9 and 6),
// from two 16-byte loads inside s: the shape checked by one compare and two
// digit masks, the digits gathered into pairs and converted together. The
// general reader takes every other form (none, or an offset).
[[gnu::always_inline]] inline bool rfc3339FieldsZulu(std::string_view s, Rfc3339Fields& f) {
  const size_t size = s.size();
  if (size < 22 || size > 30 || s[16] != ':' || s[19] != '.' || s[size - 1] != 'Z') return false;
  const auto k = static_cast<int>(size - 21);  // fraction digits, 1..9
  // Head: `YYYY-MM-DDThh:mm`; tail: the last 16 bytes, ending `ss.<fraction>Z`.
  const __m128i head = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data()));
  const __m128i tail = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + size - 16));
  const __m128i zero = _mm_set1_epi8('0'), nine = _mm_set1_epi8(9);
  const __m128i h = _mm_sub_epi8(head, zero), t = _mm_sub_epi8(tail, zero);
  const auto headDigits = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(h, nine), h)));
  const auto tailDigits = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(t, nine), t)));
  const auto headMarks = static_cast<unsigned>(
      _mm_movemask_epi8(_mm_cmpeq_epi8(head, _mm_setr_epi8(0, 0, 0, 0, '-', 0, 0, '-', 0, 0, 'T', 0, 0, ':', 0, 0))));
  // Digits at 0-3, 5-6, 8-9, 11-12, 14-15; the marks at 4, 7, 10, 13.
  if (((headDigits & 0xDB6Fu) | (headMarks & 0x2490u)) != 0xFFFFu) return false;
  // In the tail the fraction is at 15-k..14, ss at 12-k and 13-k.
  const unsigned tailWant = (((1u << k) - 1) << (15 - k)) | (3u << (12 - k));
  if ((tailDigits & tailWant) != tailWant) return false;
  // Pairs: YY YY MM DD hh mm from the head; ss and the fraction's first six
  // digits (zeros past its end, which scales a short fraction to µs) from the tail.
  const __m128i headPairs =
      _mm_maddubs_epi16(_mm_shuffle_epi8(h, _mm_setr_epi8(0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, -1, -1, -1, -1)),
                        _mm_setr_epi8(10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 0, 0, 0, 0));
  const __m128i pos = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m128i from = _mm_sub_epi8(_mm_setr_epi8(12, 13, 15, 16, 17, 18, 19, 20, 0, 0, 0, 0, 0, 0, 0, 0),
                                    _mm_set1_epi8(static_cast<char>(k)));
  // Output byte p >= 2 is fraction digit p - 2: zero once p - 2 >= k, and from byte 8 on.
  const __m128i past =
      _mm_or_si128(_mm_cmpgt_epi8(pos, _mm_set1_epi8(static_cast<char>(k + 1))), _mm_cmpgt_epi8(pos, _mm_set1_epi8(7)));
  const __m128i tailPairs = _mm_maddubs_epi16(_mm_shuffle_epi8(t, _mm_or_si128(from, past)),
                                              _mm_setr_epi8(10, 1, 10, 1, 10, 1, 10, 1, 0, 0, 0, 0, 0, 0, 0, 0));
  const auto a = static_cast<uint64_t>(_mm_cvtsi128_si64(headPairs));
  const auto b = static_cast<uint64_t>(_mm_extract_epi64(headPairs, 1));
  const auto c = static_cast<uint64_t>(_mm_cvtsi128_si64(tailPairs));
  f.year = static_cast<int>((a & 0xFFFF) * 100 + ((a >> 16) & 0xFFFF));
  f.month = static_cast<int>((a >> 32) & 0xFFFF);
  f.day = static_cast<int>(a >> 48);
  f.hour = static_cast<int>(b & 0xFFFF);
  f.minute = static_cast<int>((b >> 16) & 0xFFFF);
  f.second = static_cast<int>(c & 0xFFFF);
  f.micros = static_cast<int64_t>(((c >> 16) & 0xFFFF) * 10000 + ((c >> 32) & 0xFFFF) * 100 + (c >> 48));
  return true;
}
#endif
}  // namespace detail

// RFC 3339 date-time: YYYY-MM-DD'T'hh:mm:ss[.frac]('Z'|±hh:mm). Fraction
// digits beyond µs are truncated. Bad when malformed or out of range (month
// 13, Feb 30, hour 24, second 60 ...); a valid time before the epoch is
// BeforeEpoch (canonical ts null: Coinbase sends 0001-01-01 on real updates).
// `general` skips the fast reader (tests compare the two).
inline TimeStatus parseRfc3339(std::string_view s, int64_t& us, bool general = false) {
  detail::Rfc3339Fields f;
  bool read = false;
#if defined(__SSE4_1__) && defined(__SSSE3__)
  if (!general) read = detail::rfc3339FieldsZulu(s, f);
#endif
  if (!read && !detail::rfc3339FieldsGeneral(s, f)) return TimeStatus::Bad;
  static constexpr uint8_t kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (f.month < 1 || f.month > 12 || f.day < 1) return TimeStatus::Bad;
  const int maxDay = kDays[f.month - 1] + (f.month == 2 && detail::isLeap(f.year) ? 1 : 0);
  if (f.day > maxDay || f.hour > 23 || f.minute > 59 || f.second > 59) return TimeStatus::Bad;
  if (f.offsetHours > 23 || f.offsetMinutes > 59) return TimeStatus::Bad;
  if (f.year < 1969) return TimeStatus::BeforeEpoch;
  const int64_t days = detail::daysFromCivil(f.year, static_cast<unsigned>(f.month), static_cast<unsigned>(f.day));
  const int64_t seconds = days * 86400 + f.hour * 3600 + f.minute * 60 + f.second - f.offsetSeconds;
  const int64_t value = seconds * 1000000 + f.micros;
  if (value < 0) return TimeStatus::BeforeEpoch;
  if (value > kMaxSafeInteger) return TimeStatus::Bad;
  us = value;
  return TimeStatus::Ok;
}

}  // namespace tickwire::norm
