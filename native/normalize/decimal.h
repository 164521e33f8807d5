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

#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <system_error>

#if defined(__SSE4_1__) && defined(__SSSE3__)
#include <immintrin.h>
#endif

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
inline constexpr double kPow10Double[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                            1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// ---- eight digits at a time (SWAR) ----

// The 8 bytes at q, little-endian; bytes at or past `limit` read as 0 (a
// non-digit), so nothing past `limit` is touched.
inline uint64_t load8(const char* q, const char* limit) {
  uint64_t w = 0;
  if (limit - q >= 8) {
    std::memcpy(&w, q, 8);
    return w;
  }
  for (ptrdiff_t i = 0; i < limit - q; ++i) w |= static_cast<uint64_t>(static_cast<uint8_t>(q[i])) << (8 * i);
  return w;
}

// How many of the 8 bytes of w, from the first, are ASCII digits. A byte below
// '0' borrows from (and one above '9' may carry into) the bytes after it only,
// so the first flagged byte is exactly the first non-digit.
inline unsigned leadingDigits(uint64_t w) {
  const uint64_t t = w - 0x3030303030303030ull;
  const uint64_t flagged = (t | (t + 0x0606060606060606ull)) & 0xF0F0F0F0F0F0F0F0ull;
  return flagged == 0 ? 8 : static_cast<unsigned>(__builtin_ctzll(flagged)) >> 3;
}

// The value of the first n (1..8) bytes of w, all digits.
inline uint64_t digitsValue(uint64_t w, unsigned n) {
  uint64_t v = (w & 0x0F0F0F0F0F0F0F0Full) << (8 * (8 - n));  // leading zeros in front
  v = (v * 10 + (v >> 8)) & 0x00FF00FF00FF00FFull;
  v = (v * 100 + (v >> 16)) & 0x0000FFFF0000FFFFull;
  return (v * 10000 + (v >> 32)) & 0xFFFFFFFFull;
}

inline constexpr uint64_t kPow10Int[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};

// Consumes the digits at q (stopping at `end`; bytes up to `limit` >= end may
// be read) into m = m * 10^k + digits. Returns the count k. m wraps past 19
// digits; callers reject those.
inline size_t digitRun(const char*& q, const char* end, const char* limit, uint64_t& m) {
  size_t total = 0;
  for (;;) {
    const uint64_t w = load8(q, limit);
    unsigned k = leadingDigits(w);
    if (static_cast<ptrdiff_t>(k) > end - q) k = static_cast<unsigned>(end - q);
    if (k == 0) return total;
    m = m * kPow10Int[k] + digitsValue(w, k);
    q += k;
    total += k;
    if (k < 8) return total;
  }
}

#if defined(__SSE4_1__) && defined(__SSSE3__)
// decimalParts of the n (1..16) bytes at p, whose first 16 bytes are `raw`:
// at most one non-digit, a '.' with a digit after it; the digits gathered
// right-aligned without the '.' (pshufb) and converted 16 at a time.
[[gnu::always_inline]] inline bool simdParts(const char* p, __m128i raw, unsigned n, uint64_t& mantissa,
                                             uint32_t& fraction) {
  const __m128i t = _mm_sub_epi8(raw, _mm_set1_epi8('0'));
  const unsigned digitBits =
      static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8(9)), t)));
  const unsigned other = ~digitBits & ((1u << n) - 1);
  unsigned dot = 16, count = n;
  if (other != 0) {
    dot = static_cast<unsigned>(__builtin_ctz(other));
    if ((other & (other - 1)) != 0 || p[dot] != '.' || dot + 1 >= n) return false;
    count = n - 1;
  }
  const __m128i index = _mm_sub_epi8(_mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                     _mm_set1_epi8(static_cast<char>(16 - count)));
  const __m128i lead = _mm_cmpgt_epi8(_mm_setzero_si128(), index);  // leading zeros
  const __m128i afterDot = _mm_cmpgt_epi8(index, _mm_set1_epi8(static_cast<char>(dot - 1)));
  const __m128i shuffle = _mm_or_si128(_mm_sub_epi8(index, afterDot), lead);
  const __m128i digits = _mm_shuffle_epi8(t, shuffle);
  const __m128i pairs =
      _mm_maddubs_epi16(digits, _mm_setr_epi8(10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1));
  const __m128i quads = _mm_madd_epi16(pairs, _mm_setr_epi16(100, 1, 100, 1, 100, 1, 100, 1));
  const __m128i packed = _mm_packus_epi32(quads, quads);
  const __m128i eights = _mm_madd_epi16(packed, _mm_setr_epi16(10000, 1, 10000, 1, 10000, 1, 10000, 1));
  const uint64_t m = static_cast<uint64_t>(static_cast<uint32_t>(_mm_cvtsi128_si32(eights))) * 100000000 +
                     static_cast<uint32_t>(_mm_extract_epi32(eights, 1));
  if (m > (uint64_t{1} << 53)) return false;
  mantissa = m;
  fraction = dot == 16 ? 0 : n - 1 - dot;
  return true;
}
#endif

