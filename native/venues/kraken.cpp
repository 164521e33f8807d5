// Kraken Spot WebSocket v2 (`kraken`). Prices and sizes are JSON numbers,
// read from their text (not through a binary float).
#include "normalize/fields.h"
#include "normalize/scan.h"
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

// ---- the direct scan (normalize/scan.h) of book messages ----

namespace {

// A JSON number token in decimalParts' form (plain digits, at most one '.'),
// as levels() above reads it: the value from its text, and the same text in
// fixed point (what pushLevel parses from the token). False: another form.
bool plainNumber(scan::Cursor& c, double& value, Fixed& fixed) {
  std::string_view token;
  uint64_t mantissa;
  uint32_t fraction;
  if (!c.num(token) || !detail::decimalParts(token.data(), token.data() + token.size(), mantissa, fraction, c.end)) {
    return false;
  }
  levelValue(mantissa, fraction, value, fixed);
  return true;
}

// [{"price":…,"qty":…}, …] into the normalizer's levels.
bool scanLevels(scan::Cursor& c, Normalizer& n, bool bid) {
  return scan::array(c, [&]() -> bool {
    double px, qty;
    Fixed pxFixed, qtyFixed;
    if (!c.lit("{\"price\":") || !plainNumber(c, px, pxFixed) || !c.lit(",\"qty\":") ||
        !plainNumber(c, qty, qtyFixed) || !c.eat('}')) {
      return false;
    }
    n.pushLevel(bid, px, qty, pxFixed, qtyFixed);
    return true;
  });
}

// {"channel":"book","type":"update"|"snapshot","data":[{"symbol":…,"bids":[…],
// "asks":[…],"checksum":…,"timestamp":…}]} with one book, in Kraken's key
// order (checksum and timestamp each optional, as book() above takes them).
bool bookLayout(Normalizer& n, scan::Cursor& c, Verdict& verdict) {
  bool snapshot;
  if (c.lit("update\",\"data\":[{\"symbol\":")) {
    snapshot = false;
  } else if (c.lit("snapshot\",\"data\":[{\"symbol\":")) {
    snapshot = true;
  } else {
    return false;
  }
  std::string_view symbol, token, time;
  Opt<int64_t> checksum;
  const Opt<int64_t> none;
  bool plain = true;
  int64_t ts = records::kNullTs;
  if (!c.str(symbol) || !c.lit(",\"bids\":") || !scanLevels(c, n, true) || !c.lit(",\"asks\":") ||
      !scanLevels(c, n, false)) {
    return false;
  }
  if (c.lit(",\"checksum\":")) {
    if (!c.intToken(token, checksum.value, plain)) return false;
    checksum.present = true;
  }
  if (c.lit(",\"timestamp\":") && (!c.str(time) || !rfc3339Value(time, ts))) return false;
  // optInteger() converts a plain token to the same value; anything else is declined.
  if (!plain || !c.lit("}]}") || !c.atEnd()) return false;
  uint32_t sym = 0;
  verdict = n.symbol(SymbolRule::Slashed, symbol, sym);
  if (verdict == Verdict::Ok) verdict = n.emitBook(sym, ts, snapshot, none, none, checksum);
  return true;
}

}  // namespace

bool krakenScan(Normalizer& n, const char* text, size_t length, Verdict& verdict) {
  scan::Cursor c{text, text + length, text};
  if (!c.lit("{\"channel\":\"book\",\"type\":\"")) return false;
  if (bookLayout(n, c, verdict)) return true;
  n.clearLevels();
  return false;
}

}  // namespace tickwire::norm::venues
