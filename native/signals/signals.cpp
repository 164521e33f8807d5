#include "signals/signals.h"

#include <bit>
#include <cmath>
#include <cstring>

#include "normalize/normalizer.h"
#include "normalize/records.h"

namespace tickwire::signals {

namespace {

constexpr uint32_t kVenueSlots = 8;
// Venue codes index the slots directly (code & 7): a new venue past code 7 needs more slots.
static_assert(norm::kOkx < kVenueSlots, "venue codes must fit the per-symbol venue slots");

bool finite(std::initializer_list<double> values) {
  for (const double v : values) {
    if (!std::isfinite(v)) return false;
  }
  return true;
}

std::vector<int64_t> positiveOnly(const std::vector<int64_t>& values) {
  std::vector<int64_t> out;
  for (const int64_t v : values) {
    if (v > 0) out.push_back(v);
  }
  return out;
}

uint64_t toNs(int64_t us) { return us > 0 ? static_cast<uint64_t>(us) * 1000u : 0u; }

constexpr uint32_t rec(uint32_t payload) { return ring::recordBytes(payload); }

size_t slotKey(uint16_t venue, uint32_t sym) {
  return static_cast<size_t>(sym) * kVenueSlots + (venue & (kVenueSlots - 1));
}

}  // namespace

struct SignalEngine::Instrument {
  Instrument(uint16_t v, uint32_t s, const SignalConfig& c, uint32_t retain) : venue(v), symbol(s), ofi(c.ofiWindowUs) {
    windows.reserve(c.tradeWindowsUs.size());
    for (const int64_t w : c.tradeWindowsUs) windows.emplace_back(w);
    emas.reserve(c.emaHalfLivesUs.size());
    for (const int64_t h : c.emaHalfLivesUs) emas.emplace_back(h);
    bars.reserve(c.barIntervalsUs.size());
    for (const int64_t i : c.barIntervalsUs) {
      const int64_t n = retain == 0 ? 0 : (c.reviseHorizonUs + i - 1) / i;
      bars.emplace_back(i, retain == 0 ? 0u : static_cast<uint32_t>(n < 1 ? 1 : n));
    }
  }

  uint16_t venue;
  uint32_t symbol;
  uint8_t book = kBookUnknown;

  // Quotes: the last top seen and whether it came while the book was VALID.
  bool hasTop = false;
  bool topValid = false;
  Top top;
  int64_t quoteRecv = 0;
  bool ofiHasPrev = false;
  Top ofiPrev;
  SumWindow ofi;
  bool hasDepth = false;
  bool depthValid = false;
  double depthBid = 0;
  double depthAsk = 0;
  BasisLast basis;  // per-venue basis, kept on the spot instrument