#if defined(__AVX2__) && defined(__BMI__) && defined(__BMI2__)
// simdParts' digit gathering as a table: for n text bytes with a '.' at
// `dot` (dot == n: none), kGather[16 * n + dot] holds the pshufb index that
// takes the digits, right-aligns them and zeros the bytes in front, and the
// number of digits after the '.' as the fixed-point exponent (and 10 to that
// number). simdParts computes these per text with a dozen vector and scalar
// steps; here a pair of texts takes two loads. 273 entries of 32 bytes; a
// venue's prices and sizes use a few of them.
struct alignas(32) Gather {
  std::array<int8_t, 16> index;
  int8_t exponent;  // minus the digits after the '.'
  double pow10;     // 10^-exponent
};
inline constexpr auto kGather = [] {
  std::array<Gather, 16 * 16 + 17> table{};
  for (int n = 0; n <= 16; ++n) {
    for (int dot = 0; dot <= n; ++dot) {
      Gather& g = table[16 * n + dot];        // (n, dot) -> 16n + dot is one-to-one for dot <= n <= 16
      const int count = dot < n ? n - 1 : n;  // digits
      for (int i = 0; i < 16; ++i) {
        const int j = i - (16 - count);  // the digit's rank, negative in front
        g.index[i] = static_cast<int8_t>(j < 0 ? -128 : j >= dot ? j + 1 : j);
      }
      const int fraction = dot < n ? n - 1 - dot : 0;
      g.exponent = static_cast<int8_t>(-fraction);
      g.pow10 = kPow10Double[fraction];
    }
  }
  return table;
}();

// set1 of a byte as one load: for a uniform constant GCC 12 emits mov, vmovd
// and vpbroadcastb (three instructions) at every use in a loop that also
// calls out, where a broadcast from a one-byte constant in memory is one.
[[gnu::always_inline]] inline __m256i splat8(char c) { return _mm256_broadcastb_epi8(_mm_cvtsi32_si128(c)); }

// Where a mantissa of 2^52 or more has a bit, per 64-bit element; 2^52 as a double.
inline constexpr uint64_t kFrom52 = ~((uint64_t{1} << 52) - 1);
alignas(32) inline constexpr uint64_t kFrom52Bits[4] = {kFrom52, kFrom52, kFrom52, kFrom52};
alignas(16) inline constexpr double kTwo52[2] = {0x1p52, 0x1p52};

// Two decimals converted together (simdDecimalPair): each as the double
// nearest to it and in fixed point (value = mantissa * 10^exponent exactly).
struct DecimalPair {
  __m128d values;     // {a, b}
  __m128i mantissas;  // {a, b}, each below 2^52
  int8_t aExponent, bExponent;
};

