// Trade-driven signals of one instrument: trade_stats over sliding event-time
// windows and the time-decay EMA of the trade price (docs/signals.md).
#pragma once

#include <cstddef>
#include <cstdint>

#include "signals/signal_records.h"
#include "signals/windows.h"

namespace tickwire::signals {

// Trades with ts in (T − window, T], T = the largest trade ts added. Sums are
// kept sorted by ts, so an out-of-order trade inside the window counts exactly
// as in the sorted stream (rv uses ts-consecutive trades).
class TradeWindow {
 public:
  explicit TradeWindow(int64_t windowUs) : window_(windowUs) {}

  // A trade at or before T − window is outside the window and not kept.
  void add(int64_t ts, double price, double qty, bool sell);
  // False when the window holds no volume (nothing to emit).
  bool fill(records::TradeStatsSignal& out) const;

  int64_t window() const { return window_; }
  int64_t maxTs() const { return maxTs_; }
  size_t size() const { return trades_.size(); }

 private:
  struct Entry {
    int64_t ts;
    double price;
    double qty;
    bool sell;
    // ret2(previous entry, this one), kept while they are neighbours, so a
    // pair's squared log return is computed once, not again when it leaves.
    double r2;
  };
  static double ret2(const Entry& a, const Entry& b);
  void rebuild();

  int64_t window_;
  int64_t maxTs_ = 0;
  bool hasMax_ = false;
  double volume_ = 0;
  double pv_ = 0;
  double buy_ = 0;
  double sell_ = 0;
  double rv2_ = 0;
  size_t removals_ = 0;
  SortedRing<Entry> trades_;
};

// value ← value + α(p − value), α = 1 − 2^(−Δt/H); Δt from the state's time
// (the largest trade ts applied so far), clamped at 0.
class Ema {
 public:
  explicit Ema(int64_t halfLifeUs) : halfLife_(halfLifeUs) {}
  void add(int64_t ts, double price);
  bool has() const { return has_; }
  double value() const { return value_; }
  int64_t ts() const { return ts_; }
  int64_t halfLife() const { return halfLife_; }

 private:
  int64_t halfLife_;
  bool has_ = false;
  double value_ = 0;
  int64_t ts_ = 0;
};

}  // namespace tickwire::signals
