// Trade-driven signals of one instrument: trade_stats over sliding event-time
// windows and the time-decay EMA of the trade price (docs/signals.md).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "signals/signal_records.h"
#include "signals/windows.h"

namespace tickwire::signals {

// ln(b / a)² for the last pair of prices asked. The trade windows of one
// instrument share one: each window squares the same return when a trade lands
// after the same neighbour, and log is most of a window's per-trade cost.
class SquaredLogReturn {
 public:
  double operator()(double a, double b);

 private:
  // NaN never compares equal, so the first call computes.
  double a_ = std::numeric_limits<double>::quiet_NaN();
  double b_ = 0;
  double r2_ = 0;
};

// Trades with ts in (T − window, T], T = the largest trade ts added. Sums are
// kept sorted by ts, so an out-of-order trade inside the window counts exactly
// as in the sorted stream (rv uses ts-consecutive trades).
class TradeWindow {
 public:
  explicit TradeWindow(int64_t windowUs) : window_(windowUs) {}

  // A trade at or before T − window is outside the window and not kept.
  void add(int64_t ts, double price, double qty, bool sell, SquaredLogReturn& ret2);
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
  // α of the last Δt: trades often come at a steady spacing (or at once), and
  // exp2 is most of add()'s cost. Δt >= 0, so -1 means none yet.
  int64_t alphaDt_ = -1;
  double alpha_ = 0;
  bool has_ = false;
  double value_ = 0;
  int64_t ts_ = 0;
};

// fill() and Ema::add() run for every trade, from another file: inline.
inline bool TradeWindow::fill(records::TradeStatsSignal& out) const {
  if (trades_.empty() || !(volume_ > 0)) return false;
  out.ts = maxTs_;
  out.window = window_;
  out.trades = static_cast<uint32_t>(trades_.size());
  out.reserved = 0;
  out.vwap = pv_ / volume_;
  out.volume = volume_;
  out.buyVolume = buy_;
  out.sellVolume = sell_;
  out.tfi = (buy_ - sell_) / volume_;
  out.rv = std::sqrt(rv2_ > 0 ? rv2_ : 0.0);
  return true;
}

inline void Ema::add(int64_t ts, double price) {
  if (!has_) {
    has_ = true;
    value_ = price;
    ts_ = ts;
    return;
  }
  const int64_t dt = ts > ts_ ? ts - ts_ : 0;
  if (dt != alphaDt_) {
    alphaDt_ = dt;
    alpha_ = 1 - std::exp2(-static_cast<double>(dt) / static_cast<double>(halfLife_));
  }
  value_ = value_ + alpha_ * (price - value_);
  if (ts > ts_) ts_ = ts;
}

}  // namespace tickwire::signals
