// The direct scan: a venue's hottest messages read straight from the frame
// text in one pass, without the tape of json.h. It is only a shortcut: it
// accepts a strict subset of JSON that covers what venues actually send
// (compact text, no whitespace, no string escapes, no control characters),
// and only frames whose every field is valid. On anything else — whitespace,
// an escape, a missing or repeated field, a value the general path would
// reject, a shape it does not know — the scan gives up and the frame takes
// the general path (validating parse, tape, field lookups) from scratch, so
// each frame's output is the one the general path gives, by construction:
//   - every accepted frame is valid JSON (the scan checks the number grammar,
//     literals and structure, and the whole frame is checked as UTF-8 first);
//   - the fields read are the same ones, with the same conversions;
//   - nothing is emitted until the whole frame has been read.
// Venue code that uses it: venues/binance.cpp, bybit.cpp, okx.cpp and coinbase.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

#if defined(__SSE4_1__) && defined(__SSSE3__)
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "normalize/decimal.h"
#include "normalize/json.h"

namespace tickwire::norm::scan {

// The general path's conversions of number tokens, for the values it would
// accept (false: let the general path decide). `limit` bounds what may be
// read past the token (the end of the frame).
// integerValue / idText / plainDigits: plain digits (at most 15), exact.
inline bool plainToken(std::string_view token, const char* limit, int64_t& out) {
  const size_t n = token.size();
  if (n == 0 || n > 15) return false;
  const char* p = token.data();
  if (n <= 8) {
    const uint64_t w = detail::load8(p, limit);
    if (detail::leadingDigits(w) < n) return false;
    out = static_cast<int64_t>(detail::digitsValue(w, static_cast<unsigned>(n)));
    return true;
  }
  const uint64_t hi = detail::load8(p, limit), lo = detail::load8(p + n - 8, limit);
  if (detail::leadingDigits(hi) < n - 8 || detail::leadingDigits(lo) < 8) return false;
  out = static_cast<int64_t>(detail::digitsValue(hi, static_cast<unsigned>(n - 8)) * 100000000 +
                             detail::digitsValue(lo, 8));
  return true;
}
// For Cursor::tail: a pshufb index that moves the last k of 16 bytes to the
// front and zeros the rest, loaded from kTailShuffle + 16 - k.
alignas(32) inline constexpr unsigned char kTailShuffle[32] = {
    0,    1,    2,    3,    4,    5,    6,    7,    8,    9,    10,   11,   12,   13,   14,   15,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80};

// The bytes of x that end a plain string (Cursor::str and the venues' wide
// string reads): '"', '\\' and control characters, one bit per byte.
#if defined(__AVX2__)
[[gnu::always_inline]] inline uint32_t stringStops(__m256i x) {
  const __m256i low = _mm256_set1_epi8(0x1F);
  const __m256i control = _mm256_cmpeq_epi8(_mm256_max_epu8(x, low), low);
  const __m256i quote = _mm256_cmpeq_epi8(x, _mm256_set1_epi8('"'));
  const __m256i backslash = _mm256_cmpeq_epi8(x, _mm256_set1_epi8('\\'));
  return static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_or_si256(_mm256_or_si256(quote, backslash), control)));
}
#endif
#if defined(__SSE2__)
[[gnu::always_inline]] inline unsigned stringStops(__m128i x) {
  const __m128i low = _mm_set1_epi8(0x1F);
  const __m128i control = _mm_cmpeq_epi8(_mm_max_epu8(x, low), low);
  const __m128i quote = _mm_cmpeq_epi8(x, _mm_set1_epi8('"'));
  const __m128i backslash = _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'));
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control)));
}
#endif

// A book level as levelPairIn reads it: both values as doubles and in fixed point.
struct Level {
  double px, qty;
  Fixed pxFixed, qtyFixed;
};

// A cursor over [p, end) of the frame that starts at `begin`. Every read is
// bounds-checked: the frame sits in the input ring with no padding after it.
struct Cursor {
  const char* p;
  const char* end;
  const char* begin;