// simdParts of two texts at once: a (aLength bytes) in the low lane of raw,
// b (bLength bytes) in the high lane, each 1..16 bytes. Mantissas of 2^52 and
// more are declined (the general path takes them): below that a mantissa
// becomes a double exactly in two vector steps, with no scalar round trip.
[[gnu::always_inline]] inline bool simdDecimalPair(__m256i raw, unsigned aLength, unsigned bLength, DecimalPair& out) {
  const __m256i t = _mm256_sub_epi8(raw, splat8('0'));
  // Bit i (a's byte i) and bit 16 + i (b's byte i) of each mask.
  const __m256i digit = _mm256_cmpeq_epi8(_mm256_min_epu8(t, splat8(9)), t);
  const auto digitBits = static_cast<uint32_t>(_mm256_movemask_epi8(digit));
  // A '.' with a digit after it in the same text (the byte shift is per lane
  // and brings in a zero: a '.' as the 16th byte has none).
  const auto dotBits = static_cast<uint32_t>(
      _mm256_movemask_epi8(_mm256_and_si256(_mm256_cmpeq_epi8(raw, splat8('.')), _mm256_bsrli_epi128(digit, 1))));
  // Per text: at most one non-digit, a '.' with a digit after it; both texts
  // checked together where one 32-bit test covers both.
  const uint32_t other = (_bzhi_u32(0xFFFF, aLength) | _bzhi_u32(0xFFFF, bLength) << 16) & ~digitBits;
  const uint32_t aOther = other & 0xFFFF, bOther = other >> 16;
  if (((other & ~dotBits) | _blsr_u32(aOther) | _blsr_u32(bOther)) != 0) return false;
  const Gather& aGather = kGather[16 * aLength + _tzcnt_u32(aOther | 1u << aLength)];
  const Gather& bGather = kGather[16 * bLength + _tzcnt_u32(bOther | 1u << bLength)];
  const __m256i shuffle = _mm256_setr_m128i(_mm_load_si128(reinterpret_cast<const __m128i*>(aGather.index.data())),
                                            _mm_load_si128(reinterpret_cast<const __m128i*>(bGather.index.data())));
  const __m256i digits = _mm256_shuffle_epi8(t, shuffle);
  const __m256i pairs =
      _mm256_maddubs_epi16(digits, _mm256_setr_epi8(10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10,
                                                    1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1));
  const __m256i quads =
      _mm256_madd_epi16(pairs, _mm256_setr_epi16(100, 1, 100, 1, 100, 1, 100, 1, 100, 1, 100, 1, 100, 1, 100, 1));
  const __m256i packed = _mm256_packus_epi32(quads, quads);
  const __m256i eights = _mm256_madd_epi16(
      packed, _mm256_setr_epi16(10000, 1, 10000, 1, 10000, 1, 10000, 1, 10000, 1, 10000, 1, 10000, 1, 10000, 1));
  // Each 64-bit element holds a lane's two 8-digit halves, high first (the
  // pack repeats them): high * 10^8 + low is that lane's mantissa.
  const __m256i mantissas =
      _mm256_add_epi64(_mm256_mul_epu32(eights, _mm256_set1_epi64x(100000000)), _mm256_srli_epi64(eights, 32));
  if (!_mm256_testz_si256(mantissas, _mm256_load_si256(reinterpret_cast<const __m256i*>(kFrom52Bits)))) return false;
  const __m128i both = _mm256_castsi256_si128(_mm256_permute4x64_epi64(mantissas, 0b1000));  // {a, b}
  // m < 2^52 as a double: 2^52 + m has m as its low bits exactly.
  const __m128d two52 = _mm_load_pd(kTwo52);
  const __m128d values = _mm_sub_pd(_mm_or_pd(_mm_castsi128_pd(both), two52), two52);
  out.values = _mm_div_pd(values, _mm_loadh_pd(_mm_load_sd(&aGather.pow10), &bGather.pow10));
  out.mantissas = both;
  out.aExponent = aGather.exponent;
  out.bExponent = bGather.exponent;
  return true;
}
#endif

// Unsigned digits[.digits] or .digits in [p, end) with at most 19 digits and
// mantissa m <= 2^53: the digits as an integer and the count after the '.',
// so the value is m / 10^frac exactly. False leaves the text to the general
// parser (which also decides whether it is valid at all). Bytes up to `limit`
// (>= end) may be read.
inline bool decimalParts(const char* p, const char* end, uint64_t& mantissa, uint32_t& fraction,
                         const char* limit = nullptr) {
  const size_t n = static_cast<size_t>(end - p);
  if (n == 0 || n > 20) return false;  // at most 19 digits plus a '.'
  if (limit == nullptr || limit < end) limit = end;
#if defined(__SSE4_1__) && defined(__SSSE3__)
  if (n <= 16 && limit - p >= 16) {
    return simdParts(p, _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), static_cast<unsigned>(n), mantissa,
                     fraction);
  }
