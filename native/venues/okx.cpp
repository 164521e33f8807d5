// OKX v5 public (`okx`): {arg: {channel, instId}, action?, data: [...]}.
// Times are millisecond decimal strings; the text `pong` is handled by the
// normalizer before JSON parsing.
#include <new>

#include "normalize/fields.h"
#include "normalize/scan.h"
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

// ---- the direct scan (normalize/scan.h) of trades and book messages ----

namespace {

// `"1652459199958"`: a time as OKX sends it (a string of milliseconds), read
// as msValue reads one.
bool msString(scan::Cursor& c, int64_t& us) {
  std::string_view token;
  int64_t ms;
  return c.eat('"') && c.plainInt(token, ms) && c.eat('"') && scan::msValue(ms, true, us);
}

// integerValue of a plain (at most 15 digit) integer, sign allowed: checksums are negative half the time.
bool signedInt(scan::Cursor& c, int64_t& out) {
  std::string_view token;
  const bool negative = c.eat('-');
  if (!c.plainInt(token, out)) return false;
  if (negative) out = -out;
  return true;
}

// A value nobody reads: OKX's are mostly a few digits in quotes (a level's
// "0" and order count, a trade's count), skipped byte by byte; any other
// scalar by scalar().
bool skipValue(scan::Cursor& c) {
  const char* p = c.p;
  if (p < c.end && *p == '"') {
    ++p;
    while (p < c.end && isDigit(*p)) ++p;
    if (p < c.end && *p == '"') {
      c.p = p + 1;
      return true;
    }
  }
  return c.scalar();
}

struct Trade {
  std::string_view inst, id;
  double px, sz;
  int64_t ts;
  bool sell;
};
constexpr size_t kMaxScannedTrades = 16;
// Room for a frame's trades, each constructed as it is scanned: an array of
// Trade would construct all 16 (32 string_views) for every frame.
union TradeSlots {
  TradeSlots() {}
  Trade at[kMaxScannedTrades];
};

// A key read by tradeLayout: all are at most 8 bytes, and keys hold no NUL,
// so the word alone tells them.
bool isTradeKey(std::string_view k, uint64_t word) {
  static constexpr uint64_t kRead[] = {keyWord("instId"), keyWord("tradeId"), keyWord("px"),
                                       keyWord("sz"),     keyWord("side"),    keyWord("ts")};
  if (k.size() > 8) return false;
  for (uint64_t read : kRead) {
    if (word == read) return true;
  }
  return false;
}

// {"instId","tradeId","px","sz","side","ts"[,"count"][,"seqId"], then any
// other members nobody reads}: OKX's order, read straight through.
bool tradeLayout(scan::Cursor& c, Trade& t) {
  std::string_view side;
  if (!c.lit("{\"instId\":") || !c.str(t.inst) || !c.lit(",\"tradeId\":") || !c.str(t.id) || !c.lit(",\"px\":") ||
      !c.decimalString(t.px) || !c.lit(",\"sz\":") || !c.decimalString(t.sz) || !c.lit(",\"side\":") || !c.str(side) ||
      !c.lit(",\"ts\":") || !msString(c, t.ts)) {
    return false;
  }
  if (side == "buy") {
    t.sell = false;
  } else if (side == "sell") {
    t.sell = true;
  } else {
    return false;
  }
  std::string_view ignored;
  int64_t ignoredValue;
  if (c.lit(",\"count\":") && !skipValue(c)) return false;
  if (c.lit(",\"seqId\":") && !c.plainInt(ignored, ignoredValue) && !c.scalar()) return false;
  // A later copy of a key read above would win in the general path.
  while (c.eat(',')) {
    std::string_view k;
    uint64_t word;
    if (!c.key(k, word) || isTradeKey(k, word) || !c.scalar()) return false;
  }
  return c.eat('}');
}

// c after `"data":`.
bool tradesScan(Normalizer& n, scan::Cursor& c, Verdict& verdict) {
  TradeSlots slots;
  Trade* const trades = slots.at;
  size_t count = 0;
  const bool ok = scan::array(
      c, [&]() -> bool { return count < kMaxScannedTrades && tradeLayout(c, *new (&trades[count++]) Trade); });
  if (!ok || !c.eat('}') || !c.atEnd()) return false;
  verdict = Verdict::Ok;
  for (size_t k = 0; k < count && verdict == Verdict::Ok; ++k) {
    uint32_t sym = 0;
    verdict = n.symbol(SymbolRule::Okx, trades[k].inst, sym);
    if (verdict == Verdict::Ok) {
      verdict = n.emitTrade(sym, trades[k].ts, trades[k].px, trades[k].sz, trades[k].sell, trades[k].id);
    }
  }
  return true;
}

// OKX sends asks before bids, and the general path pushes bids first (the
// book stage applies levels in push order): the asks wait here, as plain
// fields so that the array costs nothing to set up. A frame with more (a
// 400-level snapshot) takes the general path.
struct HeldLevel {
  double px, qty;
  int64_t pxMantissa, qtyMantissa;
  int8_t pxExponent, qtyExponent;
};
constexpr size_t kMaxHeldAsks = 128;

// [["px","sz","0","orders"], …]: the first two entries decimals the general
// path accepts, the others any scalars. take(px, qty, pxFixed, qtyFixed)
// false stops the scan.
template <typename Fn>
bool scanLevels(scan::Cursor& c, Fn&& take) {
  return scan::array(c, [&]() -> bool {
    double px, qty;
    Fixed pxFixed, qtyFixed;
    if (!c.eat('[') || !c.levelString(px, pxFixed) || !c.eat(',') || !c.levelString(qty, qtyFixed)) return false;
    while (c.eat(',')) {
      if (!skipValue(c)) return false;
    }
    return c.eat(']') && take(px, qty, pxFixed, qtyFixed);
  });
}

// `,"key":N` when it comes next (then N must be a plain integer).
template <size_t K>
bool optInt(scan::Cursor& c, const char (&member)[K], Opt<int64_t>& out) {
  if (!c.lit(member)) return true;
  out.present = true;
  return signedInt(c, out.value);
}

// c after `"data":`: exactly one book, {"asks","bids"[,"instId"],"ts"
// [,"checksum"][,"prevSeqId"][,"seqId"]}, OKX's order. False (levels possibly
// pushed): the frame is not in this layout.
bool bookScan(Normalizer& n, scan::Cursor& c, std::string_view inst, bool snapshot, Verdict& verdict) {
  HeldLevel asks[kMaxHeldAsks];
  size_t askCount = 0;
  const auto holdAsk = [&](double px, double qty, const Fixed& pxFixed, const Fixed& qtyFixed) {
    if (askCount == kMaxHeldAsks) return false;
    asks[askCount++] = HeldLevel{px, qty, pxFixed.mantissa, qtyFixed.mantissa, pxFixed.exponent, qtyFixed.exponent};
    return true;
  };
  const auto pushBid = [&](double px, double qty, const Fixed& pxFixed, const Fixed& qtyFixed) {
    n.pushLevel(true, px, qty, pxFixed, qtyFixed);
    return true;
  };
  std::string_view ignored;
  int64_t ts;
  Opt<int64_t> seq, prevSeq, checksum;
  if (!c.lit("[{\"asks\":") || !scanLevels(c, holdAsk) || !c.lit(",\"bids\":") || !scanLevels(c, pushBid)) {
    return false;
  }
  if (c.lit(",\"instId\":") && !c.str(ignored)) return false;
  if (!c.lit(",\"ts\":") || !msString(c, ts) || !optInt(c, ",\"checksum\":", checksum) ||
      !optInt(c, ",\"prevSeqId\":", prevSeq) || !optInt(c, ",\"seqId\":", seq) || !c.lit("}]}") || !c.atEnd()) {
    return false;
  }
  for (size_t k = 0; k < askCount; ++k) {
    const HeldLevel& a = asks[k];
    n.pushLevel(false, a.px, a.qty, Fixed{a.pxMantissa, a.pxExponent}, Fixed{a.qtyMantissa, a.qtyExponent});
  }
  uint32_t sym = 0;
  verdict = n.symbol(SymbolRule::Okx, inst, sym);
  if (verdict == Verdict::Ok) verdict = n.emitBook(sym, ts, snapshot, seq, prevSeq, checksum);
  return true;
}

// {"arg":{"channel","instId"}[,"action"],"data":[…]}: the order OKX sends.
bool layoutScan(Normalizer& n, const char* text, size_t length, Verdict& verdict) {
  scan::Cursor c{text, text + length, text};
  std::string_view channel, inst;
  if (!c.lit("{\"arg\":{\"channel\":") || !c.str(channel) || !c.lit(",\"instId\":") || !c.str(inst) || !c.lit("},\"")) {
    return false;
  }
  if (channel == "trades" || channel == "trades-all") return c.lit("data\":") && tradesScan(n, c, verdict);
  bool snapshot = true;
  if (channel == "books" || channel == "books-l2-tbt" || channel == "books50-l2-tbt") {
    std::string_view action;
    if (!c.lit("action\":") || !c.str(action) || !c.lit(",\"")) return false;
    if (action == "update") {
      snapshot = false;
    } else if (action != "snapshot") {
      return false;
    }
  } else if (channel != "books5") {  // books5: always a snapshot, no action
    return false;
  }
  return c.lit("data\":") && bookScan(n, c, inst, snapshot, verdict);
}

}  // namespace

bool okxScan(Normalizer& n, const char* text, size_t length, Verdict& verdict) {
  if (layoutScan(n, text, length, verdict)) return true;
  n.clearLevels();
  return false;
}

}  // namespace tickwire::norm::venues