  bool atEnd() const { return p == end; }
  bool peek(char c) const { return p < end && *p == c; }
  bool eat(char c) {
    if (p < end && *p == c) {
      ++p;
      return true;
    }
    return false;
  }
  // A literal as (overlapping) loads of 2, 4 or 8 bytes: for most literal
  // lengths GCC would call the library memcmp, several times per frame.
  template <size_t N>
  [[gnu::always_inline]] bool lit(const char (&s)[N]) {
    constexpr size_t n = N - 1;
    static_assert(n >= 2 && n <= 32);
    using Word = std::conditional_t<n >= 8, uint64_t, std::conditional_t<n >= 4, uint32_t, uint16_t>>;
    constexpr size_t w = sizeof(Word);
    if (static_cast<size_t>(end - p) < n) return false;
    Word diff = 0;
    for (size_t i = 0; i < n; i += w) {
      const size_t at = i + w <= n ? i : n - w;
      Word have, want;
      std::memcpy(&have, p + at, w);
      std::memcpy(&want, s + at, w);
      diff |= have ^ want;
    }
    if (diff != 0) return false;
    p += n;
    return true;
  }

  // A string with no escape and no control character; p at the opening quote.
  bool str(std::string_view& out) {
    if (!eat('"')) return false;
    const char* s = p;
#if defined(__SSE2__)
    while (end - p >= 16) {
      const unsigned mask = stringStops(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
      if (mask != 0) {
        p += __builtin_ctz(mask);
        return closeString(s, out);
      }
      p += 16;
    }
#endif
    while (p < end && *p != '"' && *p != '\\' && static_cast<unsigned char>(*p) >= 0x20) ++p;
    return closeString(s, out);
  }

  // A JSON number token (RFC 8259 grammar).
  bool num(std::string_view& out) {
    const char* s = p;
    eat('-');
    if (eat('0')) {
    } else if (!digits()) {
      return false;
    }
    if (eat('.') && !digits()) return false;
    if (p < end && (*p == 'e' || *p == 'E')) {
      ++p;
      if (!eat('+')) eat('-');
      if (!digits()) return false;
    }
    out = std::string_view(s, static_cast<size_t>(p - s));
    return true;
  }

  bool boolean(bool& out) {
    if (lit("true")) {
      out = true;
      return true;
    }
    if (lit("false")) {
      out = false;
      return true;
    }
    return false;
  }

  // `"key":` with a key of no escapes: its text and the first 8 bytes as a word (json.h keyWord).
  bool key(std::string_view& k, uint64_t& word) {
    // Most keys venues send in their hottest messages are one letter: `"x":` in one 4-byte test.
    if (end - p >= 4) {
      uint32_t w;
      std::memcpy(&w, p, 4);
      const auto x = static_cast<unsigned char>(p[1]);
      if ((w & 0xFFFF00FFu) == 0x3A220022u && x >= 0x20 && x != '"' && x != '\\') {
        k = std::string_view(p + 1, 1);
        word = x;
        p += 4;
        return true;
      }
    }
    if (!str(k) || !eat(':')) return false;
    if (end - k.data() >= 8) {
      // Eight readable bytes: the word by one load and a mask rather than byte by byte.
      uint64_t w;
      std::memcpy(&w, k.data(), 8);
      word = k.size() >= 8 ? w : w & ((uint64_t{1} << (8 * k.size())) - 1);
    } else {
      word = keyWord(k);
    }
    return true;
  }

  // The common forms of hot fields, read in one step where the generic
  // str()/num() and a conversion would take several; false (cursor unmoved)
  // means "not this form", not "invalid": the caller then takes the generic way.

  // A plain non-negative integer token: 1 to 15 digits, no leading zero, not
  // followed by a fraction or exponent (ids, millisecond times).
  [[gnu::always_inline]] bool plainInt(std::string_view& token, int64_t& value) {
    if (end - p < 16) return plainIntAtEnd(token, value);
    return plainIntIn(p, token, value);
  }
  // plainInt with the 16 bytes from p at `bytes` (p itself, or a zero-padded copy).
  [[gnu::always_inline]] bool plainIntIn(const char* bytes, std::string_view& token, int64_t& value) {
    uint64_t hi, lo;
    std::memcpy(&hi, bytes, 8);
    std::memcpy(&lo, bytes + 8, 8);
    unsigned n = detail::leadingDigits(hi);
    if (n == 8) n += detail::leadingDigits(lo);
    if (n == 0 || n > 15) return false;
    const char next = bytes[n];
    if ((bytes[0] == '0' && n > 1) || next == '.' || next == 'e' || next == 'E') return false;
    value = static_cast<int64_t>(n <= 8 ? detail::digitsValue(hi, n)
                                        : detail::digitsValue(hi, 8) * detail::kPow10Int[n - 8] +
                                              detail::digitsValue(lo, n - 8));
    token = std::string_view(p, n);
    p += n;
    return true;
  }
  // The last value of a frame ("cts":1786310819052}) has fewer than 16 bytes
  // after it, and nothing past the frame may be read: a zero-padded copy.
  [[gnu::noinline]] bool plainIntAtEnd(std::string_view& token, int64_t& value) {
    alignas(16) char copy[16];
    tail(p, copy);
    return plainIntIn(copy, token, value);
  }
  // The bytes from `from` to the frame's end (fewer than 16), zero-padded to 16.
  [[gnu::always_inline]] void tail(const char* from, char (&copy)[16]) const {
    const auto k = static_cast<size_t>(end - from);
#if defined(__SSSE3__)
    if (end - begin >= 16) {
      // The frame's last 16 bytes, shifted down: no byte-by-byte copy.
      const __m128i last = _mm_loadu_si128(reinterpret_cast<const __m128i*>(end - 16));
      const __m128i index = _mm_loadu_si128(reinterpret_cast<const __m128i*>(kTailShuffle + 16 - k));
      _mm_store_si128(reinterpret_cast<__m128i*>(copy), _mm_shuffle_epi8(last, index));
      return;
    }
#endif
    std::memset(copy, 0, sizeof copy);
    std::memcpy(copy, from, k);
  }

  // Any number token; `plain` when it is a plainToken (below), with its value.
  [[gnu::always_inline]] bool intToken(std::string_view& token, int64_t& value, bool& plain) {
    if (plainInt(token, value)) {
      plain = true;
      return true;
    }
    return intTokenSlow(token, value, plain);
  }
  [[gnu::noinline]] bool intTokenSlow(std::string_view& token, int64_t& value, bool& plain) {
    if (!num(token)) return false;
    plain = plainToken(token, end, value);
    return true;
  }

  // A decimal string of at most 16 characters in decimalParts' form
  // ("16578.50", "100"): value = mantissa / 10^fraction exactly.
  [[gnu::always_inline]] bool quotedDecimal(uint64_t& mantissa, uint32_t& fraction) {
#if defined(__SSE4_1__) && defined(__SSSE3__)
    if (end - p < 17 || *p != '"') return quotedDecimalAtEnd(mantissa, fraction);
    return quotedDecimalIn(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 1)), mantissa, fraction);
#else
    (void)mantissa, (void)fraction;
    return false;
#endif
  }

