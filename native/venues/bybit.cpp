// Bybit v5 public (`bybit`). Spot and linear send the same `BTCUSDT`: the
// connection's market (input record flags), not the frame, decides -PERP.
#include <algorithm>
#include <new>

#include "normalize/fields.h"
#include "normalize/level_scan.h"
#include "normalize/scan.h"
#include "venues/venues.h"

namespace tickwire::norm::venues {
namespace {

using records::StatusKind;

SymbolRule rule(const Normalizer& n) { return n.perp() ? SymbolRule::BybitPerp : SymbolRule::Bybit; }

Verdict publicTrade(Normalizer& n, JVal root) {
  return eachObject(root, "data", [&](JVal t) -> Verdict {
    uint32_t sym = 0;
    double price = 0, size = 0;
    std::string_view id;
    bool sell = false;
    int64_t ts = 0;
    TW_TRY(symbolField(n, t, "s", rule(n), sym));
    TW_TRY(qty(n, t, "p", price));
    TW_TRY(qty(n, t, "v", size));
    TW_TRY(idText(n, t, "i", id));
    TW_TRY(side(t, "S", "Buy", "Sell", false, sell));
    TW_TRY(ms(n, t, "T", ts));
    return n.emitTrade(sym, ts, price, size, sell, id);
  });
}

// `cts` is the matching-engine time; `ts` only when it is absent.
Verdict orderbook(Normalizer& n, JVal root) {
  int64_t ts = 0;
  std::string_view type;
  uint32_t sym = 0;
  Opt<int64_t> seq;
  const Opt<int64_t> none;
  TW_TRY(ms(n, root, has(root, "cts") ? "cts" : "ts", ts));
  TW_TRY(getString(root, "type", type));
  if (type != "snapshot" && type != "delta") return Verdict::WrongType;
  JVal data;
  TW_TRY(getObject(root, "data", data));
  TW_TRY(symbolField(n, data, "s", rule(n), sym));
  TW_TRY(textLevels(n, data, "b", true));
  TW_TRY(textLevels(n, data, "a", false));
  TW_TRY(integer(n, data, "u", seq.value));
  seq.present = true;
  return n.emitBook(sym, ts, type == "snapshot", seq, none, none);
}

// Present and not "" (Bybit's "no value").
bool present(JVal o, std::string_view key) {
  const JVal v = member(o, key);
  if (v == nullptr) return false;
  return v->type != JType::String || v->len != 0;
}

// tickers: deltas carry only changed fields; a frame yields only what it fully
// states: bbo when bid1Price and ask1Price are there, derivative when any of
// markPrice / indexPrice / fundingRate / nextFundingTime is.
Verdict tickers(Normalizer& n, JVal root) {
  int64_t ts = 0;
  uint32_t sym = 0;
  TW_TRY(ms(n, root, "ts", ts));
  JVal d;
  TW_TRY(getObject(root, "data", d));
  TW_TRY(symbolField(n, d, "symbol", rule(n), sym));
  if (present(d, "bid1Price") && present(d, "ask1Price")) {
    double bp = 0, bq = 0, ap = 0, aq = 0;
    TW_TRY(qty(n, d, "bid1Price", bp));
    TW_TRY(qty(n, d, "bid1Size", bq));
    TW_TRY(qty(n, d, "ask1Price", ap));
    TW_TRY(qty(n, d, "ask1Size", aq));
    TW_TRY(n.emitBbo(sym, ts, bp, bq, ap, aq));
  }
  if (present(d, "markPrice") || present(d, "indexPrice") || present(d, "fundingRate") ||
      present(d, "nextFundingTime")) {
    Opt<double> mark, index, funding;
    Opt<int64_t> next;
    TW_TRY(optQty(n, d, "markPrice", mark));
    TW_TRY(optQty(n, d, "indexPrice", index));
    TW_TRY(optQty(n, d, "fundingRate", funding, true));
    TW_TRY(optMsNonZero(n, d, "nextFundingTime", next));
    TW_TRY(n.emitDerivative(sym, ts, mark, index, funding, next));
  }
  return Verdict::Ok;
}

bool startsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// op replies: subscribe / unsubscribe / ping / pong; success:false -> venue_error.
Verdict opReply(Normalizer& n, JVal root) {
  std::string_view op;
  if (!discriminator(root, "op", op)) return Verdict::UnknownMessage;
  StatusKind kind;
  if (op == "subscribe") {
    kind = StatusKind::Subscribed;
  } else if (op == "unsubscribe") {
    kind = StatusKind::Unsubscribed;
  } else if (op == "ping" || op == "pong") {
    // Spot/linear answer a ping with op "ping" + ret_msg "pong"; option/spread with op "pong".
    kind = StatusKind::Pong;
  } else {
    return Verdict::UnknownMessage;
  }
  bool success = true, hasSuccess;
  const JVal sv = member(root, "success");
  if (sv != nullptr && asBool(sv, success) == Verdict::Ok && !success) {
    std::string_view message;
    TW_TRY(optString(root, "ret_msg", message, hasSuccess));
    return n.emitStatus(StatusKind::VenueError, message, hasSuccess);
  }
  return n.emitStatus(kind);
}

}  // namespace

Verdict bybit(Normalizer& n, JVal doc) {
  JVal root;
  TW_TRY(rootObject(doc, root));
  if (has(root, "topic")) {
    std::string_view topic;
    if (!discriminator(root, "topic", topic)) return Verdict::UnknownMessage;
    if (startsWith(topic, "publicTrade.")) return publicTrade(n, root);
    if (startsWith(topic, "orderbook.")) return orderbook(n, root);
    if (startsWith(topic, "tickers.")) return tickers(n, root);
    return Verdict::UnknownMessage;
  }
  if (has(root, "op")) return opReply(n, root);
  return Verdict::UnknownMessage;
}

// ---- the direct scan (normalize/scan.h) of orderbook and publicTrade messages ----

namespace {

struct BookData {
  std::string_view s, u;
  int64_t uValue = 0;
  bool hasS = false, hasB = false, hasA = false, hasU = false, uPlain = false;
};

// A trade's fields, converted as they are read.
struct TradeFields {
  std::string_view s, i, side, tToken;
  double p = 0, v = 0;
  int64_t tMs = 0, iValue = 0;
  bool iIsString = false, iPlain = false, tPlain = false;
};
constexpr size_t kMaxScannedTrades = 16;
// Room for a frame's trades, constructed one by one as they are scanned: a
// plain array would zero all 16 (~1.6 KB) for every frame, books included.
union TradeSlots {
  TradeSlots() {}
  TradeFields at[kMaxScannedTrades];
};

auto once = [](bool& seen) {
  if (seen) return false;
  seen = true;
  return true;
};

bool scanTrade(scan::Cursor& c, TradeFields& t) {
  bool hasS = false, hasP = false, hasV = false, hasI = false, hasSide = false, hasT = false;
  const bool ok = scan::object(c, [&](std::string_view k, uint64_t word) -> bool {
    if (k.size() != 1) return c.scalar();
    switch (static_cast<char>(word)) {
      case 's':
        return once(hasS) && c.str(t.s);
      case 'p':
        return once(hasP) && c.decimalString(t.p);
      case 'v':
        return once(hasV) && c.decimalString(t.v);
      case 'i':
        if (!once(hasI)) return false;
        t.iIsString = c.peek('"');
        return t.iIsString ? c.str(t.i) : c.intToken(t.i, t.iValue, t.iPlain);
      case 'S':
        return once(hasSide) && c.str(t.side);
      case 'T':
        return once(hasT) && c.intToken(t.tToken, t.tMs, t.tPlain);
      default:
        return c.scalar();
    }
  });
  return ok && hasS && hasP && hasV && hasI && hasSide && hasT;
}

// The book event of a scanned frame (of type snapshot or delta, its "u" a
// plain integer); false: let the general path decide.
[[gnu::always_inline]] inline bool emitBook(Normalizer& n, std::string_view symbol, int64_t u, bool snapshot,
                                            int64_t ms, bool msPlain, Verdict& verdict) {
  int64_t us;
  if (!scan::msValue(ms, msPlain, us)) return false;
  Opt<int64_t> seq;
  seq.set(u);
  const Opt<int64_t> none;
  uint32_t sym = 0;
  verdict = n.symbol(rule(n), symbol, sym);
  if (verdict == Verdict::Ok) verdict = n.emitBook(sym, us, snapshot, seq, none, none);
  return true;
}

// A frame's scanned trades: every one is checked before any is emitted.
bool emitTrades(Normalizer& n, const TradeFields* trades, size_t count, Verdict& verdict) {
  struct Checked {
    int64_t ts;
    bool sell;
  } checked[kMaxScannedTrades];
  for (size_t k = 0; k < count; ++k) {
    const TradeFields& t = trades[k];
    if (!scan::msValue(t.tMs, t.tPlain, checked[k].ts) || (!t.iIsString && !t.iPlain)) return false;
    if (t.side == "Buy") {
      checked[k].sell = false;
    } else if (t.side == "Sell") {
      checked[k].sell = true;
    } else {
      return false;
    }
  }
  const SymbolRule symbolRule = rule(n);
  verdict = Verdict::Ok;
  for (size_t k = 0; k < count && verdict == Verdict::Ok; ++k) {
    uint32_t sym = 0;
    verdict = n.symbol(symbolRule, trades[k].s, sym);
    if (verdict == Verdict::Ok)
      verdict = n.emitTrade(sym, checked[k].ts, trades[k].p, trades[k].v, checked[k].sell, trades[k].i);
  }
  return true;
}

// Any key order: the scan of frames not in Bybit's own layout.
bool keyScan(Normalizer& n, const char* text, size_t length, Verdict& verdict) {
  scan::Cursor c{text, text + length, text};
  std::string_view topic, type, ts, cts;
  int64_t tsMs = 0, ctsMs = 0;
  bool tsPlain = false, ctsPlain = false;
  bool hasTopic = false, hasType = false, hasTs = false, hasCts = false, hasData = false;
  enum { kNone, kBook, kTrades } kind = kNone;
  BookData book;
  TradeSlots slots;
  TradeFields* const trades = slots.at;
  size_t tradeCount = 0;
  const bool scanned = scan::object(c, [&](std::string_view k, uint64_t word) -> bool {
    if (scan::keyIs(k, word, "topic")) return once(hasTopic) && c.str(topic);
    if (scan::keyIs(k, word, "type")) return once(hasType) && c.str(type);
    if (scan::keyIs(k, word, "ts")) return once(hasTs) && c.intToken(ts, tsMs, tsPlain);
    if (scan::keyIs(k, word, "cts")) return once(hasCts) && c.intToken(cts, ctsMs, ctsPlain);
    if (!scan::keyIs(k, word, "data")) return c.scalar();
    if (!once(hasData) || !hasTopic) return false;
    if (scan::startsWith(topic, "orderbook.")) {
      kind = kBook;
      return scan::object(c, [&](std::string_view dk, uint64_t dword) -> bool {
        if (dk.size() != 1) return c.scalar();
        switch (static_cast<char>(dword)) {
          case 's':
            return once(book.hasS) && c.str(book.s);
          case 'b':
            return once(book.hasB) && scan::levels<true>(c, n);
          case 'a':
            return once(book.hasA) && scan::levels<false>(c, n);
          case 'u':
            return once(book.hasU) && c.intToken(book.u, book.uValue, book.uPlain);
          default:
            return c.scalar();
        }
      });
    }
    if (scan::startsWith(topic, "publicTrade.")) {
      kind = kTrades;
      return scan::array(c, [&]() -> bool {
        if (tradeCount == kMaxScannedTrades) return false;
        return scanTrade(c, *new (&trades[tradeCount++]) TradeFields{});
      });
    }
    return false;
  });
  if (!scanned || !c.atEnd() || kind == kNone) return false;
  if (kind == kBook) {
    if (!hasType || (!hasCts && !hasTs) || !book.hasS || !book.hasB || !book.hasA || !book.hasU) return false;
    const bool snapshot = type == "snapshot";
    if ((!snapshot && type != "delta") || !book.uPlain) return false;
    return emitBook(n, book.s, book.uValue, snapshot, hasCts ? ctsMs : tsMs, hasCts ? ctsPlain : tsPlain, verdict);
  }
  return emitTrades(n, trades, tradeCount, verdict);
}

// One trade in Bybit's key order (T, s, S, v, p, L, i, BT, then RPI and seq
// where sent), read straight through; false: scanTrade reads it instead.
bool tradeLayout(scan::Cursor& c, TradeFields& t) {
  std::string_view ignored;
  int64_t ignoredValue;
  bool ignoredBool;
  if (!c.lit("{\"T\":") || !c.intToken(t.tToken, t.tMs, t.tPlain) || !c.lit(",\"s\":") || !c.str(t.s) ||
      !c.lit(",\"S\":") || !c.str(t.side) || !c.lit(",\"v\":") || !c.decimalString(t.v) || !c.lit(",\"p\":") ||
      !c.decimalString(t.p) || !c.lit(",\"L\":") || !c.str(ignored) || !c.lit(",\"i\":")) {
    return false;
  }
  t.iIsString = c.peek('"');
  if (!(t.iIsString ? c.str(t.i) : c.intToken(t.i, t.iValue, t.iPlain))) return false;
  if (!c.lit(",\"BT\":") || !c.boolean(ignoredBool)) return false;
  if (c.lit(",\"RPI\":") && !c.boolean(ignoredBool)) return false;
  if (c.lit(",\"seq\":") && !c.plainInt(ignored, ignoredValue)) return false;
  return c.eat('}');
}

// The string ends at q (its first byte that is a quote, backslash or control
// character) if that byte is its closing quote; an escape or a control
// character is the general path's.
bool closeStringAt(scan::Cursor& c, const char* text, const char* q, std::string_view& out) {
  if (q == c.end || *q != '"') return false;
  out = std::string_view(text, static_cast<size_t>(q - text));
  c.p = q + 1;
  return true;
}

// The rest of a string whose opening quote is behind p: no escape, no control
// character. Found in 16-byte steps inline (Cursor::str is a call, and starts
// at the quote: the topic's symbol has none in front of it); the last bytes of
// the frame one by one.
[[gnu::always_inline]] inline bool stringRest(scan::Cursor& c, std::string_view& out) {
  const char* const text = c.p;
  const char* q = text;
#if defined(__SSE2__)
  for (; c.end - q >= 16; q += 16) {
    const unsigned stops = scan::stringStops(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q)));
    if (stops != 0) return closeStringAt(c, text, q + __builtin_ctz(stops), out);
  }
#endif
  while (q < c.end && *q != '"' && *q != '\\' && static_cast<unsigned char>(*q) >= 0x20) ++q;
  return closeStringAt(c, text, q, out);
}

