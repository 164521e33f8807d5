// Coinbase Exchange ws-feed (`coinbase`).
#include "normalize/fields.h"
#include "venues/venues.h"

namespace tickwire::norm::venues {
namespace {

using records::StatusKind;

// match / last_match: `side` is the maker's side; the aggressor is the other one.
Verdict match(Normalizer& n, JVal o) {
  uint32_t sym = 0;
  double price = 0, size = 0;
  std::string_view id;
  bool sell = false;
  int64_t ts = 0;
  TW_TRY(symbolField(n, o, "product_id", SymbolRule::Dashed, sym));
  TW_TRY(qty(n, o, "price", price));
  TW_TRY(qty(n, o, "size", size));
  TW_TRY(idText(n, o, "trade_id", id));
  TW_TRY(side(o, "side", "buy", "sell", true, sell));
  TW_TRY(rfc3339(n, o, "time", ts));
  return n.emitTrade(sym, ts, price, size, sell, id);
}

// ticker: the 2021 feed sent no sizes; absent sizes are 0.
Verdict ticker(Normalizer& n, JVal o) {
  uint32_t sym = 0;
  double bp = 0, bq = 0, ap = 0, aq = 0;
  int64_t ts = 0;
  TW_TRY(symbolField(n, o, "product_id", SymbolRule::Dashed, sym));
  TW_TRY(qty(n, o, "best_bid", bp));
  if (has(o, "best_bid_size")) TW_TRY(qty(n, o, "best_bid_size", bq));
  TW_TRY(qty(n, o, "best_ask", ap));
  if (has(o, "best_ask_size")) TW_TRY(qty(n, o, "best_ask_size", aq));
  TW_TRY(rfc3339(n, o, "time", ts));
  return n.emitBbo(sym, ts, bp, bq, ap, aq);
}

Verdict snapshot(Normalizer& n, JVal o) {
  uint32_t sym = 0;
  const Opt<int64_t> none;
  TW_TRY(symbolField(n, o, "product_id", SymbolRule::Dashed, sym));
  TW_TRY(textLevels(n, o, "bids", true));
  TW_TRY(textLevels(n, o, "asks", false));
  return n.emitBook(sym, records::kNullTs, true, none, none, none);
}

// l2update: changes [[side, price, size], ...], buy -> bid, sell -> ask.
Verdict l2update(Normalizer& n, JVal o) {
  uint32_t sym = 0;
  int64_t ts = 0;
  const Opt<int64_t> none;
  TW_TRY(symbolField(n, o, "product_id", SymbolRule::Dashed, sym));
  JVal changes;
  TW_TRY(getArray(o, "changes", changes));
  for (JVal change = changes->firstChild(), e = changes->end(); change != e; change = change->next()) {
    if (change->type != JType::Array) return Verdict::WrongType;
    if (change->len < 3) return Verdict::MissingField;
    const JVal x0 = change->firstChild();
    const JVal x1 = x0->next();
    const JVal x2 = x1->next();
    std::string_view s;
    if (asString(x0, s) != Verdict::Ok || (s != "buy" && s != "sell")) return Verdict::WrongType;
    double px = 0, sz = 0;
    Fixed pxFixed, szFixed;
    TW_TRY(levelValue(n, x1, px, pxFixed));
    TW_TRY(levelValue(n, x2, sz, szFixed));
    n.pushLevel(s == "buy", px, sz, pxFixed, szFixed);
  }
  TW_TRY(rfc3339(n, o, "time", ts));
  return n.emitBook(sym, ts, false, none, none, none);
}

// error: venue_error with the message text, when there is one.
Verdict error(Normalizer& n, JVal o) {
  std::string_view message;
  bool present;
  TW_TRY(optString(o, "message", message, present));
  return n.emitStatus(StatusKind::VenueError, message, present);
}

}  // namespace

Verdict coinbase(Normalizer& n, JVal doc) {
  JVal o;
  TW_TRY(rootObject(doc, o));
  std::string_view type;
  if (!discriminator(o, "type", type)) return Verdict::UnknownMessage;
  if (type == "match" || type == "last_match") return match(n, o);
  if (type == "ticker") return ticker(n, o);
  if (type == "snapshot") return snapshot(n, o);
  if (type == "l2update") return l2update(n, o);
  if (type == "heartbeat") return n.emitStatus(StatusKind::Heartbeat);
  if (type == "subscriptions") return n.emitStatus(StatusKind::Subscribed);
  if (type == "error") return error(n, o);
  return Verdict::UnknownMessage;
}

}  // namespace tickwire::norm::venues
