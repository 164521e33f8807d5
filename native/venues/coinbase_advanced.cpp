// Coinbase Advanced Trade (`coinbase-advanced`): an envelope
// {channel, timestamp, sequence_num, events: [...]} around every message.
#include "normalize/fields.h"
#include "venues/venues.h"

namespace tickwire::norm::venues {
namespace {

using records::StatusKind;

// market_trades: events[].trades[]; `side` (BUY/SELL) names the maker.
Verdict marketTrades(Normalizer& n, JVal root) {
  return eachObject(root, "events", [&](JVal event) -> Verdict {
    return eachObject(event, "trades", [&](JVal t) -> Verdict {
      uint32_t sym = 0;
      double price = 0, size = 0;
      std::string_view id;
      bool sell = false;
      int64_t ts = 0;
      TW_TRY(symbolField(n, t, "product_id", SymbolRule::Dashed, sym));
      TW_TRY(qty(n, t, "price", price));
      TW_TRY(qty(n, t, "size", size));
      TW_TRY(idText(n, t, "trade_id", id));
      TW_TRY(side(t, "side", "BUY", "SELL", true, sell));
      TW_TRY(rfc3339(n, t, "time", ts));
      return n.emitTrade(sym, ts, price, size, sell, id);
    });
  });
}

// ticker: events[].tickers[], ts = envelope timestamp.
Verdict ticker(Normalizer& n, JVal root) {
  int64_t ts = 0;
  TW_TRY(rfc3339(n, root, "timestamp", ts));
  return eachObject(root, "events", [&](JVal event) -> Verdict {
    return eachObject(event, "tickers", [&](JVal t) -> Verdict {
      uint32_t sym = 0;
      double bp = 0, bq = 0, ap = 0, aq = 0;
      TW_TRY(symbolField(n, t, "product_id", SymbolRule::Dashed, sym));
      TW_TRY(qty(n, t, "best_bid", bp));
      TW_TRY(qty(n, t, "best_bid_quantity", bq));
      TW_TRY(qty(n, t, "best_ask", ap));
      TW_TRY(qty(n, t, "best_ask_quantity", aq));
      return n.emitBbo(sym, ts, bp, bq, ap, aq);
    });
  });
}

// l2_data: one book per event; bid -> bids, offer -> asks; seq = sequence_num.
// Snapshot updates carry event_time 1970-01-01, so the envelope time is used.
Verdict level2(Normalizer& n, JVal root) {
  int64_t ts = 0;
  Opt<int64_t> seq;
  const Opt<int64_t> none;
  TW_TRY(rfc3339(n, root, "timestamp", ts));
  TW_TRY(integer(n, root, "sequence_num", seq.value));
  seq.present = true;
  return eachObject(root, "events", [&](JVal event) -> Verdict {
    n.clearLevels();
    std::string_view type;
    uint32_t sym = 0;
    TW_TRY(getString(event, "type", type));
    if (type != "snapshot" && type != "update") return Verdict::WrongType;
    TW_TRY(symbolField(n, event, "product_id", SymbolRule::Dashed, sym));
    TW_TRY(eachObject(event, "updates", [&](JVal u) -> Verdict {
      std::string_view side;
      double px = 0, sz = 0;
      Fixed pxFixed, szFixed;
      JVal v;
      TW_TRY(getString(u, "side", side));
      if (side != "bid" && side != "offer") return Verdict::WrongType;
      TW_TRY(lookup(u, "price_level", v));
      TW_TRY(levelValue(n, v, px, pxFixed));
      TW_TRY(lookup(u, "new_quantity", v));
      TW_TRY(levelValue(n, v, sz, szFixed));
      n.pushLevel(side == "bid", px, sz, pxFixed, szFixed);
      return Verdict::Ok;
    }));
    return n.emitBook(sym, ts, type == "snapshot", seq, none, none);
  });
}

}  // namespace

Verdict coinbaseAdvanced(Normalizer& n, JVal doc) {
  JVal root;
  TW_TRY(rootObject(doc, root));
  std::string_view channel;
  if (!discriminator(root, "channel", channel)) return Verdict::UnknownMessage;
  if (channel == "market_trades") return marketTrades(n, root);
  if (channel == "ticker") return ticker(n, root);
  if (channel == "l2_data") return level2(n, root);
  if (channel == "heartbeats") return n.emitStatus(StatusKind::Heartbeat);
  if (channel == "subscriptions") return n.emitStatus(StatusKind::Subscribed);
  return Verdict::UnknownMessage;
}

}  // namespace tickwire::norm::venues