#if defined(__SSE4_1__) && defined(__SSSE3__)
  // quotedDecimal with the 16 bytes after the opening quote in `raw` (bytes
  // past the frame's end, if any, are zeros: no quote, no digit).
  [[gnu::always_inline]] bool quotedDecimalIn(__m128i raw, uint64_t& mantissa, uint32_t& fraction) {
    const auto quotes = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(raw, _mm_set1_epi8('"'))));
    if (quotes == 0) return false;
    const auto n = static_cast<unsigned>(__builtin_ctz(quotes));
    if (n == 0 || !detail::simdParts(p + 1, raw, n, mantissa, fraction)) return false;
    p += n + 2;
    return true;
  }
  // The last value of a frame (a bookTicker's "A":"2.0"}) has fewer than 16
  // bytes after it, and nothing past the frame may be read: a zero-padded copy.
  [[gnu::noinline]] bool quotedDecimalAtEnd(uint64_t& mantissa, uint32_t& fraction) {
    if (end - p < 2 || *p != '"') return false;
    alignas(16) char copy[16];
    tail(p + 1, copy);
    return quotedDecimalIn(_mm_load_si128(reinterpret_cast<const __m128i*>(copy)), mantissa, fraction);
  }
#endif

  // A price or size string as the general path reads it (parseDecimal Ok, not negative).
  // (The common form inline at every call site, anything else out of line.)
  [[gnu::always_inline]] bool decimalString(double& out) {
    uint64_t m;
    uint32_t frac;
    if (quotedDecimal(m, frac)) {
      out = static_cast<double>(m) / detail::kPow10Double[frac];
      return true;
    }
    return decimalStringSlow(out);
  }
  [[gnu::noinline]] bool decimalStringSlow(double& out) {
    std::string_view text;
    return str(text) && parseDecimal(text, false, out, end) == NumStatus::Ok;
  }

  // A book level's price or size string (parseLevelDecimal Ok).
  [[gnu::always_inline]] bool levelString(double& out, Fixed& fixed) {
    uint64_t m;
    uint32_t frac;
    if (quotedDecimal(m, frac)) {
      levelValue(m, frac, out, fixed);
      return true;
    }
    return levelStringSlow(out, fixed);
  }
  [[gnu::noinline]] bool levelStringSlow(double& out, Fixed& fixed) {
    std::string_view text;
    return str(text) && parseLevelDecimal(text, out, fixed, end) == NumStatus::Ok;
  }

  // Bytes levelPairIn may read: 32 for the quotes, and up to at[37] for the
  // size's digits (its 16-byte load starts at most 21 bytes in).
  static constexpr ptrdiff_t kLevelPairReach = 40;

  // The last level of a frame (Binance's `"a":[…]}`) has fewer than
  // kLevelPairReach bytes after it, and nothing past the frame may be read:
  // a zero-padded copy (a zero is no quote and no digit, so a level found in
  // the copy lies within the frame). Out of line, and the level itself is
  // not passed: the common path keeps it in registers.
  [[gnu::noinline]] const char* paddedTail(const char* from, char (&copy)[kLevelPairReach]) const {
    std::memset(copy, 0, sizeof copy);
    std::memcpy(copy, from, static_cast<size_t>(end - from));
    return copy;
  }
  // A book level `["price","size"]` (venues' most repeated text) in the
  // kLevelPairReach bytes readable from `at`, both decimals in decimalParts'
  // form: the structure found from one 32-byte load, and both numbers
  // converted together, one per 128-bit lane (the byte shuffles and
  // multiply-adds of simdParts work within lanes). The level's length, or 0
  // when it is not in this form (levels() in level_scan.h drives it).
  [[gnu::always_inline]] static unsigned levelPairIn(const char* at, Level& level) {
#if defined(__AVX2__) && defined(__BMI__) && defined(__BMI2__)
    // Two bytes of structure per compare: `["`, `,"` after the price, `"]` at
    // the size's end; the quotes found from one 32-byte load. tzcnt gives 32
    // for no bit, which the length checks reject (a quote at at[32] is
    // checked by the last compare).
    if (bytes2(at) != bytes2("[\"")) return 0;
    const auto quotes = static_cast<uint32_t>(_mm256_movemask_epi8(
        _mm256_cmpeq_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(at)), detail::splat8('"'))));
    const uint32_t afterFirst = quotes & ~3u;
    const unsigned pxEnd = _tzcnt_u32(afterFirst);  // the price's closing quote
    const unsigned pxLength = pxEnd - 2;
    if (pxLength - 1 > 15 || bytes2(at + pxEnd + 1) != bytes2(",\"")) return 0;
    const unsigned qtyEnd = _tzcnt_u32(_blsr_u32(_blsr_u32(afterFirst)));  // the size's closing quote
    const unsigned qtyLength = qtyEnd - pxEnd - 3;
    if (qtyLength - 1 > 15 || bytes2(at + qtyEnd) != bytes2("\"]")) return 0;
    const char* const pxText = at + 2;
    const char* const qtyText = at + pxEnd + 3;  // qtyText + 16 <= at + 37
    const __m256i raw = _mm256_setr_m128i(_mm_loadu_si128(reinterpret_cast<const __m128i*>(pxText)),
                                          _mm_loadu_si128(reinterpret_cast<const __m128i*>(qtyText)));
    detail::DecimalPair pair;
    if (!detail::simdDecimalPair(raw, pxLength, qtyLength, pair)) return 0;
    static_assert(offsetof(Level, qty) == offsetof(Level, px) + sizeof(double));
    _mm_storeu_pd(&level.px, pair.values);  // px, then qty
    level.pxFixed.mantissa = _mm_cvtsi128_si64(pair.mantissas);
    level.pxFixed.exponent = pair.aExponent;
    level.qtyFixed.mantissa = _mm_extract_epi64(pair.mantissas, 1);
    level.qtyFixed.exponent = pair.bExponent;
    return qtyEnd + 2;
