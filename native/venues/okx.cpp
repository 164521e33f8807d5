// OKX v5 public (`okx`): {arg: {channel, instId}, action?, data: [...]}.
// Times are millisecond decimal strings; the text `pong` is handled by the
// normalizer before JSON parsing.
#include "normalize/fields.h"
#include "venues/venues.h"

namespace tickwire::norm::venues {
namespace {

using records::StatusKind;

Verdict trades(Normalizer& n, JVal root) {
  return eachObject(root, "data", [&](JVal t) -> Verdict {
    uint32_t sym = 0;
    double price = 0, size = 0;
    std::string_view id;
    bool sell = false;
    int64_t ts = 0;
    TW_TRY(symbolField(n, t, "instId", SymbolRule::Okx, sym));
    TW_TRY(qty(n, t, "px", price));
    TW_TRY(qty(n, t, "sz", size));
    TW_TRY(idText(n, t, "tradeId", id));
    TW_TRY(side(t, "side", "buy", "sell", false, sell));
    TW_TRY(ms(n, t, "ts", ts));
    return n.emitTrade(sym, ts, price, size, sell, id);
  });
}

// books, books5, books-l2-tbt, books50-l2-tbt: one book per data[] entry;
// book entries do not repeat the instrument: it is in `arg`.
Verdict books(Normalizer& n, JVal root, std::string_view inst, bool alwaysSnapshot) {
  bool snapshot = true;
  if (!alwaysSnapshot) {
    std::string_view action;
    TW_TRY(getString(root, "action", action));
    if (action != "snapshot" && action != "update") return Verdict::WrongType;
    snapshot = action == "snapshot";
  }
  uint32_t sym = 0;
  TW_TRY(n.symbol(SymbolRule::Okx, inst, sym));
  return eachObject(root, "data", [&](JVal b) -> Verdict {
    n.clearLevels();
    Opt<int64_t> seq, prevSeq, checksum;
    int64_t ts = 0;
    TW_TRY(textLevels(n, b, "bids", true));
    TW_TRY(textLevels(n, b, "asks", false));
    TW_TRY(optInteger(n, b, "seqId", seq));
    TW_TRY(optInteger(n, b, "prevSeqId", prevSeq));
    TW_TRY(optInteger(n, b, "checksum", checksum));
    TW_TRY(ms(n, b, "ts", ts));
    return n.emitBook(sym, ts, snapshot, seq, prevSeq, checksum);
  });
}

// The first level of `key`: both entries' JSON types are checked later, after
// the other side's structure, as the reference does.
struct FirstLevel {
  std::string_view text[2];
  bool isString[2] = {false, false};
};

Verdict firstLevel(JVal o, std::string_view key, FirstLevel& out) {
  JVal list;
  TW_TRY(getArray(o, key, list));
  if (list->len == 0) return Verdict::MissingField;
  const JVal level = list->firstChild();
  if (level->type != JType::Array) return Verdict::WrongType;
  if (level->len < 2) return Verdict::MissingField;
  const JVal x0 = level->firstChild();
  out.isString[0] = asString(x0, out.text[0]) == Verdict::Ok;
  out.isString[1] = asString(x0->next(), out.text[1]) == Verdict::Ok;
  return Verdict::Ok;
}

Verdict levelValue(Normalizer& n, const FirstLevel& l, size_t k, double& out) {
  if (!l.isString[k]) return Verdict::WrongType;
  n.noteValue(fromNum(parseDecimal(l.text[k], false, out)));
  return Verdict::Ok;
}

// bbo-tbt: the first level of bids and asks.
Verdict bboTbt(Normalizer& n, JVal root, std::string_view inst) {
  uint32_t sym = 0;
  TW_TRY(n.symbol(SymbolRule::Okx, inst, sym));
  return eachObject(root, "data", [&](JVal b) -> Verdict {
    FirstLevel bid, ask;
    double bp = 0, bq = 0, ap = 0, aq = 0;
    int64_t ts = 0;
    TW_TRY(firstLevel(b, "bids", bid));
    TW_TRY(firstLevel(b, "asks", ask));
    TW_TRY(levelValue(n, bid, 0, bp));
    TW_TRY(levelValue(n, bid, 1, bq));
    TW_TRY(levelValue(n, ask, 0, ap));
    TW_TRY(levelValue(n, ask, 1, aq));
    TW_TRY(ms(n, b, "ts", ts));
    return n.emitBbo(sym, ts, bp, bq, ap, aq);
  });
}

Verdict tickers(Normalizer& n, JVal root) {
  return eachObject(root, "data", [&](JVal t) -> Verdict {
    uint32_t sym = 0;
    double bp = 0, bq = 0, ap = 0, aq = 0;
    int64_t ts = 0;
    TW_TRY(symbolField(n, t, "instId", SymbolRule::Okx, sym));
    TW_TRY(qty(n, t, "bidPx", bp));
    TW_TRY(qty(n, t, "bidSz", bq));
    TW_TRY(qty(n, t, "askPx", ap));
    TW_TRY(qty(n, t, "askSz", aq));
    TW_TRY(ms(n, t, "ts", ts));
    return n.emitBbo(sym, ts, bp, bq, ap, aq);
  });
}

enum class DerivKind { Mark, Funding, Index };

// mark-price (markPx), funding-rate (fundingRate, fundingTime), index-tickers (idxPx).
Verdict derivative(Normalizer& n, JVal root, DerivKind kind) {
  return eachObject(root, "data", [&](JVal d) -> Verdict {
    uint32_t sym = 0;
    Opt<double> mark, index, funding;
    Opt<int64_t> next;
    int64_t ts = 0;
    TW_TRY(symbolField(n, d, "instId", SymbolRule::Okx, sym));
    switch (kind) {
      case DerivKind::Mark:
        TW_TRY(qty(n, d, "markPx", mark.value));
        mark.present = true;
        break;
      case DerivKind::Funding:
        TW_TRY(signedQty(n, d, "fundingRate", funding.value));
        funding.present = true;
        TW_TRY(ms(n, d, "fundingTime", next.value));
        next.present = true;
        break;
      case DerivKind::Index:
        TW_TRY(qty(n, d, "idxPx", index.value));
        index.present = true;
        break;
    }
    TW_TRY(ms(n, d, "ts", ts));
    return n.emitDerivative(sym, ts, mark, index, funding, next);
  });
}

Verdict event(Normalizer& n, JVal root) {
  std::string_view event;
  if (!discriminator(root, "event", event)) return Verdict::UnknownMessage;
  if (event == "subscribe") return n.emitStatus(StatusKind::Subscribed);
  if (event == "unsubscribe") return n.emitStatus(StatusKind::Unsubscribed);
  if (event == "error") {
    std::string_view message;
    bool present;
    TW_TRY(optString(root, "msg", message, present));
    return n.emitStatus(StatusKind::VenueError, message, present);
  }
  return Verdict::UnknownMessage;
}

}  // namespace

Verdict okx(Normalizer& n, JVal doc) {
  JVal root;
  TW_TRY(rootObject(doc, root));
  if (has(root, "event")) return event(n, root);
  if (!has(root, "arg")) return Verdict::UnknownMessage;
  std::string_view channel, inst;
  bool isBook, isBbo;
  {
    JVal arg;
    TW_TRY(getObject(root, "arg", arg));
    TW_TRY(getString(arg, "channel", channel));
    isBook = channel == "books" || channel == "books5" || channel == "books-l2-tbt" || channel == "books50-l2-tbt";
    isBbo = channel == "bbo-tbt";
    // Book channels read the action first, then arg.instId: the reference's order.
    if (isBbo) TW_TRY(getString(arg, "instId", inst));
  }
  if (isBook) {
    const bool books5 = channel == "books5";
    if (!books5) {
      std::string_view action;
      TW_TRY(getString(root, "action", action));
      if (action != "snapshot" && action != "update") return Verdict::WrongType;
    }
    JVal arg;
    TW_TRY(getObject(root, "arg", arg));
    TW_TRY(getString(arg, "instId", inst));
    return books(n, root, inst, books5);
  }
  if (channel == "trades" || channel == "trades-all") return trades(n, root);
  if (isBbo) return bboTbt(n, root, inst);
  if (channel == "tickers") return tickers(n, root);
  if (channel == "mark-price") return derivative(n, root, DerivKind::Mark);
  if (channel == "funding-rate") return derivative(n, root, DerivKind::Funding);
  if (channel == "index-tickers") return derivative(n, root, DerivKind::Index);
  return Verdict::UnknownMessage;
}

}  // namespace tickwire::norm::venues
