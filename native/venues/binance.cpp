// Binance spot (`binance`) and USD-M futures (`binance-futures`): the venue
// code decides the futures-only rules (bookTicker `T`, depth `pu`,
// markPriceUpdate, -PERP symbols).
#include <cstring>

#include "normalize/fields.h"
#include "normalize/level_scan.h"
#include "normalize/scan.h"
#include "venues/venues.h"

namespace tickwire::norm::venues {
namespace {

using records::StatusKind;

struct Ctx {
  Normalizer& n;
  bool futures;
  SymbolRule rule() const { return futures ? SymbolRule::BinanceFutures : SymbolRule::Joined; }
};

// e:"trade" (id = t) and e:"aggTrade" (id = a). 2019 aggTrade captures lack
// `a`; the trade still happened, so an absent `a` gives id "".
Verdict trade(Ctx& c, JVal o, bool aggregate) {
  uint32_t sym = 0;
  double price = 0, size = 0;
  std::string_view id;
  bool sell = false;
  int64_t ts = 0;
  TW_TRY(symbolField(c.n, o, "s", c.rule(), sym));
  TW_TRY(qty(c.n, o, "p", price));
  TW_TRY(qty(c.n, o, "q", size));
  if (!aggregate || has(o, "a")) TW_TRY(idText(c.n, o, aggregate ? "a" : "t", id));
  TW_TRY(getBool(o, "m", sell));  // m: the buyer is the maker, so the aggressor sold
  TW_TRY(ms(c.n, o, "T", ts));
  return c.n.emitTrade(sym, ts, price, size, sell, id);
}

Verdict bookTicker(Ctx& c, JVal o) {
  uint32_t sym = 0;
  double bp = 0, bq = 0, ap = 0, aq = 0;
  int64_t ts = records::kNullTs;  // spot bookTicker carries no time at all
  TW_TRY(symbolField(c.n, o, "s", c.rule(), sym));
  TW_TRY(qty(c.n, o, "b", bp));
  TW_TRY(qty(c.n, o, "B", bq));
  TW_TRY(qty(c.n, o, "a", ap));
  TW_TRY(qty(c.n, o, "A", aq));
  if (c.futures) TW_TRY(ms(c.n, o, "T", ts));
  return c.n.emitBbo(sym, ts, bp, bq, ap, aq);
}

Verdict depthUpdate(Ctx& c, JVal o) {
  uint32_t sym = 0;
  Opt<int64_t> seq, prevSeq;
  const Opt<int64_t> none;
  int64_t ts = 0;
  TW_TRY(symbolField(c.n, o, "s", c.rule(), sym));
  TW_TRY(textLevels(c.n, o, "b", true));
  TW_TRY(textLevels(c.n, o, "a", false));
  TW_TRY(integer(c.n, o, "u", seq.value));
  seq.present = true;
  // Futures chain by `pu`; spot `U` is the previous event's `u` + 1.
  TW_TRY(integer(c.n, o, c.futures ? "pu" : "U", prevSeq.value));
  if (!c.futures) prevSeq.value -= 1;
  prevSeq.present = true;
  TW_TRY(ms(c.n, o, has(o, "T") ? "T" : "E", ts));
  return c.n.emitBook(sym, ts, false, seq, prevSeq, none);
}

// A REST depth snapshot as the connector delivers it: the body has no symbol,
// so it arrives wrapped as {"rest":<body>,"symbol":"BNBBTC"}.
Verdict restSnapshot(Ctx& c, JVal o) {
  uint32_t sym = 0;
  JVal body;
  Opt<int64_t> seq;
  const Opt<int64_t> none;
  int64_t ts = records::kNullTs;  // spot snapshots carry no time; futures ones carry T
  TW_TRY(symbolField(c.n, o, "symbol", c.rule(), sym));
  TW_TRY(getObject(o, "rest", body));
  TW_TRY(textLevels(c.n, body, "bids", true));
  TW_TRY(textLevels(c.n, body, "asks", false));
  TW_TRY(integer(c.n, body, "lastUpdateId", seq.value));
  seq.present = true;
  if (has(body, "T")) TW_TRY(ms(c.n, body, "T", ts));
  return c.n.emitBook(sym, ts, true, seq, none, none);
}

Verdict markPrice(Ctx& c, JVal o) {
  uint32_t sym = 0;
  Opt<double> mark, index, funding;
  Opt<int64_t> next;
  int64_t ts = 0;
  TW_TRY(symbolField(c.n, o, "s", c.rule(), sym));
  TW_TRY(qty(c.n, o, "p", mark.value));
  mark.present = true;
  TW_TRY(optQty(c.n, o, "i", index));
  // Delivery contracts send r:"" and T:0: no funding, not a zero rate.
  TW_TRY(optQty(c.n, o, "r", funding, true));
  TW_TRY(optMsNonZero(c.n, o, "T", next));
  TW_TRY(ms(c.n, o, "E", ts));
  return c.n.emitDerivative(sym, ts, mark, index, funding, next);
}

}  // namespace

Verdict binance(Normalizer& n, JVal doc) {
  Ctx c{n, n.venue() == kBinanceFutures};
  JVal root;
  TW_TRY(rootObject(doc, root));
  JVal o = root;
  // Combined stream: {"stream":"<name>","data":<payload>}.
  if (has(root, "stream") && has(root, "data")) TW_TRY(getObject(root, "data", o));
  // {"result":null,"id":1}: the reply to SUBSCRIBE.
  if (has(o, "result") && has(o, "id")) return n.emitStatus(StatusKind::Subscribed);
  if (has(o, "rest")) return restSnapshot(c, o);
  if (!has(o, "e")) {
    // Spot bookTicker has no event type, only its fields.
    for (std::string_view key : {"u", "s", "b", "B", "a", "A"}) {
      if (!has(o, key)) return Verdict::UnknownMessage;
    }
    return bookTicker(c, o);
  }
  std::string_view e;
  if (!discriminator(o, "e", e)) return Verdict::UnknownMessage;
  if (e == "trade") return trade(c, o, false);
  if (e == "aggTrade") return trade(c, o, true);
  if (e == "bookTicker") return bookTicker(c, o);
  if (e == "depthUpdate") return depthUpdate(c, o);
  if (e == "markPriceUpdate" && c.futures) return markPrice(c, o);
  if (e == "serverShutdown") return n.emitStatus(StatusKind::Info, "serverShutdown");
  return Verdict::UnknownMessage;
}

// ---- the direct scan (normalize/scan.h) of trades, aggTrades, bookTickers and depth diffs ----

namespace {

// The fields of one flat event object that the general path reads, converted
// as they are read. A key read here that appears twice, any key the dispatch
// looks at (result, id, rest, stream, data), or a price or size the general
// path would reject sends the frame to the general path.
struct FlatEvent {
  std::string_view e, s;
  double p, q, b, bq, a, aq;        // bq = "B", aq = "A"
  std::string_view tradeId, aggId;  // t, and a when it is a number
  std::string_view tToken;          // T
  int64_t tradeIdValue, aggIdValue, tMs;
  bool tradeIdPlain, aggIdPlain, tPlain;
  bool hasE = false, hasS = false, hasP = false, hasQ = false, hasB = false, hasBq = false, hasA = false, hasAq = false,
       hasU = false, hasT = false, hasTradeId = false, hasM = false;
  bool aIsNumber = false;  // "a" is an aggTrade id (number) rather than an ask (string)
  bool m = false;
  // From e; DepthUpdate: scanKnownEvent stopped after `{"e":"depthUpdate"` (depthUpdateFrame reads on).
  enum class Kind : uint8_t { Other, Trade, AggTrade, BookTicker, DepthUpdate } kind = Kind::Other;
};

FlatEvent::Kind kindOf(std::string_view e) {
  if (e == "trade") return FlatEvent::Kind::Trade;
  if (e == "aggTrade") return FlatEvent::Kind::AggTrade;
  if (e == "bookTicker") return FlatEvent::Kind::BookTicker;
  return FlatEvent::Kind::Other;
}

bool scanEvent(scan::Cursor& c, FlatEvent& ev) {
  const bool ok = scan::object(c, [&](std::string_view k, uint64_t word) -> bool {
    if (k.size() != 1) {
      // Long keys: only ones nobody reads may pass.
      if (k == "result" || k == "rest" || k == "stream" || k == "data") return false;
      return c.scalar();
    }
    auto once = [](bool& seen) {
      if (seen) return false;
      seen = true;
      return true;
    };
    switch (static_cast<char>(word)) {
      case 'e':
        return once(ev.hasE) && c.str(ev.e);
      case 's':
        return once(ev.hasS) && c.str(ev.s);
      case 'p':
        return once(ev.hasP) && c.decimalString(ev.p);
      case 'q':
        return once(ev.hasQ) && c.decimalString(ev.q);
      case 'b':
        return once(ev.hasB) && c.decimalString(ev.b);
      case 'B':
        return once(ev.hasBq) && c.decimalString(ev.bq);
      case 'A':
        return once(ev.hasAq) && c.decimalString(ev.aq);
      case 'a':
        if (!once(ev.hasA)) return false;
        if (c.peek('"')) return c.decimalString(ev.a);
        ev.aIsNumber = true;
        return c.intToken(ev.aggId, ev.aggIdValue, ev.aggIdPlain);
      case 't':
        return once(ev.hasTradeId) && c.intToken(ev.tradeId, ev.tradeIdValue, ev.tradeIdPlain);
      case 'T':
        return once(ev.hasT) && c.intToken(ev.tToken, ev.tMs, ev.tPlain);
      case 'm':
        return once(ev.hasM) && c.boolean(ev.m);
      case 'u':
        ev.hasU = true;
        return c.scalar();
      default:
        return c.scalar();
    }
  });
  if (ev.hasE) ev.kind = kindOf(ev.e);
  return ok;
}

// One member of a flat event whose key is the letter K, as scanEvent reads
// it; Lead is the byte before its key ('{' or ',').
template <char Lead, char K>
[[gnu::always_inline]] inline bool member(scan::Cursor& c, FlatEvent& ev) {
  // `Lead"K":` as one 4-byte compare and one byte.
  constexpr uint32_t head =
      static_cast<uint8_t>(Lead) | uint32_t{'"'} << 8 | uint32_t{static_cast<uint8_t>(K)} << 16 | uint32_t{'"'} << 24;
  uint32_t word;
  if (c.end - c.p < 5) return false;
  std::memcpy(&word, c.p, 4);
  if (word != head || c.p[4] != ':') return false;
  c.p += 5;
  std::string_view ignored;
  int64_t ignoredValue;
  bool ignoredPlain, ignoredFlag;
  if constexpr (K == 'e') return ev.hasE = true, c.str(ev.e);
  if constexpr (K == 's') return ev.hasS = true, c.str(ev.s);
  if constexpr (K == 'p') return ev.hasP = true, c.decimalString(ev.p);
  if constexpr (K == 'q') return ev.hasQ = true, c.decimalString(ev.q);
  if constexpr (K == 'b') return ev.hasB = true, c.decimalString(ev.b);
  if constexpr (K == 'B') return ev.hasBq = true, c.decimalString(ev.bq);
  if constexpr (K == 'a') {
    ev.hasA = true;
    if (c.peek('"')) return c.decimalString(ev.a);
    ev.aIsNumber = true;
    return c.intToken(ev.aggId, ev.aggIdValue, ev.aggIdPlain);
  }
  if constexpr (K == 'A') return ev.hasAq = true, c.decimalString(ev.aq);
  if constexpr (K == 't') return ev.hasTradeId = true, c.intToken(ev.tradeId, ev.tradeIdValue, ev.tradeIdPlain);
  if constexpr (K == 'T') return ev.hasT = true, c.intToken(ev.tToken, ev.tMs, ev.tPlain);
  if constexpr (K == 'm') return ev.hasM = true, c.boolean(ev.m);
  if constexpr (K == 'u') ev.hasU = true;
  if constexpr (K == 'E' || K == 'f' || K == 'l' || K == 'u') return c.intToken(ignored, ignoredValue, ignoredPlain);
  // Ignored values of the type Binance sends (another type: the layout fails, scanEvent reads it).
  if constexpr (K == 'M') return c.boolean(ignoredFlag);
  if constexpr (K == 'X') return c.str(ignored);
  return c.scalar();
}

// ---- wider reads for the two hottest layouts (spot trade and bookTicker) ----
//
// Each reads several bytes of fixed text or two values in one step where
// member() takes one key and one value at a time. Each only ever declines
// (false, cursor unmoved) or reads exactly what member() would: on a decline
// the caller reads the same members with member().

// The first n (<= 8) bytes of s as a little-endian word, for a compare with the
// same bytes of the frame.
template <size_t N>
constexpr uint64_t textWord(const char (&s)[N], size_t n = N - 1) {
  uint64_t w = 0;
  for (size_t i = 0; i < n; ++i) w |= uint64_t{static_cast<uint8_t>(s[i])} << (8 * i);
  return w;
}

// Whether the n (<= 8) bytes at `at` are `want`'s; 8 bytes from `at` must be readable.
[[gnu::always_inline]] inline bool sameBytes(const char* at, uint64_t want, size_t n) {
  uint64_t have;
  std::memcpy(&have, at, 8);
  const uint64_t mask = n == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * n)) - 1;
  return ((have ^ want) & mask) == 0;
}

