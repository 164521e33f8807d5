// Coinbase Exchange ws-feed (`coinbase`).
#include "normalize/fields.h"
#include "normalize/scan.h"
#include "venues/venues.h"

#if defined(__AVX2__)
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

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

// ---- the direct scan (normalize/scan.h) of match and l2update messages ----

namespace {

// An order id, a string Coinbase always sends as a 36-character UUID and that
// is not read: its text checked as Cursor::str would (no escape, no control
// character, the closing quote right after it) from two overlapping 32-byte
// loads rather than three 16-byte rounds. Any other length takes str().
[[gnu::always_inline]] inline bool skipOrderId(scan::Cursor& c) {
#if defined(__AVX2__)
  if (c.end - c.p >= 38 && *c.p == '"') {
    const char* text = c.p + 1;
    // Bytes 0-31 of the text, and 5-36: the 37th byte, the only stop, must be the closing quote.
    const uint32_t head = scan::stringStops(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(text)));
    const uint32_t tail = scan::stringStops(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(text + 5)));
    if ((head | (tail ^ (1u << 31))) == 0 && text[36] == '"') {
      c.p = text + 37;
      return true;
    }
  }
#endif
  std::string_view ignored;
  return c.str(ignored);
}

// A string of at most 15 characters (a product id) from one 16-byte load
// rather than str()'s loop; longer ones, and any doubt, take str().
bool shortString(scan::Cursor& c, std::string_view& out) {
#if defined(__SSE2__)
  if (c.end - c.p >= 17 && *c.p == '"') {
    const char* text = c.p + 1;
    const unsigned stops = scan::stringStops(_mm_loadu_si128(reinterpret_cast<const __m128i*>(text)));
    if (stops != 0) {
      const auto length = static_cast<unsigned>(__builtin_ctz(stops));
      if (text[length] == '"') {
        out = std::string_view(text, length);
        c.p = text + length + 1;
        return true;
      }
    }
  }
#endif
  return c.str(out);
}

// `,"side":"buy"|"sell","size":`: the maker's side as two literals (the
// aggressor took the other side, so "buy" means a sell). Any other value,
// escaped text included, is declined.
bool makerSide(scan::Cursor& c, bool& sell) {
  if (c.lit(",\"side\":\"buy\",\"size\":")) {
    sell = true;
    return true;
  }
  if (c.lit(",\"side\":\"sell\",\"size\":")) {
    sell = false;
    return true;
  }
  return false;
}

// `,"time":"…"}` to the frame's end, the last member. The text between the
// quotes needs no string scan: parseRfc3339 accepts only digits and `-T:.Z+`,
// so any text timeValue accepts is a plain string, ended by the quote before
// the final `}` (the last 27 bytes of a frame would otherwise take str()'s
// byte-by-byte tail loop).
bool timeAtEnd(scan::Cursor& c, int64_t& ts) {
  if (!c.lit(",\"time\":\"") || c.end - c.p < 2 || c.end[-2] != '"' || c.end[-1] != '}') return false;
  const std::string_view text(c.p, static_cast<size_t>(c.end - 2 - c.p));
  c.p = c.end;
  return rfc3339Value(text, ts);
}

// c after `{"type":"match",` (or last_match): {"type","trade_id",
// "maker_order_id","taker_order_id","side","size","price","product_id",
// "sequence","time"}, the order Coinbase sends, read straight through.
bool matchLayout(Normalizer& n, scan::Cursor& c, Verdict& verdict) {
  std::string_view id, product, ignored;
  int64_t idValue, ignoredValue, ts;
  double price, size;
  bool sell;
  if (!c.lit("\"trade_id\":") || !c.plainInt(id, idValue) || !c.lit(",\"maker_order_id\":") || !skipOrderId(c) ||
      !c.lit(",\"taker_order_id\":") || !skipOrderId(c) || !makerSide(c, sell) || !c.decimalString(size) ||
      !c.lit(",\"price\":") || !c.decimalString(price) || !c.lit(",\"product_id\":") || !shortString(c, product) ||
      !c.lit(",\"sequence\":") || !c.plainInt(ignored, ignoredValue) || !timeAtEnd(c, ts)) {
    return false;
  }
  uint32_t sym = 0;
  verdict = n.symbol(SymbolRule::Dashed, product, sym);
  if (verdict == Verdict::Ok) verdict = n.emitTrade(sym, ts, price, size, sell, id);
  return true;
}

// [["buy"|"sell","price","size"], …], pushed in the order sent (as the general path does).
bool scanChanges(Normalizer& n, scan::Cursor& c) {
  return scan::array(c, [&]() -> bool {
    std::string_view side;
    double px, qty;
    Fixed pxFixed, qtyFixed;
    if (!c.eat('[') || !c.str(side) || !c.eat(',') || !c.levelString(px, pxFixed) || !c.eat(',') ||
        !c.levelString(qty, qtyFixed)) {
      return false;
    }
    while (c.eat(',')) {
      if (!c.scalar()) return false;
    }
    if (!c.eat(']')) return false;
    bool bid;
    if (side == "buy") {
      bid = true;
    } else if (side == "sell") {
      bid = false;
    } else {
      return false;
    }
    n.pushLevel(bid, px, qty, pxFixed, qtyFixed);
    return true;
  });
}

// c after `{"type":"l2update",`: then "product_id", and "changes" and "time"
// in either order (the feed has sent both). False (levels possibly pushed):
// the frame is not in this layout.
bool l2updateLayout(Normalizer& n, scan::Cursor& c, Verdict& verdict) {
  std::string_view product, time;
  int64_t ts;
  if (!c.lit("\"product_id\":") || !c.str(product)) return false;
  if (c.lit(",\"changes\":")) {
    if (!scanChanges(n, c) || !c.lit(",\"time\":") || !c.str(time)) return false;
  } else if (!c.lit(",\"time\":") || !c.str(time) || !c.lit(",\"changes\":") || !scanChanges(n, c)) {
    return false;
  }
  if (!c.eat('}') || !c.atEnd() || !rfc3339Value(time, ts)) return false;
  const Opt<int64_t> none;
  uint32_t sym = 0;
  verdict = n.symbol(SymbolRule::Dashed, product, sym);
  if (verdict == Verdict::Ok) verdict = n.emitBook(sym, ts, false, none, none, none);
  return true;
}

}  // namespace

bool coinbaseScan(Normalizer& n, const char* text, size_t length, Verdict& verdict) {
  scan::Cursor c{text, text + length, text};
  // The type as whole literals: a match is the hottest message (str() and
  // two string compares cost more than the two loads of each literal).
  if (c.lit("{\"type\":\"match\",") || c.lit("{\"type\":\"last_match\",")) return matchLayout(n, c, verdict);
  std::string_view type;
  if (!c.lit("{\"type\":") || !c.str(type) || !c.eat(',') || type != "l2update") return false;
  if (l2updateLayout(n, c, verdict)) return true;
  n.clearLevels();
  return false;
}

}  // namespace tickwire::norm::venues
