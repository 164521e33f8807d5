// Cross-venue signals of one canonical symbol: nbbo over the venues' tops and
// the spot/perp basis (docs/signals.md). Pure computations; SignalEngine
// decides which venues are eligible (VALID book, top delivered while VALID,
// not stale) and writes the records.
#pragma once

#include <cstdint>

#include "signals/quote.h"
#include "signals/signal_records.h"

namespace tickwire::signals {

struct Nbbo {
  double bidPx = 0;
  double bidQty = 0;
  double askPx = 0;
  double askQty = 0;
  uint16_t bidVenue = 0;  // 0: no venue contributes this side
  uint16_t askVenue = 0;
  bool valid() const { return bidVenue != 0 && askVenue != 0; }
};

// Offers one eligible venue's top. Call in ascending venue order: the best
// price wins, then the larger quantity, then the lower venue code. Inline, as
// sameNbbo: every top update of the symbol runs them.
inline void offer(Nbbo& n, uint16_t venue, const Top& t) {
  if (bidPresent(t) && (n.bidVenue == 0 || t.bidPx > n.bidPx || (t.bidPx == n.bidPx && t.bidQty > n.bidQty))) {
    n.bidPx = t.bidPx;
    n.bidQty = t.bidQty;
    n.bidVenue = venue;
  }
  if (askPresent(t) && (n.askVenue == 0 || t.askPx < n.askPx || (t.askPx == n.askPx && t.askQty > n.askQty))) {
    n.askPx = t.askPx;
    n.askQty = t.askQty;
    n.askVenue = venue;
  }
}
inline bool sameNbbo(const Nbbo& a, const Nbbo& b) {
  return a.bidPx == b.bidPx && a.bidQty == b.bidQty && a.askPx == b.askPx && a.askQty == b.askQty &&
         a.bidVenue == b.bidVenue && a.askVenue == b.askVenue;
}
void fillNbbo(const Nbbo& n, records::NbboSignal& out);

// The venue pairing for per-venue basis: Binance spot (1) pairs with
// binance-futures (2); every other venue lists its perps itself.
inline uint16_t perpVenueFor(uint16_t spotVenue) { return spotVenue == 1 ? 2 : spotVenue; }
inline uint16_t spotVenueFor(uint16_t perpVenue) { return perpVenue == 2 ? 1 : perpVenue; }

struct BasisLast {
  bool emitted = false;
  bool valid = false;
  double spotMid = 0;
  double perpMid = 0;
};

inline double midOf(const Top& t) { return (t.bidPx + t.askPx) / 2; }
inline double basisBps(double spotMid, double perpMid) { return (perpMid - spotMid) / spotMid * 10000; }

}  // namespace tickwire::signals