// `,"K":"` as a word (its six bytes).
template <char K>
constexpr uint64_t stringHead = [] {
  const char text[] = {',', '"', K, '"', ':', '"', '\0'};
  return textWord(text);
}();

// `,"K":"<text>"` with a text of at most 15 bytes and no escape or control
// character (what Cursor::str reads), as one 16-byte load.
template <char K>
[[gnu::always_inline]] inline bool shortStringMember(scan::Cursor& c, std::string_view& out) {
#if defined(__SSE2__)
  if (c.end - c.p < 6 + 16 || !sameBytes(c.p, stringHead<K>, 6)) return false;
  const char* const text = c.p + 6;
  const unsigned mask = scan::stringStops(_mm_loadu_si128(reinterpret_cast<const __m128i*>(text)));
  if (mask == 0) return false;
  const auto n = static_cast<unsigned>(__builtin_ctz(mask));
  if (text[n] != '"') return false;  // an escape or a control character first
  out = std::string_view(text, n);
  c.p = text + n + 1;
  return true;
#else
  (void)c, (void)out;
  return false;
#endif
}

#if defined(__AVX2__) && defined(__BMI__) && defined(__BMI2__)
// The 16 bytes from `at`, zeros past the frame's end (nothing past it is read).
[[gnu::always_inline]] inline __m128i load16Within(const scan::Cursor& c, const char* at) {
  if (c.end - at >= 16) return _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
  const __m128i last = _mm_loadu_si128(reinterpret_cast<const __m128i*>(c.end - 16));
  const __m128i index = _mm_loadu_si128(reinterpret_cast<const __m128i*>(scan::kTailShuffle + 16 - (c.end - at)));
  return _mm_shuffle_epi8(last, index);
}
#endif