[[gnu::always_inline]] inline bool quotedString(scan::Cursor& c, std::string_view& out) {
  return c.eat('"') && stringRest(c, out);
}

// The 8 bytes at q with those at or past `end` read as zeros: one load, also
// for the frame's last bytes (the 8 before `end`, shifted down; the frame is
// longer than 8 bytes wherever this is called).
uint64_t load8Before(const char* q, const char* end) {
  uint64_t w;
  const auto left = static_cast<size_t>(end - q);
  if (left >= 8) {
    std::memcpy(&w, q, 8);
    return w;
  }
  std::memcpy(&w, end - 8, 8);
  return (w >> (8 * (7 - left))) >> 8;  // in two steps: a shift by 64 is undefined
}

// A plain integer whose value the general path never reads (the frame's ts,
// a trade's seq): 1 to 15 digits (longer ones declined, as plainInt does), no
// leading zero. What follows it is the caller's next literal, so a fraction or
// an exponent is declined there.
[[gnu::always_inline]] inline bool skipPlainInt(scan::Cursor& c) {
  const char* q = c.p;
  unsigned run;
  do {
    run = detail::leadingDigits(load8Before(q, c.end));
    q += run;
  } while (run == 8);
  const auto digits = static_cast<size_t>(q - c.p);
  if (digits == 0 || digits > 15 || (*c.p == '0' && digits > 1)) return false;
  c.p = q;
  return true;
}

