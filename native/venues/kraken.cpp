// Kraken Spot WebSocket v2 (`kraken`). Prices and sizes are JSON numbers,
// read from their text (not through a binary float).
#include "normalize/fields.h"
#include "venues/venues.h"

namespace tickwire::norm::venues {
namespace {

using records::StatusKind;

Verdict trade(Normalizer& n, JVal root) {
  return eachObject(root, "data", [&](JVal t) -> Verdict {
    uint32_t sym = 0;
    double price = 0, size = 0;
    std::string_view id;
    bool sell = false;
    int64_t ts = 0;
    TW_TRY(symbolField(n, t, "symbol", SymbolRule::Slashed, sym));
    TW_TRY(jsonQty(n, t, "price", price));
    TW_TRY(jsonQty(n, t, "qty", size));
    TW_TRY(idText(n, t, "trade_id", id));
    TW_TRY(side(t, "side", "buy", "sell", false, sell));
    TW_TRY(rfc3339(n, t, "timestamp", ts));
    return n.emitTrade(sym, ts, price, size, sell, id);
  });
}

// Optional `timestamp` (the v2 ticker and some snapshots have none) -> null.
Verdict optTimestamp(Normalizer& n, JVal o, int64_t& ts) {
  ts = records::kNullTs;
  if (!has(o, "timestamp")) return Verdict::Ok;
  return rfc3339(n, o, "timestamp", ts);
}

Verdict ticker(Normalizer& n, JVal root) {
  return eachObject(root, "data", [&](JVal t) -> Verdict {
    uint32_t sym = 0;
    double bp = 0, bq = 0, ap = 0, aq = 0;
    int64_t ts = 0;
    TW_TRY(symbolField(n, t, "symbol", SymbolRule::Slashed, sym));
    TW_TRY(jsonQty(n, t, "bid", bp));
    TW_TRY(jsonQty(n, t, "bid_qty", bq));
    TW_TRY(jsonQty(n, t, "ask", ap));
    TW_TRY(jsonQty(n, t, "ask_qty", aq));
    TW_TRY(optTimestamp(n, t, ts));
    return n.emitBbo(sym, ts, bp, bq, ap, aq);
  });
}

// [{price, qty}, ...] with number values; the level text is the number token.
Verdict levels(Normalizer& n, JVal o, std::string_view key, bool bid) {
  return eachObject(o, key, [&](JVal level) -> Verdict {
    double px = 0, sz = 0;
    std::string_view pxText, szText;
    TW_TRY(jsonQty(n, level, "price", px, pxText));
    TW_TRY(jsonQty(n, level, "qty", sz, szText));
    n.pushLevel(bid, px, sz, pxText, szText);
    return Verdict::Ok;
  });
}

Verdict book(Normalizer& n, JVal root) {
  std::string_view type;
  TW_TRY(getString(root, "type", type));
  if (type != "snapshot" && type != "update") return Verdict::WrongType;
  const bool snapshot = type == "snapshot";
  return eachObject(root, "data", [&](JVal b) -> Verdict {
    n.clearLevels();
    uint32_t sym = 0;
    Opt<int64_t> checksum;
    const Opt<int64_t> none;
    int64_t ts = 0;
    TW_TRY(symbolField(n, b, "symbol", SymbolRule::Slashed, sym));
    TW_TRY(levels(n, b, "bids", true));
    TW_TRY(levels(n, b, "asks", false));
    TW_TRY(optInteger(n, b, "checksum", checksum));
    TW_TRY(optTimestamp(n, b, ts));
    return n.emitBook(sym, ts, snapshot, none, none, checksum);
  });
}

}  // namespace

Verdict kraken(Normalizer& n, JVal doc) {
  JVal root;
  TW_TRY(rootObject(doc, root));
  std::string_view channel, method;
  if (has(root, "channel")) {
    if (!discriminator(root, "channel", channel)) return Verdict::UnknownMessage;
    if (channel == "trade") return trade(n, root);
    if (channel == "ticker") return ticker(n, root);
    if (channel == "book") return book(n, root);
    if (channel == "heartbeat") return n.emitStatus(StatusKind::Heartbeat);
    if (channel == "status") return n.emitStatus(StatusKind::Info);
    return Verdict::UnknownMessage;
  }
  if (!discriminator(root, "method", method)) return Verdict::UnknownMessage;
  if (method == "subscribe" || method == "unsubscribe") {
    // A failed request says success:false and gives an `error` text.
    bool success;
    TW_TRY(getBool(root, "success", success));
    if (!success) {
      std::string_view error;
      bool present;
      TW_TRY(optString(root, "error", error, present));
      return n.emitStatus(StatusKind::VenueError, error, present);
    }
    return n.emitStatus(method == "subscribe" ? StatusKind::Subscribed : StatusKind::Unsubscribed);
  }
  if (method == "pong") return n.emitStatus(StatusKind::Pong);
  return Verdict::UnknownMessage;
}

}  // namespace tickwire::norm::venues
