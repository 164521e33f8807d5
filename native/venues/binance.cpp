// Binance spot (`binance`) and USD-M futures (`binance-futures`): the venue
// code decides the futures-only rules (bookTicker `T`, depth `pu`,
// markPriceUpdate, -PERP symbols).
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

// The fields of one flat event object that the general path reads. A key read
// here that appears twice, or any key the dispatch looks at (result, id, rest,
// stream, data), sends the frame to the general path.
struct FlatEvent {
  std::string_view e, s, p, q, b, bq, a, aq;  // bq = "B", aq = "A"
  std::string_view tradeId, aggId;            // t, and a when it is a number
  std::string_view tToken;                    // T
  bool hasE = false, hasS = false, hasP = false, hasQ = false, hasB = false, hasBq = false, hasA = false, hasAq = false,
       hasU = false, hasT = false, hasTradeId = false, hasM = false;
  bool aIsNumber = false;  // "a" is an aggTrade id (number) rather than an ask (string)
  bool m = false;
};

bool scanEvent(scan::Cursor& c, FlatEvent& ev) {
  return scan::object(c, [&](std::string_view k, uint64_t word) -> bool {
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
        return once(ev.hasP) && c.str(ev.p);
      case 'q':
        return once(ev.hasQ) && c.str(ev.q);
      case 'b':
        return once(ev.hasB) && c.str(ev.b);
      case 'B':
        return once(ev.hasBq) && c.str(ev.bq);
      case 'A':
        return once(ev.hasAq) && c.str(ev.aq);
      case 'a':
        if (!once(ev.hasA)) return false;
        if (c.peek('"')) return c.str(ev.a);
        ev.aIsNumber = true;
        return c.num(ev.aggId);
      case 't':
        return once(ev.hasTradeId) && c.num(ev.tradeId);
      case 'T':
        return once(ev.hasT) && c.num(ev.tToken);
      case 'm':
        return once(ev.hasM) && c.boolean(ev.m);
      case 'u':
        ev.hasU = true;
        return c.scalar();
      default:
        return c.scalar();
    }
  });
}

}  // namespace

bool binanceScan(Normalizer& n, const char* text, size_t length, Verdict& verdict) {
  scan::Cursor c{text, text + length};
  FlatEvent ev;
  if (c.lit("{\"stream\":\"")) {
    // Combined stream: exactly {"stream":"<name>","data":{…}}.
    c.p -= 1;
    std::string_view stream;
    if (!c.str(stream) || !c.lit(",\"data\":") || !scanEvent(c, ev) || !c.eat('}')) return false;
  } else if (!scanEvent(c, ev)) {
    return false;
  }
  if (!c.atEnd()) return false;
  const bool futures = n.venue() == kBinanceFutures;
  const SymbolRule rule = futures ? SymbolRule::BinanceFutures : SymbolRule::Joined;
  if (!ev.hasS) return false;
  if (ev.hasE && (ev.e == "trade" || ev.e == "aggTrade")) {
    const bool aggregate = ev.e == "aggTrade";
    // trade: the id is t (a number here); aggTrade: a (a number here), or none (2019 captures).
    if (aggregate ? ev.hasA && !ev.aIsNumber : !ev.hasTradeId) return false;
    if (!ev.hasP || !ev.hasQ || !ev.hasM || !ev.hasT) return false;
    double price, size;
    int64_t ts, idValue;
    if (!scan::decimal(ev.p, c.end, price) || !scan::decimal(ev.q, c.end, size) || !scan::msToken(ev.tToken, c.end, ts))
      return false;
    const std::string_view id = aggregate ? ev.aggId : ev.tradeId;  // aggId is empty without `a`
    if (!id.empty() && !scan::plainToken(id, c.end, idValue)) return false;
    uint32_t sym = 0;
    verdict = n.symbol(rule, ev.s, sym);
    if (verdict == Verdict::Ok) verdict = n.emitTrade(sym, ts, price, size, ev.m, id);
    return true;
  }
  // bookTicker: spot sends no `e` (then u, s, b, B, a, A must all be there), futures e:"bookTicker" with T.
  const bool ticker = ev.hasE ? ev.e == "bookTicker" : ev.hasU;
  if (!ticker || !ev.hasB || !ev.hasBq || !ev.hasA || ev.aIsNumber || !ev.hasAq) return false;
  double bp, bq, ap, aq;
  if (!scan::decimal(ev.b, c.end, bp) || !scan::decimal(ev.bq, c.end, bq) || !scan::decimal(ev.a, c.end, ap) ||
      !scan::decimal(ev.aq, c.end, aq)) {
    return false;
  }
  int64_t ts = records::kNullTs;
  if (futures && (!ev.hasT || !scan::msToken(ev.tToken, c.end, ts))) return false;
  uint32_t sym = 0;
  verdict = n.symbol(rule, ev.s, sym);
  if (verdict == Verdict::Ok) verdict = n.emitBbo(sym, ts, bp, bq, ap, aq);
  return true;
}

}  // namespace tickwire::norm::venues