// `,"X":"<x>","Y":"<y>"`, two decimal strings of 1 to 15 bytes each (the
// closing quote among the 16 bytes loaded) in decimalParts' form, as
// Cursor::decimalString reads them, converted together, one per 128-bit lane:
// a trade's price and size, a ticker side.
template <char X, char Y>
[[gnu::always_inline]] inline bool decimalPairMembers(scan::Cursor& c, double& x, double& y) {
#if defined(__AVX2__) && defined(__BMI__) && defined(__BMI2__)
  // The frame is at least 16 bytes long (load16Within reads its last 16).
  if (c.end - c.p < 6 + 16 || !sameBytes(c.p, stringHead<X>, 6)) return false;
  const char* const xText = c.p + 6;
  const __m128i xRaw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(xText));
  const auto xQuotes = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(xRaw, _mm_set1_epi8('"'))));
  const unsigned xLength = _tzcnt_u32(xQuotes);  // 32 for none
  // `","Y":"`, then at least one byte of y and its closing quote.
  if (xLength - 1 > 15 || c.end - (xText + xLength) < 9) return false;
  if (!sameBytes(xText + xLength, stringHead<Y> << 8 | '"', 7)) return false;
  const char* const yText = xText + xLength + 7;
  const __m128i yRaw = load16Within(c, yText);
  const auto yQuotes = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(yRaw, _mm_set1_epi8('"'))));
  const unsigned yLength = _tzcnt_u32(yQuotes);
  if (yLength - 1 > 15) return false;
  detail::DecimalPair pair;
  if (!detail::simdDecimalPair(_mm256_setr_m128i(xRaw, yRaw), xLength, yLength, pair)) return false;
  x = _mm_cvtsd_f64(pair.values);
  y = _mm_cvtsd_f64(_mm_unpackhi_pd(pair.values, pair.values));
  c.p = yText + yLength + 1;
  return true;