// The frame's last value, `<digits>}`: the plain integer plainInt takes
// (its next byte, the brace, is no fraction or exponent), read by loads that
// end at the brace rather than from plainInt's zero-padded copy of the tail.
[[gnu::always_inline]] inline bool plainIntToEnd(scan::Cursor& c, int64_t& value) {
  const char* const brace = c.end - 1;
  if (c.p >= brace || *brace != '}' || brace - c.begin < 8) return false;
  const auto n = static_cast<unsigned>(std::min<ptrdiff_t>(brace - c.p, 16));
  if (n > 15 || (*c.p == '0' && n > 1)) return false;
  uint64_t last;  // the 8 bytes before the brace, the digits' last ones
  std::memcpy(&last, brace - 8, 8);
  if (n <= 8) {
    last = (last >> (8 * (8 - n)));  // the digits moved to the front
    if (detail::leadingDigits(last) < n) return false;
    value = static_cast<int64_t>(detail::digitsValue(last, n));
  } else {
    uint64_t first;
    std::memcpy(&first, c.p, 8);
    if (detail::leadingDigits(first) < n - 8 || detail::leadingDigits(last) < 8) return false;
    value = static_cast<int64_t>(detail::digitsValue(first, n - 8) * 100000000 + detail::digitsValue(last, 8));
  }
  c.p = c.end;
  return true;
}

