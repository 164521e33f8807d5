// Bybit v5 public (`bybit`). Spot and linear send the same `BTCUSDT`: the
// connection's market (input record flags), not the frame, decides -PERP.
#include "normalize/fields.h"
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

}  // namespace tickwire::norm::venues