#else
  (void)c, (void)x, (void)y;
  return false;
#endif
}

// `,"K":` for Cursor::lit.
template <char K>
constexpr char keyText[] = {',', '"', K, '"', ':', '\0'};

// The members of a spot trade after `{"e":"trade"`, through the closing brace:
// E, s, t, p, q, T, m, M. Binance's M is always true: `,"m":<bool>,"M":true}`
// is read as one of two texts.
bool spotTradeAfterType(scan::Cursor& c, FlatEvent& ev) {
  ev.hasE = true;
  ev.e = "trade";
  ev.kind = FlatEvent::Kind::Trade;
  if (!member<',', 'E'>(c, ev)) return false;
  ev.hasS = true;
  if (!shortStringMember<'s'>(c, ev.s) && !member<',', 's'>(c, ev)) return false;
  if (!member<',', 't'>(c, ev)) return false;
  ev.hasP = ev.hasQ = true;
  if (!decimalPairMembers<'p', 'q'>(c, ev.p, ev.q) && !(member<',', 'p'>(c, ev) && member<',', 'q'>(c, ev))) {
    return false;
  }
  if (!member<',', 'T'>(c, ev)) return false;
  ev.hasM = true;
  if (c.lit(",\"m\":true,\"M\":true}")) return ev.m = true, true;
  if (c.lit(",\"m\":false,\"M\":true}")) return ev.m = false, true;
  return member<',', 'm'>(c, ev) && member<',', 'M'>(c, ev) && c.eat('}');
}