// An orderbook frame in Bybit's layout, from the topic's text after
// "orderbook." on: the type and the data's keys are compared as literals (a
// type other than snapshot or delta is declined, as emitBook would). False
// (levels possibly pushed): the frame is not in this layout.
bool bookLayout(Normalizer& n, scan::Cursor& c, Verdict& verdict) {
  std::string_view ignored, symbol;
  int64_t ms, u;
  bool snapshot = false;
  if (!stringRest(c, ignored)) return false;
  if (!c.lit(",\"type\":\"delta\",\"ts\":")) {
    if (!c.lit(",\"type\":\"snapshot\",\"ts\":")) return false;
    snapshot = true;
  }
  // "ts" is converted only if there is no "cts" (a ts in any other form declines).
  const char* const ts = c.p;
  if (!skipPlainInt(c)) return false;
  const std::string_view tsToken(ts, static_cast<size_t>(c.p - ts));
  // A "u" that is no plain integer is declined (emitBook needs its value).
  if (!c.lit(",\"data\":{\"s\":\"") || !stringRest(c, symbol) || !c.lit(",\"b\":") || !scan::levels<true>(c, n) ||
      !c.lit(",\"a\":") || !scan::levels<false>(c, n) || !c.lit(",\"u\":") || !c.plainInt(ignored, u)) {
    return false;
  }
  if (c.lit(",\"seq\":") && !skipPlainInt(c)) return false;
  if (c.lit("},\"cts\":")) {  // cts is the time when sent
    if (!plainIntToEnd(c, ms)) return false;
  } else if (!c.lit("}}") || !c.atEnd() || !scan::plainToken(tsToken, c.end, ms)) {
    return false;
  }
  return emitBook(n, symbol, u, snapshot, ms, true, verdict);
}