#else
    (void)at, (void)level;
    return 0;
#endif
  }
  // Two bytes as one integer (for comparing a pair of structural characters at once).
  static uint16_t bytes2(const char* at) {
    uint16_t w;
    std::memcpy(&w, at, 2);
    return w;
  }

  // Any string, number, true, false or null (containers are not skipped here).
  bool scalar() {
    if (p >= end) return false;
    std::string_view ignored;
    switch (*p) {
      case '"':
        return str(ignored);
      case 't':
        return lit("true");
      case 'f':
        return lit("false");
      case 'n':
        return lit("null");
      default:
        return num(ignored);
    }
  }

 private:
  bool digits() {
    uint64_t ignored = 0;
    return detail::digitRun(p, end, end, ignored) != 0;
  }
  bool closeString(const char* s, std::string_view& out) {
    if (p >= end || *p != '"') return false;  // an escape, a control character, or the end
    out = std::string_view(s, static_cast<size_t>(p - s));
    ++p;
    return true;
  }
};

// `{ member (, member)* }` or `{}`: calls member(key, word) with the cursor on
// the value, which the callback must consume; false from it stops the scan.
template <typename Fn>
bool object(Cursor& c, Fn&& member) {
  if (!c.eat('{')) return false;
  if (c.eat('}')) return true;
  for (;;) {
    std::string_view k;
    uint64_t word;
    if (!c.key(k, word) || !member(k, word)) return false;
    if (c.eat(',')) continue;
    return c.eat('}');
  }
}