// A spot bookTicker (no `e`), from its opening brace through the closing one:
// u, s, then the bid and the ask as decimal pairs.
bool spotBookTicker(scan::Cursor& c, FlatEvent& ev) {
  if (!member<'{', 'u'>(c, ev)) return false;
  ev.hasS = true;
  if (!shortStringMember<'s'>(c, ev.s) && !member<',', 's'>(c, ev)) return false;
  ev.hasB = ev.hasBq = ev.hasA = ev.hasAq = true;
  if (!decimalPairMembers<'b', 'B'>(c, ev.b, ev.bq) && !(member<',', 'b'>(c, ev) && member<',', 'B'>(c, ev))) {
    return false;
  }
  if (!decimalPairMembers<'a', 'A'>(c, ev.a, ev.aq) && !(member<',', 'a'>(c, ev) && member<',', 'A'>(c, ev))) {
    return false;
  }
  return c.eat('}');
}

// The members of an event after its `{"e":"<type>"` (which the caller has
// read), whose keys are exactly Keys, in this order, up to but not including
// the closing brace: straight-line code, no key dispatch. Binance prints each
// stream's keys in a fixed order, so the layouts below cover what it sends;
// any other frame fails here (the event is then scanned again by scanEvent).
template <char... Keys>
bool membersAfterType(scan::Cursor& c, FlatEvent& ev, std::string_view type, FlatEvent::Kind kind) {
  ev.hasE = true;
  ev.e = type;
  ev.kind = kind;
  return (member<',', Keys>(c, ev) && ...);
}

template <char... Keys>
bool layoutAfterType(scan::Cursor& c, FlatEvent& ev, std::string_view type, FlatEvent::Kind kind) {
  return membersAfterType<Keys...>(c, ev, type, kind) && c.eat('}');
}

// Spot aggTrade ends with `"M"`; futures, as documented, have the same keys without it.
bool aggTradeAfterType(scan::Cursor& c, FlatEvent& ev) {
  return membersAfterType<'E', 's', 'a', 'p', 'q', 'f', 'l', 'T', 'm'>(c, ev, "aggTrade", FlatEvent::Kind::AggTrade) &&
         (c.eat('}') || (member<',', 'M'>(c, ev) && c.eat('}')));
}

// The event at c in one of Binance's layouts, else by scanEvent; a depth
// diff stops after its type (Kind::DepthUpdate) for depthUpdateFrame.
// One byte that tells Binance's layouts apart before any literal is compared:
// the type's first letter after `{"e":"` (trade, aggTrade, bookTicker,
// depthUpdate), or the `u` of a spot bookTicker's `{"u":`.
char layoutLetter(const scan::Cursor& c) {
  if (c.end - c.p <= 6) return 0;
  return c.p[2] == 'e' ? c.p[6] : c.p[2];
}