// {"topic","type","ts","data"[,"cts"]} with data {"s","b","a","u"[,"seq"]}
// for books, or an array of trades: the order Bybit sends, read straight
// through. False (levels possibly pushed): the frame is not in this layout.
bool layoutScan(Normalizer& n, const char* text, size_t length, Verdict& verdict) {
  scan::Cursor c{text, text + length, text};
  if (c.lit("{\"topic\":\"orderbook.")) return bookLayout(n, c, verdict);
  std::string_view topic, type, token;
  int64_t tsMs;
  bool tsPlain;
  if (!c.lit("{\"topic\":") || !c.str(topic) || !c.lit(",\"type\":") || !c.str(type) || !c.lit(",\"ts\":") ||
      !c.intToken(token, tsMs, tsPlain) || !c.lit(",\"data\":") || !scan::startsWith(topic, "publicTrade.")) {
    return false;
  }
  TradeSlots slots;
  TradeFields* const trades = slots.at;
  size_t count = 0;
  const bool ok = scan::array(c, [&]() -> bool {
    if (count == kMaxScannedTrades) return false;
    const scan::Cursor start = c;
    if (tradeLayout(c, *new (&trades[count]) TradeFields{})) return ++count, true;
    c = start;
    return scanTrade(c, *new (&trades[count++]) TradeFields{});
  });
  if (!ok || !c.eat('}') || !c.atEnd()) return false;
  return emitTrades(n, trades, count, verdict);
}

