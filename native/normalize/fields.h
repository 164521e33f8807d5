// Field access for the venue functions, on the parsed tape of json.h (the
// document is already fully validated when a venue function runs), following
// the reject order of docs/events.md:
//   structural problems (missing_field, wrong_type) end the frame at once;
//   value problems (bad_number, negative_value, bad_timestamp) are noted on
//   the Normalizer (first one wins) and reported when the frame is done, so a
//   structural problem later in the frame outranks them.
// Venue code reads fields in the documented order, one helper call per field;
// a lookup scans the object's members (objects are small) and never fails
// for any reason but absence. A JSON null counts as a value of the wrong type.
#pragma once

#include <charconv>
#include <cmath>
#include <cstring>
#include <string_view>
#include <vector>

#include "normalize/decimal.h"
#include "normalize/json.h"
#include "normalize/normalizer.h"
#include "normalize/time.h"

namespace tickwire::norm {

// Text on the tape lies in the normalizer's frame copy, followed by at least
// 64 bytes of padding: number parsing may read 8 bytes past its end.
inline const char* paddedEnd(std::string_view text) { return text.data() + text.size() + 8; }

[[gnu::always_inline]] inline Verdict lookup(JVal o, std::string_view key, JVal& out) {
  out = member(o, key);
  return out != nullptr ? Verdict::Ok : Verdict::MissingField;
}

[[gnu::always_inline]] inline bool has(JVal o, std::string_view key) { return member(o, key) != nullptr; }

// ---- structural checks on a value ----

inline Verdict asString(JVal v, std::string_view& out) {
  if (v->type != JType::String) return Verdict::WrongType;
  out = v->str();
  return Verdict::Ok;
}

inline Verdict asNumberToken(JVal v, std::string_view& out) {
  if (v->type != JType::Number) return Verdict::WrongType;
  out = v->str();
  return Verdict::Ok;
}

inline Verdict asBool(JVal v, bool& out) {
  if (v->type != JType::True && v->type != JType::False) return Verdict::WrongType;
  out = v->type == JType::True;
  return Verdict::Ok;
}

inline Verdict asObject(JVal v, JVal& out) {
  if (v->type != JType::Object) return Verdict::WrongType;
  out = v;
  return Verdict::Ok;
}

inline Verdict asArray(JVal v, JVal& out) {
  if (v->type != JType::Array) return Verdict::WrongType;
  out = v;
  return Verdict::Ok;
}

#define TW_FIELD_GETTERS(Name, Type)                                                 \
  inline Verdict get##Name(JVal o, std::string_view key, Type& out) {                \
    JVal v;                                                                          \
    TW_TRY(lookup(o, key, v));                                                       \
    return as##Name(v, out);                                                         \
  }                                                                                  \
  inline Verdict opt##Name(JVal o, std::string_view key, Type& out, bool& present) { \
    const JVal v = member(o, key);                                                   \
    present = v != nullptr;                                                          \
    if (!present) return Verdict::Ok;                                                \
    return as##Name(v, out);                                                         \
  }

TW_FIELD_GETTERS(String, std::string_view)
TW_FIELD_GETTERS(NumberToken, std::string_view)
TW_FIELD_GETTERS(Bool, bool)
TW_FIELD_GETTERS(Object, JVal)
TW_FIELD_GETTERS(Array, JVal)
#undef TW_FIELD_GETTERS

// ---- value conversions (value errors are noted, not returned) ----

inline Verdict fromNum(NumStatus s) {
  switch (s) {
    case NumStatus::Ok:
      return Verdict::Ok;
    case NumStatus::Negative:
      return Verdict::NegativeValue;
    case NumStatus::Bad:
      break;
  }
  return Verdict::BadNumber;
}