bool scanKnownEvent(scan::Cursor& c, FlatEvent& ev) {
  using Kind = FlatEvent::Kind;

  const scan::Cursor start = c;
  // Reads from `from` with one layout; on a mismatch forgets what it read.
  const auto attempt = [&](const scan::Cursor& from, auto read) {
    c = from;
    if (read()) return true;
    ev = FlatEvent{};
    return false;
  };
  // Trades first, then one byte picks the layout for the rest.
  const bool trade = c.lit("{\"e\":\"trade\"");
  const char letter = trade ? 't' : layoutLetter(c);
  if (trade) {
    const scan::Cursor rest = c;
    const auto tradeLayout = [&](auto layout) {
      return attempt(rest, [&] { return layout(c, ev, "trade", Kind::Trade); });
    };
    if (attempt(rest, [&] { return spotTradeAfterType(c, ev); }) ||              // spot
        tradeLayout(layoutAfterType<'E', 'T', 's', 't', 'p', 'q', 'X', 'm'>) ||  // futures
        tradeLayout(layoutAfterType<'E', 'T', 's', 't', 'p', 'q', 'm'>)) {       // futures, before X
      return true;
    }
  } else if (letter == 'a' && c.lit("{\"e\":\"aggTrade\"")) {
    const scan::Cursor rest = c;
    if (attempt(rest, [&] { return aggTradeAfterType(c, ev); }) ||  // spot; futures as documented
        attempt(rest, [&] {                                         // futures as sent
          return layoutAfterType<'E', 'a', 's', 'p', 'q', 'f', 'l', 'T', 'm'>(c, ev, "aggTrade", Kind::AggTrade);
        })) {
      return true;
    }
  } else if (letter == 'b' && c.lit("{\"e\":\"bookTicker\"")) {
    const scan::Cursor rest = c;
    if (attempt(rest, [&] {
          return layoutAfterType<'u', 's', 'b', 'B', 'a', 'A', 'T', 'E'>(c, ev, "bookTicker", Kind::BookTicker);
        })) {
      return true;  // futures
    }
  } else if (letter == 'u' && attempt(start, [&] { return spotBookTicker(c, ev); })) {
    return true;  // spot bookTicker: no `e`
  } else if (letter == 'd' && c.lit("{\"e\":\"depthUpdate\"")) {
    ev.kind = Kind::DepthUpdate;
    return true;
  }
  c = start;
  return scanEvent(c, ev);
}

// A depth diff's members after `{"e":"depthUpdate"`, through its closing
// brace, in Binance's layouts: spot E, s, U, u, b, a; futures E, T, s, U, u,
// pu, b, a. The levels go straight into the normalizer's buffers (the caller
// forgets them if the frame is declined); the rest into `d`.
struct DepthFields {
  std::string_view s;
  int64_t tsMs = 0, first = 0, last = 0, previous = 0;  // T (futures) or E (spot); U; u; pu
  bool tsPlain = false, firstPlain = false, lastPlain = false, previousPlain = true;
};

bool depthUpdateAfterType(scan::Cursor& c, Normalizer& n, bool futures, DepthFields& d) {
  std::string_view token;
  if (!c.lit(",\"E\":") || !c.intToken(token, d.tsMs, d.tsPlain)) return false;
  if (futures && (!c.lit(",\"T\":") || !c.intToken(token, d.tsMs, d.tsPlain))) return false;
  if (!shortStringMember<'s'>(c, d.s) && !(c.lit(keyText<'s'>) && c.str(d.s))) return false;
  if (!c.lit(",\"U\":") || !c.intToken(token, d.first, d.firstPlain) || !c.lit(",\"u\":") ||
      !c.intToken(token, d.last, d.lastPlain)) {
    return false;
  }
  if (futures && (!c.lit(",\"pu\":") || !c.intToken(token, d.previous, d.previousPlain))) return false;
  return c.lit(",\"b\":") && scan::levels<true>(c, n) && c.lit(",\"a\":") && scan::levels<false>(c, n) && c.eat('}');
}

