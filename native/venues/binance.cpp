// Binance spot (`binance`) and USD-M futures (`binance-futures`): the venue
// code decides the futures-only rules (bookTicker `T`, depth `pu`,
// markPriceUpdate, -PERP symbols).
#include "normalize/fields.h"
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

}  // namespace tickwire::norm::venues