// The double a JSON number token denotes (what JSON.parse gives). Tokens come
// from the validating parser, so they follow the JSON number grammar.
inline bool tokenDouble(std::string_view token, double& out) {
  const bool negative = token[0] == '-';
  double v;
  if (detail::fastDecimal(token.data() + (negative ? 1 : 0), token.data() + token.size(), v, paddedEnd(token))) {
    out = negative ? -v : v;
    return true;
  }
  const auto r = std::from_chars(token.data(), token.data() + token.size(), out, std::chars_format::general);
  if (r.ec == std::errc::result_out_of_range) {
    std::string_view body = negative ? token.substr(1) : token;
    if (detail::leadingExponent(body) >= 0) return false;  // +-Infinity
    out = negative ? -0.0 : 0.0;
    return true;
  }
  return r.ec == std::errc() && r.ptr == token.data() + token.size();
}

// A number token of plain digits (no sign, fraction or exponent; JSON allows
// no leading zeros) of at most 15 digits: its exact value, else false.
inline bool plainDigits(std::string_view token, int64_t& out) {
  if (token.empty() || token.size() > 15) return false;
  int64_t v = 0;
  for (char c : token) {
    if (!isDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

// Price or size from a string value: non-negative decimal text.
inline Verdict qtyValue(Normalizer& n, JVal v, double& out) {
  std::string_view text;
  TW_TRY(asString(v, text));
  n.noteValue(fromNum(parseDecimal(text, false, out, paddedEnd(text))));
  return Verdict::Ok;
}

// A book level's price or size: its double and, in the same pass, its fixed-point form.
[[gnu::always_inline]] inline Verdict levelValue(Normalizer& n, JVal v, double& out, Fixed& fixed) {
  if (v->type != JType::String) return Verdict::WrongType;
  n.noteValue(fromNum(parseLevelDecimal(v->str(), out, fixed, paddedEnd(v->str()))));
  return Verdict::Ok;
}

// As qtyValue, also giving the text.
inline Verdict qtyValueText(Normalizer& n, JVal v, double& out, std::string_view& text) {
  TW_TRY(asString(v, text));
  n.noteValue(fromNum(parseDecimal(text, false, out)));
  return Verdict::Ok;
}

inline Verdict qty(Normalizer& n, JVal o, std::string_view key, double& out) {
  JVal v;
  TW_TRY(lookup(o, key, v));
  return qtyValue(n, v, out);
}

// A value that may be negative (funding rate).
inline Verdict signedQty(Normalizer& n, JVal o, std::string_view key, double& out) {
  std::string_view text;
  TW_TRY(getString(o, key, text));
  n.noteValue(fromNum(parseDecimal(text, true, out)));
  return Verdict::Ok;
}

// Optional price/size: absent or "" (venues' "no value") -> not present.
inline Verdict optQty(Normalizer& n, JVal o, std::string_view key, Opt<double>& out, bool allowNegative = false) {
  std::string_view text;
  bool present;
  TW_TRY(optString(o, key, text, present));
  out.present = present && !text.empty();
  if (out.present) n.noteValue(fromNum(parseDecimal(text, allowNegative, out.value)));
  return Verdict::Ok;
}

// Kraken v2: price/size as a JSON number, read from its text.
inline Verdict jsonQtyValue(Normalizer& n, JVal v, double& out, std::string_view& token) {
  TW_TRY(asNumberToken(v, token));
  double d = 0;
  if (!tokenDouble(token, d)) {
    n.noteValue(Verdict::BadNumber);
  } else if (token[0] == '-') {
    n.noteValue(Verdict::NegativeValue);
  }
  out = d;
  return Verdict::Ok;
}

inline Verdict jsonQty(Normalizer& n, JVal o, std::string_view key, double& out, std::string_view& token) {
  JVal v;
  TW_TRY(lookup(o, key, v));
  return jsonQtyValue(n, v, out, token);
}

inline Verdict jsonQty(Normalizer& n, JVal o, std::string_view key, double& out) {
  std::string_view token;
  return jsonQty(n, o, key, out, token);
}

// Milliseconds (JSON integer, or a decimal string of digits) -> µs.
inline Verdict msValue(Normalizer& n, JVal v, int64_t& us) {
  us = 0;
  if (v->type == JType::Number) {
    const std::string_view token = v->str();
    int64_t whole;
    if (plainDigits(token, whole)) {
      if (whole > kMaxSafeInteger / 1000) {
        n.noteValue(Verdict::BadTimestamp);
        return Verdict::Ok;
      }
      us = whole * 1000;
      return Verdict::Ok;
    }
    double ms = 0;
    if (!tokenDouble(token, ms) || !(ms >= 0) || std::trunc(ms) != ms ||
        ms > static_cast<double>(kMaxSafeInteger / 1000)) {
      n.noteValue(Verdict::BadTimestamp);
      return Verdict::Ok;
    }
    us = static_cast<int64_t>(ms) * 1000;
    return Verdict::Ok;
  }
  if (v->type != JType::String) return Verdict::WrongType;
  if (!msDigitsToMicros(v->str(), us)) n.noteValue(Verdict::BadTimestamp);
  return Verdict::Ok;
}

inline Verdict ms(Normalizer& n, JVal o, std::string_view key, int64_t& us) {
  JVal v;
  TW_TRY(lookup(o, key, v));
  return msValue(n, v, us);
}

// Optional time; absent, "" or the number 0 -> not present (Binance `T:0`, Bybit `""`).
inline Verdict optMsNonZero(Normalizer& n, JVal o, std::string_view key, Opt<int64_t>& out) {
  const JVal v = member(o, key);
  out.present = false;
  if (v == nullptr) return Verdict::Ok;
  if (v->type == JType::String) {
    const std::string_view text = v->str();
    if (text.empty()) return Verdict::Ok;
    out.present = true;
    if (!msDigitsToMicros(text, out.value)) n.noteValue(Verdict::BadTimestamp);
    return Verdict::Ok;
  }
  if (v->type == JType::Number) {
    double d = 1;
    if (tokenDouble(v->str(), d) && d == 0) return Verdict::Ok;
  }
  out.present = true;
  return msValue(n, v, out.value);
}

// RFC 3339 -> µs as rfc3339() below converts it, for the direct scans: false
// for a time it would note as bad_timestamp (the general path then reports it).
inline bool rfc3339Value(std::string_view text, int64_t& us) {
  switch (parseRfc3339(text, us)) {
    case TimeStatus::Ok:
      return true;
    case TimeStatus::BeforeEpoch:
      us = records::kNullTs;
      return true;
    case TimeStatus::Bad:
      break;
  }
  return false;
}

// RFC 3339 -> µs; a valid time before the epoch gives null (kNullTs).
inline Verdict rfc3339(Normalizer& n, JVal o, std::string_view key, int64_t& us) {
  std::string_view text;
  TW_TRY(getString(o, key, text));
  us = records::kNullTs;
  switch (parseRfc3339(text, us)) {
    case TimeStatus::Ok:
      break;
    case TimeStatus::BeforeEpoch:
      us = records::kNullTs;
      break;
    case TimeStatus::Bad:
      n.noteValue(Verdict::BadTimestamp);
      break;
  }
  return Verdict::Ok;
}

// Sequence numbers and checksums: JSON numbers that are safe integers.
inline Verdict integerValue(Normalizer& n, JVal v, int64_t& out) {
  std::string_view token;
  TW_TRY(asNumberToken(v, token));
  const bool negative = token[0] == '-';
  int64_t whole;
  if (plainDigits(negative ? token.substr(1) : token, whole)) {
    out = negative ? -whole : whole;
    return Verdict::Ok;
  }
  double d = 0;
  out = 0;
  if (!tokenDouble(token, d) ||
      !(d >= -static_cast<double>(kMaxSafeInteger) && d <= static_cast<double>(kMaxSafeInteger)) ||
      std::trunc(d) != d) {
    n.noteValue(Verdict::BadNumber);
    return Verdict::Ok;
  }
  out = static_cast<int64_t>(d);
  return Verdict::Ok;
}

inline Verdict integer(Normalizer& n, JVal o, std::string_view key, int64_t& out) {
  JVal v;
  TW_TRY(lookup(o, key, v));
  return integerValue(n, v, out);
}

inline Verdict optInteger(Normalizer& n, JVal o, std::string_view key, Opt<int64_t>& out) {
  const JVal v = member(o, key);
  out.present = v != nullptr;
  if (!out.present) return Verdict::Ok;
  return integerValue(n, v, out.value);
}

// Trade ids as text: strings as sent; a JSON number must be a non-negative
// safe integer (else bad_number) and is written as its plain digits.
inline Verdict idText(Normalizer& n, JVal o, std::string_view key, std::string_view& out) {
  JVal v;
  TW_TRY(lookup(o, key, v));
  if (v->type == JType::String) {
    out = v->str();
    // The trade record holds at most kTradeIdBytes of id (docs/records.md).
    return out.size() > records::kTradeIdBytes ? Verdict::WrongType : Verdict::Ok;
  }
  if (v->type != JType::Number) return Verdict::WrongType;
  const std::string_view token = v->str();
  out = {};
  bool plain = !token.empty() && token.size() <= 15;
  for (size_t i = 0; plain && i < token.size(); ++i) plain = isDigit(token[i]);
  if (plain) {  // JSON forbids leading zeros, so the digits are already canonical
    out = token;
    return Verdict::Ok;
  }
  double d = 0;
  if (!tokenDouble(token, d) || std::trunc(d) != d || !(d >= 0) || d > static_cast<double>(kMaxSafeInteger)) {
    n.noteValue(Verdict::BadNumber);
    return Verdict::Ok;
  }
  char* buf = n.idBuffer();
  const auto r = std::to_chars(buf, buf + 32, static_cast<int64_t>(d));
  out = std::string_view(buf, static_cast<size_t>(r.ptr - buf));
  return Verdict::Ok;
}

// An enumerated side; a value outside the enumeration is wrong_type.
inline Verdict side(JVal o, std::string_view key, std::string_view buy, std::string_view sell, bool reverse,
                    bool& isSell) {
  std::string_view text;
  TW_TRY(getString(o, key, text));
  if (text == buy) {
    isSell = reverse;
  } else if (text == sell) {
    isSell = !reverse;
  } else {
    return Verdict::WrongType;
  }
  return Verdict::Ok;
}

// [[price, size, ...], ...] text levels; extra entries ignored. Appends each
// level (value and text) to the bids (`bid`) or asks of the book being read.
inline Verdict textLevels(Normalizer& n, JVal v, bool bid) {
  JVal levels;
  TW_TRY(asArray(v, levels));
  for (JVal level = levels->firstChild(), e = levels->end(); level != e; level = level->next()) {
    if (level->type != JType::Array) return Verdict::WrongType;
    if (level->len < 2) return Verdict::MissingField;
    const JVal x0 = level->firstChild();
    const JVal x1 = x0->next();
    double px = 0, sz = 0;
    Fixed pxFixed, szFixed;
    TW_TRY(levelValue(n, x0, px, pxFixed));
    TW_TRY(levelValue(n, x1, sz, szFixed));
    n.pushLevel(bid, px, sz, pxFixed, szFixed);
  }
  return Verdict::Ok;
}

inline Verdict textLevels(Normalizer& n, JVal o, std::string_view key, bool bid) {
  JVal v;
  TW_TRY(lookup(o, key, v));
  return textLevels(n, v, bid);
}

// The symbol field (a string), interned in its canonical form.
inline Verdict symbolField(Normalizer& n, JVal o, std::string_view key, SymbolRule rule, uint32_t& id) {
  std::string_view raw;
  TW_TRY(getString(o, key, raw));
  return n.symbol(rule, raw, id);
}

// Iterates the required array `key`, calling fn(element object) for each.
template <typename Fn>
Verdict eachObject(JVal o, std::string_view key, Fn&& fn) {
  JVal items;
  TW_TRY(getArray(o, key, items));
  for (JVal item = items->firstChild(), e = items->end(); item != e; item = item->next()) {
    if (item->type != JType::Object) return Verdict::WrongType;
    TW_TRY(fn(item));
  }
  return Verdict::Ok;
}

}  // namespace tickwire::norm