// ---- publicTrade in Bybit's own layout, read as literals and values ----
//
// {"topic":"publicTrade.SYM","type":"snapshot","ts":…,"data":[trade, …]}
// with each trade {"T","s","S","v","p","L","i","BT"[,"RPI"][,"seq"]}. The
// keys and the fixed values around them are compared as wide literals, and
// each value is read only as far as the general path needs it: T, v, p and i
// converted, s, S, L, BT, RPI, seq and the frame's ts only checked. Anything
// else is declined (layoutScan and keyScan then try their wider forms).

// A trade read by tradeFrame, checked and converted: ready to emit. Trivial
// to construct, so a frame's array of them costs nothing until filled.
struct LayoutTrade {
  int64_t ts;
  double price, size;
  const char* id;
  size_t idLength;
  bool sell;
};

// The n bytes at `a` equal those at `b` (both readable for at least 8 bytes
// and for n). Overlapping 8-byte loads for the usual symbol lengths, no
// library memcmp call.
bool sameBytes(const char* a, const char* b, size_t n) {
  uint64_t x, y;
  if (n > 16) return std::memcmp(a, b, n) == 0;
  std::memcpy(&x, a, 8);
  std::memcpy(&y, b, 8);
  if (n < 8) return ((x ^ y) & ((uint64_t{1} << (8 * n)) - 1)) == 0;
  uint64_t diff = x ^ y;
  std::memcpy(&x, a + n - 8, 8);
  std::memcpy(&y, b + n - 8, 8);
  return (diff | (x ^ y)) == 0;
}

// A trade's "s": the topic's symbol again, compared with the topic's text,
// closing quote included (so it is a string the topic scan already checked)
// rather than scanned and converted a second time.
bool sameSymbol(scan::Cursor& c, std::string_view symbol) {
  const size_t n = symbol.size() + 1;
  if (static_cast<size_t>(c.end - c.p) < (n > 8 ? n : 8) || !sameBytes(c.p, symbol.data(), n)) return false;
  c.p += n;
  return true;
}

// "S": exactly "Buy" or "Sell", as the general path's side() takes them.
bool tradeSide(scan::Cursor& c, bool& sell) {
  sell = false;
  if (c.lit(",\"S\":\"Buy\"")) return true;
  sell = true;
  return c.lit(",\"S\":\"Sell\"");
}