// A depth diff from after its `{"e":"depthUpdate"` to the frame's end, and
// its book event as depthUpdate() above emits it: false (declined, its levels
// forgotten) unless every number is a plain token the general path's
// integer() and ms() read the same way. Out of line: binanceScan, inlined
// into the engine's loop, stays small for the trades and tickers.
[[gnu::noinline]] bool depthUpdateFrame(scan::Cursor c, bool combined, Normalizer& n, Verdict& verdict) {
  const bool futures = n.venue() == kBinanceFutures;
  DepthFields d;
  int64_t ts;
  if (!depthUpdateAfterType(c, n, futures, d) || (combined && !c.eat('}')) || !c.atEnd() || !d.firstPlain ||
      !d.lastPlain || !d.previousPlain || !scan::msValue(d.tsMs, d.tsPlain, ts)) {
    n.clearLevels();
    return false;
  }
  // Futures chain by `pu`; spot `U` is the previous event's `u` + 1.
  const Opt<int64_t> seq{d.last, true}, prevSeq{futures ? d.previous : d.first - 1, true}, none;
  uint32_t sym = 0;
  verdict = n.symbol(futures ? SymbolRule::BinanceFutures : SymbolRule::Joined, d.s, sym);
  if (verdict == Verdict::Ok) verdict = n.emitBook(sym, ts, false, seq, prevSeq, none);
  return true;
}

}  // namespace

bool binanceScan(Normalizer& n, const char* text, size_t length, Verdict& verdict) {
  scan::Cursor c{text, text + length, text};
  const bool futures = n.venue() == kBinanceFutures;
  bool combined = false;
  if (c.lit("{\"stream\":\"")) {
    // Combined stream: exactly {"stream":"<name>","data":{…}}.
    c.p -= 1;
    std::string_view stream;
    if (!c.str(stream) || !c.lit(",\"data\":")) return false;
    combined = true;
  }
  FlatEvent ev;
  if (!scanKnownEvent(c, ev)) return false;
  if (ev.kind == FlatEvent::Kind::DepthUpdate) return depthUpdateFrame(c, combined, n, verdict);
  if ((combined && !c.eat('}')) || !c.atEnd()) return false;
  const SymbolRule rule = futures ? SymbolRule::BinanceFutures : SymbolRule::Joined;
  if (!ev.hasS) return false;
  if (ev.kind == FlatEvent::Kind::Trade || ev.kind == FlatEvent::Kind::AggTrade) {
    const bool aggregate = ev.kind == FlatEvent::Kind::AggTrade;
    // trade: the id is t (a number here); aggTrade: a (a number here), or none (2019 captures).
    if (aggregate ? ev.hasA && !ev.aIsNumber : !ev.hasTradeId) return false;
    if (!ev.hasP || !ev.hasQ || !ev.hasM || !ev.hasT) return false;
    int64_t ts;
    if (!scan::msValue(ev.tMs, ev.tPlain, ts)) return false;
    // aggId is empty without `a`.
    const std::string_view id = aggregate ? ev.aggId : ev.tradeId;
    if (!id.empty() && !(aggregate ? ev.aggIdPlain : ev.tradeIdPlain)) return false;
    uint32_t sym = 0;
    verdict = n.symbol(rule, ev.s, sym);
    if (verdict == Verdict::Ok) verdict = n.emitTrade(sym, ts, ev.p, ev.q, ev.m, id);
    return true;
  }
  // bookTicker: spot sends no `e` (then u, s, b, B, a, A must all be there), futures e:"bookTicker" with T.
  const bool ticker = ev.hasE ? ev.kind == FlatEvent::Kind::BookTicker : ev.hasU;
  if (!ticker || !ev.hasB || !ev.hasBq || !ev.hasA || ev.aIsNumber || !ev.hasAq) return false;
  int64_t ts = records::kNullTs;
  if (futures && (!ev.hasT || !scan::msValue(ev.tMs, ev.tPlain, ts))) return false;
  uint32_t sym = 0;
  verdict = n.symbol(rule, ev.s, sym);
  if (verdict == Verdict::Ok) verdict = n.emitBbo(sym, ts, ev.b, ev.bq, ev.a, ev.aq);
  return true;
}

}  // namespace tickwire::norm::venues
