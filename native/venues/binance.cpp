// Binance spot (`binance`) and USD-M futures (`binance-futures`): the venue
// code decides the futures-only rules (bookTicker `T`, depth `pu`,
// markPriceUpdate, -PERP symbols).
#include <cstring>

#include "normalize/fields.h"
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

// ---- the direct scan (normalize/scan.h) of trades, aggTrades and bookTickers ----

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
  enum class Kind : uint8_t { Other, Trade, AggTrade, BookTicker } kind = Kind::Other;  // from e
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

// An event whose keys are exactly Ks, in this order: straight-line code, no
// key dispatch. Binance prints each stream's keys in a fixed order, so the
// layouts below cover what it sends; any other frame fails here (the event
// is then scanned again by scanEvent).
template <char First, char... Rest>
bool layout(scan::Cursor& c, FlatEvent& ev) {
  return member<'{', First>(c, ev) && (member<',', Rest>(c, ev) && ...) && c.eat('}');
}

// As layout, for an event whose `{"e":"<type>"` the caller has read: the
// members after it, up to but not including the closing brace.
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

// The event at c in one of Binance's layouts, else by scanEvent.
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
  if (c.lit("{\"e\":\"trade\"")) {
    const scan::Cursor rest = c;
    const auto trade = [&](auto layout) { return attempt(rest, [&] { return layout(c, ev, "trade", Kind::Trade); }); };
    if (trade(layoutAfterType<'E', 's', 't', 'p', 'q', 'T', 'm', 'M'>) ||  // spot
        trade(layoutAfterType<'E', 'T', 's', 't', 'p', 'q', 'X', 'm'>) ||  // futures
        trade(layoutAfterType<'E', 'T', 's', 't', 'p', 'q', 'm'>)) {       // futures, before X
      return true;
    }
  } else if (c.lit("{\"e\":\"aggTrade\"")) {
    const scan::Cursor rest = c;
    if (attempt(rest, [&] { return aggTradeAfterType(c, ev); }) ||  // spot; futures as documented
        attempt(rest, [&] {                                         // futures as sent
          return layoutAfterType<'E', 'a', 's', 'p', 'q', 'f', 'l', 'T', 'm'>(c, ev, "aggTrade", Kind::AggTrade);
        })) {
      return true;
    }
  } else if (c.lit("{\"e\":\"bookTicker\"")) {
    const scan::Cursor rest = c;
    if (attempt(rest, [&] {
          return layoutAfterType<'u', 's', 'b', 'B', 'a', 'A', 'T', 'E'>(c, ev, "bookTicker", Kind::BookTicker);
        })) {
      return true;  // futures
    }
  } else if (attempt(start, [&] { return layout<'u', 's', 'b', 'B', 'a', 'A'>(c, ev); })) {
    return true;  // spot bookTicker: no `e`
  }
  c = start;
  return scanEvent(c, ev);
}

}  // namespace

bool binanceScan(Normalizer& n, const char* text, size_t length, Verdict& verdict) {
  scan::Cursor c{text, text + length, text};
  FlatEvent ev;
  if (c.lit("{\"stream\":\"")) {
    // Combined stream: exactly {"stream":"<name>","data":{…}}.
    c.p -= 1;
    std::string_view stream;
    if (!c.str(stream) || !c.lit(",\"data\":") || !scanKnownEvent(c, ev) || !c.eat('}')) return false;
  } else if (!scanKnownEvent(c, ev)) {
    return false;
  }
  if (!c.atEnd()) return false;
  const bool futures = n.venue() == kBinanceFutures;
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