// "BT" and "RPI" (where sent): true or false, not needed, each member read as
// one literal; "RPI" with any other value is declined.
bool blockTradeFlag(scan::Cursor& c) { return c.lit(",\"BT\":false") || c.lit(",\"BT\":true"); }
bool rpiFlagIfSent(scan::Cursor& c) { return c.lit(",\"RPI\":false") || c.lit(",\"RPI\":true") || !c.lit(",\"RPI\":"); }

// "i": a string id, or a plain integer (its digits are the id, as idText gives them).
bool tradeId(scan::Cursor& c, LayoutTrade& t) {
  std::string_view id;
  int64_t ignored;
  if (!(c.peek('"') ? quotedString(c, id) : c.plainInt(id, ignored))) return false;
  t.id = id.data();
  t.idLength = id.size();
  return true;
}

// One trade: T, s, S, v, p, L, i, BT, then RPI and seq where sent.
bool layoutTrade(scan::Cursor& c, std::string_view symbol, LayoutTrade& t) {
  std::string_view token;
  int64_t ms;
  if (!c.lit("{\"T\":") || !c.plainInt(token, ms) || !scan::msValue(ms, true, t.ts)) return false;
  if (!c.lit(",\"s\":\"") || !sameSymbol(c, symbol) || !tradeSide(c, t.sell)) return false;
  if (!c.lit(",\"v\":") || !c.decimalString(t.size) || !c.lit(",\"p\":") || !c.decimalString(t.price)) return false;
  if (!c.lit(",\"L\":") || !quotedString(c, token) || !c.lit(",\"i\":") || !tradeId(c, t)) return false;
  if (!blockTradeFlag(c) || !rpiFlagIfSent(c)) return false;
  if (c.lit(",\"seq\":") && !skipPlainInt(c)) return false;
  return c.eat('}');
}

// The trades of a frame tradeFrame read whole. Every "s" is the topic's
// symbol, so one lookup serves all of them: the general path's lookup per
// trade finds the same id, announced by the first.
bool emitLayoutTrades(Normalizer& n, std::string_view symbol, const LayoutTrade* trades, size_t count,
                      Verdict& verdict) {
  uint32_t sym = 0;
  verdict = n.symbol(rule(n), symbol, sym);
  for (size_t k = 0; k < count && verdict == Verdict::Ok; ++k) {
    const LayoutTrade& t = trades[k];
    verdict = n.emitTrade(sym, t.ts, t.price, t.size, t.sell, std::string_view(t.id, t.idLength));
  }
  return true;
}

// The rest of tradeFrame, from the topic's symbol on.
[[gnu::noinline]] bool tradeFrameFromSymbol(Normalizer& n, scan::Cursor c, Verdict& verdict) {
  std::string_view symbol;
  if (!stringRest(c, symbol) || !c.lit(",\"type\":\"snapshot\",\"ts\":") || !skipPlainInt(c) || !c.lit(",\"data\":[")) {
    return false;
  }
  LayoutTrade trades[kMaxScannedTrades];
  size_t count = 0;
  do {
    if (count == kMaxScannedTrades || !layoutTrade(c, symbol, trades[count++])) return false;
  } while (c.eat(','));
  if (!c.lit("]}") || !c.atEnd()) return false;
  return emitLayoutTrades(n, symbol, trades, count, verdict);
}

// A publicTrade frame in Bybit's layout; false: not this layout. Other
// messages (books) are told apart by one literal, inline, before any call.
[[gnu::always_inline]] inline bool tradeFrame(Normalizer& n, const char* text, size_t length, Verdict& verdict) {
  scan::Cursor c{text, text + length, text};
  return c.lit("{\"topic\":\"publicTrade.") && tradeFrameFromSymbol(n, c, verdict);
}

}  // namespace

bool bybitScan(Normalizer& n, const char* text, size_t length, Verdict& verdict) {
  if (tradeFrame(n, text, length, verdict)) return true;
  if (layoutScan(n, text, length, verdict)) return true;
  n.clearLevels();
  if (keyScan(n, text, length, verdict)) return true;
  n.clearLevels();
  return false;
}

}  // namespace tickwire::norm::venues