// `[ element (, element)* ]` or `[]`: element() consumes one value.
template <typename Fn>
bool array(Cursor& c, Fn&& element) {
  if (!c.eat('[')) return false;
  if (c.eat(']')) return true;
  for (;;) {
    if (!element()) return false;
    if (c.eat(',')) continue;
    return c.eat(']');
  }
}

// Whether s begins with the literal, by Cursor::lit's word compares (GCC
// makes string_view::starts_with a call to the library's compare()).
template <size_t N>
[[gnu::always_inline]] inline bool startsWith(std::string_view s, const char (&prefix)[N]) {
  Cursor c{s.data(), s.data() + s.size(), s.data()};
  return c.lit(prefix);
}

// A key compared to a literal: word and length, then the tail past 8 bytes.
inline bool keyIs(std::string_view k, uint64_t word, std::string_view want) {
  return k.size() == want.size() && word == keyWord(want) &&
         (want.size() <= 8 || std::memcmp(k.data() + 8, want.data() + 8, want.size() - 8) == 0);
}

// msValue: plain digits (at most 15) of milliseconds -> µs.
inline bool msToken(std::string_view token, const char* limit, int64_t& us) {
  int64_t v;
  if (!plainToken(token, limit, v) || v > 9007199254740991LL / 1000) return false;
  us = v * 1000;
  return true;
}
// msToken of a value intToken read: plain and in range.
inline bool msValue(int64_t ms, bool plain, int64_t& us) {
  if (!plain || ms > 9007199254740991LL / 1000) return false;
  us = ms * 1000;
  return true;
}
// A price or size string the general path accepts (parseDecimal Ok, not negative).
inline bool decimal(std::string_view text, const char* limit, double& out) {
  return parseDecimal(text, false, out, limit) == NumStatus::Ok;
}

}  // namespace tickwire::norm::scan
