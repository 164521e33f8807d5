// Decimal text -> number, for prices, sizes and rates. The grammar is the one
// docs/events.md fixes for both engines; the value is the double nearest to
// the decimal (correctly rounded, exactly what JS `Number(text)` gives), via
// std::from_chars (fast_float in libstdc++: no allocation, no locale).
// Common venue text ("0.00002246", "16578.50", "100") takes the exact fast
// path detail::fastDecimal first: at most 19 digits and one '.', no exponent,
// an integer mantissa m <= 2^53 and k <= 22 fraction digits, so m and 10^k
// are exact doubles and m / 10^k is one correctly rounded division (Clinger's
// fast path) - the same double from_chars gives. Anything else falls back.
#pragma once

#include <charconv>
#include <cstdint>
#include <string_view>
#include <system_error>

namespace tickwire::norm {

enum class NumStatus : uint8_t { Ok, Bad, Negative };

inline constexpr bool isDigit(char c) { return c >= '0' && c <= '9'; }

// (digits+ ('.' digits+)? | '.' digits+) ([eE] [+-]? digits+)?: unsigned
// decimal text, and nothing else (no sign, whitespace, "Infinity", "NaN",
// hex, "1,5", "1." or ""). The TS reference uses the same grammar.
inline bool isUnsignedDecimal(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  size_t intDigits = 0;
  while (i < n && isDigit(s[i])) ++i, ++intDigits;
  if (i < n && s[i] == '.') {
    ++i;
    size_t fracDigits = 0;
    while (i < n && isDigit(s[i])) ++i, ++fracDigits;
    if (fracDigits == 0) return false;
  } else if (intDigits == 0) {
    return false;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    size_t expDigits = 0;
    while (i < n && isDigit(s[i])) ++i, ++expDigits;
    if (expDigits == 0) return false;
  }
  return i == n;
}

// The strict JSON number grammar (RFC 8259), used to validate number tokens.
inline bool isJsonNumber(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  if (i < n && s[i] == '-') ++i;
  if (i >= n) return false;
  if (s[i] == '0') {
    ++i;
  } else if (isDigit(s[i])) {
    while (i < n && isDigit(s[i])) ++i;
  } else {
    return false;
  }
  if (i < n && s[i] == '.') {
    ++i;
    if (i >= n || !isDigit(s[i])) return false;
    while (i < n && isDigit(s[i])) ++i;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (i >= n || !isDigit(s[i])) return false;
    while (i < n && isDigit(s[i])) ++i;
  }
  return i == n;
}

namespace detail {
// Unsigned digits[.digits] or .digits in [p, end) -> exact double, when the
// fast path applies (see the top of this file); false leaves the text to the
// general parser (which also decides whether it is valid at all).
inline bool fastDecimal(const char* p, const char* end, double& out) {
  static constexpr double kPow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  const size_t n = static_cast<size_t>(end - p);
  if (n == 0 || n > 20) return false;  // at most 19 digits plus a '.'
  uint64_t m = 0;
  size_t i = 0;
  while (i < n && isDigit(p[i])) m = m * 10 + static_cast<uint64_t>(p[i++] - '0');
  size_t frac = 0;
  if (i < n) {
    if (p[i] != '.') return false;
    const size_t dot = i++;
    while (i < n && isDigit(p[i])) m = m * 10 + static_cast<uint64_t>(p[i++] - '0');
    frac = i - dot - 1;
    if (i != n || frac == 0 || n == 1) return false;  // "1.", "." or an exponent/garbage
  }
  if (n - (frac != 0 ? 1 : 0) > 19 || m > (uint64_t{1} << 53) || frac > 22) return false;
  out = static_cast<double>(m) / kPow10[frac];
  return true;
}

// Decimal exponent of the leading significant digit (e.g. "0.05" -> -2,
// "123" -> 2); only used to tell overflow from underflow on ERANGE.
inline int64_t leadingExponent(std::string_view s) {
  int64_t pos = 0;  // digits before '.' seen so far
  int64_t lead = INT64_MIN;
  bool afterDot = false;
  size_t i = 0;
  int64_t fracIndex = 0;
  for (; i < s.size() && s[i] != 'e' && s[i] != 'E'; ++i) {
    if (s[i] == '.') {
      afterDot = true;
      continue;
    }
    if (!afterDot) {
      if (lead == INT64_MIN && s[i] != '0') lead = pos;
      ++pos;
    } else {
      ++fracIndex;
      if (lead == INT64_MIN && s[i] != '0') lead = -fracIndex;
    }
  }
  if (lead == INT64_MIN) return INT64_MIN;  // zero
  int64_t intDigitsAfterLead = lead >= 0 ? pos - lead - 1 : lead;
  int64_t exp = 0;
  if (i < s.size()) {
    ++i;
    bool neg = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    for (; i < s.size(); ++i) {
      if (exp < 100000000) exp = exp * 10 + (s[i] - '0');
    }
    if (neg) exp = -exp;
  }
  return intDigitsAfterLead + exp;
}
}  // namespace detail

// Parses a price, size or rate. `allowNegative` admits one leading '-' (funding
// rates); otherwise a leading '-' on valid decimal text is `Negative`.
inline NumStatus parseDecimal(std::string_view s, bool allowNegative, double& out) {
  bool negative = false;
  std::string_view body = s;
  if (!body.empty() && body[0] == '-') {
    negative = true;
    body.remove_prefix(1);
  }
  double v = 0;
  if (detail::fastDecimal(body.data(), body.data() + body.size(), v)) {  // valid text, exact value
    if (negative && !allowNegative) return NumStatus::Negative;
    out = negative ? -v : v;
    return NumStatus::Ok;
  }
  if (!isUnsignedDecimal(body)) return NumStatus::Bad;
  if (negative && !allowNegative) return NumStatus::Negative;
  const auto r = std::from_chars(body.data(), body.data() + body.size(), v, std::chars_format::general);
  if (r.ptr != body.data() + body.size()) return NumStatus::Bad;
  if (r.ec == std::errc::result_out_of_range) {
    // Underflow rounds to zero as in JS; overflow would be Infinity: not a number we accept.
    if (detail::leadingExponent(body) >= 0) return NumStatus::Bad;
    v = 0;
  } else if (r.ec != std::errc()) {
    return NumStatus::Bad;
  }
  out = negative ? -v : v;
  return NumStatus::Ok;
}

// Fixed-point form for books: value = mantissa * 10^exponent, exact. Fails
// (Bad) when the significant digits do not fit an int64 or the exponent an int8.
struct Fixed {
  int64_t mantissa = 0;
  int8_t exponent = 0;
};

inline NumStatus parseFixed(std::string_view s, bool allowNegative, Fixed& out) {
  bool negative = false;
  std::string_view body = s;
  if (!body.empty() && body[0] == '-') {
    negative = true;
    body.remove_prefix(1);
  }
  if (!isUnsignedDecimal(body)) return NumStatus::Bad;
  if (negative && !allowNegative) return NumStatus::Negative;
  uint64_t mant = 0;
  int64_t exp = 0;
  bool afterDot = false;
  size_t i = 0;
  for (; i < body.size() && body[i] != 'e' && body[i] != 'E'; ++i) {
    const char c = body[i];
    if (c == '.') {
      afterDot = true;
      continue;
    }
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (mant > (static_cast<uint64_t>(INT64_MAX) - d) / 10) return NumStatus::Bad;
    mant = mant * 10 + d;
    if (afterDot) --exp;
  }
  if (i < body.size()) {
    ++i;
    bool neg = false;
    if (body[i] == '+' || body[i] == '-') neg = body[i++] == '-';
    int64_t e = 0;
    for (; i < body.size(); ++i) {
      e = e * 10 + (body[i] - '0');
      if (e > 1000) return NumStatus::Bad;
    }
    exp += neg ? -e : e;
  }
  if (exp < INT8_MIN || exp > INT8_MAX) return NumStatus::Bad;
  out.mantissa = negative ? -static_cast<int64_t>(mant) : static_cast<int64_t>(mant);
  out.exponent = static_cast<int8_t>(exp);
  return NumStatus::Ok;
}

// Optionally signed JSON integer token -> int64 (sequence numbers, checksums).
inline bool parseInt64(std::string_view s, int64_t& out) {
  bool negative = false;
  if (!s.empty() && s[0] == '-') {
    negative = true;
    s.remove_prefix(1);
  }
  if (s.empty() || s.size() > 19) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (!isDigit(c)) return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > static_cast<uint64_t>(INT64_MAX)) return false;
  out = negative ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
  return true;
}

}  // namespace tickwire::norm