#endif
  uint64_t m = 0;
  const char* q = p;
  const size_t intDigits = digitRun(q, end, limit, m);
  size_t frac = 0;
  if (q != end) {
    if (*q != '.') return false;
    ++q;
    frac = digitRun(q, end, limit, m);
    if (q != end || frac == 0) return false;  // "1.", "." or an exponent/garbage
  }
  if (intDigits + frac > 19 || m > (uint64_t{1} << 53)) return false;
  mantissa = m;
  fraction = static_cast<uint32_t>(frac);
  return true;
}

// The exact fast path (see the top of this file): m and 10^frac are exact
// doubles, so m / 10^frac is one correctly rounded division.
inline bool fastDecimal(const char* p, const char* end, double& out, const char* limit = nullptr) {
  uint64_t m;
  uint32_t frac;
  if (!decimalParts(p, end, m, frac, limit)) return false;
  out = static_cast<double>(m) / kPow10Double[frac];
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
// `limit` (optional, >= the end of s) bounds what the fast path may read past
// the text: text in a padded buffer parses 8 bytes at a time to its end.
// The general conversion: signs, exponents, long mantissas; parseDecimal's fallback.
[[gnu::noinline]] inline NumStatus parseDecimalSlow(std::string_view s, bool allowNegative, double& out,
                                                    const char* limit) {
  bool negative = false;
  std::string_view body = s;
  if (!body.empty() && body[0] == '-') {
    negative = true;
    body.remove_prefix(1);
  }
  double v = 0;
  if (detail::fastDecimal(body.data(), body.data() + body.size(), v, limit)) {  // valid text, exact value
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

inline NumStatus parseDecimal(std::string_view s, bool allowNegative, double& out, const char* limit = nullptr) {
  // Plain unsigned text ("16578.50", "100"), the usual price or size, inline; anything else out of line.
  double v;
  if (detail::fastDecimal(s.data(), s.data() + s.size(), v, limit)) {
    out = v;
    return NumStatus::Ok;
  }
  return parseDecimalSlow(s, allowNegative, out, limit);
}

// Fixed-point form for books: value = mantissa * 10^exponent, exact. Fails
// (Bad) when the significant digits do not fit an int64 or the exponent an int8.
struct Fixed {
  int64_t mantissa = 0;
  int8_t exponent = 0;
};

// A book level's value in decimalParts' form (m / 10^frac exactly): the
// nearest double (one correctly rounded division, as fastDecimal) and the
// fixed point parseFixed gives for the same text (every digit in the
// mantissa, one step of exponent per fraction digit).
[[gnu::always_inline]] inline void levelValue(uint64_t m, uint32_t frac, double& out, Fixed& fixed) {
  out = static_cast<double>(m) / detail::kPow10Double[frac];
  fixed.mantissa = static_cast<int64_t>(m);
  fixed.exponent = static_cast<int8_t>(-static_cast<int32_t>(frac));
}

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

// One level of a book event in fixed point, as the book stage applies it.
struct BookLevel {
  bool bid;
  Fixed px;
  Fixed qty;
};

// A book level's price or size: parseDecimal(s, false, out) and, in the same
// pass for common text, the exact fixed-point form of parseFixed(s, false, …).
// `fixed.exponent` is INT8_MIN when the value has no fixed-point form (the
// book then reports bad_level rather than hold a wrong price).
[[gnu::noinline]] inline NumStatus parseLevelDecimalSlow(std::string_view s, double& out, Fixed& fixed,
                                                         const char* limit) {
  const NumStatus status = parseDecimalSlow(s, false, out, limit);
  if (status == NumStatus::Ok && parseFixed(s, false, fixed) != NumStatus::Ok) fixed.exponent = INT8_MIN;
  return status;
}

inline NumStatus parseLevelDecimal(std::string_view s, double& out, Fixed& fixed, const char* limit = nullptr) {
  uint64_t m;
  uint32_t frac;
  if (detail::decimalParts(s.data(), s.data() + s.size(), m, frac, limit)) {
    levelValue(m, frac, out, fixed);
    return NumStatus::Ok;
  }
  return parseLevelDecimalSlow(s, out, fixed, limit);
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