  // Trades.
  std::vector<TradeWindow> windows;
  SquaredLogReturn ret2;  // shared by the windows
  std::vector<Ema> emas;
  std::vector<BarSeries> bars;
  bool hasTrades = false;
  int64_t maxTradeTs = 0;
  int64_t idleWatermark = INT64_MIN;
  int64_t lastTradeClock = 0;
};

SignalEngine::SignalEngine(const SignalConfig& config) : config_(config) {
  config_.tradeWindowsUs = positiveOnly(config.tradeWindowsUs);
  config_.emaHalfLivesUs = positiveOnly(config.emaHalfLivesUs);
  config_.barIntervalsUs = positiveOnly(config.barIntervalsUs);
  if (config_.ofiWindowUs <= 0) config_.ofiWindowUs = 1'000'000;
  if (config_.latenessUs < 0) config_.latenessUs = 0;
  if (config_.depthLevels == 0) config_.depthLevels = 1;
  retainBars_ = config_.latePolicy == LatePolicy::Revise ? 1 : 0;
  if (config_.reviseHorizonUs < 0) config_.reviseHorizonUs = 0;

  uint32_t barBytes = 0;
  for (const int64_t i : config_.barIntervalsUs) {
    // Open bars of one interval: those ending within lateness of the max ts, plus the current one.
    const int64_t open = config_.latenessUs / i + 2;
    barBytes += static_cast<uint32_t>(open) * rec(sizeof(records::BarSignal));
  }
  const uint32_t trade = static_cast<uint32_t>(config_.tradeWindowsUs.size()) * rec(sizeof(records::TradeStatsSignal)) +
                         static_cast<uint32_t>(config_.emaHalfLivesUs.size()) * rec(sizeof(records::EmaSignal)) +
                         barBytes;
  const uint32_t top = rec(sizeof(records::BboSignal)) + rec(sizeof(records::OfiSignal)) +
                       rec(sizeof(records::NbboSignal)) + 2 * rec(sizeof(records::BasisSignal));
  headroom_ = trade > top ? trade : top;
}

SignalEngine::~SignalEngine() = default;

SignalEngine::Symbol& SignalEngine::addSymbol(uint32_t id) {
  if (id >= symbols_.size()) symbols_.resize(static_cast<size_t>(id) + 1);
  return symbols_[id];
}

// Hot-path helpers used only in this file are defined `inline`: the library is
// compiled with -fPIC, where GCC does not inline a function the dynamic linker
// could interpose, and their callers run for every event. instrument() keeps
// just the lookup; creation is addInstrument().
inline SignalEngine::Instrument& SignalEngine::instrument(uint16_t venue, uint32_t sym) {
  const size_t key = slotKey(venue, sym);
  if (key < slotOf_.size() && slotOf_[key] != 0) return *instruments_[slotOf_[key] - 1];
  return addInstrument(venue, sym);
}

SignalEngine::Instrument& SignalEngine::addInstrument(uint16_t venue, uint32_t sym) {
  const size_t key = slotKey(venue, sym);
  if (key >= slotOf_.size()) slotOf_.resize(key + 1, 0);
  // First sight of this instrument: the only allocation it causes.
  instruments_.push_back(std::make_unique<Instrument>(venue, sym, config_, retainBars_));
  slotOf_[key] = static_cast<uint32_t>(instruments_.size());
  Symbol& s = addSymbol(sym);
  const uint32_t slot = venue & (kVenueSlots - 1);
  s.inst[slot] = slotOf_[key];
  if (slot != 0) s.nbboSlots |= 1u << slot;
  return *instruments_.back();
}

inline SignalEngine::Instrument* SignalEngine::find(uint16_t venue, uint32_t sym) {
  const size_t key = slotKey(venue, sym);
  if (key >= slotOf_.size() || slotOf_[key] == 0) return nullptr;
  return instruments_[slotOf_[key] - 1].get();
}

void SignalEngine::setSymbolText(uint32_t id, std::string_view text) {
  addSymbol(id);
  std::string key(text);
  constexpr std::string_view kPerp = "-PERP";
  auto pair = [this](uint32_t spot, uint32_t perp) {
    Symbol& s = symbol(spot);
    s.hasPair = true;
    s.isPerp = false;
    s.pair = perp;
    Symbol& p = symbol(perp);
    p.hasPair = true;
    p.isPerp = true;
    p.pair = spot;
  };
  if (text.size() > kPerp.size() && text.substr(text.size() - kPerp.size()) == kPerp) {
    const auto it = symbolIds_.find(std::string(text.substr(0, text.size() - kPerp.size())));
    if (it != symbolIds_.end()) pair(it->second, id);
  } else {
    const auto it = symbolIds_.find(key + std::string(kPerp));
    if (it != symbolIds_.end()) pair(id, it->second);
  }
  symbolIds_[std::move(key)] = id;
}

template <typename P>
void SignalEngine::write(ring::Writer& out, uint16_t type, uint16_t venue, uint32_t sym, bool valid, uint64_t recvNs,
                         const P& payload, bool isFinite) {
  if (!isFinite) {
    ++stats_.nonFinite;
    return;
  }
  uint8_t* dst = out.reserve(sizeof(P), ring::RecordMeta{type, venue, sym, valid ? records::kSignalValid : 0u, recvNs});
  if (dst == nullptr) {
    ++stats_.lostRecords;
    return;
  }
  std::memcpy(dst, &payload, sizeof(P));
  out.commitLocal();
  ++stats_.records;
}

inline bool SignalEngine::setBook(Instrument& in, bool valid) {
  const uint8_t next = valid ? kBookValid : kBookInvalid;
  const bool changed = in.book != next;
  in.book = next;
  if (!valid) {
    in.topValid = false;
    in.ofiHasPrev = false;
  }
  return changed;
}

inline bool SignalEngine::quoteValid(const Instrument& in) const { return in.book == kBookValid && in.topValid; }

inline int64_t SignalEngine::watermark(const Instrument& in) const {
  const int64_t byEvents = in.hasTrades ? in.maxTradeTs - config_.latenessUs : INT64_MIN;
  return byEvents > in.idleWatermark ? byEvents : in.idleWatermark;
}

// ---------------------------------------------------------------- trades

void SignalEngine::onTrade(uint16_t venue, uint32_t sym, int64_t tsUs, int64_t recvUs, double price, double qty,
                           bool sell, ring::Writer& out) {
  if (!(std::isfinite(price) && price > 0 && std::isfinite(qty) && qty > 0)) {
    ++stats_.ignoredTrades;
    return;
  }
  const int64_t t = tsUs == records::kNullTs ? recvUs : tsUs;
  const uint64_t recvNs = toNs(recvUs);
  Instrument& in = instrument(venue, sym);
  const bool valid = in.book != kBookInvalid;

  for (TradeWindow& w : in.windows) {
    w.add(t, price, qty, sell, in.ret2);
    records::TradeStatsSignal s{};
    if (!w.fill(s)) continue;
    s.emitTs = now_;
    write(out, records::kSignalTradeStats, venue, sym, valid, recvNs, s,
          finite({s.vwap, s.volume, s.buyVolume, s.sellVolume, s.tfi, s.rv}));
  }
  for (Ema& e : in.emas) {
    e.add(t, price);
    const records::EmaSignal s{e.ts(), now_, e.halfLife(), e.value()};
    write(out, records::kSignalEma, venue, sym, valid, recvNs, s, finite({s.value}));
  }

  in.lastTradeClock = now_;
  if (in.hasTrades && t < watermark(in)) {
    ++stats_.lateTrades;
    if (config_.latePolicy == LatePolicy::Drop) {
      ++stats_.lateDropped;
      return;
    }
    const int64_t wm = watermark(in);
    bool kept = false;
    for (BarSeries& b : in.bars) {
      Bar bar;
      switch (b.revise(t, price, qty, wm, bar)) {
        case LateOutcome::Revised:
          ++stats_.barRevisions;
          emitBar(in, b, bar, recvNs, out);
          kept = true;
          break;
        case LateOutcome::MergedIntoOpenBar:
          kept = true;
          break;
        case LateOutcome::TooOld:
          break;
      }
    }
    if (!kept) ++stats_.lateDropped;
    return;
  }
  for (BarSeries& b : in.bars) b.add(t, price, qty);
  if (!in.hasTrades || t > in.maxTradeTs) in.maxTradeTs = t;
  in.hasTrades = true;
  finalizeBars(in, recvNs, out);
}

void SignalEngine::emitBar(const Instrument& in, const BarSeries& series, const Bar& bar, uint64_t recvNs,
                           ring::Writer& out) {
  records::BarSignal s{};
  s.ts = bar.start;
  s.emitTs = now_;
  s.interval = series.interval();
  s.start = bar.start;
  s.end = bar.start + series.interval();
  s.open = bar.open;
  s.high = bar.high;
  s.low = bar.low;
  s.close = bar.close;
  s.volume = bar.volume;
  s.vwap = bar.pv / bar.volume;
  s.trades = bar.trades;
  s.revision = bar.revision;
  write(out, records::kSignalBar, in.venue, in.symbol, in.book != kBookInvalid, recvNs, s,
        finite({s.open, s.high, s.low, s.close, s.volume, s.vwap}));
}

inline void SignalEngine::finalizeBars(Instrument& in, uint64_t recvNs, ring::Writer& out) {
  const int64_t wm = watermark(in);
  Bar bar;  // once, not per series: almost always no bar is final
  for (BarSeries& b : in.bars) {
    while (b.popFinal(wm, bar)) emitBar(in, b, bar, recvNs, out);
  }
}

void SignalEngine::advanceIdle(int64_t nowUs, ring::Writer& out) {
  now_ = nowUs;
  if (config_.idleTimeoutUs <= 0) return;
  for (const auto& p : instruments_) {
    Instrument& in = *p;
    if (!in.hasTrades) continue;
    const int64_t idle = nowUs - in.lastTradeClock;
    if (idle < config_.idleTimeoutUs) continue;
    const int64_t wm = in.maxTradeTs + idle - config_.latenessUs;
    if (wm <= in.idleWatermark) continue;
    in.idleWatermark = wm;
    finalizeBars(in, toNs(nowUs), out);
  }
}

void SignalEngine::flush(ring::Writer& out) {
  for (const auto& p : instruments_) {
    Instrument& in = *p;
    if (!in.hasTrades) continue;
    if (in.maxTradeTs > in.idleWatermark) in.idleWatermark = in.maxTradeTs;
    finalizeBars(in, toNs(now_), out);
  }
}

// ---------------------------------------------------------------- quotes

void SignalEngine::onTop(uint16_t venue, uint32_t sym, int64_t tsUs, int64_t recvUs, double bidPx, double bidQty,
                         double askPx, double askQty, bool bookValid, ring::Writer& out) {
  const int64_t t = tsUs == records::kNullTs ? recvUs : tsUs;
  const uint64_t recvNs = toNs(recvUs);
  Instrument& in = instrument(venue, sym);
  const Top top{bidPx, bidQty, askPx, askQty};
  const bool prevValid = in.topValid;
  setBook(in, bookValid);
  const bool changed = !in.hasTop || !sameTop(in.top, top) || prevValid != bookValid;
  in.hasTop = true;
  in.top = top;
  in.topValid = bookValid;
  in.quoteRecv = recvUs;

  if (changed) {
    if (twoSided(top)) {
      records::BboSignal s{};
      s.ts = t;
      s.emitTs = now_;
      fillBbo(top, s);
      write(out, records::kSignalBbo, venue, sym, bookValid, recvNs, s,
            finite({s.bidPx, s.bidQty, s.askPx, s.askQty, s.mid, s.spreadBps, s.microprice, s.imbalance}));
    }
    if (bookValid && twoSided(top)) {
      if (in.ofiHasPrev) {
        in.ofi.add(t, ofiEvent(in.ofiPrev, top));
        const records::OfiSignal s{in.ofi.maxTs(), now_, in.ofi.window(), in.ofi.sum()};
        write(out, records::kSignalOfi, venue, sym, true, recvNs, s, finite({s.value}));
      }
      in.ofiPrev = top;
      in.ofiHasPrev = true;
    } else {
      in.ofiHasPrev = false;
    }
  }

  Symbol& s = symbol(sym);
  s.lastTs = t;
  s.lastRecv = recvUs;
  consolidate(sym, t, recvUs, recvNs, out);
  venueBasis(in, t, recvNs, out);
}

void SignalEngine::onDepth(uint16_t venue, uint32_t sym, int64_t tsUs, int64_t recvUs, const double* bidQty, size_t nb,
                           const double* askQty, size_t na, bool bookValid, ring::Writer& out) {
  const int64_t t = tsUs == records::kNullTs ? recvUs : tsUs;
  const uint64_t recvNs = toNs(recvUs);
  Instrument& in = instrument(venue, sym);
  const bool stateChanged = setBook(in, bookValid);
  in.quoteRecv = recvUs;
  const double b = sumLevels(bidQty, nb, config_.depthLevels);
  const double a = sumLevels(askQty, na, config_.depthLevels);
  const bool changed = !in.hasDepth || b != in.depthBid || a != in.depthAsk || bookValid != in.depthValid;
  in.hasDepth = true;
  in.depthBid = b;
  in.depthAsk = a;
  in.depthValid = bookValid;
  if (changed && b + a > 0) {
    const records::DepthImbalanceSignal s{t, now_, config_.depthLevels, 0, (b - a) / (b + a)};
    write(out, records::kSignalDepthImbalance, venue, sym, bookValid, recvNs, s, finite({s.value}));
  }
  if (stateChanged) {
    Symbol& sy = symbol(sym);
    consolidate(sym, sy.lastTs, sy.lastRecv, recvNs, out);
    venueBasis(in, sy.lastTs, recvNs, out);
  }
}

void SignalEngine::onBookState(uint16_t venue, uint32_t sym, bool valid) { setBook(instrument(venue, sym), valid); }

void SignalEngine::onBookState(uint16_t venue, uint32_t sym, bool valid, ring::Writer& out) {
  Instrument& in = instrument(venue, sym);
  if (!setBook(in, valid)) return;
  Symbol& s = symbol(sym);
  const uint64_t recvNs = toNs(s.lastRecv);
  consolidate(sym, s.lastTs, s.lastRecv, recvNs, out);
  venueBasis(in, s.lastTs, recvNs, out);
}

// ---------------------------------------------------------------- consolidated

void SignalEngine::consolidate(uint32_t sym, int64_t ts, int64_t refRecv, uint64_t recvNs, ring::Writer& out) {
  Symbol& s = symbol(sym);
  Nbbo n;
  // The symbol's venues in ascending order (offer() needs it), skipping empty slots.
  for (uint32_t slots = s.nbboSlots; slots != 0; slots &= slots - 1) {
    const Instrument& in = *instruments_[s.inst[std::countr_zero(slots)] - 1];
    if (!in.hasTop || !quoteValid(in)) continue;
    if (config_.quoteStaleUs > 0 && in.quoteRecv < refRecv - config_.quoteStaleUs) continue;
    offer(n, in.venue, in.top);
  }
  const bool changed = !s.nbboEmitted || !sameNbbo(n, s.nbbo);
  if (changed && (s.nbboEmitted || n.valid())) {
    records::NbboSignal r{};
    r.ts = ts;
    r.emitTs = now_;
    fillNbbo(n, r);
    write(out, records::kSignalNbbo, 0, sym, n.valid(), recvNs, r,
          finite({r.bidPx, r.bidQty, r.askPx, r.askQty, r.crossBps}));
    s.nbboEmitted = true;
    s.nbbo = n;
  }
  if (s.hasPair) {
    if (s.isPerp) {
      consolidatedBasis(s.pair, sym, ts, recvNs, out);
    } else {
      consolidatedBasis(sym, s.pair, ts, recvNs, out);
    }
  }
}

void SignalEngine::consolidatedBasis(uint32_t spot, uint32_t perp, int64_t ts, uint64_t recvNs, ring::Writer& out) {
  Symbol& s = symbol(spot);
  const Symbol& p = symbol(perp);
  BasisLast next = s.basis;
  if (s.nbboEmitted && s.nbbo.valid() && p.nbboEmitted && p.nbbo.valid()) {
    next.valid = true;
    next.spotMid = (s.nbbo.bidPx + s.nbbo.askPx) / 2;
    next.perpMid = (p.nbbo.bidPx + p.nbbo.askPx) / 2;
  } else {
    if (!s.basis.emitted) return;
    next.valid = false;
  }
  if (s.basis.emitted && next.valid == s.basis.valid && next.spotMid == s.basis.spotMid &&
      next.perpMid == s.basis.perpMid) {
    return;
  }
  next.emitted = true;
  s.basis = next;
  const records::BasisSignal r{ts, now_, next.spotMid, next.perpMid, basisBps(next.spotMid, next.perpMid), perp, 0, 0};
  write(out, records::kSignalBasis, 0, spot, next.valid, recvNs, r, finite({r.spotMid, r.perpMid, r.bps}));
}

void SignalEngine::venueBasis(Instrument& in, int64_t ts, uint64_t recvNs, ring::Writer& out) {
  const Symbol& s = symbol(in.symbol);
  if (!s.hasPair) return;
  Instrument* spot = &in;
  Instrument* perp = &in;
  if (s.isPerp) {
    spot = find(spotVenueFor(in.venue), s.pair);
  } else {
    perp = find(perpVenueFor(in.venue), s.pair);
  }
  if (spot == nullptr || perp == nullptr) return;
  if (!spot->hasTop || !perp->hasTop || !twoSided(spot->top) || !twoSided(perp->top)) return;
  BasisLast next;
  next.emitted = true;
  next.valid = quoteValid(*spot) && quoteValid(*perp);
  next.spotMid = midOf(spot->top);
  next.perpMid = midOf(perp->top);
  const BasisLast& last = spot->basis;
  if (last.emitted && last.valid == next.valid && last.spotMid == next.spotMid && last.perpMid == next.perpMid) return;
  spot->basis = next;
  const records::BasisSignal r{
      ts,           now_,        next.spotMid, next.perpMid, basisBps(next.spotMid, next.perpMid),
      perp->symbol, spot->venue, perp->venue};
  write(out, records::kSignalBasis, spot->venue, spot->symbol, next.valid, recvNs, r,
        finite({r.spotMid, r.perpMid, r.bps}));
}

}  // namespace tickwire::signals
