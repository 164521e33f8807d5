// Quote-driven signals of one instrument: bbo, depth_imbalance and ofi
// (docs/signals.md). Pure computations over a top of book; SignalEngine owns
// the state and writes the records.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "signals/signal_records.h"

namespace tickwire::signals {

struct Top {
  double bidPx = 0;
  double bidQty = 0;
  double askPx = 0;
  double askQty = 0;
};

// A side is present when its price and quantity are finite and > 0. Inline:
// every top and every nbbo venue asks.
inline bool positive(double v) { return std::isfinite(v) && v > 0; }
inline bool bidPresent(const Top& t) { return positive(t.bidPx) && positive(t.bidQty); }
inline bool askPresent(const Top& t) { return positive(t.askPx) && positive(t.askQty); }
inline bool twoSided(const Top& t) { return bidPresent(t) && askPresent(t); }
inline bool sameTop(const Top& a, const Top& b) {
  return a.bidPx == b.bidPx && a.bidQty == b.bidQty && a.askPx == b.askPx && a.askQty == b.askQty;
}

// Fills the bbo fields of a two-sided top (every denominator is > 0 then).
void fillBbo(const Top& t, records::BboSignal& out);

// Cont–Kukanov–Stoikov order-flow event between two consecutive two-sided tops.
double ofiEvent(const Top& prev, const Top& cur);

// Σ of the first min(n, levels) quantities.
double sumLevels(const double* qty, size_t n, uint32_t levels);

}  // namespace tickwire::signals
